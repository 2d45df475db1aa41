"""@workload: a Python function traced once into a tree of loops, calls, conditions and CSP
statements, then replayed through the C++ WorkloadBuilder (loops are recorded, never
unrolled). Tensors, symbols and slots are declared in the order they were created."""
import itertools
import linecache
import re

from . import _core
from ._loc import caller, caller_frame
from .kernel import Kernel
from .types import dtype_name

_order = itertools.count()
_stack = []  # body lists of the workload being traced
_used = None  # {"tensors": {}, "kernels": {}, "symbols": {}, "slots": {}} of the trace


def _tracing():
    if not _stack:
        raise RuntimeError("this construct is only valid inside a @workload function being traced")
    return _stack[-1]


def _emit(node):
    _tracing().append(node)
    return node


def _use(kind, obj):
    if _used is not None:
        _used[kind].setdefault(id(obj), obj)


def _expr(x):
    if isinstance(x, (Symbol, Slot)):
        _use("symbols" if isinstance(x, Symbol) else "slots", x)
        return x.expr
    return x


# ------------------------------------------------------------------ symbols and slots
class _Named:
    def __init__(self, name):
        self.name, self.loc, self.order = name, caller(), next(_order)

    # ScalarExpr operators: build IR expressions.
    def _e(self):
        _use("symbols" if isinstance(self, Symbol) else "slots", self)
        return self.expr

    def __add__(self, o): return self._e() + _expr(o)
    def __radd__(self, o): return _expr(o) + self._e()
    def __sub__(self, o): return self._e() - _expr(o)
    def __rsub__(self, o): return _expr(o) - self._e()
    def __mul__(self, o): return self._e() * _expr(o)
    def __rmul__(self, o): return _expr(o) * self._e()
    def __floordiv__(self, o): return self._e() // _expr(o)
    def __truediv__(self, o): return self._e() / _expr(o)
    def __mod__(self, o): return self._e() % _expr(o)
    def __lt__(self, o): return self._e() < _expr(o)
    def __le__(self, o): return self._e() <= _expr(o)
    def __gt__(self, o): return self._e() > _expr(o)
    def __ge__(self, o): return self._e() >= _expr(o)
    def __eq__(self, o): return self._e() == _expr(o)
    def __ne__(self, o): return self._e() != _expr(o)
    __hash__ = object.__hash__


class Symbol(_Named):
    """A runtime-settable integer (`symbol NAME = default`): Program.set_symbol_u64 changes it."""

    def __init__(self, name, default=None):
        super().__init__(name)
        self.default, self.expr = default, _core.symbol_ref(name)


class Slot(_Named):
    """A u64 runtime slot ($name), written by slot_load/slot_set, read in conditions."""

    def __init__(self, name, init=0):
        super().__init__(name)
        self.init, self.expr = init, _core.slot_ref(name)


def symbol(name, default=None):
    return Symbol(name, default)


def slot(name, init=0):
    return Slot(name, init)


_slot_u64 = {}


def slot_u64(i):
    """0.1.0 spelling: runtime slot number i (the slot named `slot<i>`)."""
    if i not in _slot_u64:
        _slot_u64[i] = Slot(f"slot{i}")
    return _slot_u64[i]


# ------------------------------------------------------------------ axes
class _AxisFactory:
    """Dense[n]() and Dense(n) both give a dense axis of extent n."""

    def __init__(self, make):
        self._make = make

    def __getitem__(self, n):
        return lambda: self._make(n)

    def __call__(self, *a):
        return self._make(*a)


def _var_name(v):
    return v if isinstance(v, str) else str(v)


def _tensor_name(t):
    if isinstance(t, Tensor):
        _use("tensors", t)
        return t.name
    return t


Dense = _AxisFactory(lambda n: _core.Axis.dense(int(n)))
DenseDyn = _AxisFactory(lambda e: _core.Axis.dense_dyn(_expr(e)))
Ragged = _AxisFactory(lambda outer, lengths: _core.Axis.ragged(_var_name(outer), _tensor_name(lengths)))
Sparse = _AxisFactory(lambda outer, indptr, indices: _core.Axis.sparse(
    _var_name(outer), _tensor_name(indptr), _tensor_name(indices)))


