"""CSP constructs and schedule directives, printed as the .wsp text names them."""
import pytest

from pto_wsp import P, Dense, DispatchPolicy, DType, In, Out, TaskWindow, Tensor, Tile, WindowMode, kernel, pto, var, workload
from pto_wsp.csp import Channel, connect, consume, for_each, process, replicate, send, task

F32 = DType.F32
X = Tensor("X", shape=(64, 128), dtype=F32, role="input")
Y = Tensor("Y", shape=(64, 128), dtype=F32, role="output")


@kernel
def cp2(x: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
    t = pto.load(x)
    pto.store(y, t)


@workload(module="m")
def csp():
    c = Channel("c", elem="index")
    d = Channel("d")
    process("src").produces(c, d).body(lambda: for_each(Dense(4), lambda i: (send(c, i),
                                                                               send(d, cp2, X[i * 16, 0], Y[i * 16, 0]))))
    process("dst").consumes(c, d).body(lambda: consume(c, lambda j: task(cp2, [], [X[j * 16, 0], Y[j * 16, 0]])))
    connect("src", "dst", via=c)
    connect(["src"], ["dst"], via=d)
    replicate("dst", 2)


def test_csp_constructs():
    t = csp().text()
    for s in ("channel c : index", "channel d : task", "process src produces(c, d) {", "P.seq i in dense(4) {",
              "send c value i", "send d call cp2(", "process dst consumes(c, d) {", "consume c as j {",
              "connect src -> dst via c", "connect src -> dst via d", "replicate dst 2"):
        assert s in t, s


@pytest.mark.parametrize("policy,text", [
    (DispatchPolicy.round_robin(num_aicpus=4), "dispatch round_robin(workers = 4)"),
    (DispatchPolicy.least_loaded(workers=2), "dispatch least_loaded(workers = 2)"),
    (DispatchPolicy.hash(num_aicpus=3), "dispatch hash(workers = 3)"),
    (DispatchPolicy.affinity(var("i") % 2, num_aicpus=2), "dispatch custom(workers = 2) key i % 2"),
    (DispatchPolicy.custom(var("i"), workers=2), "dispatch custom(workers = 2) key i"),
])
def test_dispatch(policy, text):
    assert text in csp().dispatch(policy).text()


def test_schedule_directives():
    t = (csp().dispatch("round_robin", workers=2).task_graph(window=TaskWindow(8, "tasks", WindowMode.STALL))
         .channel_defaults(2, 0).channel("c", 4, 10).pool("tensormap", 64).streams(2).stream_by(var("i"))
         .timing(trace=1).text())
    for s in ("task_window 8 tasks stall", "channel_defaults capacity 2 latency 0", "channel c capacity 4 latency 10",
              "pool tensormap 64", "streams 2", "stream_by i", "timing(trace = 1)"):
        assert s in t, s
