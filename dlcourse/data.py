"""Data for the course: where it lives, Fashion-MNIST from any of three sources, and fast loaders.

The data root is `DLCOURSE_DATA` if set (an absolute path; `~` is your home folder), else
`data/` at the repository root when the package runs from a checkout, else a per-user cache
folder. Fashion-MNIST comes from the data root, else from Debian's `dataset-fashion-mnist`
package, else from the internet (torchvision); a file that is missing or damaged (wrong size
or header) is fetched again from the first source that has it.
"""

from __future__ import annotations

import gzip
import math
import os
import shutil
import socket
import struct
import tempfile
from pathlib import Path
from typing import Iterator

import torch

from dlcourse.files import atomic_path

ENV_DATA = "DLCOURSE_DATA"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
# Each file's idx format: its magic number (2051 images, 2049 labels), then the shape of one item.
# The header holds these and the item count, 4 bytes each; one byte per pixel or label follows,
# so the header says what size the file must have. A copy with fewer items (tests use one) is fine.
IDX_FORMATS = {
    "train-images-idx3-ubyte": (2051, 28, 28),
    "train-labels-idx1-ubyte": (2049,),
    "t10k-images-idx3-ubyte": (2051, 28, 28),
    "t10k-labels-idx1-ubyte": (2049,),
}
FASHION_FILES = tuple(IDX_FORMATS)
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
# Mean and std of the 60,000 training images' pixels in [0, 1] (tests recompute them from the data).
FASHION_MEAN = 0.2860
FASHION_STD = 0.3530


class DataUnavailableError(RuntimeError):
    """Fashion-MNIST is in none of the places the course looks, and cannot be downloaded."""


def _repo_root() -> Path | None:
    here = Path(__file__).resolve().parent.parent
    pyproject = here / "pyproject.toml"
    if pyproject.is_file() and 'name = "dlcourse"' in pyproject.read_text(errors="replace"):
        return here
    return None


def data_root() -> Path:
    """Return the folder all course data lives under (created if missing)."""
    env = os.environ.get(ENV_DATA, "").strip()
    if env:
        root = _expand(env)
        if not root.is_absolute():
            # notebooks run in notebooks/, a shell anywhere: a relative path would name two folders
            example = (f"{env.split('/')[0]} is no home folder here" if env.startswith("~")
                       else f"e.g. {ENV_DATA}={Path.cwd() / root}")
            raise ValueError(f"{ENV_DATA}={env!r} is not an absolute path, so notebooks (which run in "
                             f"notebooks/) and the command line would each read it as another folder: "
                             f"give the full path ({example})")
    elif (repo := _repo_root()) is not None:
        root = repo / "data"
    else:
        cache = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
        root = Path(cache) / "dlcourse"
    return _make_root(root, f"{ENV_DATA}={env!r}" if env else None)


def _expand(path: str | Path) -> Path:
    try:
        return Path(path).expanduser()  # "~/data" -> /home/me/data, never a folder named "~"
    except RuntimeError:  # "~nobody/x", or no home folder: left as it is, so it reads as relative
        return Path(path)


def _make_root(root: Path, where: str | None = None) -> Path:
    # One clear error when the data root cannot be a folder (a file is in the way, no permission).
    try:
        root.mkdir(parents=True, exist_ok=True)
        problem = None
    except FileExistsError:
        problem = (f"it is a symbolic link to {os.readlink(root)}, which does not exist"
                   if root.is_symlink() else "it is a file, not a folder")
    except OSError as exc:  # no permission, a file where a parent folder should be, ...
        problem = f"{type(exc).__name__}: {exc.strerror or exc}"
    if problem is not None:
        origin = f" ({where})" if where else ""
        raise OSError(f"cannot use {root} as the data root{origin}: {problem}; "
                      f"set {ENV_DATA} to a folder you can write to")
    return root


def _check_split(train) -> None:
    if not isinstance(train, bool):
        raise ValueError(f"train must be True (training split) or False (test split), got {train!r}")


