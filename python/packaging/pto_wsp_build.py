"""PEP 517 build backend for `pip install .`: builds the pto_wsp package with CMake and
packs what `cmake --install --component python` installs into a wheel. Standard library
only and no build requirements, so pip needs no network (pyproject.toml, docs/python.md).

PTO_WSP_BUILD_DIR names an existing, configured build tree to reuse (only the Python
targets are built); otherwise the tree is build/pip (Release, no tests or benchmarks)."""
import base64
import hashlib
import os
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

NAME = "pto_wsp"
VERSION = "0.2.0"


def _source_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(cmd):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def _install_tree(prefix):
    src = _source_dir()
    build = os.environ.get("PTO_WSP_BUILD_DIR")
    if not build:
        build = os.path.join(src, "build", "pip")
        _run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
              "-DPTO_WSP_BUILD_TESTS=OFF", "-DPTO_WSP_BUILD_BENCH=OFF", f"-DPython3_EXECUTABLE={sys.executable}"])
    _run(["cmake", "--build", build, "--target", "pto_wsp_python", "-j", str(os.cpu_count() or 2)])
    _run(["cmake", "--install", build, "--prefix", prefix, "--component", "python"])
    for root, dirs, _ in os.walk(prefix):
        if NAME in dirs and os.path.isfile(os.path.join(root, NAME, "__init__.py")):
            return root
    raise RuntimeError(f"cmake --install put no {NAME} package under {prefix}")


def _tag():
    impl = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Python authoring for PTO-WSP (workload-schedule compiler and runtime)\n"
            "Requires-Python: >=3.10\nRequires-Dist: numpy\n")


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = f"{NAME}-{VERSION}.dist-info"
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as f:
        f.write(_metadata())
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    tag = _tag()
    wheel = f"{NAME}-{VERSION}-{tag}.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    record = []

    def add(z, arc, data):
        z.writestr(arc, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")

    with tempfile.TemporaryDirectory() as prefix:
        site = _install_tree(prefix)
        with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
            for root, _, files in os.walk(os.path.join(site, NAME)):
                for fn in sorted(files):
                    path = os.path.join(root, fn)
                    with open(path, "rb") as f:
                        add(z, os.path.relpath(path, site).replace(os.sep, "/"), f.read())
            add(z, f"{info}/METADATA", _metadata().encode())
            add(z, f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: pto_wsp_build\nRoot-Is-Purelib: false\n"
                                   f"Tag: {tag}\n".encode())
            record.append(f"{info}/RECORD,,")
            z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel
