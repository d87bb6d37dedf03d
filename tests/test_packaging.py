"""The project's own files agree with each other: dependencies, version, tooling."""

import re
import tomllib
from pathlib import Path

import yaml

import dlcourse

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {r for r in pip_section if not r.startswith("-e")}
    assert listed == wanted, f"only in pyproject: {wanted - listed}; only in environment.yml: {listed - wanted}"
    assert "-e ." in pip_section


def test_constraints_pin_versions_the_ranges_admit():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {_name(r): r for r in project["dependencies"]}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            floor = floors[name.lower()].split(">=")[1]
            assert tuple(map(int, version.split("."))) >= tuple(map(int, floor.split(".")))


def test_version_is_importable_and_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", dlcourse.__version__)
