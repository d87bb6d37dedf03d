"""`make bench`: the course's four performance promises, measured in one run.

  course  every notebook's default run (tools/run_course.py): seconds, and peak memory
  tta     training seconds to a test accuracy: ours against a plain per-item loop and d2l's LeNet-5
  fit     dlcourse.train.fit's throughput against a bare loop on the same model and batches
  flops   the training step's achieved FLOP/s against a large float32 matmul's
  cuda    tta, fit and flops again on CUDA (skipped, with the reason, where there is none)

Usage: python -m bench.bench [--quick] [--sections course,tta,...] [--readme] [--from-results FILE]
Writes bench/results.json (atomically; a dated copy in bench/raw/) and prints one markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from bench import recipes
from bench.helpers import (
    MB, cpu_model, first_reach, forward_flops, markdown_table, matmul_flops_per_second, median_ratio,
    replace_between, run_measured, step_flops, sync, time_to_accuracy, timed, tta_ratio,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
RAW = ROOT / "bench" / "raw"
README = ROOT / "README.md"            # gets the short summary
BENCH_README = ROOT / "bench" / "README.md"  # gets the full table
README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"
SECTIONS = ("course", "tta", "fit", "flops", "cuda")
COURSE_SECONDS_TARGET = 5 * 60   # whole course, default run, on a 2-core CPU
PEAK_RSS_TARGET_MB = 2048        # every notebook's kernel
FIT_RATIO_TARGET = 0.95


@dataclass
class Config:
    """How much work each section does; `quick()` shrinks every one of them."""

    quick: bool = False
    max_seconds: float = 300.0         # cap on training seconds per time-to-accuracy recipe
    train_subset: int | None = None    # train on the first N images only (None: all 60,000)
    epoch_cap: int | None = None       # at most this many epochs per recipe (None: the recipe's own)
    notebooks: int | None = None       # run only the first N notebooks (None: all)
    fit_batches: int | None = 50       # batches per fit-overhead trial (None: one whole epoch)
    fit_repeats: int = 41              # fit / bare-loop trial pairs (median of their ratios)
    repeats: int = 5                   # back-to-back trials behind the other ratios
    matmul_n: int = 2048               # side of the square float32 matmul
    step_seconds: float = 2.0          # timing window of each training-step throughput

    @classmethod
    def quick_mode(cls) -> "Config":
        return cls(quick=True, max_seconds=20, train_subset=3000, epoch_cap=1, notebooks=1,
                   fit_batches=10, fit_repeats=3, repeats=2, matmul_n=512, step_seconds=0.2)


def _load() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none)."""
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_data() -> dict:
    """Both splits as tensors, standardised; the test split also as raw [0, 1] pixels."""
    from dlcourse.data import load_fashion_mnist

    x_train, y_train = load_fashion_mnist(train=True)
    x_test, y_test = load_fashion_mnist(train=False)
    x_test_raw, _ = load_fashion_mnist(train=False, normalize=False)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
            "x_test_raw": x_test_raw}


# --- 1. course run time and peak memory ----------------------------------------------------

def section_course(cfg: Config) -> dict:
    """Run each notebook's default run (tools/run_course.py, one process per notebook) and record
    its seconds, its peak memory (os.wait4: the kernel's), and which checkpoints it made in the
    data root (notebook 07 pretrains on a first run only)."""
    from dlcourse.data import data_root
    from dlcourse.device import get_device

    checkpoints = data_root() / "checkpoints"
    out = RAW / "course"
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[: cfg.notebooks]
    rows = []
    for nb in notebooks:
        before = set(checkpoints.glob("*.pt"))
        code, _, peak = run_measured([sys.executable, str(ROOT / "tools" / "run_course.py"), "--out", str(out),
                                      str(nb)], stdout=sys.stderr)
        row = json.loads((out / "course.json").read_text())[0]  # seconds, metric, error (the papermill call)
        row["made_checkpoints"] = sorted(p.name for p in set(checkpoints.glob("*.pt")) - before)
        row["peak_rss_mb"] = peak / MB
        row["slowest_cells"] = slowest_cells(out / nb.name)
        if code and not row["error"]:
            row["error"] = f"tools/run_course.py exited with {code}"
        rows.append(row)
    total = sum(r["seconds"] for r in rows)
    return {"device": str(get_device("auto")), "notebooks": rows, "total_seconds": total,
            "all_notebooks": cfg.notebooks is None,
            "total_target_seconds": COURSE_SECONDS_TARGET, "peak_target_mb": PEAK_RSS_TARGET_MB}


