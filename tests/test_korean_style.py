"""The Korean text reads as one course: one word per concept, Korean punctuation, sentences a
beginner can follow, the same boilerplate labels in every notebook (docs/glossary.md, CONTRIBUTING).

Read from the sources: the `--- ko ---` parts of notebooks/ko/translations/*.txt, the Korean
hints in dlcourse/exercises_ko.py, README.ko.md and docs/instructors.ko.md. The glossary itself is
left out of the spelling check: it names the rejected and the community's variants on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlcourse.exercises_ko import KO

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = sorted((ROOT / "notebooks" / "ko" / "translations").glob("*.txt"))
DOCS_KO = [ROOT / "README.ko.md", ROOT / "docs" / "instructors.ko.md"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")

# One concept, one word: the chosen word, then the variants the Korean text must not use.
# Sources in docs/glossary.md (tutorials-kr's glossary, the talk's write-ups, the standard spelling).
ONE_WORD = [
    ("과적합", ["과대적합", "오버피팅"]),
    ("특징", ["특성"]),  # feature, feature map (tutorials-kr: feature -> 특징)
    ("에지", ["엣지", "경계선", "가장자리"]),  # edge, as a kernel finds it
    ("윈도", ["윈도우"]),  # window (외래어 표기법)
    ("에포크", ["에폭"]),
    ("기울기", ["변화도", "그래디언트"]),
    ("층", ["계층"]),
    ("파라미터", ["매개변수"]),
    ("미니배치", ["미니 배치"]),
    ("라벨", ["레이블"]),
    ("연습 문제", ["연습문제"]),
    ("미세 조정", ["파인튜닝", "파인 튜닝"]),
    ("사전 학습", ["사전학습", "프리트레인"]),
    ("발표", ["강연"]),  # the talk
    ("과정", ["강좌"]),  # the course
    ("흑백", ["회색조", "그레이스케일"]),  # grayscale (notebook 01 glosses 흑백(grayscale); 01, 03-07 and the hints)
]
# A particle written for the word an agreed term replaced (강좌가 -> 과정가): 과정 ends in a
# consonant (과정이, 과정을, 과정은, 과정과, 과정으로), 발표 in a vowel (발표가, 발표를, 발표는, 발표와, 발표로).
WRONG_PARTICLE = re.compile(r"(?:과정(?:가|를|는|와|로)|발표(?:을|은|과|으로))(?![\uac00-\ud7a3])")
# The boilerplate labels of a notebook's first cell and its end, and the variants they replaced.
LABELS = {
    "**이 노트북에서 배울 내용.**": ["배우는 내용", "배우는 것:", "배울 내용:"],
    "**발표에서의 위치.**": ["발표와의 연결", "이 노트북의 위치", "발표에서의 위치**"],
    "## 요약": ["## 정리"],
    "## 확인 문제": [],
}
MAX_SENTENCE = 200  # characters
SENTENCE_END = re.compile(r"(?<=[.?!])(?=\s)|(?<=[.?!]\*)(?=\s)|(?<=[.?!]\*\*)|\n\s*\n")
COLON_AFTER_SENTENCE = re.compile(r"[\uac00-\ud7a3]*(?:니다|세요|습니다|봅니다|까요|어요|해요)\s*:(?!\S*\*\*)")


def korean_parts(path: Path, kinds: tuple[str, ...] = ("markdown", "code")) -> str:
    """The Korean of a translation file's entries of these kinds (the `--- ko ---` blocks)."""
    parts, keep, kind = [], False, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== cell "):
            kind, keep = line.split()[3], False
        elif line == "--- ko ---":
            keep = kind in kinds
        elif line == "--- en ---":
            keep = False
        elif keep:
            parts.append(line)
    return "\n".join(parts)


def korean_sources() -> dict[str, str]:
    texts = {p.relative_to(ROOT).as_posix(): korean_parts(p) for p in TRANSLATIONS}
    texts.update({p.relative_to(ROOT).as_posix() + " (markdown)": korean_parts(p, ("markdown",)) for p in TRANSLATIONS})
    texts["dlcourse/exercises_ko.py"] = "\n".join(KO.values())
    texts.update({p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in DOCS_KO})
    return texts


def rejected_words(text: str) -> list[str]:
    return [f"{bad} (use {good})" for good, bads in ONE_WORD for bad in bads if bad in text]


def wrong_particles(text: str) -> list[str]:
    return WRONG_PARTICLE.findall(text)


def colons_after_sentences(text: str) -> list[str]:
    return [m.group(0) for m in COLON_AFTER_SENTENCE.finditer(text)]


