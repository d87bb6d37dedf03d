"""Pure helpers behind `make bench`: the time-to-accuracy loop, timing, peak memory of a
command, and the results table.

Nothing here knows about Fashion-MNIST or the notebooks; `bench/bench.py` wires these to them.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

MB = 1024 * 1024


def time_to_accuracy(train_epoch: Callable[[int], None], evaluate: Callable[[], float], *, target: float,
                     max_epochs: int, max_seconds: float, clock: Callable[[], float] = time.perf_counter) -> dict:
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
    return {"target": target, "reached": seconds is not None, "seconds": seconds, "epochs": len(curve),
            "stopped_by": stopped_by, "trained_seconds": trained,
            "best_accuracy": max(p["accuracy"] for p in curve), "curve": curve}


def first_reach(curve: Iterable[dict], target: float) -> float | None:
    """Training seconds at the first epoch whose accuracy is >= `target`, else None."""
    for point in curve:
        if point["accuracy"] >= target:
            return point["seconds"]
    return None


def tta_ratio(reference: dict, ours: dict) -> tuple[float | None, str]:
    """(reference time / our time to the same target, its text): ">=" when the reference never got
    there; ratio None when ours did not (no fair ratio)."""
    if not ours.get("reached"):
        return None, "n/a (ours not reached)"
    if reference.get("reached"):
        r = reference["seconds"] / ours["seconds"]
        return r, f"{r:.1f}x"
    r = reference["trained_seconds"] / ours["seconds"]  # it ran this long and still had not
    return r, f">= {r:.1f}x (not reached)"


def median_ratio(pairs: Iterable[tuple[float, float]]) -> float:
    """Median of a/b over (a, b) pairs measured back to back (noise hits both alike)."""
    return statistics.median(a / b for a, b in pairs)


def timed(fn: Callable[[], object]) -> float:
    """Seconds `fn()` takes (the bench's training runs on the CPU)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


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


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    import platform

    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    names = [line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown CPU"


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
