"""numpy reference for attention: softmax(q k^T / 8) v per head in float64, with the
kernel's two f16 roundings (probabilities, output)."""
import numpy as np

EXPECTED_CYCLES = 11164  # README.md
TOL = {"rtol": 2e-3, "atol": 2e-4}


def compute(a):
    q, k, v = (a[n].astype(np.float64) for n in ("Q", "K", "V"))
    s = q @ k.transpose(0, 2, 1) / 8.0
    e = np.exp(s - s.max(axis=2, keepdims=True))
    p = (e / e.sum(axis=2, keepdims=True)).astype(np.float16).astype(np.float64)
    return {"O": (p @ v).astype(np.float16)}
