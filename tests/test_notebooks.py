"""Every notebook is a test: papermill runs it with parameters on cpu (and cuda where present),
then the metrics it writes to METRICS_PATH are checked against floors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
REQUIRED_PARAMETERS = {"DEVICE", "SEED", "METRICS_PATH"}


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


def test_notebooks_exist():
    assert [nb.name[:2] for nb in NOTEBOOKS][:3] == ["01", "02", "03"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell(nb):
    import papermill

    params = papermill.inspect_notebook(str(nb))
    assert REQUIRED_PARAMETERS <= set(params), f"{nb.name} lacks {REQUIRED_PARAMETERS - set(params)}"
    assert params["DEVICE"]["default"] == '"auto"'


def _run(nb: Path, device: str, tmp_path: Path) -> dict:
    import papermill

    metrics_path = tmp_path / "metrics.json"
    papermill.execute_notebook(
        str(nb), str(tmp_path / nb.name),
        parameters={"DEVICE": device, "SEED": 0, "METRICS_PATH": str(metrics_path)},
        kernel_name="python3", cwd=str(nb.parent), progress_bar=False, execution_timeout=1200,
    )
    return json.loads(metrics_path.read_text())


@pytest.mark.notebook
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cpu(nb, tmp_path, fashion_root):
    CHECKS[nb.name[:2]](_run(nb, "cpu", tmp_path))


@pytest.mark.cuda
@pytest.mark.notebook
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cuda(nb, tmp_path, fashion_root):
    CHECKS[nb.name[:2]](_run(nb, "cuda", tmp_path))
