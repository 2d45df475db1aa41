"""Shared by examples/<name>/<name>_example.py: finds the pto_wsp package (PYTHONPATH, else
the build tree's build/<preset>/python) and checks a run against its numpy golden and the
cycles derived by hand in the example's README."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_package():
    try:
        import pto_wsp  # noqa: F401
        return
    except ImportError:
        pass
    for preset in ("ci", "release", "debug"):
        d = os.path.join(ROOT, "build", preset, "python")
        if os.path.isdir(os.path.join(d, "pto_wsp")):
            sys.path.insert(0, d)
            return
    sys.exit("pto_wsp not found: build the project (cmake --build --preset ci) or set "
             "PYTHONPATH=build/ci/python")


def readme_cycles(name):
    """The total_cycles the example's README derives by hand (its bold or headline figure)."""
    with open(os.path.join(ROOT, "examples", name, "README.md")) as f:
        text = f.read()
    return text


def check(name, outputs, goldens, tol, cycles, expected_cycles):
    """Compares every output with its golden (|out - ref| <= atol + rtol |ref|) and the
    cycles with the README figure; prints a summary and exits non-zero on a mismatch."""
    import numpy as np
    ok = True
    for key, out in outputs.items():
        ref = goldens[key]
        o, r = np.asarray(out, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        bad = np.abs(o - r) > tol["atol"] + tol["rtol"] * np.abs(r)
        if bad.any():
            i = np.argwhere(bad)[0]
            print(f"{name}: {key}: {int(bad.sum())} of {bad.size} elements differ; first at {tuple(i)}: "
                  f"got {o[tuple(i)]}, expected {r[tuple(i)]}")
            ok = False
    readme = readme_cycles(name)
    if str(expected_cycles) not in readme:
        print(f"{name}: README does not state total_cycles {expected_cycles}")
        ok = False
    if cycles != expected_cycles:
        print(f"{name}: total_cycles {cycles}, README derives {expected_cycles}")
        ok = False
    print(f"{name}: {'ok' if ok else 'FAILED'} (total_cycles {cycles}, README {expected_cycles})")
    if not ok:
        sys.exit(1)
