"""The course under what learners do and what breaks around them (the table is in tests/README.md).

- DataLoader workers under the spawn start method with the package's datasets.
- A download on a dead or stalled network gives up within seconds and leaves nothing behind.
- An export interrupted half-way leaves no broken files; rerunning gives the same files.

Run All twice in one kernel, and the same SEED giving the same metrics, are checked on every
notebook's own runs in test_notebooks.py (and test_browser.py for notebook 01); nothing here runs
a notebook. The data tests use a small copy of Fashion-MNIST (the first images of each split, in
the same file format) in a temporary data root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from dlcourse import imagefiles
from dlcourse.data import FASHION_FILES, DataUnavailableError, ensure_fashion_mnist, fashion_mnist
from dlcourse.imagefiles import ListFileDataset, export_fashion_mnist_pngs, write_list_file

MINI_SIZES = {"train": 2000, "t10k": 500}  # images per split in the small copy of Fashion-MNIST


@pytest.fixture(scope="session")
def mini_root(fashion_root, tmp_path_factory):
    """A data root holding the first MINI_SIZES images of each split, as real idx files."""
    root = tmp_path_factory.mktemp("mini-data")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FASHION_FILES:
        n = MINI_SIZES[name.split("-")[0]]
        data = (fashion_root / "FashionMNIST" / "raw" / name).read_bytes()
        header, item = (16, 28 * 28) if "images" in name else (8, 1)
        (raw / name).write_bytes(data[:4] + n.to_bytes(4, "big") + data[8:header] + data[header:header + n * item])
    return root


# DataLoader workers under spawn (macOS, Windows and Python 3.14's default start method)

def _batches(loader) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x, torch.as_tensor(y)) for x, y in loader]


@pytest.mark.parametrize("kind", ["fashion_mnist", "exported_list_file"])
def test_spawn_workers_give_the_same_batches(kind, mini_root, tmp_path, monkeypatch):
    from torchvision.transforms import ToTensor

    monkeypatch.setenv("DLCOURSE_DATA", str(mini_root))
    if kind == "fashion_mnist":
        ds = fashion_mnist(train=False, transform=ToTensor())
    else:  # notebook 06's way: PNG files, data.list, labels.json
        out = export_fashion_mnist_pngs(tmp_path / "png", classes=[0, 7], per_class=24, split="test")
        ds = ListFileDataset(*write_list_file(out), size=(28, 28), mode="L")

    def loader(**kw):
        return DataLoader(ds, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0), **kw)

    expected = _batches(loader())
    got = _batches(loader(num_workers=2, multiprocessing_context="spawn"))
    assert len(got) == len(expected) > 1
    for (xa, ya), (xb, yb) in zip(expected, got):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


# Downloads on a dead or stalled network

@contextlib.contextmanager
def stalled_server(reply: bytes = b""):
    """A local web server that accepts connections, sends `reply`, then never sends more."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop, connections = threading.Event(), []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                connections.append(conn)
                conn.recv(65536)  # the request
                conn.sendall(reply)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join()
        for conn in connections:
            conn.close()
        server.close()


PARTIAL_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 30000000\r\n\r\n" + b"\x1f\x8b\x08" + bytes(20000)


@pytest.mark.parametrize("reply", [b"", PARTIAL_REPLY], ids=["no-answer", "stalls-mid-file"])
def test_download_gives_up_within_seconds_and_leaves_nothing(reply, tmp_path, monkeypatch):
    from torchvision.datasets import FashionMNIST

    root = tmp_path / "root"
    with stalled_server(reply) as url:
        monkeypatch.setattr(FashionMNIST, "mirrors", [url])
        start = time.perf_counter()
        with pytest.raises(DataUnavailableError) as info:
            ensure_fashion_mnist(root, debian_dir=tmp_path / "nowhere", timeout=1)
        elapsed = time.perf_counter() - start
    assert elapsed < 60, f"took {elapsed:.1f} s to give up"  # without a timeout it would wait forever; generous for a busy machine
    message = str(info.value)
    assert "could not be fetched" in message and "timed out" in message
    assert "apt-get install dataset-fashion-mnist" in message and "DLCOURSE_DATA" in message  # what to do
    assert [p.name for p in root.rglob("*")] == []  # no partial files, no scratch folder


