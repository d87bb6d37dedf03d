"""The course's website (`make book`, tools/book.py) in a real browser: built once per test session.

The site is built into the session's temp folder from the committed notebooks (never executed),
served by `python -m http.server --bind 127.0.0.1`, and opened in Debian's Chromium (Playwright)
with a font configuration that holds no Korean font, so Hangul can only be drawn by the web font
the site ships. Every request that leaves loopback is blocked and counted as a failure.
"""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import book  # noqa: E402
from colab import colab_url, package_version, repository_url  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("book")]  # one build, one browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = book.pages(ROOT)
NOTEBOOK_PAGES = [p for p in PAGES if p.notebook]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium`", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


# ---------- links and anchors, read from the built HTML ----------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag in ("img", "script") and a.get("src"):
            self.srcs.append(a["src"])
        if tag == "link" and a.get("href"):
            self.srcs.append(a["href"])


def broken_links(site: Path) -> list[str]:
    """Every internal link, anchor, image, script or style of the site's pages that leads nowhere."""
    parsed = {}
    for page in site.rglob("*.html"):
        if page.relative_to(site).parts[0] == "_static":
            continue  # the theme's template fragments
        p = _Links()
        p.feed(page.read_text(encoding="utf-8"))
        parsed[page.resolve()] = p
    broken = []
    for page, p in parsed.items():
        for ref in p.hrefs + p.srcs:
            url = urllib.parse.urlsplit(ref)
            if url.scheme or url.netloc or ref.startswith("mailto:"):
                continue
            target = (page.parent / urllib.parse.unquote(url.path)).resolve() if url.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {ref} (no such file)")
            elif url.fragment and target.suffix == ".html" and target in parsed \
                    and urllib.parse.unquote(url.fragment) not in parsed[target].ids:
                broken.append(f"{page.relative_to(site)}: {ref} (no such anchor)")
    return broken


# ---------- the built site, served and opened ----------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("book") / "book"
    book.build(out, hub_url="http://room.example:8000")
    return out


@pytest.fixture(scope="module")
def base_url(site):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    # Fontconfig that knows DejaVu only: no Korean font on this "reader's machine"
    conf = tmp_path_factory.mktemp("fonts") / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    "<dir>/usr/share/fonts/truetype/dejavu</dir>"
                    f"<cachedir>{conf.parent}/cache</cachedir></fontconfig>")
    import os
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()


class Watched:
    """A page whose console errors, page errors and requests off loopback are recorded (the latter blocked)."""

    def __init__(self, browser, **kwargs):
        self.context = browser.new_context(**kwargs)
        self.page = self.context.new_page()
        self.errors, self.outside = [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route("**/*", self._route)

    def _route(self, route):
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    yield w
    w.close()


def url_of(base: str, docname: str) -> str:
    return f"{base}{docname}.html"


# ---------- tests ----------

def test_the_site_holds_every_page_and_no_solution(site):
    for page in PAGES:
        assert (site / f"{page.docname}.html").is_file(), page.docname
    for page in NOTEBOOK_PAGES:
        assert (site / page.source).read_bytes() == (ROOT / page.source).read_bytes(), page.source
    # the reference solutions: every line a solution adds to its exercise cell stays off the site
    text = "\n".join(html.unescape(re.sub(r"<[^>]+>", "", p.read_text(encoding="utf-8")))
                     for p in site.rglob("*.html"))
    text += (site / "searchindex.js").read_text(encoding="utf-8")
    leaks = []
    # what the committed notebooks themselves hold (cells, outputs, hints) is not a leak
    given = "\n".join(json.dumps(json.loads((ROOT / p.source).read_text(encoding="utf-8")), ensure_ascii=False)
                      for p in NOTEBOOK_PAGES)
    for solution in sorted((ROOT / "notebooks" / "solutions").glob("*.py")):
        for line in solution.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 12 and not line.startswith("#") and json.dumps(line)[1:-1] not in given and line in text:
                leaks.append(f"{solution.name}: {line}")
    assert not leaks, "solutions on the site:\n" + "\n".join(leaks)


def test_no_internal_link_or_anchor_is_broken(site):
    assert not broken_links(site), "\n".join(broken_links(site))


def test_the_link_check_finds_a_planted_broken_link(site, tmp_path):
    import shutil
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = copy / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</main>", '<a href="notebooks/99_missing.html">x</a><a href="index.ko.html#no-such">y</a></main>', 1),
        encoding="utf-8")
    found = broken_links(copy)
    assert any("99_missing" in b for b in found) and any("#no-such" in b for b in found), found


def test_a_link_to_a_missing_file_stops_the_build(tmp_path):
    with pytest.raises(SystemExit, match="README.md links docs/nothing.md, which does not exist"):
        book.rewrite_links("see [x](docs/nothing.md)", "README.md", {}, ROOT, repository_url(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_page_loads_clean_with_images_and_buttons(page, base_url, watched):
    watched.page.goto(url_of(base_url, page.docname), wait_until="networkidle")
    p = watched.page
    assert p.evaluate("document.documentElement.lang") == page.lang
    broken_images = p.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.src)")
    assert not broken_images
    if page.notebook:
        assert p.evaluate("document.images.length") >= 1  # the stored figures
        colab = p.get_attribute("a.dlcourse-colab", "href")
        assert colab == colab_url(repository_url(ROOT), package_version(ROOT), page.source)
        assert colab.endswith(f"/{page.source}") and ("/notebooks/ko/" in colab) == (page.lang == "ko")
        download = urllib.parse.urljoin(p.url, p.get_attribute("a.dlcourse-download", "href"))
        assert urllib.request.urlopen(download).read() == (ROOT / page.source).read_bytes()
        hub = p.get_attribute("a.dlcourse-hub", "href")
        assert hub == f"http://room.example:8000/hub/user-redirect/lab/tree/{page.source}"
        # exercises as exercises: each exercise cell shows its task; the answers stay folded
        tasks = p.locator(".cell.tag_exercise")
        assert tasks.count() >= 1 and all(re.search(r"# \S+.*\d\d\.\d:", t) for t in tasks.all_inner_texts())
        details = p.locator("details")
        assert details.count() >= 1
        for i in range(details.count()):
            d = details.nth(i)
            assert d.evaluate("d => !d.open")
            assert d.locator("summary").is_visible()
            assert not d.locator(":scope > :not(summary)").first.is_visible()
    assert not watched.errors, watched.errors
    assert not watched.outside, f"requests off loopback: {watched.outside}"


@pytest.mark.parametrize("page", [p for p in PAGES if p.counterpart], ids=lambda p: p.docname)
def test_language_switch_lands_on_the_counterpart(page, base_url, watched):
    watched.page.goto(url_of(base_url, page.docname))
    watched.page.click("a.dlcourse-lang")
    watched.page.wait_for_load_state()
    assert watched.page.url == url_of(base_url, page.counterpart)
    other = next(p for p in PAGES if p.docname == page.counterpart)
    assert watched.page.evaluate("document.documentElement.lang") == other.lang != page.lang


def test_hangul_is_drawn_by_the_shipped_font(base_url, watched):
    p = watched.page
    p.goto(url_of(base_url, "notebooks/ko/03_mlp_image_classifier"), wait_until="networkidle")
    p.evaluate("document.fonts.ready")
    loaded = p.evaluate("[...document.fonts].filter(f => f.family.replace(/['\"]/g, '') === 'Noto Sans KR'"
                        " && f.status === 'loaded').length")
    assert loaded >= 1, "no piece of Noto Sans KR was loaded"
    family = p.evaluate("getComputedStyle(document.querySelector('.bd-article p')).fontFamily")
    assert family.startswith('"Noto Sans KR"'), family
    # Two different syllables drawn: glyphs differ, boxes (no font) are all the same
    draw = """async (font) => { await document.fonts.load(font, '미가'); const c = document.createElement('canvas'); c.width = 64; c.height = 64;
      const g = c.getContext('2d'); const pix = (ch) => { g.clearRect(0, 0, 64, 64); g.font = font;
      g.fillText(ch, 4, 48); return Array.from(g.getImageData(0, 0, 64, 64).data).join(); };
      return [pix('미'), pix('가')]; }"""
    mi, ga = p.evaluate(draw, '40px "Noto Sans KR"')
    assert mi != ga, "Hangul drawn as boxes"
    # and without the web font this browser has none: the check above can fail
    mi, ga = p.evaluate(draw, "40px sans-serif")
    assert mi == ga, "this browser found a Korean font of the system's; the check proves nothing"


@pytest.mark.parametrize("term, expected", [("미니배치", "notebooks/ko/03_mlp_image_classifier"),
                                            ("confusion", "notebooks/03_mlp_image_classifier")])
def test_search_finds_korean_and_english(term, expected, base_url, watched):
    p = watched.page
    p.goto(f"{base_url}search.html?q={urllib.parse.quote(term)}")
    p.wait_for_selector("#search-results ul.search li a", timeout=30_000)
    hits = p.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    assert any(h.split("#")[0].endswith(f"/{expected}.html") for h in hits), hits
    assert not watched.errors and not watched.outside


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_prose_reads_at_a_phones_width(page, base_url, browser):
    w = Watched(browser, viewport={"width": 375, "height": 800})
    try:
        w.page.goto(url_of(base_url, page.docname), wait_until="networkidle")
        width = w.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{page.docname} scrolls sideways at 375 px ({width} px wide)"
    finally:
        w.close()