def prose(text: str) -> str:
    """Markdown prose: code blocks, inline code, links' targets, table rows and HTML tags dropped."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "C", text)
    text = re.sub(r"\]\([^)\s]*\)", "]", text)
    text = re.sub(r"<[^>\n]+>", " ", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("|", "#", "print(")))


def long_sentences(text: str, limit: int = MAX_SENTENCE) -> list[str]:
    sentences = SENTENCE_END.split(prose(text))
    flat = (re.sub(r"\s+", " ", s).strip() for s in sentences if s)
    return [s[:60] + "..." for s in flat if HANGUL.search(s) and len(s) >= limit]


# -- the rules work (a planted fault is caught) --

def test_the_checks_catch_planted_faults():
    assert rejected_words("특성 맵에 2x2 윈도우로 풀링합니다.") == ["특성 (use 특징)", "윈도우 (use 윈도)"]
    assert rejected_words("회색조 이미지를 세 채널로 복제합니다.") == ["회색조 (use 흑백)"]
    assert wrong_particles("이 과정가 만든 가중치와 발표을 따라갑니다.") == ["과정가", "발표을"]
    assert wrong_particles("이 과정이 만든 가중치와 발표를 따라갑니다. 과정과 발표로") == []
    assert colons_after_sentences("패딩은 양쪽에 테두리를 붙입니다: 2 * padding") == ["붙입니다:"]
    assert colons_after_sentences("아직 남은 문제: 02.1") == []  # a label, not a sentence
    assert colons_after_sentences("**해 보세요.** `LR`") == []
    planted = "이 문장은 " + "아주 " * 70 + "깁니다. 짧은 문장입니다."
    assert len(long_sentences(planted)) == 1
    assert long_sentences("짧은 문장입니다. 다음 문장도 짧습니다.") == []


# -- the Korean sources --

@pytest.mark.parametrize("name", sorted(n for n in korean_sources() if not n.endswith("(markdown)")))
def test_one_word_per_concept(name):
    assert rejected_words(korean_sources()[name]) == [], f"{name}: a variant of an agreed term"


@pytest.mark.parametrize("name", sorted(n for n in korean_sources() if not n.endswith("(markdown)")))
def test_particles_fit_the_agreed_words(name):
    assert wrong_particles(korean_sources()[name]) == [], f"{name}: a particle for the replaced word"


@pytest.mark.parametrize("name", sorted(n for n in korean_sources() if not n.endswith(".txt")))
def test_no_ascii_colon_after_a_korean_sentence(name):
    assert colons_after_sentences(korean_sources()[name]) == [], (
        f"{name}: end the sentence with a period (a colon after a full sentence is English punctuation)")


def test_no_colon_after_a_sentence_in_any_hint():
    bad = {en: ko for en, ko in KO.items() if colons_after_sentences(ko)}
    assert bad == {}


@pytest.mark.parametrize("path", TRANSLATIONS + DOCS_KO, ids=lambda p: p.name)
def test_no_korean_sentence_of_200_characters(path):
    text = korean_parts(path, ("markdown",)) if path.suffix == ".txt" else path.read_text(encoding="utf-8")
    assert long_sentences(text) == [], f"{path.name}: split these sentences"


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.name)
def test_the_same_boilerplate_labels_in_every_notebook(path):
    text = korean_parts(path)
    assert "**이 노트북에서 배울 내용.**" in text and "**발표에서의 위치.**" in text
    assert "## 확인 문제" in text
    for label, variants in LABELS.items():
        for variant in variants:
            assert variant not in text.replace(label, ""), f"{path.name}: {variant!r}, use {label!r}"


GLOSS = re.compile(r"([\uac00-\ud7a3]+)\(([a-z][a-z \-]+)\)")  # 한글(english)


def glossed_twice(text: str) -> list[str]:
    """English terms glossed in parentheses more than once in one notebook's prose."""
    seen: dict[str, int] = {}
    for m in GLOSS.finditer(text):
        seen[m.group(2)] = seen.get(m.group(2), 0) + 1
    return sorted(term for term, n in seen.items() if n > 1)


def test_the_gloss_check_catches_a_planted_repeat():
    assert glossed_twice("풀링(pooling)을 봅니다. 풀링(pooling)은 가중치가 없습니다.") == ["pooling"]
    assert glossed_twice("풀링(pooling)을 봅니다. 풀링은 가중치가 없습니다.") == []


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.name)
def test_an_english_term_is_glossed_once_per_notebook(path):
    assert glossed_twice(korean_parts(path, ("markdown",))) == [], f"{path.name}: keep the first gloss only"


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.name)
def test_questionnaire_questions_end_alike(path):
    """Every notebook asks its questions in one register: ~나요? / ~가요?, not ~니까? or ~ㄹ까요?."""
    text = korean_parts(path, ("markdown",))
    start = text.find("## 확인 문제")
    questions = text[start:text.find("<summary>", start)]
    assert re.findall(r"\S*(?:니까|까요)\?", questions) == []
