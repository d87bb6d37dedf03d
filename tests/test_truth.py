"""Every committed notebook's text is true to its own outputs, and its outputs are one run.

1. A run's figures in prose go stale at the next execution. A markdown cell may quote a timing
   (ms, s, min, 초, 분) or, in a sentence about this run ("here", "this run", "stored", "이번
   실행", "여기"), an accuracy or loss, only if the notebook's OWN outputs show that number: the
   Korean notebook against the Korean outputs, never the English ones.
2. Outputs of two runs mixed in one notebook: tools/execute.py (used by `make execute` and by
   tools/translate.py) seals each notebook's outputs with a hash as its one run left them.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) + sorted(NOTEBOOK_DIR.glob("ko/[0-9][0-9]_*.ipynb"))
IDS = [f"{p.parent.name}/{p.stem}" if p.parent != NOTEBOOK_DIR else p.stem for p in NOTEBOOKS]


def _load_executor():
    spec = importlib.util.spec_from_file_location("dlcourse_execute_tool", ROOT / "tools" / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


executor = _load_executor()

NUMBER = r"(\d+(?:[.,]\d+)*)"
UNIT_FAMILY = {"ms": "ms", "millisecond": "ms", "milliseconds": "ms", "s": "s", "sec": "s", "second": "s",
               "seconds": "s", "초": "s", "min": "min", "minute": "min", "minutes": "min", "분": "min"}
TIMING = re.compile(NUMBER + r"\s*(?:(ms|milliseconds?|s|sec|seconds?|min|minutes?)(?![A-Za-z])|(초|분(?!의)))")
THIS_RUN = re.compile(r"\b(?:here|this run|stored|this copy)\b|이번 실행|여기|저장된 실행", re.IGNORECASE)
RESULT = re.compile(r"(?<![\d.])(\d+\.\d+|\d+(?:\.\d+)?\s*%)")
SENTENCE = re.compile(r"(?:[^.!?。\n]|\.(?=\d))+(?:[.!?。]|$)")  # "0.75" does not end one


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def outputs_text(nb: dict) -> str:
    """Everything the code cells printed or displayed as text."""
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            parts.append(_text(out.get("text", "")))
            parts += [_text(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


def _shown(number: str, family: str | None, outputs: str) -> bool:
    """Whether an output shows `number` (rounded as the text rounds it; with a unit of `family`, if given)."""
    flat, want = outputs.replace(",", ""), number.replace(",", "")
    decimals = len(want.split(".")[1]) if "." in want else 0
    for m in re.finditer(r"(?<![\d.])\d+(?:\.\d+)?", flat):
        if f"{float(m.group()):.{decimals}f}" != want:
            continue
        unit = TIMING.match(flat, m.start())
        if family is None or (unit and UNIT_FAMILY[unit.group(2) or unit.group(3)] == family):
            return True
    return False


def stale_figures(nb: dict, name: str) -> list[str]:
    """Each run-dependent figure a markdown cell quotes that the notebook's own outputs do not show."""
    outputs, found = outputs_text(nb), []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = re.sub(r"`[^`]*`", "", _text(cell["source"]))  # code spans are code, not figures
        for m in TIMING.finditer(text):
            family = UNIT_FAMILY[m.group(2) or m.group(3)]
            if not _shown(m.group(1), family, outputs):
                found.append(f"{name} cell {index} (id {cell.get('id')}): the text says {m.group(0)!r}, "
                             "which no output of this notebook shows")
        for sentence in SENTENCE.findall(re.sub(r"(?<!\n)\n(?!\n)", " ", text)):  # one line per sentence
            if THIS_RUN.search(sentence):
                for m in RESULT.finditer(sentence):
                    number = m.group(1).rstrip(" %")
                    if not TIMING.match(sentence, m.start()) and not _shown(number, None, outputs):
                        found.append(f"{name} cell {index} (id {cell.get('id')}): the text says {m.group(1)!r} "
                                     f"of this run ({sentence.strip()[:80]!r}), which no output shows")
    return found


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# --- 1. figures in the text are the outputs' figures ----------------------------------------------

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_the_text_quotes_no_figure_its_own_outputs_do_not_show(nb):
    found = stale_figures(_read(nb), str(nb.relative_to(ROOT)))
    assert not found, "say it without the number, or point at the output:\n" + "\n".join(found)


