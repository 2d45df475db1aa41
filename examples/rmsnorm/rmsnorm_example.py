"""RMSNorm over [B, T] tiles, authored in Python: the same module as rmsnorm.wsp
(y = x / sqrt(mean(x^2) + eps) * w; README.md derives the cycles)."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import (P, Dense, DispatchPolicy, DType, In, Out, Scalar, Tensor, Tile, kernel,  # noqa: E402
                     pto, workload)

F16, F32 = DType.F16, DType.F32
X = Tensor("X", shape=(256, 128), dtype=F16, role="input")
W = Tensor("W", shape=(1, 128), dtype=F16, role="input")
Y = Tensor("Y", shape=(256, 128), dtype=F16, role="output")


@kernel
def rmsnorm(x: In[Tile[16, 128, F16]], w: In[Tile[1, 128, F16]], y: Out[Tile[16, 128, F16]], eps: Scalar[F32]):
    xh = pto.load(x)
    xf = pto.cast(xh, F32)
    sq = pto.mul(xf, xf)
    ms = pto.rowmean(sq)
    e = pto.add(ms, eps)
    r = pto.rsqrt(e)
    n = pto.mul(xf, r)  # row broadcast: [16, 128] x [16, 1]
    wh = pto.load(w)
    wf = pto.cast(wh, F32)
    o = pto.mul(n, wf)  # column broadcast: [16, 128] x [1, 128]
    oh = pto.cast(o, F16)
    pto.store(y, oh)


@workload(module="rmsnorm")
def rms():
    for b, t in P(Dense(4), Dense(4)):
        rmsnorm(X[(b * 4 + t) * 16, 0], W[0, 0], Y[(b * 4 + t) * 16, 0], 1e-6)


def build():
    return rms().dispatch(DispatchPolicy.round_robin(workers=4)).task_window(16, "tasks", "stall")


def inputs(rng):
    return {"X": rng.uniform(-1, 1, (256, 128)).astype(np.float16),
            "W": rng.uniform(0.5, 1.5, (1, 128)).astype(np.float16),
            "Y": np.zeros((256, 128), np.float16)}


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("rmsnorm", {"Y": arrays["Y"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
