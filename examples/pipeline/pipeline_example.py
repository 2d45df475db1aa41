"""A 3-stage CSP pipeline (load -> compute -> store) authored in Python with pto_wsp.csp:
the same module as pipeline.wsp."""
import os
import sys

sys.dont_write_bytecode = True  # keep examples/ free of __pycache__

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pyharness  # noqa: E402

pyharness.find_package()
import numpy as np  # noqa: E402
from pto_wsp import P, Dense, DispatchPolicy, DType, In, Out, Tensor, Tile, kernel, pto, workload  # noqa: E402
from pto_wsp.csp import Channel, connect, consume, process, replicate, send  # noqa: E402

F32 = DType.F32
X = Tensor("X", shape=(128, 128), dtype=F32, role="input")
Buf = Tensor("Buf", shape=(128, 128), dtype=F32, role="temp")
Res = Tensor("Res", shape=(128, 128), dtype=F32, role="temp")
Y = Tensor("Y", shape=(128, 128), dtype=F32, role="output")


@kernel
def load_tile(src: In[Tile[16, 128, F32]], dst: Out[Tile[16, 128, F32]]):
    t = pto.load(src)
    pto.store(dst, t)


@kernel
def compute(a: In[Tile[16, 128, F32]], b: Out[Tile[16, 128, F32]]):
    t = pto.load(a)
    s = pto.silu(t)
    pto.store(b, s)


@kernel
def store_tile(a: In[Tile[16, 128, F32]], y: Out[Tile[16, 128, F32]]):
    t = pto.load(a)
    pto.store(y, t)


@workload
def pipeline():
    l2c = Channel("l2c", elem="index")
    c2s = Channel("c2s", elem="index")

    def loader():
        for i in P.seq(Dense(8)):
            load_tile(X[i * 16, 0], Buf[i * 16, 0])
            send(l2c, i)

    def work(i):
        compute(Buf[i * 16, 0], Res[i * 16, 0])
        send(c2s, i)

    def store(i):
        store_tile(Res[i * 16, 0], Y[i * 16, 0])

    process("loader").produces(l2c).body(loader)
    process("worker").consumes(l2c).produces(c2s).body(lambda: consume(l2c, work, name="i"))
    process("storer").consumes(c2s).body(lambda: consume(c2s, store, name="i"))
    connect("loader", "worker", via=l2c)
    connect("worker", "storer", via=c2s)
    replicate("worker", 2)


def build():
    return (pipeline().dispatch(DispatchPolicy.least_loaded(workers=4)).task_window(8, "tasks", "stall")
            .channel_defaults(2, 0).channel("l2c", 2, 10).streams(2).timing(trace=1))


def inputs(rng):
    return {"X": rng.uniform(-4, 4, (128, 128)).astype(np.float32), "Y": np.zeros((128, 128), np.float32)}


def main():
    import golden
    arrays = inputs(np.random.default_rng(1))
    prog = build().compile(target="cpu_sim", arch="ascend910b")
    for name, a in arrays.items():
        prog.bind(name, a)
    prog.execute()
    prog.synchronize()
    pyharness.check("pipeline", {"Y": arrays["Y"]}, golden.compute(arrays), golden.TOL,
                    prog.stats.total_cycles, golden.EXPECTED_CYCLES)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
