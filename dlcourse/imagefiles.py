"""Your own image files as a Dataset, as in notebook 06: a folder per class, a `data.list`, a `labels.json`.

`data.list` holds one image per line, `relative/path<TAB>label_id`, paths relative to the list
file's folder; blank lines and lines starting with `#` are ignored. `labels.json` maps label
ids to names: `{"0": "name", "1": "name", ...}`. `write_list_file` writes both from a folder
with one subfolder per class; `ListFileDataset` reads them. Every problem in them raises a
`ListFileError` (a `ValueError`) that names the file and the line. `export_fashion_mnist_pngs`
turns some of Fashion-MNIST into such a folder of PNG files.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from dlcourse.files import atomic_path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
IMAGE_MODES = ("L", "LA", "RGB", "RGBA")  # PIL modes with 8 bits per channel: 1, 2, 3, 4 channels
LIST_NAME = "data.list"
LABELS_NAME = "labels.json"


class ListFileError(ValueError):
    """A problem in a list file, its labels file or an image it names; the message says where."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        # The message itself names the file and line: DataLoader workers re-raise an error
        # from its message alone, and the attributes do not travel with it.
        super().__init__(message)
        self.file = None if file is None else str(file)
        self.line = line

    def __reduce__(self):
        return _rebuild_error, (self.args[0], self.file, self.line)


def _rebuild_error(message: str, file: str | None, line: int | None) -> ListFileError:
    return ListFileError(message, file=file, line=line)


def _error(problem: str, file: str | Path, line: int | None = None) -> ListFileError:
    where = f"{file}, line {line}" if line is not None else f"{file}"
    return ListFileError(f"{where}: {problem}", file=file, line=line)


