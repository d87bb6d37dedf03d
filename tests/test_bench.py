"""The benchmark's pure helpers: FLOP counting against hand formulas, the time-to-accuracy loop's
stopping rules on a fake clock, peak memory of a command and its children, the table, and one
quick run of the bench itself. No timings or machine load asserted: it passes on a busy machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from bench.helpers import (
    MB, first_reach, forward_flops, markdown_table, replace_between, run_measured, step_flops, time_to_accuracy,
    tta_ratio,
)
from dlcourse.models import MLP


def test_forward_and_step_flops_of_an_mlp_match_the_hand_formula():
    b = 16
    x, y = torch.randn(b, 1, 28, 28), torch.randint(0, 10, (b,))
    model = MLP()
    layers = [(784, 256), (256, 128), (128, 10)]
    forward = sum(2 * b * i * o for i, o in layers)
    assert forward_flops(model, x) == forward
    # backward = grad of weights (1x forward) + grad of inputs (1x forward) except the first
    # layer's, which autograd never computes: the image does not require grad.
    assert step_flops(model, x, y) == 3 * forward - 2 * b * 784 * 256
    assert all(p.grad is None for p in model.parameters())  # step_flops cleans up


def test_conv_flops_match_the_hand_formula():
    b = 3
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),            # (B, 4, 28, 28)
        nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),  # (B, 8, 14, 14)
        nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
    x, y = torch.randn(b, 1, 28, 28), torch.randint(0, 10, (b,))
    conv1 = 2 * 1 * 3 * 3 * (4 * 28 * 28) * b
    conv2 = 2 * 4 * 3 * 3 * (8 * 14 * 14) * b
    linear = 2 * (8 * 14 * 14) * 10 * b
    assert forward_flops(model, x) == conv1 + conv2 + linear
    assert step_flops(model, x, y) == 3 * (conv1 + conv2 + linear) - conv1


class FakeClock:
    """A clock that only moves when training says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_fake(accuracies, *, target=0.9, max_epochs=10, max_seconds=100.0, epoch_seconds=10.0, eval_seconds=5.0):
    clock = FakeClock()
    accs = iter(accuracies)

    def train_epoch(epoch):
        clock.now += epoch_seconds

    def evaluate():
        clock.now += eval_seconds  # must not count as training time
        return next(accs)

    return time_to_accuracy(train_epoch, evaluate, target=target, max_epochs=max_epochs,
                            max_seconds=max_seconds, clock=clock)


def test_time_to_accuracy_stops_at_the_target_and_excludes_evaluation():
    r = run_fake([0.5, 0.8, 0.91, 0.95])
    assert r["reached"] and r["stopped_by"] == "target"
    assert r["epochs"] == 3 and r["seconds"] == pytest.approx(30.0)  # 3 epochs, evaluation not counted
    assert [p["accuracy"] for p in r["curve"]] == [0.5, 0.8, 0.91]


def test_time_to_accuracy_caps_report_not_reached():
    by_epochs = run_fake([0.5, 0.6, 0.7], max_epochs=3)
    assert not by_epochs["reached"] and by_epochs["seconds"] is None
    assert by_epochs["stopped_by"] == "epochs" and by_epochs["epochs"] == 3
    assert by_epochs["best_accuracy"] == 0.7
    by_seconds = run_fake([0.5] * 10, max_seconds=25.0)
    assert by_seconds["stopped_by"] == "seconds" and by_seconds["epochs"] == 3
    assert by_seconds["trained_seconds"] == pytest.approx(30.0)
    # reaching the target in the epoch that crosses the seconds cap still counts
    assert run_fake([0.5, 0.5, 0.95], max_seconds=25.0)["reached"]


def test_first_reach_and_ratios():
    curve = [{"epoch": 1, "seconds": 4.0, "accuracy": 0.85}, {"epoch": 2, "seconds": 8.0, "accuracy": 0.89}]
    assert first_reach(curve, 0.88) == 8.0 and first_reach(curve, 0.9) is None
    ours = {"reached": True, "seconds": 10.0}
    assert tta_ratio({"reached": True, "seconds": 25.0}, ours) == (2.5, "2.5x")
    ratio, text = tta_ratio({"reached": False, "trained_seconds": 40.0}, ours)
    assert ratio == 4.0 and text.startswith(">= 4.0x")
    assert tta_ratio({"reached": True, "seconds": 1.0}, {"reached": False})[0] is None


