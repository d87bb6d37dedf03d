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
    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str):
        raise TypeError(f"device must be a string like 'auto', 'cpu' or 'cuda', got {name!r}")
    requested = name.strip().lower()
    source = "DEVICE"
    if requested == "auto":
        env = os.environ.get(ENV_DEVICE, "").strip().lower()
        if env and env != "auto":
            requested, source = env, f"environment variable {ENV_DEVICE}"
        elif torch.cuda.is_available():
            return torch.device("cuda")
        elif _mps_available():
            return torch.device("mps")
        else:
            return torch.device("cpu")
    kind, _, index = requested.partition(":")
    if kind not in _KINDS or (index and not index.isdigit()):
        raise ValueError(
            f"unknown device {name if source == 'DEVICE' else requested!r} (from {source}); "
            "use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
        )
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"{source} asks for {requested!r} but PyTorch sees no CUDA GPU here "
                f"(torch {torch.__version__}, torch.version.cuda={torch.version.cuda}); "
                "use 'auto' or 'cpu', or install a CUDA build of PyTorch on a machine with a GPU"
            )
        if index and int(index) >= torch.cuda.device_count():
            raise RuntimeError(
                f"{source} asks for {requested!r} but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    if kind == "mps" and not _mps_available():
        raise RuntimeError(f"{source} asks for 'mps' but Apple's MPS backend is not available here")
    return torch.device(requested)


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and PyTorch (CPU and every GPU) with `seed`; return it."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed
