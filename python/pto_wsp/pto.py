"""pto.<op>: one function per tile op of the IR (docs/wsp-format.md), valid inside @kernel."""
from . import kernel as _k
from ._loc import caller
from .types import dtype_name as _dt


def load(p):
    loc = caller()
    if not isinstance(p, _k.TileParamRef):
        raise TypeError("pto.load takes a tile parameter")
    return _k.TileValue(_k._kb().load(p.param, loc))


def store(p, value):
    loc = caller()
    if not isinstance(p, _k.TileParamRef):
        raise TypeError("pto.store takes a tile parameter and a tile")
    _k._kb().store(p.param, _k._tile(value, loc), loc)


def _bin(op):
    def f(a, b, broadcast=""):
        return _k._binary(op, a, b, caller(), broadcast)
    f.__name__ = op
    return f


def _un(op):
    def f(a):
        return _k._unary(op, a, caller())
    f.__name__ = op
    return f


add, sub, mul, div, max, min = (_bin(o) for o in ("add", "sub", "mul", "div", "max", "min"))
(exp, log, sqrt, rsqrt, tanh, sigmoid, relu, gelu, silu, neg, abs, sin, cos, rowsum, rowmax, rowmin, rowmean,
 colsum, colmax, transpose) = (_un(o) for o in (
     "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "gelu", "silu", "neg", "abs", "sin", "cos",
     "rowsum", "rowmax", "rowmin", "rowmean", "colsum", "colmax", "transpose"))


def matmul(a, b, acc=None):
    loc = caller()
    return _k.TileValue(_k._kb().matmul(_k._tile(a, loc), _k._tile(b, loc),
                                        None if acc is None else _k._tile(acc, loc), loc))


def cast(a, dtype):
    loc = caller()
    return _k.TileValue(_k._kb().cast(_k._tile(a, loc), _dt(dtype), loc))


def fill(rows, cols, dtype, value):
    loc = caller()
    return _k.TileValue(_k._kb().fill(rows, cols, _dt(dtype), _k._scalar(value), loc))


def constant(value, dtype, shape=None):
    """A tile of `shape` (rows, cols) filled with `value`; without a shape, a scalar
    constant of `dtype` that takes the shape of the tile it is combined with
    (pto.mul(t, pto.constant(0.5, f32)) scales t)."""
    loc = caller()
    if shape is None:
        return _k.ScalarConst(value, _dt(dtype))
    return _k.TileValue(_k._kb().fill(shape[0], shape[1], _dt(dtype), _k._scalar(value), loc))


def iota(rows, cols, dtype):
    loc = caller()
    return _k.TileValue(_k._kb().iota(rows, cols, _dt(dtype), loc), iota=rows == 1)


def iota_u32(cols):
    """0.1.0's [1, cols] u32 tile 0, 1, ..., cols - 1: `iota : Tile[1, cols, u32]`."""
    loc = caller()
    return _k.TileValue(_k._kb().iota(1, int(cols), "u32", loc), iota=True)


def tsort32(scores, idx):
    """0.1.0's PTO-ISA TSORT32 helper: the [1, 32] f32 scores sorted descending with their
    indices idx (a [1, 32] u32 tile), as (score, index) pairs. The IR has no pair tile, so
    the result is only an operand of extract_topk_indices, which is the IR's `topk`."""
    loc = caller()
    s = _k._tile(scores, loc)
    i = _k._tile(idx, loc)
    if (s.rows, s.cols, s.dtype) != (1, 32, "f32"):
        raise ValueError(f"tsort32: scores must be Tile[1, 32, f32], got Tile[{s.rows}, {s.cols}, {s.dtype}]")
    if (i.rows, i.cols, i.dtype) != (1, 32, "u32"):
        raise ValueError(f"tsort32: idx must be Tile[1, 32, u32], got Tile[{i.rows}, {i.cols}, {i.dtype}]")
    iv = idx if isinstance(idx, _k.TileValue) else None
    return _k.SortedPairs(s, iv is not None and iv.iota, loc)


def extract_topk_indices(pairs, k):
    """The first k indices of tsort32's pairs, an i32 [1, k] tile: `topk scores, k = k` (the
    IR's topk is stable, so ties go to the lower index, as TSORT32 orders them)."""
    loc = caller()
    if not isinstance(pairs, _k.SortedPairs):
        raise TypeError(f"extract_topk_indices takes the result of tsort32, got {type(pairs).__name__}")
    kk = int(k)
    if not 1 <= kk <= 32:
        raise ValueError(f"extract_topk_indices: k must be in [1, 32], got {kk}")
    if not pairs.identity_index:
        raise ValueError("extract_topk_indices: tsort32's idx is not iota_u32(32); the IR's topk returns source "
                         "columns, and gathering other indices has no IR op; help: pass pto.iota_u32(32)")
    _v, i = _k._kb().topk(pairs.scores, kk, True, loc)
    return _k.TileValue(i)


def select(mask, a, b):
    loc = caller()
    return _k.TileValue(_k._kb().select(_k._tile(mask, loc), _k._tile(a, loc), _k._tile(b, loc), loc))


def sort(a, descending=False):
    loc = caller()
    return _k.TileValue(_k._kb().sort(_k._tile(a, loc), descending, loc))


def topk(a, k, descending=True):
    """(values, indices) of the k largest (descending) or smallest elements per row."""
    loc = caller()
    v, i = _k._kb().topk(_k._tile(a, loc), k, descending, loc)
    return _k.TileValue(v), _k.TileValue(i)


OPS = ("load", "store", "add", "sub", "mul", "div", "max", "min", "exp", "log", "sqrt", "rsqrt", "tanh",
       "sigmoid", "relu", "gelu", "silu", "neg", "abs", "sin", "cos", "rowsum", "rowmax", "rowmin", "rowmean",
       "colsum", "colmax", "matmul", "cast", "fill", "iota", "select", "transpose", "sort", "topk",
       "iota_u32", "tsort32", "extract_topk_indices")
