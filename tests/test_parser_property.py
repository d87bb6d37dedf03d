"""Property: whatever text is in data.list or labels.json, reading it gives a parsed result or the
documented ListFileError (a ValueError that names the file), never any other exception."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlcourse.imagefiles import ListFileError
from dlcourse.imagefiles import _read_labels_file as read_labels_file
from dlcourse.imagefiles import _read_list_file as read_list_file

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Pieces of plausible and broken lines, so that examples reach past the first check.
_piece = st.one_of(
    st.sampled_from(["\t", "\t0", "\t1", "\t7", "\t-1", "\t01", "#", " ", "\r", "\r\n", "\n", "\ufeff",
                     "a.png", "cat/0.png", "../x.png", "/etc/hostname", "C:\\x.png", "..", ".", "\x00",
                     "\u0663", "\u00b2", "9" * 5000, "\u2028"]),
    st.text(alphabet=string.printable, max_size=12),
    st.text(max_size=8),
)
list_texts = st.one_of(st.text(), st.lists(_piece, max_size=30).map("".join))

_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)
_label_key = st.one_of(st.integers(min_value=-3, max_value=10**6).map(str), st.text(max_size=6),
                       st.just("9" * 5000))
labels_texts = st.one_of(
    st.text(),
    _json_value.map(json.dumps),
    st.dictionaries(_label_key, _json_value, max_size=6).map(json.dumps),
    st.lists(st.sampled_from(['{', '}', '[', ']', '"0"', ':', ',', '"cat"', '1e999', "NaN", "9" * 5000]),
             max_size=20).map("".join),
)


def _check_samples(samples, folder: Path, labels) -> None:
    assert isinstance(samples, list) and samples
    for path, label in samples:
        assert isinstance(path, Path) and isinstance(label, int) and label >= 0
        assert path == folder or folder in path.parents  # never outside the list's folder
        assert labels is None or label in labels


@SETTINGS
@given(text=list_texts, check_files=st.booleans(), with_labels=st.booleans())
@example(text="a.png\t" + "7" * 5000 + "\n", check_files=False, with_labels=False)
@example(text="a.png\t\u0663\n", check_files=False, with_labels=True)
@example(text="a\x00b.png\t1\n", check_files=True, with_labels=False)
@example(text="0" * 300 + "\t0", check_files=True, with_labels=False)  # a file name too long for the OS
def test_list_file_parses_or_raises_list_file_error(tmp_path, text, check_files, with_labels):
    list_file = tmp_path / "data.list"
    list_file.write_text(text, encoding="utf-8")
    labels = {0: "zero", 1: "one", 3: "three"} if with_labels else None
    try:
        samples = read_list_file(list_file, labels, check_files=check_files)
    except ListFileError as err:
        assert str(list_file) in str(err) and err.file == str(list_file)
        return
    _check_samples(samples, tmp_path, labels)


@SETTINGS
@given(text=labels_texts)
@example(text="[" * 100_000)  # deeper than Python's recursion limit
@example(text="9" * 5000)  # more digits than int() converts
@example(text='{"' + "9" * 5000 + '": "cat"}')
@example(text='{"0": "cat", "0": "dog"}')
def test_labels_file_parses_or_raises_list_file_error(tmp_path, text):
    labels_file = tmp_path / "labels.json"
    labels_file.write_text(text, encoding="utf-8")
    try:
        labels = read_labels_file(labels_file)
    except ListFileError as err:
        assert str(labels_file) in str(err)
        return
    assert isinstance(labels, dict) and labels
    assert all(isinstance(k, int) and k >= 0 and isinstance(v, str) and v for k, v in labels.items())


@SETTINGS
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_are_read_or_rejected(tmp_path, data):
    for name, read in (("data.list", lambda p: read_list_file(p, check_files=False)), ("labels.json", read_labels_file)):
        path = tmp_path / name
        path.write_bytes(data)
        try:
            read(path)
        except ListFileError:
            pass


@pytest.mark.parametrize("read", [read_list_file, read_labels_file])
def test_a_folder_or_missing_file_is_a_list_file_error(tmp_path, read):
    for path in (tmp_path, tmp_path / "missing"):
        with pytest.raises(ListFileError, match=str(path)):
            read(path)


_file_name = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=12)


@SETTINGS
@given(names=st.lists(st.tuples(_file_name, _file_name), min_size=1, max_size=4, unique=True))
@example(names=[("cat", "a\tb"), ("cat", "ok")])
@example(names=[("#cat", "0")])
@example(names=[(" cat", "0")])
@example(names=[("cat", "x\u2028y")])
@example(names=[("data.list", "0")])  # a class folder where the list file goes
@example(names=[("labels.json", "\r")])
def test_write_list_file_refuses_or_reads_back_the_same_files(tmp_path_factory, names):
    # Whatever the folder and file names, the writer either refuses (ValueError naming the file)
    # or writes a list its own reader reads back as exactly the files it found.
    from dlcourse.imagefiles import write_list_file

    folder = tmp_path_factory.mktemp("images")
    made = set()
    for cls, name in names:
        if cls in (".", "..") or cls.startswith("."):
            continue
        (folder / cls).mkdir(exist_ok=True)
        path = folder / cls / f"{name}.png"
        path.write_bytes(b"")
        made.add(path)
    try:
        list_file, _ = write_list_file(folder)
    except ValueError as err:
        assert "cannot list" in str(err) or "no images to list" in str(err) or "cannot write" in str(err)
        assert not (folder / "data.list").is_file() and not (folder / "labels.json").is_file()  # nothing written
        return
    assert {path for path, _ in read_list_file(list_file)} == made
