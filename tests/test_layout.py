"""The package's two sides: what the notebooks import (a learner's helpers) and what runs a
workshop (dlcourse.workshop). A learner's `import dlcourse` loads nothing of the room."""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import dlcourse

ROOT = Path(__file__).resolve().parent.parent
LEARNER = {"device", "data", "imagefiles", "train", "models", "transfer", "plots", "files",
           "exercises", "exercises_ko", "progress"}
OPERATIONS = {"doctor", "bundle", "hub", "hubauth", "loadtest", "room", "roompage"}
# What only the course's operations need. (packaging is not here: matplotlib imports it.)
ROOM_ONLY = ("dlcourse.workshop", "jupyterhub", "traitlets", "requests", "websocket", "jupyter_client",
             "psutil")


def test_every_module_is_on_one_side():
    found = {m.name for m in pkgutil.iter_modules(dlcourse.__path__)}
    assert found - {"__main__", "workshop"} == LEARNER, "a new module: add it to LEARNER or move it into workshop/"
    ops = {m.name for m in pkgutil.iter_modules([str(ROOT / "dlcourse" / "workshop")])}
    assert ops == OPERATIONS


def test_a_learners_imports_load_nothing_of_the_room():
    # A fresh interpreter: this process has imported the workshop modules through other tests.
    code = ("import importlib, json, sys\n"
            f"for name in {sorted(LEARNER)!r} + ['__main__']:\n"
            "    importlib.import_module('dlcourse.' + name)\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    loaded = json.loads(run.stdout.splitlines()[-1])
    assert "dlcourse.train" in loaded and "torch" in loaded  # the run imported what it says
    room = [m for m in loaded if m.startswith(ROOM_ONLY)]
    assert not room, f"importing the learner's modules (or dlcourse.__main__) loaded {room}"


def test_notebooks_import_only_the_learners_modules():
    used = set()
    for path in sorted(ROOT.glob("notebooks/**/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                used |= {(path.name, m) for m in re.findall(r"\bdlcourse\.([a-z_]+)\b", source)}
                for names in re.findall(r"from dlcourse import ([\w, ]+)", source):
                    used |= {(path.name, n.strip()) for n in names.split(",")}
    assert used, "no notebook imports dlcourse?"
    public = {n for n in vars(dlcourse) if not n.startswith("_")} - {"workshop"}
    wrong = sorted((nb, m) for nb, m in used if m not in LEARNER | public)
    assert not wrong, f"notebooks import from outside the learner's modules: {wrong}"


def test_the_wheel_holds_both_sides(tmp_path):
    # `pip install "dlcourse @ ..."` (Colab, a bundle's wheels) must bring `python -m dlcourse doctor` too
    import zipfile

    from dlcourse.workshop.bundle import _build_dlcourse_wheel

    _build_dlcourse_wheel(ROOT, tmp_path)
    (wheel,) = tmp_path.glob("dlcourse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"dlcourse/{m}.py" for m in LEARNER | {"__init__", "__main__"}}
    expected |= {f"dlcourse/workshop/{m}.py" for m in OPERATIONS | {"__init__"}}
    # solution("NN.K") reads the reference solutions from the package where there is no clone
    expected |= {f"dlcourse/solutions/{p.name}" for p in (ROOT / "notebooks" / "solutions").glob("*.py")}
    assert expected <= names, sorted(expected - names)
