"""One LLaMA decoder block (rmsnorm, q/k/v, causal attention, output projection, SwiGLU
MLP, residuals) authored in Python: the same module as llama_block.wsp."""
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


def _t(name, shape, dtype, role):
    return Tensor(name, shape=shape, dtype=dtype, role=role)


X = _t("X", (128, 128), F16, "input")
Wn1 = _t("Wn1", (1, 128), F16, "input")
Wq, Wk, Wv = (_t(n, (128, 128), F16, "input") for n in ("Wq", "Wk", "Wv"))
Mask = _t("Mask", (128, 128), F32, "input")
Wo = _t("Wo", (128, 128), F16, "input")
Wn2 = _t("Wn2", (1, 128), F16, "input")
Wg = _t("Wg", (128, 256), F16, "input")
Wu = _t("Wu", (128, 256), F16, "input")
Wd = _t("Wd", (256, 128), F16, "input")
Qs, Ks, Vs, A = (_t(n, (128, 128), F16, "temp") for n in ("Qs", "Ks", "Vs", "A"))
H = _t("H", (128, 128), F32, "temp")
Act = _t("Act", (128, 256), F16, "temp")
Y = _t("Y", (128, 128), F16, "output")


@kernel
def rms_qkv(x: In[Tile[16, 128, F16]], wn: In[Tile[1, 128, F16]], wq: In[Tile[128, 64, F16]],
            wk: In[Tile[128, 64, F16]], wv: In[Tile[128, 64, F16]], q: Out[Tile[16, 64, F16]],
            k: Out[Tile[16, 64, F16]], v: Out[Tile[16, 64, F16]], eps: Scalar[F32]):
    xh = pto.load(x)
    xf = pto.cast(xh, F32)
    sq = pto.mul(xf, xf)
    ms = pto.rowmean(sq)
    me = pto.add(ms, eps)
    r = pto.rsqrt(me)
    n = pto.mul(xf, r)
    wnh = pto.load(wn)
    wnf = pto.cast(wnh, F32)
    xn = pto.mul(n, wnf)
    xnh = pto.cast(xn, F16)
    wqt = pto.load(wq)
    qf = pto.matmul(xnh, wqt)
    qh = pto.cast(qf, F16)
    pto.store(q, qh)
    wkt = pto.load(wk)
    kf = pto.matmul(xnh, wkt)
    kh = pto.cast(kf, F16)
    pto.store(k, kh)
    wvt = pto.load(wv)
    vf = pto.matmul(xnh, wvt)
    vh = pto.cast(vf, F16)
    pto.store(v, vh)


@kernel
def attn_causal(q: In[Tile[16, 64, F16]], kt: In[Tile[64, 128, F16]], v: In[Tile[128, 64, F16]],
                mask: In[Tile[16, 128, F32]], o: Out[Tile[16, 64, F16]], scale: Scalar[F32]):
    qt = pto.load(q)
    ktt = pto.load(kt)
    s = pto.matmul(qt, ktt)
    ss = pto.mul(s, scale)
    mk = pto.load(mask)
    sm = pto.add(ss, mk)  # -inf above the diagonal
    m = pto.rowmax(sm)
    d = pto.sub(sm, m)
    e = pto.exp(d)
    l = pto.rowsum(e)  # noqa: E741
    p = pto.div(e, l)
    ph = pto.cast(p, F16)
    vt = pto.load(v)
    of = pto.matmul(ph, vt)
    oh = pto.cast(of, F16)
    pto.store(o, oh)


@kernel
def wo_res(a: In[Tile[16, 128, F16]], wo: In[Tile[128, 64, F16]], x: In[Tile[16, 64, F16]],
           hres: Out[Tile[16, 64, F32]]):
    at = pto.load(a)
    wt = pto.load(wo)
    pr = pto.matmul(at, wt)
    xh = pto.load(x)
    xf = pto.cast(xh, F32)
    hs = pto.add(pr, xf)
    pto.store(hres, hs)


@kernel
def mlp_up(h: In[Tile[16, 128, F32]], wn: In[Tile[1, 128, F16]], wg: In[Tile[128, 128, F16]],
           wu: In[Tile[128, 128, F16]], act: Out[Tile[16, 128, F16]], eps: Scalar[F32]):
    ht = pto.load(h)
    sq = pto.mul(ht, ht)
    ms = pto.rowmean(sq)
    me = pto.add(ms, eps)
    r = pto.rsqrt(me)
    n = pto.mul(ht, r)
    wnh = pto.load(wn)
    wnf = pto.cast(wnh, F32)
    hn = pto.mul(n, wnf)
    hnh = pto.cast(hn, F16)
    wgt = pto.load(wg)
    g = pto.matmul(hnh, wgt)
    wut = pto.load(wu)
    u = pto.matmul(hnh, wut)
    sg = pto.silu(g)
    gu = pto.mul(sg, u)
    gh = pto.cast(gu, F16)
    pto.store(act, gh)


@kernel
def mlp_down(act: In[Tile[16, 256, F16]], wd: In[Tile[256, 64, F16]], h: In[Tile[16, 64, F32]],
             y: Out[Tile[16, 64, F16]]):
    at = pto.load(act)
    wt = pto.load(wd)
    dn = pto.matmul(at, wt)
    ht = pto.load(h)
    ys = pto.add(dn, ht)
    yh = pto.cast(ys, F16)
    pto.store(y, yh)


@workload
def llama_block():
    for hd, i in P(Dense(2), Dense(8)):
        rms_qkv(X[i * 16, 0], Wn1[0, 0], Wq[0, hd * 64], Wk[0, hd * 64], Wv[0, hd * 64],
                Qs[i * 16, hd * 64], Ks[i * 16, hd * 64], Vs[i * 16, hd * 64], 1e-6)
    for hd, i in P(Dense(2), Dense(8)):
        attn_causal(Qs[i * 16, hd * 64], Ks.view([0, hd * 64], 128, 64).T, Vs[0, hd * 64], Mask[i * 16, 0],
                    A[i * 16, hd * 64], 0.125)
    for i, n in P(Dense(8), Dense(2)):
        wo_res(A[i * 16, 0], Wo[0, n * 64], X[i * 16, n * 64], H[i * 16, n * 64])
    for i, c in P(Dense(8), Dense(2)):
        mlp_up(H[i * 16, 0], Wn2[0, 0], Wg[0, c * 128], Wu[0, c * 128], Act[i * 16, c * 128], 1e-6)
    for i, n in P(Dense(8), Dense(2)):
        mlp_down(Act[i * 16, 0], Wd[0, n * 64], H[i * 16, n * 64], Y[i * 16, n * 64])


def build():
    return llama_block().dispatch(DispatchPolicy.round_robin(workers=8)).task_window(128, "tasks", "stall")


def inputs(rng):
    import golden
    a = {"X": rng.uniform(-1, 1, (128, 128)), "Wn1": rng.uniform(0.5, 1.5, (1, 128)),
         "Wn2": rng.uniform(0.5, 1.5, (1, 128))}
    for n in ("Wq", "Wk", "Wv", "Wo"):
        a[n] = rng.uniform(-1, 1, (128, 128))
    a["Wg"], a["Wu"] = rng.uniform(-1, 1, (128, 256)), rng.uniform(-1, 1, (128, 256))
    a["Wd"] = rng.uniform(-1, 1, (256, 128))
    golden.prepare(a)
    a = {k: v.astype(np.float16) for k, v in a.items()}
    a["Mask"] = golden.causal_mask()
    a["Y"] = np.zeros((128, 128), np.float16)
    return a


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("llama_block", {"Y": arrays["Y"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
