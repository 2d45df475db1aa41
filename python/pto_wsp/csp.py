"""CSP constructs inside a @workload: channels, processes, send/consume, connect, replicate.

The 0.1.0 form builds a pipeline outside any @workload: Channel(...) and
process(...).body(for_each(...) | consume(...)) are recorded, and
connect([processes], [channels]) returns the Workload that declares the channels (depth =
capacity), the processes and their connections, traced once like any other."""
from . import workload as _w
from ._loc import caller


class Channel:
    """`channel NAME : task|index`; depth= sets its capacity (channel NAME capacity depth)."""

    def __init__(self, name, depth=None, elem=None, latency=0):
        self.name, self.depth, self.latency = name, depth, latency
        self.loc = caller()
        if _w._stack:
            self.elem = elem or "task"
            self.declare(self.loc)
        else:
            # 0.1.0 pipelines: tokens carry the sender's tile index.
            self.elem = elem or "index"

    def declare(self, loc=None):
        _w._emit(_w._Node("channel", loc or self.loc, name=self.name, elem=self.elem))
        self._declared = True


def _ch(c):
    return c.name if isinstance(c, Channel) else c


class _Process:
    def __init__(self, name, loc):
        self.name, self.loc, self._produces, self._consumes = name, loc, [], []

    def produces(self, *chs):
        self._produces += [_ch(c) for c in (chs[0] if len(chs) == 1 and isinstance(chs[0], list) else chs)]
        return self

    def consumes(self, *chs):
        self._consumes += [_ch(c) for c in (chs[0] if len(chs) == 1 and isinstance(chs[0], list) else chs)]
        return self

    def body(self, fn):
        if not _w._stack:
            # Outside a workload (0.1.0 form): traced when connect() builds the pipeline.
            self._thunk = fn.thunk if isinstance(fn, _Deferred) else fn
            if not callable(self._thunk):
                raise TypeError(f"process '{self.name}': body takes a function, for_each(...) or consume(...)")
            return self
        body = []
        _w._emit(_w._Node("process", self.loc, name=self.name, produces=self._produces,
                          consumes=self._consumes, body=body))
        _w._stack.append(body)
        try:
            fn()
        finally:
            _w._stack.pop()
        return self


def process(name):
    return _Process(name, caller())


class _Deferred:
    """for_each / consume called outside a workload: run when the process body is traced."""

    def __init__(self, thunk):
        self.thunk = thunk


def send(channel, what, *args, **kwargs):
    """send(ch, value) sends an index; send(ch, kernel, args...) sends the call's task."""
    from .kernel import Kernel
    loc = caller()
    if isinstance(what, Kernel):
        return _w.record_call(what, args, kwargs, loc, channel=_ch(channel))
    if isinstance(what, _w._Node) and what.kind == "call":
        # send(ch, task(k, [t], ...)) (0.1.0): the task is issued, then its tile index t
        # is sent; the consumer's reads of the task's outputs wait on it by data dependency.
        axes = getattr(what, "axes", None)
        if axes is None or len(axes) != 1:
            raise TypeError(f"send({_ch(channel)}, task(...)): the token is the task's one axis index; "
                            f"got {0 if axes is None else len(axes)} axes")
        _w._emit(_w._Node("send_value", loc, channel=_ch(channel), value=_w._expr(axes[0])))
        return what
    _w._emit(_w._Node("send_value", loc, channel=_ch(channel), value=_w._expr(what)))


def consume(channel, fn, name=None):
    """consume(ch, lambda i: ...): the body sees each token as a scalar variable."""
    import inspect
    from . import _core
    loc = caller()
    if not _w._stack:
        return _Deferred(lambda: consume(channel, fn, name))
    var = name or next(iter(inspect.signature(fn).parameters), "t")
    body = []
    _w._emit(_w._Node("consume", loc, channel=_ch(channel), var=var, body=body))
    _w._stack.append(body)
    try:
        fn(_core.var(var))
    finally:
        _w._stack.pop()


def connect(src, dst, via=None):
    """connect(src_process, dst_process, via=channel); lists connect each pair. Outside a
    workload, connect([processes], [channels]) (0.1.0) returns the pipeline's Workload."""
    loc = caller()
    if via is None and not _w._stack:
        return _pipeline(list(src), list(dst), loc)
    srcs = src if isinstance(src, list) else [src]
    dsts = dst if isinstance(dst, list) else [dst]
    for s in srcs:
        for d in dsts:
            _w._emit(_w._Node("connect", loc, channel=_ch(via), src=getattr(s, "name", s), dst=getattr(d, "name", d)))


def replicate(proc, n):
    _w._emit(_w._Node("replicate", caller(), process=getattr(proc, "name", proc), count=_w._expr(n)))


def _pipeline(procs, chans, loc):
    for p in procs:
        if not isinstance(p, _Process) or not hasattr(p, "_thunk"):
            raise TypeError(f"connect(processes, channels): {p!r} is not a process with a body")
    for c in chans:
        if not isinstance(c, Channel):
            raise TypeError(f"connect(processes, channels): {c!r} is not a Channel")

    def body():
        for c in chans:
            c.declare(c.loc)
        for p in procs:
            _w._emit(_w._Node("process", p.loc, name=p.name, produces=p._produces, consumes=p._consumes, body=[]))
            _w._stack.append(_w._tracing()[-1].body)
            try:
                p._thunk()
            finally:
                _w._stack.pop()
        for c in chans:
            for s in procs:
                for d in procs:
                    if c.name in s._produces and c.name in d._consumes:
                        _w._emit(_w._Node("connect", loc, channel=c.name, src=s.name, dst=d.name))

    wl = _w.Workload(body, "pipeline", None, (), {}, loc=loc)
    for c in chans:
        if c.depth is not None:
            wl._directive_at(loc, "channel_config", c.name, int(c.depth), int(c.latency))
    return wl


def for_each(axis, fn, name=None):
    """A sequential loop over axis calling fn(i) once (traced once)."""
    if not _w._stack:
        return _Deferred(lambda: for_each(axis, fn, name))
    if name is None:
        import inspect
        name = next(iter(inspect.signature(fn).parameters), "i")
    for i in _w.P.seq(axis, name=name):
        fn(i)


def task(kernel, axes, args):
    """A kernel call: task(k, axes, [views...]) or with a dict of named views."""
    loc = caller()
    if isinstance(args, dict):
        n = _w.record_call(kernel, (), args, loc)
    else:
        n = _w.record_call(kernel, tuple(args), {}, loc)
    n.axes = list(axes)
    return n
