import importlib.util
import os
import sys

import pytest

ROOT = os.environ.get("PTO_WSP_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = ["rmsnorm", "softmax", "bgemm", "pipeline", "moe", "attention", "flash_decode", "gate_mix", "llama_block"]


def load_example(name):
    """Imports examples/<name>/<name>_example.py (and its golden.py) as modules."""
    d = os.path.join(ROOT, "examples", name)
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    sys.path.insert(0, d)
    try:
        for mod in ("golden",):
            sys.modules.pop(mod, None)
        spec = importlib.util.spec_from_file_location(f"{name}_example", os.path.join(d, f"{name}_example.py"))
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        g = importlib.import_module("golden")
        return m, g
    finally:
        sys.path.remove(d)


@pytest.fixture
def root():
    return ROOT
