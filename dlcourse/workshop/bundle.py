"""`python -m dlcourse bundle DIR`: what a room without internet needs, in one folder.

The course notebooks, Fashion-MNIST, the cached pretrained weights, and the wheels of the whole
environment (from uv.lock, for the learners' platforms, checked against the lock's sha256), with
a README.md saying how to install from it. Every file is written under a temporary name first,
and a file of the user's own is never replaced (the bundle's manifest says which are its own).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import NamedTuple

import dlcourse
from dlcourse.workshop.doctor import _mb, _size


class BundleError(RuntimeError):
    """A bundle cannot be made as asked; the message says why and what to do."""


# The laptops uv.lock covers: the values of the environment markers (PEP 508) on each, the
# wheel platform tags each accepts (best first), and how its shell names the venv's programs.
PLATFORMS = {
    "linux": {"markers": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                          "platform_machine": "x86_64"},
              "tags": [f"manylinux_2_{n}_x86_64" for n in range(39, 16, -1)]
              + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"],
              "label": "Linux x86-64 (glibc 2.28 or newer)"},
    "macos": {"markers": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                          "platform_machine": "arm64"},
              "tags": [f"macosx_{major}_0_{arch}" for major in range(14, 10, -1) for arch in ("arm64", "universal2")]
              + [f"macosx_10_{minor}_{arch}" for minor in range(16, 8, -1) for arch in ("arm64", "universal2")],
              "label": "macOS 14 or newer on Apple silicon (arm64)"},
    "windows": {"markers": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                            "platform_machine": "AMD64"},
                "tags": ["win_amd64"], "label": "Windows x86-64"},
}


def this_platform() -> str:
    """The PLATFORMS key of this computer (a BundleError for one the lock does not cover)."""
    key = {("Linux", "x86_64"): "linux", ("Darwin", "arm64"): "macos",
           ("Windows", "AMD64"): "windows"}.get((platform.system(), platform.machine()))
    if key is None:
        raise BundleError(f"uv.lock covers {', '.join(PLATFORMS)}, not {platform.system()} {platform.machine()}: "
                          "pass --platform")
    return key


class Wheel(NamedTuple):
    """One file of a platform's environment, as uv.lock pins it."""

    name: str  # the project, e.g. "torch"
    version: str
    filename: str
    url: str
    sha256: str
    size: int


