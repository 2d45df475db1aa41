"""CSP constructs inside a @workload: channels, processes, send/consume, connect, replicate."""
from . import workload as _w
from ._loc import caller


class Channel:
    """`channel NAME : task|index`; depth= sets its capacity (channel NAME capacity depth)."""

    def __init__(self, name, depth=None, elem="task", latency=0):
        self.name, self.depth, self.elem, self.latency = name, depth, elem, latency
        self.loc = caller()
        if _w._stack:
            self.declare(self.loc)

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


def send(channel, what, *args, **kwargs):
    """send(ch, value) sends an index; send(ch, kernel, args...) sends the call's task."""
    from .kernel import Kernel
    loc = caller()
    if isinstance(what, Kernel):
        return _w.record_call(what, args, kwargs, loc, channel=_ch(channel))
    _w._emit(_w._Node("send_value", loc, channel=_ch(channel), value=_w._expr(what)))


def consume(channel, fn, name=None):
    """consume(ch, lambda i: ...): the body sees each token as a scalar variable."""
    import inspect
    from . import _core
    loc = caller()
    var = name or next(iter(inspect.signature(fn).parameters), "t")
    body = []
    _w._emit(_w._Node("consume", loc, channel=_ch(channel), var=var, body=body))
    _w._stack.append(body)
    try:
        fn(_core.var(var))
    finally:
        _w._stack.pop()


def connect(src, dst, via):
    """connect(src_process, dst_process, via=channel); lists connect each pair."""
    loc = caller()
    srcs = src if isinstance(src, list) else [src]
    dsts = dst if isinstance(dst, list) else [dst]
    for s in srcs:
        for d in dsts:
            _w._emit(_w._Node("connect", loc, channel=_ch(via), src=getattr(s, "name", s), dst=getattr(d, "name", d)))


def replicate(proc, n):
    _w._emit(_w._Node("replicate", caller(), process=getattr(proc, "name", proc), count=_w._expr(n)))


def for_each(axis, fn, name=None):
    """A sequential loop over axis calling fn(i) once (traced once)."""
    for i in _w.P.seq(axis, name=name or "i"):
        fn(i)


def task(kernel, axes, args):
    """A kernel call: task(k, axes, [views...]) or with a dict of named views."""
    loc = caller()
    if isinstance(args, dict):
        return _w.record_call(kernel, (), args, loc)
    return _w.record_call(kernel, tuple(args), {}, loc)
