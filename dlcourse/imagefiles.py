"""Your own image files as a Dataset, as in notebook 06: a folder per class, a `data.list`, a `labels.json`.

`data.list` holds one image per line, `relative/path<TAB>label_id`, paths relative to the list
file's folder; blank lines and lines starting with `#` are ignored. `labels.json` maps label
ids to names: `{"0": "name", "1": "name", ...}`; ids are written without leading zeros.
`write_list_file` writes both from a folder with one subfolder per class, and refuses what its
reader could not read back; `ListFileDataset` reads them. Every problem in them, ambiguity
included (an image listed twice, an id or a name given twice), raises a `ListFileError` (a
`ValueError`) that names the file and the line. `export_fashion_mnist_pngs`
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

from dlcourse.data import FASHION_CLASSES, fashion_mnist
from dlcourse.files import atomic_path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
IMAGE_MODES = ("L", "LA", "RGB", "RGBA")  # what a sample can be: 1, 2, 3 or 4 channels
LIST_NAME = "data.list"
LABELS_NAME = "labels.json"


class ListFileError(ValueError):
    """A problem in a list file, its labels file or an image it names; the message says where."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        # The message itself names the file and line: DataLoader workers rebuild an error
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


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # -sig: tolerate a BOM from Windows editors
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"{what} not found" if isinstance(exc, FileNotFoundError) else f"cannot read the {what} ({exc})"
        raise _error(problem, path) from None


class _Pairs(list):
    """A JSON object as its (key, value) pairs, so a key given twice is seen, not silently dropped."""


def _labels_problem(raw) -> str | None:
    if not isinstance(raw, _Pairs) or not raw:
        return 'must be a non-empty JSON object like {"0": "cat", "1": "dog"}'
    ids, names = {}, {}
    for key, name in raw:
        if not _is_label_id(key) or not isinstance(name, str) or not name:
            return f'entry {key!r}: {name!r} must map a label id ("0", "1", ...; no leading zeros) to a name'
        if key in ids or name in names:
            twice = f"id {key!r}" if key in ids else f"name {name!r}"
            return f"{twice} appears twice, so a label would mean two things"
        ids[key], names[name] = name, key
    return None


def _read_labels_file(labels_file: str | Path) -> dict[int, str]:
    """Read `labels.json` into {label_id: name}; a malformed or ambiguous file raises ListFileError."""
    labels_file = Path(labels_file)
    text = _read_text(labels_file, "labels file")
    line = None
    try:
        raw = json.loads(text, object_pairs_hook=_Pairs)
        problem = _labels_problem(raw)
    except json.JSONDecodeError as exc:
        problem, line = f"not valid JSON ({exc.msg})", exc.lineno
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, brackets nested too deep
        problem = f"not a labels file ({type(exc).__name__}: {str(exc)[:100]})"
    if problem is not None:
        raise _error(problem, labels_file, line) from None
    return dict(sorted((int(key), name) for key, name in raw))


def _is_label_id(text: str) -> bool:
    # ASCII digits only ("٣" is a digit to Python's int), short enough to be an id, and written
    # one way only: "07" and "7" would be two spellings of one id
    return re.fullmatch(r"0|[1-9][0-9]{0,8}", text) is not None


def _path_problem(rel: str) -> str | None:
    # Lexical check, so symlinks inside the folder still work: no absolute paths, no `..` out.
    if "\x00" in rel:
        return f"path {rel!r} contains a NUL character"
    posix = rel.replace("\\", "/")
    norm = posixpath.normpath(posix)
    if posixpath.isabs(posix) or re.match(r"^[A-Za-z]:", posix) or norm == ".." or norm.startswith("../"):
        return f"path {rel!r} leaves the list file's folder; paths must be relative to it and stay inside it"
    return None


