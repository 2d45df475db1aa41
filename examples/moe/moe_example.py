"""MoE-style routing authored in Python: a gate kernel writes the winning expert, slot_load
moves it into slot $expert, and P.when/P.otherwise pick the expert kernel. The same module
as moe.wsp."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import (P, Dense, DispatchPolicy, DType, In, Out, Tensor, Tile, kernel, pto, slot,  # noqa: E402
                     slot_load, workload)

F32, I32 = DType.F32, DType.I32
expert = slot("expert")
X = Tensor("X", shape=(64, 128), dtype=F32, role="input")
Wg = Tensor("Wg", shape=(128, 2), dtype=F32, role="input")
W0 = Tensor("W0", shape=(128, 128), dtype=F32, role="input")
W1 = Tensor("W1", shape=(128, 128), dtype=F32, role="input")
G = Tensor("G", shape=(4, 1), dtype=I32, role="temp")
Y = Tensor("Y", shape=(64, 128), dtype=F32, role="output")


@kernel
def gate(x: In[Tile[16, 128, F32]], wg: In[Tile[128, 2, F32]], g: Out[Tile[1, 1, I32]]):
    xt = pto.load(x)
    wt = pto.load(wg)
    sc = pto.matmul(xt, wt)  # [16, 2] scores
    tot = pto.colsum(sc)  # [1, 2] per-expert score of the block
    v, i = pto.topk(tot, 1, descending=True)  # winner and its index
    pto.store(g, i)


@kernel
def expert0(x: In[Tile[16, 128, F32]], w: In[Tile[128, 128, F32]], y: Out[Tile[16, 128, F32]]):
    xt = pto.load(x)
    wt = pto.load(w)
    h = pto.matmul(xt, wt)
    a = pto.gelu(h)
    pto.store(y, a)


@kernel
def expert1(x: In[Tile[16, 128, F32]], w: In[Tile[128, 128, F32]], y: Out[Tile[16, 128, F32]]):
    xt = pto.load(x)
    wt = pto.load(w)
    h = pto.matmul(xt, wt)
    a = pto.silu(h)
    pto.store(y, a)


@workload
def moe():
    for t in P.seq(Dense(4)):
        gate(X[t * 16, 0], Wg[0, 0], G[t, 0])
        slot_load(expert, G.view([t, 0], 1, 1), 0, 0)
        with P.when(expert == 0):
            expert0(X[t * 16, 0], W0[0, 0], Y[t * 16, 0])
        with P.otherwise():
            expert1(X[t * 16, 0], W1[0, 0], Y[t * 16, 0])


def build():
    return moe().dispatch(DispatchPolicy.round_robin(workers=2)).task_window(16, "tasks", "stall")


def inputs(rng):
    import golden
    a = {"X": rng.uniform(-1, 1, (64, 128)).astype(np.float32),
         "Wg": rng.uniform(-1, 1, (128, 2)).astype(np.float32),
         "W0": rng.uniform(-0.1, 0.1, (128, 128)).astype(np.float32),
         "W1": rng.uniform(-0.1, 0.1, (128, 128)).astype(np.float32),
         "Y": np.zeros((64, 128), np.float32)}
    golden.prepare(a)
    return a


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("moe", {"Y": arrays["Y"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
