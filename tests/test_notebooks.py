"""Every notebook is a test, run twice in one fresh Jupyter kernel (tests/README.md says why):

1. Run All of the English notebook as shipped (default parameters, DEVICE="cpu", SEED=0): no cell
   fails, every cell marked `# NBVAL_CHECK_OUTPUT` prints what the committed notebook shows
   (nbval's rule, with tests/nbval_sanitize.cfg), and every exercise reports "not yet" (0 passed).
2. Run All again in the same kernel, of its Korean edition (notebooks/ko/) with the exercises
   solved (tools/solutions.py's solutions; the Korean code is the English code, comments and
   messages aside): the metric floors and exact counts below hold, every exercise passes, the
   metrics equal run 1's (timing and exercise keys aside: the same SEED gives the same numbers
   although the kernel still holds run 1's variables, and neither solving an exercise nor the
   language changes anything else), the `# NBVAL_CHECK_OUTPUT` cells print what the committed
   Korean notebook shows (the exercise summary aside, which now counts every exercise passed),
   the exercise feedback is Korean, and no figure misses a glyph.

Notebook 01's English runs go through JupyterLab in a real browser instead (test_browser.py,
as shipped, then solved); where that test runs, run 2 (Korean, solved) is all that runs here.
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
    assert m["test_accuracy"] > m["mlp_test_accuracy"]  # the MLP trained the same way (section 5's table)
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


def check_both_runs(nb_name: str, shipped: dict | None, solved: dict, exercises: int) -> None:
    """The metrics of run 1 (as shipped; None where it ran in the browser) and run 2 (solved, same
    kernel): floors, exercises, same numbers."""
    CHECKS[nb_name[:2]](solved)
    assert (solved.get("exercises_total", 0), solved.get("exercises_passed", 0)) == (exercises, exercises), \
        f"{nb_name} solved: {solved.get('exercises_passed')} of {solved.get('exercises_total')} exercises " \
        f"passed, want {exercises} of {exercises}: is a solution in notebooks/solutions/ wrong?"
    if shipped is None:
        return
    # as shipped every exercise is "not yet"; solved, every one passes (absent keys: no exercises yet)
    assert (shipped.get("exercises_total", 0), shipped.get("exercises_passed", 0)) == (exercises, 0), \
        f"{nb_name} as shipped: {shipped.get('exercises_passed')} of {shipped.get('exercises_total')} " \
        f"exercises passed, want 0 of {exercises} (the cells tagged 'exercise')"
    assert comparable(solved) == comparable(shipped), (
        f"{nb_name}: Run All again in the same kernel, exercises solved, gave other metrics: a cell "
        "depends on what an earlier run left in the kernel, a solution draws from the global "
        "random generators (use a local torch.Generator), or the Korean code is not the English code")


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

MISSING_GLYPH = "missing from font"  # matplotlib's warning for a character its font lacks
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def korean_path(nb_path: Path) -> Path:
    return nb_path.parent / "ko" / nb_path.name


def korean_solved_notebook(nb_path: Path):
    """notebooks/ko/<name> with each exercise cell replaced by the solved English cell (the same code)."""
    import nbformat

    korean = nbformat.read(korean_path(nb_path), as_version=4)
    solved = solved_notebook(nb_path)
    assert [c.get("id") for c in korean.cells] == [c.get("id") for c in solved.cells], \
        f"notebooks/ko/{nb_path.name} does not have the English notebook's cells: run `make ko`"
    for ko_cell, en_cell in zip(korean.cells, solved.cells):
        if "exercise" in ko_cell.metadata.get("tags", []):
            ko_cell.source = en_cell.source
        if ko_cell.cell_type == "code":
            ko_cell.outputs, ko_cell.execution_count = [], None
    return korean


def check_korean_run(nb_path: Path, ran: list) -> None:
    """Run 2's Korean outputs: the committed Korean text, Korean feedback, no missing glyph."""
    committed = json.loads(korean_path(nb_path).read_text(encoding="utf-8"))["cells"]
    assert len(committed) == len(ran)
    where = f"notebooks/ko/{nb_path.name}"
    for i, (old, new) in enumerate(zip(committed, ran)):
        shown = json.dumps(new.get("outputs", []), ensure_ascii=False)
        assert MISSING_GLYPH not in shown, f"{where} cell {i} drew a missing glyph: {shown[:300]}"
        if new.cell_type != "code":
            continue
        if new.source.startswith("check(") or "summary()" in new.source:
            assert HANGUL.search(shown), f"{where} cell {i}: the exercise feedback is not Korean: {shown[:300]}"
        elif CHECK_OUTPUT in new.source:
            assert _shown_text(new.outputs) == _shown_text(old["outputs"]), \
                f"{where} code cell {i} ({CHECK_OUTPUT}) printed other text than the committed Korean notebook"


