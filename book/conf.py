"""Sphinx settings for the course's website; tools/book.py runs Sphinx with them (`make book`).

The page list, each page's language and counterpart and its buttons come from tools/book.py.
Nothing here fetches anything: the theme's assets, the Korean font and the math (MathML, made
at build time from the notebooks' LaTeX by latex2mathml) all ship inside build/book/.
"""

import os
import sys
from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import book  # noqa: E402  (tools/book.py)
from colab import repository_url  # noqa: E402

project = "dlcourse"
html_title = "dlcourse: deep learning with PyTorch"
language = "en"
extensions = ["myst_nb"]
nb_execution_mode = "off"  # the committed notebooks as executed: never run here
nb_merge_streams = True
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 4  # GitHub's anchors (#quick-start), as the READMEs link them
myst_dmath_double_inline = True
html_theme = "sphinx_book_theme"
html_theme_options = {
    "repository_url": repository_url(ROOT),
    "use_repository_button": True,
    "use_download_button": False,  # each notebook page has its own .ipynb download
    "use_fullscreen_button": False,
    "article_header_end": ["dlcourse-buttons.html", "article-header-buttons.html"],
    "show_navbar_depth": 1,
}
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["fonts/noto-sans-kr.css", "dlcourse.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_math_renderer = "mathml"
suppress_warnings = ["mystnb.unknown_mime_type"]


def _visit_math(self, node):
    self.body.append(convert(node.astext(), display="inline"))
    raise nodes.SkipNode


def _visit_math_block(self, node):
    self.body.append(f'<div class="math-display">{convert(node.astext(), display="block")}</div>')
    raise nodes.SkipNode


def _static_fonts(app, config):
    config.html_static_path.append(os.path.join(app.srcdir, "_static"))  # the font tools/book.py shipped


def _page(app, pagename, templatename, context, doctree):
    page = _PAGES.get(pagename)
    if page is not None:
        context["dlcourse"] = book.page_context(page, app.config.dlcourse_hub_url, ROOT)
        context["language"] = page.lang  # <html lang="ko"> on the Korean pages


_PAGES = {p.docname: p for p in book.pages(ROOT)}


def setup(app):
    app.add_config_value("dlcourse_hub_url", "", "html")
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_math_block, None))
    app.connect("config-inited", _static_fonts)
    app.connect("html-page-context", _page)
