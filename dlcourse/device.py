"""Where to compute and how to make a run repeatable: `get_device` and `seed_everything`."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

ENV_DEVICE = "DLCOURSE_DEVICE"
_KINDS = ("cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(name: str | torch.device = "auto") -> torch.device:
    """Return the device to compute on: 'auto' picks cuda, then mps, then cpu.

    'auto' first honours the environment variable DLCOURSE_DEVICE. Asking for a device that
    is not there (e.g. 'cuda' on a laptop) is an error, never a silent fallback to the CPU.
    """
    requested, source = str(name).strip().lower(), "DEVICE"
    if requested == "auto":
        env = os.environ.get(ENV_DEVICE, "").strip().lower()
        if not env or env == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
        requested, source = env, f"environment variable {ENV_DEVICE}"
    kind, _, index = requested.partition(":")
    if kind not in _KINDS or (index and not index.isdigit()):
        shown = str(name).strip() if source == "DEVICE" else requested
        raise ValueError(f"unknown device {shown!r} (from {source}); use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    if kind == "cuda" and not torch.cuda.is_available():
        missing = (f"PyTorch sees no CUDA GPU here (torch {torch.__version__}, torch.version.cuda={torch.version.cuda}); "
                   "use 'auto' or 'cpu', or install a CUDA build of PyTorch on a machine with a GPU")
    elif kind == "cuda" and index and int(index) >= torch.cuda.device_count():
        missing = f"only {torch.cuda.device_count()} CUDA device(s) exist"
    elif kind == "mps" and not _mps_available():
        missing = "Apple's MPS backend is not available here"
    else:
        return torch.device(requested)
    raise RuntimeError(f"{source} asks for {requested!r} but {missing}")


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) with `seed`; return it."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed
