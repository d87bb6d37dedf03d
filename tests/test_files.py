import json
import os
import stat

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


def test_written_files_get_the_usual_mode_not_mkstemps_private_one(tmp_path):
    # mkstemp creates 0600 files; a data root an instructor prepares must stay readable by others.
    umask = os.umask(0)
    os.umask(umask)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    new = atomic_write_text(tmp_path / "new.json", "{}")
    assert stat.S_IMODE(new.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    atomic_write_text(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "new"
