"""pto_wsp: Python authoring for PTO-WSP (docs/python.md). Every rule lives in the C++ core
(pto_wsp._core); this package traces @kernel and @workload functions once into the C++
builder and runs the result through Program."""
import os as _os

# An installed package carries the headers its generated kernels compile against; the
# build tree's copy uses the source tree's (the core's default).
_inc = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "include")
if not _os.environ.get("PTO_WSP_INCLUDE_DIR") and _os.path.isfile(_os.path.join(_inc, "pto/wsp/tile/TileLib.h")):
    _os.environ["PTO_WSP_INCLUDE_DIR"] = _inc

from . import _core
from . import csp
from . import pto
from . import ptoisa
from ._core import DeadlockError, Error, Expr, var
from .csp import Channel, connect, consume, for_each, process, replicate, send, task
from .kernel import Kernel, kernel
from .program import Program, Stats
from .ptoisa import ptoisa_kernel
from .schedule import DispatchPolicy, TaskWindow, WindowMode
from .types import DType, In, InOut, Out, Scalar, Tile
from .workload import (Dense, DenseDyn, P, Ragged, Slot, Sparse, Symbol, Tensor, TensorView, Workload, combine,
                       scope, sequential, slot, slot_load, slot_load_u64, slot_set, slot_u64, symbol, workload)


def parse_file(path):
    """The module of a .wsp file (unverified), for comparing with a traced workload."""
    return _core.parse_file(str(path))


__all__ = [n for n in dir() if not n.startswith("_")]
