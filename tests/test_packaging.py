"""The project's own files agree with each other: dependencies, the lock, environment.yml, version."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

import dlcourse
from dlcourse.workshop import bundle, doctor

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CUDA = ("nvidia-", "cuda-")  # NVIDIA's CUDA libraries on PyPI (and triton, their compiler)


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower()


def _floor(req: str) -> tuple[int, ...]:
    return tuple(map(int, re.search(r">=([\d.]+)", req).group(1).split(".")))


def _uv() -> str:
    try:
        from uv import find_uv_bin  # the test group's uv

        return find_uv_bin()
    except ImportError:
        return shutil.which("uv") or pytest.fail("uv is missing: `make test` installs the test group, which has it")


def test_the_lock_is_current():
    # offline: the committed uv.lock must satisfy pyproject.toml as it is, without resolving again
    run = subprocess.run([_uv(), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, f"uv.lock is out of date: run `uv lock`\n{run.stderr}"


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13", "3.14"])
def test_the_lock_resolves_for_every_platform_and_only_linux_gets_nvidia(python):
    found = {key: {w.name: w for w in bundle.locked_wheels(key, python)} for key in bundle.PLATFORMS}
    for key, wheels in found.items():
        assert {"torch", "torchvision", "jupyterlab", "ipywidgets", "matplotlib"} <= set(wheels), key
        assert wheels["torch"].version == "2.14.1" and wheels["torchvision"].version == "0.29.1"
        cuda = sorted(n for n in wheels if n.startswith(CUDA) or n == "triton")
        assert bool(cuda) == (key == "linux"), f"{key}, Python {python}: NVIDIA packages {cuda}"
    assert found["windows"]["torch"].filename.endswith("-win_amd64.whl")
    assert found["macos"]["torch"].filename.endswith("_arm64.whl")


def test_learners_get_no_test_tools_and_the_test_group_has_them():
    learners = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    test = {_name(r) for r in PYPROJECT["dependency-groups"]["test"]}
    assert {"pytest", "playwright", "hypothesis", "pyyaml", "uv"} <= test and not test & learners
    assert {"ipywidgets", "nbformat"} <= learners
    # JupyterLab is `make lab`'s (uv's default group), never `pip install dlcourse`'s (Colab has its own)
    assert "jupyterlab" not in learners and PYPROJECT["tool"]["uv"]["default-groups"] == ["lab"]
    assert {"jupyterlab", "ipywidgets"} == {_name(r) for r in PYPROJECT["dependency-groups"]["lab"]}
    assert "jupyterhub" in {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["hub"]}
    locked = {w.name for w in bundle.locked_wheels("linux", "3.11")}  # what `make lab` installs
    assert not {"pytest", "playwright", "hypothesis", "jupyterhub"} & locked


def test_environment_yml_pins_the_dependencies_at_the_locked_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "python=3.11" in env["dependencies"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "-e ." in pip_section
    listed = dict(r.split("==") for r in pip_section if not r.startswith("-"))
    wanted = {_name(r) for r in PYPROJECT["project"]["dependencies"] + PYPROJECT["dependency-groups"]["lab"]}
    assert set(listed) == wanted, f"only in pyproject: {wanted - set(listed)}; only in environment.yml: {set(listed) - wanted}"
    for key in bundle.PLATFORMS:
        locked = {w.name: w.version for w in bundle.locked_wheels(key, "3.11")}
        assert {n: locked[n] for n in listed} == listed, f"environment.yml differs from uv.lock for {key}"


def test_the_floors_are_colabs_runtime_which_make_test_colab_runs():
    # The floors are the oldest versions the course is run on: Colab's (tests/colab-runtime.txt,
    # which `make test-colab` installs); Python 3.11 is the oldest here (tomllib in the tests needs it).
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    floors = {_name(r): _floor(r) for r in PYPROJECT["project"]["dependencies"] if ">=" in r}
    colab = dict(line.split("==") for line in (ROOT / "tests" / "colab-runtime.txt").read_text().splitlines()
                 if line.strip() and not line.startswith("#"))
    for name in ("torch", "torchvision", "ipywidgets", "numpy", "matplotlib", "pillow", "tqdm", "nbformat"):
        colab_version = tuple(map(int, colab[name].split(".")))
        assert floors[name] <= colab_version, f"{name}'s floor is above Colab's {colab[name]}"
        assert floors[name] == colab_version[:len(floors[name])], f"{name}'s floor is not Colab's {colab[name]}"
    assert doctor.MIN_PYTHON == (3, 11)


def test_version_is_importable_and_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", dlcourse.__version__)
