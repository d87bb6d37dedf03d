"""JupyterLab in a real browser: Debian's Chromium, driven by Playwright, against JupyterLab on loopback.

Notebook 01 is run through the UI as a learner would: Run All Cells on the notebook as shipped
(checked for errors, for its known results on screen, and for 0 exercises passed), then every
exercise cell filled in with its solution and Run All Cells again in the same kernel (every
exercise passes, the metric floors hold, the same metrics as the first run): the same two runs
test_notebooks.py makes of the other notebooks, which leaves its own run of 01 out when this one
runs. Every other notebook is opened and must render with its stored outputs. The server serves
a temporary copy of notebooks/ (so nothing is saved over the course; 01 with METRICS_PATH set
the way papermill sets parameters) with its config, runtime and IPython folders in the test's
temp folder. On failure a screenshot is saved
under the test's temp folder and its path is added to the error.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

import dlcourse
from test_notebooks import HANGUL, check_both_runs, exercise_count, solved_notebook

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one JupyterLab for them all

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KOREAN = sorted((ROOT / "notebooks" / "ko").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
RUN_TIMEOUT = 900  # seconds for notebook 01 to run through the UI on a slow CPU
# Lab settings for a predictable page: no news pop-up, every cell in the DOM (no virtual scrolling).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` (Debian's browser; "
                "Playwright must never download one)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the playwright package is missing: `pip install -e '.[test]'`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_parameterized(nb_path: Path, out: Path, metrics_path: Path) -> None:
    """The notebook with papermill's injected-parameters cell: DEVICE cpu, SEED 0, METRICS_PATH set."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(nb_path)),
                               {"DEVICE": "cpu", "SEED": 0, "METRICS_PATH": str(metrics_path)})
    nbformat.write(nb, out)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab from this environment on a free loopback port; yields (base URL, token, root)."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    root.mkdir()
    for nb in NOTEBOOKS[1:]:
        shutil.copy2(nb, root / nb.name)
    (root / "ko").mkdir()
    for nb in KOREAN:
        shutil.copy2(nb, root / "ko" / nb.name)
    _write_parameterized(NOTEBOOKS[0], root / NOTEBOOKS[0].name, tmp / "metrics01.json")
    config = tmp / "jupyter-config"
    for name, settings in LAB_SETTINGS.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "IPYTHONDIR": str(tmp / "ipython"), "TQDM_DISABLE": "1"}
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "jupyterlab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={root}", "--NotebookNotary.db_file=:memory:", "--allow-root",
             "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: to fill in the exercise cells
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                request = urllib.request.Request(f"{base}/api/status", headers={"Authorization": f"token {token}"})
                urllib.request.urlopen(request, timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; its log ends:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token, root, tmp / "metrics01.json"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's Chromium with a fresh profile in a temp folder (never a downloaded browser)."""
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS, headless=True, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(120_000)
        yield context
        context.close()


@pytest.fixture
def page(browser):
    """A new tab, closed after the test."""
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()


@contextmanager
def screenshot_on_failure(page, tmp_path: Path):
    try:
        yield
    except BaseException as exc:
        shot = tmp_path / "failure.png"
        try:  # show the first error output, if any
            page.evaluate("""() => document.querySelector(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')?.scrollIntoView()""")
            page.screenshot(path=str(shot), full_page=True)
            exc.add_note(f"screenshot of the page: {shot}")
        except Exception as shot_error:  # the page itself may be gone
            exc.add_note(f"no screenshot ({shot_error})")
        raise


def open_notebook(page, lab, name: str, workspace: str):
    """Open a notebook in its own workspace (no tabs restored from earlier tests); wait for the kernel."""
    base, token = lab[:2]
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    wait_for_kernel_idle(page)


def wait_for_kernel_idle(page, timeout: float = 180):
    # the status bar reads "Python 3 (ipykernel) | Idle" once the kernel is started and connected
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
                    .some(e => /\\| Idle$/.test(e.textContent.trim()))""", timeout=timeout * 1000)


def click_menu(page, menu: str, item: str):
    page.click(f".lm-MenuBar-itemLabel:text-is('{menu}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


# `count` comes from the cell's model: a cell whose input is collapsed (the Colab setup cell) shows no prompt.
CELLS_JS = """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map((c, i) => ({
    code: c.classList.contains('jp-CodeCell'),
    prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
    count: ((window.jupyterapp?.shell.currentWidget?.content?.widgets || [])[i]?.model.executionCount) ?? null,
    text: Array.from(c.querySelectorAll('.jp-OutputArea-output')).map(o => o.textContent).join('\\n'),
    outputs: c.querySelectorAll('.jp-OutputArea-output').length,
    images: c.querySelectorAll('.jp-OutputArea-output img').length,
    errors: Array.from(c.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
        .map(o => o.textContent).filter(t => /Traceback|Error\\b/.test(t)),
}))"""


def cells(page) -> list[dict]:
    return page.evaluate(CELLS_JS)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _stored_outputs(cell: dict) -> list[dict]:
    return cell.get("outputs", []) if cell["cell_type"] == "code" else []


def run_all(page, metrics_path: Path) -> list[dict]:
    """Run All Cells; wait until the notebook wrote its metrics and no cell is queued or running."""
    metrics_path.unlink(missing_ok=True)
    click_menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        now = cells(page)
        errors = [(i, e) for i, c in enumerate(now) for e in c["errors"]]
        assert not errors, f"cells show errors: {errors[:3]}"
        if metrics_path.exists() and not any("*" in c["prompt"] for c in now):
            wait_for_kernel_idle(page)
            now = cells(page)
            if not any("*" in c["prompt"] for c in now):
                break
        assert time.monotonic() < deadline, f"Run All still running after {RUN_TIMEOUT} s"
        time.sleep(1)
    not_run = [i for i, c in enumerate(now) if c["code"] and c["count"] is None]
    assert not not_run, f"cells {not_run} did not run"
    return now


FILL_IN_JS = """(sources) => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    for (const [i, source] of Object.entries(sources)) cells[Number(i)].model.sharedModel.setSource(source);
}"""


def test_notebook_01_runs_through_the_ui(lab, page, tmp_path):
    nb_path = NOTEBOOKS[0]
    assert nb_path.name.startswith("01_")
    stored = json.loads(nb_path.read_text())
    served = json.loads((lab[2] / nb_path.name).read_text())  # with the injected-parameters cell
    injected = next(i for i, c in enumerate(served["cells"])
                    if "injected-parameters" in c["metadata"].get("tags", []))
    metrics_path = lab[3]
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, nb_path.name, "run01")
        click_menu(page, "Edit", "Clear Outputs of All Cells")
        assert all(c["outputs"] == 0 for c in cells(page)), "outputs were not cleared"

        # Run 1, as shipped.
        now = run_all(page, metrics_path)
        shipped = json.loads(metrics_path.read_text())
        shown = now[:injected] + now[injected + 1:]  # matched to the committed cells
        assert len(shown) == len(stored["cells"])

        # Known results: the device-independent outputs nbval compares (cells marked
        # NBVAL_CHECK_OUTPUT) are on screen, line by line, as stored in the committed notebook.
        known = [(i, o) for i, c in enumerate(stored["cells"])
                 if c["cell_type"] == "code" and "NBVAL_CHECK_OUTPUT" in "".join(c["source"])
                 for o in _stored_outputs(c) if o["output_type"] == "stream"]
        assert known, "notebook 01 has no NBVAL_CHECK_OUTPUT cell with printed output to look for"
        for i, output in known:
            for line in "".join(output["text"]).splitlines():
                assert _squash(line) in _squash(shown[i]["text"]), f"cell {i}: {line!r} is not on screen"

        # Run 2, in the same kernel: the learner fills in every exercise (the reference solutions).
        solved = solved_notebook(nb_path)
        sources = {i + (i > injected - 1): solved.cells[i].source for i, c in enumerate(stored["cells"])
                   if "exercise" in c["metadata"].get("tags", [])}
        page.evaluate(FILL_IN_JS, sources)
        run_all(page, metrics_path)
        check_both_runs(nb_path.name, shipped, json.loads(metrics_path.read_text()), exercise_count(stored))

        # Save through the UI (a temp copy) and read what the kernel produced: no error outputs.
        click_menu(page, "File", "Save Notebook")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')")
        saved = json.loads((lab[2] / nb_path.name).read_text())
        kinds = [o["output_type"] for c in saved["cells"] for o in _stored_outputs(c)]
        assert "error" not in kinds


def test_the_kernel_imports_dlcourse_from_this_environment(lab, page, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(metadata=json.loads(NOTEBOOKS[0].read_text())["metadata"])
    nb.cells = [nbformat.v4.new_code_cell('import sys, dlcourse\nprint("prefix:", sys.prefix)\n'
                                          'print("dlcourse:", dlcourse.__version__, dlcourse.__file__)')]
    nbformat.write(nb, lab[2] / "kernel_check.ipynb")
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, "kernel_check.ipynb", "kernel")
        click_menu(page, "Run", "Run All Cells")
        page.wait_for_function("() => /\\[1\\]/.test(document.querySelector('.jp-InputPrompt').textContent)")
        wait_for_kernel_idle(page)
        text = _squash(cells(page)[0]["text"])
        assert f"prefix: {sys.prefix}" in text
        assert f"dlcourse: {dlcourse.__version__} {dlcourse.__file__}" in text


@pytest.mark.parametrize("nb_path", NOTEBOOKS[1:], ids=lambda p: p.stem)
def test_notebook_renders_with_its_outputs(lab, page, tmp_path, nb_path):
    stored = json.loads(nb_path.read_text())["cells"]
    with_outputs = [i for i, c in enumerate(stored) if _stored_outputs(c)]
    assert with_outputs, f"{nb_path.name} is committed without outputs: run `make execute`"
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, nb_path.name, f"render{nb_path.name[:2]}")
        shown = cells(page)
        assert len(shown) == len(stored)
        for i in with_outputs:
            outputs = _stored_outputs(stored[i])
            images = sum("image/png" in o.get("data", {}) for o in outputs)
            assert shown[i]["outputs"] >= 1, f"cell {i} shows no output"
            assert shown[i]["images"] >= images, f"cell {i} shows {shown[i]['images']} of {images} figures"
            first = next((o for o in outputs if o["output_type"] == "stream"), None)
            if first is not None:
                line = next((ln for ln in "".join(first["text"]).splitlines() if ln.strip()), "")
                assert _squash(line) in _squash(shown[i]["text"]), f"cell {i}: {line!r} is not shown"
        errors = [(i, e) for i, c in enumerate(shown) for e in c["errors"]]
        assert not errors, f"stored outputs show errors: {errors[:3]}"


# Hangul drawn with the font the page uses for the heading: without a Korean font Chromium draws
# every syllable as the same empty box, so two different syllables give the same pixels.
HANGUL_JS = """(el) => {
    const style = getComputedStyle(el);
    const canvas = document.createElement('canvas'); canvas.width = 80; canvas.height = 80;
    const g = canvas.getContext('2d');
    g.font = `${style.fontWeight} 48px ${style.fontFamily}`;
    const ink = (text) => { g.clearRect(0, 0, 80, 80); g.fillText(text, 8, 60);
        return Array.from(g.getImageData(0, 0, 80, 80).data.filter((v, i) => i % 4 === 3)).join(','); };
    const ga = ink('가'), na = ink('나'), box = ink('\\uE000');
    return {font: g.font, drawn: /[1-9]/.test(ga), distinct: ga !== na, notBox: ga !== box};
}"""


def test_a_korean_notebook_renders_hangul(lab, page, tmp_path):
    assert KOREAN, "notebooks/ko/ has no notebooks: run `make ko`"
    nb_path = KOREAN[0]
    title = "".join(json.loads(nb_path.read_text(encoding="utf-8"))["cells"][0]["source"]).splitlines()[0]
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, f"ko/{nb_path.name}", "korean")
        heading = page.wait_for_selector(".jp-RenderedMarkdown h1")
        assert _squash(title.lstrip("# ")) in _squash(heading.text_content()), "the Korean title is not shown"
        glyphs = heading.evaluate(HANGUL_JS)
        page.screenshot(path=str(tmp_path / "korean.png"))
        assert glyphs["drawn"] and glyphs["distinct"] and glyphs["notBox"], (
            f"Hangul shows as empty boxes in Chromium ({glyphs['font']}): no Korean font is installed "
            f"(Debian: apt-get install fonts-nanum); screenshot: {tmp_path / 'korean.png'}")
        shown = cells(page)
        assert any(HANGUL.search(c["text"]) for c in shown), "no Korean output (exercise feedback) is shown"
