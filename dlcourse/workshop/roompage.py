"""The instructor page: a JupyterHub service at /services/room/, for the hub's admin only.

The hub starts it (`python -m dlcourse.workshop.roompage STATE/room.json`, as root, so it can
read the learners' 0700 homes). JupyterHub's OAuth lets in only a user holding
access:services!service=room, which only the admin role has: a learner gets 403 from the hub
and, should a token reach the page anyway, from the page itself. The page asks api/table every
2 s (with the page's XSRF token, as JupyterHub wants of fetch()) and redraws the table; nothing is fetched from outside the machine.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import httpclient, ioloop, web

from dlcourse.workshop.room import room_table

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>dlcourse room</title><style>
body{font:14px system-ui,sans-serif;margin:1.5em} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:center} td.l{text-align:left}
.correct{background:#b7e4b7} .not-yet{background:#f6c6c6} .not-tried{color:#999}
.warn{background:#ffe08a;padding:.5em;margin:.5em 0} .stuck{font-weight:bold;margin:.5em 0}
</style></head><body><h1>The room</h1><div id="warn"></div><div id="stuck" class="stuck"></div>
<table id="room"><thead></thead><tbody></tbody></table><p id="memory"></p><div id="handout"></div>
<script>
const ago = t => t ? Math.max(0, Math.round(Date.now() / 1000 - t)) + " s ago" : "-";
const esc = s => String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"})[c]);
async function draw() {
  const r = await fetch("api/table", {credentials: "same-origin", headers: {"X-XSRFToken": "{xsrf}"}});
  if (!r.ok) { document.getElementById("warn").textContent = "page error " + r.status; return; }
  const d = await r.json();
  document.querySelector("#room thead").innerHTML = "<tr><th>learner</th>" +
    d.exercises.map(e => "<th>" + esc(e) + "</th>").join("") + "<th>last check</th><th>server</th><th>memory</th></tr>";
  document.querySelector("#room tbody").innerHTML = d.rows.map(row => {
    const cells = d.exercises.map(e => { const s = row.states[e] || "not tried";
      return `<td class="${s.replace(" ", "-")}" data-ex="${esc(e)}">${esc(s)}</td>`; }).join("");
    return `<tr data-learner="${esc(row.learner)}"><td class="l">${esc(row.learner)}</td>${cells}` +
      `<td>${ago(row.last_check)}</td><td>${row.server}</td><td>${Math.round(row.memory_mb)} MB</td></tr>`;
  }).join("");
  const m = d.most_stuck;
  document.getElementById("stuck").textContent = m ?
    `Most stuck: exercise ${m.exercise} (${m.learners} of ${m.of} learners not yet)` : "Nobody is stuck yet.";
  document.getElementById("memory").textContent =
    `Free memory: ${d.memory.available_mb} MB of ${d.memory.total_mb} MB`;
  document.getElementById("warn").innerHTML = d.memory.warning ? `<div class="warn">${esc(d.memory.warning)}</div>` : "";
  const h = d.handout, beside = h ? Object.entries(h.accounts).flatMap(([n, a]) =>
    a.kept_beside.map(k => `${n}: ${k.notebook} (course version in ${k.course_version})`)) : [];
  document.getElementById("handout").innerHTML = beside.length ?
    "<h2>Last hand-out: kept beside</h2><ul>" + beside.map(b => "<li>" + esc(b) + "</li>").join("") + "</ul>" : "";
}
draw(); setInterval(draw, 2000);
</script></body></html>"""


class Page(HubOAuthenticated, web.RequestHandler):
    """Only the hub's admin (the scopes the hub grants it) gets past get_current_user."""

    def check_admin(self) -> None:
        user = self.current_user
        if not user or user.get("kind", "user") != "user" or user["name"] != self.settings["admin"]:
            raise web.HTTPError(403, "the room page is for the instructor")

    @web.authenticated
    def get(self) -> None:
        self.check_admin()
        self.set_header("Cache-Control", "no-store")
        token = self.xsrf_token  # a fetch() carries it: the hub's cookie alone is not enough there
        self.finish(PAGE.replace("{xsrf}", token.decode() if isinstance(token, bytes) else token))


class Table(Page):
    """The table as JSON, with the hub's view of each learner's server."""

    @web.authenticated
    async def get(self) -> None:
        self.check_admin()
        client = httpclient.AsyncHTTPClient()
        r = await client.fetch(url_path_join(os.environ["JUPYTERHUB_API_URL"], "users"),
                               headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"},
                               raise_error=False)
        users = {u["name"]: u for u in json.loads(r.body)} if r.code == 200 else {}
        self.set_header("Cache-Control", "no-store")
        self.finish(room_table(self.settings["cfg"], users, self.settings["peak_mb"]))


def main(argv: list[str] | None = None) -> None:
    """Serve the page for the room described by STATE/room.json."""
    from dlcourse.workshop.hub import HubConfig, peak_notebook_mb

    settings = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
    cfg = HubConfig(**{k: Path(v) if k in ("root", "state") else tuple(v) if k == "learners" else v
                       for k, v in settings.items()})
    peak = peak_notebook_mb()
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    app = web.Application([(prefix, Page), (url_path_join(prefix, "api/table"), Table),
                           (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler)],
                          cookie_secret=os.urandom(32), cfg=cfg, admin=cfg.admin, peak_mb=peak and peak[0])
    url = os.environ["JUPYTERHUB_SERVICE_URL"].rstrip("/")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    app.listen(port, "127.0.0.1")
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