# ------------------------------------------------------------------ tensors and views
class Tensor:
    """A global tensor. With `data` (a numpy array) it is bound in place at compile();
    role defaults to "inout" with data and "temp" without."""

    def __init__(self, name=None, data=None, shape=None, dtype=None, role=None):
        self.order = next(_order)
        self.loc = caller()
        self.name = name or f"T{self.order}"
        self.data = data
        if shape is None:
            if data is None:
                raise ValueError(f"tensor '{self.name}': give shape= or data=")
            shape = data.shape
        self.shape = tuple(shape)
        if dtype is None:
            if data is None:
                raise ValueError(f"tensor '{self.name}': give dtype= or data=")
            dtype = {"float16": "f16", "float32": "f32", "float64": "f64", "int8": "i8", "int16": "i16",
                     "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32",
                     "uint64": "u64", "bool": "bool"}[str(data.dtype)]
        self.dtype = dtype_name(dtype)
        self.role = role or ("inout" if data is not None else "temp")
        self.strides = _layout_of(self.name, data, self.shape)

    def __getitem__(self, key):
        return TensorView(self, ())[key]

    def view(self, offsets, rows, cols):
        return TensorView(self, tuple(offsets), rows, cols)

    @property
    def T(self):
        return TensorView(self, ()).T


def _size(s):
    start = 0 if s.start is None else s.start
    if s.stop is None:
        raise ValueError("a slice needs an end: X[a : a + 16]")
    n = _core.const_diff(_expr(s.stop), _expr(start))
    if n is None:
        d = _core.Expr(_expr(s.stop)) - _expr(start)
        raise ValueError(f"slice size '{d}' is not a constant; help: write X[a : a + 16] or X.view(offsets, rows, cols)")
    return start, n


