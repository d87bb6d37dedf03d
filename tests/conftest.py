"""Shared test setup: the --require-cuda switch, the data root, and which run of notebook 01 is made."""

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


@pytest.fixture(scope="session")
def fashion_root():
    """The course's data root, with Fashion-MNIST made ready (real files, no download)."""
    from dlcourse.data import data_root, ensure_fashion_mnist

    root = data_root()
    ensure_fashion_mnist(root, verbose=False)
    return root


@pytest.hookimpl(trylast=True)  # after `-m` and `-k` have deselected what they will
def pytest_collection_modifyitems(session, config, items):
    """Tests marked cuda skip without CUDA (unless --require-cuda).

    Notebook 01 runs twice in JupyterLab in a real browser (test_browser.py) where that test is
    selected and can run; its plain-kernel run in test_notebooks.py is then left out, so that no
    notebook runs more than twice per `make test`."""
    if not (torch.cuda.is_available() or config.getoption("--require-cuda")):
        skip = pytest.mark.skip(reason="no CUDA GPU here (torch.cuda.is_available() is False)")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
    # Longest runs first (`make test --durations` here: 05, then 07, 03, 06), so that the test
    # processes of `make test` (JOBS) finish together instead of one waiting on 05 at the end.
    first = ("test_notebook_cpu[05_", "test_notebook_cpu[07_", "test_notebook_cpu[03_", "test_notebook_cpu[06_",
             "runs_in_korean[ko-07_", "test_browser.py::", "runs_in_korean[ko-05_")
    items.sort(key=lambda item: next((i for i, key in enumerate(first) if key in item.nodeid), len(first)))
    if not any(item.nodeid.endswith("test_browser.py::test_notebook_01_runs_through_the_ui") for item in items):
        return
    dropped = [item for item in items if "test_notebooks.py::test_notebook_cpu[01_" in item.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
