import json

import pytest

from dlcourse.files import atomic_path, atomic_write_text, write_metrics


def test_write_metrics_round_trip(tmp_path):
    path = tmp_path / "sub" / "m.json"
    assert write_metrics({"a": 1.5, "b": 2}, path) == {"a": 1.5, "b": 2}
    assert json.loads(path.read_text()) == {"a": 1.5, "b": 2}
    assert write_metrics({"a": 1}, None) == {"a": 1}


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "x.txt"
    atomic_write_text(path, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_unserialisable_metrics_do_not_clobber(tmp_path):
    path = tmp_path / "m.json"
    write_metrics({"ok": 1}, path)
    with pytest.raises(TypeError):
        write_metrics({"bad": object()}, path)
    assert json.loads(path.read_text()) == {"ok": 1}