def _checkout() -> Path | None:
    root = Path(dlcourse.__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def _uv(checkout: Path) -> str:
    """The uv program: on the PATH, the one `make` installed in the clone, or the `uv` package."""
    found = shutil.which("uv") or next((str(p) for p in (checkout / ".uv" / "bin" / "uv",
                                                         checkout / ".uv" / "bin" / "uv.exe") if p.is_file()), None)
    if found is None:
        try:
            from uv import find_uv_bin

            found = find_uv_bin()
        except Exception:
            raise BundleError("bundle reads uv.lock with uv, which is not installed: `pip install uv` "
                              "(or run `make venv` in the clone), then run the bundle again") from None
    return found


def locked_wheels(platform_key: str, python: str = "3.11", checkout: Path | None = None) -> list[Wheel]:
    """The wheels of the learners' environment (no test tools) for one platform, from uv.lock."""
    import tomllib

    from packaging.markers import Marker
    from packaging.tags import Tag, compatible_tags, cpython_tags
    from packaging.utils import parse_wheel_filename

    if platform_key not in PLATFORMS:
        raise BundleError(f"unknown platform {platform_key!r}: choose from {', '.join(PLATFORMS)}")
    if not re.fullmatch(r"3\.\d+", python):
        raise BundleError(f"--python wants a version like 3.11, not {python!r}")
    checkout = checkout or _checkout()
    if checkout is None or not (checkout / "uv.lock").is_file():
        raise BundleError("bundle takes the wheels from uv.lock, which is in a clone of the course: run it there "
                          "(or pass --no-wheels for notebooks, data and weights only)")
    run = subprocess.run([_uv(checkout), "export", "--frozen", "--format", "pylock.toml", "--no-emit-project",
                          "--no-dev", "--quiet"], cwd=checkout, capture_output=True, text=True)
    if run.returncode != 0:
        raise BundleError(f"uv export failed: {(run.stderr.strip().splitlines() or ['no message'])[-1]}")
    spec = PLATFORMS[platform_key]
    # the lowest patch release (3.11.0): what the lock picks for it installs on every 3.11.x
    env = {**spec["markers"], "python_version": python, "python_full_version": f"{python}.0",
           "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    major, minor = map(int, python.split("."))
    tags = list(cpython_tags((major, minor), platforms=spec["tags"]))
    tags += list(compatible_tags((major, minor), f"cp{major}{minor}", platforms=spec["tags"]))
    rank = {tag: i for i, tag in enumerate(tags)}
    wheels = []
    for package in tomllib.loads(run.stdout)["packages"]:
        if "marker" in package and not Marker(package["marker"]).evaluate(env):
            continue
        best = None
        for wheel in package.get("wheels", []):
            filename = wheel["url"].rsplit("/", 1)[1]
            score = min((rank[t] for t in parse_wheel_filename(filename)[3] if t in rank), default=None)
            if score is not None and (best is None or score < best[0]):
                best = (score, Wheel(package["name"], package["version"], filename, wheel["url"],
                                     wheel["hashes"]["sha256"], wheel["size"]))
        if best is None:
            raise BundleError(f"uv.lock has no {package['name']} {package['version']} wheel for "
                              f"{spec['label']} with Python {python}")
        wheels.append(best[1])
    return wheels


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheels(wheels: list[Wheel], folder: Path, timeout: float = 60.0) -> None:
    """Download each wheel into `folder` (kept when already there with the locked hash), checking sha256.

    A file gets its final name only once it is whole and its hash is the lock's: an interrupted
    or failed download leaves at most a hidden `.NAME.*.part`, which the next run replaces.
    """
    import hashlib
    import urllib.request

    from dlcourse.files import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    total = sum(w.size for w in wheels)
    done = 0
    for i, wheel in enumerate(wheels, 1):
        target = folder / wheel.filename
        done += wheel.size
        if target.is_file() and target.stat().st_size == wheel.size and _sha256(target) == wheel.sha256:
            continue
        print(f"[{i}/{len(wheels)}] {wheel.filename} ({_mb(wheel.size)}; {_mb(done)} of {_mb(total)})", flush=True)
        with atomic_path(target) as tmp:
            digest = hashlib.sha256()
            with urllib.request.urlopen(wheel.url, timeout=timeout) as response, open(tmp, "wb") as out:
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != wheel.sha256:
                raise BundleError(f"{wheel.url} does not have the sha256 uv.lock gives ({wheel.sha256}): "
                                  "nothing was kept; run the bundle again")


def copy_package_sources(checkout: Path, dest: Path) -> Path:
    """Copy what building dlcourse's wheel reads (the package, its solutions, pyproject.toml, README.md) to `dest`."""
    for part in ("dlcourse", "notebooks/solutions"):  # the solutions are packaged as dlcourse.solutions
        shutil.copytree(checkout / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(checkout / name, dest / name)
    return dest


def _build_dlcourse_wheel(checkout: Path, folder: Path) -> None:
    """Build dlcourse's own wheel (pure Python: one for every platform) into `folder`."""
    with tempfile.TemporaryDirectory() as tmp:
        # build from a copy, so the build leaves no build/ or egg-info in the checkout
        src = copy_package_sources(checkout, Path(tmp) / "src")
        run = subprocess.run([_uv(checkout), "build", "--wheel", "--quiet", "--out-dir", str(Path(tmp) / "dist"),
                              str(src)], capture_output=True, text=True)
        if run.returncode != 0:
            raise BundleError(f"building dlcourse's wheel failed: {(run.stderr.strip().splitlines() or ['?'])[-1]}")
        for built in (Path(tmp) / "dist").glob("*.whl"):
            _copy_file(built, folder / built.name)


def _copy_file(src: Path, dest: Path) -> None:
    from dlcourse.files import atomic_path

    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
    shutil.copystat(src, dest)


def _tree(src: Path) -> dict[str, Path]:
    """{relative path: file} under `src`, without Jupyter's checkpoints, caches and partial files."""
    skip = {".ipynb_checkpoints", "__pycache__"}
    return {p.relative_to(src).as_posix(): p for p in sorted(src.rglob("*"))
            if p.is_file() and not skip & set(p.relative_to(src).parts) and not p.name.endswith(".part")}


MANIFEST = ".dlcourse-bundle.json"  # what this bundle wrote: {relative path: sha256}


def _conflicts(dest: Path, planned: dict[str, Path | str], manifest: dict[str, str]) -> list[str]:
    """The files in `dest` that bundle would replace but did not write itself (the user's own)."""
    found = []
    for rel, source in planned.items():
        path = dest / rel
        if not path.exists():
            continue
        if path.is_dir() or path.is_symlink():
            found.append(rel)
            continue
        digest = _sha256(path)
        new = source.encode() if isinstance(source, str) else None
        if manifest.get(rel) == digest:
            continue  # written by an earlier bundle and unchanged since
        if (new is not None and path.read_bytes() == new) or (
                new is None and path.stat().st_size == source.stat().st_size and digest == _sha256(source)):
            continue  # already what it would become
        found.append(rel)
    return found


def bundle_readme(pins: dict[str, list[str]], python: str, sizes: dict[str, int], has_weights: bool) -> str:
    """The README.md a bundle carries: what is in it and, per platform, how to install and start."""
    rows = "\n".join(f"| `{name}/` | {_mb(size)} |" for name, size in sorted(sizes.items()))
    if pins:
        kinds = ", ".join(f"{PLATFORMS[k]['label']} (`requirements-{k}.txt`)" for k in pins)
        wheels = (f"`wheels/` holds the environment for {kinds}, with Python {python}, pinned by the "
                  f"course's uv.lock: dlcourse {dlcourse.__version__}, "
                  + ", ".join(p for k in pins for p in pins[k] if p.split("==")[0] in {"torch", "torchvision"})
                  + ". For another kind of computer, make a bundle with `--platform` (linux, macos, windows).")
    else:
        wheels = ("**This bundle has no `wheels/`** (made with `--no-wheels`): install the environment "
                  "from the internet or a package mirror instead (`make venv` in a clone of the course).")
    posix = [k for k in sorted(pins) if k != "windows"]
    sh = "\n".join(f'python{python} -m venv .venv && .venv/bin/pip install --no-index --find-links "$BUNDLE/wheels" '
                   f'-r "$BUNDLE/requirements-{k}.txt"   # {PLATFORMS[k]["label"]}' for k in posix)
    sh = sh or ("# no wheels for Linux or macOS here: make a bundle with --platform linux or macos"
                if pins else "# no wheels/: in a clone of the course, `make venv` (needs the internet or a mirror)")
    ps_install = (".venv\\Scripts\\pip install --no-index --find-links \"$BUNDLE\\wheels\" -r "
                  "\"$BUNDLE\\requirements-windows.txt\"" if "windows" in pins else
                  "# no wheels for Windows here: make a bundle with --platform windows")
    weights_sh = ('export TORCH_HOME="$BUNDLE/torch"      # pretrained weights, in torch/hub/checkpoints/'
                  if has_weights else "# no pretrained weights were cached: notebook 07 needs the internet")
    weights_ps = ('$env:TORCH_HOME = "$BUNDLE\\torch"' if has_weights
                  else "# no pretrained weights were cached: notebook 07 needs the internet")
    return f"""# dlcourse offline bundle

Made {date.today().isoformat()} by `python -m dlcourse bundle` (dlcourse {dlcourse.__version__}).
Copy this folder to each computer's own disk (a USB stick works); nothing here needs the internet.

| folder | size |
|---|---|
{rows}

{wheels}

## Linux and macOS (a terminal)

```bash
BUNDLE=/path/to/this/folder          # where you copied it
{sh}
export DLCOURSE_DATA="$BUNDLE/data"  # Fashion-MNIST, in data/FashionMNIST/raw/
{weights_sh}
.venv/bin/python -m dlcourse doctor  # every line "ok" ("note" is fine)
.venv/bin/jupyter lab "$BUNDLE/notebooks/"
```

## Windows (PowerShell)

```powershell
$BUNDLE = "C:\\path\\to\\this\\folder"   # where you copied it
py -{python} -m venv .venv
{ps_install}
$env:DLCOURSE_DATA = "$BUNDLE\\data"
{weights_ps}
.venv\\Scripts\\python -m dlcourse doctor
.venv\\Scripts\\jupyter lab "$BUNDLE\\notebooks"
```

Python {python} must be installed first (python.org's installer; on Windows it brings `py`).
Set DLCOURSE_DATA (and TORCH_HOME) in the shell that starts JupyterLab each time, or in your
profile; the notebooks write into the data root, so keep the bundle on a disk you can write to.
"""


def bundle(dest: str | Path, *, wheels: bool = True, platforms: list[str] | None = None,
           python: str | None = None) -> Path:
    """Gather notebooks, data, cached weights and (unless `wheels=False`) wheels into `dest`.

    `platforms` (default: this computer's) picks which laptops the wheels are for, resolved from
    uv.lock. Files the user made or changed in `dest` are never replaced: the bundle stops first
    and lists them. Every file is written under a temporary name and renamed when whole.
    """
    from dlcourse.data import FASHION_FILES, data_root, ensure_fashion_mnist, fashion_mnist_dir
    from dlcourse.files import atomic_write_text
    from dlcourse.transfer import weights_dir

    dest = Path(dest).expanduser().resolve()
    if dest.exists() and not dest.is_dir():
        raise BundleError(f"{dest} is a file: give a folder to make the bundle in")
    python = python or f"{sys.version_info[0]}.{sys.version_info[1]}"
    checkout = _checkout()
    plan: dict[str, Path | str] = {}  # relative path in dest -> file to copy, or text to write
    if checkout is not None:
        plan.update({f"notebooks/{rel}": p for rel, p in _tree(checkout / "notebooks").items()})
    root = data_root()
    ensure_fashion_mnist(root)  # from the data root, Debian's package, or the internet
    plan.update({f"data/FashionMNIST/raw/{name}": fashion_mnist_dir(root) / name for name in FASHION_FILES})
    if (root / "checkpoints").is_dir():  # notebook 07's course-made pretrained weights
        plan.update({f"data/checkpoints/{rel}": p for rel, p in _tree(root / "checkpoints").items()})
    cache = weights_dir()
    has_weights = cache.is_dir() and any(cache.iterdir())
    if has_weights:
        plan.update({f"torch/hub/checkpoints/{rel}": p for rel, p in _tree(cache).items()})

    pins: dict[str, list[str]] = {}
    locked: dict[str, Wheel] = {}
    if wheels:
        for key in dict.fromkeys(platforms or [this_platform()]):
            found = locked_wheels(key, python, checkout)
            locked.update({w.filename: w for w in found})
            pins[key] = [f"dlcourse=={dlcourse.__version__}"] + [f"{w.name}=={w.version}" for w in found]
            plan[f"requirements-{key}.txt"] = "\n".join(pins[key]) + "\n"
    sizes: dict[str, int] = {}
    for rel, source in plan.items():
        if "/" in rel:
            sizes[rel.split("/")[0]] = sizes.get(rel.split("/")[0], 0) + source.stat().st_size
    if locked:
        sizes["wheels"] = sum(w.size for w in locked.values())
    plan["README.md"] = bundle_readme(pins, python, sizes, has_weights)

    manifest_path = dest / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    except ValueError:
        manifest = {}
    conflicts = _conflicts(dest, plan, manifest)
    if conflicts:
        listed = ", ".join(conflicts[:5]) + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
        raise BundleError(f"{dest} holds files of your own that the bundle would replace ({listed}): "
                          "nothing was changed; move them away or choose another folder")

    dest.mkdir(parents=True, exist_ok=True)
    written = dict(manifest)
    for rel, source in plan.items():
        target = dest / rel
        if isinstance(source, str):
            if not (target.is_file() and target.read_text(encoding="utf-8") == source):
                atomic_write_text(target, source)
            written[rel] = _sha256(target)
        else:
            digest = _sha256(source)
            if not (target.is_file() and target.stat().st_size == source.stat().st_size and _sha256(target) == digest):
                _copy_file(source, target)
            written[rel] = digest
    # recorded before the long downloads, so a run stopped there can be finished on another day
    atomic_write_text(manifest_path, json.dumps(written, indent=1, sort_keys=True) + "\n")
    if locked:
        download_wheels(list(locked.values()), dest / "wheels")
        if checkout is not None:
            _build_dlcourse_wheel(checkout, dest / "wheels")
    print(f"bundle ready in {dest}: see {dest / 'README.md'}")
    return dest
