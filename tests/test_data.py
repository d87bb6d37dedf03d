import gzip
import shutil

import pytest
import torch

from dlcourse import data
from dlcourse.data import (
    FASHION_FILES, DataUnavailableError, TensorLoader, data_root, ensure_fashion_mnist,
    fashion_mnist, load_fashion_mnist,
)


def test_data_root_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_DATA, str(tmp_path / "somewhere"))
    assert data_root() == tmp_path / "somewhere"
    assert (tmp_path / "somewhere").is_dir()


def test_data_root_defaults_to_repo_data(monkeypatch):
    monkeypatch.delenv(data.ENV_DATA, raising=False)
    repo = data._repo_root()
    assert repo is not None and data_root() == repo / "data"


def test_data_root_outside_a_checkout_is_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_DATA, raising=False)
    monkeypatch.setattr(data, "_repo_root", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_root() == tmp_path / "dlcourse"


def test_ready_root_is_used_as_is(fashion_root, capsys):
    assert ensure_fashion_mnist(fashion_root) == "data root"
    assert "source: data root" in capsys.readouterr().out


def _fake_debian_dir(src_root, dest):
    """A folder laid out like Debian's package: the real files, gzipped."""
    dest.mkdir()
    for name in FASHION_FILES:
        with open(src_root / "FashionMNIST" / "raw" / name, "rb") as fin, gzip.open(dest / f"{name}.gz", "wb", compresslevel=1) as fout:
            shutil.copyfileobj(fin, fout)
    return dest


def test_copies_from_debian_layout_and_loads(fashion_root, tmp_path):
    debian = _fake_debian_dir(fashion_root, tmp_path / "debian")
    root = tmp_path / "root"
    source = ensure_fashion_mnist(root, download=False, debian_dir=debian, verbose=False)
    assert source.startswith("Debian package")
    assert not list((root / "FashionMNIST" / "raw").glob("*.part"))
    ds = fashion_mnist(train=False, root=root)
    assert len(ds) == 10_000


def test_nothing_available_gives_one_clear_message(tmp_path):
    with pytest.raises(DataUnavailableError) as info:
        ensure_fashion_mnist(tmp_path / "empty", download=False, debian_dir=tmp_path / "nowhere")
    msg = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "internet" in msg and "DLCOURSE_DATA" in msg


def test_failed_download_leaves_no_partial_files(tmp_path, monkeypatch):
    # This machine has no route to the download mirrors; elsewhere the monkeypatch makes sure.
    from torchvision.datasets import FashionMNIST
    monkeypatch.setattr(FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    root = tmp_path / "root"
    with pytest.raises(DataUnavailableError, match="could not be fetched"):
        ensure_fashion_mnist(root, debian_dir=tmp_path / "nowhere", timeout=2)
    assert [p.name for p in root.iterdir()] == []


def test_load_fashion_mnist_tensors_and_stats(fashion_root):
    x, y = load_fashion_mnist(train=True, normalize=False)
    assert x.shape == (60_000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (60_000,) and y.dtype == torch.int64
    assert 0 <= x.min() and x.max() <= 1
    # the published constants are the training set's own statistics
    assert abs(x.mean().item() - data.FASHION_MEAN) < 1e-4
    assert abs(x.std().item() - data.FASHION_STD) < 1e-4
    xn, _ = load_fashion_mnist(train=False)
    assert xn.shape == (10_000, 1, 28, 28)
    assert abs(xn.mean().item()) < 0.05  # test split standardised with the train statistics


def test_tensor_loader_covers_every_sample_once():
    x, y = torch.arange(10).float().unsqueeze(1), torch.arange(10)
    loader = TensorLoader(x, y, 4, shuffle=True, seed=1)
    assert len(loader) == 3
    batches = list(loader)
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10))
    assert all(torch.equal(bx.squeeze(1).long(), by) for bx, by in batches)  # pairs stay together


def test_tensor_loader_is_repeatable_and_reshuffles():
    x, y = torch.randn(50, 2), torch.arange(50)
    a, b = TensorLoader(x, y, 8, shuffle=True, seed=3), TensorLoader(x, y, 8, shuffle=True, seed=3)
    first_a, first_b = torch.cat([t for _, t in a]), torch.cat([t for _, t in b])
    assert torch.equal(first_a, first_b)
    assert not torch.equal(first_a, torch.cat([t for _, t in a]))  # next epoch, new order
    assert torch.equal(torch.cat([t for _, t in TensorLoader(x, y, 8)]), y)  # no shuffle: in order


def test_tensor_loader_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        TensorLoader(torch.zeros(3, 1), torch.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader(torch.zeros(3, 1), torch.zeros(3), 0)
