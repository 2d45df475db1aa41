"""Ctrl-C during a run: execute()/synchronize() and dry_run() raise KeyboardInterrupt as
soon as the run stopped (Program::cancel: nothing more is issued), and the Program stays
usable. The runs below would take minutes to finish: only cancellation ends them early."""
import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from pto_wsp import P, DenseDyn, DType, In, Out, Tensor, Tile, kernel, pto, symbol, workload

F32 = DType.F32


@kernel
def copy(x: In[Tile[1, 8, F32]], y: Out[Tile[1, 8, F32]]):
    pto.store(y, pto.load(x))


X = Tensor("X", shape=(1, 8), dtype=F32, role="input")
Y = Tensor("Y", shape=(1, 8), dtype=F32, role="output")
N = symbol("N", 4)


@workload(module="longrun")
def many():
    for i in P.seq(DenseDyn(N)):
        copy(X[0, 0], Y[0, 0])


@pytest.fixture(scope="module")
def prog():
    p = many().task_window(64).compile(target="cpu_sim")
    x, y = np.ones((1, 8), np.float32), np.zeros((1, 8), np.float32)
    p.bind("X", x)
    p.bind("Y", y)
    p._keep = (x, y)
    return p


def _sigint_after(seconds):
    t = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    t.start()
    return t


def test_ctrl_c_stops_a_dry_run(prog):
    prog.set_symbol("N", 4)
    small = prog.dry_run().total_cycles
    prog.set_symbol("N", 10**12)  # far beyond any test timeout
    t = _sigint_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        prog.dry_run()
    t.join()
    # The interrupted run published nothing; the next run is a normal one.
    assert prog.stats.total_cycles == small
    prog.set_symbol("N", 4)
    assert prog.dry_run().total_cycles == small


def test_ctrl_c_stops_execute_synchronize(prog):
    prog.set_symbol("N", 10**12)
    prog.execute()
    t = _sigint_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        prog.synchronize()
    t.join()
    prog.set_symbol("N", 4)
    prog.execute()
    prog.synchronize()
    assert prog.stats.tasks == 4


def test_ctrl_c_from_another_process(tmp_path):
    """SIGINT sent by a parent, as a terminal's Ctrl-C would: the child exits with
    KeyboardInterrupt instead of running on."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        import test_interrupt as t
        p = t.many().compile(target="cpu_sim")
        p.set_symbol("N", 10**12)
        print("running", flush=True)
        p.dry_run()
    """))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=dict(os.environ))
    assert child.stdout.readline().strip() == "running"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode != 0
    assert "KeyboardInterrupt" in err
