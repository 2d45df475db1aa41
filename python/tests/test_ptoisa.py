"""0.1.0's TopK helpers (pto.iota_u32 / tsort32 / extract_topk_indices), the ptoisa tracer
(each instruction one IR tile op of the same semantics, or an error at its line), the refused
cpp_body_path, and key functions of the task (docs/python.md, "pto-wsp 0.1.0 programs")."""
import numpy as np
import pytest

from pto_wsp import (P, Dense, DispatchPolicy, DType, In, Out, Scalar, Tensor, Tile, kernel, pto, ptoisa,
                     ptoisa_kernel, workload)

F32, I32 = DType.F32, DType.I32


def _stable_topk_desc(x, k):
    return np.stack([np.lexsort((np.arange(x.shape[-1]), -r.astype(np.float64)))[:k] for r in x]).astype(np.int32)


def _run_topk(kern, scores, key=None):
    out = np.zeros((scores.shape[0], 1, 8), np.int32)
    S = Tensor(data=scores.reshape(-1, 1, 32), dtype=F32)
    O = Tensor(data=out, dtype=I32)

    @workload
    def w():
        for b in P(Dense[scores.shape[0]]()):
            kern[b](s=S[b], o=O[b], pad=64)
    wl = w()
    if key is not None:
        wl = wl.dispatch(DispatchPolicy.affinity(key, num_aicpus=2))
    p = wl.compile(target="cpu_sim")
    p.execute()
    p.synchronize()
    return wl, out.reshape(-1, 8)


@kernel
def topk_pto(s: In[Tile[1, 32, F32]], o: Out[Tile[1, 8, I32]], pad: Scalar[I32]):
    idx = pto.iota_u32(32)
    pairs = pto.tsort32(s, idx)
    pto.store(o, pto.extract_topk_indices(pairs, 8))


@ptoisa_kernel
def topk_isa(s: In[Tile[1, 32, F32]], o: Out[Tile[1, 8, I32]], pad: Scalar[I32]):
    x = ptoisa.tload(s)
    pairs = ptoisa.TSORT32(x, ptoisa.iota_u32(32))
    ptoisa.store_topk_indices_i32(o, pairs, 8)


@pytest.mark.parametrize("kern", [topk_pto, topk_isa], ids=["pto", "ptoisa"])
def test_tsort32_top8_is_the_irs_stable_topk(kern):
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((6, 32)).astype(np.float32)
    scores[1, 5] = scores[1, 20] = scores[1].max() + 1.0  # a tie: the lower index first, as TSORT32
    wl, got = _run_topk(kern, scores, key=lambda t: t.get("b") % 2)
    text = wl.text()
    assert "iota : Tile[1, 32, u32]" in text and "topk %" in text and "k = 8" in text, text
    assert "dispatch custom(workers = 2) key b % 2" in text, text
    np.testing.assert_array_equal(got, _stable_topk_desc(scores, 8))
    assert list(got[1, :2]) == [5, 20]


def test_ptoisa_instructions_map_onto_tile_ops():
    @ptoisa_kernel
    def mix(a: In[Tile[4, 8, F32]], m: In[Tile[4, 1, F32]], y: Out[Tile[4, 8, F32]], c: Scalar[F32]):
        x = ptoisa.tload(a)
        r = ptoisa.TROWEXPANDSUB(x, ptoisa.tload(m))        # x - m per row
        e = ptoisa.TEXP(r)
        s = ptoisa.TMULS(e, c)
        t = ptoisa.TADD(s, ptoisa.TMOV(x))
        ptoisa.tstore(y, ptoisa.TMAXS(t, 0.0))

    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 4, 8)).astype(np.float32)
    m = rng.standard_normal((2, 4, 1)).astype(np.float32)
    y = np.zeros_like(a)
    A, M, Y = (Tensor(data=v, dtype=F32) for v in (a, m, y))

    @workload
    def w():
        for b in P(Dense[2]()):
            mix[b](a=A[b], m=M[b], y=Y[b], c=0.5)
    wl = w()
    text = wl.text()
    for op in ("sub.row", "exp", "mul.scalar", "add", "max.scalar"):
        assert f"= {op} " in text, text
    p = wl.compile(target="cpu_sim")
    p.execute()
    p.synchronize()
    np.testing.assert_allclose(y, np.maximum(0.5 * np.exp(a - m) + a, 0.0), rtol=1e-5, atol=1e-6)