# Export interrupted half-way, then run again

def _export(png_root: Path) -> tuple[Path, Path, Path]:
    """Notebook 06's export: PNG files, then data.list and labels.json."""
    out = export_fashion_mnist_pngs(png_root, classes=[0, 5, 7], per_class=8, split="test")
    return (out, *write_list_file(out))


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_nothing_broken(folder: Path) -> None:
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".") or p.suffix == ".part"], "temp files left behind"
    for png in (p for p in files if p.suffix == ".png"):
        with Image.open(png) as img:
            img.load()  # whole files only: a cut-off PNG raises here
    if (folder / "data.list").exists():
        samples = ListFileDataset(folder / "data.list", folder / "labels.json", (28, 28)).samples
        assert len(samples) == len(set(samples))  # every file it names exists, none twice


def _write_half_then_fail(name: str):
    """A Path.write_text that, for files whose name holds `name`, writes half the text and stops."""
    real_write_text = Path.write_text

    def write_text(self, text, *args, **kwargs):
        if name in self.name:
            real_write_text(self, text[: len(text) // 2], *args, **kwargs)
            raise KeyboardInterrupt
        return real_write_text(self, text, *args, **kwargs)

    return write_text


def test_interrupted_export_leaves_no_broken_files_and_reruns_identically(mini_root, tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_DATA", str(mini_root))
    reference = _digest(_export(tmp_path / "reference")[0])
    assert sum(name.endswith(".png") for name in reference) == 3 * 8

    # interrupted in the middle of writing the 10th PNG, with half of it on disk
    real_save, calls = Image.Image.save, []

    def save_then_fail(self, fp, *args, **kwargs):
        calls.append(fp)
        if len(calls) == 10:
            Path(fp).write_bytes(b"\x89PNG\r\n\x1a\n half a file")
            raise KeyboardInterrupt
        return real_save(self, fp, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Image.Image, "save", save_then_fail)
        with pytest.raises(KeyboardInterrupt):
            _export(tmp_path / "png")
    out = tmp_path / "png" / "test"
    _assert_nothing_broken(out)
    assert len(list(out.rglob("*.png"))) == 9 and not (out / "data.list").exists()

    # interrupted while scanning the folders for data.list: no data.list, no labels.json
    real_relpath, scanned = os.path.relpath, []

    def relpath_then_fail(*args):
        scanned.append(args)
        if len(scanned) == 6:
            raise KeyboardInterrupt
        return real_relpath(*args)

    with monkeypatch.context() as m:
        m.setattr(imagefiles.os.path, "relpath", relpath_then_fail)
        with pytest.raises(KeyboardInterrupt):
            _export(tmp_path / "png")
    _assert_nothing_broken(out)
    assert not (out / "data.list").exists() and not (out / "labels.json").exists()

    # interrupted with half of data.list written: it never appears under its name
    with monkeypatch.context() as m:
        m.setattr(Path, "write_text", _write_half_then_fail("data.list"))
        with pytest.raises(KeyboardInterrupt):
            _export(tmp_path / "png")
    _assert_nothing_broken(out)
    assert not (out / "data.list").exists()

    # run again, twice: the same bytes as an export never interrupted, no duplicates
    _export(tmp_path / "png")
    assert _digest(out) == reference
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    _export(tmp_path / "png")
    assert _digest(out) == reference
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == mtimes  # kept, not rewritten
    _assert_nothing_broken(out)

    # a new list (other label ids) stopped while labels.json is half written: the old pair stays as it was
    with monkeypatch.context() as m:
        m.setattr(Path, "write_text", _write_half_then_fail("labels.json"))
        with pytest.raises(KeyboardInterrupt):
            write_list_file(out, classes=["Sneaker", "Sandal", "T-shirt_top"])
    assert _digest(out) == reference
    _assert_nothing_broken(out)