def slowest_cells(executed: Path, top: int = 3) -> list[dict]:
    """The `top` slowest code cells of an executed notebook (papermill records each cell's seconds)."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return []
    timed_cells = []
    for index, cell in enumerate(cells):
        seconds = (cell.get("metadata", {}).get("papermill") or {}).get("duration")
        if cell.get("cell_type") == "code" and seconds is not None:
            source = "".join(cell.get("source", ""))
            heading = next((line for line in source.splitlines() if line.startswith("# ") and "NBVAL" not in line), "")
            timed_cells.append({"cell": index, "seconds": seconds, "heading": heading[2:].strip()})
    return sorted(timed_cells, key=lambda c: -c["seconds"])[:top]


# --- 2. time to accuracy -------------------------------------------------------------------

def run_recipe(recipe: recipes.Recipe, cfg: Config, data: dict, device: torch.device) -> dict:
    """Time `recipe` to its target accuracy (evaluation off the clock) within the caps."""
    cap = min(recipe.epochs, cfg.epoch_cap or recipe.epochs)
    log(f"tta: {recipe.name} to {recipe.target} on {device} (<= {cap} epochs, <= {cfg.max_seconds:.0f} s)")
    train_epoch, accuracy = recipes.make_run(recipe, data, device, train_subset=cfg.train_subset)
    result = time_to_accuracy(train_epoch, accuracy, target=recipe.target, max_epochs=cap,
                              max_seconds=cfg.max_seconds)
    result["seconds_to"] = {str(t): first_reach(result["curve"], t) for t in (0.88, 0.91)}
    result.update(recipe=asdict(recipe), epochs_cap=cap, seconds_cap=cfg.max_seconds)
    log(f"tta: {recipe.name}: best {result['best_accuracy']:.4f} after {result['trained_seconds']:.1f} s, "
        f"{'reached' if result['reached'] else 'not reached'}")
    return result


def section_tta(cfg: Config, data: dict, device: torch.device, *, references: bool = True) -> dict:
    """Ours (notebooks 03 and 05) and, when `references`, d2l's LeNet-5 and the plain per-item loop."""
    mlp, cnn = recipes.ours_mlp(), recipes.ours_cnn()
    todo = [mlp, recipes.plain_torchvision(mlp), cnn, recipes.d2l_lenet_recipe(cnn)] if references else [mlp, cnn]
    out: dict = {}
    for recipe in todo:
        out[recipe.name] = run_recipe(recipe, cfg, data, device)
    for result in out.values():
        ours = out.get((result.get("recipe") or {}).get("compare_to") or "", {})
        if "curve" in ours:
            result["ratio_to_ours"], result["ratio_text"] = tta_ratio(result, ours)
    return out


# --- 3. fit against a bare loop ------------------------------------------------------------

def section_fit(cfg: Config, data: dict, device: torch.device) -> dict:
    """Throughput of fit and of a bare loop, same MLP, weights, optimizer and batches.

    Many short trial pairs, alternating which goes first; the value is the median of the pairs'
    ratios (on a VM the single fastest trial of either side is itself an outlier; the best-of
    ratio is kept in the JSON beside it).
    """
    from dlcourse.data import TensorLoader
    from dlcourse.device import seed_everything
    from dlcourse.models import MLP
    from dlcourse.train import fit

    recipe = recipes.ours_mlp()
    bs = recipe.batch_size
    n = min(len(data["x_train"]), (cfg.fit_batches or 10**9) * bs)
    x, y = data["x_train"][:n].to(device), data["y_train"][:n].to(device)
    seed_everything(0)
    start_state = MLP().state_dict()

    def trial(kind: str) -> float:
        model = MLP().to(device)
        model.load_state_dict(start_state)
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
        loader = TensorLoader(x, y, bs, shuffle=True, seed=0)  # the same batches every trial
        if kind == "fit":
            run = lambda: fit(model, loader, optimizer=optimizer, epochs=1, device=device, progress=False)  # noqa: E731
        else:
            run = lambda: recipes.plain_epoch(model, loader, optimizer, device)  # noqa: E731
        return n / timed(run, device)

    trial("bare"), trial("fit")  # warm-up
    pairs = []
    for i in range(cfg.fit_repeats):
        order = ("fit", "bare") if i % 2 else ("bare", "fit")  # alternate who goes first
        rates = {kind: trial(kind) for kind in order}
        pairs.append((rates["fit"], rates["bare"]))
    best_fit, best_bare = max(p[0] for p in pairs), max(p[1] for p in pairs)
    return {"model": "MLP 784-256-128-10", "batch_size": bs, "samples": n, "repeats": cfg.fit_repeats,
            "fit_samples_per_s": [p[0] for p in pairs], "bare_samples_per_s": [p[1] for p in pairs],
            "ratio": median_ratio(pairs), "best_of_ratio": best_fit / best_bare, "target": FIT_RATIO_TARGET}


