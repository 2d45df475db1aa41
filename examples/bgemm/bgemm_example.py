"""Batched GEMM with a P.seq K loop accumulating into an InOut tile, authored in Python:
the same module as bgemm.wsp."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import (P, Dense, DispatchPolicy, DType, In, InOut, Out, Tensor, Tile, kernel, pto,  # noqa: E402
                     var, workload)

F16, F32 = DType.F16, DType.F32
A = Tensor("A", shape=(4, 128, 256), dtype=F16, role="input")
B = Tensor("B", shape=(4, 256, 128), dtype=F16, role="input")
C = Tensor("C", shape=(4, 128, 128), dtype=F32, role="output")


@kernel
def zero(c: Out[Tile[64, 64, F32]]):
    z = pto.fill(64, 64, F32, 0.0)
    pto.store(c, z)


@kernel
def gemm_step(a: In[Tile[64, 64, F16]], b: In[Tile[64, 64, F16]], c: InOut[Tile[64, 64, F32]]):
    at = pto.load(a)
    bt = pto.load(b)
    acc = pto.load(c)
    ct = pto.matmul(at, bt, acc)  # c += a x b, f32 accumulate
    pto.store(c, ct)


@workload
def bgemm():
    for b, m, n in P(Dense(4), Dense(2), Dense(2)):
        zero(C[b, m * 64, n * 64])
        for k in P.seq(Dense(4)):
            gemm_step(A[b, m * 64, k * 64], B[b, k * 64, n * 64], C[b, m * 64, n * 64])


def build():
    b, m, n = var("b"), var("m"), var("n")
    return (bgemm().dispatch(DispatchPolicy.custom(key=(b * 4 + m * 2 + n) % 8, workers=8))
            .task_window(64, "tasks", "stall").pool("tensormap", 1024))


def inputs(rng):
    return {"A": rng.uniform(-1, 1, (4, 128, 256)).astype(np.float16),
            "B": rng.uniform(-1, 1, (4, 256, 128)).astype(np.float16),
            "C": np.zeros((4, 128, 128), np.float32)}


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("bgemm", {"C": arrays["C"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
