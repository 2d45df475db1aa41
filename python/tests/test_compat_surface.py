"""The 0.1.0 surface this package accepts (docs/python.md, "pto-wsp 0.1.0 programs"):
strided arrays bound in place, tensors of rank 5-8, shape-less pto.constant, CSP pipelines
built outside a workload. Every number comes from the C++ core."""
import numpy as np
import pytest

import pto_wsp
from pto_wsp import P, Dense, DType, In, Out, Tensor, Tile, kernel, pto, workload
from pto_wsp.csp import Channel, connect, consume, for_each, process, send, task

F32 = DType.F32


@kernel
def affine(x: In[Tile[4, 8, F32]], y: Out[Tile[4, 8, F32]]):
    t = pto.mul(x, pto.constant(2.0, F32))           # scalar operand
    u = pto.sub(pto.constant(1.0, F32), t)           # scalar first: a tile of t's shape
    pto.store(y, pto.add(pto.constant(0.5, F32), u))  # commutative: swapped


def test_rank5_strided_arrays_in_place():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((2, 3, 4, 2, 8)).astype(np.float32)   # [B, T, r, U, c]
    out = np.zeros_like(base)
    x = base.transpose(0, 1, 3, 2, 4)                                # [B, T, U, r, c], strided
    y = out.transpose(0, 1, 3, 2, 4)
    X = Tensor(data=x, shape=x.shape, dtype=F32)
    Y = Tensor(data=y, shape=y.shape, dtype=F32)

    @workload
    def w():
        for b, t in P(Dense[2](), Dense[3]()):
            for u in P(Dense[2]()):
                affine[b, t, u](x=X[b][t][u], y=Y[b][t][u])
    wl = w()
    assert "strides(" in wl.text()
    p = wl.compile(target="cpu_sim")
    p.execute()
    p.synchronize()
    np.testing.assert_allclose(out, 1.5 - 2.0 * base, rtol=1e-6)  # written where `y` views `out`
    assert p.stats.tasks == 12


def test_strided_array_against_row_major_tensor_is_refused():
    X = Tensor("Xr", shape=(8, 8), dtype=F32, role="input")
    Y = Tensor("Yr", shape=(8, 8), dtype=F32, role="output")

    @workload
    def w():
        for i in P(Dense(2)):
            affine(X[i * 4, 0], Y[i * 4, 0])
    p = w().compile()
    with pytest.raises(ValueError, match=r"tensor 'Xr': the array is not C-contiguous \(element strides \[1, 8\]\)"):
        p.bind("Xr", np.zeros((8, 8), np.float32).T)


def test_rank_above_the_limit_is_a_located_error():
    Z = Tensor("Z", shape=(1,) * 7 + (4, 8), dtype=F32, role="input")
    O = Tensor("O", shape=(4, 8), dtype=F32, role="output")

    @workload
    def w():
        affine(Z[(0,) * 9], O[0, 0])
    with pytest.raises(pto_wsp.Error, match=r"test_compat_surface.py:\d+.*tensor 'Z': rank 9 is more than the limit of 8"):
        w().compile()


def test_csp_pipeline_outside_a_workload():
    x = np.arange(3 * 4 * 8, dtype=np.float32).reshape(3, 4, 8)
    mid, out = np.zeros_like(x), np.zeros_like(x)
    X, M, Y = (Tensor(data=a, shape=a.shape, dtype=F32) for a in (x, mid, out))

    @kernel
    def copy(src: In[Tile[4, 8, F32]], dst: Out[Tile[4, 8, F32]]):
        pto.store(dst, src)

    ch = Channel("ch", depth=2)
    prod = process("prod").produces(ch).body(
        for_each(Dense[3](), lambda t: send(ch, task(affine, [t], {"x": X[t], "y": M[t]}))))
    cons = process("cons").consumes(ch).body(consume(ch, lambda t: task(copy, [t], {"src": M[t], "dst": Y[t]})))
    wl = connect([prod, cons], [ch])
    text = wl.text()
    assert "send ch value t" in text and "connect prod -> cons via ch" in text and "channel ch capacity 2" in text
    p = wl.compile(target="cpu_sim")
    p.set_symbol_u64("__pto_wsp_channel_latency_cycles", 0)  # the compiled latency: accepted
    with pytest.raises(pto_wsp.Error, match="channel latency is a schedule directive"):
        p.set_symbol_u64("__pto_wsp_channel_latency_cycles", 5)
    p.execute()
    p.synchronize()
    np.testing.assert_allclose(out, 1.5 - 2.0 * x)
