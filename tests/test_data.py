import gzip
import re
import shutil
import subprocess
import sys

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


# Damaged files, shared roots, paths

@pytest.fixture(scope="module")
def debian_dir(fashion_root, tmp_path_factory):
    return _fake_debian_dir(fashion_root, tmp_path_factory.mktemp("debian") / "fashion-mnist")


def _copy_root(fashion_root, root):
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FASHION_FILES:
        shutil.copyfile(fashion_root / "FashionMNIST" / "raw" / name, raw / name)
    return raw


def test_damaged_files_are_named_and_repaired_from_debian(fashion_root, debian_dir, tmp_path):
    raw = _copy_root(fashion_root, tmp_path / "root")
    with open(raw / "train-images-idx3-ubyte", "r+b") as f:
        f.truncate(1000)  # cut short: torchvision would die on "shape ... is invalid"
    (raw / "t10k-labels-idx1-ubyte").write_bytes((raw / "t10k-images-idx3-ubyte").read_bytes()[:10008])
    (raw / "train-labels-idx1-ubyte").unlink()
    # a user's own file linked in, damaged: repairing replaces the link, never writes through it
    theirs = tmp_path / "theirs"
    theirs.write_bytes((raw / "t10k-images-idx3-ubyte").read_bytes()[:5000])
    (raw / "t10k-images-idx3-ubyte").unlink()
    (raw / "t10k-images-idx3-ubyte").symlink_to(theirs)

    problems = data.fashion_mnist_problems(tmp_path / "root")
    assert problems["train-images-idx3-ubyte"] == "1,000 bytes, expected 47,040,016 (cut short or damaged)"
    assert problems["train-labels-idx1-ubyte"] == "missing"
    assert problems["t10k-labels-idx1-ubyte"].startswith("its idx header (2051,) is not (2049,)")
    assert problems["t10k-images-idx3-ubyte"] == "5,000 bytes, expected 7,840,016 (cut short or damaged)"
    with pytest.raises(DataUnavailableError, match="train-images-idx3-ubyte: 1,000 bytes"):
        ensure_fashion_mnist(tmp_path / "root", download=False, debian_dir=tmp_path / "nowhere")

    source = ensure_fashion_mnist(tmp_path / "root", download=False, debian_dir=debian_dir, verbose=False)
    assert source.startswith("Debian package") and data.fashion_mnist_problems(tmp_path / "root") == {}
    for name in FASHION_FILES:
        assert (raw / name).read_bytes() == (fashion_root / "FashionMNIST" / "raw" / name).read_bytes()
    assert sorted(p.name for p in raw.iterdir()) == sorted(FASHION_FILES)  # no temp files
    assert theirs.stat().st_size == 5000 and not (raw / "t10k-images-idx3-ubyte").is_symlink()
    assert len(fashion_mnist(train=True, root=tmp_path / "root")) == 60_000


def _write_first(src_raw, raw, name, n):
    data = (src_raw / name).read_bytes()
    header, item = (16, 28 * 28) if "images" in name else (8, 1)
    (raw / name).write_bytes(data[:4] + n.to_bytes(4, "big") + data[8:header] + data[header:header + n * item])


def test_a_smaller_whole_copy_is_kept_and_unequal_counts_are_named(fashion_root, tmp_path):
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FASHION_FILES:  # the first 100 items of each file, with headers that say so
        _write_first(fashion_root / "FashionMNIST" / "raw", raw, name, 100)
    assert data.fashion_mnist_problems(tmp_path / "root") == {}
    assert ensure_fashion_mnist(tmp_path / "root", download=False, debian_dir=tmp_path / "nowhere") == "data root"
    _write_first(fashion_root / "FashionMNIST" / "raw", raw, "t10k-labels-idx1-ubyte", 50)
    assert data.fashion_mnist_problems(tmp_path / "root") == {"t10k-labels-idx1-ubyte": "50 labels for 100 images"}


def test_several_processes_prepare_one_empty_root(fashion_root, debian_dir, tmp_path):
    # A room of learners sharing one data folder: every process must succeed and read whole files.
    root = tmp_path / "shared"
    code = ("import sys; from dlcourse.data import ensure_fashion_mnist, load_fashion_mnist; "
            "ensure_fashion_mnist(sys.argv[1], download=False, debian_dir=sys.argv[2], verbose=False); "
            "x, y = load_fashion_mnist(train=False, root=sys.argv[1], normalize=False); "
            "print(tuple(x.shape), int(y.sum()), round(float(x.sum()), 2))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root), str(debian_dir)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p, *p.communicate(timeout=600)) for p in procs]
    for p, out, err in results:
        assert p.returncode == 0, err
    x, y = load_fashion_mnist(train=False, normalize=False)
    assert {out for _, out, _ in results} == {f"{tuple(x.shape)} {int(y.sum())} {round(float(x.sum()), 2)}\n"}
    raw = root / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(FASHION_FILES)  # no temp file left
    for name in FASHION_FILES:
        assert (raw / name).read_bytes() == (fashion_root / "FashionMNIST" / "raw" / name).read_bytes()


def test_tilde_is_home_and_a_relative_data_root_is_refused(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(data.ENV_DATA, "~/course-data")
    assert data_root() == tmp_path / "home" / "course-data"
    # notebooks run in notebooks/, the command line anywhere: one relative path, two folders
    for value in ("data", "./data", "~nosuchuser123/data"):
        monkeypatch.setenv(data.ENV_DATA, value)
        with pytest.raises(ValueError, match=re.escape(f"DLCOURSE_DATA={value!r} is not an absolute path")):
            data_root()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
    # a root= argument with ~ is expanded too: never a folder named "~"
    with pytest.raises(DataUnavailableError):
        ensure_fashion_mnist("~/elsewhere", download=False, debian_dir=tmp_path / "nowhere")
    assert (tmp_path / "home" / "elsewhere").is_dir() and not (tmp_path / "~").exists()


def test_a_symlinked_root_is_used_and_a_dangling_one_is_named(fashion_root, monkeypatch, tmp_path):
    (tmp_path / "link").symlink_to(fashion_root, target_is_directory=True)
    assert ensure_fashion_mnist(tmp_path / "link", download=False, verbose=False) == "data root"
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    monkeypatch.setenv(data.ENV_DATA, str(tmp_path / "dangling"))
    with pytest.raises(OSError, match=re.escape(f"it is a symbolic link to {tmp_path / 'gone'}, which does not exist")):
        data_root()
