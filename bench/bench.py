"""`make bench`: the figures behind the course's performance decisions, measured in one run.

  course  every notebook's default run, a first run on a fresh data root: seconds per notebook
          and per cell (targets: the course <= 60 s, a cell <= 15 s), peak memory per notebook
          (<= 2 GB; `doctor --room N` sizes a room by it); with --against REF, REF's notebooks and
          dlcourse too, notebook by notebook in the same run, and the ratio
  tta     seconds to 0.88 test accuracy: notebook 03's recipe (tensors in memory, fit) against the
          same recipe fed per item through torchvision and a DataLoader
  fit     dlcourse.train.fit's throughput against a bare loop on the same model and batches

Usage: python -m bench.bench [--quick] [--sections course,tta,fit] [--against REF] [--readme]
       [--from-results FILE]. Writes bench/results.json (a dated copy in bench/raw/), prints tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from bench import recipes
from bench.helpers import (MB, cpu_model, markdown_table, median_ratio, replace_between, run_measured,
                           time_to_accuracy, timed, tta_ratio)

ROOT = Path(__file__).resolve().parent.parent
RESULTS, RAW = ROOT / "bench" / "results.json", ROOT / "bench" / "raw"
README, BENCH_README = ROOT / "README.md", ROOT / "bench" / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
SECTIONS = ("course", "tta", "fit")
COURSE_TARGET_S, CELL_TARGET_S, PEAK_TARGET_MB, FIT_TARGET = 60, 15, 2048, 0.95


@dataclass
class Config:
    """How much work each section does; `quick_mode()` shrinks every one of them."""

    quick: bool = False
    notebooks: int | None = None     # only the first N notebooks (None: all)
    max_seconds: float = 300.0       # cap on training seconds per time-to-accuracy recipe
    train_subset: int | None = None  # train on the first N images only (None: all 60,000)
    epoch_cap: int | None = None     # at most this many epochs per recipe
    fit_batches: int = 50            # batches per fit-overhead trial
    fit_repeats: int = 41            # fit / bare-loop trial pairs (median of their ratios)

    @classmethod
    def quick_mode(cls) -> "Config":
        return cls(quick=True, notebooks=1, max_seconds=20, train_subset=3000, epoch_cap=1, fit_batches=10, fit_repeats=3)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- course: per notebook and per cell, this tree and (--against) another ----------------------

def checkout(ref: str, into: Path) -> tuple[Path, str]:
    """REF's whole tree (git archive) in `into`, and its commit."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    into.mkdir(parents=True)
    subprocess.run(["bash", "-o", "pipefail", "-c", f'git archive {commit} | tar -x -C "$0"', str(into)], cwd=ROOT, check=True)
    return into, commit