def fashion_mnist_dir(root: str | Path | None = None) -> Path:
    """The folder holding Fashion-MNIST's four raw files: <data root>/FashionMNIST/raw."""
    return (_expand(root) if root is not None else data_root()) / "FashionMNIST" / "raw"


def _idx_count(path: Path, fmt: tuple[int, ...]) -> int | str:
    """How many items the idx file at `path` holds, or what is wrong with it."""
    magic, *item = fmt
    header = struct.Struct(f">{len(fmt) + 1}I")  # magic, count, item dimensions
    try:
        with open(path, "rb") as f:
            head = f.read(header.size)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return "missing"
    except OSError as exc:  # a folder in its place, a symbolic link to nowhere, no permission
        return f"unreadable ({exc.strerror or exc})"
    if size < header.size:
        return f"{size:,} bytes, too short for an idx header"
    found_magic, count, *found_item = header.unpack(head)
    if (found_magic, *found_item) != fmt:
        return f"its idx header {(found_magic, *found_item)} is not {fmt} (another file under this name?)"
    expected = header.size + count * math.prod(item)
    if size != expected:
        return f"{size:,} bytes, expected {expected:,} (cut short or damaged)"
    return count


def fashion_mnist_problems(root: str | Path | None = None) -> dict[str, str]:
    """Check the four Fashion-MNIST files under `root` by header and size: {file name: what is wrong}."""
    raw = fashion_mnist_dir(root)
    found = {name: _idx_count(raw / name, fmt) for name, fmt in IDX_FORMATS.items()}
    problems = {name: value for name, value in found.items() if isinstance(value, str)}
    for split in ("train", "t10k"):
        images, labels = found[f"{split}-images-idx3-ubyte"], found[f"{split}-labels-idx1-ubyte"]
        if isinstance(images, int) and isinstance(labels, int) and images != labels:
            problems[f"{split}-labels-idx1-ubyte"] = f"{labels:,} labels for {images:,} images"
    return problems


def _copy_from_debian(debian_dir: Path, raw: Path) -> bool:
    # All four, even when one is damaged: a smaller copy beside full files would not match.
    sources = {name: debian_dir / f"{name}.gz" for name in FASHION_FILES}
    if not all(p.is_file() for p in sources.values()):
        return False
    for name, src in sources.items():
        # Debian recompressed the .gz files (torchvision's md5 sums fail), but their contents are
        # the original ones. Each process decompresses to its own temp file, then renames it:
        # several learners preparing one shared root never see a half file.
        with gzip.open(src, "rb") as fin, atomic_path(raw / name) as tmp, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    return True


def _download(root: Path, timeout: float) -> None:
    from torchvision.datasets import FashionMNIST

    # Download into a scratch folder inside the root, then move the files: a failed or
    # interrupted download leaves nothing half-written in the data root.
    scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        FashionMNIST(str(scratch), train=True, download=True)
        FashionMNIST(str(scratch), train=False, download=True)
        raw = fashion_mnist_dir(root)
        raw.mkdir(parents=True, exist_ok=True)
        for name in FASHION_FILES:
            os.replace(fashion_mnist_dir(scratch) / name, raw / name)
    finally:
        socket.setdefaulttimeout(old_timeout)
        shutil.rmtree(scratch, ignore_errors=True)