@pytest.mark.skipif(not hasattr(__import__("os"), "wait4"), reason="needs os.wait4 (Unix)")
def test_run_measured_sees_the_peak_of_a_grandchild_that_allocated_and_freed():
    # like papermill's kernel: a process that the measured command starts, waits for, and outlives
    grandchild = "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); del b"
    code = f"import subprocess, sys; sys.exit(subprocess.run([sys.executable, '-c', {grandchild!r}]).returncode + 3)"
    exit_code, seconds, peak = run_measured([sys.executable, "-c", code])
    assert exit_code == 3 and seconds > 0
    assert peak >= 190 * MB  # the freed peak of the grandchild is still counted


def test_markdown_table_and_readme_markers():
    table = markdown_table([{"a": 1, "b": "x"}, {"a": 2}], ["a", "b"])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | x |", "| 2 |  |"]
    text = "intro\n<!-- b -->\nold\nlines\n<!-- e -->\noutro\n"
    assert replace_between(text, "<!-- b -->", "<!-- e -->", "new") == "intro\n<!-- b -->\nnew\n<!-- e -->\noutro\n"
    with pytest.raises(ValueError, match="markers"):
        replace_between("no markers", "<!-- b -->", "<!-- e -->", "new")


def test_summary_table_from_saved_results_with_skipped_and_failed_sections():
    from bench.bench import COLUMNS, summary_rows

    notebook = {"seconds": 40.0, "peak_rss_mb": 1400.0, "error": None, "slowest_cells": []}
    results = {"sections": {
        "course": {"device": "cpu", "total_seconds": 60.0, "total_target_seconds": 300, "peak_target_mb": 2048,
                   "all_notebooks": True, "notebooks": [
                       {**notebook, "notebook": "07_first.ipynb", "made_checkpoints": ["net.pt"]},
                       {**notebook, "notebook": "07_rerun.ipynb", "made_checkpoints": []}]},
        "tta": {"ours_mlp": {"recipe": {"label": "ours", "target": 0.88}, "reached": True, "seconds": 5.0, "epochs": 2}},
        "fit": {"model": "MLP", "batch_size": 128, "ratio": 0.97, "target": 0.95},
        "flops": {"error": "OSError: no matmul"},
        "cuda": {"skipped": "no CUDA GPU here"},
        "tuning": {"threads": {}},  # a section an older bench wrote: not shown
    }}
    rows = summary_rows(results)
    assert [r["section"] for r in rows] == ["flops", "course", "course", "course", "tta", "fit", "cuda"]
    assert rows[0]["value"] == "FAILED: OSError: no matmul"
    assert "first run: made net.pt" in rows[1]["value"] and "first run" not in rows[2]["value"]
    assert rows[5]["met"] == "yes" and rows[6]["value"] == "skipped: no CUDA GPU here"
    assert markdown_table(rows, COLUMNS).count("\n") == len(rows) + 1


def test_slowest_cells_reads_papermill_durations(tmp_path):
    from bench.bench import slowest_cells

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# title"},
        {"cell_type": "code", "metadata": {"papermill": {"duration": 0.5}}, "source": "# setup\nimport torch"},
        {"cell_type": "code", "metadata": {"papermill": {"duration": 9.0}}, "source": ["# NBVAL_CHECK_OUTPUT\n", "# train\n", "fit()"]},
        {"cell_type": "code", "metadata": {}, "source": "x = 1"},  # not executed: no duration
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    assert slowest_cells(path, top=2) == [{"cell": 2, "seconds": 9.0, "heading": "train"},
                                          {"cell": 1, "seconds": 0.5, "heading": "setup"}]
    assert slowest_cells(tmp_path / "missing.ipynb") == []


def test_quick_bench_runs_every_named_section_and_keeps_the_full_results(tmp_path):
    """`python -m bench.bench --quick` measures for real at tiny sizes; it must not replace
    bench/results.json (the committed full run), and --readme needs a full run."""
    root = Path(__file__).resolve().parent.parent
    results = root / "bench" / "results.json"
    before = results.read_bytes() if results.exists() else None
    run = subprocess.run([sys.executable, "-m", "bench.bench", "--quick", "--threads", "1", "--sections", "fit,cuda"],
                         cwd=root, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| fit | fit / bare loop throughput" in run.stdout and "| cuda |" in run.stdout
    assert "`fit` runs at" in run.stdout  # the README's summary lines
    assert "QUICK smoke mode" in run.stdout
    written = Path(run.stderr.strip().splitlines()[-1].split("results written to ", 1)[1])
    saved = json.loads(written.read_text())
    assert written.parent == root / "bench" / "raw" and set(saved["sections"]) == {"fit", "cuda"}
    assert saved["sections"]["fit"]["ratio"] > 0
    assert (results.read_bytes() if results.exists() else None) == before
    refused = subprocess.run([sys.executable, "-m", "bench.bench", "--quick", "--readme"], cwd=root,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--readme needs a full run" in refused.stderr