def read_labels_file(labels_file: str | Path) -> dict[int, str]:
    """Read `labels.json` into {label_id: name}; a malformed file raises ListFileError."""
    labels_file = Path(labels_file)
    try:
        text = labels_file.read_text(encoding="utf-8-sig")  # -sig: tolerate a BOM from Windows editors
    except FileNotFoundError:
        raise _error("labels file not found", labels_file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(f"cannot read the labels file ({exc})", labels_file) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(f"not valid JSON ({exc.msg})", labels_file, exc.lineno) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, brackets nested too deep
        raise _error(f"not a labels file ({type(exc).__name__}: {str(exc)[:100]})", labels_file) from None
    if not isinstance(raw, dict) or not raw:
        raise _error('must be a non-empty JSON object like {"0": "cat", "1": "dog"}', labels_file)
    labels = {}
    for key, name in raw.items():
        if not _is_label_id(str(key)) or not isinstance(name, str) or not name:
            raise _error(f"entry {key!r}: {name!r} must map a label id (\"0\", \"1\", ...) to a name",
                         labels_file)
        labels[int(key)] = name
    return dict(sorted(labels.items()))


def _is_label_id(text: str) -> bool:
    # ASCII digits only ("٣" is a digit to Python's int), and short enough to be an id
    return re.fullmatch(r"[0-9]{1,9}", text) is not None


def _check_relative(rel: str, list_file: Path, line: int) -> str:
    # Lexical check, so symlinks inside the folder still work: no absolute paths, no `..` out.
    if "\x00" in rel:
        raise _error(f"path {rel!r} contains a NUL character", list_file, line)
    posix = rel.replace("\\", "/")
    norm = posixpath.normpath(posix)
    if posixpath.isabs(posix) or re.match(r"^[A-Za-z]:", posix) or norm == ".." or norm.startswith("../"):
        raise _error(f"path {rel!r} leaves the list file's folder; paths must be relative to it "
                     "and stay inside it", list_file, line)
    return norm


def _parse_list(list_file: Path, labels: Mapping[int, str] | None, check_files: bool) -> list[tuple[Path, int, int]]:
    # -> [(image path, label id, line number)]
    try:
        text = list_file.read_text(encoding="utf-8-sig")  # -sig: tolerate a BOM from Windows editors
    except FileNotFoundError:
        raise _error("list file not found", list_file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(f"cannot read the list file ({exc})", list_file) from None
    folder = list_file.parent
    samples = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip():
            hint = " (separate the fields with one TAB, not spaces)" if "\t" not in line else ""
            raise _error(f"expected 'relative/path<TAB>label_id', got {line!r}{hint}", list_file, n)
        rel, label = fields[0].strip(), fields[1].strip()
        if not _is_label_id(label):
            raise _error(f"label id must be a non-negative integer (at most 9 digits), got {label[:20]!r}"
                         f"{'...' if len(label) > 20 else ''}", list_file, n)
        label_id = int(label)
        if labels is not None and label_id not in labels:
            raise _error(f"label id {label_id} is not in the labels file (ids: {sorted(labels)})",
                         list_file, n)
        path = folder / _check_relative(rel, list_file, n)
        if check_files:
            try:
                found = path.is_file()
            except (OSError, ValueError) as exc:  # a name too long for the file system, ...
                raise _error(f"cannot look for image {rel!r} ({type(exc).__name__}: {exc})", list_file, n) from None
            if not found:
                raise _error(f"image file not found: {rel!r} (looked for {path})", list_file, n)
        samples.append((path, label_id, n))
    if not samples:
        raise _error("the list is empty: no 'path<TAB>label_id' lines", list_file)
    return samples


def read_list_file(
    list_file: str | Path, labels: Mapping[int, str] | None = None, *, check_files: bool = True
) -> list[tuple[Path, int]]:
    """Read `data.list` into [(image path, label id)], checking every line (and that files exist)."""
    return [(path, label) for path, label, _ in _parse_list(Path(list_file), labels, check_files)]


def write_list_file(
    image_dir: str | Path,
    list_file: str | Path | None = None,
    labels_file: str | Path | None = None,
    *,
    classes: Sequence[str] | Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """Scan `image_dir` (one subfolder per class) and write `data.list` and `labels.json`; return both paths.

    `classes` picks subfolders: None takes all, in sorted order (label ids 0, 1, ...); a list
    takes those, in its order; a dict {folder: category} merges folders into categories, whose
    ids follow the order in which the categories first appear (e.g. "other" first -> 0).
    Both files go beside each other in `image_dir` unless given; the list's folder must contain
    the images, since paths are written relative to it.
    """
    image_dir = Path(image_dir)
    list_file = Path(list_file) if list_file is not None else image_dir / LIST_NAME
    labels_file = Path(labels_file) if labels_file is not None else list_file.parent / LABELS_NAME
    if not image_dir.is_dir():
        raise FileNotFoundError(f"image folder not found: {image_dir}")
    if classes is None:
        classes = sorted(p.name for p in image_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    folder_to_category = dict(classes) if isinstance(classes, Mapping) else {c: c for c in classes}
    if not folder_to_category:
        raise ValueError(f"{image_dir} has no class subfolders")
    categories = list(dict.fromkeys(folder_to_category.values()))  # first appearance order
    base = list_file.parent.absolute()
    lines = [f"# {len(categories)} categories in {labels_file.name}; one image per line: path<TAB>label_id"]
    for folder, category in folder_to_category.items():
        sub = image_dir / folder
        if not sub.is_dir():
            raise FileNotFoundError(f"class folder not found: {sub}")
        files = sorted(p for p in sub.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        for path in files:
            rel = Path(os.path.relpath(path.absolute(), base)).as_posix()
            if rel.startswith("../"):
                raise ValueError(f"{path} is not inside {base}, the list file's folder")
            lines.append(f"{rel}\t{categories.index(category)}")
    # Both temp files are written before either is renamed: an interruption leaves the old pair as
    # it was (or no pair), never a new list beside old labels.
    with atomic_path(list_file) as list_tmp, atomic_path(labels_file) as labels_tmp:
        list_tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        labels_tmp.write_text(json.dumps({str(i): c for i, c in enumerate(categories)}, indent=1) + "\n",
                              encoding="utf-8")
    return list_file, labels_file


class ListFileDataset(Dataset):
    """Images and labels named by a list file: sample i is (image C x H x W in [0, 1], label).

    Lines, labels and file existence are checked when it is made; an unreadable image raises
    when it is first read. `size` is (H, W); `mode` is PIL's ("RGB": 3 channels, "L": gray, 1);
    `target_dtype=torch.float32` gives float labels for a binary model. `transform`, if given,
    maps the image tensor. It holds only paths and settings, so DataLoader workers can pickle
    it under every start method (spawn included).
    """

    def __init__(
        self,
        list_file: str | Path,
        labels_file: str | Path,
        size: tuple[int, int],
        transform=None,
        target_dtype: torch.dtype = torch.long,
        *,
        mode: str = "RGB",
    ):
        # The arguments first, so a typo is reported before any file is read.
        if (not isinstance(size, (tuple, list)) or len(size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
            raise ValueError(f"size must be (height, width) in pixels, e.g. (28, 28), got {size!r}")
        if not isinstance(target_dtype, torch.dtype):
            raise TypeError(f"target_dtype must be a torch dtype such as torch.long or torch.float32, "
                            f"got {target_dtype!r}")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be a function of the image tensor, got {type(transform).__name__}")
        if mode not in IMAGE_MODES:
            raise ValueError(f"mode must be one of {IMAGE_MODES} (8 bits per channel), got {mode!r}")
        self.list_file = Path(list_file)
        self.labels = read_labels_file(labels_file)  # {label id: name}
        parsed = _parse_list(self.list_file, self.labels, check_files=True)
        self.samples = [(path, label) for path, label, _ in parsed]
        self._lines = [n for _, _, n in parsed]  # so a bad image later can name its line
        self.size = (int(size[0]), int(size[1]))  # (H, W)
        self.transform, self.target_dtype, self.mode = transform, target_dtype, mode

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        path, label = self.samples[index]
        try:
            with Image.open(path) as img:
                img = img.convert(self.mode)
                if img.size != (self.size[1], self.size[0]):  # PIL sizes are (W, H)
                    img = img.resize((self.size[1], self.size[0]), Image.Resampling.BILINEAR)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # UnidentifiedImageError is an OSError
            raise _error(f"cannot read image {path} ({type(exc).__name__}: {exc})",
                         self.list_file, self._lines[index]) from None
        arr = np.asarray(img, dtype=np.uint8).reshape(self.size[0], self.size[1], -1)  # (H, W, C)
        x = torch.from_numpy(arr.transpose(2, 0, 1).copy()).float().div_(255.0)  # (C, H, W) in [0, 1]
        if self.transform is not None:
            x = self.transform(x)
        return x, torch.tensor(label, dtype=self.target_dtype)


def class_folder_name(name: str) -> str:
    """A class name made safe as a folder name ('T-shirt/top' -> 'T-shirt_top')."""
    return re.sub(r"[^\w.\- ]", "_", name).strip() or "_"


def export_fashion_mnist_pngs(
    root: str | Path,
    classes: Sequence[int] | None = None,
    per_class: int = 300,
    split: str = "train",
) -> Path:
    """Write the first `per_class` images of each class of one split as PNGs: root/split/class/NNNNN.png.

    Rerunning is quick: files already there are kept (every write is atomic, so a file is
    whole or absent), and exported PNGs no longer asked for are removed, so the folder holds
    exactly what was asked for. Returns root/split. File names are indices into the split.
    """
    from dlcourse.data import FASHION_CLASSES, fashion_mnist

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"per_class must be a positive int, got {per_class!r}")
    if classes is None:
        classes = list(range(len(FASHION_CLASSES)))
    elif not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < len(FASHION_CLASSES)
                 for c in classes):
        raise ValueError(f"classes must be Fashion-MNIST class indices 0..{len(FASHION_CLASSES) - 1}, "
                         f"got {classes!r}")
    classes = list(classes)
    out = Path(root) / split
    ds = None
    for c in classes:
        folder = out / class_folder_name(FASHION_CLASSES[c])
        folder.mkdir(parents=True, exist_ok=True)
        if ds is None:
            ds = fashion_mnist(train=split == "train")
        indices = (ds.targets == c).nonzero().flatten()[:per_class].tolist()
        wanted = {f"{i:05d}.png" for i in indices}
        for stale in folder.glob("[0-9][0-9][0-9][0-9][0-9].png"):
            if stale.name not in wanted:
                stale.unlink(missing_ok=True)
        for i in indices:
            path = folder / f"{i:05d}.png"
            if not path.is_file():
                with atomic_path(path) as tmp:
                    Image.fromarray(ds.data[i].numpy()).save(tmp, format="PNG")
    return out


__all__ = [
    "IMAGE_EXTENSIONS", "ListFileDataset", "ListFileError", "class_folder_name",
    "export_fashion_mnist_pngs", "read_labels_file", "read_list_file", "write_list_file",
]