# --- 4. how close to the machine -----------------------------------------------------------

def steps_per_second(model, x, y, device, seconds: float) -> float:
    """Training steps per second on one batch held on the device (no data loading on the clock)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()  # warm-up
    sync(device)
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or steps < 3:
        step()
        steps += 1
        if steps % 10 == 0:
            sync(device)
    sync(device)
    return steps / (time.perf_counter() - start)


def flops_models() -> list[tuple[str, object, int]]:
    """(name, model factory, batch size) for the models the course trains, plus d2l's LeNet-5."""
    from dlcourse.models import MLP, SmallCNN

    return [("MLP (notebook 03)", MLP, recipes.ours_mlp().batch_size),
            ("SmallCNN (notebook 05)", SmallCNN, recipes.ours_cnn().batch_size),
            ("d2l LeNet-5", recipes.d2l_lenet, 256)]


def section_flops(cfg: Config, data: dict, device: torch.device, matmul_n: int | None = None) -> dict:
    """Achieved FLOP/s of each model's training step as a fraction of a big matmul's."""
    n = matmul_n or cfg.matmul_n
    peak = matmul_flops_per_second(n, device=device)
    models = {}
    for name, factory, bs in flops_models():
        torch.manual_seed(0)
        model = factory().to(device)
        x, y = data["x_train"][:bs].to(device), data["y_train"][:bs].to(device)
        flops = step_flops(model, x, y)
        rate = steps_per_second(model, x, y, device, cfg.step_seconds)
        models[name] = {"batch_size": bs, "step_flops": flops, "forward_flops": forward_flops(model, x),
                        "steps_per_s": rate, "flops_per_s": flops * rate}
    peak = max(peak, matmul_flops_per_second(n, device=device))  # again after: the better of two
    for m in models.values():
        m["fraction_of_matmul"] = m["flops_per_s"] / peak
    return {"matmul_n": n, "matmul_flops_per_s": peak, "threads": torch.get_num_threads(), "models": models}


# --- 5. CUDA -------------------------------------------------------------------------------

def section_cuda(cfg: Config, data: dict) -> dict:
    """Our recipes' time to accuracy, fit overhead and FLOP/s on CUDA, or why they were skipped."""
    if not torch.cuda.is_available():
        return {"skipped": f"no CUDA GPU here (torch.cuda.is_available() is False; torch {torch.__version__}, "
                           f"built with CUDA {torch.version.cuda})"}
    device = torch.device("cuda")
    return {"device": torch.cuda.get_device_name(device),
            "tta": section_tta(cfg, data, device, references=False),
            "fit": section_fit(cfg, data, device),
            "flops": section_flops(cfg, data, device, matmul_n=1024 if cfg.quick else 8192)}


# --- running, the table, the README --------------------------------------------------------

def machine() -> dict:
    """What the numbers were measured on."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version(), "torch": torch.__version__,
            "platform": platform.platform()}


def run_all(cfg: Config, sections: list[str], progress_path: Path | None = None) -> dict:
    """Measure the chosen sections; return everything results.json holds (also saved after each section)."""
    from dlcourse.files import atomic_write_text

    results = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
               "config": asdict(cfg), "load_before": _load(), "sections": {}}
    start = time.perf_counter()
    data = load_data() if set(sections) - {"course"} else {}
    cpu = torch.device("cpu")
    steps = {
        "course": lambda: section_course(cfg),
        "tta": lambda: section_tta(cfg, data, cpu),
        "fit": lambda: section_fit(cfg, data, cpu),
        "flops": lambda: section_flops(cfg, data, cpu),
        "cuda": lambda: section_cuda(cfg, data),
    }
    for name in sections:
        log(f"section {name}")
        try:
            results["sections"][name] = steps[name]()
        except Exception as exc:  # keep the other sections' figures; the table shows the error
            log(f"section {name} failed: {type(exc).__name__}: {exc}")
            results["sections"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        results["load_after"] = _load()
        results["bench_seconds"] = time.perf_counter() - start
        if progress_path is not None:  # a crash or Ctrl-C later still leaves what was measured
            atomic_write_text(progress_path, json.dumps(results, indent=2, default=str) + "\n")
    return results


def yes_no(ok: bool) -> str:
    return "yes" if ok else "**no**"


def course_rows(s: dict) -> list[dict]:
    rows = [{"section": "course", "measure": f"{r['notebook'][:-6]} ({s['device']})",
             "value": f"{r['seconds']:.1f} s, peak {r['peak_rss_mb']:.0f} MB" + (" FAILED" if r["error"] else "")
             + ("; first run: made " + ", ".join(r["made_checkpoints"]) if r.get("made_checkpoints") else "")
             + (f"; slowest cell {c[0]['seconds']:.0f} s ({c[0]['heading'] or 'cell ' + str(c[0]['cell'])})"
                if (c := r.get("slowest_cells")) else ""),
             "target": f"<= {s['peak_target_mb']} MB", "met": yes_no(r["peak_rss_mb"] <= s["peak_target_mb"] and not r["error"])}
            for r in s["notebooks"]]
    scope = f"{len(s['notebooks'])} notebooks" + ("" if s["all_notebooks"] else ", quick subset")
    rows.append({"section": "course", "measure": f"whole course ({scope})", "value": f"{s['total_seconds']:.0f} s",
                 "target": f"<= {s['total_target_seconds']} s", "met": yes_no(s["total_seconds"] <= s["total_target_seconds"])})
    return rows


def tta_rows(s: dict, section: str = "tta") -> list[dict]:
    rows = []
    for r in s.values():
        rec = r["recipe"]
        if r["reached"]:
            value = f"{r['seconds']:.1f} s ({r['epochs']} ep)"
        else:
            value = f"not reached within cap: best {r['best_accuracy']:.4f} after {r['trained_seconds']:.0f} s ({r['epochs']} ep)"
        rows.append({"section": section, "measure": f"{rec['label']} to {rec['target']}", "value": value,
                     "target": f"time / ours: {r['ratio_text']}" if "ratio_text" in r else "", "met": ""})
    return rows


def fit_rows(s: dict, section: str = "fit") -> list[dict]:
    return [{"section": section, "measure": f"fit / bare loop throughput ({s['model']}, batch {s['batch_size']})",
             "value": f"{s['ratio']:.3f}", "target": f">= {s['target']}", "met": yes_no(s["ratio"] >= s["target"])}]


def flops_rows(s: dict, section: str = "flops") -> list[dict]:
    rows = [{"section": section, "measure": f"float32 matmul {s['matmul_n']}x{s['matmul_n']} ({s['threads']} threads)",
             "value": f"{s['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s"}]
    for name, m in s["models"].items():
        rows.append({"section": section, "measure": f"{name} training step, batch {m['batch_size']}",
                     "value": f"{m['flops_per_s'] / 1e9:.1f} GFLOP/s = {m['fraction_of_matmul']:.2f} of matmul",
                     "target": f"{m['step_flops'] / 1e6:.0f} MFLOP/step"})
    return rows


def summary_rows(results: dict) -> list[dict]:
    """The one table's rows, from a results dict (so a saved results.json can be re-tabled)."""
    sections = {k: v for k, v in results["sections"].items() if k in SECTIONS}  # an older run's others: not shown
    s = {name: section for name, section in sections.items() if "error" not in section}
    rows: list[dict] = [{"section": name, "measure": "the whole section", "value": f"FAILED: {section['error']}"}
                        for name, section in sections.items() if "error" in section]
    makers = {"course": course_rows, "tta": tta_rows, "fit": fit_rows, "flops": flops_rows}
    for name, make in makers.items():
        if name in s:
            rows += make(s[name])
    if "cuda" in s:
        c = s["cuda"]
        if "skipped" in c:
            rows.append({"section": "cuda", "measure": "all CUDA measurements", "value": f"skipped: {c['skipped']}"})
        else:
            rows += tta_rows(c["tta"], "cuda") + fit_rows(c["fit"], "cuda") + flops_rows(c["flops"], "cuda")
    return rows


COLUMNS = ["section", "measure", "value", "target", "met"]


def machine_line(results: dict) -> str:
    m = results["machine"]
    device = f"GPU {m['gpu']}" if m.get("gpu") else "no GPU (CPU only)"
    load = results.get("load_before"), results.get("load_after")
    load_text = f"load average {load[0][0]} before, {load[1][0]} after" if all(load) else "load unknown"
    mode = " (QUICK smoke mode: figures not meaningful)" if results["config"]["quick"] else ""
    return (f"{m['cpu']}, {m['cores']} cores, {device}; torch {m['torch']} with {m['torch_threads']} threads; "
            f"{load_text}; {results['started']}; bench took {results['bench_seconds'] / 60:.1f} min{mode}")