def _planted(nb: dict, text: str) -> list[str]:
    """What the check finds in a copy of `nb` with `text` added to its last markdown cell, and only there."""
    planted = copy.deepcopy(nb)
    markdown = [c for c in planted["cells"] if c["cell_type"] == "markdown"]
    markdown[-1]["source"] = _text(markdown[-1]["source"]) + "\n\n" + text
    before = set(stale_figures(nb, "nb"))
    return [f for f in stale_figures(planted, "nb") if f not in before]


def test_a_planted_stale_figure_fails_in_each_language():
    english = _read(NOTEBOOK_DIR / "07_transfer_learning.ipynb")
    korean = _read(NOTEBOOK_DIR / "ko" / "07_transfer_learning.ipynb")
    assert _planted(english, "One pass takes about 987 s on our machine.")
    assert _planted(korean, "한 바퀴에 약 987초가 걸립니다.")
    assert _planted(korean, "한 바퀴에 21 ms가 걸립니다.")
    assert _planted(english, "In the run stored here the accuracy was 0.9876.")
    assert _planted(korean, "이번 실행의 정확도는 98.76 %입니다.")
    assert not _planted(korean, "이미지의 10분의 1을 씁니다.")  # a fraction, not minutes


def test_a_figure_its_own_outputs_show_passes_and_the_other_languages_is_checked_against_its_own():
    english = _read(NOTEBOOK_DIR / "03_mlp_image_classifier.ipynb")
    korean = _read(NOTEBOOK_DIR / "ko" / "03_mlp_image_classifier.ipynb")
    for nb, own, other in ((korean, "여기서는 {}입니다.", english), (english, "Here it took {}.", korean)):
        timings = list(TIMING.finditer(outputs_text(nb)))
        assert timings, "03 prints timings (section 4)"
        for m in timings:
            quote = f"{m.group(1)} {m.group(2) or m.group(3)}"
            assert not _planted(nb, own.format(quote)), quote
        # a timing only the other language's run printed is stale here
        theirs = [m for m in TIMING.finditer(outputs_text(other))
                  if not _shown(m.group(1), UNIT_FAMILY[m.group(2) or m.group(3)], outputs_text(nb))]
        for m in theirs:
            assert _planted(nb, own.format(f"{m.group(1)} {m.group(2) or m.group(3)}"))


# --- 2. one run per notebook -----------------------------------------------------------------------

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_the_outputs_are_one_run(nb):
    assert executor.sealed(_read(nb)), (
        f"{nb.relative_to(ROOT)}: its outputs are not the one run that tools/execute.py sealed "
        "(outputs copied from another run, edited, or merged): re-execute it (`make execute`)")


def test_a_planted_mixed_run_fails():
    korean = _read(NOTEBOOK_DIR / "ko" / "01_model_concept.ipynb")
    english = _read(NOTEBOOK_DIR / "01_model_concept.ipynb")
    assert executor.sealed(korean)
    # what the old build did: cells whose output does not depend on the language from the English run
    mixed = copy.deepcopy(korean)
    swapped = 0
    for cell, en in zip(mixed["cells"], english["cells"]):
        if cell["cell_type"] == "code" and cell.get("outputs") != en.get("outputs"):
            cell["outputs"] = copy.deepcopy(en["outputs"])
            swapped += 1
            break
    if not swapped:  # the two runs agree everywhere: plant another run's timing instead
        cell = next(c for c in mixed["cells"] if c["cell_type"] == "code" and c.get("outputs"))
        cell["outputs"] = copy.deepcopy(cell["outputs"]) + [{"output_type": "stream", "name": "stdout",
                                                             "text": "one epoch: 6.9 s\n"}]
    assert not executor.sealed(mixed)
    # one cell's execution count from another run is a mixed run too
    renumbered = copy.deepcopy(korean)
    code = [c for c in renumbered["cells"] if c["cell_type"] == "code"]
    code[0]["execution_count"] += 100
    assert not executor.sealed(renumbered)
