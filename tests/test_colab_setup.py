"""The Colab setup cell: generated from one place, silent outside Colab, installs dlcourse on Colab,
and stops with one line when the installed version is not the one a notebook needs."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import dlcourse

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("colab", ROOT / "tools" / "colab.py")
colab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab)

SOURCE = colab.setup_cell_source(colab.repository_url(), colab.package_version())
# Neither Colab's markers nor an install source may leak in from the environment running the tests.
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if k not in {"COLAB_RELEASE_TAG", "DLCOURSE_SOURCE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
# ... and the cell meets this checkout's dlcourse (the one `make test` installs), whatever else is installed.
CHECKOUT_ENV = {**CLEAN_ENV, "PYTHONPATH": str(ROOT)}


def test_notebooks_and_readme_match_what_the_tool_writes():
    problems = colab.problems(ROOT)
    assert not problems, "\n".join(problems) + "\nrun: python tools/colab.py"


def test_stamping_inserts_one_cell_after_the_first_markdown_and_is_idempotent():
    nb = json.loads((ROOT / "notebooks" / "03_mlp_image_classifier.ipynb").read_text())
    others = [c for c in nb["cells"] if "colab-setup" not in c.get("metadata", {}).get("tags", [])]
    once = colab.stamped(nb, SOURCE)
    assert [c for i, c in enumerate(once["cells"]) if i != 1] == others
    assert once["cells"][0]["cell_type"] == "markdown" and "".join(once["cells"][1]["source"]) == SOURCE
    assert "parameters" not in once["cells"][1]["metadata"]["tags"]
    assert colab.notebook_text(colab.stamped(once, SOURCE)) == colab.notebook_text(once)


def test_repository_address_is_written_by_hand_only_in_pyproject():
    repository = colab.repository_url()
    assert repository.startswith("https://github.com/")
    assert f'f"git+{repository}@v{{V}}")' in SOURCE
    assert f'V = "{dlcourse.__version__}"' in SOURCE  # pinned to this release
    hand_written = [p for d in ("dlcourse", "tools", "tests", "docs", ".ci") for p in (ROOT / d).rglob("*")
                    if p.is_file() and p.suffix in {".py", ".md", ".sh", ""}]
    hand_written += [ROOT / "Makefile", ROOT / "CONTRIBUTING.md", ROOT / "environment.yml"]
    holding = [str(p.relative_to(ROOT)) for p in hand_written
               if p.is_file() and repository in p.read_text(errors="replace")]
    assert holding == [], f"only pyproject.toml may spell out the repository address: {holding}"


def test_the_cell_is_a_few_lines_collapsed_and_installs_dlcourse_alone():
    assert len(SOURCE.splitlines()) <= 9, SOURCE
    assert SOURCE.startswith("# Setup: ")  # the cell's heading comment first, as every cell's
    pip_line = next(line for line in SOURCE.splitlines() if '"pip", "install"' in line)
    assert '"--no-deps", f"dlcourse @ {SRC}"]' in pip_line  # never jupyterlab or torch on Colab
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cell = next(c for c in json.loads(path.read_text())["cells"] if colab.SETUP_TAG in c["metadata"].get("tags", []))
        assert cell["metadata"]["jupyter"]["source_hidden"] is True, path.name


def _run_in_a_kernel(tmp_path, cells, env):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in cells] + [nbformat.v4.new_code_cell('print("should not run")')]
    client = NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False)
    with pytest.raises(Exception):
        client.execute(cwd=str(tmp_path), env=env)
    assert nb.cells[-1].outputs == []
    return nb


def test_when_pip_cannot_install_dlcourse_it_stops_with_one_line_saying_why(tmp_path):
    # On Colab (its marker) with a source that does not exist: pip fails before it installs anything.
    missing = (tmp_path / "no-such-dlcourse").as_uri()
    nb = _run_in_a_kernel(tmp_path, [SOURCE], {**CHECKOUT_ENV, "COLAB_RELEASE_TAG": "test", "DLCOURSE_SOURCE": missing})
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["error"], outputs  # pip's own output stays hidden
    (line,) = outputs[0].traceback
    assert line.startswith(f"This notebook needs dlcourse {dlcourse.__version__}, which pip could not install (")
    assert "no-such-dlcourse" in line and "check the internet connection, then run this cell again." in line


def test_outside_colab_it_prints_nothing_and_imports_no_torch(tmp_path):
    code = SOURCE + "\nimport sys; assert 'torch' not in sys.modules, 'the setup cell imported torch'\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env=CHECKOUT_ENV, timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def test_a_version_mismatch_stops_jupyter_with_one_line(tmp_path):
    # a real kernel, as in JupyterLab: the error's traceback is what the notebook shows
    nb = _run_in_a_kernel(tmp_path, ['import dlcourse\ndlcourse.__version__ = "0.0.0"', SOURCE], CHECKOUT_ENV)
    error = nb.cells[1].outputs[-1]
    assert error.output_type == "error"
    assert error.traceback == [
        f"This notebook needs dlcourse {dlcourse.__version__} but found 0.0.0: run %pip install "
        f'"dlcourse @ git+{colab.repository_url()}@v{dlcourse.__version__}" and restart the kernel '
        "(in a clone of the course, use make lab)."]


@pytest.mark.slow
def test_on_colab_it_installs_dlcourse_into_a_fresh_environment(tmp_path):
    # A fresh virtual environment without dlcourse or torch. The cell installs dlcourse with
    # --no-deps (Colab has torch already), so only the package itself is built and installed,
    # from a copy of this checkout's package files (building in the checkout would leave build/).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    from dlcourse.workshop.bundle import copy_package_sources

    src = copy_package_sources(ROOT, tmp_path / "src")
    probe = "import dlcourse; print(dlcourse.__version__, dlcourse.__file__)"

    # Outside Colab: nothing is installed, and the cell stops with its one-line message.
    outside = subprocess.run([python, "-c", SOURCE], capture_output=True, text=True, cwd=tmp_path,
                             env={**CLEAN_ENV, "DLCOURSE_SOURCE": src.as_uri()}, timeout=120)
    assert outside.returncode != 0
    assert f"needs dlcourse {dlcourse.__version__} but found none" in outside.stderr.splitlines()[-1]
    assert subprocess.run([python, "-c", probe], cwd=tmp_path, env=CLEAN_ENV).returncode != 0

    # On Colab (its marker, forced): the cell installs from the pointed-at source, then passes.
    colab_env = {**CLEAN_ENV, "COLAB_RELEASE_TAG": "test", "DLCOURSE_SOURCE": src.as_uri()}
    run = subprocess.run([python, "-c", SOURCE], capture_output=True, text=True, cwd=tmp_path,
                         env=colab_env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    version, location = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True,
                                       cwd=tmp_path, env=CLEAN_ENV).stdout.split()
    assert version == dlcourse.__version__
    assert Path(location).is_relative_to(venv)


def test_the_korean_readme_has_a_row_and_colab_badge_for_every_notebook_in_korean():
    text = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    github = colab.repository_url().removeprefix("https://github.com/")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        url = f"https://colab.research.google.com/github/{github}/blob/v{dlcourse.__version__}/notebooks/ko/{path.name}"
        assert f"](notebooks/ko/{path.name}) | " in text and f"]({url}) |" in text, path.name


def test_the_korean_table_keeps_korean_descriptions_and_links_notebooks_ko(tmp_path):
    # Two English notebooks; the Korean README's table has a hand-written row for the first only.
    (tmp_path / "notebooks" / "ko").mkdir(parents=True)
    for name, title in [("01_first.ipynb", "# 01 · The first"), ("02_second.ipynb", "# 02 · The second")]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(title)])
        (tmp_path / "notebooks" / name).write_text(nbformat.writes(nb), encoding="utf-8")
    notebooks = sorted((tmp_path / "notebooks").glob("*.ipynb"))
    header = colab.READMES["README.ko.md"][1]
    readme = (f"English: [README.md](README.md)\n\n{colab.TABLE_START}\n{header}\n|---|---|---|---|\n"
              "| 01 | [첫 노트북](notebooks/ko/01_first.ipynb) | 한국어 설명 | [![Open in Colab](old)](old) |\n"
              f"{colab.TABLE_END}\n\n## 빠르게 시작하기\n")
    badge = "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    url = "https://colab.research.google.com/github/o/r/blob/v9.9/notebooks/ko/"

    out = colab.readme_with_table(readme, notebooks, "https://github.com/o/r", "9.9", "README.ko.md")
    assert f"| 01 | [첫 노트북](notebooks/ko/01_first.ipynb) | 한국어 설명 | {badge}({url}01_first.ipynb) |" in out
    # no Korean notebook yet: the new row takes the English title, to be translated by hand
    assert f"| 02 | [second](notebooks/ko/02_second.ipynb) | The second | {badge}({url}02_second.ipynb) |" in out
    assert out.startswith("English: [README.md](README.md)\n") and out.endswith("## 빠르게 시작하기\n")
    assert colab.readme_with_table(out, notebooks, "https://github.com/o/r", "9.9", "README.ko.md") == out

    # once the Korean notebook is built, a new row takes its title
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 02 · 두 번째 노트북")])
    (tmp_path / "notebooks" / "ko" / "02_second.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    out = colab.readme_with_table(readme, notebooks, "https://github.com/o/r", "9.9", "README.ko.md")
    assert "| 02 | [second](notebooks/ko/02_second.ipynb) | 두 번째 노트북 |" in out
    # the English README's table is untouched by any of this: its rows link notebooks/ directly
    english = readme.replace("notebooks/ko/", "notebooks/").replace(header, colab.READMES["README.md"][1])
    out = colab.readme_with_table(english, notebooks, "https://github.com/o/r", "9.9")
    assert "| 02 | [second](notebooks/02_second.ipynb) | The second |" in out and "notebooks/ko/" not in out