def _parse_line(line: str, labels: Mapping[int, str] | None) -> tuple[str, int] | str:
    """One line of a list file -> (normalised relative path, label id), or what is wrong with it."""
    fields = line.split("\t")
    if len(fields) != 2 or not fields[0].strip():
        hint = " (separate the fields with one TAB, not spaces)" if "\t" not in line else ""
        return f"expected 'relative/path<TAB>label_id', got {line!r}{hint}"
    rel, label = fields[0].strip(), fields[1].strip()
    if not _is_label_id(label):
        return (f"label id must be a non-negative integer without leading zeros (at most 9 digits), "
                f"got {label[:20]!r}{'...' if len(label) > 20 else ''}")
    if labels is not None and int(label) not in labels:
        return f"label id {int(label)} is not in the labels file (ids: {sorted(labels)})"
    return _path_problem(rel) or (posixpath.normpath(rel.replace("\\", "/")), int(label))


def _is_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _image_problem(path: Path, rel: str) -> str | None:
    try:
        return None if path.is_file() else f"image file not found: {rel!r} (looked for {path})"
    except (OSError, ValueError) as exc:  # a name too long for the file system, ...
        return f"cannot look for image {rel!r} ({type(exc).__name__}: {exc})"


def _parse_list(list_file: Path, labels: Mapping[int, str] | None, check_files: bool) -> list[tuple[Path, int, int]]:
    # -> [(image path, label id, line number)]
    text = _read_text(list_file, "list file")
    samples, first_line = [], {}  # {relative path: the line that listed it}
    for n, line in enumerate(text.splitlines(), start=1):
        if _is_comment(line):
            continue
        parsed = _parse_line(line, labels)
        if isinstance(parsed, tuple):
            rel, label_id = parsed
            path = list_file.parent / rel
            if rel in first_line:
                parsed = f"{rel!r} is listed twice (also on line {first_line[rel]})"
            elif check_files:
                parsed = _image_problem(path, rel) or parsed
        if isinstance(parsed, str):
            raise _error(parsed, list_file, n)
        first_line[rel] = n
        samples.append((path, label_id, n))
    if not samples:
        raise _error("the list is empty: no 'path<TAB>label_id' lines", list_file)
    return samples


