"""Single-tile attention per (head, query block), authored in Python: the same module as
attention.wsp (K is read through a transposed view)."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import (P, Dense, DispatchPolicy, DType, In, Out, Scalar, Tensor, Tile, kernel, pto,  # noqa: E402
                     workload)

F16, F32 = DType.F16, DType.F32
Q = Tensor("Q", shape=(2, 128, 64), dtype=F16, role="input")
K = Tensor("K", shape=(2, 128, 64), dtype=F16, role="input")
V = Tensor("V", shape=(2, 128, 64), dtype=F16, role="input")
O = Tensor("O", shape=(2, 128, 64), dtype=F16, role="output")


@kernel
def attn_tile(q: In[Tile[16, 64, F16]], kt: In[Tile[64, 128, F16]], v: In[Tile[128, 64, F16]],
              o: Out[Tile[16, 64, F16]], scale: Scalar[F32]):
    qt = pto.load(q)
    ktt = pto.load(kt)
    s = pto.matmul(qt, ktt)  # [16, 128] f32 scores
    ss = pto.mul(s, scale)
    m = pto.rowmax(ss)
    d = pto.sub(ss, m)
    e = pto.exp(d)
    l = pto.rowsum(e)  # noqa: E741
    p = pto.div(e, l)
    ph = pto.cast(p, F16)  # the cube takes f16 operands
    vt = pto.load(v)
    ot = pto.matmul(ph, vt)
    oh = pto.cast(ot, F16)
    pto.store(o, oh)


@workload
def attention():
    for h, i in P(Dense(2), Dense(8)):
        attn_tile(Q[h, i * 16, 0], K[h, 0:128, 0:64].T, V[h, 0:128, 0:64], O[h, i * 16, 0], 0.125)


def build():
    return attention().dispatch(DispatchPolicy.round_robin(workers=4)).task_window(16, "tasks", "stall")


def inputs(rng):
    return {n: rng.uniform(-1, 1, (2, 128, 64)).astype(np.float16) for n in ("Q", "K", "V")} | {
        "O": np.zeros((2, 128, 64), np.float16)}


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("attention", {"O": arrays["O"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
