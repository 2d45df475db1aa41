"""Two-expert gate mix (dense MoE), authored in Python: the same module as gate_mix.wsp."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import P, Dense, DispatchPolicy, DType, In, Out, Tensor, Tile, kernel, pto, workload  # noqa: E402

F16, F32 = DType.F16, DType.F32
X = Tensor("X", shape=(64, 128), dtype=F16, role="input")
Wg = Tensor("Wg", shape=(128, 2), dtype=F16, role="input")
W0 = Tensor("W0", shape=(128, 128), dtype=F16, role="input")
W1 = Tensor("W1", shape=(128, 128), dtype=F16, role="input")
G = Tensor("G", shape=(64, 2), dtype=F32, role="temp")
H0 = Tensor("H0", shape=(64, 128), dtype=F32, role="temp")
H1 = Tensor("H1", shape=(64, 128), dtype=F32, role="temp")
Y = Tensor("Y", shape=(64, 128), dtype=F16, role="output")


@kernel
def gate_softmax(x: In[Tile[16, 128, F16]], wg: In[Tile[128, 2, F16]], g: Out[Tile[16, 2, F32]]):
    xt = pto.load(x)
    wt = pto.load(wg)
    s = pto.matmul(xt, wt)
    m = pto.rowmax(s)
    d = pto.sub(s, m)
    e = pto.exp(d)
    z = pto.rowsum(e)
    p = pto.div(e, z)
    pto.store(g, p)


@kernel
def expert_gelu(x: In[Tile[16, 128, F16]], w: In[Tile[128, 128, F16]], h: Out[Tile[16, 128, F32]]):
    xt = pto.load(x)
    wt = pto.load(w)
    a = pto.matmul(xt, wt)
    r = pto.gelu(a)
    pto.store(h, r)


@kernel
def expert_silu(x: In[Tile[16, 128, F16]], w: In[Tile[128, 128, F16]], h: Out[Tile[16, 128, F32]]):
    xt = pto.load(x)
    wt = pto.load(w)
    a = pto.matmul(xt, wt)
    r = pto.silu(a)
    pto.store(h, r)


@kernel
def mix_rows(g0: In[Tile[16, 1, F32]], g1: In[Tile[16, 1, F32]], h0: In[Tile[16, 128, F32]],
             h1: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F16]]):
    a = pto.load(h0)
    w0 = pto.load(g0)
    ya = pto.mul(a, w0)
    b = pto.load(h1)
    w1 = pto.load(g1)
    yb = pto.mul(b, w1)
    ys = pto.add(ya, yb)
    yh = pto.cast(ys, F16)
    pto.store(y, yh)


@workload
def gate_mix():
    for t in P(Dense(4)):
        gate_softmax(X[t * 16, 0], Wg[0, 0], G[t * 16, 0])
        expert_gelu(X[t * 16, 0], W0[0, 0], H0[t * 16, 0])
        expert_silu(X[t * 16, 0], W1[0, 0], H1[t * 16, 0])
        mix_rows(G[t * 16, 0], G[t * 16, 1], H0[t * 16, 0], H1[t * 16, 0], Y[t * 16, 0])


def build():
    return gate_mix().dispatch(DispatchPolicy.round_robin(workers=4)).task_window(16, "tasks", "stall")


def inputs(rng):
    return {"X": rng.uniform(-1, 1, (64, 128)).astype(np.float16),
            "Wg": rng.uniform(-0.2, 0.2, (128, 2)).astype(np.float16),
            "W0": rng.uniform(-0.1, 0.1, (128, 128)).astype(np.float16),
            "W1": rng.uniform(-0.1, 0.1, (128, 128)).astype(np.float16),
            "Y": np.zeros((64, 128), np.float16)}


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("gate_mix", {"Y": arrays["Y"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