def _read_list_file(
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
    the images, since paths are written relative to it. What the reader would refuse or read
    otherwise (a name with a TAB or a line break, a leading `#`) raises ValueError instead.
    """
    image_dir = Path(image_dir)
    list_file = Path(list_file) if list_file is not None else image_dir / LIST_NAME
    labels_file = Path(labels_file) if labels_file is not None else list_file.parent / LABELS_NAME
    for path in (list_file, labels_file):
        if path.is_dir():  # e.g. a class folder named data.list: refuse before scanning or writing
            raise ValueError(f"cannot write {path}: a folder of that name is there; rename the folder "
                             "or give another file name")
    if classes is None:
        classes = sorted(p.name for p in image_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    folder_to_category = dict(classes) if isinstance(classes, Mapping) else {c: c for c in classes}
    categories = list(dict.fromkeys(folder_to_category.values()))  # first appearance order
    labels = _Pairs((str(i), c) for i, c in enumerate(categories))
    base = list_file.parent.absolute()
    lines = [f"# {len(categories)} categories in {labels_file.name}; one image per line: path<TAB>label_id"]
    for folder, category in folder_to_category.items():
        files = sorted(p for p in (image_dir / folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        for path in files:
            rel = Path(os.path.relpath(path.absolute(), base)).as_posix()
            line = f"{rel}\t{categories.index(category)}"
            # The writer refuses what its own reader would reject or read as another file.
            problem = ("its name holds a TAB" if "\t" in rel else
                       "its name holds a line break" if line.splitlines() != [line] else
                       "its name starts with '#' (the reader skips it as a comment)" if _is_comment(line) else
                       _parse_line(line, None))
            if problem != (posixpath.normpath(rel), categories.index(category)):
                raise ValueError(f"cannot list {path} in {list_file}: {problem}"
                                 if isinstance(problem, str) else
                                 f"cannot list {path} in {list_file}: its name {rel!r} would read back as "
                                 f"{problem[0]!r} (spaces at either end, or a backslash): rename it")
            lines.append(line)
    problem = ("no images to list (no class subfolders, or no image files in them)" if len(lines) == 1
               else _labels_problem(labels))
    if problem is not None:
        raise ValueError(f"cannot write {list_file} and {labels_file} for {image_dir} "
                         f"(classes {list(folder_to_category)}): {problem}")
    # Both temp files are written before either is renamed: an interruption leaves the old pair as
    # it was (or no pair), never a new list beside old labels.
    with atomic_path(list_file) as list_tmp, atomic_path(labels_file) as labels_tmp:
        list_tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        labels_tmp.write_text(json.dumps(dict(labels), indent=1) + "\n", encoding="utf-8")
    return list_file, labels_file


# PIL modes of more than 8 bits per pixel, and the value that is full white in each: PIL's
# convert() would clip them to 8 bits, and every image would come out black and white.
WIDE_MODES = {"I;16": 65535, "I;16L": 65535, "I;16B": 65535, "I;16N": 65535, "I": 65535, "F": 1.0}


def _pixels(img: Image.Image, mode: str, size: tuple[int, int]) -> torch.Tensor:
    """One image as a float tensor (C, H, W) in [0, 1]; C is 1, 2, 3 or 4 as `mode` asks."""
    h, w = size
    if img.mode not in WIDE_MODES:
        img = img.convert(mode)
        if img.size != (w, h):  # PIL sizes are (W, H)
            img = img.resize((w, h), Image.Resampling.BILINEAR)
        arr = np.asarray(img, dtype=np.uint8).reshape(h, w, -1)  # (H, W, C)
        return torch.from_numpy(arr.transpose(2, 0, 1).copy()).float().div_(255.0)
    # A 16-bit or float gray image: scale it to [0, 1] first, then resize as 32-bit float.
    gray = np.asarray(img, dtype=np.float32) / WIDE_MODES[img.mode]  # (H, W)
    if not (gray.min() >= 0 and gray.max() <= 1):  # NaN fails too
        raise ValueError(f"its {img.mode} pixels run from {gray.min():g} to {gray.max():g}; 16-bit images "
                         "must hold 0..65535 and float images 0..1: rescale it")
    img = Image.fromarray(gray)  # mode "F"
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.BILINEAR)
    g = torch.from_numpy(np.asarray(img, dtype=np.float32).copy()).unsqueeze(0)  # (1, H, W)
    opaque = torch.ones_like(g)
    return torch.cat({"L": [g], "LA": [g, opaque], "RGB": [g, g, g], "RGBA": [g, g, g, opaque]}[mode])


class ListFileDataset(Dataset):
    """Images and labels named by a list file: sample i is (image C x H x W in [0, 1], label).

    Lines, labels and file existence are checked when it is made; an unreadable image raises
    when it is first read. `size` is (H, W); `mode` is PIL's ("RGB": 3 channels, "L": gray, 1);
    8-bit, 16-bit and float images are all scaled to [0, 1].
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
        size_ok = (isinstance(size, (tuple, list)) and len(size) == 2
                   and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size))
        bad = [message for ok, message in (
            (size_ok, f"size must be (height, width) in pixels, e.g. (28, 28), got {size!r}"),
            (mode in IMAGE_MODES, f"mode must be one of {IMAGE_MODES} (the channels of the tensor), got {mode!r}"),
        ) if not ok]
        if bad:
            raise ValueError("; ".join(bad))
        self.list_file = Path(list_file)
        self.labels = _read_labels_file(labels_file)  # {label id: name}
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
                x = _pixels(img, self.mode, self.size)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # UnidentifiedImageError is an OSError
            raise _error(f"cannot read image {path} ({type(exc).__name__}: {exc})",
                         self.list_file, self._lines[index]) from None
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
    classes = list(range(len(FASHION_CLASSES)) if classes is None else classes)
    checks = {  # name: (value, what it must be, whether it is)
        "split": (split, "'train' or 'test'", split in ("train", "test")),
        "per_class": (per_class, "a positive int", isinstance(per_class, int) and per_class >= 1),
        "classes": (classes, f"Fashion-MNIST class indices 0..{len(FASHION_CLASSES) - 1}",
                    all(isinstance(c, int) and 0 <= c < len(FASHION_CLASSES) for c in classes)),
    }
    bad = [f"{name} must be {want}, got {value!r}" for name, (value, want, ok) in checks.items() if not ok]
    if bad:
        raise ValueError("; ".join(bad))
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


__all__ = ["ListFileDataset", "ListFileError", "class_folder_name", "export_fashion_mnist_pngs", "write_list_file"]
