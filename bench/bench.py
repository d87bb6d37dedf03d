"""`make bench`: how long the course takes, how fast it trains, and how close to the machine it runs.

Every section is measured within one run, so its ratios hold on a busy machine:
  course  every notebook's default run through papermill: seconds, and the kernel's peak RSS
  tta     training seconds to a test accuracy: ours against d2l's LeNet-5 and a plain per-item loop
  fit     dlcourse.train.fit's throughput against a bare loop on the same model and batches
  data    images/s: in-memory tensors against per-item loading; ListFileDataset against ImageFolder
  flops   the training step's achieved FLOP/s against a large float32 matmul's
  tuning  training-step throughput by thread count and batch size (the evidence for recipe advice)
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
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from bench import recipes
from bench.helpers import (
    MB, ChildPeakMemory, cpu_model, cpu_snapshot, first_reach, fmt, forward_flops, load_average, markdown_table,
    matmul_flops_per_second, median_ratio, other_cores, replace_between, step_flops, sync, time_to_accuracy,
    timed, tta_ratio,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
RAW = ROOT / "bench" / "raw"
README = ROOT / "README.md"
README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"
SECTIONS = ("course", "tta", "fit", "data", "flops", "tuning", "cuda")
COURSE_SECONDS_TARGET = 5 * 60   # whole course, default run, on a 2-core CPU
PEAK_RSS_TARGET_MB = 2048        # every notebook's kernel
FIT_RATIO_TARGET = 0.95
FILES_RATIO_TARGET = 1.0
BUSY_CORES = 0.25                # other processes' CPU during a section above this: say the machine was busy


@dataclass
class Config:
    """How much work each section does; `quick()` shrinks every one of them."""

    quick: bool = False
    max_seconds: float = 300.0         # cap on training seconds per time-to-accuracy recipe
    train_subset: int | None = None    # train on the first N images only (None: all 60,000)
    epoch_cap: int | None = None       # at most this many epochs per recipe (None: the recipe's own)
    notebooks: int | None = None       # run only the first N notebooks (None: all)
    png_images: int = 3000             # size of the PNG folder for ListFileDataset vs ImageFolder
    file_pairs: int = 9                # ListFileDataset / ImageFolder pass pairs (single pairs spread 1.0-1.5x)
    fit_batches: int | None = 50       # batches per fit-overhead trial (None: one whole epoch)
    fit_repeats: int = 41              # fit / bare-loop trial pairs (median of their ratios)
    repeats: int = 5                   # back-to-back trials behind the other ratios
    matmul_n: int = 2048               # side of the square float32 matmul
    step_seconds: float = 2.0          # timing window of each training-step throughput

    @classmethod
    def quick_mode(cls) -> "Config":
        return cls(quick=True, max_seconds=20, train_subset=3000, epoch_cap=1, notebooks=1,
                   png_images=200, file_pairs=2, fit_batches=10, fit_repeats=3, repeats=2, matmul_n=512, step_seconds=0.2)


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
    """Run each notebook's default run (tools/run_course.py) and record the kernel's peak RSS, and
    which checkpoints it made in the data root (notebook 07 pretrains on a first run only)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import run_course

    from dlcourse.data import data_root
    from dlcourse.device import get_device

    checkpoints = data_root() / "checkpoints"
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[: cfg.notebooks]
    rows = []
    for nb in notebooks:
        before = set(checkpoints.glob("*.pt"))
        with ChildPeakMemory() as mem:
            row = run_course.run([nb], RAW / "course", "auto", 0)[0]
        row["made_checkpoints"] = sorted(p.name for p in set(checkpoints.glob("*.pt")) - before)
        row["peak_rss_mb"] = mem.peak("ipykernel") / MB
        row["tree_peak_rss_mb"] = mem.tree_peak / MB
        row["slowest_cells"] = slowest_cells(RAW / "course" / nb.name)
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


# --- 4. data path --------------------------------------------------------------------------

def drain(loader) -> int:
    """Iterate `loader` once; return the number of samples it yielded."""
    return sum(len(batch[1]) for batch in loader)


def best_rate(make_loader, repeats: int) -> float:
    """Best images/s over `repeats` full passes, each over a freshly made loader."""
    best = 0.0
    for _ in range(repeats):
        loader = make_loader()
        start = time.perf_counter()
        n = drain(loader)
        best = max(best, n / (time.perf_counter() - start))
    return best