def ensure_fashion_mnist(
    root: str | Path | None = None,
    *,
    download: bool = True,
    debian_dir: str | Path = DEBIAN_FASHION_DIR,
    timeout: float = 10.0,
    verbose: bool = True,
) -> str:
    """Make Fashion-MNIST ready under `root`, repairing damaged files; return (and print) the source used."""
    root = _make_root(_expand(root)) if root is not None else data_root()
    raw = fashion_mnist_dir(root)
    problems = fashion_mnist_problems(root)
    source, error = "data root", None
    if problems:
        try:
            if _copy_from_debian(Path(debian_dir), raw):
                source = f"Debian package dataset-fashion-mnist ({debian_dir})"
            elif download:
                _download(root, timeout)
                source = "download (torchvision)"
            else:
                error = "download=False"
        except PermissionError as exc:
            raise OSError(f"cannot write Fashion-MNIST into {raw} ({exc.strerror}): set {ENV_DATA} "
                          "to a folder you can write to") from None
        except Exception as exc:  # any network failure, a damaged Debian file: explained below
            error = f"{type(exc).__name__}: {exc}"
        still = fashion_mnist_problems(root)
        if still:
            what = "; ".join(f"{name}: {problem}" for name, problem in still.items())
            raise DataUnavailableError(
                f"Fashion-MNIST in {raw} is not ready ({what}) and could not be fetched "
                f"({error or 'the source gave damaged files'}). Fix it one of three ways: "
                "(1) on Debian/Ubuntu, `sudo apt-get install dataset-fashion-mnist` (works offline "
                "from a local mirror) and run again; "
                "(2) connect to the internet and run again (torchvision downloads it, ~30 MB); "
                f"(3) set {ENV_DATA} to a folder that already holds FashionMNIST/raw/ "
                "(e.g. from `python -m dlcourse bundle` or a USB stick)."
            )
    if verbose:
        print(f"Fashion-MNIST ready in {raw} (source: {source})")
    return source


def fashion_mnist(train: bool = True, root: str | Path | None = None, transform=None):
    """Return torchvision's FashionMNIST dataset for one split, making the data ready first."""
    from torchvision.datasets import FashionMNIST

    _check_split(train)
    root = _expand(root) if root is not None else data_root()
    ensure_fashion_mnist(root, verbose=False)
    return FashionMNIST(str(root), train=train, transform=transform, download=False)


def load_fashion_mnist(
    train: bool = True, root: str | Path | None = None, *, normalize: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return one whole split as tensors: images (N, 1, 28, 28) float32 and labels (N,) int64.

    Pixels are scaled to [0, 1] and, when `normalize`, standardised with the training set's
    mean and std. Holding the split as one tensor makes CPU training several times faster
    than decoding one PIL image per sample.
    """
    _check_split(train)
    root = _expand(root) if root is not None else data_root()
    ensure_fashion_mnist(root, verbose=False)
    split = "train" if train else "t10k"
    images = _read_idx(fashion_mnist_dir(root) / f"{split}-images-idx3-ubyte")  # (N, 28, 28) uint8
    labels = _read_idx(fashion_mnist_dir(root) / f"{split}-labels-idx1-ubyte")  # (N,) uint8
    x = images.unsqueeze(1).float().div_(255.0)  # (N, 1, 28, 28)
    if normalize:
        x.sub_(FASHION_MEAN).div_(FASHION_STD)
    return x, labels.long()


def _read_idx(path: Path) -> torch.Tensor:
    """An idx file (checked by ensure_fashion_mnist) as a uint8 tensor of the shape its header gives.

    The same numbers torchvision's FashionMNIST decodes, without importing torchvision (about a
    second on a 2-core CPU) for notebooks that need only the tensors.
    """
    data = bytearray(path.read_bytes())
    ndim = data[3]  # the magic number's last byte: 3 for images, 1 for labels
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return torch.frombuffer(data, dtype=torch.uint8, offset=4 + 4 * ndim).reshape(shape)


class TensorLoader:
    """Batches (x, y) from tensors already in memory; a fast stand-in for a DataLoader.

    Shuffling draws a fresh permutation each epoch from its own generator, so runs with the
    same `seed` see the same batches.
    """

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 128, *,
        shuffle: bool = False, seed: int = 0,
    ):
        for name, t in (("x", x), ("y", y)):
            if not isinstance(t, torch.Tensor):  # a list or an array would fail later, in fit
                raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}: "
                                f"make one with torch.as_tensor({name})")
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return (len(self.x) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.x)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            for i in range(0, n, self.batch_size):
                idx = order[i : i + self.batch_size]
                yield self.x[idx], self.y[idx]
        else:
            for i in range(0, n, self.batch_size):
                yield self.x[i : i + self.batch_size], self.y[i : i + self.batch_size]
