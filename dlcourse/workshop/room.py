"""The instructor's room: who is stuck where, hand out an update, collect the work.

- `room_table(cfg)`: every learner by every exercise ("correct" / "not yet" / "not tried") from
  the lines dlcourse.progress appends in each learner's home, their last activity, their memory,
  the exercise most of the room is stuck on, and a warning before the machine runs out of memory.
  The instructor page (dlcourse.workshop.roompage) shows it live.
- `handout(cfg, source)`: the course as it is now reaches every learner's copy, merged cell by
  cell against what they were handed last (ROOM/course/): a cell the learner did not touch takes
  the course's new version, a cell they changed stays theirs, a new notebook or cell is added.
  Where both changed the same cell the learner's stays and the course's whole notebook is written
  beside it (NAME.update-STAMP.ipynb); the returned report (printed by the command) says where.
- `collect(cfg, out)`: every learner's notebooks and progress into one folder (or .zip) named by
  learner, owned by the instructor's user and readable by it only.
"""

from __future__ import annotations

import copy
import json
import os
import pwd
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path

from dlcourse.progress import PROGRESS_FILE, STATES

COURSE_GLOBS = ("[0-9][0-9]_*.ipynb", "ko/[0-9][0-9]_*.ipynb")  # what a learner is handed (no solutions)
EXERCISE = re.compile(r"^# Exercise (\d\d\.\d+):", re.MULTILINE)


# ---- progress ---------------------------------------------------------------------------------


def course_notebooks(folder: Path) -> list[Path]:
    """The course notebooks under `folder` (notebooks/ or ROOM/course/), relative paths."""
    return sorted(p.relative_to(folder) for g in COURSE_GLOBS for p in folder.glob(g))


def course_exercises(folder: Path) -> list[str]:
    """Every exercise id ("03.2") in the English notebooks of `folder`, in course order."""
    found = []
    for nb in sorted(folder.glob(COURSE_GLOBS[0])):
        try:
            cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            source = cell.get("source", "")
            found += EXERCISE.findall(source if isinstance(source, str) else "".join(source))
    return list(dict.fromkeys(found))


def _own(home: Path, path: Path) -> bool:
    """`path` is in the learner's home itself: no link on the way (root never writes or reads
    through a link a learner made, e.g. notebooks/ -> /etc)."""
    try:
        return not path.is_symlink() and path.parent.resolve() == home.resolve() / path.parent.relative_to(home)
    except (OSError, ValueError):
        return False