def section_data(cfg: Config, data: dict) -> dict:
    """In-memory TensorLoader against per-item DataLoaders over the training split; then the files."""
    from dlcourse.data import TensorLoader, load_fashion_mnist

    n = cfg.train_subset or len(data["x_train"])
    repeats = min(cfg.repeats, 3)
    load_seconds = timed(lambda: load_fashion_mnist(train=True))
    x, y = data["x_train"][:n], data["y_train"][:n]
    rates = {"tensor": best_rate(lambda: TensorLoader(x, y, 128, shuffle=True), repeats)}
    subset = recipes.per_item_dataset(normalize=True, train_subset=n)
    for workers in (0, 2):
        rates[f"per_item_{workers}w"] = best_rate(lambda: torch.utils.data.DataLoader(
            subset, batch_size=128, shuffle=True, num_workers=workers), repeats)
    return {"images": n, "batch_size": 128, "load_split_seconds": load_seconds,
            "images_per_s": rates, "tensor_over_per_item": rates["tensor"] / rates["per_item_0w"],
            "files": files_benchmark(cfg)}


def files_benchmark(cfg: Config) -> dict:
    """Export Fashion-MNIST PNGs to a temp folder, then read every one back with each dataset, alternating.

    Both give the same sample: a (3, 28, 28) float tensor in [0, 1] (ImageFolder's loader
    converts to RGB; ListFileDataset's default mode is RGB) and the class index.
    """
    from torchvision import datasets, transforms

    from dlcourse.imagefiles import ListFileDataset, export_fashion_mnist_pngs, write_list_file

    with tempfile.TemporaryDirectory(prefix="dlcourse-bench-") as tmp:
        folder = export_fashion_mnist_pngs(tmp, per_class=max(1, cfg.png_images // 10), split="test")
        list_file, labels_file = write_list_file(folder)
        make = {
            "ImageFolder": lambda: datasets.ImageFolder(str(folder), transform=transforms.ToTensor()),
            "ListFileDataset": lambda: ListFileDataset(list_file, labels_file, (28, 28)),
        }
        pairs, count = [], 0
        for i in range(cfg.file_pairs):
            rates = {}
            for name in sorted(make, reverse=bool(i % 2)):  # alternate who goes first
                ds = make[name]()
                count = len(ds)
                start = time.perf_counter()
                for j in range(count):
                    ds[j]
                rates[name] = count / (time.perf_counter() - start)
            pairs.append((rates["ListFileDataset"], rates["ImageFolder"]))
    return {"images": count, "listfile_per_s": [p[0] for p in pairs],
            "imagefolder_per_s": [p[1] for p in pairs], "ratio": median_ratio(pairs),
            "target": FILES_RATIO_TARGET}


# --- 5. how close to the machine -----------------------------------------------------------

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


# --- tuning: threads and batch sizes -------------------------------------------------------

def tiny_mlp() -> torch.nn.Module:
    """A 2-16-2 MLP, the size of notebook 02's toy problems: each step is a handful of tiny ops."""
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))


def tuning_models() -> list[tuple[str, object, torch.Tensor, torch.Tensor]]:
    """(name, factory, x, y) with random data: speed does not depend on the values."""
    from dlcourse.models import MLP, SmallCNN

    g = torch.Generator().manual_seed(0)
    image = lambda n: (torch.randn(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g))  # noqa: E731
    return [("tiny MLP 2-16-2, 500 points", tiny_mlp, torch.randn(500, 2, generator=g),
             torch.randint(0, 2, (500,), generator=g)),
            ("MLP (notebook 03)", MLP, *image(recipes.ours_mlp().batch_size)),
            ("SmallCNN (notebook 05)", SmallCNN, *image(recipes.ours_cnn().batch_size))]


def thread_rates(seconds: float) -> dict:
    """Samples/s of each tuning model's training step at the current thread settings."""
    cpu = torch.device("cpu")
    rates = {}
    for name, factory, x, y in tuning_models():
        torch.manual_seed(0)
        rates[name] = len(x) * steps_per_second(factory(), x, y, cpu, seconds)
    return rates


