"""Row softmax in three phases, authored in Python: the same module as softmax.wsp."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import (P, Dense, DispatchPolicy, DType, In, InOut, Out, Scalar, Tensor, Tile, kernel,  # noqa: E402
                     pto, sequential, var, workload)

F32 = DType.F32
X = Tensor("X", shape=(64, 512), dtype=F32, role="input")
M = Tensor("M", shape=(64, 1), dtype=F32, role="temp")
S = Tensor("S", shape=(64, 1), dtype=F32, role="temp")
Y = Tensor("Y", shape=(64, 512), dtype=F32, role="output")


@kernel
def fill_col(t: Out[Tile[16, 1, F32]], v: Scalar[F32]):
    f = pto.fill(16, 1, F32, v)
    pto.store(t, f)


@kernel
def max_step(x: In[Tile[16, 128, F32]], m: InOut[Tile[16, 1, F32]]):
    xt = pto.load(x)
    bm = pto.rowmax(xt)
    mt = pto.load(m)
    nm = pto.max(mt, bm)
    pto.store(m, nm)


@kernel
def sum_step(x: In[Tile[16, 128, F32]], m: In[Tile[16, 1, F32]], s: InOut[Tile[16, 1, F32]]):
    xt = pto.load(x)
    mt = pto.load(m)
    d = pto.sub(xt, mt)
    e = pto.exp(d)
    bs = pto.rowsum(e)
    st = pto.load(s)
    ns = pto.add(st, bs)
    pto.store(s, ns)


@kernel
def normalize(x: In[Tile[16, 128, F32]], m: In[Tile[16, 1, F32]], s: In[Tile[16, 1, F32]],
              y: Out[Tile[16, 128, F32]]):
    xt = pto.load(x)
    mt = pto.load(m)
    d = pto.sub(xt, mt)
    e = pto.exp(d)
    st = pto.load(s)
    yt = pto.div(e, st)
    pto.store(y, yt)


@workload
def softmax():
    with sequential():
        for r in P(Dense(4)):
            fill_col(M[r * 16, 0], float("-inf"))
            for c in P.seq(Dense(4)):
                max_step(X[r * 16, c * 128], M[r * 16, 0])
        for r in P(Dense(4)):
            fill_col(S[r * 16, 0], 0.0)
            for c in P.seq(Dense(4)):
                sum_step(X[r * 16, c * 128], M[r * 16, 0], S[r * 16, 0])
        for r, c in P(Dense(4), Dense(4)):
            normalize(X[r * 16, c * 128], M[r * 16, 0], S[r * 16, 0], Y[r * 16, c * 128])


def build():
    return softmax().dispatch(DispatchPolicy.custom(key=var("r"), workers=4)).task_window(32, "tasks", "stall")


def inputs(rng):
    return {"X": rng.uniform(-4, 4, (64, 512)).astype(np.float32), "Y": np.zeros((64, 512), np.float32)}


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("softmax", {"Y": arrays["Y"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
