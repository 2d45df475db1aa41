"""numpy reference for llama_block: one decoder block in float64 with the kernels' f16
roundings (normalised activations, q/k/v, probabilities, attention output, MLP activation,
Y) and H rounded to f32, as the kernels store it."""
import numpy as np

EPS = 1e-6
EXPECTED_CYCLES = 34238  # README.md
TOL = {"rtol": 2e-3, "atol": 2e-3}


def f16(x):
    return x.astype(np.float16).astype(np.float64)


def prepare(a):
    """Weights scaled by 1/sqrt(fan_in), as a trained model's roughly are."""
    for n in ("Wq", "Wk", "Wv", "Wo", "Wg", "Wu"):
        a[n] = a[n] / np.sqrt(128.0)
    a["Wd"] = a["Wd"] / np.sqrt(256.0)


def causal_mask():
    i = np.arange(128)
    return np.where(i[None, :] <= i[:, None], 0.0, -np.inf).astype(np.float32)


def _rms(x, w):
    return f16(x / np.sqrt((x * x).mean(axis=1, keepdims=True) + EPS) * w)


def compute(a):
    g = {k: v.astype(np.float64) for k, v in a.items()}
    x = g["X"]
    xn = _rms(x, g["Wn1"])
    q, k, v = (f16(xn @ g[n]) for n in ("Wq", "Wk", "Wv"))
    att = np.zeros_like(x)
    for hd in range(2):
        c = slice(hd * 64, hd * 64 + 64)
        s = q[:, c] @ k[:, c].T / 8.0 + g["Mask"]
        e = np.exp(s - s.max(axis=1, keepdims=True))
        att[:, c] = f16(e / e.sum(axis=1, keepdims=True)) @ v[:, c]
    att = f16(att)
    h = (att @ g["Wo"] + x).astype(np.float32).astype(np.float64)
    hn = _rms(h, g["Wn2"])
    gt, u = hn @ g["Wg"], hn @ g["Wu"]
    act = f16(gt / (1 + np.exp(-gt)) * u)
    return {"Y": (h + act @ g["Wd"]).astype(np.float16)}
