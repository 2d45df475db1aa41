"""Split-K flash decoding authored in Python: the same module as flash_decode.wsp (4 splits
per head, then a combine that rescales the partial results by their row maxima)."""
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
Q = Tensor("Q", shape=(8, 4, 64), dtype=F16, role="input")
K = Tensor("K", shape=(8, 512, 64), dtype=F16, role="input")
V = Tensor("V", shape=(8, 512, 64), dtype=F16, role="input")
Mp = Tensor("Mp", shape=(8, 4, 4), dtype=F32, role="temp")
Lp = Tensor("Lp", shape=(8, 4, 4), dtype=F32, role="temp")
Op = Tensor("Op", shape=(8, 4, 256), dtype=F32, role="temp")
O = Tensor("O", shape=(8, 4, 64), dtype=F16, role="output")
T41, T464 = Tile[4, 1, F32], Tile[4, 64, F32]


@kernel
def split_attn(q: In[Tile[4, 64, F16]], kt: In[Tile[64, 128, F16]], v: In[Tile[128, 64, F16]],
               m: Out[T41], l: Out[T41], o: Out[T464], scale: Scalar[F32]):  # noqa: E741
    qt = pto.load(q)
    ktt = pto.load(kt)
    s = pto.matmul(qt, ktt)
    ss = pto.mul(s, scale)
    mx = pto.rowmax(ss)
    d = pto.sub(ss, mx)
    e = pto.exp(d)
    sm = pto.rowsum(e)
    eh = pto.cast(e, F16)
    vt = pto.load(v)
    ot = pto.matmul(eh, vt)  # unnormalised: divided by l only in the combine
    pto.store(m, mx)
    pto.store(l, sm)
    pto.store(o, ot)


@kernel
def combine(m0: In[T41], m1: In[T41], m2: In[T41], m3: In[T41], l0: In[T41], l1: In[T41], l2: In[T41],
            l3: In[T41], o0: In[T464], o1: In[T464], o2: In[T464], o3: In[T464], y: Out[Tile[4, 64, F16]]):
    a0, a1, a2, a3 = pto.load(m0), pto.load(m1), pto.load(m2), pto.load(m3)
    x01 = pto.max(a0, a1)
    x23 = pto.max(a2, a3)
    mg = pto.max(x01, x23)  # global row max
    d0 = pto.sub(a0, mg)
    w0 = pto.exp(d0)
    d1 = pto.sub(a1, mg)
    w1 = pto.exp(d1)
    d2 = pto.sub(a2, mg)
    w2 = pto.exp(d2)
    d3 = pto.sub(a3, mg)
    w3 = pto.exp(d3)
    b0, b1, b2, b3 = pto.load(l0), pto.load(l1), pto.load(l2), pto.load(l3)
    s0 = pto.mul(w0, b0)
    s1 = pto.mul(w1, b1)
    s01 = pto.add(s0, s1)
    s2 = pto.mul(w2, b2)
    s3 = pto.mul(w3, b3)
    s23 = pto.add(s2, s3)
    lg = pto.add(s01, s23)  # global row sum
    c0, c1, c2, c3 = pto.load(o0), pto.load(o1), pto.load(o2), pto.load(o3)
    r0 = pto.mul(c0, w0)
    r1 = pto.mul(c1, w1)
    r01 = pto.add(r0, r1)
    r2 = pto.mul(c2, w2)
    r3 = pto.mul(c3, w3)
    r23 = pto.add(r2, r3)
    acc = pto.add(r01, r23)
    yt = pto.div(acc, lg)
    yh = pto.cast(yt, F16)
    pto.store(y, yh)


@workload
def flash_decode():
    for h, sp in P(Dense(8), Dense(4)):
        split_attn(Q[h, 0, 0], K.view([h, sp * 128, 0], 128, 64).T, V[h, sp * 128, 0],
                   Mp[h, 0, sp], Lp[h, 0, sp], Op[h, 0, sp * 64], 0.125)
    for h in P(Dense(8)):
        combine(*[Mp[h, 0, j] for j in range(4)], *[Lp[h, 0, j] for j in range(4)],
                *[Op[h, 0, j * 64] for j in range(4)], O[h, 0, 0])


def build():
    return flash_decode().dispatch(DispatchPolicy.round_robin(workers=8)).task_window(64, "tasks", "stall")


def inputs(rng):
    a = {"Q": rng.uniform(-1, 1, (8, 4, 64)), "K": rng.uniform(-1, 1, (8, 512, 64)),
         "V": rng.uniform(-1, 1, (8, 512, 64))}
    a = {k: v.astype(np.float16) for k, v in a.items()}
    a["O"] = np.zeros((8, 4, 64), np.float16)
    return a


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("flash_decode", {"O": arrays["O"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
