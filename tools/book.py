"""The course's website: every committed notebook, as executed, in English and Korean, with the READMEs.

    python tools/book.py                      # build the site into build/book/ (what `make book` runs)
    python tools/book.py --hub-url URL        # with an "open in the room server" button on each notebook
    python tools/book.py --out DIR

Sphinx reads the notebooks with myst-nb and never executes them: outputs, figures and math appear
as stored (math is turned into MathML here, at build time: no MathJax, nothing from a CDN). The
pages are README.md (the English landing page, index.html), README.ko.md (index.ko.html),
docs/instructors.md, docs/instructors.ko.md, docs/glossary.md (one page in both languages),
notebooks/NN_name.ipynb and notebooks/ko/NN_name.ipynb, at the same paths as in the repository.
Each page gets a switch to the same page in the other language; each notebook page gets an "Open
in Colab" button (tools/colab.py's address: the release tag of dlcourse's version), a download of
its .ipynb (copied next to its page) and, with --hub-url, a link into the room server's JupyterLab
(`make hub`: each learner's home holds notebooks/ and notebooks/ko/). The reference solutions
(notebooks/solutions/) are never read.

The sources are copied into build/book-src/ first: the setup cell (collapsed in JupyterLab; it
prints nothing outside Colab) is left out, and a link to a file that is not a page becomes a link
to that file on GitHub at the release tag. A link to a file that does not exist stops the build,
naming the page and the link. Hangul is set in Noto Sans KR (SIL Open Font License), shipped with
the site from npm's @fontsource/noto-sans-kr (`make book` installs it into .book/node/): only the
pieces (unicode-range subsets) holding the Hangul the pages use, in two weights, for Hangul only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from colab import SETUP_TAG, colab_url, package_version, repository_url  # noqa: E402

CONF_DIR = ROOT / "book"
FONT_PACKAGE = ROOT / ".book" / "node" / "node_modules" / "@fontsource" / "noto-sans-kr"
FONT_WEIGHTS = (400, 700)
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
LABELS = {  # the buttons' words, in the page's language
    "en": {"switch": "한국어", "colab": "Open in Colab", "download": "Download .ipynb",
           "hub": "Open in the room server", "bilingual": "한국어 · English"},
    "ko": {"switch": "English", "colab": "Colab에서 열기", "download": ".ipynb 내려받기",
           "hub": "실습 서버에서 열기", "bilingual": "한국어 · English"},
}


@dataclass(frozen=True)
class Page:
    source: str  # path in the repository
    docname: str  # Sphinx's name: the page's path in the site without .html
    lang: str  # "en" or "ko"
    counterpart: str | None  # docname of the same page in the other language (None: bilingual page)

    @property
    def notebook(self) -> bool:
        return self.source.endswith(".ipynb")


def pages(root: Path = ROOT) -> list[Page]:
    """Every page of the site, English first. A missing page's file is an error (named)."""
    found = [Page("README.md", "index", "en", "index.ko"),
             Page("docs/instructors.md", "docs/instructors", "en", "docs/instructors.ko")]
    english = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    found += [Page(f"notebooks/{p.name}", f"notebooks/{p.stem}", "en", f"notebooks/ko/{p.stem}")
              for p in english]
    found += [Page("README.ko.md", "index.ko", "ko", "index"),
              Page("docs/instructors.ko.md", "docs/instructors.ko", "ko", "docs/instructors"),
              Page("docs/glossary.md", "docs/glossary", "ko", None)]
    found += [Page(f"notebooks/ko/{p.name}", f"notebooks/ko/{p.stem}", "ko", f"notebooks/{p.stem}")
              for p in english]
    missing = [p.source for p in found if not (root / p.source).is_file()]
    if missing:
        raise SystemExit(f"tools/book.py: the site needs {', '.join(missing)}, which "
                         f"{'is' if len(missing) == 1 else 'are'} missing (make ko builds notebooks/ko/)")
    return found