def _layout_of(name, data, shape):
    """Element strides of a strided (not C-contiguous) array bound in place, else None
    (row-major). The array's memory is used as it is: a view such as a transpose or a
    slice of a larger array keeps writing into that array."""
    if data is None or not hasattr(data, "strides") or data.flags["C_CONTIGUOUS"]:
        return None
    if tuple(data.shape) != tuple(shape):
        raise ValueError(f"tensor '{name}': shape {tuple(shape)} differs from its strided array's shape "
                         f"{tuple(data.shape)}; help: give the array's own shape (a strided array is used in place)")
    out = []
    for n, st in zip(data.shape, data.strides):
        if n > 1 and (st <= 0 or st % data.itemsize):
            raise ValueError(f"tensor '{name}': array strides {data.strides} (bytes) are not positive multiples "
                             f"of its {data.itemsize}-byte elements; help: pass numpy.ascontiguousarray(a)")
        out.append(st // data.itemsize if n > 1 else 1)
    return out


class TensorView:
    """Offsets into a tensor (X[i], X[b][h], X[a:a+16, 0:128]). Without slices on the last
    two dims the tile shape comes from the kernel parameter it is passed to."""

    def __init__(self, tensor, offsets, rows=0, cols=0, transposed=False, sizes=()):
        self.tensor, self.offsets, self.rows, self.cols = tensor, offsets, rows, cols
        self.transposed, self.sizes = transposed, sizes

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        offs, sizes = list(self.offsets), list(self.sizes)
        for k in key:
            if isinstance(k, slice):
                start, n = _size(k)
                offs.append(_expr(start))
                sizes.append(n)
            else:
                offs.append(_expr(k))
                sizes.append(None)
        if len(offs) > len(self.tensor.shape):
            raise IndexError(f"tensor '{self.tensor.name}' has {len(self.tensor.shape)} dims, indexed with {len(offs)}")
        return TensorView(self.tensor, tuple(offs), self.rows, self.cols, self.transposed, tuple(sizes))

    @property
    def T(self):
        v = TensorView(self.tensor, self.offsets, self.rows, self.cols, not self.transposed, self.sizes)
        return v

    def shape(self, rows, cols):
        return TensorView(self.tensor, self.offsets, rows, cols, self.transposed, self.sizes)

    def _core(self, tref, loc):
        nd = len(self.tensor.shape)
        offs = list(self.offsets) + [0] * (nd - len(self.offsets))
        sizes = list(self.sizes) + [None] * (nd - len(self.sizes))
        rows, cols = self.rows, self.cols
        if not rows and nd >= 2 and sizes[-2] is not None and sizes[-1] is not None:
            rows, cols = sizes[-2], sizes[-1]
        if not self.transposed:
            return tref.at(offs, rows, cols, loc)
        # rows x cols is the region in memory; the IR view holds the tile it reads (cols x rows).
        return tref.at(offs, cols, rows, loc).T()


# ------------------------------------------------------------------ recorded statements
class _Node:
    def __init__(self, kind, loc, **kw):
        self.kind, self.loc = kind, loc
        self.__dict__.update(kw)


def _arg_view(x):
    if isinstance(x, Tensor):
        return TensorView(x, ())
    return x


def record_call(k, args, kwargs, loc, channel=None):
    if not _stack:
        raise RuntimeError(f"kernel '{k.name}' can only be called inside a @workload function")
    _use("kernels", k)
    names = [n for n, _ in k.params]
    if len(args) + len(kwargs) != len(names):
        given = len(args) + len(kwargs)
        raise TypeError(f"kernel '{k.name}' takes {len(names)} arguments ({', '.join(names)}), got {given}")
    bound = list(args) + [None] * (len(names) - len(args))
    for key, v in kwargs.items():
        if key not in names:
            raise TypeError(f"kernel '{k.name}' has no parameter '{key}' (parameters: {', '.join(names)})")
        bound[names.index(key)] = v
    bound = [_arg_view(a) for a in bound]
    for a in bound:
        if isinstance(a, TensorView):
            _use("tensors", a.tensor)
    bound = [a if isinstance(a, TensorView) else _expr(a) for a in bound]
    return _emit(_Node("send" if channel else "call", loc, kernel=k, args=bound, channel=channel))


def _loop_names(frame, n):
    """Loop variable names from the `for a, b in P(...)` line of the caller."""
    if frame is not None:
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        m = re.match(r"\s*for\s+\(?([\w\s,]+?)\)?\s+in\s", line)
        if m:
            names = [s.strip() for s in m.group(1).split(",") if s.strip()]
            if len(names) == n:
                return names
    return [f"i{next(_order)}" for _ in range(n)]


class _Loop:
    def __init__(self, kind, axes, names):
        self.kind, self.axes, self.names = kind, axes, names
        self.loc = caller()
        self.frame = caller_frame()

    def __iter__(self):
        names = self.names or _loop_names(self.frame, len(self.axes))
        specs = [(n, a) for n, a in zip(names, self.axes)]
        body = []
        _emit(_Node("loop", self.loc, loop=self.kind, specs=specs, body=body))
        _stack.append(body)
        vs = [_core.var(n) for n in names]
        try:
            yield vs[0] if len(vs) == 1 else tuple(vs)
        finally:
            if _stack and _stack[-1] is body:
                _stack.pop()


class _When:
    def __init__(self, pred, loc, otherwise=False):
        self.pred, self.loc, self.otherwise = pred, loc, otherwise

    def __enter__(self):
        lst = _tracing()
        body = []
        if self.otherwise or self.pred is _ELIF:
            pass
        if self.otherwise:
            if not lst or lst[-1].kind != "cond" or lst[-1].otherwise is not None:
                raise SyntaxError("P.otherwise() must directly follow a P.when(...) block")
            lst[-1].otherwise = (body, self.loc)
        else:
            lst.append(_Node("cond", self.loc, branches=[(self.pred, body, self.loc)], otherwise=None))
        _stack.append(body)
        return self

    def __exit__(self, *exc):
        _stack.pop()
        return False


_ELIF = object()


class _PNamespace:
    """P(axis, ...): parallel loop; P.seq(axis): sequential; P.sel(axis): sparse selection;
    P.when(pred) / P.otherwise(): runtime conditions (with-blocks)."""

    def __call__(self, *axes, names=None):
        return _Loop("P", axes, names)

    def seq(self, axis, name=None):
        return _Loop("seq", (axis,), [name] if name else None)

    def sel(self, axis, name=None):
        return _Loop("sel", (axis,), [name] if name else None)

    def when(self, pred):
        return _When(_expr(pred), caller())

    def otherwise(self):
        return _When(None, caller(), otherwise=True)


P = _PNamespace()


class _Block:
    def __init__(self, kind):
        self.kind, self.loc = kind, caller()

    def __enter__(self):
        body = []
        _emit(_Node("block", self.loc, block=self.kind, body=body))
        _stack.append(body)

    def __exit__(self, *exc):
        _stack.pop()
        return False


def combine():
    return _Block("combine")


def sequential():
    return _Block("sequential")


def scope():
    return _Block("scope")


def slot_load(slot, view, row=0, col=0):
    """slot := view[row, col] (a tensor element read at run time)."""
    _use("slots", slot)
    _use("tensors", view.tensor)
    _emit(_Node("slot_load", caller(), slot=slot, view=_arg_view(view), row=_expr(row), col=_expr(col)))


def slot_load_u64(i, view, row=0, col=0):
    """0.1.0 spelling: slot_u64(i) := view[row, col]."""
    loc = caller()
    s = slot_u64(i)
    _use("slots", s)
    _use("tensors", view.tensor)
    _emit(_Node("slot_load", loc, slot=s, view=_arg_view(view), row=_expr(row), col=_expr(col)))


def slot_set(slot, value):
    _use("slots", slot)
    _emit(_Node("slot_set", caller(), slot=slot, value=_expr(value)))


# ------------------------------------------------------------------ replay
def _replay(nodes, wb, trefs):
    for n in nodes:
        k = n.kind
        if k == "loop":
            specs = [_core.var_in(name, axis, n.loc) for name, axis in n.specs]
            wb.loop(n.loop, specs, lambda w, b=n.body: _replay(b, w, trefs), n.loc)
        elif k in ("call", "send"):
            args = [_core.Arg.view(a._core(trefs[a.tensor.name], n.loc)) if isinstance(a, TensorView)
                    else _core.Arg.value(a) for a in n.args]
            if k == "call":
                wb.call(n.kernel.ref, args, n.loc)
            else:
                wb.send(n.channel, n.kernel.ref, args, n.loc)
        elif k == "cond":
            br = [(p, (lambda w, b=b: _replay(b, w, trefs)), loc) for p, b, loc in n.branches]
            ow = None
            if n.otherwise is not None:
                ob, oloc = n.otherwise
                ow = ((lambda w, b=ob: _replay(b, w, trefs)), oloc)
            wb.cond(br, ow)
        elif k == "block":
            wb.block(n.block, lambda w, b=n.body: _replay(b, w, trefs), n.loc)
        elif k == "slot_load":
            v = n.view._core(trefs[n.view.tensor.name], n.loc)
            wb.slot_load(n.slot.expr, v, n.row, n.col, n.loc)
        elif k == "slot_set":
            wb.slot_set(n.slot.expr, n.value, n.loc)
        elif k == "channel":
            wb.channel(n.name, n.elem, n.loc)
        elif k == "process":
            wb.process(n.name, n.produces, n.consumes, lambda w, b=n.body: _replay(b, w, trefs), n.loc)
        elif k == "send_value":
            wb.send_value(n.channel, n.value, n.loc)
        elif k == "consume":
            wb.consume(n.channel, n.var, lambda w, b=n.body: _replay(b, w, trefs), n.loc)
        elif k == "connect":
            wb.connect(n.channel, n.src, n.dst, n.loc)
        elif k == "replicate":
            wb.replicate(n.process, n.count, n.loc)
        else:
            raise AssertionError(f"internal: unknown node {k}")


class Workload:
    """A traced workload plus its schedule; .compile() gives a Program."""

    def __init__(self, fn, name, module, args, kwargs, loc=None):
        global _used
        self.name, self.module_name = name, module or name
        self.loc = loc or caller()
        self.schedule = []
        prev_used, _used = _used, {"tensors": {}, "kernels": {}, "symbols": {}, "slots": {}}
        self.body = []
        _stack.append(self.body)
        try:
            fn(*args, **kwargs)
        finally:
            _stack.clear()
            self.used, _used = _used, prev_used

    def _directive(self, name, *args):
        self.schedule.append((name, args, caller()))
        return self

    def _directive_at(self, loc, name, *args):
        self.schedule.append((name, args, loc))
        return self

    def build(self):
        """The IR module (pto_wsp._core.Module) this workload and its schedule describe."""
        mb = _core.ModuleBuilder(self.module_name, self.loc)
        by_order = lambda d: sorted(d.values(), key=lambda o: o.order)
        for s in by_order(self.used["symbols"]):
            mb.symbol(s.name, s.default, s.loc)
        for s in by_order(self.used["slots"]):
            mb.slot(s.name, s.init, s.loc)
        trefs = {}
        for t in by_order(self.used["tensors"]):
            trefs[t.name] = mb.tensor(t.name, [_expr(d) for d in t.shape], t.dtype, t.role, t.loc)
            if t.strides is not None:
                trefs[t.name].strides(t.strides)
        kernels = by_order(self.used["kernels"])
        for k in kernels:
            k.ref = k.declare_in(mb)
        wb = mb.workload(self.name, self.loc)
        _replay(self.body, wb, trefs)
        for name, args, loc in self.schedule:
            getattr(wb, name)(*args, loc)
        return mb.build({k.name: k.value_names for k in kernels})

    def text(self):
        return self.build().text()

    # ---- schedule directives (chain; kept in call order)
    def dispatch(self, policy, **params):
        from .schedule import DispatchPolicy, key_expr
        if isinstance(policy, DispatchPolicy):
            if policy.key is not None:
                return self._directive("dispatch_custom", _expr(key_expr(policy.key)), policy.params)
            return self._directive("dispatch", policy.name, policy.params)
        return self._directive("dispatch", policy, {k: _expr(v) for k, v in params.items()})

    def task_graph(self, window=None):
        if window is not None:
            self.task_window(window.size, window.unit, window.mode)
        return self

    def task_window(self, n, unit="tasks", mode="stall"):
        return self._directive("task_window", int(n), unit, getattr(mode, "value", mode))

    def channel_defaults(self, capacity, latency=0):
        return self._directive("channel_defaults", capacity, latency)

    def channel(self, name, capacity, latency=0):
        return self._directive("channel_config", getattr(name, "name", name), capacity, latency)

    def pool(self, resource, size):
        return self._directive("pool", resource, size)

    def streams(self, n):
        return self._directive("streams", n)

    def stream_by(self, key):
        from .schedule import key_expr
        return self._directive("stream_by", _expr(key_expr(key)))

    def timing(self, **params):
        return self._directive("timing", {k: _expr(v) for k, v in params.items()})

    def compile(self, target="cpu_sim", arch="", cache_dir="", source_dir=""):
        from .program import Program
        return Program(self, target, arch or "", cache_dir, source_dir, caller())


def workload(fn=None, *, name=None, module=None):
    """@workload: calling the function traces it once and returns a Workload."""
    def wrap(f):
        def traced(*args, **kwargs):
            return Workload(f, name or f.__name__, module, args, kwargs)
        traced.__name__ = f.__name__
        traced.__doc__ = f.__doc__
        return traced
    return wrap(fn) if fn is not None else wrap
