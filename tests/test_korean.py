"""The Korean edition (notebooks/ko/) is the English course, translated, and never drifts from it.

tools/translate.py builds each Korean notebook from its English notebook and a translation file
whose entries keep the English they translate. Here: every translation is complete and current
(an English cell changed without its translation fails, naming the notebook and cell); every
committed Korean notebook is the build's output; its code is the English code token for token.
Each Korean notebook runs in a real kernel, solved, after its English notebook in the same kernel
(test_notebooks.py): the same metrics, Korean feedback, no missing glyph.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from test_notebooks import MISSING_GLYPH

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load_tool():
    spec = importlib.util.spec_from_file_location("translate_tool", ROOT / "tools" / "translate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"])


# --- one source: complete, current, built -----------------------------------------------------

@pytest.mark.parametrize("nb", ENGLISH, ids=lambda p: p.stem)
def test_translation_is_complete_and_current(nb):
    found = tool.problems(nb)
    assert not found, ("the Korean translation does not match the English notebook "
                       "(fix it, then `make ko`):\n" + "\n".join(found))


@pytest.mark.parametrize("nb", ENGLISH, ids=lambda p: p.stem)
def test_korean_notebook_is_the_builds_output(nb):
    ko_path = tool.korean_path(nb)
    assert ko_path.exists(), f"notebooks/ko/{nb.name} is missing: run `make ko`"
    committed = json.loads(ko_path.read_text(encoding="utf-8"))
    assert committed["metadata"].get("dlcourse", {}).get("inputs") == tool.inputs_hash(nb), \
        f"notebooks/ko/{nb.name} was not built from the current English notebook and translation: run `make ko`"
    expected = tool.built(nb)
    assert len(committed["cells"]) == len(expected["cells"])
    for i, (got, want) in enumerate(zip(committed["cells"], expected["cells"])):
        where = f"notebooks/ko/{nb.name} cell {i} (id {want.get('id')})"
        assert (got.get("id"), got["cell_type"], _text(got)) == (want.get("id"), want["cell_type"], _text(want)), \
            f"{where} differs from the build (edit the translation, not the Korean notebook; then `make ko`)"
    ko_outputs = json.dumps([c.get("outputs", []) for c in committed["cells"]], ensure_ascii=False)
    assert tool.HANGUL.search(ko_outputs), f"notebooks/ko/{nb.name} shows no Korean output (exercise feedback)"


def test_rebuilding_an_unchanged_tree_changes_nothing():
    # never build here what is out of date (it would execute notebooks and write into the checkout):
    # test_korean_notebook_is_the_builds_output names those
    current = [nb for nb in ENGLISH if tool.up_to_date(nb)]
    assert current == ENGLISH, "some Korean notebooks are out of date: run `make ko`"
    before = {nb: tool.korean_path(nb).read_bytes() for nb in ENGLISH}
    for nb in ENGLISH:
        assert tool.build(nb) == "up to date"
    assert {nb: tool.korean_path(nb).read_bytes() for nb in ENGLISH} == before


@pytest.mark.parametrize("nb", ENGLISH, ids=lambda p: p.stem)
def test_each_notebook_links_the_other_language_and_the_glossary(nb):
    english_top, korean_top = _text(_cells(nb)[0]), _text(_cells(tool.korean_path(nb))[0])
    assert f"(ko/{nb.name})" in english_top and "(../docs/glossary.md)" in english_top
    assert f"(../{nb.name})" in korean_top and "(../../docs/glossary.md)" in korean_top
    assert (ROOT / "docs" / "glossary.md").exists()


# --- the checks can fail: drift, missing entries, code that is not the English code -------------

@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A copy of notebook 02 and its translation in a temp folder, where the tool looks for them."""
    nb = ENGLISH[1]
    (tmp_path / "ko" / "translations").mkdir(parents=True)
    shutil.copy2(nb, tmp_path / nb.name)
    shutil.copy2(tool.translation_path(nb), tmp_path / "ko" / "translations" / f"{nb.stem}.txt")
    monkeypatch.setattr(tool, "TRANSLATIONS", tmp_path / "ko" / "translations")
    return tmp_path / nb.name


