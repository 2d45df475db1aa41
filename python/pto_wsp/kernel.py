"""@kernel: a Python function traced once, inside the C++ KernelBuilder, into tile ops."""
import inspect
import itertools
import sys

from . import _core
from ._loc import caller
from .types import ParamSpec, ScalarSpec

_order = itertools.count()
_current = []  # stack of _KernelTrace


class _TileOps:
    """Python operators on tiles build elementwise ops."""

    def __add__(self, o):
        return _binary("add", self, o, caller())

    def __radd__(self, o):
        return _binary("add", self, o, caller())

    def __sub__(self, o):
        return _binary("sub", self, o, caller())

    def __mul__(self, o):
        return _binary("mul", self, o, caller())

    def __rmul__(self, o):
        return _binary("mul", self, o, caller())

    def __truediv__(self, o):
        return _binary("div", self, o, caller())

    def __neg__(self):
        return _unary("neg", self, caller())


class TileParamRef(_TileOps):
    """A tile parameter inside a kernel body. Used as an operand, it is loaded once."""

    def __init__(self, trace, param, direction):
        self._trace, self.param, self.direction = trace, param, direction
        self.name = param.name
        self._loaded = None

    def _value(self, loc):
        if self._loaded is None:
            self._loaded = TileValue(self._trace.kb.load(self.param, loc))
        return self._loaded


class ScalarParamRef:
    def __init__(self, param):
        self.param, self.name = param, param.name


class TileValue(_TileOps):
    """An SSA tile value (`iota`: made by an iota from 0, so column c holds c)."""

    def __init__(self, core, iota=False):
        self.core, self.iota = core, iota

    rows = property(lambda s: s.core.rows)
    cols = property(lambda s: s.core.cols)
    dtype = property(lambda s: s.core.dtype)
    shape = property(lambda s: (s.core.rows, s.core.cols))


class ScalarConst:
    """pto.constant(value, dtype) without a shape: a scalar operand of a binary op."""

    def __init__(self, value, dtype):
        self.value, self.dtype = value, dtype

    def __repr__(self):
        return f"constant({self.value}, {self.dtype})"


class SortedPairs:
    """tsort32's (score, index) pairs: not a tile of the IR, only extract_topk_indices's operand."""

    def __init__(self, scores, identity_index, loc):
        self.scores, self.identity_index, self.loc = scores, identity_index, loc


class _KernelTrace:
    def __init__(self, kb):
        self.kb = kb


def _kb():
    if not _current:
        raise RuntimeError("pto.<op> is only valid inside a @kernel function being traced")
    return _current[-1].kb


def _tile(x, loc):
    if isinstance(x, TileValue):
        return x.core
    if isinstance(x, TileParamRef):
        return x._value(loc).core
    if isinstance(x, SortedPairs):
        raise TypeError("tsort32's (score, index) pairs are no tile of the IR; their only use is "
                        "extract_topk_indices(pairs, k)")
    raise TypeError(f"expected a tile, got {type(x).__name__}")


def _scalar(x):
    if isinstance(x, ScalarConst):
        return x.value
    if isinstance(x, ScalarParamRef):
        return x.param
    if isinstance(x, (int, float)):
        return x
    raise TypeError(f"expected a number or scalar parameter, got {type(x).__name__}")


_COMMUTATIVE = ("add", "mul", "max", "min")


def _binary(op, a, b, loc, broadcast=""):
    if not isinstance(a, (TileValue, TileParamRef)) and isinstance(b, (TileValue, TileParamRef)):
        if op in _COMMUTATIVE:
            a, b = b, a
        else:
            # scalar - tile: the scalar becomes a tile of the other operand's shape.
            tb = _tile(b, loc)
            dt = a.dtype if isinstance(a, ScalarConst) else tb.dtype
            a = TileValue(_kb().fill(tb.rows, tb.cols, dt, _scalar(a), loc))
    ta = _tile(a, loc)
    if isinstance(b, (TileValue, TileParamRef)):
        return TileValue(_kb().binary(op, ta, _tile(b, loc), broadcast, loc))
    return TileValue(_kb().binary_scalar(op, ta, _scalar(b), loc))


