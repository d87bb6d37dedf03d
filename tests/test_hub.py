"""The workshop room server (dlcourse.workshop.hub): config errors, thread caps, and on a real JupyterHub
on loopback, with real Unix users: one learner cannot read or change another's files or kernels,
and two learners run notebook 03 at once through their own servers (dlcourse/workshop/loadtest.py at K=2)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from dlcourse.workshop import hub as room

NB03 = "03_mlp_image_classifier.ipynb"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the room server makes Unix users: run as root")
needs_proxy = pytest.mark.skipif(
    not (room.NODE_DIR / "node_modules" / ".bin" / "configurable-http-proxy").exists()
    and not shutil.which("configurable-http-proxy"),
    reason="configurable-http-proxy is not installed: `make hub-install`")
# A clone under a folder others cannot enter (a 0700 home): the learners' servers, running as
# their own Unix users, cannot import its dlcourse or its environment. The hub refuses to start
# there, and `doctor --room N` says why (test_room_doctor_counts_memory); these tests skip.
needs_learner_access = pytest.mark.skipif(room.learner_access_problem() is not None,
                                          reason=room.learner_access_problem() or "")


def test_default_config_is_loopback():
    cfg = room.load_config()
    assert cfg.ip == "127.0.0.1"
    assert cfg.admin not in cfg.learners and len(cfg.learners) == 8


def test_config_names_the_unknown_setting(tmp_path):
    bad = tmp_path / "hub.toml"
    bad.write_text('[hub]\nip = "127.0.0.1"\ncolour = "red"\n')
    with pytest.raises(ValueError, match=r"hub\.toml.*colour"):
        room.load_config(bad)


def test_config_rejects_an_unsafe_account_name(tmp_path):
    bad = tmp_path / "hub.toml"
    bad.write_text('[accounts]\nlearners = ["ana", "../root"]\n')
    with pytest.raises(ValueError, match=r"'\.\./root'"):
        room.load_config(bad)


def test_config_wants_a_list_of_learners(tmp_path):
    bad = tmp_path / "hub.toml"
    bad.write_text('[accounts]\nlearners = "ana"\n')
    with pytest.raises(ValueError, match="write a list"):
        room.load_config(bad)


@pytest.mark.parametrize("cores, learners, threads", [(2, 8, 1), (2, 2, 1), (2, 1, 2), (32, 8, 4), (32, 40, 1)])
def test_threads_per_kernel(cores, learners, threads):
    assert room.threads_per_kernel(cores, learners) == threads


def test_room_doctor_counts_memory():
    peak = room.peak_notebook_mb()
    assert peak is not None, "bench/results.json has no course section"
    checks = {c.name: c for c in room.room_checks(100_000)}
    assert checks["memory"].status == "FAIL"  # 100,000 learners x ~1 GB fit on no machine
    assert checks["shared data"].status == "ok"


@pytest.fixture(scope="module")
def two_learners():
    """A room of two learners on loopback with their servers started; torn down after."""
    from dlcourse.workshop.loadtest import Learner, room_config

    base = Path(tempfile.mkdtemp(prefix="dlcourse-room-test-"))
    base.chmod(0o755)
    cfg = room_config(2, base, prefix="dlciso")
    log = (base.parent / f"{base.name}.log").open("w")
    hub = room.start_hub(cfg, log=log)
    try:
        room.wait_until_up(cfg, hub)
        secrets = room.passwords(cfg)
        learners = [Learner(room.hub_url(cfg), n, secrets[n]) for n in cfg.learners]
        for me in learners:
            me.login()
            me.start_server(600)
        yield cfg, learners
    finally:
        room.stop_hub(hub)
        room.remove_room(cfg)
        log.close()
    Path(log.name).unlink()  # kept only when the teardown above fails
    for name in cfg.accounts:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)  # every user the test made is gone


@needs_root
@needs_proxy
@needs_learner_access
def test_wrong_password_gets_no_token(two_learners):
    from dlcourse.workshop.loadtest import Learner

    cfg, (a, _) = two_learners
    with pytest.raises(Exception, match="403"):
        Learner(a.base, a.name, "not-the-password").login()


@needs_root
@needs_proxy
@needs_learner_access
def test_learners_cannot_reach_each_other(two_learners):
    cfg, (a, b) = two_learners
    # Through the hub: a's token opens a's server, not b's (files, kernels) nor b's hub record.
    assert a.api("GET", "contents/notebooks").status_code == 200
    assert a.api("GET", f"contents/notebooks/ko/{NB03}").status_code == 200  # the Korean edition too
    assert a.api("GET", "contents/notebooks", user=b.name).status_code == 403
    assert a.api("GET", "kernels", user=b.name).status_code == 403
    assert a.http.get(f"{a.base}hub/api/users/{b.name}", timeout=60).status_code in (403, 404)

    # An edit through a's server changes a's copy only.
    before = b.api("GET", f"contents/notebooks/{NB03}").json()["content"]
    mine = a.api("GET", f"contents/notebooks/{NB03}").json()
    mine["content"]["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "a's note"})
    assert a.api("PUT", f"contents/notebooks/{NB03}", json={"type": "notebook", "content": mine["content"]}).ok
    assert b.api("GET", f"contents/notebooks/{NB03}").json()["content"] == before

    # In the kernels: each runs as its own Unix user, with the thread cap.
    ka, kb = a.open_kernel(), b.open_kernel()
    try:
        assert ka.run("import getpass; print(getpass.getuser())").strip() == a.name
        threads = room.threads_per_kernel(room.cpu_cores(), 2)
        assert ka.run("import os, torch; print(os.environ['OMP_NUM_THREADS'], torch.get_num_threads())").split() \
            == [str(threads)] * 2
        b_pid = int(kb.run("import os; print(os.getpid())"))
        b_home, shared = cfg.home(b.name), cfg.root / "shared"
        probe = f"""
