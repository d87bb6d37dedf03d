"""`python -m dlcourse doctor` and `bundle`: offline, with real data, a real kernel and a real notebook."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlcourse.workshop import bundle, doctor
from dlcourse.__main__ import main
from dlcourse.data import FASHION_FILES

ROOT = Path(__file__).resolve().parent.parent
# Any attempt to reach the internet fails at once instead of hanging or succeeding.
OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}


def _doctor(tmp_path, **env):
    return subprocess.run([sys.executable, "-m", "dlcourse", "doctor"], capture_output=True, text=True,
                          env={**os.environ, **OFFLINE, **env}, cwd=tmp_path, timeout=300)


def test_doctor_passes_with_the_course_data(fashion_root, tmp_path):
    run = _doctor(tmp_path, DLCOURSE_DATA=str(fashion_root))
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("Python", "torch", "torchvision", "torch build", "device", "data root", "Fashion-MNIST",
                 "weight cache", "Jupyter kernel"):
        assert f"  {name} " in run.stdout, f"no {name!r} line in:\n{run.stdout}"
    assert "FAIL" not in run.stdout


def test_doctor_fails_with_advice_on_an_empty_data_root_and_downloads_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    run = _doctor(tmp_path, DLCOURSE_DATA=str(empty))
    assert run.returncode == 1, run.stdout + run.stderr
    line = next(ln for ln in run.stdout.splitlines() if "Fashion-MNIST" in ln)
    assert "FAIL" in line and "0 of 4 files" in line
    assert "python -m dlcourse data" in run.stdout  # the advice
    assert list(empty.iterdir()) == []  # it neither copied nor downloaded anything (no clock: busy machines)


def _without_root_powers(command):
    """`command`, run so that permission bits bind: root ignores them unless it drops these capabilities."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot stop root")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *command]