def summary(results: dict) -> str:
    """README.md's few lines: the four promises, each with its figure from this run."""
    s, lines = results["sections"], []
    if "error" not in (c := s.get("course", {"error": ""})):
        peak = max(c["notebooks"], key=lambda r: r["peak_rss_mb"])
        lines.append(f"- The whole course ({len(c['notebooks'])} notebooks, default runs, {c['device']}): "
                     f"{c['total_seconds']:.0f} s (target <= {c['total_target_seconds']} s); the largest peak "
                     f"memory {peak['peak_rss_mb']:.0f} MB ({peak['notebook'][:2]}; target <= {c['peak_target_mb']} MB).")
    if "error" not in (t := s.get("tta", {"error": ""})):
        ratios = [f"{r['recipe']['label']} {r['ratio_text']}" for r in t.values() if "ratio_text" in r]
        lines.append("- Time to the same test accuracy, against ours: " + "; ".join(ratios) + ".")
    if "error" not in (f := s.get("fit", {"error": ""})):
        lines.append(f"- `fit` runs at {f['ratio']:.3f} of a bare loop's speed (target >= {f['target']}).")
    if "error" not in (fl := s.get("flops", {"error": ""})):
        fractions = ", ".join(f"{name} {m['fraction_of_matmul']:.2f}" for name, m in fl["models"].items())
        lines.append(f"- A training step reaches this fraction of a float32 matmul's FLOP/s "
                     f"({fl['matmul_flops_per_s'] / 1e9:.0f} GFLOP/s): {fractions}.")
    return "\n".join(["Measured with `make bench` on: " + machine_line(results) + ".", "", *lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK", "") not in ("", "0"),
                        help="smoke mode: every section, tiny sizes (also QUICK=1)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--max-seconds", type=float, help="cap on training seconds per time-to-accuracy recipe")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("THREADS") or 0) or None,
                        help="torch threads for the bench and the notebooks' kernels (default: torch's own; also THREADS=N)")
    parser.add_argument("--out", type=Path,
                        help="where to write the results JSON (default: bench/results.json for a full run; "
                             "a --quick or --sections run only writes its dated copy in bench/raw/, so it "
                             "never replaces the full run's figures)")
    parser.add_argument("--readme", action="store_true",
                        help="rewrite README.md's Performance summary and bench/README.md's table")
    parser.add_argument("--from-results", type=Path, help="print (and --readme) from a saved results JSON; measure nothing")
    args = parser.parse_args(argv)

    from dlcourse.files import atomic_write_text

    if args.from_results:
        results = json.loads(args.from_results.read_text())
    else:
        sections = [s.strip() for s in args.sections.split(",") if s.strip()]
        if unknown := set(sections) - set(SECTIONS):
            parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
        if args.threads:  # here, and in the kernels papermill starts (they read it when torch loads)
            torch.set_num_threads(args.threads)
            os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
        if args.readme and (args.quick or set(sections) != set(SECTIONS)):
            parser.error("--readme needs a full run (every section, no --quick): the README's figures "
                         "must all come from one run")
        cfg = Config.quick_mode() if args.quick else Config()
        if args.max_seconds:
            cfg.max_seconds = args.max_seconds
        results = run_all(cfg, sections, progress_path=RAW / "results-partial.json")
        text = json.dumps(results, indent=2, default=str) + "\n"
        dated = atomic_write_text(RAW / f"results-{results['started'].replace(':', '')}.json", text)
        full = not args.quick and set(sections) == set(SECTIONS)
        args.out = args.out or (RESULTS if full else dated)
        if args.out != dated:
            atomic_write_text(args.out, text)
        log(f"results written to {args.out}")
    print()
    print(machine_line(results))
    print()
    print(markdown_table(summary_rows(results), COLUMNS))
    print()
    print(summary(results))
    if args.readme:
        for path, body in ((README, summary(results)),
                           (BENCH_README, machine_line(results) + "\n\n" + markdown_table(summary_rows(results), COLUMNS))):
            atomic_write_text(path, replace_between(path.read_text(encoding="utf-8"), README_BEGIN, README_END, body))
        print(f"\nREADME.md and bench/README.md rewritten from {args.from_results or args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
