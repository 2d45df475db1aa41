"""@workload tracing: loops recorded (not unrolled), axes, views, conditions, symbols, slots."""
import pytest

import pto_wsp
from pto_wsp import (P, Dense, DenseDyn, DType, In, Out, Ragged, Sparse, Tensor, Tile, combine, kernel, pto,
                     scope, sequential, slot, slot_load, slot_set, symbol, workload)

F32, I32 = DType.F32, DType.I32
X = Tensor("X", shape=(64, 128), dtype=F32, role="input")
Y = Tensor("Y", shape=(64, 128), dtype=F32, role="output")


@kernel
def cp(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
    t = pto.load(x)
    pto.store(y, t)


def test_loops_are_recorded_once():
    calls = []

    @workload(module="m")
    def w():
        for i in P(Dense(4)):
            calls.append(i)
            for j in P.seq(Dense(3)):
                cp(X[i * 16, 0], Y[i * 16, 0])
    t = w().text()
    assert len(calls) == 1
    assert "P i in dense(4) {" in t and "P.seq j in dense(3) {" in t
    assert t.count("call cp(") == 1


def test_multi_var_loop_and_names():
    @workload(module="m")
    def w():
        for a, b in P(Dense(2), Dense(2)):
            cp(X[(a * 2 + b) * 16, 0], Y[(a * 2 + b) * 16, 0])
    assert "P a in dense(2), b in dense(2) {" in w().text()


def test_views_slices_and_chained_index():
    T3 = Tensor("T3", shape=(4, 64, 128), dtype=F32, role="input")

    @workload(module="m")
    def w():
        for i in P(Dense(4)):
            cp(T3[i][i * 16], Y[i * 16:i * 16 + 16, 0:128])
            cp(T3[i, 0:16, 0:128], Y.view([i * 16, 0], 16, 128))
    t = w().text()
    assert "T3[i, i * 16 : 16, 0 : 128]" in t
    assert "T3[i, 0 : 16, 0 : 128]" in t and "Y[i * 16 : 16, 0 : 128]" in t


def test_bad_slice_and_index():
    @workload(module="m")
    def w():
        for i in P(Dense(4)):
            cp(X[i:2 * i, 0], Y[0, 0])
    with pytest.raises(ValueError, match="not a constant"):
        w()
    with pytest.raises(IndexError, match="has 2 dims"):
        X[0, 0, 0]


def test_axes():
    n = symbol("N", 4)
    L = Tensor("L", shape=(4,), dtype=I32, role="input")
    IP = Tensor("IP", shape=(5,), dtype=I32, role="input")
    IX = Tensor("IX", shape=(8,), dtype=I32, role="input")

    @workload(module="m")
    def w():
        for b in P(DenseDyn(n)):
            for r in P(Ragged(b, L)):
                cp(X[r * 16, 0], Y[r * 16, 0])
            for s in P.sel(Sparse(b, IP, IX)):
                cp(X[s * 16, 0], Y[s * 16, 0])
        for d in P(Dense[4]()):
            cp(X[d * 16, 0], Y[d * 16, 0])
    t = w().text()
    assert "symbol N = 4" in t
    assert "dense_dyn(N)" in t and "ragged(b, L)" in t and "sparse(b, IP, IX)" in t and "P.sel s" in t


def test_when_otherwise_and_slots():
    s = slot("sel")
    G = Tensor("G", shape=(4, 1), dtype=I32, role="input")

    @workload(module="m")
    def w():
        for t in P.seq(Dense(4)):
            slot_load(s, G.view([t, 0], 1, 1), 0, 0)
            with P.when((s == 0) & (t < 2)):
                cp(X[t * 16, 0], Y[t * 16, 0])
            with P.otherwise():
                slot_set(s, s + 1)
    text = w().text()
    assert "slot $sel" in text and "slot_load $sel = G[t : 1, 0 : 1][0, 0]" in text
    assert "when ($sel == 0 and t < 2) {" in text and "} otherwise {" in text


def test_otherwise_without_when():
    @workload(module="m")
    def w():
        with P.otherwise():
            pass
    with pytest.raises(SyntaxError, match="must directly follow"):
        w()


def test_python_if_on_expr_is_refused():
    @workload(module="m")
    def w():
        for i in P(Dense(2)):
            if i == 0:
                pass
    with pytest.raises(TypeError, match="P.when"):
        w()


def test_blocks():
    @workload(module="m")
    def w():
        with sequential():
            for i in P(Dense(2)):
                cp(X[i * 16, 0], Y[i * 16, 0])
        with combine():
            cp(X[0, 0], Y[0, 0])
        with scope():
            cp(X[0, 0], Y[0, 0])
    t = w().text()
    assert "sequential {" in t and "combine {" in t and "scope {" in t


def test_kernel_call_kwargs_and_errors():
    @workload(module="m")
    def w():
        cp[0](y=Y[0, 0], x=X[0, 0])
    assert "call cp(X[0 : 16, 0 : 128], Y[0 : 16, 0 : 128])" in w().text()

    @workload(module="m")
    def bad():
        cp(X[0, 0])
    with pytest.raises(TypeError, match="takes 2 arguments"):
        bad()

    @workload(module="m")
    def bad2():
        cp(x=X[0, 0], z=Y[0, 0])
    with pytest.raises(TypeError, match="no parameter 'z'"):
        bad2()
    with pytest.raises(RuntimeError, match="inside a @workload"):
        cp(X[0, 0], Y[0, 0])


def test_scalar_expr_operators():
    n = symbol("K", 3)
    e = (n * 2 + 1) // 3 % 5 - 1
    assert str(e) == "(K * 2 + 1) / 3 % 5 - 1"
    assert str(pto_wsp._core.min(n.expr, 4)) == "min(K, 4)"
