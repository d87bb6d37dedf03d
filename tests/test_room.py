"""The instructor's room (dlcourse.progress, dlcourse.workshop.room and roompage).

First the parts on their own: a check records in the room only, never raises or prints; the
cell-by-cell hand-out merge; the memory warning. Then on a real JupyterHub on loopback, with real
Unix users and Debian's Chromium: two learners log in through the login page and check an
exercise (one right, one wrong); the instructor's page shows both rows; a learner gets 403 on it;
a hand-out adds a notebook and changes a cell one learner edited (the edit stays, the course's
version is kept beside); collect gathers both, readable by the instructor only.
"""

from __future__ import annotations

import copy
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from dlcourse import progress
from dlcourse.workshop.room import memory_warning, merge_notebook, read_progress

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NB01 = "01_model_concept.ipynb"
RIGHT = """
from dlcourse.exercises import check
def grads_with_bias(w, b, x, y):
    gap = w * x + b - y
    return 2 * (gap * x).mean(), 2 * gap.mean()
check("01.1", grads_with_bias)
"""
WRONG = RIGHT.replace("return 2 * (gap * x).mean(), 2 * gap.mean()", "return (gap * x).mean(), gap.mean()")


# ---- recording, on its own ------------------------------------------------------------------


def _check_in_subprocess(env: dict, code: str = 'check("01.1", ...)') -> subprocess.CompletedProcess:
    run = "from dlcourse.exercises import check, summary\n" + code + "\nsummary()\n"
    return subprocess.run([sys.executable, "-c", run], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_a_check_records_in_the_room_only(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != progress.ENV} | {"HOME": str(tmp_path)}
    out = _check_in_subprocess(env)
    assert out.returncode == 0 and "not tried" in out.stdout  # the blank `...`
    assert not (tmp_path / ".dlcourse").exists()  # outside the room: nothing written
    out = _check_in_subprocess(env | {progress.ENV: "1"})
    assert out.returncode == 0 and out.stderr == ""
    states, last = read_progress(tmp_path)
    assert states["01.1"]["state"] == "not tried" and last is not None
    out = _check_in_subprocess(env | {progress.ENV: "1"}, WRONG)  # tried, wrong: "not yet" replaces it
    assert out.returncode == 0 and out.stderr == "" and "not yet" in out.stdout
    assert read_progress(tmp_path)[0]["01.1"]["state"] == "not yet"
    assert stat.S_IMODE((tmp_path / progress.PROGRESS_FILE).stat().st_mode) == 0o600


def test_recording_never_breaks_or_prints(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(progress.ENV, "1")
    monkeypatch.setenv("HOME", str(tmp_path / "missing" / "home"))
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing").chmod(0o500)  # read-only (root writes anyway: then a file stands in the way)
    (tmp_path / "missing" / "home").write_text("a file, not a folder") if os.geteuid() == 0 else None
    progress.record("01.1", "correct")
    monkeypatch.setenv("HOME", "")
    progress.record("01.1", "correct", hints="many")
    monkeypatch.delenv("HOME")
    progress.record_summary({"01.1": "correct"})
    assert capsys.readouterr() == ("", "")


def test_the_latest_tried_state_wins(tmp_path):
    lines = [{"t": 1, "ex": "03.1", "state": "not yet"}, {"t": 2, "ex": "03.1", "state": "correct", "hints": 2},
             {"t": 3, "ex": "03.1", "state": "not tried"}, {"t": 4, "ex": "03.2", "state": "not tried"},
             {"t": 5, "summary": {"03.3": "not yet"}}]
    (tmp_path / ".dlcourse").mkdir()
    (tmp_path / progress.PROGRESS_FILE).write_text("\n".join(map(json.dumps, lines)) + "\n{cut sho")
    states, last = read_progress(tmp_path)
    assert {ex: s["state"] for ex, s in states.items()} == {"03.1": "correct", "03.2": "not tried", "03.3": "not yet"}
    assert states["03.1"]["hints"] == 2 and last == 5


# ---- the hand-out merge, on its own ------------------------------------------------------------


def _nb(*cells):
    return {"cells": [{"id": i, "cell_type": "code", "source": s, "outputs": [], "metadata": {}} for i, s in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_merge_keeps_the_learners_cells_and_takes_the_course_elsewhere():
    base = _nb(("a", "x = 1"), ("b", "y = 2"), ("c", "z = 3"), ("d", "old"))
    mine = _nb(("a", "x = 10  # mine"), ("b", "y = 2"), ("m", "my own cell"), ("c", "z = 3"), ("d", "old"))
    theirs = _nb(("a", "x = 1.0"), ("b", "y = 20"), ("n", "new cell"), ("c", "z = 3"))
    merged, conflicts = merge_notebook(base, mine, theirs)
    assert [(c["id"], c["source"]) for c in merged["cells"]] == [
        ("a", "x = 10  # mine"), ("b", "y = 20"), ("n", "new cell"), ("m", "my own cell"), ("c", "z = 3")]
    assert conflicts == ["a"]
    same, none = merge_notebook(base, copy.deepcopy(base), copy.deepcopy(base))
    assert none == [] and same["cells"] == base["cells"]


def test_memory_warning_before_the_machine_runs_out():
    assert memory_warning(8000, 16000, [500, 600], 1600) is None
    assert "need 4,400 MB more" in memory_warning(3000, 16000, [100, 100, 200], 1600)
    assert "only 1,000 MB" in memory_warning(1000, 16000, [], None)


# ---- on a real hub ------------------------------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the room server makes Unix users: run as root")
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


def _learner_access_problem() -> str | None:
    from dlcourse.workshop.hub import learner_access_problem

    return learner_access_problem()


# A clone learners' Unix users cannot read (under a 0700 home): the hub refuses to start; skip, as test_hub.py.
needs_learner_access = pytest.mark.skipif(_learner_access_problem() is not None, reason=_learner_access_problem() or "")


@pytest.fixture(scope="module")
def room():
    """A room of two learners and an instructor on loopback, and a Chromium; torn down after."""
    from dlcourse.workshop import hub
    from dlcourse.workshop.loadtest import room_config

    if not (hub.NODE_DIR / "node_modules" / ".bin" / "configurable-http-proxy").exists() \
            and not shutil.which("configurable-http-proxy"):
        pytest.skip("configurable-http-proxy is not installed: `make hub-install`")
    sync_api = pytest.importorskip("playwright.sync_api")
    base = Path(tempfile.mkdtemp(prefix="dlcourse-room-test-"))
    base.chmod(0o755)
    cfg = room_config(2, base, prefix="dlcroom")
    log = (base.parent / f"{base.name}.log").open("w")
    proc = hub.start_hub(cfg, log=log)
    try:
        hub.wait_until_up(cfg, proc)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield cfg, hub.passwords(cfg), browser
            browser.close()
    finally:
        hub.stop_hub(proc)
        hub.remove_room(cfg)
        log.close()
    Path(log.name).unlink()  # kept only when the teardown above fails


def _login(browser, cfg, name: str, password: str):
    """A fresh browser session logged in through the hub's login page."""
    from dlcourse.workshop.hub import hub_url

    page = browser.new_context().new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{hub_url(cfg)}hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(lambda url: "/hub/login" not in url)
    return page


@needs_root
@needs_learner_access
@needs_browser
def test_the_room_end_to_end(room):
    from dlcourse.workshop.hub import hub_url
    from dlcourse.workshop.loadtest import Learner
    from dlcourse.workshop.room import collect, handout, handout_report

    cfg, secrets, browser = room
    a_name, b_name = cfg.learners
    a, b = (Learner(hub_url(cfg), n, secrets[n]) for n in cfg.learners)
    pages = {n: _login(browser, cfg, n, secrets[n]) for n in cfg.learners}
    for me, name in ((a, a_name), (b, b_name)):
        pages[name].wait_for_url(f"**/user/{name}/lab**", timeout=600_000)  # the hub spawned their server
        me.login()
        me.start_server(600)

    # A learner cannot open the instructor's page.
    denied = pages[b_name].goto(f"{hub_url(cfg)}services/room/")
    assert denied.status == 403

    # The instructor's page is open; one right, one wrong, each in their own kernel: the page shows both.
    page = _login(browser, cfg, cfg.admin, secrets[cfg.admin])
    assert page.goto(f"{hub_url(cfg)}services/room/").status == 200
    page.wait_for_selector(f'tr[data-learner="{a_name}"]')
    ka, kb = a.open_kernel(f"notebooks/{NB01}"), b.open_kernel(f"notebooks/{NB01}")
    try:
        assert "correct" in ka.run(RIGHT)
        assert "not yet" in kb.run(WRONG)
        checked = time.monotonic()
    finally:
        ka.close()
        kb.close()
    cell = 'tr[data-learner="{}"] td[data-ex="01.1"]'
    page.wait_for_function(f"""() => {{
        const a = document.querySelector('{cell.format(a_name)}'), b = document.querySelector('{cell.format(b_name)}');
        return a && b && a.textContent === "correct" && b.textContent === "not yet"; }}""", timeout=30_000)
    print(f"\nfrom the second check to the page showing both: {time.monotonic() - checked:.1f} s")
    assert page.locator('tr[data-learner] td[data-ex="01.2"]').first.text_content() == "not tried"
    assert "Most stuck: exercise 01.1 (1 of 2" in page.text_content("#stuck")
    assert "running" in page.text_content(f'tr[data-learner="{a_name}"]')  # the hub's view, through the page's role

    # An update: a new notebook, and a changed cell that learner a edited too.
    mine = a.api("GET", f"contents/notebooks/{NB01}").json()["content"]
    target = next(c for c in mine["cells"] if c["cell_type"] == "markdown")
    target["source"] = "a's own words"
    assert a.api("PUT", f"contents/notebooks/{NB01}", json={"type": "notebook", "content": mine}).ok
    source = Path(tempfile.mkdtemp(prefix="dlcourse-update-"))
    shutil.copytree(cfg.root / "course", source, dirs_exist_ok=True)
    course = json.loads((source / NB01).read_text())
    fixed = next(c for c in course["cells"] if c["id"] == target["id"])
    fixed["source"] = "the instructor's fix"
    (source / NB01).write_text(json.dumps(course, indent=1))
    extra = {"cells": [{"id": "extra-1", "cell_type": "markdown", "metadata": {}, "source": "# A new notebook"}],
             "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (source / "08_extra.ipynb").write_text(json.dumps(extra))
    try:
        report = handout(cfg, source)
    finally:
        shutil.rmtree(source)
    text = handout_report(report)
    assert f"{a_name}: {NB01}: cells {target['id']} changed by both" in text, text

    def cell_of(me, path):
        nb = me.api("GET", f"contents/notebooks/{path}").json()["content"]
        return next(c["source"] for c in nb["cells"] if c["id"] == target["id"])

    assert cell_of(a, NB01) == "a's own words"  # the learner's edit survives
    assert cell_of(b, NB01) == "the instructor's fix"  # an untouched copy takes the fix
    beside = report["accounts"][a_name]["kept_beside"][0]["course_version"]
    assert cell_of(a, Path(beside).relative_to("notebooks")) == "the instructor's fix"  # kept beside, the learner's own
    for me in (a, b):
        assert me.api("GET", "contents/notebooks/08_extra.ipynb").json()["content"]["cells"][0]["source"] == "# A new notebook"

    # Collect: both learners' notebooks and progress, the instructor's only; a learner's link is not followed.
    os.symlink("/etc/shadow", cfg.home(a_name) / "notebooks" / "stolen.ipynb")
    out = collect(cfg)
    assert not (out / a_name / "notebooks" / "stolen.ipynb").exists()
    admin = pwd.getpwnam(cfg.admin)
    assert out.parent == cfg.home(cfg.admin) and out.stat().st_uid == admin.pw_uid
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in cfg.learners:
        assert (out / name / "notebooks" / NB01).is_file() and (out / name / "notebooks" / "08_extra.ipynb").is_file()
        assert (out / name / "progress.jsonl").is_file()
        assert stat.S_IMODE((out / name / "progress.jsonl").stat().st_mode) == 0o600
    rows = {line.split(",")[0]: line.split(",") for line in (out / "progress.csv").read_text().splitlines()}
    col = rows["learner"].index("01.1")
    assert rows[a_name][col] == "correct" and rows[b_name][col] == "not yet"
    zipped = collect(cfg, cfg.home(cfg.admin) / "work.zip")
    assert stat.S_IMODE(zipped.stat().st_mode) == 0o600
    assert f"{b_name}/notebooks/{NB01}" in zipfile.ZipFile(zipped).namelist()


@needs_root
@needs_learner_access
def test_an_idle_server_is_stopped_and_its_work_kept():
    """jupyterhub-idle-culler, as the hub runs it from [health] idle_timeout (here 20 s)."""
    from dataclasses import replace

    from dlcourse.workshop import hub
    from dlcourse.workshop.loadtest import Learner, room_config

    if not (hub.NODE_DIR / "node_modules" / ".bin" / "configurable-http-proxy").exists() \
            and not shutil.which("configurable-http-proxy"):
        pytest.skip("configurable-http-proxy is not installed: `make hub-install`")
    base = Path(tempfile.mkdtemp(prefix="dlcourse-room-test-"))
    base.chmod(0o755)
    cfg = replace(room_config(1, base, prefix="dlcidle"), idle_timeout=20)
    assert any("--timeout=20" in s["command"] for s in hub.services(cfg) if s["name"] == "idle-culler")
    with (base.parent / f"{base.name}.log").open("w") as log:
        proc = hub.start_hub(cfg, log=log)
        try:
            hub.wait_until_up(cfg, proc)
            me = Learner(hub.hub_url(cfg), cfg.learners[0], hub.passwords(cfg)[cfg.learners[0]])
            me.login()
            me.start_server(600)
            assert me.api("PUT", "contents/notebooks/mine.txt", json={"type": "file", "format": "text",
                                                                       "content": "my work"}).ok
            deadline = time.monotonic() + 300
            while me.http.get(f"{me.base}hub/api/users/{me.name}", timeout=60).json()["servers"]:
                assert time.monotonic() < deadline, "the idle server was not stopped within 300 s"
                time.sleep(2)
            assert (cfg.home(me.name) / "notebooks" / "mine.txt").read_text() == "my work"
        finally:
            hub.stop_hub(proc)
            hub.remove_room(cfg)
    Path(log.name).unlink()
