"""`python -m dlcourse doctor`: is this computer ready for the course?

It checks one computer and never downloads anything: Python, torch, torchvision, the
device, the data root (and that it is writable), what is in it (and that Fashion-MNIST is
whole), the pretrained-weight cache (torch.hub's checkpoints folder) and the Jupyter kernel. Each
check gives a status: "ok", "note" (optional, fine to go on) or "FAIL" (with advice); any FAIL
makes the exit status 1. `Check` and `report` are shared with the room server's doctor
(dlcourse.workshop.hub.room_doctor).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import dlcourse

MIN_PYTHON = (3, 11)
KERNEL = "python3"  # the kernel every course notebook asks for


class Check(NamedTuple):
    """One line of the doctor's report."""

    name: str
    status: str  # "ok", "note" or "FAIL"
    detail: str
    advice: str = ""


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def check_python() -> Check:
    """Python must be 3.11 or newer (the oldest the course was run on)."""
    version = platform.python_version()
    if sys.version_info[:2] < MIN_PYTHON:
        return Check("Python", "FAIL", f"{version} ({sys.executable})",
                     "the course needs Python 3.11 or newer: install one and run `make venv` with it")
    return Check("Python", "ok", f"{version} ({sys.executable})")


def check_dlcourse() -> Check:
    """Which dlcourse is imported, and from where."""
    return Check("dlcourse", "ok", f"{dlcourse.__version__} ({Path(dlcourse.__file__).parent})")


def check_import(module: str) -> Check:
    """A package imports, and its version."""
    try:
        mod = __import__(module)
    except Exception as exc:  # ImportError, or a broken install raising something else
        return Check(module, "FAIL", f"cannot import: {type(exc).__name__}: {exc}",
                     "install the course's environment: `make venv` (or `pip install -e .` in the clone)")
    return Check(module, "ok", mod.__version__)


def check_device() -> Check:
    """The device 'auto' picks (honouring DLCOURSE_DEVICE)."""
    try:
        import torch

        from dlcourse.device import get_device

        device = get_device("auto")
    except Exception as exc:
        return Check("device", "FAIL", f"{type(exc).__name__}: {exc}",
                     "fix or unset DLCOURSE_DEVICE, or use DEVICE = \"cpu\"")
    if device.type == "cuda":
        detail = f"cuda: {torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    elif device.type == "mps":
        detail = "mps: Apple GPU"
    else:
        detail = "cpu: no CUDA GPU or Apple MPS found; the notebooks run on the CPU (slower, fine)"
    return Check("device", "ok", detail)


def _cannot_write(folder: Path) -> str | None:
    # A file really made and removed: permission bits say nothing for root or on a read-only mount.
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def _nvidia_gpu_present() -> bool:
    """Whether this computer has an NVIDIA GPU with its driver (Linux's /proc, or nvidia-smi)."""
    return Path("/proc/driver/nvidia/gpus").is_dir() or shutil.which("nvidia-smi") is not None


def cuda_libraries_size() -> int:
    """Bytes the installed NVIDIA CUDA packages (nvidia-*, cuda-*, triton) take on disk."""
    from importlib.metadata import distributions

    total = 0
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower()
        if name.startswith(("nvidia-", "cuda-")) or name == "triton":
            total += sum(f.size or 0 for f in dist.files or [])
    return total


def check_torch_build() -> Check:
    """A CUDA build of torch on a computer without an NVIDIA GPU: fine, but gigabytes for nothing."""
    import torch

    cuda = torch.version.cuda
    if cuda is None:
        return Check("torch build", "ok", f"{torch.__version__}: no CUDA libraries needed")
    if torch.cuda.is_available() or _nvidia_gpu_present():
        return Check("torch build", "ok", f"{torch.__version__}: CUDA {cuda}")
    return Check("torch build", "note",
                 f"{torch.__version__} is a CUDA {cuda} build, but this computer has no NVIDIA GPU: its NVIDIA "
                 f"libraries take {cuda_libraries_size() / 1e9:.1f} GB and are never used (the course runs on the CPU)",
                 "to free the space, install PyTorch's CPU build: see README.md, 'PyTorch without an NVIDIA GPU'")


