"""The workshop room server: JupyterHub serves the course to a room of browsers from one machine.

`python -m dlcourse hub` (or `make hub`) reads workshop/hub.toml, prepares the room, and runs
JupyterHub with its proxy (configurable-http-proxy, installed by `make hub` into .hub/node):
- one Unix user per account: JupyterHub's LocalProcessSpawner runs each learner's server and
  kernels as that user, in a 0700 home holding their own copy of the notebooks and their own
  writable data folder (DLCOURSE_DATA; notebook 06's files, 07's checkpoints);
- ROOT/shared/ holds Fashion-MNIST and the cached pretrained weights once, owned by root and
  read-only to learners; each learner's data folder links to it;
- each kernel's CPU threads are capped at max(1, cores // expected learners);
- the hub, its proxy and every server listen on 127.0.0.1 unless the config names an address.
`python -m dlcourse doctor --room N` runs `room_checks(N)`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

from dlcourse.workshop.doctor import Check, report
from dlcourse.workshop.room import course_notebooks, install_course

REPO = Path(__file__).resolve().parents[2]  # the clone: dlcourse/workshop/hub.py
DEFAULT_CONFIG = REPO / "workshop" / "hub.toml"
NODE_DIR = REPO / ".hub" / "node"  # `make hub` installs configurable-http-proxy here
PROXY_VERSION = "5.3.0"
ENV_PASSWORD = "DLCOURSE_HUB_PASSWORD"
NAME = re.compile(r"[a-z][a-z0-9_-]{0,30}")  # safe as a Unix user and a URL segment
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class HubConfig:
    """What workshop/hub.toml says, with paths resolved."""

    ip: str = "127.0.0.1"
    port: int = 8000
    state: Path = REPO / ".hub"
    root: Path = Path("/srv/dlcourse-room")
    expected_learners: int = 8
    admin: str = "instructor"
    learners: tuple[str, ...] = field(default_factory=tuple)
    passwords: str = "list"  # "list" or "shared"
    idle_timeout: int = 3600  # seconds without activity before a server is stopped; 0: never

    @property
    def accounts(self) -> tuple[str, ...]:
        """The admin first, then the learners."""
        return (self.admin, *self.learners)

    def home(self, name: str) -> Path:
        """One account's home folder in the room."""
        return self.root / "home" / name


KEYS = {"hub": {"ip", "port", "state"}, "room": {"root", "expected_learners"},
        "accounts": {"admin", "prefix", "count", "learners", "passwords"}, "health": {"idle_timeout"}}


def load_config(path: str | Path = DEFAULT_CONFIG, **overrides) -> HubConfig:
    """Read a hub.toml; `overrides` replace its values (tests and the load test use them)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the hub config {path}: {exc}") from exc
    for section, values in raw.items():
        unknown = set(values) - KEYS.get(section, set()) if isinstance(values, dict) else {section}
        if section not in KEYS or unknown:
            raise ValueError(f"{path}: unknown setting [{section}] {sorted(unknown) or ''}; "
                             f"known: {json.dumps({k: sorted(v) for k, v in KEYS.items()})}")
    hub, room, acc = raw.get("hub", {}), raw.get("room", {}), raw.get("accounts", {})
    if not isinstance(acc.get("learners", []), list):
        raise ValueError(f"{path}: learners = {acc['learners']!r}; write a list: learners = [\"ana\", \"ben\"]")
    learners = acc.get("learners") or [f"{acc.get('prefix', 'learner')}{i:02d}"
                                       for i in range(1, int(acc.get("count", 8)) + 1)]
    at = lambda p: Path(p) if Path(p).is_absolute() else REPO / p  # noqa: E731
    cfg = HubConfig(ip=hub.get("ip", "127.0.0.1"), port=int(hub.get("port", 8000)),
                    state=at(hub.get("state", ".hub")), root=at(room.get("root", "/srv/dlcourse-room")),
                    expected_learners=int(room.get("expected_learners", len(learners))),
                    admin=acc.get("admin", "instructor"), learners=tuple(learners),
                    passwords=acc.get("passwords", "list"),
                    idle_timeout=int(raw.get("health", {}).get("idle_timeout", 3600)))
    cfg = replace(cfg, **overrides)
    for name in cfg.accounts:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ValueError(f"{path}: account name {name!r} must be lowercase letters, digits, - or _, "
                             "starting with a letter (it becomes a Unix user)")
    if len(set(cfg.accounts)) != len(cfg.accounts):
        raise ValueError(f"{path}: an account name appears twice in {list(cfg.accounts)}")
    if cfg.passwords not in ("list", "shared"):
        raise ValueError(f"{path}: passwords = {cfg.passwords!r}; use \"list\" or \"shared\"")
    if cfg.idle_timeout < 0:
        raise ValueError(f"{path}: idle_timeout = {cfg.idle_timeout}; seconds, 0 (never) or more")
    if cfg.expected_learners < 1:
        raise ValueError(f"{path}: expected_learners = {cfg.expected_learners}; it must be 1 or more")
    return cfg


def cpu_cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads_per_kernel(cores: int, learners: int) -> int:
    """Threads one learner's kernel may use: oversubscribing cores made PyTorch 5-40x slower."""
    return max(1, cores // max(1, learners))


# ---- preparing the room ---------------------------------------------------------------------


def _copy_once(src: Path, dest: Path) -> None:
    # Into a scratch folder, then renamed: an interrupted copy never looks complete.
    if dest.exists() or not src.exists():
        return
    scratch = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(src, scratch)
    for p in [scratch, *scratch.rglob("*")]:  # root-owned, readable by all, writable by none else
        p.chmod(0o755 if p.is_dir() else 0o644)
    scratch.rename(dest)


def prepare_shared(cfg: HubConfig) -> Path:
    """Copy Fashion-MNIST and the cached pretrained weights into ROOT/shared, once."""
    from dlcourse.data import data_root, ensure_fashion_mnist
    from dlcourse.transfer import weights_dir

    shared = cfg.root / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    for p in (cfg.root, shared, cfg.root / "home"):
        p.mkdir(exist_ok=True)
        p.chmod(0o755)
    if not (shared / "FashionMNIST").exists():
        ensure_fashion_mnist(data_root(), verbose=False)
        _copy_once(data_root() / "FashionMNIST", shared / "FashionMNIST")
    _copy_once(weights_dir(), shared / "torch" / "hub" / "checkpoints")
    (shared / "torch" / "hub").mkdir(parents=True, exist_ok=True)
    return shared


def _ensure_user(cfg: HubConfig, name: str) -> pwd.struct_passwd:
    home = cfg.home(name)
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--home-dir", str(home), "--no-create-home", "--user-group",
                        "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
        return pwd.getpwnam(name)
    if Path(user.pw_dir) != home:  # never take over a user the room did not make
        raise RuntimeError(f"a Unix user {name!r} already exists with home {user.pw_dir}, not {home}: "
                           f"rename the account in {DEFAULT_CONFIG.name} or remove that user")
    return user


def prepare_account(cfg: HubConfig, name: str, shared: Path) -> Path:
    """The account's Unix user and 0700 home: notebooks copied if missing, data linked to shared."""
    user = _ensure_user(cfg, name)
    home = cfg.home(name)
    made = []
    for folder in (home, home / "notebooks", home / "notebooks" / "ko", home / "data"):
        if not folder.exists():
            folder.mkdir()
            made.append(folder)
    course = cfg.root / "course"  # the course as handed out last (dlcourse.workshop.room)
    for rel in course_notebooks(course):  # English and the Korean edition, never the solutions
        copy = home / "notebooks" / rel
        if not copy.exists():  # a learner's edits are never overwritten
            shutil.copyfile(course / rel, copy)
            made.append(copy)
    link = home / "data" / "FashionMNIST"
    if not link.is_symlink() and not link.exists():
        link.symlink_to(shared / "FashionMNIST")
        made.append(link)
    for p in made:
        os.lchown(p, user.pw_uid, user.pw_gid)
    home.chmod(0o700)
    return home


def passwords(cfg: HubConfig) -> dict[str, str]:
    """Each account's password; new ones are written to STATE/passwords.csv (0600), kept on restart."""
    cfg.state.mkdir(parents=True, exist_ok=True)
    cfg.state.chmod(0o700)
    path = cfg.state / "passwords.csv"
    known = dict(csv.reader(path.open())) if path.exists() else {}
    known.pop("account", None)
    if cfg.passwords == "shared":
        shared = os.environ.get(ENV_PASSWORD, "")
        if len(shared) < 8:
            raise ValueError(f"passwords = \"shared\" needs the workshop password in {ENV_PASSWORD} "
                             f"(8 or more characters); it has {len(shared)}")
        known.update({n: shared for n in cfg.learners})
    wanted = {n: known.get(n) or secrets.token_urlsafe(9) for n in cfg.accounts}
    if wanted != known:
        out = io.StringIO()
        csv.writer(out).writerows([("account", "password"), *wanted.items()])
        tmp = path.with_suffix(".tmp")
        tmp.write_text(out.getvalue())
        tmp.chmod(0o600)
        tmp.replace(path)
    return wanted


def proxy_command() -> str:
    """configurable-http-proxy: .hub/node's (make hub installs it), else one on PATH."""
    local = NODE_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    found = str(local) if local.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise FileNotFoundError("configurable-http-proxy is not installed: run `make hub`, or "
                                f"`npm install --prefix {NODE_DIR} configurable-http-proxy@{PROXY_VERSION}`")
    return found


def _others_can_run(path: Path) -> bool:
    # Every folder above must be searchable by other users, and the file executable by them.
    path = path.resolve()
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def learner_access_problem() -> str | None:
    """Why the learners' Unix users could not run the course from here, or None when they can.

    Their servers import this clone's dlcourse and this environment's packages, as themselves: a
    clone under a folder closed to others (a 0700 home, /root) is out of their reach.
    """
    import site

    for path in [REPO / "dlcourse", *map(Path, site.getsitepackages())]:
        if not all(p.stat().st_mode & 0o001 for p in path.resolve().parents) or path.stat().st_mode & 0o005 != 0o005:
            return (f"the learners' Unix users cannot read {path}: put the clone and its environment where "
                    "every user can read them (e.g. /opt/dlcourse), or open the folders above to others (chmod o+x)")
    return None


def check_readable_by_learners() -> None:
    """A PermissionError saying what to move when the learners cannot read the course from here."""
    if problem := learner_access_problem():
        raise PermissionError(problem)


def learner_python() -> str:
    """A Python the learners' own Unix users can start, with this environment's packages."""
    if _others_can_run(Path(sys.executable)):
        return sys.executable
    # This environment's interpreter is out of their reach (say pyenv under a 0700 /root): a small
    # venv from the system's Python of the same version that reads this environment's packages.
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = shutil.which(version, path="/usr/local/bin:/usr/bin")
    if not base or not _others_can_run(Path(base)):
        raise RuntimeError(f"the learners' users cannot run {Path(sys.executable).resolve()} (a folder above "
                           f"it is closed to other users) and there is no system {version}: install the "
                           "course's environment where every user can read it (e.g. under /opt)")
    bridge = NODE_DIR.parent / "python"
    if not (bridge / "bin" / "python").exists():
        subprocess.run([base, "-m", "venv", "--without-pip", str(bridge)], check=True, capture_output=True)
        import site

        (bridge / "lib" / version / "site-packages" / "dlcourse-env.pth").write_text(
            "\n".join(site.getsitepackages()) + "\n")
    return str(bridge / "bin" / "python")


def spawner_environment(cfg: HubConfig) -> dict[str, str]:
    """What each learner's server and kernels see: their data folder, shared weights, thread caps."""
    threads = str(threads_per_kernel(cpu_cores(), cfg.expected_learners))
    env = {"DLCOURSE_ROOM": "1",  # dlcourse.progress records checks in the learner's home
           "DLCOURSE_DATA": f"{cfg.root / 'home'}/{{username}}/data",  # filled in per learner
           "TORCH_HOME": str(cfg.root / "shared" / "torch"),
           "PYTHONPATH": str(REPO), "TQDM_DISABLE": os.environ.get("TQDM_DISABLE", ""),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    return env | dict.fromkeys(THREAD_VARS, threads)


def services(cfg: HubConfig) -> list[dict]:
    """The instructor page (dlcourse.workshop.roompage) and, unless idle_timeout is 0, the idle culler."""
    env = {"PYTHONPATH": str(REPO)}
    found = [{"name": "room", "url": f"http://127.0.0.1:{cfg.port + 3}", "oauth_no_confirm": True,
              "command": [sys.executable, "-m", "dlcourse.workshop.roompage", str(cfg.state / "room.json")],
              "environment": env, "display": True}]
    if cfg.idle_timeout:  # stops the server only: the learner's home and notebooks stay
        found.append({"name": "idle-culler", "environment": env,
                      "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cfg.idle_timeout}",
                                  f"--cull-every={max(5, min(300, cfg.idle_timeout // 4))}"]})
    return found


def service_roles(cfg: HubConfig) -> list[dict]:
    """What the services may do through the hub's API (the page only reads)."""
    roles = [{"name": "room-page", "scopes": ["list:users", "read:users", "read:servers"], "services": ["room"]}]
    if cfg.idle_timeout:
        roles.append({"name": "idle-culler", "services": ["idle-culler"],
                      "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
    return roles


def write_hub_config(cfg: HubConfig) -> Path:
    """STATE/jupyterhub_config.py for this room (0600: it holds the passwords)."""
    check_readable_by_learners()
    shared = prepare_shared(cfg)
    if not (cfg.root / "course").is_dir():  # the first start hands out the clone's notebooks
        install_course(cfg, REPO / "notebooks")
    for name in cfg.accounts:
        prepare_account(cfg, name, shared)
    settings = {
        "JupyterHub": {"ip": cfg.ip, "port": cfg.port, "hub_ip": "127.0.0.1", "hub_port": cfg.port + 2,
                       "db_url": f"sqlite:///{cfg.state / 'jupyterhub.sqlite'}",
                       "cookie_secret_file": str(cfg.state / "jupyterhub_cookie_secret"),
                       "authenticator_class": "dlcourse.workshop.hubauth.RoomAuthenticator",
                       "services": services(cfg), "load_roles": service_roles(cfg)},
        "ConfigurableHTTPProxy": {"command": [proxy_command()], "api_url": f"http://127.0.0.1:{cfg.port + 1}",
                                  "pid_file": str(cfg.state / "proxy.pid")},
        "RoomAuthenticator": {"passwords": passwords(cfg)},
        "Authenticator": {"allowed_users": list(cfg.learners), "admin_users": [cfg.admin]},
        "Spawner": {"cmd": [learner_python(), "-m", "jupyterhub.singleuser"],
                    "ip": "127.0.0.1", "notebook_dir": "~", "default_url": "/lab/tree/notebooks",
                    "environment": spawner_environment(cfg), "start_timeout": 300, "http_timeout": 300},
    }
    page = cfg.state / "room.json"  # what the instructor page needs to know of the room
    page.write_text(json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items()}))
    page.chmod(0o600)
    path = cfg.state / "jupyterhub_config.py"
    tmp = path.with_suffix(".tmp")
    tmp.write_text("# written by `python -m dlcourse hub` from workshop/hub.toml: edit that, not this\n"
                   f"import json\nfor section, values in json.loads({json.dumps(json.dumps(settings))}).items():\n"
                   "    for key, value in values.items():\n"
                   "        setattr(c[section], key, set(value) if key.endswith('_users') else value)\n"
                   "# values naming {username} are filled in for each learner\n"
                   "c.Spawner.environment = {k: (lambda s, v=v: s.format_string(v)) if '{username}' in v else v\n"
                   "                         for k, v in c.Spawner.environment.items()}\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def start_hub(cfg: HubConfig, log=None) -> subprocess.Popen:
    """Prepare the room and start JupyterHub in the background (as root: it makes Unix users)."""
    if os.geteuid() != 0:
        raise PermissionError("the room server runs each learner as their own Unix user: start it as "
                              "root (`sudo make hub`)")
    config = write_hub_config(cfg)
    env = os.environ | {"PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=cfg.state,
                            env=env, stdout=log, stderr=subprocess.STDOUT if log else None)


def hub_url(cfg: HubConfig) -> str:
    """The address learners open."""
    return f"http://{cfg.ip}:{cfg.port}/"


def wait_until_up(cfg: HubConfig, hub: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until the hub answers through its proxy; raise if it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with status {hub.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{hub_url(cfg)}hub/api", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterHub did not answer at {hub_url(cfg)} within {timeout:.0f} s")


def stop_hub(hub: subprocess.Popen, timeout: float = 60.0) -> None:
    """Stop the hub; it stops the learners' servers and the proxy on its way out."""
    if hub.poll() is None:
        hub.terminate()
        try:
            hub.wait(timeout)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()


def remove_room(cfg: HubConfig) -> None:
    """Delete the room's Unix users (only those whose home is in the room), their processes and ROOT."""
    import psutil

    for name in cfg.accounts:
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        if Path(user.pw_dir) != cfg.home(name):
            continue
        procs = [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == user.pw_uid]
        for p in procs:
            p.terminate()
        psutil.wait_procs(procs, timeout=10)
        subprocess.run(["userdel", name], check=False, capture_output=True)
    shutil.rmtree(cfg.root, ignore_errors=True)


def serve(cfg: HubConfig) -> int:
    """`python -m dlcourse hub`: run the hub in the foreground until Ctrl-C."""
    found = room_checks(cfg.expected_learners, cfg)
    print(report(found).replace("dlcourse doctor: is this computer ready for the course?",
                                f"The room for {cfg.expected_learners} learners:"), flush=True)
    try:
        hub = start_hub(cfg)
        wait_until_up(cfg, hub)
    except (OSError, RuntimeError, ValueError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    threads = threads_per_kernel(cpu_cores(), cfg.expected_learners)
    print(f"\nThe room is open at {hub_url(cfg)} ({len(cfg.learners)} learners, {threads} thread(s) per "
          f"kernel). Passwords: {cfg.state / 'passwords.csv'}. Ctrl-C stops the hub and every server.",
          flush=True)
    try:
        return hub.wait()
    except KeyboardInterrupt:
        stop_hub(hub)
        return 0


# ---- doctor --room N ------------------------------------------------------------------------


def peak_notebook_mb(results: Path = REPO / "bench" / "results.json") -> tuple[float, str] | None:
    """The largest peak memory of one course notebook in `make bench`'s results, and which."""
    try:
        rows = json.loads(results.read_text())["sections"]["course"]["notebooks"]
    except (OSError, KeyError, ValueError, TypeError):
        return None
    peaks = [(r["peak_rss_mb"], r["notebook"]) for r in rows if r.get("peak_rss_mb")]  # bench.section_course's
    return max(peaks) if peaks else None


def room_checks(n: int, cfg: HubConfig | None = None) -> list[Check]:
    """Can this machine serve a room of n learners: hub, proxy, shared data, memory, threads."""
    import psutil

    from dlcourse.data import FASHION_FILES, data_root

    cfg = cfg or load_config()
    found = []
    try:
        import jupyterhub

        found.append(Check("JupyterHub", "ok", f"{jupyterhub.__version__} ({Path(jupyterhub.__file__).parent})"))
    except ImportError as exc:
        found.append(Check("JupyterHub", "FAIL", f"cannot import: {exc}", "`make hub-install` installs it"))
    try:
        cmd = proxy_command()
        out = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=60)
        found.append(Check("proxy", "ok" if out.returncode == 0 else "FAIL",
                           f"configurable-http-proxy {out.stdout.strip() or out.stderr.strip()[-200:]} ({cmd})",
                           "reinstall it: `make hub` (needs Node.js 20 or newer and npm)"))
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        found.append(Check("proxy", "FAIL", str(exc), "`make hub` installs it (needs Node.js and npm)"))
    try:
        with urllib.request.urlopen(f"{hub_url(cfg)}hub/api", timeout=5) as r:
            version = json.loads(r.read())["version"]
        found.append(Check("hub running", "ok", f"JupyterHub {version} answers at {hub_url(cfg)}"))
    except (OSError, ValueError, KeyError):
        found.append(Check("hub running", "note", f"nothing answers at {hub_url(cfg)} yet",
                           "start it: `sudo make hub`"))
    raw = cfg.root / "shared" / "FashionMNIST" / "raw"
    if not raw.is_dir():
        raw = data_root() / "FashionMNIST" / "raw"
    have = sum((raw / f).is_file() for f in FASHION_FILES)
    found.append(Check("shared data", "ok" if have == len(FASHION_FILES) else "FAIL",
                       f"Fashion-MNIST: {have} of {len(FASHION_FILES)} files in {raw}",
                       "run `python -m dlcourse data` first; the hub copies it into the room once"))
    peak = peak_notebook_mb()
    free_mb = psutil.virtual_memory().available / 2**20
    if peak is None:
        found.append(Check("memory", "note", f"{free_mb:,.0f} MB free; no bench/results.json to size learners",
                           "run `make bench` once to measure each notebook's peak memory"))
    else:
        need = n * peak[0]
        found.append(Check("memory", "ok" if need <= free_mb else "FAIL",
                           f"{n} learners x {peak[0]:,.0f} MB (peak of {peak[1]}, make bench) = {need:,.0f} MB; "
                           f"{free_mb:,.0f} MB free",
                           f"this machine holds about {int(free_mb // peak[0])} learners running that "
                           "notebook at once: fewer learners, more memory, or stagger that notebook"))
    cores = cpu_cores()
    found.append(Check("CPU threads", "ok", f"{cores} cores, {n} learners: "
                       f"{threads_per_kernel(cores, n)} thread(s) per kernel"
                       + (f"; {n / cores:.1f} learners share each core" if n > cores else "")))
    found.append(Check("address", "ok" if cfg.ip == "127.0.0.1" else "note",
                       f"{hub_url(cfg)} ({'loopback: only this machine' if cfg.ip == '127.0.0.1' else 'reachable from the network'})",
                       "set [hub] ip in workshop/hub.toml to the address the room's network reaches"))
    problem = learner_access_problem()
    found.append(Check("learners' access", "FAIL" if problem else "ok",
                       problem.split(":")[0] if problem else f"every user can read {REPO / 'dlcourse'} and the environment",
                       problem.split(": ", 1)[1] if problem else ""))
    if os.geteuid() != 0:
        found.append(Check("root", "FAIL", "not root", "the hub makes one Unix user per learner: `sudo make hub`"))
    return found


def room_doctor(n: int) -> int:
    """Print the room report; return 1 when a check failed."""
    found = room_checks(n)
    print(report(found).replace("dlcourse doctor: is this computer ready for the course?",
                                f"dlcourse doctor --room {n}: can this machine serve {n} learners?"), flush=True)
    return 1 if any(c.status == "FAIL" for c in found) else 0
