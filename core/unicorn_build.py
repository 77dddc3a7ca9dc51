"""Our build of Unicorn: the pinned release with one patch (unicorn/cheriot-hook-executes.patch).

The patch lets the translator emit no code for the CHERIoT encodings our code hook executes
(capability instructions, CLC/CSC, AUIPCC, CSR accesses), so a translated block runs on after
the hook instead of ending at each of them (docs/design.md, "Block exits"). It is optional:
with the stock wheel the engine behaves the same, with one block exit per such instruction.

``scripts/build-unicorn`` builds it (the source distribution of the pinned release, checked
against its SHA-256, patched, built for RISC-V only with CMake) into the Python environment,
keyed by the patch's hash; ``prefer()`` points the Unicorn binding at it before Unicorn is
imported.
This module must not import Unicorn.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "2.1.4"  # the release pyproject.toml pins
SDIST_SHA256 = "00567a70e323f749b419cd86bee4f9115beab7ebba32194581c090cbb7c59cff"
PATCH = Path(__file__).parent / "unicorn" / "cheriot-hook-executes.patch"
LIBRARY = "libunicorn.so.2"
STOCK_VARIABLE = "CHERIOT_STOCK_UNICORN"  # set to 1 to run on the stock wheel
DIR_VARIABLE = "CHERIOT_UNICORN_DIR"       # where the build goes (default: in the .venv)


def build_dir() -> Path:
    """Beside the Unicorn wheel it patches: in the Python environment (the project's .venv),
    keyed by the release and the patch."""
    key = hashlib.sha256(VERSION.encode() + PATCH.read_bytes()).hexdigest()[:16]
    base = os.environ.get(DIR_VARIABLE) or str(Path(sys.prefix) / "lib")
    return Path(base) / f"cheriot-unicorn-{VERSION}-{key}"


def prefer() -> None:
    """Use our build if it exists (and nobody chose a library or the stock one explicitly)."""
    if os.environ.get("LIBUNICORN_PATH") or os.environ.get(STOCK_VARIABLE):
        return
    if "unicorn" in sys.modules:
        return  # too late: the binding has loaded its library
    try:
        directory = build_dir()
    except OSError:
        return
    if (directory / LIBRARY).exists():
        os.environ["LIBUNICORN_PATH"] = str(directory)


def build(jobs: int = 2) -> Path:
    """Download, check, patch and build; returns the directory holding the library."""
    target = build_dir()
    if (target / LIBRARY).exists():
        return target
    print(f"building Unicorn {VERSION} with the CHERIoT patch, once (about a minute)...",
          file=sys.stderr, flush=True)
    for tool in ("cmake", "make", "cc", "patch"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"building Unicorn needs {tool} (apt-get install cmake make gcc "
                               "patch)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", f"unicorn=={VERSION}", "-d", str(work)],
                       check=True)
        sdist = work / f"unicorn-{VERSION}.tar.gz"
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != SDIST_SHA256:
            raise RuntimeError(f"{sdist.name} has SHA-256 {digest}, expected {SDIST_SHA256}")
        with tarfile.open(sdist) as archive:
            archive.extractall(work, filter="data")
        source = work / f"unicorn-{VERSION}"
        subprocess.run(["patch", "-p1", "-s", "-i", str(PATCH)], cwd=source, check=True)
        out = source / "src" / "build"
        subprocess.run(["cmake", "-S", str(source / "src"), "-B", str(out),
                        "-DUNICORN_ARCH=riscv", "-DCMAKE_BUILD_TYPE=Release",
                        "-DUNICORN_BUILD_TESTS=OFF"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", str(out), "-j", str(jobs)], check=True,
                       stdout=subprocess.DEVNULL)
        staging = target.with_name(target.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        shutil.copy2(out / LIBRARY, staging / LIBRARY)
        staging.replace(target)
    return target