def page_context(page: Page, hub_url: str = "", root: Path = ROOT) -> dict:
    """What the page's header shows: language switch, Colab, download, room server (tests use it too)."""
    labels = LABELS[page.lang]
    context = {"lang": page.lang, "counterpart": page.counterpart, "labels": labels}
    if page.notebook:
        context["colab"] = colab_url(repository_url(root), package_version(root), page.source)
        context["download"] = Path(page.source).name
        if hub_url:
            context["hub"] = f"{hub_url.rstrip('/')}/hub/user-redirect/lab/tree/{page.source}"
    return context


# [text](target) and ![alt](target), not images given by URL; `<...>` targets are not used here.
REMOTE_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(https?://[^)\s]+\)")
LINK = re.compile(r"(!?\[[^\]\n]*\]\()([^)\s]+)(\))")


def rewrite_links(text: str, source: str, site: dict[str, str], root: Path, release: str) -> str:
    """Links to site pages point at their copies; links to other repository files go to GitHub."""
    here = Path(source).parent

    def fix(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return m.group(0)  # an address, or an anchor in the same page
        path, _, anchor = target.partition("#")
        resolved = (root / here / path).resolve()
        if not resolved.is_relative_to(root):
            raise SystemExit(f"tools/book.py: {source} links {target}, outside the repository")
        repo_path = resolved.relative_to(root).as_posix()
        if repo_path in site:
            new = path if site[repo_path] == repo_path else Path(os.path.relpath(site[repo_path], here)).as_posix()
            return f"{m.group(1)}{new}{'#' + anchor if anchor else ''}{m.group(3)}"
        if not resolved.exists():
            raise SystemExit(f"tools/book.py: {source} links {target}, which does not exist")
        kind = "tree" if resolved.is_dir() else "blob"
        return f"{m.group(1)}{release}/{kind}/v{package_version(root)}/{repo_path}" \
               f"{'#' + anchor if anchor else ''}{m.group(3)}"

    return LINK.sub(fix, text)


def prepare(src: Path, root: Path = ROOT) -> list[Page]:
    """Copy every page into `src` (emptied first), links rewritten, setup cells left out."""
    site_pages = pages(root)
    # repository path -> path of its copy in src (the same, but README.md is the site's index)
    site = {p.source: p.docname + Path(p.source).suffix for p in site_pages}
    if src.exists():
        shutil.rmtree(src)
    release = repository_url(root)
    for page in site_pages:
        text = (root / page.source).read_text(encoding="utf-8")
        out = src / site[page.source]
        out.parent.mkdir(parents=True, exist_ok=True)
        if page.notebook:
            nb = json.loads(text)
            nb["cells"] = [c for c in nb["cells"] if SETUP_TAG not in c.get("metadata", {}).get("tags", [])]
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown":
                    cell["source"] = rewrite_links("".join(cell["source"]), page.source, site, root, release)
            text = json.dumps(nb, ensure_ascii=False, indent=1)
        else:
            # an image from the internet (the READMEs' Colab badges) becomes its text: nothing is fetched
            text = REMOTE_IMAGE.sub(r"\1", rewrite_links(text, page.source, site, root, release))
        if page.docname == "index":  # the root page holds the navigation: both languages
            for lang, caption in (("en", "English"), ("ko", "한국어")):
                docs = [p.docname for p in site_pages if p.lang == lang and p.docname != "index"]
                text += f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n" + "\n".join(docs) + "\n```\n"
        out.write_text(text, encoding="utf-8")
    return site_pages


def hangul_used(src: Path) -> set[str]:
    return {ch for path in src.rglob("*") if path.is_file() and path.suffix in {".md", ".ipynb"}
            for ch in HANGUL.findall(path.read_text(encoding="utf-8"))}


def _ranges(spec: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        lo, _, hi = part.strip().removeprefix("U+").removeprefix("u+").partition("-")
        out.append((int(lo, 16), int(hi or lo, 16)))
    return out


def ship_font(used: set[str], static: Path, package: Path = FONT_PACKAGE) -> int:
    """Copy the Noto Sans KR pieces that hold `used` into static/fonts/; write noto-sans-kr.css.

    Returns the number of font files. Only pieces whose unicode-range holds a character in use,
    each piece's ranges below U+0100 dropped (the theme's fonts set Latin and digits)."""
    if not (package / "400.css").is_file():
        raise SystemExit(f"tools/book.py: the Korean web font is missing ({package.relative_to(ROOT)}): "
                         "run `make book` (it installs @fontsource/noto-sans-kr with npm), or "
                         "npm install --prefix .book/node @fontsource/noto-sans-kr")
    codes = sorted(ord(c) for c in used)
    fonts = static / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    rules = []
    for weight in FONT_WEIGHTS:
        css = (package / f"{weight}.css").read_text(encoding="utf-8")
        for face in re.findall(r"@font-face\s*{[^}]*}", css):
            # Latin and digits stay in the theme's fonts: keep only the piece's ranges past U+00FF
            ranges = [(lo, hi) for lo, hi in _ranges(re.search(r"unicode-range:\s*([^;]+);", face).group(1))
                      if lo > 0xff]
            spec = ",".join(f"U+{lo:x}" + (f"-{hi:x}" if hi != lo else "") for lo, hi in ranges)
            if not any(lo <= c <= hi for c in codes for lo, hi in ranges):
                continue
            woff2 = re.search(r"url\(\./files/([^)]+\.woff2)\)", face).group(1)
            shutil.copyfile(package / "files" / woff2, fonts / woff2)
            rules.append("@font-face {\n  font-family: 'Noto Sans KR';\n  font-style: normal;\n"
                         f"  font-display: swap;\n  font-weight: {weight};\n"
                         f"  src: url(./{woff2}) format('woff2');\n  unicode-range: {spec};\n}}\n")
    shutil.copyfile(package / "LICENSE", fonts / "NotoSansKR-LICENSE.txt")
    (fonts / "noto-sans-kr.css").write_text(
        "/* Noto Sans KR (SIL Open Font License 1.1, NotoSansKR-LICENSE.txt), from @fontsource/noto-sans-kr:\n"
        "   the pieces holding the Hangul this site uses (tools/book.py). */\n" + "\n".join(rules),
        encoding="utf-8")
    return len(rules)


def build(out: Path, hub_url: str = "", root: Path = ROOT, quiet: bool = True) -> None:
    """Build the site into `out` (replaced): sources into out's sibling book-src/, then Sphinx."""
    from sphinx.cmd.build import build_main

    out = out.resolve()
    src = out.parent / f"{out.name}-src"
    site_pages = prepare(src, root)
    static = src / "_static"
    n_fonts = ship_font(hangul_used(src), static)
    if out.exists():
        shutil.rmtree(out)
    doctrees = out.parent / f"{out.name}-doctrees"
    args = ["-b", "html", "-E", "-q" if quiet else "-v", "-W", "--keep-going", "-c", str(CONF_DIR),
            "-d", str(doctrees), "-D", f"dlcourse_hub_url={hub_url}", str(src), str(out)]
    code = build_main(args)
    if code:
        raise SystemExit(f"tools/book.py: Sphinx failed (exit {code}); its messages are above")
    for page in site_pages:
        if page.notebook:  # the download next to its page
            shutil.copyfile(root / page.source, out / page.source)
    print(f"built {len(site_pages)} pages into {out} ({n_fonts} Korean font pieces)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "book", help="default: build/book")
    parser.add_argument("--hub-url", default="",
                        help="the room server's address (e.g. http://10.0.0.5:8000); empty: no button")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    build(args.out, args.hub_url)
    print(f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
