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


# Longest first, so that the test processes of `make test` (JOBS) finish together instead of one
# waiting on a long test at the end: `--durations` of `make test` here, whole files where a file's
# tests run in one process (see below).
LONGEST_FIRST = ("test_notebook_cpu[05_", "test_hub.py::", "test_room.py::", "test_notebook_cpu[07_", "test_notebook_cpu[03_",
                 "test_browser.py::", "test_notebook_cpu[06_", "test_data.py::", "test_reliability.py::",
                 "test_workshop.py::", "test_bench.py::", "test_notebook_cpu[04_", "test_colab_setup.py::")


def pytest_itemcollected(item):
    """A test file's tests run in one test process, in order (module fixtures such as the room
    server's hub start once; `--dist loadgroup`), except the notebook runs, which each go to
    whichever process is free."""
    if not item.get_closest_marker("xdist_group") and not item.get_closest_marker("notebook"):
        item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.hookimpl(trylast=True)  # after `-m` and `-k` have deselected what they will
def pytest_collection_modifyitems(session, config, items):
    """Tests marked cuda skip without CUDA (unless --require-cuda); longest first.

    Notebook 01's English runs go through JupyterLab in a real browser (test_browser.py) where that
    test is selected and can run; test_notebooks.py's run of 01 is then its Korean run only, so
    that no notebook runs more than twice per `make test`."""
    if not (torch.cuda.is_available() or config.getoption("--require-cuda")):
        skip = pytest.mark.skip(reason="no CUDA GPU here (torch.cuda.is_available() is False)")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
    items.sort(key=lambda item: next((i for i, key in enumerate(LONGEST_FIRST) if key in item.nodeid),
                                     len(LONGEST_FIRST)))
    if any(item.nodeid.split("@")[0].endswith("test_browser.py::test_notebook_01_runs_through_the_ui")
           for item in items):
        for item in items:
            if "test_notebooks.py::test_notebook_cpu[01_" in item.nodeid:
                item.add_marker(pytest.mark.english_in_browser)