def check_data_root() -> list[Check]:
    """The data root (and that it is writable), what is in it, and whether Fashion-MNIST is whole."""
    from dlcourse.data import (DEBIAN_FASHION_DIR, ENV_DATA, FASHION_FILES, data_root, fashion_mnist_dir,
                               fashion_mnist_problems)

    env = os.environ.get(ENV_DATA, "").strip()
    try:
        root = data_root()
    except (OSError, ValueError) as exc:
        return [Check("data root", "FAIL", str(exc), f"set {ENV_DATA} to the full path of a folder you can write to")]
    where = f"from {ENV_DATA}" if env else f"set {ENV_DATA} to move it"
    entries = sorted(root.iterdir())
    contents = ", ".join(f"{p.name}{'/' if p.is_dir() else ''} {_mb(_size(p))}" for p in entries)
    detail = f"{root} ({where}); holds: {contents or 'nothing'}"
    if (problem := _cannot_write(root)) is not None:
        checks = [Check("data root", "FAIL", f"{detail}; cannot write into it ({problem})",
                        "notebooks 06 and 07 write into the data root (PNG files, checkpoints): "
                        f"set {ENV_DATA} to a folder you can write to (copy the data there)")]
    else:
        checks = [Check("data root", "ok", detail)]

    raw = fashion_mnist_dir(root)
    problems = fashion_mnist_problems(root)
    if not problems:
        checks.append(Check("Fashion-MNIST", "ok", f"{raw}: {len(FASHION_FILES)} files, {_mb(_size(raw))}"))
    else:
        debian = all((DEBIAN_FASHION_DIR / f"{n}.gz").is_file() for n in FASHION_FILES)
        fix = ("run `python -m dlcourse data`: it copies (or repairs) it from Debian's dataset-fashion-mnist, "
               "found on this computer (no network needed)" if debian else
               "run `python -m dlcourse data` with internet, or `sudo apt-get install "
               f"dataset-fashion-mnist`, or set {ENV_DATA} to a bundle's data folder "
               "(`python -m dlcourse bundle` on a computer with internet)")
        what = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
        checks.append(Check("Fashion-MNIST", "FAIL", f"{len(FASHION_FILES) - len(problems)} of "
                            f"{len(FASHION_FILES)} files ready in {raw} ({what})", fix))
    return checks


def check_weights() -> Check:
    """What pretrained weights are cached (only notebook 07 uses them; optional)."""
    from dlcourse.transfer import weights_dir

    try:
        folder = weights_dir()
    except Exception as exc:
        return Check("weight cache", "note", f"unknown ({type(exc).__name__}: {exc})")
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    if not files:
        return Check("weight cache", "note", f"{folder}: empty",
                     "notebook 07 downloads pretrained weights on its first run; offline, copy them "
                     "from a bundle (see its README)")
    listing = ", ".join(f"{p.name} {_mb(p.stat().st_size)}" for p in files)
    return Check("weight cache", "ok", f"{folder}: {listing}")


def _kernel_command(name: str = KERNEL) -> tuple[list[str], dict[str, str], str]:
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    argv = list(spec.argv)
    # jupyter_client starts "python"/"python3"/"python3.X" kernels with the server's own
    # interpreter; this environment's Jupyter is the one `make lab` starts.
    if argv[0] in {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}:
        argv[0] = sys.executable
    return argv, dict(spec.env or {}), spec.resource_dir


def check_kernel(name: str = KERNEL, timeout: float = 120.0) -> Check:
    """The Jupyter kernel the notebooks ask for runs an interpreter that can import dlcourse."""
    fix = f"point it at this environment: `{sys.executable} -m ipykernel install --user`"
    try:
        argv, env, resource_dir = _kernel_command(name)
    except ImportError:
        return Check("Jupyter kernel", "FAIL", "Jupyter is not installed in this environment",
                     "`make venv` (or `pip install jupyterlab`)")
    except Exception as exc:  # NoSuchKernel and friends
        return Check("Jupyter kernel", "FAIL", f"no {name!r} kernel: {type(exc).__name__}: {exc}", fix)
    code = "import dlcourse, sys; print(dlcourse.__version__, sys.executable)"
    try:
        run = subprocess.run([argv[0], "-c", code], env={**os.environ, **env}, capture_output=True,
                             text=True, timeout=timeout, cwd=tempfile.gettempdir())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("Jupyter kernel", "FAIL", f"{name} ({resource_dir}) runs {argv[0]}: {exc}", fix)
    if run.returncode != 0:
        error = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return Check("Jupyter kernel", "FAIL",
                     f"{name} ({resource_dir}) runs {argv[0]}, which cannot import dlcourse ({error})", fix)
    version, executable = run.stdout.split(maxsplit=1)
    if version != dlcourse.__version__:
        return Check("Jupyter kernel", "FAIL", f"{name} runs {executable.strip()}, which has dlcourse "
                     f"{version}, not {dlcourse.__version__}", fix)
    return Check("Jupyter kernel", "ok", f"{name} runs {executable.strip()}, which imports dlcourse {version}")


def checks() -> list[Check]:
    """Run every check, in the order the report shows them."""
    found = [check_python(), check_dlcourse(), check_import("torch"), check_import("torchvision")]
    if found[2].status == "ok":  # the rest needs torch; without it, the advice above comes first
        found += [check_torch_build(), check_device(), *check_data_root(), check_weights()]
    found.append(check_kernel())
    return found


def report(found: list[Check]) -> str:
    """The doctor's report as text: one line per check, advice under each problem."""
    lines = ["dlcourse doctor: is this computer ready for the course?", ""]
    for c in found:
        lines.append(f"  {c.status:4s}  {c.name:14s}  {c.detail}")
        if c.advice and c.status != "ok":
            lines.append(f"  {'':4s}  {'':14s}  -> {c.advice}")
    failed = sum(c.status == "FAIL" for c in found)
    lines.append("")
    lines.append(f"{failed} problem(s): fix the lines marked FAIL, then run `python -m dlcourse doctor` again."
                 if failed else "Ready: every required check passed.")
    return "\n".join(lines)


def doctor() -> int:
    """Print the report; return the exit status (1 when a check failed)."""
    found = checks()
    print(report(found), flush=True)
    return 1 if any(c.status == "FAIL" for c in found) else 0