def _unary(op, a, loc):
    return TileValue(_kb().unary(op, _tile(a, loc), loc))


class Kernel:
    """A traced kernel (or an external C++ kernel with declared cycles)."""

    def __init__(self, fn, name=None, source=None, cycles=None, cpp_body_path=None):
        self.fn = fn
        self.name = name or fn.__name__
        self.source, self.cycles = source, cycles
        self.cpp_body_path = cpp_body_path
        self.loc = caller()
        self.order = next(_order)
        sig = inspect.signature(fn)
        self.params = []
        for p in sig.parameters.values():
            spec = p.annotation
            if not isinstance(spec, (ParamSpec, ScalarSpec)):
                raise TypeError(f"kernel '{self.name}': parameter '{p.name}' needs an annotation "
                                f"In[Tile[...]], Out[...], InOut[...] or Scalar[dtype]")
            self.params.append((p.name, spec))
        self.value_names = {}

    def _declare(self, kb):
        refs = []
        for name, spec in self.params:
            if isinstance(spec, ScalarSpec):
                refs.append(ScalarParamRef(kb.scalar(name, spec.dtype, self.loc)))
            else:
                t = spec.tile
                refs.append(TileParamRef(_current[-1], kb.param(spec.direction, name, t.rows, t.cols, t.dtype, self.loc),
                                         spec.direction))
        return refs

    def _body(self, kb):
        _current.append(_KernelTrace(kb))
        try:
            refs = self._declare(kb)
            if self.source is not None:
                return
            captured = {}

            def prof(frame, event, arg):
                if event == "return" and frame.f_code is self.fn.__code__:
                    captured.update(frame.f_locals)

            old = sys.getprofile()
            sys.setprofile(prof)
            try:
                self.fn(*refs)
            finally:
                sys.setprofile(old)
            # Python variable names become the SSA value names (%xh for `xh = ...`).
            names, used = {}, set()
            for var, val in captured.items():
                if isinstance(val, TileValue) and val.core.name not in names and var not in used:
                    names[val.core.name] = var
                    used.add(var)
            self.value_names = names
        finally:
            _current.pop()

    def declare_in(self, mb):
        if self.cpp_body_path is not None:
            # Raised when a workload uses the kernel, not at its definition: 0.1.0 programs
            # define every variant and run the ones they pick.
            file, line = self.loc or ("<unknown>", 0)
            raise ValueError(
                f"{file}:{line}: error: kernel '{self.name}': cpp_body_path '{self.cpp_body_path}' is a body of "
                f"PTO-ISA C++ for 0.1.0's custom-kernel wrapper (its task descriptor, pto::GlobalTensor, "
                f"pto_wsp::ptoisa::*), which this project's kernels do not compile against\n"
                f"help: write the kernel against abi/KernelAbi.h and declare it with "
                f"@kernel(source=..., cycles=...), or trace it with @kernel / @ptoisa_kernel")
        if self.source is not None:
            return mb.external_kernel(self.name, self._body, str(self.source), self.cycles, self.loc)
        return mb.kernel(self.name, self._body, self.loc)

    def __getitem__(self, axes):
        """0.1.0 style k[axes](name=view, ...): the axes are the enclosing loops."""
        return self

    def __call__(self, *args, **kwargs):
        from .workload import record_call
        return record_call(self, args, kwargs, caller())


def kernel(fn=None, *, name=None, source=None, cycles=None, cpp_body_path=None):
    """@kernel, or @kernel(source="k.cpp", cycles=expr) for an external C++ kernel
    (0.1.0's cpp_body_path= is accepted and refused when a workload uses the kernel)."""
    if fn is None:
        return lambda f: Kernel(f, name=name, source=source, cycles=cycles, cpp_body_path=cpp_body_path)
    return Kernel(fn, name=name)