def fresh_data_root(tree: Path, scratch: Path) -> tuple[dict, float]:
    """A data root holding only Fashion-MNIST's four files, made ready by the tree's own
    `python -m dlcourse data` (as `make data` leaves a fresh clone); the environment and its seconds."""
    from dlcourse.data import FASHION_FILES, fashion_mnist_dir

    raw = scratch / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FASHION_FILES:
        shutil.copyfile(fashion_mnist_dir() / name, raw / name)
    env = {**os.environ, "PYTHONPATH": str(tree), "DLCOURSE_DATA": str(scratch)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dlcourse", "data"], env=env, cwd=tree, check=True, stdout=sys.stderr)
    return env, time.perf_counter() - start


def cells(executed: Path) -> list[dict]:
    """Every executed code cell: index, id, `# heading`, seconds (papermill's record)."""
    out = []
    for index, cell in enumerate(json.loads(executed.read_text(encoding="utf-8"))["cells"] if executed.exists() else []):
        seconds = (cell.get("metadata", {}).get("papermill") or {}).get("duration")
        if cell.get("cell_type") == "code" and seconds is not None:
            lines = "".join(cell.get("source", "")).splitlines()
            heading = next((x[2:].strip() for x in lines if x.startswith("# ") and "NBVAL" not in x), "")
            out.append({"cell": index, "id": cell.get("id"), "heading": heading, "seconds": seconds})
    return out


def run_notebook(nb: Path, side: dict) -> dict:
    """One notebook's default run (tools/run_course.py in its own process): seconds, cells, peak."""
    out = side["out"]
    code, _, peak = run_measured([sys.executable, str(ROOT / "tools" / "run_course.py"), "--out", str(out), str(nb)],
                                 stdout=sys.stderr, env=side["env"], cwd=side["tree"])
    row = json.loads((out / "course.json").read_text())[0]  # notebook, seconds, metric, value, error
    row.update(peak_rss_mb=peak / MB, cells=cells(out / nb.name))
    row["slowest_cells"] = sorted(row["cells"], key=lambda c: -c["seconds"])[:3]
    if code and not row["error"]:
        row["error"] = f"tools/run_course.py exited with {code}"
    return row


def section_course(cfg: Config, against: str | None = None) -> dict:
    """This tree's notebooks (and REF's), each on its own fresh data root, notebook by notebook
    alternating which side goes first, so a busy machine slows both alike."""
    from dlcourse.device import get_device

    scratch = Path(tempfile.mkdtemp(prefix="dlcourse-bench-"))
    try:
        head = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
        sides = {"this tree": {"tree": ROOT, "commit": head.stdout.strip() or "unknown"}}
        if against:
            tree, commit = checkout(against, scratch / "against")
            sides["against"] = {"tree": tree, "commit": commit, "ref": against}
        for i, (name, side) in enumerate(sides.items()):
            side["env"], side["data_seconds"] = fresh_data_root(side["tree"], scratch / f"data{i}")
            side["out"], side["notebooks"] = RAW / "course" / ("against" if i else "this"), []
        names = sorted({p.name for s in sides.values() for p in (s["tree"] / "notebooks").glob("[0-9][0-9]_*.ipynb")})
        for i, name in enumerate(names[: cfg.notebooks]):
            for label in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
                if (nb := sides[label]["tree"] / "notebooks" / name).exists():
                    log(f"course: {name} ({label})")
                    sides[label]["notebooks"].append(run_notebook(nb, sides[label]))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = {}
    for label, side in sides.items():
        every = [dict(c, notebook=r["notebook"]) for r in side["notebooks"] for c in r["cells"]]
        out[label] = {k: (str(v) if k == "tree" else v) for k, v in side.items() if k not in ("env", "out")} | {
            "total_seconds": sum(r["seconds"] for r in side["notebooks"]),
            "slowest_cell": max(every, key=lambda c: c["seconds"], default=None),
            "cells_over_target": [c for c in every if c["seconds"] > CELL_TARGET_S]}
    course = {**out["this tree"], "device": str(get_device("auto")), "all_notebooks": cfg.notebooks is None,
              "total_target_seconds": COURSE_TARGET_S, "cell_target_seconds": CELL_TARGET_S,
              "peak_target_mb": PEAK_TARGET_MB}
    if against:
        course["against"] = out["against"]
    return course


# --- tta and fit ---------------------------------------------------------------------------

def section_tta(cfg: Config, data: dict) -> dict:
    """Notebook 03's recipe to 0.88 test accuracy, fed as tensors (ours) and per item (plain)."""
    ours = recipes.ours_mlp()
    out = {}
    for recipe in (ours, recipes.plain_torchvision(ours)):
        cap = min(recipe.epochs, cfg.epoch_cap or recipe.epochs)
        log(f"tta: {recipe.name} to {recipe.target} (<= {cap} epochs, <= {cfg.max_seconds:.0f} s)")
        train_epoch, accuracy = recipes.make_run(recipe, data, torch.device("cpu"), train_subset=cfg.train_subset)
        out[recipe.name] = time_to_accuracy(train_epoch, accuracy, target=recipe.target, max_epochs=cap,
                                            max_seconds=cfg.max_seconds) | {"recipe": asdict(recipe)}
    out["plain_torchvision"]["ratio_to_ours"], out["plain_torchvision"]["ratio_text"] = tta_ratio(
        out["plain_torchvision"], out["ours_mlp"])
    return out


def section_fit(cfg: Config, data: dict) -> dict:
    """fit's samples/s over a bare loop's: same MLP, weights, Adam and batches; the median of many
    short trial pairs alternating which goes first (a VM's single fastest trial is an outlier)."""
    from dlcourse.data import TensorLoader
    from dlcourse.device import seed_everything
    from dlcourse.models import MLP
    from dlcourse.train import fit

    bs, lr = recipes.ours_mlp().batch_size, recipes.ours_mlp().lr
    n = min(len(data["x_train"]), cfg.fit_batches * bs)
    x, y = data["x_train"][:n], data["y_train"][:n]
    seed_everything(0)
    start_state = MLP().state_dict()

    def trial(kind: str) -> float:
        model = MLP()
        model.load_state_dict(start_state)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        loader = TensorLoader(x, y, bs, shuffle=True, seed=0)  # the same batches every trial
        if kind == "fit":
            return n / timed(lambda: fit(model, loader, optimizer=optimizer, epochs=1, device="cpu", progress=False))
        return n / timed(lambda: recipes.plain_epoch(model, loader, optimizer, "cpu"))

    trial("bare"), trial("fit")  # warm-up
    pairs = []
    for i in range(cfg.fit_repeats):
        rates = {kind: trial(kind) for kind in (("fit", "bare") if i % 2 else ("bare", "fit"))}
        pairs.append((rates["fit"], rates["bare"]))
    return {"model": "MLP 784-256-128-10", "batch_size": bs, "samples": n, "repeats": cfg.fit_repeats,
            "fit_samples_per_s": [p[0] for p in pairs], "bare_samples_per_s": [p[1] for p in pairs],
            "ratio": median_ratio(pairs), "target": FIT_TARGET}


# --- running, the tables, the README -------------------------------------------------------

def run_all(cfg: Config, sections: list[str], against: str | None) -> dict:
    from dlcourse.files import atomic_write_text

    load = lambda: [round(v, 2) for v in os.getloadavg()]  # noqa: E731
    results = {"started": dt.datetime.now().isoformat(timespec="seconds"), "config": asdict(cfg), "load_before": load(),
               "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                           "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                           "python": platform.python_version(), "torch": torch.__version__},
               "sections": {}}
    start = time.perf_counter()
    data = {}
    if set(sections) - {"course"}:
        from dlcourse.data import load_fashion_mnist

        (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"]) = map(load_fashion_mnist, (True, False))
    steps = {"course": lambda: section_course(cfg, against), "tta": lambda: section_tta(cfg, data),
             "fit": lambda: section_fit(cfg, data)}
    for name in sections:
        log(f"section {name}")
        try:
            results["sections"][name] = steps[name]()
        except Exception as exc:  # keep the other sections' figures; the table shows the error
            log(f"section {name} failed: {type(exc).__name__}: {exc}")
            results["sections"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        results["load_after"], results["bench_seconds"] = load(), time.perf_counter() - start
        atomic_write_text(RAW / "results-partial.json", json.dumps(results, indent=2, default=str) + "\n")
    return results


def yes_no(ok: bool) -> str:
    return "yes" if ok else "**no**"

def cell_text(c: dict | None) -> str:
    return f"{c['seconds']:.1f} s ({c['heading'] or 'cell ' + str(c['cell'])})" if c else "-"

def course_rows(s: dict) -> list[dict]:
    before = {r["notebook"]: r for r in s.get("against", {}).get("notebooks", [])}
    rows = []
    for r in s["notebooks"]:  # an older results.json has slowest_cells only
        slowest = max(r.get("cells") or r.get("slowest_cells") or [None], key=lambda c: c["seconds"] if c else 0)
        value = (f"{r['seconds']:.1f} s, peak {r['peak_rss_mb']:.0f} MB; slowest cell {cell_text(slowest)}"
                 + (" FAILED: " + r["error"] if r["error"] else ""))
        if b := before.get(r["notebook"]):
            value += f"; before {b['seconds']:.1f} s, after / before {r['seconds'] / b['seconds']:.2f}"
        ok = r["peak_rss_mb"] <= s["peak_target_mb"] and not r["error"] and (slowest or {"seconds": 0})["seconds"] <= CELL_TARGET_S
        rows.append({"section": "course", "measure": f"{r['notebook'][:-6]} ({s['device']})", "value": value,
                     "target": f"<= {s['peak_target_mb']} MB, a cell <= {CELL_TARGET_S} s", "met": yes_no(ok)})
    scope = f"{len(s['notebooks'])} notebooks" + ("" if s["all_notebooks"] else ", quick subset")
    value = f"{s['total_seconds']:.0f} s; slowest cell {cell_text(s.get('slowest_cell'))}"
    if a := s.get("against"):
        value += (f"; before ({a['ref']}, {a['commit'][:10]}) {a['total_seconds']:.0f} s, slowest cell "
                  f"{cell_text(a['slowest_cell'])}; after / before {s['total_seconds'] / a['total_seconds']:.2f}")
    rows.append({"section": "course", "measure": f"whole course ({scope}, first run)", "value": value,
                 "target": f"<= {s['total_target_seconds']} s", "met": yes_no(s["total_seconds"] <= s["total_target_seconds"])})
    return rows


def tta_rows(s: dict) -> list[dict]:
    rows = []
    for r in s.values():
        value = (f"{r['seconds']:.1f} s ({r['epochs']} ep)" if r["reached"] else
                 f"not reached within cap: best {r['best_accuracy']:.4f} after {r['trained_seconds']:.0f} s ({r['epochs']} ep)")
        rows.append({"section": "tta", "measure": f"{r['recipe']['label']} to {r['recipe']['target']}", "value": value,
                     "target": f"time / ours: {r['ratio_text']}" if "ratio_text" in r else ""})
    return rows


def fit_rows(s: dict) -> list[dict]:
    return [{"section": "fit", "measure": f"fit / bare loop throughput ({s['model']}, batch {s['batch_size']})",
             "value": f"{s['ratio']:.3f}", "target": f">= {s['target']}", "met": yes_no(s["ratio"] >= s["target"])}]


def summary_rows(results: dict) -> list[dict]:
    """The one table's rows from a results dict (a saved one too; an older run's other sections are not shown)."""
    sections = {k: v for k, v in results["sections"].items() if k in SECTIONS}
    rows = [{"section": k, "measure": "the whole section", "value": f"FAILED: {v['error']}"}
            for k, v in sections.items() if "error" in v]
    for name, make in (("course", course_rows), ("tta", tta_rows), ("fit", fit_rows)):
        if name in sections and "error" not in sections[name]:
            rows += make(sections[name])
    return rows


def cell_rows(course: dict, at_least: float = 1.0) -> list[dict]:
    """Every cell of at least `at_least` s on either side, matched by cell id: before, after, ratio."""
    before = {(r["notebook"], c["id"]): c for r in course.get("against", {}).get("notebooks", []) for c in r["cells"]}
    rows = []
    for r in course["notebooks"]:
        for c in r.get("cells", []):
            b = before.get((r["notebook"], c["id"]))
            if max(c["seconds"], b["seconds"] if b else 0) >= at_least:
                rows.append({"notebook": r["notebook"][:2], "cell": f"{c['cell']}: {c['heading'] or '(no # heading)'}"[:60],
                             "after (s)": f"{c['seconds']:.1f}", "before (s)": f"{b['seconds']:.1f}" if b else "",
                             "after / before": f"{c['seconds'] / b['seconds']:.2f}" if b and b["seconds"] else ""})
    return rows


def machine_line(results: dict) -> str:
    m, load = results["machine"], (results.get("load_before"), results.get("load_after"))
    device = f"GPU {m['gpu']}" if m.get("gpu") else "no GPU (CPU only)"
    load_text = f"load average {load[0][0]} before, {load[1][0]} after" if all(load) else "load unknown"
    mode = " (QUICK smoke mode: figures not meaningful)" if results["config"]["quick"] else ""
    return (f"{m['cpu']}, {m['cores']} cores, {device}; torch {m['torch']} with {m['torch_threads']} threads; "
            f"{load_text}; {results['started']}; bench took {results['bench_seconds'] / 60:.1f} min{mode}")


def summary(results: dict) -> str:
    """README.md's few lines, each figure with the decision it answers."""
    s, lines = results["sections"], []
    if "notebooks" in (c := s.get("course", {})):
        peak = max(c["notebooks"], key=lambda r: r["peak_rss_mb"])
        lines.append(f"- The whole course ({len(c['notebooks'])} notebooks, default runs, first run, {c['device']}): "
                     f"{c['total_seconds']:.0f} s (target <= {c['total_target_seconds']} s); the slowest cell "
                     f"{cell_text(c.get('slowest_cell'))} in {(c.get('slowest_cell') or {}).get('notebook', '?')[:2]} "
                     f"(target <= {CELL_TARGET_S} s); the largest peak memory {peak['peak_rss_mb']:.0f} MB "
                     f"({peak['notebook'][:2]}; target <= {c['peak_target_mb']} MB).")
    if (t := s.get("tta", {}).get("plain_torchvision", {})).get("ratio_to_ours"):
        lines.append(f"- Holding the data as tensors: notebook 03's recipe fed per item through torchvision "
                     f"takes {t['ratio_text']} as long to 0.88 test accuracy.")
    if "ratio" in (f := s.get("fit", {})):
        lines.append(f"- `fit` runs at {f['ratio']:.3f} of a bare loop's speed (target >= {f['target']}).")
    return "\n".join(["Measured with `python -m bench.bench` (what `make bench` runs) on: " + machine_line(results) + ".", "", *lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: every section, tiny sizes")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"a comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--against", metavar="REF", help="also run REF's notebooks and dlcourse (a git ref), side by side")
    parser.add_argument("--threads", type=int, help="torch threads for the bench and the notebooks' kernels")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's summary and bench/README.md's table")
    parser.add_argument("--from-results", type=Path, help="print (and --readme) from a saved results JSON; measure nothing")
    args = parser.parse_args(argv)
    from dlcourse.files import atomic_write_text

    if args.from_results:
        results = json.loads(args.from_results.read_text())
    else:
        sections = [s.strip() for s in args.sections.split(",") if s.strip()]
        if unknown := set(sections) - set(SECTIONS):
            parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
        if args.readme and (args.quick or set(sections) != set(SECTIONS)):
            parser.error("--readme needs a full run (every section, no --quick): the README's figures must all come from one run")
        if args.threads:  # here, and in the kernels papermill starts (they read it when torch loads)
            torch.set_num_threads(args.threads)
            os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
        results = run_all(Config.quick_mode() if args.quick else Config(), sections, args.against)
        text = json.dumps(results, indent=2, default=str) + "\n"
        out = atomic_write_text(RAW / f"results-{results['started'].replace(':', '')}.json", text)
        if not args.quick and set(sections) == set(SECTIONS):  # only a full run replaces the committed figures
            out = atomic_write_text(RESULTS, text)
        log(f"results written to {out}")
    table = markdown_table(summary_rows(results), ["section", "measure", "value", "target", "met"])
    print(f"\n{machine_line(results)}\n\n{table}\n")
    if "notebooks" in (course := results["sections"].get("course", {})):
        print(markdown_table(cell_rows(course), ["notebook", "cell", "after (s)", "before (s)", "after / before"]) + "\n")
    print(summary(results))
    if args.readme:
        for path, body in ((README, summary(results)), (BENCH_README, machine_line(results) + "\n\n" + table)):
            atomic_write_text(path, replace_between(path.read_text(encoding="utf-8"), BEGIN, END, body))
        print(f"\nREADME.md and bench/README.md rewritten from {args.from_results or RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
