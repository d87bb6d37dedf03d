"""Pure helpers behind `make bench`: FLOP counting, the time-to-accuracy loop, timing, peak
memory of a command, and the results table.

Nothing here knows about Fashion-MNIST or the notebooks; `bench/bench.py` wires these to them.
"""

from __future__ import annotations

import os
import statistics
import sys
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


# --- peak memory of a command ----------------------------------------------------------------

def run_measured(cmd: list[str], **popen_kwargs) -> tuple[int, float, int]:
    """Run `cmd`; return (exit code, wall seconds, peak RSS in bytes of the largest process in its tree).

    os.wait4 gives the child's resource usage, and Linux's ru_maxrss of a reaped child is the
    largest peak of the child and of every descendant it waited for (a Jupyter kernel that
    papermill started and shut down counts). Exact, with no polling.
    """
    import subprocess

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, **popen_kwargs)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss * scale


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
