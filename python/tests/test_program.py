"""Program: numpy binding rules, outputs in place, symbols, stats, trace, located errors."""
import json
import os

import numpy as np
import pytest

import pto_wsp
from pto_wsp import P, Dense, DenseDyn, DispatchPolicy, DType, In, Out, Tensor, Tile, kernel, pto, symbol, workload

F32 = DType.F32


@kernel
def twice(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
    t = pto.load(x)
    d = pto.add(t, t)
    pto.store(y, d)


X = Tensor("X", shape=(64, 128), dtype=F32, role="input")
Y = Tensor("Y", shape=(64, 128), dtype=F32, role="output")
N = symbol("N", 4)


@workload(module="prog")
def dbl():
    for i in P(DenseDyn(N)):
        twice(X[i * 16, 0], Y[i * 16, 0])


@pytest.fixture(scope="module")
def prog():
    return dbl().dispatch(DispatchPolicy.round_robin(workers=2)).task_window(8).compile(target="cpu_sim")


def test_outputs_written_in_place(prog, tmp_path):
    x = np.random.default_rng(0).standard_normal((64, 128)).astype(np.float32)
    y = np.zeros((64, 128), np.float32)
    prog.bind("X", x)
    prog.bind("Y", y)
    prog.trace(tmp_path / "t.json")  # the following runs stream their trace there
    prog.execute()
    prog.synchronize()
    np.testing.assert_array_equal(y, 2 * x)
    s = prog.stats
    assert s.total_cycles > 0 and s().total_cycles == s.total_cycles and s.tasks == 4
    assert "traceEvents" in json.loads((tmp_path / "t.json").read_text())
    # a runtime symbol changes the run without recompiling
    y[:] = 0
    prog.set_symbol_u64("N", 2)
    prog.execute()
    prog.synchronize()
    assert prog.stats.tasks == 2
    np.testing.assert_array_equal(y[32:], 0)
    np.testing.assert_array_equal(y[:32], 2 * x[:32])
    prog.set_symbol("N", 4)


def test_tensor_with_data_is_bound_at_compile():
    x = np.ones((64, 128), np.float32)
    y = np.zeros((64, 128), np.float32)
    Xd = Tensor("Xd", data=x, role="input")
    Yd = Tensor("Yd", data=y, role="output")

    @workload(module="withdata")
    def w():
        for i in P(Dense(4)):
            twice(Xd[i * 16, 0], Yd[i * 16, 0])
    p = w().compile()
    p.execute()
    p.synchronize()
    assert (y == 2).all()


def test_wrong_dtype_names_the_tensor(prog):
    with pytest.raises(TypeError, match="tensor 'X' is f32 .* got an array of dtype float64"):
        prog.bind("X", np.zeros((64, 128)))


def test_non_contiguous_is_refused(prog):
    a = np.zeros((128, 128), np.float32)[:, ::2]
    with pytest.raises(ValueError, match="tensor 'X': the array is not C-contiguous"):
        prog.bind("X", a)


def test_not_an_array(prog):
    with pytest.raises(TypeError, match="expected a numpy array"):
        prog.bind("X", [1, 2])


def test_wrong_size_is_a_located_error(prog):
    with pytest.raises(pto_wsp.Error) as e:
        prog.bind("X", np.zeros((8, 128), np.float32))  # the offending line
    assert f"{os.path.basename(__file__)}:" in str(e.value) and "error:" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_unknown_symbol_lists_known(prog):
    with pytest.raises(pto_wsp.Error, match="N"):
        prog.set_symbol("nope", 1)


def test_verifier_error_points_at_python_line():
    Z = Tensor("Z", shape=(64, 64), dtype=F32, role="output")

    @workload(module="bad")
    def w():
        for i in P(Dense(4)):
            twice(X[i * 16, 0], Z[i * 16, 0])  # MARK-bad-call
    with pytest.raises(pto_wsp.Error) as e:
        w().compile()
    msg = str(e.value)
    line = next(n for n, l in enumerate(open(__file__), 1) if "MARK-bad-call" in l and "next(" not in l)
    assert f"{__file__}:{line}" in msg, msg
    assert "help:" in msg or "note:" in msg or "error:" in msg


def test_kernel_rule_error_points_at_python_line():
    @kernel
    def bad(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
        t = pto.load(x)
        m = pto.matmul(t, t)  # MARK-matmul
        pto.store(y, m)

    @workload(module="badk")
    def w():
        bad(X[0, 0], Y[0, 0])
    with pytest.raises(pto_wsp.Error) as e:
        w().build()
    line = next(n for n, l in enumerate(open(__file__), 1) if "MARK-matmul" in l and "next(" not in l)
    assert f"{__file__}:{line}" in str(e.value)


def test_deadlock_error_carries_report():
    assert issubclass(pto_wsp.DeadlockError, pto_wsp.Error)
    assert issubclass(pto_wsp.Error, ValueError)