def test_ptoisa_elementwise_needs_equal_shapes():
    @ptoisa_kernel
    def bad(a: In[Tile[4, 8, F32]], m: In[Tile[4, 1, F32]], y: Out[Tile[4, 8, F32]]):
        ptoisa.tstore(y, ptoisa.TSUB(ptoisa.tload(a), ptoisa.tload(m)))
    A, M, Y = Tensor("A", shape=(4, 8), dtype=F32), Tensor("M", shape=(4, 1), dtype=F32), Tensor("Y", shape=(4, 8), dtype=F32)

    @workload
    def w():
        bad(A[0, 0], M[0, 0], Y[0, 0])
    with pytest.raises(ValueError, match=r"ptoisa.TSUB: operands Tile\[4, 8, f32\] and Tile\[4, 1, f32\] differ"):
        w().build()


def test_cpu_sim_add_cycles_is_an_error_at_its_line():
    @ptoisa_kernel
    def k(s: In[Tile[1, 32, F32]], o: Out[Tile[1, 8, I32]], pad: Scalar[I32]):
        ptoisa.store_topk_indices_i32(o, ptoisa.TSORT32(ptoisa.tload(s), ptoisa.iota_u32(32)), 8)
        ptoisa.cpu_sim_add_cycles(f"({pad.name} / 32) * 128ull")
    with pytest.raises(ValueError, match=r"test_ptoisa.py:\d+: error: ptoisa.cpu_sim_add_cycles\('\(pad / 32\) "
                                         r"\* 128ull'\) has no IR counterpart(.|\n)*help: "):
        _run_topk(k, np.zeros((1, 32), np.float32))


def test_pairs_are_no_tile_and_need_the_identity_index():
    @kernel
    def store_pairs(s: In[Tile[1, 32, F32]], o: Out[Tile[1, 8, I32]], pad: Scalar[I32]):
        pto.store(o, pto.tsort32(s, pto.iota_u32(32)))

    @kernel
    def other_index(s: In[Tile[1, 32, F32]], o: Out[Tile[1, 8, I32]], pad: Scalar[I32]):
        idx = pto.add(pto.iota_u32(32), pto.iota_u32(32))
        pto.store(o, pto.extract_topk_indices(pto.tsort32(s, idx), 8))
    with pytest.raises(TypeError, match="pairs are no tile of the IR"):
        _run_topk(store_pairs, np.zeros((1, 32), np.float32))
    with pytest.raises(ValueError, match="tsort32's idx is not iota_u32"):
        _run_topk(other_index, np.zeros((1, 32), np.float32))


def test_cpp_body_path_is_refused_when_used_not_when_defined(tmp_path):
    body = tmp_path / "body.cpp"
    body.write_text("// PTO-ISA C++\n")

    @kernel(cpp_body_path=str(body))
    def k(s: In[Tile[1, 32, F32]], o: Out[Tile[1, 8, I32]], pad: Scalar[I32]):
        raise RuntimeError("never traced")
    with pytest.raises(ValueError, match=r"test_ptoisa.py:\d+: error: kernel 'k': cpp_body_path .* is a body of "
                                         r"PTO-ISA C\+\+(.|\n)*help: write the kernel against abi/KernelAbi.h"):
        _run_topk(k, np.zeros((1, 32), np.float32))


def test_key_function_sees_loop_variables_only():
    with pytest.raises(TypeError, match=r"sees the task's loop variables only"):
        _run_topk(topk_pto, np.zeros((2, 32), np.float32), key=lambda t: t.params[0])
