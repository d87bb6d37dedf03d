"""Workshops and offline rooms: `python -m dlcourse doctor` and `python -m dlcourse bundle DIR`.

`doctor` checks one computer and never downloads anything: Python, torch, torchvision, the
device, the data root (and that it is writable), what is in it (and that Fashion-MNIST is
whole), the pretrained-weight cache (torch.hub's checkpoints folder) and the Jupyter kernel. Each check gives a status: "ok", "note" (optional, fine to go
on) or "FAIL" (with advice); any FAIL makes the exit status 1.

`bundle` gathers what a room without internet needs into one folder: the course notebooks,
Fashion-MNIST, the cached pretrained weights, and the wheels of the whole environment, with a
README.md saying how to install from it.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import NamedTuple

import dlcourse

MIN_PYTHON = (3, 10)
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
    """Python must be 3.10 or newer."""
    version = platform.python_version()
    if sys.version_info[:2] < MIN_PYTHON:
        return Check("Python", "FAIL", f"{version} ({sys.executable})",
                     "the course needs Python 3.10 or newer: install one and run `make venv` with it")
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


def weights_dir() -> Path:
    """torch.hub's cache of pretrained weights: `torch.hub.get_dir()/checkpoints`."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def check_weights() -> Check:
    """What pretrained weights are cached (only notebook 07 uses them; optional)."""
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
        found += [check_device(), *check_data_root(), check_weights()]
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


# ---- bundle ---------------------------------------------------------------------------------

def _checkout() -> Path | None:
    root = Path(dlcourse.__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def _copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".*.part"))


def _pins(checkout: Path | None) -> list[str]:
    """`dlcourse==X` plus the tested versions from constraints.txt, when in a checkout."""
    pins = [f"dlcourse=={dlcourse.__version__}"]
    constraints = checkout / "constraints.txt" if checkout else None
    if constraints and constraints.is_file():
        pins += [ln.strip() for ln in constraints.read_text().splitlines()
                 if ln.strip() and not ln.startswith("#")]
    return pins


def _repository() -> str | None:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("dlcourse").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    return next((u.split(",", 1)[1].strip() for u in urls if u.lower().startswith("repository,")), None)


def download_wheels(dest: Path, requirements: Path, checkout: Path | None) -> None:
    """Build dlcourse's wheel and download every wheel it needs (for this platform) into `dest`."""
    pip = [sys.executable, "-m", "pip"]
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if checkout is not None:
            # build from a copy, so the build leaves no build/ or egg-info in the checkout
            src = Path(tmp) / "src"
            _copy_tree(checkout / "dlcourse", src / "dlcourse")
            for name in ("pyproject.toml", "README.md"):
                shutil.copy2(checkout / name, src / name)
            source = str(src)
        else:
            source = f"dlcourse @ git+{_repository()}@v{dlcourse.__version__}"
        subprocess.run(pip + ["wheel", "--no-deps", "-w", str(dest), source], check=True)
    subprocess.run(pip + ["download", "-d", str(dest), "--find-links", str(dest), "-r", str(requirements)],
                   check=True)


def bundle_readme(dest: Path, pins: list[str]) -> str:
    """The README.md a bundle carries: what is in it and how to install and use it offline."""
    rows = "\n".join(f"| `{p.name}/` | {_mb(_size(p))} |" for p in sorted(dest.iterdir()) if p.is_dir())
    if (dest / "wheels").is_dir():
        wheels = (f"The wheels fit computers like the one that built this bundle ({platform.system()} "
                  f"{platform.machine()}, Python {sys.version_info[0]}.{sys.version_info[1]}); for "
                  "other kinds, build a bundle on one of them.")
    else:
        wheels = ("**This bundle has no `wheels/`** (built with `--no-wheels`): install the environment "
                  "from the internet or a package mirror instead (`make venv` in a clone of the course).")
    if (dest / "torch").is_dir():
        weights = "export TORCH_HOME=$BUNDLE/torch      # pretrained weights, in torch/hub/checkpoints/"
    else:
        weights = "# no pretrained weights were cached when this was built: notebook 07 needs the internet"
    return f"""# dlcourse offline bundle

Built {date.today().isoformat()} by `python -m dlcourse bundle` (dlcourse {dlcourse.__version__}).
Copy this folder to each computer's own disk (a USB stick works); nothing here needs the internet.

| folder | size |
|---|---|
{rows}

## 1. Install the environment from `wheels/`

```bash
BUNDLE=/path/to/this/folder          # where you copied it
python3 -m venv .venv
.venv/bin/pip install --no-index --find-links $BUNDLE/wheels -r $BUNDLE/requirements.txt
```

`requirements.txt` pins {", ".join(f"`{p}`" for p in pins)}. {wheels}

## 2. Use the data (and weights) from here

```bash
export DLCOURSE_DATA=$BUNDLE/data    # Fashion-MNIST, in data/FashionMNIST/raw/
{weights}
```

Put these lines in the shell that starts JupyterLab (or in `~/.bashrc`); the notebooks write
into the data root, so keep the bundle on a disk you can write to.

## 3. Check and start

```bash
.venv/bin/python -m dlcourse doctor  # every line "ok" ("note" is fine)
.venv/bin/jupyter lab $BUNDLE/notebooks/
```
"""


def bundle(dest: str | Path, *, wheels: bool = True) -> Path:
    """Gather notebooks, data, cached weights and (unless `wheels=False`) wheels into `dest`."""
    from dlcourse.data import FASHION_FILES, data_root, ensure_fashion_mnist

    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    checkout = _checkout()
    if checkout is not None:
        _copy_tree(checkout / "notebooks", dest / "notebooks")

    root = data_root()
    ensure_fashion_mnist(root)  # from the data root, Debian's package, or the internet
    raw = dest / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in FASHION_FILES:
        shutil.copy2(root / "FashionMNIST" / "raw" / name, raw / name)

    if (root / "checkpoints").is_dir():  # notebook 07's course-made pretrained weights
        _copy_tree(root / "checkpoints", dest / "data" / "checkpoints")

    cache = weights_dir()
    if cache.is_dir() and any(cache.iterdir()):
        _copy_tree(cache, dest / "torch" / "hub" / "checkpoints")

    pins = _pins(checkout)
    requirements = dest / "requirements.txt"
    requirements.write_text("\n".join(pins) + "\n")
    if wheels:
        download_wheels(dest / "wheels", requirements, checkout)
    (dest / "README.md").write_text(bundle_readme(dest, pins), encoding="utf-8")
    print(f"bundle ready in {dest}: see {dest / 'README.md'}")
    return dest
