"""Schedule objects of the 0.1.0 surface: DispatchPolicy, TaskWindow, WindowMode."""
import enum


class WindowMode(enum.Enum):
    STALL = "stall"
    ABORT = "abort"
    BENCHMARK = "benchmark"


class TaskWindow:
    def __init__(self, size, unit="tasks", mode=WindowMode.STALL):
        self.size, self.unit = int(size), unit
        self.mode = getattr(mode, "value", mode)


class DispatchPolicy:
    """dispatch <name>(workers = n): num_aicpus is the 0.1.0 name of `workers`."""

    def __init__(self, name, params, key=None):
        self.name, self.params, self.key = name, params, key

    @staticmethod
    def _p(num_aicpus, workers, extra=None):
        n = workers if workers is not None else num_aicpus
        d = {} if n is None else {"workers": n}
        d.update(extra or {})
        return d

    @classmethod
    def round_robin(cls, num_aicpus=None, workers=None):
        return cls("round_robin", cls._p(num_aicpus, workers))

    @classmethod
    def least_loaded(cls, num_aicpus=None, workers=None):
        return cls("least_loaded", cls._p(num_aicpus, workers))

    @classmethod
    def hash(cls, key=None, num_aicpus=None, workers=None):
        if key is not None:
            return cls("custom", cls._p(num_aicpus, workers), key=key)
        return cls("hash", cls._p(num_aicpus, workers))

    @classmethod
    def affinity(cls, key, num_aicpus=None, workers=None):
        return cls("custom", cls._p(num_aicpus, workers), key=key)

    @classmethod
    def custom(cls, key, num_aicpus=None, workers=None):
        return cls("custom", cls._p(num_aicpus, workers), key=key)


class _Task:
    """The task a 0.1.0 key function sees (`lambda t: t.get("b") % 2`): t.get(axis) and t[axis]
    are the loop variable of that name, so the traced key is an IR expression."""

    def get(self, axis, default=0):
        from ._core import var
        return var(str(axis))

    __getitem__ = get

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise TypeError(f"a dispatch/stream key function sees the task's loop variables only "
                        f"(t.get(\"b\")), not t.{name}")


def key_expr(key):
    """A key given as a function of the task is traced once into an expression."""
    return key(_Task()) if callable(key) else key