def wait_policy_rates(seconds: float, repeats: int) -> dict:
    """thread_rates in fresh processes with OpenMP's default wait policy and with OMP_WAIT_POLICY=PASSIVE.

    OpenMP reads the variable when it starts, so each setting needs its own process; the two
    alternate, and the best of `repeats` is kept for each.
    """
    import subprocess

    code = "import json, sys; from bench.bench import thread_rates; print(json.dumps(thread_rates(float(sys.argv[1]))))"
    best: dict = {"default": {}, "PASSIVE": {}}
    for i in range(repeats):
        for policy in (("default", "PASSIVE") if i % 2 == 0 else ("PASSIVE", "default")):
            env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
            if policy == "PASSIVE":
                env["OMP_WAIT_POLICY"] = "PASSIVE"
            out = subprocess.run([sys.executable, "-c", code, str(seconds)], env=env, cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
            for name, rate in json.loads(out.strip().splitlines()[-1]).items():
                best[policy][name] = max(best[policy].get(name, 0.0), rate)
    return best


def section_tuning(cfg: Config, data: dict) -> dict:
    """Training-step samples/s by thread count, OpenMP wait policy and batch size (CPU, batch in memory)."""
    default_threads = torch.get_num_threads()
    out: dict = {"default_threads": default_threads, "threads": {}, "batch_size": {}}
    for threads in sorted({1, os.cpu_count() or 1, default_threads}):
        torch.set_num_threads(threads)
        for name, rate in thread_rates(cfg.step_seconds).items():
            out["threads"].setdefault(name, {})[threads] = rate
    torch.set_num_threads(default_threads)
    out["wait_policy"] = wait_policy_rates(cfg.step_seconds, min(cfg.repeats, 2))
    cpu = torch.device("cpu")
    for name, factory, _ in flops_models()[:-1]:  # ours only
        by_batch = {}
        for size in (64, 128, 256, 512):
            torch.manual_seed(0)
            by_batch[size] = size * steps_per_second(factory(), data["x_train"][:size], data["y_train"][:size],
                                                     cpu, cfg.step_seconds)
        out["batch_size"][name] = by_batch
    return out


# --- 6. CUDA -------------------------------------------------------------------------------

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
               "config": asdict(cfg), "load_before": load_average(), "sections": {}}
    start = time.perf_counter()
    data = load_data() if set(sections) - {"course"} else {}
    cpu = torch.device("cpu")
    steps = {
        "course": lambda: section_course(cfg),
        "tta": lambda: section_tta(cfg, data, cpu),
        "fit": lambda: section_fit(cfg, data, cpu),
        "data": lambda: section_data(cfg, data),
        "flops": lambda: section_flops(cfg, data, cpu),
        "tuning": lambda: section_tuning(cfg, data),
        "cuda": lambda: section_cuda(cfg, data),
    }
    for name in sections:
        log(f"section {name}")
        before = cpu_snapshot()
        try:
            results["sections"][name] = steps[name]()
        except Exception as exc:  # keep the other sections' figures; the table shows the error
            log(f"section {name} failed: {type(exc).__name__}: {exc}")
            results["sections"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        if (used := other_cores(before, cpu_snapshot())) is not None:  # how much else ran meanwhile
            results.setdefault("interference", {})[name] = used
        results["load_after"] = load_average()
        if results["load_after"]:  # the 1-minute load after each section: how busy the machine was
            results.setdefault("load_samples", []).append(results["load_after"][0])
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


def data_rows(s: dict) -> list[dict]:
    r = s["images_per_s"]
    rows = [{"section": "data", "measure": f"in-memory TensorLoader ({s['images']:,} images, batch {s['batch_size']})",
             "value": f"{fmt(r['tensor'])} img/s", "target": f"one-time load {s['load_split_seconds']:.2f} s"},
            {"section": "data", "measure": "per-item ToTensor+Normalize DataLoader, 0 / 2 workers",
             "value": f"{fmt(r['per_item_0w'])} / {fmt(r['per_item_2w'])} img/s",
             "target": f"in-memory is {s['tensor_over_per_item']:.0f}x 0 workers"}]
    f = s["files"]
    rows.append({"section": "data", "measure": f"ListFileDataset / ImageFolder ({f['images']} PNGs)",
                 "value": f"{f['ratio']:.2f}x ({fmt(max(f['listfile_per_s']))} vs {fmt(max(f['imagefolder_per_s']))} img/s)",
                 "target": f">= {f['target']}x", "met": yes_no(f["ratio"] >= f["target"])})
    return rows


def flops_rows(s: dict, section: str = "flops") -> list[dict]:
    rows = [{"section": section, "measure": f"float32 matmul {s['matmul_n']}x{s['matmul_n']} ({s['threads']} threads)",
             "value": f"{s['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s"}]
    for name, m in s["models"].items():
        rows.append({"section": section, "measure": f"{name} training step, batch {m['batch_size']}",
                     "value": f"{m['flops_per_s'] / 1e9:.1f} GFLOP/s = {m['fraction_of_matmul']:.2f} of matmul",
                     "target": f"{m['step_flops'] / 1e6:.0f} MFLOP/step"})
    return rows


def tuning_rows(s: dict) -> list[dict]:
    rows = []
    for name, by_threads in s["threads"].items():
        rows.append({"section": "tuning", "measure": f"{name}: samples/s at {' / '.join(map(str, by_threads))} threads",
                     "value": " / ".join(fmt(v) for v in by_threads.values())})
    policy = s.get("wait_policy", {})
    for name in policy.get("default", {}):
        rows.append({"section": "tuning", "measure": f"{name}: samples/s, OpenMP wait default / PASSIVE ({s['default_threads']} threads)",
                     "value": f"{fmt(policy['default'][name])} / {fmt(policy['PASSIVE'].get(name))}"})
    for name, by_batch in s["batch_size"].items():
        rows.append({"section": "tuning", "measure": f"{name}: samples/s at batch {' / '.join(map(str, by_batch))}",
                     "value": " / ".join(fmt(v) for v in by_batch.values())})
    return rows


def summary_rows(results: dict) -> list[dict]:
    """The one table's rows, from a results dict (so a saved results.json can be re-tabled)."""
    s = {name: section for name, section in results["sections"].items() if "error" not in section}
    rows: list[dict] = [{"section": name, "measure": "the whole section", "value": f"FAILED: {section['error']}"}
                        for name, section in results["sections"].items() if "error" in section]
    makers = {"course": course_rows, "tta": tta_rows, "fit": fit_rows, "data": data_rows,
              "flops": flops_rows, "tuning": tuning_rows}
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
    if samples := results.get("load_samples"):
        load_text += f" (after each section: {', '.join(f'{v:.1f}' for v in samples)})"
    if interference := results.get("interference"):
        worst = max(interference, key=lambda k: interference[k]["other"] + interference[k]["steal"])
        w = interference[worst]
        load_text += (f"; other processes used at most {w['other']:.2f} cores (stolen: {w['steal']:.2f}) "
                      f"during a section ({worst})")
        if w["other"] + w["steal"] > BUSY_CORES:
            load_text += "; BUSY machine: other work competed for the cores, absolute times are inflated"
    mode = " (QUICK smoke mode: figures not meaningful)" if results["config"]["quick"] else ""
    return (f"{m['cpu']}, {m['cores']} cores, {device}; torch {m['torch']} with {m['torch_threads']} threads; "
            f"{load_text}; {results['started']}; bench took {results['bench_seconds'] / 60:.1f} min{mode}")


def readme_section(results: dict) -> str:
    """The README's table: every row but the tuning sweeps (those are in the printed table and the JSON)."""
    rows = summary_rows(results)
    tuned = [r for r in rows if r["section"] == "tuning"]
    lines = ["Measured with `make bench` on: " + machine_line(results) + ".", "",
             markdown_table([r for r in rows if r["section"] != "tuning"], COLUMNS)]
    if tuned:
        lines += ["", f"The {len(tuned)} tuning rows (threads, OpenMP wait policy, batch sizes) are in the table "
                      "`make bench` prints and in `bench/results.json`."]
    return "\n".join(lines)


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
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's Performance table")
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
    if args.readme:
        atomic_write_text(README, replace_between(README.read_text(encoding="utf-8"), README_BEGIN, README_END,
                                                  readme_section(results)))
        print(f"\nREADME.md: Performance section rewritten from {args.from_results or args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
