#!/usr/bin/python3
"""Checks an MLIR module emitted by the aie target with Debian's mlir-opt-19.

Three checks, all must pass (exit 0), else exit 1 with the tool's diagnostics:
  1. every func.call names a func.func declared in the module with the same argument types
     (mlir-opt cannot check it: an unregistered op with a region looks like a symbol table,
     so calls inside aie.core do not resolve);
  2. `mlir-opt-19 --allow-unregistered-dialect` parses the generic form and verifies the
     upstream ops (func, scf, arith, memref) on a copy whose calls are renamed;
  3. the same with `--irdl-file=aie_subset.irdl.mlir`, on a copy adapted to IRDL 19's limits
     (see that file's header): the aie/aiex ops must be the described subset.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

CALL = re.compile(r'"func\.call"\(([^)]*)\) <\{callee = @(\w+)\}> : \(([^)]*)\) -> \(\)')
FUNC = re.compile(r'"func\.func"\(\) <\{function_type = \(([^)]*)\) -> \(\), sym_name = "(\w+)"')


def check_calls(text):
    decls = {name: types for types, name in FUNC.findall(text)}
    errors = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for _, callee, types in CALL.findall(line):
            if callee not in decls:
                errors.append(f"line {lineno}: call of '{callee}', which the module does not declare")
            elif decls[callee] != types:
                errors.append(f"line {lineno}: call of '{callee}' with ({types}), declared ({decls[callee]})")
    return errors


def plain_copy(text):
    return CALL.sub(lambda m: f'"check.call"({m.group(1)}) {{callee = @{m.group(2)}}} : ({m.group(3)}) -> ()', text)


def irdl_copy(text):
    text = plain_copy(text)
    text = re.sub(r'"func\.func"\(\) <\{(.*?)\}> \(\{\s*\}\) : \(\) -> \(\)', r'"check.func"() {\1} : () -> ()', text)
    text = text.replace('#aie<', '#check<').replace('!aie.', '!aietype.')
    out = []
    for line in text.splitlines():
        # IRDL ops have no traits: give every aie body a terminator the verifier accepts.
        if re.match(r'\s*\}\) \{(device = |sym_name = "sequence")', line):
            out.append('"check.end"() : () -> ()')
        out.append(line)
        if line.strip() == '"aie.end"() : () -> ()':
            out.append('"check.end"() : () -> ()')
    return "\n".join(out) + "\n"


def run(mlir_opt, text, extra):
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        r = subprocess.run([mlir_opt, "--allow-unregistered-dialect", *extra, path, "-o", os.devnull],
                           capture_output=True, text=True)
        return r.returncode, r.stderr
    finally:
        os.unlink(path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("module")
    ap.add_argument("--mlir-opt", default="/usr/lib/llvm-19/bin/mlir-opt")
    ap.add_argument("--irdl", default=os.path.join(here, "aie_subset.irdl.mlir"))
    ap.add_argument("--only", choices=["calls", "plain", "irdl"], help="run one check")
    a = ap.parse_args()
    text = open(a.module).read()
    ok = True
    want = lambda c: a.only in (None, c)
    for e in (check_calls(text) if want("calls") else []):
        print(f"{a.module}: call check: {e}")
        ok = False
    rc, err = run(a.mlir_opt, plain_copy(text), []) if want("plain") else (0, "")
    if rc != 0:
        print(f"{a.module}: mlir-opt (generic parse + upstream verify) failed:\n{err}")
        ok = False
    rc, err = run(a.mlir_opt, irdl_copy(text), [f"--irdl-file={a.irdl}"]) if want("irdl") else (0, "")
    if rc != 0:
        print(f"{a.module}: mlir-opt --irdl-file failed:\n{err}")
        ok = False
    if ok:
        print(f"{a.module}: ok ({a.only or 'calls, mlir-opt, irdl'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
