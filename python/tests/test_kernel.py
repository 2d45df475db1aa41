"""@kernel tracing: parameters, every tile op, value names, operators, implicit loads."""
import pytest

import pto_wsp
from pto_wsp import P, Dense, DType, In, InOut, Out, Scalar, Tensor, Tile, kernel, pto, workload

F32, F16, I32 = DType.F32, DType.F16, DType.I32


def module_of(k, *args):
    @workload(module="m")
    def w():
        for i in P(Dense(2)):
            k(*args)
    return w().build()


def kernel_text(k, *args):
    text = module_of(k, *args).text()
    start = text.index(f"kernel {k.name}(")
    return text[start:text.index("\n}\n", start) + 2]


X = Tensor("X", shape=(16, 128), dtype=F32, role="input")
Y = Tensor("Y", shape=(16, 128), dtype=F32, role="output")
R = Tensor("R", shape=(16, 1), dtype=F32, role="output")


def test_params_and_value_names():
    @kernel
    def k(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]], s: Scalar[F32]):
        xt = pto.load(x)
        yt = pto.mul(xt, s)
        pto.store(y, yt)
    t = kernel_text(k, X[0, 0], Y[0, 0], 2.0)
    assert "kernel k(in x : Tile[16, 128, f32], out y : Tile[16, 128, f32], s : Scalar[f32])" in t
    assert "%xt = load x" in t and "%yt = mul.scalar %xt, s" in t and "store y, %yt" in t


UNARY = ["exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "gelu", "silu", "neg", "abs", "sin", "cos"]


@pytest.mark.parametrize("op", UNARY)
def test_unary_ops(op):
    @kernel
    def k(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
        r = getattr(pto, op)(pto.load(x))
        pto.store(y, r)
    assert f"%r = {op} %t0" in kernel_text(k, X[0, 0], Y[0, 0])


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "max", "min"])
def test_binary_ops_and_broadcast(op):
    @kernel
    def k(x: In[Tile[16, 128, F32]], r: In[Tile[16, 1, F32]], y: Out[Tile[16, 128, F32]]):
        a = pto.load(x)
        b = pto.load(r)
        same = getattr(pto, op)(a, a)
        row = getattr(pto, op)(same, b)
        pto.store(y, row)
    t = kernel_text(k, X[0, 0], R[0, 0], Y[0, 0])
    assert f"%same = {op} %a, %a" in t and f"%row = {op}.row %same, %b" in t


@pytest.mark.parametrize("op", ["rowsum", "rowmax", "rowmin", "rowmean"])
def test_row_reductions(op):
    @kernel
    def k(x: In[Tile[16, 128, F32]], r: Out[Tile[16, 1, F32]]):
        s = getattr(pto, op)(pto.load(x))
        pto.store(r, s)
    assert f"%s = {op} %t0" in kernel_text(k, X[0, 0], R[0, 0])


def test_other_ops():
    C = Tensor("C", shape=(1, 128), dtype=F32, role="output")
    I = Tensor("I", shape=(16, 4), dtype=I32, role="output")

    @kernel
    def k(x: In[Tile[16, 128, F32]], c: Out[Tile[1, 128, F32]], cm: Out[Tile[1, 128, F32]],
          y: Out[Tile[16, 128, F32]], idx: Out[Tile[16, 4, I32]]):
        a = pto.load(x)
        cs = pto.colsum(a)
        pto.store(c, cs)
        cx = pto.colmax(a)
        pto.store(cm, cx)
        f = pto.fill(16, 128, F32, 1.5)
        io = pto.iota(16, 128, F32)
        mk = pto.cast(f, DType.BOOL)
        sel = pto.select(mk, a, io)
        srt = pto.sort(sel, descending=True)
        h = pto.cast(srt, F16)
        back = pto.cast(h, F32)
        vals, ids = pto.topk(back, 4)
        pto.store(idx, ids)
        pto.store(y, back)
    t = kernel_text(k, X[0, 0], C[0, 0], C[0, 0], Y[0, 0], I[0, 0])
    for s in ("%cs = colsum %a", "%cx = colmax %a", "%f = fill 1.5 : Tile[16, 128, f32]",
              "%io = iota : Tile[16, 128, f32]", "%sel = select %mk, %a, %io", "%srt = sort %sel, desc",
              "%h = cast %srt : Tile[16, 128, f16]", "%vals, %ids = topk %back, desc, k = 4"):
        assert s in t, s


def test_matmul_transpose_and_accumulate():
    A = Tensor("A", shape=(64, 64), dtype=F16, role="input")
    Cc = Tensor("Cc", shape=(64, 64), dtype=F32, role="inout")

    @kernel
    def k(a: In[Tile[64, 64, F16]], c: InOut[Tile[64, 64, F32]]):
        at = pto.load(a)
        tt = pto.transpose(at)
        acc = pto.load(c)
        r = pto.matmul(at, tt, acc)
        pto.store(c, r)
    t = kernel_text(k, A[0, 0], Cc[0, 0])
    assert "%tt = transpose %at" in t and "%r = matmul %at, %tt, %acc" in t


def test_operators_and_implicit_load():
    @kernel
    def k(x: In[Tile[16, 128, F32]], y: InOut[Tile[16, 128, F32]]):
        s = (x + y) * 2.0 - x / 4.0
        pto.store(y, -s)
    t = kernel_text(k, X[0, 0], Y[0, 0])
    assert t.count("load x") == 1 and t.count("load y") == 1 and "neg" in t


def test_constant():
    @kernel
    def k(y: Out[Tile[16, 128, F32]]):
        pto.store(y, pto.constant(0.0, F32, (16, 128)))
    assert "fill 0.0 : Tile[16, 128, f32]" in kernel_text(k, Y[0, 0])


def test_every_ir_op_has_a_pto_function():
    for op in pto.OPS:
        assert callable(getattr(pto, op)), op


def test_missing_annotation_is_a_type_error():
    with pytest.raises(TypeError, match="needs an annotation"):
        @kernel
        def k(x):
            pass


def test_op_outside_kernel():
    with pytest.raises(RuntimeError, match="inside a @kernel"):
        pto.exp(None)


def test_external_kernel(tmp_path):
    src = tmp_path / "k.cpp"
    src.write_text("// body\n")

    @kernel(source=str(src), cycles=100)
    def ext(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
        pass
    t = module_of(ext, X[0, 0], Y[0, 0]).text()
    assert "extern kernel ext" in t or "kernel ext" in t
    assert "100" in t
