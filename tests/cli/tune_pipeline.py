#!/usr/bin/env python3
"""`ptowsp tune` on examples/pipeline, checked three independent ways:

1. the table is byte-identical for --threads 1 and --threads 2;
2. every point's total_cycles equals a separate `ptowsp run --dry-run` of the example
   with its schedule block edited here by text substitution (not by tune's writer), and
   the best row is the minimum of those runs;
3. the points examples/pipeline/README.md derives by hand ("What changes the cycles")
   have those values, and the best point is the README's task_window 4 variant.
Then --write-best writes a module whose dry run gives the best row's cycles, and
refuses to overwrite it without --force.

Usage: tune_pipeline.py PTOWSP SRC_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

ptowsp, src, work = sys.argv[1:4]
wsp = os.path.join(src, "examples", "pipeline", "pipeline.wsp")
os.makedirs(work, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, rc=0):
    p = subprocess.run([ptowsp] + args, capture_output=True, text=True)
    if p.returncode not in (rc if isinstance(rc, tuple) else (rc,)):
        sys.exit(f"{' '.join(args)}: exit {p.returncode}, expected {rc}\n{p.stdout}\n{p.stderr}")
    return p


VARY = ["--vary", "task_window=4,8", "--vary", "dispatch=round_robin,least_loaded", "--vary", "workers=1,2,4"]

# 1. Same table for any host thread count.
t1 = run(["tune", wsp] + VARY + ["--threads", "1"]).stdout
t2 = run(["tune", wsp] + VARY + ["--threads", "2"]).stdout
check(t1 == t2, "tune table differs between --threads 1 and --threads 2")
print(t1)
lines = t1.splitlines()
check(lines[0].startswith("pipeline: 12 schedule points (task_window x dispatch x workers)"), "header: " + lines[0])
head = next(i for i, l in enumerate(lines) if l.startswith("rank"))
check(lines[head].split() == ["rank", "task_window", "dispatch", "workers", "total_cycles", "stalls",
                              "stall_cycles", "util%", "pareto"], "columns: " + lines[head])
rows = [l.split() for l in lines[head + 1: head + 13]]
check([r[0] for r in rows] == [str(i) for i in range(1, 13)], "ranks 1..12")
cycles = [int(r[4]) for r in rows]
check(cycles == sorted(cycles), "rows sorted by total_cycles")

# 2. Independent single runs of every point.
points = json.loads(run(["tune", wsp] + VARY + ["--json", "--threads", "2"]).stdout)["points"]
check(len(points) == 12, "12 json points")
text = open(wsp).read()
independent = {}
for pt in points:
    k = pt["knobs"]
    edited = text.replace("dispatch least_loaded(workers = 4)",
                          f"dispatch {k['dispatch']}(workers = {k['workers']})")
    edited = edited.replace("module pipeline\n", "module pipeline_point\n")  # no golden cycle check
    edited = edited.replace("task_window 8 tasks stall", f"task_window {k['task_window']} tasks stall")
    assert edited.count(f"task_window {k['task_window']} tasks") == 1
    f = os.path.join(work, f"tune_point_{k['task_window']}_{k['dispatch']}_{k['workers']}.wsp")
    open(f, "w").write(edited)
    got = json.loads(run(["run", "--dry-run", "--json", f]).stdout)["total_cycles"]
    key = (k["task_window"], k["dispatch"], k["workers"])
    independent[key] = got
    check(got == pt["total_cycles"], f"point {key}: tune {pt['total_cycles']}, single dry run {got}")
best = points[0]
check(best["total_cycles"] == min(independent.values()), "the best row is the minimum of the single runs")

# 3. The README's hand-derived values (least_loaded).
readme = {(8, 4): 12918, (8, 2): 14088, (8, 1): 24332, (4, 4): 12558}
for (tw, w), want in readme.items():
    check(independent[(tw, "least_loaded", w)] == want, f"README value task_window {tw} workers {w}: {want}")
check(best["total_cycles"] == 12558 and best["knobs"]["task_window"] == 4,
      f"best is the README's task_window 4 variant (12558), got {best}")
check(rows[0][1] == "4" and int(rows[0][4]) == 12558 and rows[0][-1] == "*", "best row text: " + " ".join(rows[0]))
# The front: the best row is on it; a row with more cycles and no fewer resources is not.
for r in rows:
    dominated = any(int(o[4]) <= int(r[4]) and int(o[1]) <= int(r[1]) and int(o[3]) <= int(r[3]) and
                    (int(o[4]) < int(r[4]) or int(o[1]) < int(r[1]) or int(o[3]) < int(r[3])) for o in rows)
    check((r[-1] == "*") == (not dominated), "pareto mark of row " + " ".join(r))

# --write-best with a channel capacity axis: the file runs to the best row's cycles.
out = os.path.join(work, "tune_best.wsp")
if os.path.exists(out):
    os.remove(out)
vary2 = ["--vary", "task_window=4,8", "--vary", "workers=2,4", "--vary", "channel.l2c.capacity=1..2"]
r = run(["tune", wsp] + vary2 + ["--json", "--write-best", out])
best2 = json.loads(r.stdout)["points"][0]
# The written module keeps the name pipeline, so the run also compares with the README's
# cycles of the original schedule: exit 2 when the best differs from them.
got = json.loads(run(["run", "--dry-run", "--json", out], rc=(0, 2)).stdout)["total_cycles"]
check(got == best2["total_cycles"], f"--write-best file runs to {got}, table best {best2['total_cycles']}")
check(f"channel l2c capacity {best2['knobs']['channel.l2c.capacity']} latency 10" in open(out).read(),
      "written channel capacity")
again = run(["tune", wsp] + vary2 + ["--write-best", out], rc=1)
check("file exists" in again.stderr and "--force" in again.stderr, "refuses to overwrite: " + again.stderr)
run(["tune", wsp] + vary2 + ["--write-best", out, "--force"])

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("ok")