def _edit_cell(nb_path: Path, kind: str, change) -> tuple[int, str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    index = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == kind and i > 0)
    nb["cells"][index]["source"] = change(_text(nb["cells"][index]))
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    return index, nb["cells"][index]["id"]


def test_an_english_markdown_change_without_its_translation_fails_naming_the_cell(sandbox):
    assert tool.problems(sandbox) == []
    index, cell_id = _edit_cell(sandbox, "markdown", lambda s: s.replace(" ", " (changed) ", 1))
    found = tool.problems(sandbox)
    assert len(found) == 1
    assert f"notebooks/{sandbox.name} cell {index} (markdown, id {cell_id})" in found[0]
    assert "English changed" in found[0] and "+" in found[0]  # the diff shows what changed


def test_a_new_english_cell_without_a_translation_fails(sandbox):
    nb = json.loads(sandbox.read_text(encoding="utf-8"))
    nb["cells"].insert(3, {"cell_type": "markdown", "id": "new-cell", "metadata": {}, "source": "A new idea."})
    sandbox.write_text(json.dumps(nb), encoding="utf-8")
    found = tool.problems(sandbox)
    assert len(found) == 1 and "cell 3 (markdown, id new-cell)" in found[0] and "no translation" in found[0]


def test_an_english_code_change_fails_and_orphans_are_named(sandbox):
    index, cell_id = _edit_cell(sandbox, "code", lambda s: s + "\nx = 1  # a new line")
    assert any(f"cell {index} (code, id {cell_id})" in p for p in tool.problems(sandbox))
    nb = json.loads(sandbox.read_text(encoding="utf-8"))
    nb["cells"][index]["id"] = "renamed"
    sandbox.write_text(json.dumps(nb), encoding="utf-8")
    assert any(f"cell {cell_id} is not in notebooks/{sandbox.name}" in p for p in tool.problems(sandbox))


def test_a_malformed_translation_file_names_its_line(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("=== cell 0 markdown a ===\n--- ko ---\n안녕하세요\n", encoding="utf-8")
    with pytest.raises(tool.TranslationFileError, match=r"x.txt:2: '--- ko ---' out of place"):
        tool.parse(path)


@pytest.mark.parametrize("korean, ok", [
    ('print("loss:", loss)  # 손실을 출력합니다', True),           # a comment translated
    ('print("손실:", loss)', True),                                 # a message translated
    ('# 손실을 출력합니다\nprint("loss:", loss)', True),            # a comment moved to its own line
    ('print("loss:", loss * 2)', False),                            # the code changed
    ('print("lr:", loss)', False),                                  # a string changed, not translated
    ('print(f"손실: {loss:.2f}")', False),                          # the f-string's placeholder changed
    ('print(f"{loss:.3f}: 손실")', True),                           # words around a placeholder reordered
])
def test_the_korean_code_is_the_english_code_token_for_token(korean, ok):
    english = 'print(f"loss: {loss:.3f}")' if "f\"" in korean else 'print("loss:", loss)'
    assert (tool.code_differences(english, korean) == []) == ok


def test_the_language_setting_is_the_one_code_difference():
    code = 'from dlcourse.exercises import set_language\nset_language("en")'
    assert tool.code_differences(code, code.replace('"en"', '"ko"')) == []
    assert tool.code_differences(code, code.replace('"en"', '"fr"')) != []


def test_the_missing_glyph_check_reads_what_matplotlib_says():
    """A Korean figure label without a Korean font: matplotlib warns with the words that
    test_notebooks.py's Korean run looks for."""
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("손실")  # the course's figures keep English labels for this reason
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    plt.close(fig)
    assert any(MISSING_GLYPH in str(w.message) for w in caught), [str(w.message) for w in caught]
