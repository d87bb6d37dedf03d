"""Writing files safely: every file the course writes goes to a temp file first, then is renamed,
so an interrupted run never leaves a half-written file behind."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _read_umask() -> int:
    umask = os.umask(0)  # the only way to read it; read once, at import, not while threads write files
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path beside `path`; on success rename it to `path`, on error delete it."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"path {str(path)!r} is a folder, not a file: give a file name inside it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would have
        # (the old file's, else 0666 less the umask) so others in a workshop can read it.
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` to `path` atomically (UTF-8); return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_metrics(metrics: dict, path: str | Path | None) -> dict:
    """Write a notebook's results as JSON to `path` (skipped when None); return `metrics`."""
    if not isinstance(metrics, dict):
        raise TypeError(f"metrics must be a dict of names to numbers, got {type(metrics).__name__} "
                        f"{metrics!r:.80} (the call is write_metrics(metrics, path))")
    for key, value in metrics.items():
        try:
            json.dumps(value, allow_nan=False)  # NaN and infinity are not JSON: other programs cannot read them
        except (TypeError, ValueError) as exc:
            why = (f"is {value!r}, and JSON has no NaN or infinity: did training diverge (try a smaller learning "
                   "rate)? Leave the key out, or write None" if isinstance(exc, ValueError) else
                   f"is a {type(value).__name__}, which JSON cannot hold: convert it with float(...) or int(...)")
            raise type(exc)(f"metrics[{key!r}] {why}") from None
    if path is not None:
        atomic_write_text(path, json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics
