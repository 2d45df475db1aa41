"""Cost of building IR from Python: traces examples/<name>/<name>_example.py's workload and
builds the module (tracing + C++ builder + value names), best of N runs, in ms. Compares with
parsing the same module's .wsp text in the same run. Name `all`: every example with a .py
and a .wsp. Exits non-zero when one takes 5 ms or more.
    PYTHONPATH=build/ci/python /usr/bin/python3 bench/python_build/bench_build.py [name|all] [runs]"""
import importlib.util
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bench(name, runs):
    d = os.path.join(ROOT, "examples", name)
    sys.path[:0] = [os.path.join(ROOT, "examples"), d]
    sys.modules.pop("golden", None)
    spec = importlib.util.spec_from_file_location(f"{name}_example", os.path.join(d, f"{name}_example.py"))
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    import pto_wsp
    text = open(os.path.join(d, f"{name}.wsp")).read()

    def best(fn):
        t = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
        return min(t) * 1e3

    build_ms = best(lambda: ex.build().build())
    parse_ms = best(lambda: pto_wsp._core.parse(text, "x.wsp"))
    print(f"{name}: python trace+build {build_ms:.3f} ms, parse .wsp {parse_ms:.3f} ms (best of {runs})")
    del sys.path[:2]
    return build_ms < 5.0


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "llama_block"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    ex = os.path.join(ROOT, "examples")
    names = sorted(n for n in os.listdir(ex) if os.path.isfile(os.path.join(ex, n, f"{n}_example.py"))
                   and os.path.isfile(os.path.join(ex, n, f"{n}.wsp"))) if name == "all" else [name]
    ok = [bench(n, runs) for n in names]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