def test_doctor_fails_on_a_damaged_file_and_a_read_only_root(fashion_root, tmp_path):
    root = tmp_path / "root"
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FASHION_FILES:
        os.symlink(fashion_root / "FashionMNIST" / "raw" / name, raw / name)
    (raw / "train-images-idx3-ubyte").unlink()
    (raw / "train-images-idx3-ubyte").write_bytes((fashion_root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte")
                                                   .read_bytes()[:1000])  # cut short
    for folder in (raw, raw.parent, root):
        folder.chmod(0o555)
    try:
        run = subprocess.run(_without_root_powers([sys.executable, "-m", "dlcourse", "doctor"]), capture_output=True,
                             text=True, env={**os.environ, **OFFLINE, "DLCOURSE_DATA": str(root)}, cwd=tmp_path,
                             timeout=300)
    finally:
        for folder in (root, raw.parent, raw):
            folder.chmod(0o755)
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    data_line = next(ln for ln in lines if "  data root " in ln)
    assert "FAIL" in data_line and "cannot write into it" in data_line
    fashion = next(ln for ln in lines if "  Fashion-MNIST " in ln)
    assert "FAIL" in fashion and "3 of 4 files ready" in fashion
    assert "train-images-idx3-ubyte: 1,000 bytes, expected 47,040,016" in fashion
    assert "Ready" not in run.stdout and "notebooks 06 and 07 write into the data root" in run.stdout


def _cli(monkeypatch, capsys, *args, **env) -> tuple[int, str]:
    """`python -m dlcourse ARGS` run in this process (its main()), offline: exit code and stderr."""
    for name, value in {**OFFLINE, **env}.items():
        monkeypatch.setenv(name, value)
    code = main(list(args))
    return code, capsys.readouterr().err


def test_command_line_failures_are_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    cases = [  # (command, DLCOURSE_DATA, a piece of the message)
        (["data"], "relative/data", "DLCOURSE_DATA='relative/data' is not an absolute path"),
        (["data", "--no-download"], str(a_file), "it is a file, not a folder"),
        (["bundle", str(tmp_path / "b"), "--no-wheels"], str(a_file), "it is a file, not a folder"),
    ]
    for args, data, message in cases:
        code, err = _cli(monkeypatch, capsys, *args, DLCOURSE_DATA=data)
        assert code == 1, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1, err  # no traceback
        assert message in err, err

    # A read-only data root, as a learner (root's powers dropped), from a real `python -m dlcourse`.
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o555)
    run = subprocess.run(_without_root_powers([sys.executable, "-m", "dlcourse", "data"]), capture_output=True,
                         text=True, env={**os.environ, **OFFLINE, "DLCOURSE_DATA": str(read_only)}, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
    assert f"cannot write Fashion-MNIST into {read_only}" in run.stderr, run.stderr
    assert list(read_only.iterdir()) == []  # nothing half-written


def test_kernel_check_fails_when_the_kernel_cannot_import_dlcourse(tmp_path, monkeypatch):
    # a python3 kernel spec earlier on Jupyter's path than the environment's, running an
    # interpreter without dlcourse (Python with -I -S ignores every site-packages)
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    bad_python = tmp_path / "python-without-dlcourse"
    bad_python.write_text(f"#!/bin/sh\nexec {sys.executable} -I -S \"$@\"\n")
    bad_python.chmod(0o755)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(bad_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (elsewhere)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    check = doctor.check_kernel()
    assert check.status == "FAIL"
    assert "cannot import dlcourse" in check.detail and str(bad_python) in check.detail
    assert "ipykernel install --user" in check.advice

    monkeypatch.delenv("JUPYTER_PATH")
    assert doctor.check_kernel().status == "ok"


def test_doctor_notes_a_cuda_build_of_torch_without_an_nvidia_gpu():
    import torch

    check = doctor.check_torch_build()
    if torch.version.cuda and not torch.cuda.is_available() and not doctor._nvidia_gpu_present():
        # PyPI's Linux torch on a computer without an NVIDIA GPU (this project's test machine)
        size = doctor.cuda_libraries_size()
        assert size > 1e9  # the NVIDIA packages installed next to torch
        assert check.status == "note" and f"{size / 1e9:.1f} GB" in check.detail and "no NVIDIA GPU" in check.detail
        assert "CPU build" in check.advice and "README.md" in check.advice
    else:
        assert check.status == "ok", check  # a CPU build, or a GPU that uses the CUDA build


def test_report_marks_failures_and_gives_advice():
    text = doctor.report([doctor.Check("torch", "ok", "2.0"),
                            doctor.Check("Fashion-MNIST", "FAIL", "0 of 4 files", "run this")])
    assert "  FAIL  Fashion-MNIST" in text and "-> run this" in text and "1 problem(s)" in text


@pytest.mark.slow
@pytest.mark.notebook
def test_bundle_without_wheels_serves_the_data_offline(fashion_root, tmp_path):
    dest = tmp_path / "bundle"
    run = subprocess.run([sys.executable, "-m", "dlcourse", "bundle", str(dest), "--no-wheels"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600,
                         env={**os.environ, **OFFLINE, "DLCOURSE_DATA": str(fashion_root)})
    assert run.returncode == 0, run.stdout + run.stderr
    raw = dest / "data" / "FashionMNIST" / "raw"
    for name in FASHION_FILES:
        assert (raw / name).read_bytes() == (fashion_root / "FashionMNIST" / "raw" / name).read_bytes()
    readme = (dest / "README.md").read_text()
    assert 'export DLCOURSE_DATA="$BUNDLE/data"' in readme and "no `wheels/`" in readme
    assert '$env:DLCOURSE_DATA = "$BUNDLE\\data"' in readme  # Windows PowerShell
    assert not list(dest.glob("requirements-*.txt")) and not (dest / "wheels").exists()

    # The course reads the bundle's Fashion-MNIST offline, as notebook 03 does, without refetching it
    # (from Debian or the internet). The notebooks themselves run in test_notebooks.py.
    before = {name: (raw / name).stat().st_mtime_ns for name in FASHION_FILES}
    code = ("from dlcourse.data import load_fashion_mnist; x, y = load_fashion_mnist(train=False); "
            "print(tuple(x.shape), int(y.max()))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=600,
                         env={**os.environ, **OFFLINE, "DLCOURSE_DATA": str(dest / "data")})
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["(10000,", "1,", "28,", "28)", "9"]
    assert {name: (raw / name).stat().st_mtime_ns for name in FASHION_FILES} == before


def test_bundle_carries_the_course_made_pretrained_weights(fashion_root, tmp_path, monkeypatch):
    # notebook 07 saves its offline pretrained weights in <data root>/checkpoints: they travel too
    root = tmp_path / "root"
    (root / "FashionMNIST" / "raw").mkdir(parents=True)
    for name in FASHION_FILES:
        os.symlink(fashion_root / "FashionMNIST" / "raw" / name, root / "FashionMNIST" / "raw" / name)
    from dlcourse.models import SmallCNN
    from dlcourse.transfer import load_checkpoint, save_checkpoint

    save_checkpoint(SmallCNN(), root / "checkpoints" / "cnn.pt")
    monkeypatch.setenv("DLCOURSE_DATA", str(root))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-cache"))
    dest = bundle.bundle(tmp_path / "bundle", wheels=False)
    copied = dest / "data" / "checkpoints" / "cnn.pt"
    assert copied.read_bytes() == (root / "checkpoints" / "cnn.pt").read_bytes()
    load_checkpoint(SmallCNN(), copied)


# ---- bundle: other platforms from uv.lock, the user's files, interrupted writes -----------------

def _quiet_root(fashion_root, tmp_path):
    # the course data, no course-made checkpoints and no weight cache: a small bundle
    root = tmp_path / "root"
    (root / "FashionMNIST" / "raw").mkdir(parents=True)
    for name in FASHION_FILES:
        os.symlink(fashion_root / "FashionMNIST" / "raw" / name, root / "FashionMNIST" / "raw" / name)
    return {"DLCOURSE_DATA": str(root), "TORCH_HOME": str(tmp_path / "no-torch-cache")}


def test_a_windows_bundle_is_resolved_from_the_lock_and_its_wheels_checked(tmp_path):
    wheels = bundle.locked_wheels("windows", "3.11")
    names = {w.name for w in wheels}
    assert {"torch", "torchvision", "jupyterlab", "pywinpty"} <= names  # pywinpty: Windows only
    assert not [n for n in names if n.startswith(("nvidia-", "cuda-")) or n == "triton"]
    assert not {"pytest", "playwright", "jupyterhub"} & names  # learners' environment only
    torch_wheel = next(w for w in wheels if w.name == "torch")
    assert (torch_wheel.version, torch_wheel.filename) == ("2.14.1", "torch-2.14.1-cp311-cp311-win_amd64.whl")
    assert all(w.filename.endswith(("-win_amd64.whl", "-none-any.whl")) for w in wheels)

    # Download the three smallest (a few kB each), checked against the lock's sha256 ...
    small = sorted(wheels, key=lambda w: w.size)[:3]
    folder = tmp_path / "wheels"
    bundle.download_wheels(small, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(w.filename for w in small)
    for w in small:
        assert hashlib.sha256((folder / w.filename).read_bytes()).hexdigest() == w.sha256
    # ... and a file that is not what the lock says never gets its final name.
    wrong = small[0]._replace(filename="wrong-1.0-py3-none-any.whl", sha256="0" * 64)
    with pytest.raises(bundle.BundleError, match="does not have the sha256"):
        bundle.download_wheels([wrong], folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(w.filename for w in small)

    readme = bundle.bundle_readme({"windows": [f"{w.name}=={w.version}" for w in wheels]}, "3.11", {}, False)
    assert 'pip install --no-index --find-links "$BUNDLE\\wheels" -r "$BUNDLE\\requirements-windows.txt"' in readme
    assert "py -3.11 -m venv .venv" in readme and "torch==2.14.1" in readme
    assert "no wheels for Linux or macOS here: make a bundle with --platform linux or macos" in readme


def test_bundle_never_overwrites_the_users_files_and_says_so_in_one_line(fashion_root, tmp_path, monkeypatch, capsys):
    env = _quiet_root(fashion_root, tmp_path)
    dest = tmp_path / "room"
    dest.mkdir()
    (dest / "README.md").write_text("my own notes\n")
    code, err = _cli(monkeypatch, capsys, "bundle", str(dest), "--no-wheels", **env)
    assert code == 1 and err.count("\n") == 1 and "README.md" in err, err
    assert [p.name for p in dest.iterdir()] == ["README.md"] and (dest / "README.md").read_text() == "my own notes\n"

    # Into a fresh folder it works, and again (nothing changed); a notebook the learner edited stops it.
    (dest / "README.md").unlink()
    assert _cli(monkeypatch, capsys, "bundle", str(dest), "--no-wheels", **env)[0] == 0
    assert _cli(monkeypatch, capsys, "bundle", str(dest), "--no-wheels", **env)[0] == 0
    notebook = dest / "notebooks" / "03_mlp_image_classifier.ipynb"
    notebook.write_text(notebook.read_text() + " ")
    code, err = _cli(monkeypatch, capsys, "bundle", str(dest), "--no-wheels", **env)
    assert code == 1 and "03_mlp_image_classifier.ipynb" in err and err.count("\n") == 1, err
    assert notebook.read_text().endswith(" ")
    assert not [p for p in dest.rglob("*") if p.name.endswith(".part")]


def test_bundle_command_line_errors_are_one_line(fashion_root, tmp_path, monkeypatch, capsys):
    env = _quiet_root(fashion_root, tmp_path)
    (tmp_path / "a-file").write_text("")
    for args in ([str(tmp_path / "a-file"), "--no-wheels"], [str(tmp_path / "b"), "--python", "three"]):
        code, err = _cli(monkeypatch, capsys, "bundle", *args, **env)
        assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err