SHOW_WARNINGS = "default::DeprecationWarning,default::FutureWarning"
# `path:line: DeprecationWarning: message`, as Python's warnings module prints it to stderr
WARNING_LINE = re.compile(r"^(?P<file>.*?):\d+: (?P<category>DeprecationWarning|FutureWarning): ", re.MULTILINE)


def attributable_warnings(cells) -> list[str]:
    """The DeprecationWarning and FutureWarning lines whose source is dlcourse or a notebook cell
    (a cell's code is /tmp/ipykernel_<pid>/<n>.py; PyTorch's warnings name the caller)."""
    found = []
    for cell in cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out["text"])
                for m in WARNING_LINE.finditer(text):
                    if "dlcourse" in m["file"] or "ipykernel_" in m["file"] or m["file"].startswith("<ipython-input"):
                        found.append(text[m.start():].splitlines()[0])
    return found


def run_twice(nb_path: Path, device: str, workdir: Path, english: bool = True, kernel_name: str = "python3",
              ran_cells: list | None = None) -> tuple[dict | None, dict]:
    """In one fresh kernel, Run All of the English notebook as shipped (unless `english` is False),
    then of the Korean one with its exercises solved; the metrics of both runs. `kernel_name`: another
    kernel spec (tests/colab_notebooks.py: Colab's runtime); `ran_cells` gets every executed cell."""
    import nbformat
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    metrics_path = workdir / f"{nb_path.stem}.metrics.json"
    solved_path = workdir / f"{nb_path.stem}.ko-solved.ipynb"
    nbformat.write(korean_solved_notebook(nb_path), solved_path)
    params = {"DEVICE": device, "SEED": 0, "METRICS_PATH": str(metrics_path)}
    runs = [("en", nb_path)] if english else []
    runs = [(language, load_notebook_node(str(path)))  # papermill's reading: the metadata it expects
            for language, path in [*runs, ("ko", solved_path)]]
    client = NotebookClient(runs[0][1], timeout=1200, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    results = {"en": None}
    # warnings shown, so that attributable_warnings() can find ours in the cells' stderr
    with client.setup_kernel(env=dict(os.environ, TQDM_DISABLE="1", PYTHONWARNINGS=SHOW_WARNINGS)):
        for language, source in runs:
            nb = parameterize_notebook(source, params)  # papermill's injected cell after `parameters`
            client.nb = nb
            metrics_path.unlink(missing_ok=True)
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)  # raises CellExecutionError, naming the cell, on any error
            assert metrics_path.exists(), f"{nb_path.name} ({language}) wrote no metrics to METRICS_PATH"
            results[language] = json.loads(metrics_path.read_text())
            ran = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
            if ran_cells is not None:
                ran_cells.extend(ran)
            if language == "en":
                check_output_cells(json.loads(nb_path.read_text(encoding="utf-8"))["cells"], ran)
            else:
                check_korean_run(nb_path, ran)
    return results["en"], results["ko"]


def test_notebooks_exist():
    assert [nb.name[:2] for nb in NOTEBOOKS][:3] == ["01", "02", "03"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell(nb):
    import papermill

    params = papermill.inspect_notebook(str(nb))
    assert REQUIRED_PARAMETERS <= set(params), f"{nb.name} lacks {REQUIRED_PARAMETERS - set(params)}"
    assert params["DEVICE"]["default"] == '"auto"'


def _run_and_check(nb: Path, device: str, tmp_path: Path, english: bool = True) -> None:
    ran = []
    shipped, solved = run_twice(nb, device, tmp_path, english, ran_cells=ran)
    check_both_runs(nb.name, shipped, solved, exercise_count(json.loads(nb.read_text(encoding="utf-8"))))
    warned = attributable_warnings(ran)
    assert not warned, f"{nb.name} warned from our code or how we call PyTorch:\n" + "\n".join(warned)


@pytest.mark.notebook
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cpu(nb, tmp_path, fashion_root, request):
    _run_and_check(nb, "cpu", tmp_path, english=not request.node.get_closest_marker("english_in_browser"))


@pytest.mark.cuda
@pytest.mark.notebook
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cuda(nb, tmp_path, fashion_root):
    _run_and_check(nb, "cuda", tmp_path)
