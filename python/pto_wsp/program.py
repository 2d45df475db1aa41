"""Program: a compiled workload (the C++ Program), with numpy arrays bound in place."""
from . import _core


class Stats:
    """Run statistics; usable as an attribute or called (program.stats or program.stats())."""

    def __init__(self, d, text):
        self._d, self._text = d, text
        self.total_cycles = d.get("total_cycles", 0)
        self.tasks = d.get("tasks", 0)
        self.stalls = d.get("stalls", {})
        self.workers = d.get("workers", [])

    def __call__(self):
        return self

    def __getitem__(self, k):
        return self._d[k]

    def to_dict(self):
        return dict(self._d)

    def __str__(self):
        return self._text


class Program:
    def __init__(self, wl, target, arch, cache_dir, source_dir, loc):
        self.workload = wl
        self.module = wl.build()
        self._p = _core.Program.compile(self.module, target, arch, wl.name, str(cache_dir), str(source_dir), loc)
        self._tensors = {t.name: t for t in wl.used["tensors"].values()}
        for t in self._tensors.values():
            if t.data is not None:
                self._p.bind(t.name, t.data, t.loc)

    def bind(self, name, array):
        """Binds `array` (C-contiguous, the tensor's dtype) in place; outputs land in it."""
        from ._loc import caller
        self._p.bind(name, array, caller())

    # 0.1.0's runtime symbol for the channel latency; here latency is part of the
    # schedule (channel_defaults / channel / Channel(latency=)), fixed at compile().
    _LATENCY_SYMBOL = "__pto_wsp_channel_latency_cycles"

    def set_symbol(self, name, value):
        from ._loc import caller
        name = getattr(name, "name", name)
        if name == self._LATENCY_SYMBOL:
            return self._check_latency(int(value), caller())
        self._p.set_symbol(name, int(value), caller())

    def _check_latency(self, value, loc):
        lat = {0}
        for d, args, _ in self.workload.schedule:
            if d == "channel_defaults":
                lat = {int(args[1])}
        lat |= {int(args[2]) for d, args, _ in self.workload.schedule if d == "channel_config"}
        if lat != {value}:
            where = f"{loc[0]}:{loc[1]}: " if loc else ""
            raise _core.Error(f"{where}error: {self._LATENCY_SYMBOL} = {value}, but this program's channels were "
                              f"compiled with latency {sorted(lat)}\nhelp: channel latency is a schedule directive: "
                              f".channel_defaults(capacity, latency={value}) or Channel(name, latency={value}), "
                              f"then compile()")

    set_symbol_u64 = set_symbol

    def set_slot(self, name, value):
        from ._loc import caller
        self._p.set_slot(getattr(name, "name", name), int(value), caller())

    def slot(self, name):
        from ._loc import caller
        return self._p.slot(getattr(name, "name", name), caller())

    def set_threads(self, n):
        self._p.set_threads(n)

    def execute(self):
        """Starts the run; synchronize() waits (Ctrl-C interrupts the wait cleanly)."""
        self._p.execute()
        self._running = True
        return self

    def synchronize(self):
        if getattr(self, "_running", False):
            self._running = False
            self._p.synchronize()
        return self

    def cancel(self):
        """Stops the run in flight (from another thread): synchronize() / dry_run() then
        raise KeyboardInterrupt on Ctrl-C, RuntimeError("the run was cancelled") otherwise."""
        self._p.cancel()

    def run(self):
        return self.execute().synchronize().stats

    def dry_run(self):
        self._p.dry_run()
        return self.stats

    @property
    def stats(self):
        return Stats(self._p.stats(), self._p.stats_text())

    def trace(self, path):
        """The following runs stream their Chrome/Perfetto trace to `path`."""
        self._p.trace(str(path))

    @property
    def warnings(self):
        return self._p.warnings()

    @property
    def package_dir(self):
        return self._p.package_dir
