"""Every notebook on Google Colab's runtime (`make test-colab`; not part of `make test`).

The Colab-like environment (.venv-colab, built by `make test-colab` from tests/colab-runtime.txt,
Colab's own pins) has Colab's torch, torchvision, IPython, ipykernel, ipywidgets, numpy,
matplotlib, pillow and tqdm, on this machine's Python (3.11; Colab's is 3.13), and no dlcourse:
each notebook's setup cell installs it as on Colab (COLAB_RELEASE_TAG set, DLCOURSE_SOURCE a copy
of this checkout). The notebooks run in that environment's own kernel (ipykernel 6.17.1 on
IPython 7.34), driven from the main .venv, and are checked as tests/test_notebooks.py checks them:
English as shipped (0 exercises passed), then Korean solved in the same kernel (floors, every
exercise passed, the same metrics). No cell may print a DeprecationWarning or FutureWarning whose
source is dlcourse or a notebook cell (that is: how we call PyTorch).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_notebooks as tn  # noqa: E402  (the main suite's runs and checks, reused)

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "tests" / "colab-runtime.txt"
COLAB_PYTHON = Path(os.environ.get("DLCOURSE_COLAB_PYTHON", ROOT / ".venv-colab" / "bin" / "python"))
KERNEL = "colab-runtime"


def colab_pins() -> dict[str, str]:
    """{distribution name: version} from tests/colab-runtime.txt."""
    pins = {}
    for line in RUNTIME.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def colab_installed() -> dict[str, str]:
    """{distribution name: version} of everything installed in the Colab-like environment."""
    code = ("import importlib.metadata as m, json; print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): "
            "d.version for d in m.distributions()}))")
    return json.loads(subprocess.run([str(COLAB_PYTHON), "-c", code], capture_output=True, text=True,
                                     check=True, timeout=120).stdout)


def _release(version: str) -> str:
    return version.split("+")[0]  # torch 2.11.0+cu130 from PyPI is Colab's 2.11.0+cpu, another build


@pytest.fixture(scope="session")
def colab_kernel(tmp_path_factory):
    """A kernel spec whose python is the Colab-like environment's; JUPYTER_PATH points at it."""
    if not COLAB_PYTHON.is_file():
        pytest.fail(f"{COLAB_PYTHON} is missing: `make test-colab` builds it from {RUNTIME.name}")
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(COLAB_PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab's runtime", "language": "python"}))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter), os.environ.get("JUPYTER_PATH")]))
    return KERNEL


@pytest.fixture(scope="session")
def clone(tmp_path_factory):
    """What pip installs from: this checkout's package files (building in the checkout leaves build/)."""
    from dlcourse.workshop.bundle import copy_package_sources

    return copy_package_sources(ROOT, tmp_path_factory.mktemp("clone"))


def _uninstall_dlcourse():
    subprocess.run([str(COLAB_PYTHON), "-m", "pip", "uninstall", "-q", "-y", "dlcourse"],
                   capture_output=True, check=True, timeout=120)
    found = subprocess.run([str(COLAB_PYTHON), "-c", "import dlcourse"], cwd=ROOT / "notebooks",
                           capture_output=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert found.returncode != 0, "dlcourse is still importable in the Colab-like environment"


def test_the_environment_is_colabs_runtime():
    installed = colab_installed()
    differ = {name: (version, installed.get(name)) for name, version in colab_pins().items()
              if _release(installed.get(name, "missing")) != version}
    assert not differ, f"not Colab's versions (want, have): {differ}; rebuild: rm -rf .venv-colab && make test-colab"


def test_pip_install_dlcourse_changes_none_of_colabs_packages(clone):
    # what a learner's `%pip install "dlcourse @ ..."` (with its dependencies) would do on Colab
    _uninstall_dlcourse()
    run = subprocess.run([str(COLAB_PYTHON), "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-",
                          "--no-color", "--disable-pip-version-check", str(clone)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    would = {i["metadata"]["name"]: i["metadata"]["version"] for i in json.loads(run.stdout)["install"]}
    assert list(would) == ["dlcourse"], f"pip install dlcourse would also install or change: {would}"


def test_progress_bars_are_ipywidgets_7_widgets(colab_kernel):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='epoch 1/1'): pass")])
    env = {k: v for k, v in os.environ.items() if k not in {"TQDM_DISABLE", "PYTHONPATH"}}
    client = NotebookClient(nb, kernel_name=colab_kernel, timeout=300, store_widget_state=True)
    client.execute(cwd=str(ROOT / "notebooks"), env=env)
    outputs = nb.cells[0].outputs
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, f"tqdm.auto printed text, not a widget: {outputs}"
    assert views[0]["data"]["application/vnd.jupyter.widget-view+json"]["version_major"] == 2  # ipywidgets 7's protocol
    assert not [o for o in outputs if o.get("name") == "stderr"], outputs  # e.g. "IProgress not found"
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {s["model_name"] for s in states.values()}
    assert {"FloatProgressModel", "HTMLModel", "HBoxModel"} <= models, models


@pytest.mark.notebook
@pytest.mark.parametrize("nb", tn.NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_on_colab(nb, tmp_path, fashion_root, colab_kernel, clone, monkeypatch):
    _uninstall_dlcourse()  # each notebook's setup cell installs it, as on a fresh Colab runtime
    monkeypatch.setenv("COLAB_RELEASE_TAG", "test-colab")
    monkeypatch.setenv("DLCOURSE_SOURCE", clone.as_uri())
    monkeypatch.setenv("DLCOURSE_DATA", str(fashion_root))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    ran = []
    shipped, solved = tn.run_twice(nb, "cpu", tmp_path, kernel_name=colab_kernel, ran_cells=ran)
    tn.check_both_runs(nb.name, shipped, solved, tn.exercise_count(json.loads(nb.read_text(encoding="utf-8"))))
    setup = next(c for c in ran if "colab-setup" in c.metadata.get("tags", []))
    assert setup.outputs == [], f"the setup cell printed on Colab: {setup.outputs}"
    warnings = tn.attributable_warnings(ran)
    assert not warnings, f"{nb.name} on Colab's runtime warned from our code:\n" + "\n".join(warnings)


@pytest.mark.parametrize("kernel", ["python3", KERNEL])  # the main suite's kernel (newest) and Colab's (oldest)
def test_warnings_printed_by_cells_are_found_in_either_kernel(kernel, colab_kernel):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import warnings\nwarnings.warn('old API', DeprecationWarning)"),
        nbformat.v4.new_code_cell("warnings.warn('soon', FutureWarning, stacklevel=1)"),
        nbformat.v4.new_code_cell("print('quiet')")])
    client = NotebookClient(nb, kernel_name=kernel, timeout=300)
    client.execute(cwd=str(ROOT / "notebooks"), env=dict(os.environ, PYTHONWARNINGS=tn.SHOW_WARNINGS))
    found = tn.attributable_warnings(nb.cells)
    assert len(found) == 2 and "DeprecationWarning: old API" in found[0] and "FutureWarning: soon" in found[1], found
