"""The benchmark's pure helpers: the time-to-accuracy loop's stopping rules on a fake clock, peak
memory of a command and its children, the tables, another commit's tree and data root for
`--against`, and quick runs of the bench itself. No timings or machine load asserted: it passes
on a busy machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.helpers import MB, first_reach, markdown_table, replace_between, run_measured, time_to_accuracy, tta_ratio

ROOT = Path(__file__).resolve().parent.parent


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


def _cell(i, seconds, heading="train"):
    return {"cell": i, "id": f"id{i}", "heading": heading, "seconds": seconds}


def test_tables_from_saved_results_with_against_a_failed_section_and_an_older_run():
    from bench.bench import COURSE_TARGET_S, cell_rows, summary, summary_rows

    def notebook(name, seconds, *cells):
        return {"notebook": name, "seconds": seconds, "peak_rss_mb": 1400.0, "error": None, "cells": list(cells)}

    before = {"ref": "main", "commit": "0123456789abcdef", "total_seconds": 100.0, "slowest_cell": _cell(3, 30.0),
              "notebooks": [notebook("05_cnn.ipynb", 100.0, _cell(3, 30.0), _cell(4, 0.2, "plot"))]}
    course = {"device": "cpu", "total_seconds": 50.0, "total_target_seconds": COURSE_TARGET_S, "peak_target_mb": 2048,
              "all_notebooks": True, "slowest_cell": _cell(3, 12.0) | {"notebook": "05_cnn.ipynb"}, "against": before,
              "notebooks": [notebook("05_cnn.ipynb", 50.0, _cell(3, 12.0), _cell(4, 0.3, "plot"), _cell(9, 2.0, ""))]}
    results = {"machine": {"cpu": "x", "cores": 2, "torch": "2", "torch_threads": 2}, "config": {"quick": False},
               "started": "t", "bench_seconds": 60, "sections": {
                   "course": course, "fit": {"error": "OSError: no"}, "flops": {"models": {}},  # an older bench's: not shown
                   "tta": {"ours_mlp": {"recipe": {"label": "ours", "target": 0.88}, "reached": True, "seconds": 5.0, "epochs": 2}}}}
    rows = summary_rows(results)
    assert [r["section"] for r in rows] == ["fit", "course", "course", "tta"]
    assert rows[0]["value"] == "FAILED: OSError: no"
    assert "slowest cell 12.0 s (train)" in rows[1]["value"] and "after / before 0.50" in rows[1]["value"]
    assert rows[1]["met"] == "yes" and "before (main, 0123456789) 100 s" in rows[2]["value"]
    assert cell_rows(course) == [  # matched by cell id; the 0.3 s cell is left out
        {"notebook": "05", "cell": "3: train", "after (s)": "12.0", "before (s)": "30.0", "after / before": "0.40"},
        {"notebook": "05", "cell": "9: (no # heading)", "after (s)": "2.0", "before (s)": "", "after / before": ""}]
    assert "the slowest cell 12.0 s (train) in 05" in summary(results)
    course["notebooks"][0]["cells"][0]["seconds"] = 16.0  # over the cell target: not met
    assert summary_rows(results)[1]["met"] == "**no**"
    old = {"device": "cpu", "total_seconds": 9.0, "total_target_seconds": 300, "peak_target_mb": 2048, "all_notebooks": True,
           "notebooks": [{"notebook": "01_a.ipynb", "seconds": 9.0, "peak_rss_mb": 1.0, "error": None,
                          "slowest_cells": [_cell(5, 6.0, "setup")]}]}
    assert "slowest cell 6.0 s (setup)" in summary_rows({"sections": {"course": old}})[0]["value"]


def test_cells_reads_papermill_durations(tmp_path):
    from bench.bench import cells

    found = [
        {"cell_type": "markdown", "metadata": {}, "source": "# title"},
        {"cell_type": "code", "id": "a", "metadata": {"papermill": {"duration": 0.5}}, "source": "# setup\nimport torch"},
        {"cell_type": "code", "id": "b", "metadata": {"papermill": {"duration": 9.0}}, "source": ["# NBVAL_CHECK_OUTPUT\n", "# train\n", "fit()"]},
        {"cell_type": "code", "metadata": {}, "source": "x = 1"},  # not executed: no duration
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": found}))
    assert cells(path) == [{"cell": 1, "id": "a", "heading": "setup", "seconds": 0.5},
                           {"cell": 2, "id": "b", "heading": "train", "seconds": 9.0}]
    assert cells(tmp_path / "missing.ipynb") == []


def test_against_runs_the_refs_own_dlcourse_on_a_fresh_data_root(tmp_path):
    from bench.bench import checkout, fresh_data_root

    tree, commit = checkout("HEAD", tmp_path / "ref")
    assert len(commit) == 40 and (tree / "dlcourse" / "__init__.py").is_file() and (tree / "notebooks").is_dir()
    env, seconds = fresh_data_root(tree, tmp_path / "data")
    assert seconds > 0 and sorted(p.name for p in (tmp_path / "data").iterdir()) == ["FashionMNIST"]
    where = subprocess.run([sys.executable, "-c", "import dlcourse, dlcourse.data as d; print(dlcourse.__file__, d.data_root())"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert where == [str(tree / "dlcourse" / "__init__.py"), str(tmp_path / "data")]  # the ref's package, not this one


def test_quick_bench_runs_every_named_section_and_keeps_the_full_results(tmp_path):
    """`python -m bench.bench --quick` measures for real at tiny sizes; it must not replace
    bench/results.json (the committed full run), and --readme needs a full run."""
    root = Path(__file__).resolve().parent.parent
    results = root / "bench" / "results.json"
    before = results.read_bytes() if results.exists() else None
    run = subprocess.run([sys.executable, "-m", "bench.bench", "--quick", "--threads", "1", "--sections", "fit"],
                         cwd=root, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| fit | fit / bare loop throughput" in run.stdout
    assert "`fit` runs at" in run.stdout  # the README's summary lines
    assert "QUICK smoke mode" in run.stdout
    written = Path(run.stderr.strip().splitlines()[-1].split("results written to ", 1)[1])
    saved = json.loads(written.read_text())
    assert written.parent == root / "bench" / "raw" and set(saved["sections"]) == {"fit"}
    assert saved["sections"]["fit"]["ratio"] > 0
    assert (results.read_bytes() if results.exists() else None) == before
    refused = subprocess.run([sys.executable, "-m", "bench.bench", "--quick", "--readme"], cwd=root,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--readme needs a full run" in refused.stderr


def test_run_course_writes_each_notebook_and_its_metrics_and_names_a_failure(tmp_path):
    """`make course` (tools/run_course.py): each notebook executed with its parameters injected, written
    once with every cell's output, its metrics beside it; a failing notebook is named and the run exits 1."""
    import nbformat

    def notebook(name, *sources):
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                               "display_name": "Python 3"}})
        nb.cells = [nbformat.v4.new_code_cell("DEVICE = 'auto'\nSEED = 1\nMETRICS_PATH = None",
                                              metadata={"tags": ["parameters"]})]
        nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    good = notebook("01_good.ipynb", "print('seed', SEED)",
                    "import json; json.dump({'final_loss': 0.5}, open(METRICS_PATH, 'w'))")
    bad = notebook("02_bad.ipynb", "raise ValueError('planted')")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "run_course.py"), "--out", str(out), "--seed", "3",
                          str(good), str(bad)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    executed = nbformat.read(out / "01_good.ipynb", as_version=4)
    assert [o["text"] for o in executed.cells[2].outputs] == ["seed 3\n"]  # the injected SEED, the last cell's output
    assert json.loads((out / "01_good.json").read_text()) == {"final_loss": 0.5}
    rows = {r["notebook"]: r for r in json.loads((out / "course.json").read_text())}
    assert rows["01_good.ipynb"]["error"] is None and rows["01_good.ipynb"]["value"] == 0.5
    assert "PapermillExecutionError" in rows["02_bad.ipynb"]["error"] and "FAILED" in run.stdout
