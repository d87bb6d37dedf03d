"""The room server's load test: K learners at once, through JupyterHub, on loopback.

For each K: a fresh room (its own Unix users) and hub on 127.0.0.1; K simulated learners at the
same time log in through the hub's REST API (POST /hub/api/users/NAME/tokens with their password),
start their servers, open their own copy of notebook 03 through their server's REST API and run
every code cell in a real kernel over the kernel websocket, with METRICS_PATH injected after the
parameters cell. Recorded per K: seconds to the first kernel reply, seconds for notebook 03,
the peak memory of the learners' processes (servers and kernels) summed, and whether every
learner's metrics file is there and right (test accuracy >= 0.88). Bounded: each learner stops at
its deadline, then the hub, the users and the room are removed.

Usage: python -m dlcourse.workshop.loadtest [--learners 1 2 4 8] [--epochs N] [--timeout 1800] [--out bench/hub.json]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NOTEBOOK = "notebooks/03_mlp_image_classifier.ipynb"
METRICS = "notebooks/metrics-03.json"  # relative to the learner's home; the kernel runs in notebooks/
ACCURACY_FLOOR = 0.88  # the notebook's default run, as tests/test_notebooks.py
SHORT_FLOOR = 0.84  # a run cut to 1-3 EPOCHS (one epoch scored 0.851 here, through the hub)


class Learner:
    """One simulated learner: the hub's and their own server's REST API, and a kernel websocket."""

    def __init__(self, base: str, name: str, password: str):
        import requests

        self.base, self.name, self.password = base, name, password
        self.http = requests.Session()

    def login(self) -> None:
        """A token for this learner from their password (the hub's REST login)."""
        r = self.http.post(f"{self.base}hub/api/users/{self.name}/tokens", timeout=60,
                           json={"auth": {"username": self.name, "password": self.password},
                                 "note": "dlcourse load test", "expires_in": 7200})
        r.raise_for_status()
        self.http.headers["Authorization"] = f"token {r.json()['token']}"

    def start_server(self, timeout: float) -> None:
        """Ask the hub for this learner's server and wait until it is ready."""
        r = self.http.post(f"{self.base}hub/api/users/{self.name}/server", timeout=60)
        if r.status_code not in (201, 202, 400):  # 400: already running
            r.raise_for_status()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.http.get(f"{self.base}hub/api/users/{self.name}", timeout=60).json()["servers"].get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server was not ready within {timeout:.0f} s")

    def api(self, method: str, path: str, user: str | None = None, **kw):
        """A request to a server's REST API (this learner's own unless `user` names another)."""
        return self.http.request(method, f"{self.base}user/{user or self.name}/api/{path}", timeout=120, **kw)

    def open_kernel(self, path: str = NOTEBOOK) -> Kernel:
        """A new session (kernel) for the notebook at `path`, running in that notebook's folder."""
        r = self.api("POST", "sessions", json={"path": path, "type": "notebook", "kernel": {"name": "python3"}})
        r.raise_for_status()
        ws_base = self.base.replace("http://", "ws://")
        url = f"{ws_base}user/{self.name}/api/kernels/{r.json()['kernel']['id']}/channels"
        return Kernel(url, self.http.headers["Authorization"], self.name)


class Kernel:
    """A kernel reached through its server's websocket: execute code, get outputs or the error."""

    def __init__(self, url: str, auth: str, username: str):
        import websocket

        self.session, self.username = uuid.uuid4().hex, username
        self.ws = websocket.create_connection(f"{url}?session_id={self.session}", timeout=600,
                                              header=[f"Authorization: {auth}"])

    def _send(self, msg_type: str, content: dict) -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session,
                                            "username": self.username, "version": "5.3"},
                                 "parent_header": {}, "metadata": {}, "content": content,
                                 "channel": "shell", "buffers": []}))
        return msg_id

    def info(self) -> dict:
        """kernel_info: the first reply proves the kernel is up."""
        msg_id = self._send("kernel_info_request", {})
        while True:
            msg = json.loads(self.ws.recv())
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                return msg["content"]

    def run(self, code: str) -> str:
        """Execute `code`; return its stream output; raise RuntimeError with the traceback on error."""
        msg_id = self._send("execute_request", {"code": code, "silent": False, "store_history": True,
                                                "user_expressions": {}, "allow_stdin": False,
                                                "stop_on_error": True})
        out, error, replied, idle = [], None, False, False
        while not (replied and idle):
            msg = json.loads(self.ws.recv())
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        if error:
            raise RuntimeError(error)
        return "".join(out)

    def close(self) -> None:
        """Close the websocket (the kernel stays until its server stops)."""
        self.ws.close()


