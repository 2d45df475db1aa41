#!/usr/bin/python3
"""Warm `ptowsp run` of every example: CPU (user + sys from wait4, microsecond
accounting) and wall per run, best of REPS by CPU after one warm-up run per binary.

    bench/examples/warm_run.py PTOWSP [OTHER_PTOWSP]

With two binaries (e.g. main's and a branch's) their runs are interleaved one by one, so
both see the same machine load. Kernels go to $PTO_WSP_CACHE_DIR (warmed by the
warm-up run). Prints a markdown table (docs/performance.md, "Warm `ptowsp run` of the
examples")."""
import glob
import os
import sys
import time


def run(binary, wsp, env):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(binary, [binary, "run", wsp], env)
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter() - t0) * 1e3
    return os.waitstatus_to_exitcode(status), (usage.ru_utime + usage.ru_stime) * 1e3, wall


def main():
    binaries = [os.path.abspath(b) for b in sys.argv[1:3]]
    if not binaries:
        sys.exit(__doc__)
    reps = int(os.environ.get("REPS", "3"))
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    env = dict(os.environ)
    cols = ["CPU ms", "wall ms"]
    heads = [f"{c} ({i})" for c in cols for i in range(len(binaries))] if len(binaries) > 1 else cols
    print("| example | " + " | ".join(heads) + " | load |")
    print("|---|" + "---:|" * len(heads) + "---:|")
    for wsp in sorted(glob.glob("examples/*/*.wsp")):
        for b in binaries:
            rc = run(b, wsp, env)[0]
            if rc != 0:
                sys.exit(f"error: {b} run {wsp} exited with {rc}")
        results = [[] for _ in binaries]
        for _ in range(reps):
            for i, b in enumerate(binaries):
                results[i].append(run(b, wsp, env))
        best = [min(r, key=lambda x: x[1]) for r in results]
        cells = [f"{x[1]:.1f}" for x in best] + [f"{x[2]:.1f}" for x in best]
        load = open("/proc/loadavg").read().split()[0]
        print(f"| {os.path.basename(wsp)[:-4]} | " + " | ".join(cells) + f" | {load} |", flush=True)


if __name__ == "__main__":
    main()
