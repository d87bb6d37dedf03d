"""Pure helpers behind `make bench`: FLOP counting, the time-to-accuracy loop, peak memory of
child processes, timing, and the one results table.

Nothing here knows about Fashion-MNIST or the notebooks; `bench/bench.py` wires these to them.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn

MB = 1024 * 1024


# --- FLOPs ---------------------------------------------------------------------------------
# One multiply-add counts as 2 FLOPs. Only matrix products and convolutions are counted:
# activations, pooling, the loss and the optimizer's update are a few FLOPs per element and
# are left out, so achieved FLOP/s is a slight underestimate of the work done.

def forward_flops(model: nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one forward pass over batch `x`, by hand formula for every Linear and Conv2d.

    Linear: 2 * in_features * out_features per row; Conv2d: 2 * (C_in / groups) * kH * kW
    per output element (C_out * H_out * W_out per sample). Biases are not counted.
    """
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Linear):
            rows = output.numel() // module.out_features
            total += 2 * module.in_features * module.out_features * rows
        elif isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += 2 * (module.in_channels // module.groups) * kh * kw * output.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return total


def step_flops(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable | None = None) -> int:
    """FLOPs of one training step's forward and backward, as counted by torch's FlopCounterMode.

    This counts the matrix products and convolutions that actually run (2 FLOPs per
    multiply-add): about 3x the forward, less the gradient with respect to the input image,
    which autograd never computes. Gradients are cleared afterwards.
    """
    from torch.utils.flop_counter import FlopCounterMode

    loss_fn = loss_fn or nn.CrossEntropyLoss()
    with FlopCounterMode(display=False) as counter:
        loss_fn(model(x), y).backward()
    model.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


def sync(device: torch.device | str) -> None:
    """Wait for queued GPU work, so a clock read after it measures the work (no-op on CPU)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def matmul_flops_per_second(n: int = 2048, *, repeats: int = 5, device="cpu") -> float:
    """Best FLOP/s of an (n, n) @ (n, n) float32 matmul over `repeats` tries: 2 n^3 FLOPs each."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=g).to(device)
    b = torch.randn(n, n, generator=g).to(device)
    a @ b  # warm-up: thread pool, kernels, caches
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


# --- time to accuracy ----------------------------------------------------------------------

def time_to_accuracy(
    train_epoch: Callable[[int], None],
    evaluate: Callable[[], float],
    *,
    target: float,
    max_epochs: int,
    max_seconds: float,
    clock: Callable[[], float] = time.perf_counter,
) -> dict:
    """Train epoch by epoch until test accuracy reaches `target` or a cap is hit.

    Only `train_epoch` is on the clock; `evaluate` (the full test set after every epoch) is not.
    Returns reached, seconds (training seconds when the target was first met, else None),
    epochs run, stopped_by ("target", "epochs" or "seconds"), best_accuracy, and the curve
    [{"epoch", "seconds", "accuracy"}, ...].
    """
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be at least 1, got {max_epochs}")
    curve: list[dict] = []
    trained = 0.0
    stopped_by = "epochs"
    for epoch in range(1, max_epochs + 1):
        start = clock()
        train_epoch(epoch)
        trained += clock() - start
        accuracy = float(evaluate())
        curve.append({"epoch": epoch, "seconds": trained, "accuracy": accuracy})
        if accuracy >= target:
            stopped_by = "target"
            break
        if trained >= max_seconds and epoch < max_epochs:
            stopped_by = "seconds"
            break
    seconds = first_reach(curve, target)
    return {
        "target": target, "reached": seconds is not None, "seconds": seconds,
        "epochs": len(curve), "stopped_by": stopped_by,
        "trained_seconds": trained, "best_accuracy": max(p["accuracy"] for p in curve),
        "curve": curve,
    }


def first_reach(curve: Iterable[dict], target: float) -> float | None:
    """Training seconds at the first epoch whose accuracy is >= `target`, else None."""
    for point in curve:
        if point["accuracy"] >= target:
            return point["seconds"]
    return None


def tta_ratio(reference: dict, ours: dict) -> tuple[float | None, str]:
    """Reference time / our time to the same target, with ">=" when the reference never got there.

    Returns (ratio, text); ratio is None when ours did not reach the target (no fair ratio).
    """
    if not ours.get("reached"):
        return None, "n/a (ours not reached)"
    if reference.get("reached"):
        r = reference["seconds"] / ours["seconds"]
        return r, f"{r:.1f}x"
    r = reference["trained_seconds"] / ours["seconds"]  # it ran this long and still had not
    return r, f">= {r:.1f}x (not reached)"


# --- throughput ----------------------------------------------------------------------------

def median_ratio(pairs: Iterable[tuple[float, float]]) -> float:
    """Median of a/b over (a, b) pairs measured back to back (noise hits both alike)."""
    return statistics.median(a / b for a, b in pairs)


def timed(fn: Callable[[], object], device="cpu") -> float:
    """Seconds `fn()` takes, GPU work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


# --- peak memory of child processes --------------------------------------------------------

def _vm_hwm_bytes(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a live process from /proc, or None if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


class ChildPeakMemory:
    """Poll this process's descendants and record each one's peak RSS (a context manager).

    papermill runs the notebook in a Jupyter kernel, a child process: that process holds the
    tensors, so its peak is what a learner's machine must have. Linux keeps the exact peak
    (VmHWM) per process, so polling only has to see the kernel alive once near its end; where
    /proc is missing, the largest RSS seen by psutil is used (a sampled lower bound).
    After exit: `peaks` maps pid -> (command line, peak bytes); `peak(match)` the largest.
    """

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peaks: dict[int, tuple[str, int]] = {}
        self.tree_peak = 0  # largest sum of current RSS over all descendants in one poll
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "ChildPeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        me = psutil.Process(os.getpid())
        while True:
            self.poll(me)
            if self._stop.wait(self.interval):
                break

    def poll(self, me) -> None:
        """Record one sample of every descendant's peak and current RSS."""
        import psutil

        current = 0
        for child in me.children(recursive=True):
            try:
                rss = child.memory_info().rss
                cmd = " ".join(child.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            current += rss
            seen_cmd, seen_peak = self.peaks.get(child.pid, ("", 0))
            # an exiting process reads as an empty command line: keep the one it had
            self.peaks[child.pid] = (cmd or seen_cmd, max(_vm_hwm_bytes(child.pid) or 0, rss, seen_peak))
        self.tree_peak = max(self.tree_peak, current)

    def peak(self, match: str = "") -> int:
        """Largest peak RSS in bytes among descendants whose command line contains `match`."""
        return max((b for cmd, b in self.peaks.values() if match in cmd), default=0)


# --- machine and the table -----------------------------------------------------------------

def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def cpu_snapshot() -> dict | None:
    """CPU seconds used so far by the whole machine (busy, and stolen by the hypervisor) and by
    this process with its finished children; None where /proc/stat is missing (not Linux)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[0] != "cpu" or len(fields) < 8:
        return None
    ticks = [int(v) for v in fields[1:]] + [0] * 8
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    hz = os.sysconf("SC_CLK_TCK")
    t = os.times()
    return {"busy": (user + nice + system + irq + softirq) / hz, "steal": steal / hz,
            "own": t.user + t.system + t.children_user + t.children_system, "wall": time.monotonic()}


def other_cores(before: dict | None, after: dict | None) -> dict | None:
    """Cores' worth of CPU that other processes used, and that the hypervisor stole, between two
    snapshots (the bench's own threads, kernels and workers excluded)."""
    if not before or not after:
        return None
    wall = after["wall"] - before["wall"]
    if wall < 2.0:  # /proc/stat counts in 10 ms ticks: too coarse for a shorter span
        return None
    others = (after["busy"] - before["busy"]) - (after["own"] - before["own"])
    return {"other": round(max(others, 0.0) / wall, 3), "steal": round((after["steal"] - before["steal"]) / wall, 3),
            "seconds": round(wall, 1)}


def fmt(value, unit: str = "", digits: int = 2) -> str:
    """A number for the table: None -> "-", large numbers with thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int) or abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.{digits}f}"
    return f"{text} {unit}".strip()


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """A GitHub markdown table of `rows` (dicts) with the given column keys as headers."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    """`text` with what lies between the marker lines `begin` and `end` replaced by `body`."""
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"markers {begin!r} ... {end!r} not found in order")
    return text[: i + len(begin)] + "\n" + body.strip("\n") + "\n" + text[j:]
