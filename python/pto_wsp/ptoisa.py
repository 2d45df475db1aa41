"""ptoisa.<INSTR> and @ptoisa_kernel: 0.1.0's Python-authored PTO-ISA kernels, traced like a
@kernel into the IR's tile ops (docs/python.md lists the mapping). An instruction enters
only where a tile op has the same semantics; the rest are errors at their line."""
from . import kernel as _k
from . import pto as _pto
from ._loc import caller


def _param(p, what):
    if not isinstance(p, _k.TileParamRef):
        raise TypeError(f"ptoisa.{what} takes a kernel tile parameter, got {type(p).__name__}")
    return p


def tload(src):
    return _pto.load(_param(src, "tload"))


def tstore(dst, src):
    _pto.store(_param(dst, "tstore"), src)


def iota_u32(cols):
    return _pto.iota_u32(cols)


def TSORT32(src, idx):  # noqa: N802
    return _pto.tsort32(src, idx)


def store_topk_indices_i32(dst, pairs, k):
    """The first k indices of TSORT32's pairs stored to dst: `topk` then `store`."""
    _pto.store(_param(dst, "store_topk_indices_i32"), _pto.extract_topk_indices(pairs, k))


def TMOV(a):  # noqa: N802
    """A copy: in SSA the value itself."""
    _k._kb()
    _k._tile(a, caller())
    return a


def _same_shape(name, a, b, loc):
    ta, tb = _k._tile(a, loc), _k._tile(b, loc)
    if (ta.rows, ta.cols, ta.dtype) != (tb.rows, tb.cols, tb.dtype):
        raise ValueError(f"ptoisa.{name}: operands Tile[{ta.rows}, {ta.cols}, {ta.dtype}] and "
                         f"Tile[{tb.rows}, {tb.cols}, {tb.dtype}] differ; help: TROWEXPAND*/TCOLEXPAND* broadcast")


def _elementwise(name, op):
    def f(a, b):
        loc = caller()
        _same_shape(name, a, b, loc)
        return _k._binary(op, a, b, loc)
    f.__name__ = name
    return f


def _expand(name, op, broadcast):
    def f(a, b):
        return _k._binary(op, a, b, caller(), broadcast)
    f.__name__ = name
    return f


def _scalar_op(name, op):
    def f(a, s):
        loc = caller()
        if not isinstance(s, (int, float, _k.ScalarParamRef)):
            raise TypeError(f"ptoisa.{name}: the scalar is a number or a Scalar parameter, got {type(s).__name__}")
        return _k._binary(op, a, s, loc)
    f.__name__ = name
    return f


def _unary_op(name, op):
    def f(a):
        return _k._unary(op, a, caller())
    f.__name__ = name
    return f


_OPS = ("add", "sub", "mul", "div", "max", "min")
for _op in _OPS:
    globals()["T" + _op.upper()] = _elementwise("T" + _op.upper(), _op)
    globals()["T" + _op.upper() + "S"] = _scalar_op("T" + _op.upper() + "S", _op)
    globals()["TROWEXPAND" + _op.upper()] = _expand("TROWEXPAND" + _op.upper(), _op, "row")
for _op in ("sub", "mul", "div"):
    globals()["TCOLEXPAND" + _op.upper()] = _expand("TCOLEXPAND" + _op.upper(), _op, "col")
TEXP = _unary_op("TEXP", "exp")
TRSQRT = _unary_op("TRSQRT", "rsqrt")


def cpu_sim_add_cycles(cycles):
    """0.1.0 adds `cycles` (C++ source for its simulator) to the kernel's simulated time. A
    traced kernel's cycles here are the cost model's (docs/cost-model.md), and the IR has no
    added-cycles term, so this is an error rather than a silently dropped cost."""
    _k._kb()
    file, line = caller() or ("<unknown>", 0)
    raise ValueError(f"{file}:{line}: error: ptoisa.cpu_sim_add_cycles({cycles!r}) has no IR counterpart: a "
                     f"traced kernel's cycles come from the cost model, and the argument is C++ source for "
                     f"0.1.0's simulator\nhelp: drop it, or declare the kernel external with "
                     f"@kernel(source=..., cycles=<expression over its scalar parameters>)")


def ptoisa_kernel(fn=None, *, name=None, cpp_includes=None):
    """@ptoisa_kernel: a kernel whose body calls ptoisa.<INSTR>; traced once, like @kernel."""
    if cpp_includes:
        raise ValueError("ptoisa_kernel: cpp_includes adds C++ headers to 0.1.0's generated body; a traced "
                         "kernel here is tile ops, not C++")
    if fn is None:
        return lambda f: _k.Kernel(f, name=name)
    return _k.Kernel(fn, name=name)
