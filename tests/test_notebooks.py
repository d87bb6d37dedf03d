"""Every notebook is a test, run twice in one fresh Jupyter kernel (tests/README.md says why):

1. Run All of the notebook as shipped (default parameters, DEVICE="cpu", SEED=0): no cell fails,
   every cell marked `# NBVAL_CHECK_OUTPUT` prints what the committed notebook shows (nbval's
   rule, with tests/nbval_sanitize.cfg), and every exercise reports "not yet" (0 passed).
2. Run All again in the same kernel, of the notebook with its exercises solved
   (tools/solutions.py): the metric floors and exact counts below hold, every exercise passes, and
   the metrics equal run 1's (timing and exercise keys aside): the same SEED gives the same numbers
   although the kernel still holds run 1's variables, and solving an exercise changes nothing else.

Notebook 01 runs the same two ways in JupyterLab in a real browser instead (test_browser.py);
it runs here only where that test cannot run.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
REQUIRED_PARAMETERS = {"DEVICE", "SEED", "METRICS_PATH"}
EXERCISE_KEYS = {"exercises_total", "exercises_passed"}
CHECK_OUTPUT = "NBVAL_CHECK_OUTPUT"


def check_01(m):
    assert m["final_loss"] < m["initial_loss"] / 10
    # the exam-score data are fitted best by w = sum(xy) / sum(x^2) = 18300 / 19400
    assert abs(m["learned_w"] - 18300 / 19400) < 0.01
    assert m["passfail_accuracy"] == 1.0


def check_02(m):
    assert m["mlp_accuracy"] >= 0.95
    assert m["linear_accuracy"] <= 0.75


def check_03(m):
    assert m["test_accuracy"] >= 0.88
    assert m["num_parameters"] == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert m["train_seconds"] > 0


def check_04(m):
    assert m["mnist_weights"] == 784 * 100 + 100 * 10 == 79_400
    assert m["mnist_params"] == 79_400 + 100 + 10
    assert m["imagenet_weights"] == 256 * 256 * 100 + 100 * 1000 == 6_653_600
    assert m["imagenet_params"] == 6_653_600 + 100 + 1000


def check_05(m):
    assert m["test_accuracy"] >= 0.90
    assert m["num_parameters"] < m["mlp_num_parameters"]
    assert m["conv_equivalence_max_abs_diff"] < 1e-5


def check_06(m):
    assert m["num_images"] == 3000 + 1000  # TRAIN_PER_CLASS and TEST_PER_CLASS images of each class
    assert m["test_accuracy"] >= 0.95  # always answering "not footwear" scores 0.70
    assert abs(m["error_rate"] - (1 - m["test_accuracy"])) < 1e-9


def check_07(m):
    assert m["transfer_accuracy"] >= m["scratch_accuracy"] + 0.05
    assert abs(m["error_rate"] - (1 - m["transfer_accuracy"])) < 1e-9
    assert m["weights_source"]


CHECKS = {f"{i:02d}": globals()[f"check_{i:02d}"] for i in range(1, 8)}


# --- what both runs are checked against (test_browser.py uses these too) -------------------

def solved_notebook(nb_path: Path):
    """The notebook with its exercises solved, from tools/solutions.py (the same code `make solutions` runs)."""
    return runpy.run_path(str(ROOT / "tools" / "solutions.py"))["solved_notebook"](nb_path)


def exercise_count(nb) -> int:
    """How many cells of the shipped notebook are tagged `exercise`."""
    return sum("exercise" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])


def comparable(metrics: dict) -> dict:
    """The metrics a rerun with the same SEED must repeat: timing and exercise keys left out."""
    return {k: v for k, v in metrics.items()
            if "seconds" not in k and "time" not in k and k not in EXERCISE_KEYS}


def check_both_runs(nb_name: str, shipped: dict, solved: dict, exercises: int) -> None:
    """The metrics of run 1 (as shipped) and run 2 (solved, same kernel): floors, exercises, same numbers."""
    CHECKS[nb_name[:2]](solved)
    # as shipped every exercise is "not yet"; solved, every one passes (absent keys: no exercises yet)
    assert (shipped.get("exercises_total", 0), shipped.get("exercises_passed", 0)) == (exercises, 0), \
        f"{nb_name} as shipped: {shipped.get('exercises_passed')} of {shipped.get('exercises_total')} " \
        f"exercises passed, want 0 of {exercises} (the cells tagged 'exercise')"
    assert (solved.get("exercises_total", 0), solved.get("exercises_passed", 0)) == (exercises, exercises), \
        f"{nb_name} solved: {solved.get('exercises_passed')} of {solved.get('exercises_total')} exercises " \
        f"passed, want {exercises} of {exercises}: is a solution in notebooks/solutions/ wrong?"
    assert comparable(solved) == comparable(shipped), (
        f"{nb_name}: Run All again in the same kernel, exercises solved, gave other metrics: a cell "
        "depends on what an earlier run left in the kernel, or a solution draws from the global "
        "random generators (use a local torch.Generator)")


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).with_name("nbval_sanitize.cfg"))
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def _shown_text(outputs: list) -> str:
    """What a cell printed and displayed as text (nbval compares these; figures are not compared)."""
    parts = []
    for out in outputs:
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]))
        elif "text/plain" in out.get("data", {}):
            parts.append("".join(out["data"]["text/plain"]))
    text = "".join(parts)
    for pattern, replace in _sanitizers():
        text = pattern.sub(replace, text)
    return text


def check_output_cells(committed_cells: list, run_cells: list) -> None:
    """Every cell marked NBVAL_CHECK_OUTPUT shows the committed text again (cells matched in order)."""
    assert len(committed_cells) == len(run_cells)
    for i, (old, new) in enumerate(zip(committed_cells, run_cells)):
        if old["cell_type"] == "code" and CHECK_OUTPUT in "".join(old["source"]):
            assert _shown_text(new["outputs"]) == _shown_text(old["outputs"]), \
                f"code cell {i} ({CHECK_OUTPUT}) printed other text than the committed notebook"


# --- the two runs in one kernel --------------------------------------------------------------

def run_twice(nb_path: Path, device: str, workdir: Path) -> tuple[dict, dict]:
    """Run All of the shipped notebook, then of the solved one, in one fresh kernel; both metrics."""
    import nbformat
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    metrics_path = workdir / f"{nb_path.stem}.metrics.json"
    solved_path = workdir / f"{nb_path.stem}.solved.ipynb"
    nbformat.write(solved_notebook(nb_path), solved_path)
    shipped = load_notebook_node(str(nb_path))  # papermill's reading: the metadata it expects
    params = {"DEVICE": device, "SEED": 0, "METRICS_PATH": str(metrics_path)}
    client = NotebookClient(shipped, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    results = []
    with client.setup_kernel(env=dict(os.environ, TQDM_DISABLE="1")):
        for source in (shipped, load_notebook_node(str(solved_path))):
            nb = parameterize_notebook(source, params)  # papermill's injected cell after `parameters`
            client.nb = nb
            metrics_path.unlink(missing_ok=True)
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)  # raises CellExecutionError, naming the cell, on any error
            assert metrics_path.exists(), f"{nb_path.name} wrote no metrics to METRICS_PATH"
            results.append(json.loads(metrics_path.read_text()))
            if source is shipped:
                ran = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
                check_output_cells(json.loads(nb_path.read_text(encoding="utf-8"))["cells"], ran)
    return results[0], results[1]


def test_notebooks_exist():
    assert [nb.name[:2] for nb in NOTEBOOKS][:3] == ["01", "02", "03"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell(nb):
    import papermill

    params = papermill.inspect_notebook(str(nb))
    assert REQUIRED_PARAMETERS <= set(params), f"{nb.name} lacks {REQUIRED_PARAMETERS - set(params)}"
    assert params["DEVICE"]["default"] == '"auto"'


def _run_and_check(nb: Path, device: str, tmp_path: Path) -> None:
    shipped, solved = run_twice(nb, device, tmp_path)
    check_both_runs(nb.name, shipped, solved, exercise_count(json.loads(nb.read_text(encoding="utf-8"))))


@pytest.mark.notebook
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cpu(nb, tmp_path, fashion_root):
    _run_and_check(nb, "cpu", tmp_path)


@pytest.mark.cuda
@pytest.mark.notebook
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cuda(nb, tmp_path, fashion_root):
    _run_and_check(nb, "cuda", tmp_path)