def read_progress(home: Path) -> tuple[dict[str, dict], float | None]:
    """One learner's {exercise: {"state", "t", "hints"}} and the time of their last record.

    The latest tried state wins ("correct" or "not yet"); "not tried" (a blank checked) shows only
    where nothing was tried yet, so Run All on a fresh copy never hides work already done."""
    path = home / PROGRESS_FILE
    try:
        if not _own(home, path):
            return {}, None
        lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        return {}, None
    states: dict[str, dict] = {}
    last = None
    for line in lines:
        try:
            entry = json.loads(line)
            t = float(entry["t"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a full disk, or a learner's own
        last = t if last is None else max(last, t)
        items = [(entry.get("ex"), entry.get("state"), entry.get("hints", 0))]
        if isinstance(entry.get("summary"), dict):
            items = [(k, v, None) for k, v in entry["summary"].items()]
        for ex, state, hints in items:
            if not isinstance(ex, str) or state not in STATES:
                continue
            old = states.get(ex)
            if old and state == "not tried" and old["state"] != "not tried":
                continue
            if old and t < old["t"]:
                continue
            h = max(old["hints"] if old else 0, hints if isinstance(hints, int) else 0)
            states[ex] = {"state": state, "t": t, "hints": h}
    return states, last


def memory_by_uid() -> dict[int, float]:
    """Resident memory (MB) of all processes of each user id: a learner's server and kernels."""
    import psutil

    total: dict[int, float] = {}
    for p in psutil.process_iter(["uids", "memory_info"]):
        if p.info["uids"] and p.info["memory_info"]:
            uid = p.info["uids"].real
            total[uid] = total.get(uid, 0.0) + p.info["memory_info"].rss / 2**20
    return total


def memory_warning(available_mb: float, total_mb: float, running_mb: list[float], peak_mb: float | None) -> str | None:
    """A warning when the room may run out: every running learner growing to the heaviest
    notebook's peak (`make bench`) would not fit, or less than a tenth of memory is left."""
    if peak_mb:
        more = sum(max(0.0, peak_mb - used) for used in running_mb)
        if more > available_mb:
            return (f"memory: {available_mb:,.0f} MB free, but the {len(running_mb)} running learners need "
                    f"{more:,.0f} MB more if each reaches the heaviest notebook's peak ({peak_mb:,.0f} MB): "
                    "stop idle servers, or stagger that notebook")
    if available_mb < total_mb / 10:
        return f"memory: only {available_mb:,.0f} MB of {total_mb:,.0f} MB free: stop idle servers"
    return None


def room_table(cfg, hub_users: dict[str, dict] | None = None, peak_mb: float | None = None) -> dict:
    """What the instructor page shows, as JSON: exercises, one row per learner, the most stuck
    exercise, memory. `hub_users` is the hub's own view (name -> its /users model)."""
    import psutil

    course = cfg.root / "course"
    exercises = course_exercises(course if course.is_dir() else Path(__file__).resolve().parents[2] / "notebooks")
    memory = memory_by_uid()
    rows, stuck = [], {}
    for name in cfg.learners:
        states, last = read_progress(cfg.home(name))
        for ex in states:
            if ex not in exercises:
                exercises.append(ex)
        try:
            mb = memory.get(pwd.getpwnam(name).pw_uid, 0.0)
        except KeyError:
            mb = 0.0
        user = (hub_users or {}).get(name, {})
        server = (user.get("servers") or {}).get("")
        hub_last = user.get("last_activity")
        for ex, s in states.items():
            if s["state"] == "not yet":
                stuck[ex] = stuck.get(ex, 0) + 1
        rows.append({"learner": name, "states": {ex: s["state"] for ex, s in states.items()},
                     "hints": {ex: s["hints"] for ex, s in states.items() if s["hints"]},
                     "last_check": last, "hub_last_activity": hub_last,
                     "server": "running" if server and server.get("ready") else "stopped",
                     "memory_mb": round(mb, 1)})
    most = max(stuck.items(), key=lambda kv: (kv[1], -exercises.index(kv[0])), default=None)
    vm = psutil.virtual_memory()
    running = [r["memory_mb"] for r in rows if r["server"] == "running"]
    return {"exercises": exercises, "rows": rows, "now": time.time(),
            "most_stuck": {"exercise": most[0], "learners": most[1], "of": len(rows)} if most else None,
            "memory": {"available_mb": round(vm.available / 2**20), "total_mb": round(vm.total / 2**20),
                       "warning": memory_warning(vm.available / 2**20, vm.total / 2**20, running, peak_mb)},
            "handout": last_handout(cfg)}


# ---- hand out ---------------------------------------------------------------------------------


def _source(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def _same(a: dict | None, b: dict | None) -> bool:
    """Two cells are the same when their type and source are (outputs are each learner's own)."""
    if a is None or b is None:
        return a is b
    return a.get("cell_type") == b.get("cell_type") and _source(a) == _source(b)


def _by_id(nb: dict) -> dict[str, dict] | None:
    cells = {c.get("id"): c for c in nb.get("cells", [])}
    return None if None in cells or len(cells) != len(nb.get("cells", [])) else cells


def merge_notebook(base: dict, mine: dict, theirs: dict) -> tuple[dict, list[str]]:
    """Three-way merge of a learner's notebook (`mine`) with the course's new one (`theirs`),
    both descended from `base`, cell by cell (by cell id). Returns the merged notebook and the
    ids of the cells both changed (those keep the learner's version)."""
    b, m, t = _by_id(base), _by_id(mine), _by_id(theirs)
    if b is None or m is None or t is None:  # no cell ids to go by: whole notebooks only
        if all(_same(x, y) for x, y in zip(mine["cells"], base["cells"])) and len(mine["cells"]) == len(base["cells"]):
            return copy.deepcopy(theirs), []
        return mine, ["(whole notebook)"]
    conflicts, out = [], []
    for cid, cell in m.items():
        old, new = b.get(cid), t.get(cid)
        if old is None:  # the learner's own cell
            out.append(cell)
        elif new is None:  # the course removed it: gone unless the learner changed it
            if not _same(cell, old):
                out.append(cell)
                conflicts.append(cid)
        elif _same(cell, old) and not _same(new, old):
            out.append(copy.deepcopy(new))  # untouched by the learner: the course's fix
        else:
            if not _same(cell, new) and not _same(new, old):
                conflicts.append(cid)
            out.append(cell)
    for cid, old in b.items():  # the learner deleted a cell the course changed: say so
        if cid not in m and cid in t and not _same(t[cid], old):
            conflicts.append(cid)
    placed = {c.get("id") for c in out}
    for i, cell in enumerate(theirs["cells"]):  # new course cells, after the cell before them
        if cell["id"] in b or cell["id"] in placed:
            continue
        before = next((theirs["cells"][j]["id"] for j in range(i - 1, -1, -1)
                       if theirs["cells"][j]["id"] in placed), None)
        at = 0 if before is None else next(k for k, c in enumerate(out) if c.get("id") == before) + 1
        out.insert(at, copy.deepcopy(cell))
        placed.add(cell["id"])
    if len(out) == len(mine["cells"]) and all(a is b for a, b in zip(out, mine["cells"])):
        return mine, conflicts  # nothing of the course's reached this copy
    return dict(mine, cells=out), conflicts


def _read_nb(path: Path) -> dict | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return nb if isinstance(nb.get("cells"), list) else None
    except (OSError, ValueError, AttributeError):
        return None


def _write_as(path: Path, text: str, user: pwd.struct_passwd) -> None:
    # A new file of a random name (never through a link), then renamed: a learner never sees
    # half a notebook; owned by the learner.
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".handout", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chown(tmp, user.pw_uid, user.pw_gid)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _user(cfg, name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(f"there is no Unix user {name!r} for the room's account: start the room once "
                           "(`sudo make hub`) with this workshop/hub.toml first") from None


def handout_account(cfg, name: str, source: Path, stamp: str) -> dict:
    """Merge the course in `source` into one account's notebooks; what happened to each file."""
    user = _user(cfg, name)
    home, base_dir = cfg.home(name), cfg.root / "course"
    done = {"updated": [], "added": [], "kept_beside": []}
    for rel in course_notebooks(source):
        theirs_text = (source / rel).read_text(encoding="utf-8")
        mine_path, base_path = home / "notebooks" / rel, base_dir / rel
        if not _own(home, mine_path):
            continue  # never write through a learner's link
        if not mine_path.exists():
            if not base_path.exists():  # a new notebook (one the learner deleted stays deleted)
                if not mine_path.parent.is_dir():
                    continue
                _write_as(mine_path, theirs_text, user)
                done["added"].append(str(rel))
            continue
        mine, theirs = _read_nb(mine_path), json.loads(theirs_text)
        base = _read_nb(base_path) if base_path.exists() else None
        if mine is None or base is None:  # unreadable, or a learner's own file of that name
            merged, conflicts = mine, ["(whole notebook)"]
            if mine is not None and _same_notebook(mine, theirs):
                continue
        else:
            merged, conflicts = merge_notebook(base, mine, theirs)
        if merged is not None and merged is not mine:
            _write_as(mine_path, _dump(merged), user)
            done["updated"].append(str(rel))
        if conflicts:
            beside = mine_path.with_name(f"{mine_path.stem}.update-{stamp}.ipynb")
            _write_as(beside, theirs_text, user)
            done["kept_beside"].append({"notebook": str(rel), "cells": conflicts,
                                        "course_version": str(beside.relative_to(home))})
    return done


def _same_notebook(a: dict, b: dict) -> bool:
    return len(a["cells"]) == len(b["cells"]) and all(_same(x, y) for x, y in zip(a["cells"], b["cells"]))


def install_course(cfg, source: Path) -> Path:
    """ROOM/course/: the course as handed out last (root's, readable by all): the merge base."""
    dest = cfg.root / "course"
    scratch = cfg.root / ".course.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    for rel in course_notebooks(source):
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, scratch / rel)
    for p in [scratch, *scratch.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    old = cfg.root / ".course.old"
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    scratch.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest


def handout(cfg, source: Path) -> dict:
    """Hand the course in `source` (a notebooks/ folder) out to every account; the report."""
    source = Path(source)
    if not course_notebooks(source):
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) in {source}")
    if not (cfg.root / "course").is_dir():
        raise FileNotFoundError(f"{cfg.root / 'course'} is missing: start the room once (`sudo make hub`) first")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {"time": time.time(), "source": str(source), "accounts": {}}
    for name in cfg.accounts:
        report["accounts"][name] = handout_account(cfg, name, source, stamp)
    install_course(cfg, source)
    log = cfg.root / "handouts.jsonl"
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(report, ensure_ascii=False) + "\n")
    log.chmod(0o600)
    return report


def last_handout(cfg) -> dict | None:
    """The latest hand-out's report (for the page), or None."""
    try:
        lines = (cfg.root / "handouts.jsonl").read_text(encoding="utf-8").splitlines()
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def handout_report(report: dict) -> str:
    """The hand-out as the instructor reads it: one line per account, then what was kept beside."""
    lines, beside = [], []
    for name, done in report["accounts"].items():
        lines.append(f"{name}: {len(done['updated'])} notebook(s) updated, {len(done['added'])} added, "
                     f"{len(done['kept_beside'])} kept beside")
        beside += [f"  {name}: {k['notebook']}: cells {', '.join(k['cells'])} changed by both; the learner's "
                   f"stay, the course's version is in {k['course_version']}" for k in done["kept_beside"]]
    if beside:
        lines += ["Could not merge (nothing lost; tell these learners):", *beside]
    return "\n".join(lines)


# ---- collect ----------------------------------------------------------------------------------


def _regular_files(folder: Path):
    """Regular files under `folder`, never following a link, skipping checkpoints."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            p = Path(dirpath) / f
            if p.suffix == ".ipynb" and stat.S_ISREG(os.lstat(p).st_mode):
                yield p


def collect(cfg, out: Path | None = None) -> Path:
    """Every learner's notebooks and progress into `out` (a folder, or a .zip), named by learner,
    with progress.csv (learners x exercises); owned by the instructor's user, 0700 / 0600."""
    admin = _user(cfg, cfg.admin)
    out = Path(out) if out else cfg.home(cfg.admin) / f"collected-{time.strftime('%Y%m%d-%H%M%S')}"
    if out.exists():
        raise FileExistsError(f"{out} already exists: name a new folder or .zip")
    files: dict[str, Path | bytes] = {}
    table = room_table(cfg)
    for name in cfg.learners:
        home = cfg.home(name)
        if not _own(home, home / "notebooks"):
            continue
        for p in _regular_files(home / "notebooks"):
            files[f"{name}/{p.relative_to(home).as_posix()}"] = p
        progress = home / PROGRESS_FILE
        if progress.is_file() and _own(home, progress):
            files[f"{name}/progress.jsonl"] = progress
    rows = [",".join(["learner", *table["exercises"]])]
    rows += [",".join([r["learner"], *(r["states"].get(ex, "not tried") for ex in table["exercises"])])
             for r in table["rows"]]
    files["progress.csv"] = ("\n".join(rows) + "\n").encode()
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial) if partial.is_dir() else partial.unlink()
    old_umask = os.umask(0o077)
    try:
        if out.suffix == ".zip":
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
                for arc, src in files.items():
                    z.writestr(arc, src) if isinstance(src, bytes) else z.write(src, arc)
            os.chown(partial, admin.pw_uid, admin.pw_gid)
        else:
            for arc, src in files.items():
                dest = partial / arc
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(src) if isinstance(src, bytes) else shutil.copyfile(src, dest)
            for p in [partial, *partial.rglob("*")]:
                os.chown(p, admin.pw_uid, admin.pw_gid)
                p.chmod(0o700 if p.is_dir() else 0o600)
        partial.rename(out)
    finally:
        os.umask(old_umask)
    return out
