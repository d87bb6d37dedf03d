"""Shared test setup: the --require-cuda switch, the data root, and small real datasets."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("TQDM_DISABLE", "1")


def pytest_addoption(parser):
    parser.addoption(
        "--require-cuda", action="store_true",
        help="fail (not skip) tests marked cuda when CUDA is absent; used by `make test-gpu`",
    )


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available() or config.getoption("--require-cuda"):
        return
    skip = pytest.mark.skip(reason="no CUDA GPU here (torch.cuda.is_available() is False)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fashion_root():
    """The course's data root, with Fashion-MNIST made ready (real files, no download)."""
    from dlcourse.data import data_root, ensure_fashion_mnist

    root = data_root()
    ensure_fashion_mnist(root, verbose=False)
    return root