def code_cells(nb: dict, inject: str) -> list[str]:
    """The notebook's code cells, with `inject` run right after the cell tagged parameters."""
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cells.append(source)
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cells.append(inject)
    return cells


def run_learner(base: str, name: str, password: str, timeout: float, epochs: int | None = None) -> dict:
    """One learner's whole road: login, server, kernel, notebook 03, metrics read back."""
    t0 = time.monotonic()
    row = {"learner": name}
    me = Learner(base, name, password)
    me.login()
    me.start_server(timeout)
    row["server_ready_s"] = time.monotonic() - t0
    nb = me.api("GET", f"contents/{NOTEBOOK}").json()["content"]  # the learner's own copy
    kernel = me.open_kernel()
    try:
        kernel.info()
        row["first_kernel_s"] = time.monotonic() - t0
        t1 = time.monotonic()
        inject = f"METRICS_PATH = {Path(METRICS).name!r}\nDEVICE = 'cpu'\n" + (f"EPOCHS = {epochs}" if epochs else "")
        for code in code_cells(nb, inject):
            if time.monotonic() - t1 > timeout:
                raise TimeoutError(f"{name}: notebook 03 ran past {timeout:.0f} s")
            kernel.run(code)
        row["notebook_s"] = time.monotonic() - t1
        row["threads"] = int(kernel.run("import torch; print(torch.get_num_threads())"))
    finally:
        kernel.close()
    r = me.api("GET", f"contents/{METRICS}", params={"content": 1, "type": "file", "format": "text"})
    row["metrics"] = json.loads(r.json()["content"]) if r.ok else None
    floor = SHORT_FLOOR if epochs else ACCURACY_FLOOR
    row["ok"] = bool(row["metrics"]) and row["metrics"].get("test_accuracy", 0) >= floor
    return row


class MemorySampler(threading.Thread):
    """Peak summed RSS (MB) of the processes of the given uids (servers and kernels), every 0.5 s."""

    def __init__(self, uids: set[int]):
        super().__init__(daemon=True)
        self.uids, self.peak_mb, self.stop = uids, 0.0, threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.5):
            total = 0
            for p in psutil.process_iter(["uids", "memory_info"]):
                if p.info["uids"] and p.info["uids"].real in self.uids and p.info["memory_info"]:
                    total += p.info["memory_info"].rss
            self.peak_mb = max(self.peak_mb, total / 2**20)


