"""Tests for dlcourse.imagefiles: list files, labels files, ListFileDataset and every bad-file case."""

from __future__ import annotations

import json
import pickle
import re

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from dlcourse.imagefiles import ListFileDataset, ListFileError, export_fashion_mnist_pngs, write_list_file
from dlcourse.imagefiles import _read_labels_file as read_labels_file
from dlcourse.imagefiles import _read_list_file as read_list_file


@pytest.fixture
def image_dir(tmp_path):
    """tmp/images/{cat,dog,bird}/ with small images of mixed sizes and modes."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    specs = {"cat": [("RGB", (20, 16)), ("L", (28, 28))], "dog": [("RGBA", (9, 30)), ("RGB", (28, 28))],
             "bird": [("L", (5, 5))]}
    for cls, items in specs.items():
        (root / cls).mkdir(parents=True)
        for i, (mode, (w, h)) in enumerate(items):
            channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
            arr = rng.integers(0, 256, (h, w, channels), dtype=np.uint8).squeeze(-1 if channels == 1 else None)
            Image.fromarray(arr).save(root / cls / f"{i}.png")
    (root / "cat" / "notes.txt").write_text("not an image")
    return root


def test_write_list_file_format(image_dir):
    list_file, labels_file = write_list_file(image_dir)
    assert (list_file, labels_file) == (image_dir / "data.list", image_dir / "labels.json")
    assert json.loads(labels_file.read_text()) == {"0": "bird", "1": "cat", "2": "dog"}
    lines = [ln for ln in list_file.read_text().splitlines() if not ln.startswith("#")]
    assert lines == ["bird/0.png\t0", "cat/0.png\t1", "cat/1.png\t1", "dog/0.png\t2", "dog/1.png\t2"]
    assert read_labels_file(labels_file) == {0: "bird", 1: "cat", 2: "dog"}
    assert read_list_file(list_file)[0] == (image_dir / "bird" / "0.png", 0)


def test_write_list_file_is_repeatable_and_atomic(image_dir):
    list_file, labels_file = write_list_file(image_dir)
    before = list_file.read_bytes(), labels_file.read_bytes()
    write_list_file(image_dir)
    assert (list_file.read_bytes(), labels_file.read_bytes()) == before
    assert not list(image_dir.glob(".*.part"))  # no temp files left behind


def test_write_list_file_classes_order_and_merge(image_dir, tmp_path):
    _, labels_file = write_list_file(image_dir, classes=["dog", "cat"])
    assert json.loads(labels_file.read_text()) == {"0": "dog", "1": "cat"}
    # a list file one folder up: paths stay relative to it
    list_file, labels_file = write_list_file(
        image_dir, tmp_path / "binary.list", tmp_path / "binary.json",
        classes={"bird": "not a cat", "dog": "not a cat", "cat": "cat"},
    )
    assert json.loads(labels_file.read_text()) == {"0": "not a cat", "1": "cat"}
    samples = read_list_file(list_file)
    assert sorted(p.relative_to(tmp_path).as_posix() for p, _ in samples)[0] == "images/bird/0.png"
    assert sorted(label for _, label in samples) == [0, 0, 0, 1, 1]


def test_dataset_items_match_pil(image_dir):
    list_file, labels_file = write_list_file(image_dir)
    ds = ListFileDataset(list_file, labels_file, size=(12, 10))
    assert len(ds) == 5
    for i, (path, label) in enumerate(read_list_file(list_file)):
        x, y = ds[i]
        expected = np.array(Image.open(path).convert("RGB").resize((10, 12), Image.Resampling.BILINEAR))
        assert x.shape == (3, 12, 10) and x.dtype == torch.float32
        assert 0.0 <= x.min() and x.max() <= 1.0
        torch.testing.assert_close(x, torch.from_numpy(expected).permute(2, 0, 1).float() / 255)
        assert y.dtype == torch.long and y.item() == label


def test_dataset_gray_float_labels_and_transform(image_dir):
    list_file, labels_file = write_list_file(image_dir)
    ds = ListFileDataset(list_file, labels_file, (28, 28), transform=lambda x: 1 - x,
                         target_dtype=torch.float32, mode="L")
    x, y = ds[1]
    assert x.shape == (1, 28, 28)
    assert y.dtype == torch.float32 and y.shape == ()


def test_dataloader_workers_under_spawn(image_dir):
    list_file, labels_file = write_list_file(image_dir)
    ds = ListFileDataset(list_file, labels_file, (8, 8))
    expected = list(DataLoader(ds, batch_size=2))
    # the last image (line 6) is broken only after the single-process reference was read
    (image_dir / "dog" / "1.png").write_bytes(b"not a png")
    batches = iter(DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="spawn"))
    for xa, ya in expected[:2]:
        xb, yb = next(batches)
        torch.testing.assert_close(xa, xb)
        torch.testing.assert_close(ya, yb)
    # an error in a worker still surfaces as a ListFileError naming the list file and line
    with pytest.raises(ListFileError, match=r"data\.list, line 6: cannot read image"):
        next(batches)


def _write(folder, list_text, labels=None):
    (folder / "data.list").write_text(list_text)
    (folder / "labels.json").write_text(json.dumps(labels or {"0": "bird", "1": "cat", "2": "dog"}))
    return folder / "data.list", folder / "labels.json"


# (what is wrong, data.list text, the line named, a piece of the message)
BAD_LISTS = [
    ("missing image", "# header\nbird/0.png\t0\ncat/9.png\t1\n", 3, "image file not found"),
    ("no tab", "bird/0.png 0\n", 1, "not spaces"),
    ("three fields", "bird/0.png\t0\textra\n", 1, "expected 'relative/path<TAB>label_id'"),
    ("label not a number", "bird/0.png\tbird\n", 1, "must be a non-negative integer"),
    ("label id not in labels.json", "bird/0.png\t0\n\ncat/0.png\t7\n", 3, "label id 7 is not in the labels file"),
    ("path escapes with ..", "bird/../../outside.png\t0\n", 1, "leaves the list file's folder"),
    ("absolute path", "/etc/hostname\t0\n", 1, "leaves the list file's folder"),
    ("empty list", "# only a comment\n\n   \n", None, "the list is empty"),
    ("label with a leading zero", "bird/0.png\t01\n", 1, "without leading zeros"),
    ("image listed twice", "bird/0.png\t0\ncat/0.png\t1\n./bird/0.png\t2\n", 3,
     r"'bird/0.png' is listed twice \(also on line 1\)"),
]


@pytest.mark.parametrize("case", BAD_LISTS, ids=[c[0] for c in BAD_LISTS])
def test_bad_list_raises_at_construction(image_dir, case):
    _, text, line, message = case
    list_file, labels_file = _write(image_dir, text)
    with pytest.raises(ListFileError, match=message) as info:
        ListFileDataset(list_file, labels_file, (8, 8))
    assert isinstance(info.value, ValueError)
    assert str(list_file) in str(info.value)
    assert info.value.file == str(list_file) and info.value.line == line
    if line is not None:
        assert f"line {line}:" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n truncated", b"plain text"], ids=["empty", "truncated", "text"])
def test_unreadable_image_raises_on_first_access(image_dir, content):
    (image_dir / "cat" / "broken.png").write_bytes(content)
    list_file, labels_file = _write(image_dir, "bird/0.png\t0\n# comment\ncat/broken.png\t1\n")
    ds = ListFileDataset(list_file, labels_file, (8, 8))
    ds[0]  # the good one reads fine
    with pytest.raises(ListFileError, match=r"data\.list, line 3: cannot read image .*broken\.png") as info:
        ds[1]
    assert info.value.line == 3


@pytest.mark.parametrize("labels_text", ["[1, 2]", "{}", '{"zero": "bird"}', '{"0": 3}', '{"0": "bird",'])
def test_bad_labels_file(image_dir, labels_text):
    list_file, labels_file = _write(image_dir, "bird/0.png\t0\n")
    labels_file.write_text(labels_text)
    with pytest.raises(ListFileError, match="labels.json"):
        ListFileDataset(list_file, labels_file, (8, 8))


def test_missing_list_or_labels_file(tmp_path):
    with pytest.raises(ListFileError, match="list file not found"):
        read_list_file(tmp_path / "nope.list")
    with pytest.raises(ListFileError, match="labels file not found"):
        read_labels_file(tmp_path / "nope.json")


def test_crlf_bom_and_comments(image_dir):
    list_file, labels_file = _write(image_dir, "")
    list_file.write_bytes("\ufeff# made on Windows\r\nbird/0.png\t0\r\n\r\n  # indented comment\r\ncat/0.png\t1\r\n".encode())
    ds = ListFileDataset(list_file, labels_file, (8, 8))
    assert [label for _, label in ds.samples] == [0, 1]


def test_error_pickles_with_its_details():
    err = pickle.loads(pickle.dumps(ListFileError("x.list, line 2: bad", file="x.list", line=2)))
    assert (str(err), err.file, err.line) == ("x.list, line 2: bad", "x.list", 2)


def test_export_fashion_mnist_pngs(fashion_root, tmp_path):
    from dlcourse.data import FASHION_CLASSES, fashion_mnist

    out = export_fashion_mnist_pngs(tmp_path / "png", classes=[0, 9], per_class=3, split="test")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert len(files) == 6 and files[0].startswith("Ankle boot/") and files[-1].startswith("T-shirt_top/")
    ds = fashion_mnist(train=False)
    first = sorted((out / "T-shirt_top").glob("*.png"))[0]
    assert ds.targets[int(first.stem)] == 0 and FASHION_CLASSES[0] == "T-shirt/top"
    np.testing.assert_array_equal(np.asarray(Image.open(first)), ds.data[int(first.stem)].numpy())
    mtime = first.stat().st_mtime_ns
    export_fashion_mnist_pngs(tmp_path / "png", classes=[0, 9], per_class=3, split="test")
    assert first.stat().st_mtime_ns == mtime  # kept, not rewritten
    export_fashion_mnist_pngs(tmp_path / "png", classes=[0, 9], per_class=2, split="test")
    assert len(list(out.rglob("*.png"))) == 4  # the folder holds exactly what was asked for


@pytest.mark.parametrize("labels_text, message", [
    ('{"0": "bird", "00": "cat"}', "entry '00': 'cat' must map a label id .*no leading zeros"),
    ('{"0": "bird", "0": "cat"}', "id '0' appears twice"),
    ('{"0": "bird", "1": "bird"}', "name 'bird' appears twice"),
], ids=["0 and 00", "same id twice", "same name twice"])
def test_ambiguous_labels_file(image_dir, labels_text, message):
    list_file, labels_file = _write(image_dir, "bird/0.png\t0\n")
    labels_file.write_text(labels_text)
    with pytest.raises(ListFileError, match=f"labels.json: {message}"):
        ListFileDataset(list_file, labels_file, (8, 8))


@pytest.mark.parametrize("rel, message", [
    ("cat/a\tb.png", "its name holds a TAB"),
    ("cat/line\nbreak.png", "its name holds a line break"),
    ("cat/next\x85line.png", "its name holds a line break"),  # str.splitlines() splits there too
    ("#cat/0.png", "its name starts with '#'"),
    (" cat/0.png", "its name ' cat/0.png' would read back as 'cat/0.png'"),
    ("cat/back\\slash.png", "its name .* would read back as 'cat/back/slash.png'"),
], ids=["tab", "newline", "NEL", "hash", "leading space", "backslash"])
def test_writer_refuses_names_its_reader_cannot_read(image_dir, rel, message):
    path = image_dir / rel
    path.parent.mkdir(exist_ok=True)
    path.write_bytes((image_dir / "cat" / "0.png").read_bytes())
    with pytest.raises(ValueError, match=f"cannot list {re.escape(str(path))} in .*data.list: {message}"):
        write_list_file(image_dir)
    assert not (image_dir / "data.list").exists() and not (image_dir / "labels.json").exists()


def test_16_bit_and_float_images_are_scaled_not_clipped(tmp_path):
    v8 = np.random.default_rng(1).integers(0, 256, (6, 5), dtype=np.uint8)
    folder = tmp_path / "images" / "gray"
    folder.mkdir(parents=True)
    Image.fromarray(v8).save(folder / "8bit.png")
    Image.fromarray(v8.astype(np.uint16) * 257).save(folder / "16bit.png")  # PIL mode I;16
    Image.fromarray(v8.astype(np.float32) / 255).save(folder / "float.tiff")  # PIL mode F
    assert [Image.open(folder / n).mode for n in ("8bit.png", "16bit.png", "float.tiff")] == ["L", "I;16", "F"]
    list_file, labels_file = write_list_file(tmp_path / "images")
    expected = torch.from_numpy(v8).float() / 255  # (H, W)
    for mode, gray, channels in (("L", 1, 1), ("LA", 1, 2), ("RGB", 3, 3)):
        ds = ListFileDataset(list_file, labels_file, (6, 5), mode=mode)
        for i in range(3):
            x = ds[i][0]
            assert x.shape == (channels, 6, 5)
            torch.testing.assert_close(x[:gray], expected.expand(gray, 6, 5))
            assert mode != "LA" or bool((x[1] == 1).all())  # opaque
    resized = ListFileDataset(list_file, labels_file, (12, 10), mode="L")
    reference = resized[1][0]  # 8bit.png (files in sorted order: 16bit, 8bit, float), resized by PIL in 8 bits
    for i in (0, 2):
        torch.testing.assert_close(resized[i][0], reference, atol=1 / 255, rtol=0)

    Image.fromarray(v8.astype(np.float32)).save(folder / "float.tiff")  # 0..255 floats: ambiguous
    with pytest.raises(ListFileError, match=r"line 4: cannot read image .*float.tiff .*F pixels run from \d+ to 255; 16-bit images must hold 0..65535 and float images 0..1"):
        ListFileDataset(list_file, labels_file, (6, 5))[2]
