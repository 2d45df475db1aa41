"""`cmake --install` installs the package: imported from a temporary prefix by Debian's
python3 (no PYTHONPATH), it compiles and runs a workload."""
import os
import subprocess
import sys

import pytest

BUILD = os.environ.get("PTO_WSP_BUILD_DIR")


@pytest.mark.skipif(not BUILD, reason="PTO_WSP_BUILD_DIR (the build tree) is not set")
def test_cmake_install_into_a_prefix(tmp_path):
    prefix = tmp_path / "prefix"
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix), "--component", "python"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    site = prefix / "lib" / f"python3.{sys.version_info[1]}" / "dist-packages"
    assert (site / "pto_wsp" / "__init__.py").is_file()
    code = (
        "import numpy as np, pto_wsp\n"
        "from pto_wsp import P, Dense, DType, In, Out, Tensor, Tile, kernel, pto, workload\n"
        "F32 = DType.F32\n"
        "@kernel\n"
        "def inc(x: In[Tile[4, 8, F32]], y: Out[Tile[4, 8, F32]]):\n"
        "    pto.store(y, pto.add(pto.load(x), 1.0))\n"
        "x = np.arange(64, dtype=np.float32).reshape(8, 8); y = np.zeros_like(x)\n"
        "X = Tensor('X', data=x, role='input'); Y = Tensor('Y', data=y, role='output')\n"
        "@workload\n"
        "def w():\n"
        "    for i in P(Dense(2)):\n"
        "        inc(X[i * 4, 0], Y[i * 4, 0])\n"
        "p = w().compile(target='cpu_sim'); p.execute(); p.synchronize()\n"
        "assert (y == x + 1).all(), y\n"
        "import os; assert os.environ[\"PTO_WSP_INCLUDE_DIR\"].startswith(os.path.dirname(pto_wsp.__file__)), os.environ\n"
        "print(pto_wsp.__file__, p.stats.total_cycles)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    env["PTO_WSP_CACHE_DIR"] = str(tmp_path / "cache")
    r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(str(site)), r.stdout


@pytest.mark.skipif(not BUILD, reason="PTO_WSP_BUILD_DIR (the build tree) is not set")
def test_pip_install_offline(tmp_path):
    """`pip install .` with no package index (the in-tree backend needs nothing), reusing
    the build tree; the installed copy imports and runs."""
    src = os.environ.get("PTO_WSP_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    if subprocess.run(["/usr/bin/python3", "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip("Debian's python3-pip is not installed (cmake --install is the way then)")
    target = tmp_path / "site"
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PTO_WSP_BUILD_DIR=BUILD)
    env.pop("PYTHONPATH", None)
    r = subprocess.run(["/usr/bin/python3", "-m", "pip", "install", "--no-index", "--no-deps", "--target",
                        str(target), src], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PTO_WSP_INCLUDE_DIR")}
    env["PYTHONPATH"] = str(target)
    r = subprocess.run(["/usr/bin/python3", "-c", "import os, pto_wsp; print(pto_wsp.__file__); "
                        "print(os.environ['PTO_WSP_INCLUDE_DIR'])"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    mod, inc = r.stdout.split()
    assert mod.startswith(str(target)) and inc.startswith(str(target))