def free_port() -> int:
    """A loopback port with the next three free as well (proxy API, hub, instructor page)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 3 < 65536 and all(_free(port + i) for i in (1, 2, 3)):
            return port
    raise OSError("no four free loopback ports in a row")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _drop_stale_users(names) -> None:
    # A run killed before its clean-up leaves users whose throwaway home is gone: remove those only.
    import pwd
    import subprocess

    for name in names:
        try:
            home = Path(pwd.getpwnam(name).pw_dir)
        except KeyError:
            continue
        if home.parent.parent.name.startswith("dlcourse-room-") and not home.parent.parent.exists():
            subprocess.run(["userdel", name], check=False, capture_output=True)


def room_config(k: int, root: Path, prefix: str = "dlcload"):
    """A throwaway room for k learners on loopback: its own users, state and port."""
    from dlcourse.workshop.hub import load_config

    _drop_stale_users([f"{prefix}admin", *(f"{prefix}{i:02d}" for i in range(1, k + 1))])
    return load_config(ip="127.0.0.1", port=free_port(), root=root, state=root / "state",
                       admin=f"{prefix}admin", learners=tuple(f"{prefix}{i:02d}" for i in range(1, k + 1)),
                       expected_learners=k, passwords="list")


def run_load(k: int, timeout: float = 1800.0, epochs: int | None = None) -> dict:
    """Start a room for k learners, run them all at once, tear it all down; one table row."""
    import pwd

    from dlcourse.workshop import hub as room

    root = Path(tempfile.mkdtemp(prefix="dlcourse-room-"))
    root.chmod(0o755)
    cfg = room_config(k, root)
    log = (root.parent / f"{root.name}.log").open("w")
    hub = None
    try:
        hub = room.start_hub(cfg, log=log)
        room.wait_until_up(cfg, hub)
        secrets = room.passwords(cfg)
        sampler = MemorySampler({pwd.getpwnam(n).pw_uid for n in cfg.learners})
        sampler.start()
        t0 = time.monotonic()
        with ThreadPoolExecutor(k) as pool:
            futures = [pool.submit(run_learner, room.hub_url(cfg), n, secrets[n], timeout, epochs)
                       for n in cfg.learners]
            rows = []
            for f in futures:
                try:
                    rows.append(f.result())
                except Exception as exc:  # one learner's failure is a result of the test, not a crash
                    rows.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        sampler.stop.set()
        sampler.join()
        wall = time.monotonic() - t0
    finally:
        if hub is not None:
            room.stop_hub(hub)
        room.remove_room(cfg)
        log.close()
    if all(r["ok"] for r in rows):
        Path(log.name).unlink()  # the hub's log is kept only when a learner failed
    done = [r for r in rows if "notebook_s" in r]
    return {"learners": k, "epochs": epochs or "notebook default", "threads_per_kernel": room.threads_per_kernel(room.cpu_cores(), k),
            "first_kernel_s_max": max((r["first_kernel_s"] for r in done), default=None),
            "notebook_s_median": sorted(r["notebook_s"] for r in done)[len(done) // 2] if done else None,
            "notebook_s_max": max((r["notebook_s"] for r in done), default=None),
            "wall_s": wall, "peak_mb": sampler.peak_mb, "all_metrics_right": all(r["ok"] for r in rows),
            "hub_log": None if all(r["ok"] for r in rows) else log.name, "rows": rows}


def table(results: list[dict]) -> str:
    """The load table as markdown."""
    lines = ["| learners | threads/kernel | first kernel (s, slowest) | notebook 03 (s, median / slowest) "
             "| peak memory, all learners (MB) | every learner's metrics right |", "|---|---|---|---|---|---|"]
    for r in results:
        f = lambda x: "-" if x is None else f"{x:.0f}"  # noqa: E731
        lines.append(f"| {r['learners']} | {r['threads_per_kernel']} | {f(r['first_kernel_s_max'])} | "
                     f"{f(r['notebook_s_median'])} / {f(r['notebook_s_max'])} | {r['peak_mb']:,.0f} | "
                     f"{'yes' if r['all_metrics_right'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load table; write it as JSON; print it as markdown."""
    import os

    parser = argparse.ArgumentParser(prog="python -m dlcourse.workshop.loadtest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per learner at most")
    parser.add_argument("--epochs", type=int, help="cut notebook 03 to this many epochs (floor 0.84, not 0.88)")
    parser.add_argument("--out", default="bench/hub.json")
    args = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    load = os.getloadavg()
    results = []
    for k in args.learners:  # written after each K: a stopped run keeps what it measured
        results.append(run_load(k, args.timeout, args.epochs))
        out = {"started": started, "command": "python -m dlcourse.workshop.loadtest " + " ".join(argv or sys.argv[1:]),
               "cores": os.cpu_count(), "loadavg_before": load, "loadavg_after": os.getloadavg(),
               "results": results}
        tmp = Path(args.out).with_suffix(".tmp")
        tmp.write_text(json.dumps(out, indent=1) + "\n")
        tmp.replace(args.out)
    print(table(results))
    return 0 if all(r["all_metrics_right"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
