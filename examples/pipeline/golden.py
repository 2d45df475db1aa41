"""numpy reference for pipeline: y = silu(x) = x / (1 + exp(-x)), in float64."""
import numpy as np

EXPECTED_CYCLES = 12918  # README.md
TOL = {"rtol": 1e-6, "atol": 1e-30}


def compute(a):
    x = a["X"].astype(np.float64)
    return {"Y": x / (1.0 + np.exp(-x))}
