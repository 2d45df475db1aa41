"""Every Python example builds the module of its .wsp file (identical printed text), runs to
its numpy golden, and has the same total_cycles as the .wsp compiled directly."""
import os

import numpy as np
import pytest

import pto_wsp
from conftest import EXAMPLES, ROOT, load_example

PRESENT = [n for n in EXAMPLES if os.path.exists(os.path.join(ROOT, "examples", n, f"{n}_example.py"))]


def test_every_example_has_a_python_version():
    missing = [n for n in EXAMPLES if n not in PRESENT]
    assert set(PRESENT) >= {"rmsnorm", "softmax", "bgemm", "pipeline", "moe"}, missing


@pytest.mark.parametrize("name", PRESENT)
def test_ir_text_equals_wsp(name):
    ex, _ = load_example(name)
    built = ex.build().build()
    parsed = pto_wsp.parse_file(os.path.join(ROOT, "examples", name, f"{name}.wsp"))
    assert built.text() == parsed.text()
    built.verify()


def _run(prog, arrays):
    for n, a in arrays.items():
        prog.bind(n, a)
    prog.execute()
    prog.synchronize()
    return prog.stats.total_cycles


@pytest.mark.parametrize("name", PRESENT)
def test_cycles_equal_wsp_and_golden(name):
    ex, golden = load_example(name)
    arrays = ex.inputs(np.random.default_rng(7))
    copies = {k: v.copy() for k, v in arrays.items()}
    py_cycles = _run(ex.build().compile(target="cpu_sim", arch="ascend910b"), arrays)
    parsed = pto_wsp.parse_file(os.path.join(ROOT, "examples", name, f"{name}.wsp"))
    wsp = pto_wsp._core.Program.compile(parsed, "cpu_sim", "ascend910b", "", "", "", None)
    wsp_tensors = parsed.tensor_dtypes()
    for k, v in copies.items():
        if k in wsp_tensors:
            wsp.bind(k, v, None)
    wsp.execute()
    wsp.synchronize()
    assert py_cycles == wsp.stats()["total_cycles"]
    assert py_cycles == golden.EXPECTED_CYCLES
    ref = golden.compute(arrays)
    for k, r in ref.items():
        o = arrays[k].astype(np.float64)
        assert np.all(np.abs(o - r) <= golden.TOL["atol"] + golden.TOL["rtol"] * np.abs(r)), k
