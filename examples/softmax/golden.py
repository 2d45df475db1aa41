"""numpy reference for softmax: exp(x - max) / sum(exp(x - max)) per row, in float64."""
import numpy as np

EXPECTED_CYCLES = 25198  # README.md
TOL = {"rtol": 5e-5, "atol": 0.0}


def compute(a):
    x = a["X"].astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return {"Y": e / e.sum(axis=1, keepdims=True)}