import json, os
found = {{}}
def attempt(key, f):
    try:
        f()
        found[key] = "allowed"
    except PermissionError:
        found[key] = "denied"
attempt("read b's notebook", lambda: open({str(b_home / "notebooks" / NB03)!r}).read())
attempt("list b's home", lambda: os.listdir({str(b_home)!r}))
attempt("write in b's home", lambda: open({str(b_home / "a-was-here")!r}, "w"))
attempt("read b's kernel files", lambda: os.listdir({str(b_home / ".local")!r}))
attempt("signal b's kernel", lambda: os.kill({b_pid}, 0))
attempt("add to shared data", lambda: open({str(shared / "FashionMNIST" / "raw" / "extra")!r}, "w"))
attempt("change shared data", lambda: open({str(shared / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte")!r}, "r+b"))
attempt("write own data folder", lambda: open(os.path.join(os.environ["DLCOURSE_DATA"], "mine.txt"), "w").close())
print(json.dumps(found))
"""
        found = json.loads(ka.run(probe))
        assert found.pop("write own data folder") == "allowed"
        assert found == dict.fromkeys(found, "denied"), found
        assert len(found) == 7
        # The shared Fashion-MNIST is there for everyone to read, through the learner's own data folder.
        assert ka.run("from dlcourse.data import fashion_mnist; print(len(fashion_mnist(train=False)))").strip() \
            == "10000"
        assert kb.run("import os; print(os.getpid())").strip() == str(b_pid)  # b's kernel is untouched
    finally:
        ka.close()
        kb.close()


@needs_root
@needs_proxy
@needs_learner_access
def test_two_learners_run_notebook_03_at_once():
    """dlcourse/workshop/loadtest.py at K=2, notebook 03 cut to 1 epoch: both metrics files present and right."""
    from dlcourse.workshop.loadtest import run_load

    result = run_load(2, timeout=1500, epochs=1)
    assert result["all_metrics_right"], json.dumps(result["rows"], indent=1)
    for row in result["rows"]:
        assert row["threads"] == room.threads_per_kernel(room.cpu_cores(), 2)
        assert row["metrics"]["num_parameters"] == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert result["peak_mb"] > 0
    for name in ("dlcload01", "dlcload02", "dlcloadadmin"):
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def test_a_clone_others_cannot_enter_is_named_by_the_room_doctor(tmp_path, monkeypatch):
    # A real 0700 folder holding a copy of the package, as a clone in a 0700 home would.
    home = tmp_path / "home700"
    shutil.copytree(room.REPO / "dlcourse", home / "clone" / "dlcourse", ignore=shutil.ignore_patterns("__pycache__"))
    home.chmod(0o700)
    monkeypatch.setattr(room, "REPO", home / "clone")
    problem = room.learner_access_problem()
    assert problem and f"cannot read {home / 'clone' / 'dlcourse'}" in problem and "/opt/dlcourse" in problem
    check = {c.name: c for c in room.room_checks(1)}["learners' access"]
    assert check.status == "FAIL" and str(home / "clone" / "dlcourse") in check.detail
    with pytest.raises(PermissionError, match="cannot read"):
        room.check_readable_by_learners()
