"""Progress in the workshop room: each check() a learner runs appends one line to their own home.

Only in the room: the room server's spawner sets DLCOURSE_ROOM=1 for every learner's server and
kernels; anywhere else (a laptop, Colab, the tests) nothing is written. The line goes to
~/.dlcourse/progress.jsonl, in the learner's own home, which only they (and root, whose
instructor page reads it) can open. Recording never raises and never prints: a read-only home,
no home at all, a full disk all leave the check exactly as it was. One line is one write() to a
file opened for appending, so lines from two kernels never mix.

This module imports nothing of the room (dlcourse.workshop): a learner's kernel loads only this.
"""

from __future__ import annotations

import json
import os
import time

ENV = "DLCOURSE_ROOM"  # set to "1" by the room server's spawner
PROGRESS_FILE = ".dlcourse/progress.jsonl"  # relative to the learner's home
STATES = ("correct", "not yet", "not tried")


def _path() -> str | None:
    """The progress file in this user's home, or None outside the room or without a home."""
    if os.environ.get(ENV) != "1":
        return None
    home = os.path.expanduser("~")
    return os.path.join(home, PROGRESS_FILE) if os.path.isabs(home) else None


def _append(entry: dict) -> None:
    path = _path()
    if path is None:
        return
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            fd = os.open(path, flags, 0o600)
        except FileNotFoundError:  # the first record: make ~/.dlcourse
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, flags, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001 - recording must never break or slow a learner's check
        pass


def record(ex_id: str, state: str, hints: int = 0) -> None:
    """Append one check's result (exercise, "correct" / "not yet" / "not tried", hints shown, time)."""
    try:
        _append({"t": round(time.time(), 3), "ex": str(ex_id), "state": str(state), "hints": int(hints)})
    except Exception:  # noqa: BLE001 - a strange argument is no reason to break the check
        pass


def record_summary(states: dict[str, str]) -> None:
    """Append what summary() showed: every exercise checked in this kernel and its state."""
    try:
        _append({"t": round(time.time(), 3), "summary": {str(k): str(v) for k, v in states.items()}})
    except Exception:  # noqa: BLE001
        pass
