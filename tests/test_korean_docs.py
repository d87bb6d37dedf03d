"""The Korean docs (README.ko.md, docs/instructors.ko.md, docs/glossary.md) stay the same course as
the English ones: the same commands, the same numbers, links that lead somewhere, every agreed term.

Commands are compared with comments removed (a comment may be Korean).
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README, README_KO = ROOT / "README.md", ROOT / "README.ko.md"
GUIDE, GUIDE_KO = ROOT / "docs" / "instructors.md", ROOT / "docs" / "instructors.ko.md"
GLOSSARY = ROOT / "docs" / "glossary.md"
KOREAN_DOCS = [README_KO, GUIDE_KO, GLOSSARY]

# The glossary's contract, copied from the course's Korean term list (TERMS-KO): for each row its
# first Korean alternative, split into single terms, and the English term the same glossary row
# must give. The Korean notebooks use these words, so a learner must find every one here.
TERMS = [
    ("모델", "model"), ("입력", "input"), ("출력", "output"), ("가중치", "weight"), ("편향", "bias"),
    ("층", "layer"), ("입력층", "input"), ("중간층", "hidden"), ("출력층", "output layer"),
    ("층을 쌓다", "stacking layers"), ("파라미터", "parameter"), ("손실", "loss"),
    ("손실 함수", "loss function"), ("학습률", "learning rate"), ("학습", "training"),
    ("학습하다", "to train"), ("기울기", "gradient"), ("경사 하강법", "gradient descent"),
    ("역전파", "backpropagation"), ("순전파", "forward pass"), ("옵티마이저", "optimizer"),
    ("에포크", "epoch"), ("배치", "batch"), ("미니배치", "mini-batch"),
    ("활성화 함수", "activation function"), ("비선형성", "non-linearity"), ("MLP", "multi-layer perceptron"),
    ("완전 연결", "fully connected"), ("이미지 분류기", "image classifier"), ("클래스", "class"),
    ("라벨", "label"), ("1차원 배열로 펼치다", "flatten"), ("파라미터 폭발", "parameter explosion"),
    ("인접 영역의 정보만 연결", "local connections"), ("연결 정보를 재활용", "weight sharing"),
    ("이미지의 픽셀 위치 정보 보존", "2-D layout"), ("합성곱", "convolution"), ("CNN", "CNN"),
    ("커널", "kernel"), ("필터", "filter"), ("채널", "channel"), ("스트라이드", "stride"),
    ("패딩", "padding"), ("풀링", "pooling"), ("최대 풀링", "max pooling"), ("특징 맵", "feature map"),
    ("Dataset 클래스", "Dataset"), ("DataLoader", "DataLoader"), ("전이 학습", "transfer learning"),
    ("사전 학습된 가중치", "pretrained weights"), ("미세 조정", "fine-tuning"), ("헤드", "head"),
    ("처음부터 학습", "from scratch"), ("오차율", "error rate"), ("정확도", "accuracy"),
    ("과적합", "overfitting"), ("검증 데이터", "validation"), ("테스트 데이터", "test set"),
    ("텐서", "tensor"), ("로짓", "logit"), ("소프트맥스", "softmax"), ("혼동 행렬", "confusion matrix"),
    ("정밀도", "precision"), ("재현율", "recall"), ("장치", "device"), ("연습 문제", "exercise"),
    ("해 보세요", "Try this"), ("확인 문제", "questionnaire"), ("체크포인트", "checkpoint"),
]

FENCE = re.compile(r"^( *)(```+)(\S*)\s*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Return (language, body) of every fenced code block, indented ones (inside lists) included."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        body, i = [], i + 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        blocks.append((lang, "\n".join(body)))
        i += 1
    return blocks


def without_code(text: str) -> str:
    """The prose alone: fenced blocks and inline code spans removed (links in code are not links)."""
    kept, inside = [], None
    for line in text.splitlines():
        m = FENCE.match(line)
        if m and (inside is None or m.group(2) == inside):
            inside = m.group(2) if inside is None else None
        elif inside is None:
            kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def commands(body: str) -> tuple[str, ...]:
    """The block's lines without comments (`#` at a line's start or after a space) and blank lines."""
    lines = (re.sub(r"(^|\s)#.*$", "", line).rstrip() for line in body.splitlines())
    return tuple(line for line in lines if line.strip())


def command_blocks_of(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(language, commands) of every fenced block of a markdown text."""
    return [(lang, commands(body)) for lang, body in fenced_blocks(text)]


def command_blocks(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    return command_blocks_of(_read(path))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (Hangul kept), spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in without_code(_read(path)).splitlines() if re.match(r"#{1,6} ", line)}


def test_the_fence_and_comment_rules_read_blocks_as_meant():
    text = "1. Run\n\n   ```bash\n   make doctor   # 점검\n   # 전체 줄 주석\n   ```\n\n```\nlayout\n```\n"
    assert command_blocks_of(text) == [("bash", ("make doctor",)), ("", ("layout",))]
    assert commands('powershell -c "irm https://x/y.ps1 | iex"   # or: py -m pip install uv') == (
        'powershell -c "irm https://x/y.ps1 | iex"',)
    assert slug("The room server: one machine, a browser per learner") == "the-room-server-one-machine-a-browser-per-learner"
    assert slug("강의실 서버: 서버 한 대, 참가자마다 브라우저 하나") == "강의실-서버-서버-한-대-참가자마다-브라우저-하나"


@pytest.mark.parametrize("korean, english", [(README_KO, README), (GUIDE_KO, GUIDE)], ids=["README", "instructors"])
def test_every_korean_command_block_is_an_english_one(korean, english):
    english_blocks = command_blocks(english)
    for lang, block in command_blocks(korean):
        assert (lang, block) in english_blocks, (
            f"{korean.relative_to(ROOT)}: this ```{lang} block is not in {english.relative_to(ROOT)} "
            "(copy the English commands verbatim; only comments may differ):\n" + "\n".join(block))


@pytest.mark.parametrize("korean, english", [(README_KO, README), (GUIDE_KO, GUIDE)], ids=["README", "instructors"])
def test_every_english_command_block_is_in_the_korean_doc(korean, english):
    # README.md's untagged block is the folder layout, prose rather than commands: the Korean README
    # links to it instead. Every block with a language (bash, powershell, toml) must be there.
    korean_blocks = command_blocks(korean)
    for lang, block in command_blocks(english):
        if lang or english == GUIDE:
            assert (lang, block) in korean_blocks, (
                f"{english.relative_to(ROOT)} has a ```{lang} block that {korean.relative_to(ROOT)} lacks "
                "(copy it there verbatim):\n" + "\n".join(block))


@pytest.mark.parametrize("doc", KOREAN_DOCS, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file_or_heading(doc):
    broken = []
    for target in LINK.findall(without_code(_read(doc))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        relative = file.relative_to(ROOT).as_posix() if file.is_relative_to(ROOT) else None
        if relative is None:
            broken.append(f"{target} (outside the repository)")
        elif not file.exists():
            broken.append(f"{target} (no such file: {relative})")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target} (no heading #{fragment} in {relative})")
    assert not broken, f"{doc.relative_to(ROOT)}: broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("english, korean", [(README, README_KO), (GUIDE, GUIDE_KO)], ids=["README", "instructors"])
def test_the_two_languages_link_each_other_at_the_top(english, korean):
    first = lambda path: next(line for line in _read(path).splitlines() if line.strip())  # noqa: E731
    assert first(english) == f"한국어: [{korean.name}]({korean.name})"
    assert first(korean) == f"English: [{english.name}]({english.name})"


def test_the_korean_guide_keeps_every_number_and_adds_none():
    english, korean = Counter(NUMBER.findall(_read(GUIDE))), Counter(NUMBER.findall(_read(GUIDE_KO)))
    assert not english - korean, f"numbers of instructors.md missing from instructors.ko.md: {dict(english - korean)}"
    assert not set(korean) - set(english), f"numbers only in instructors.ko.md: {set(korean) - set(english)}"


def test_the_korean_readme_names_no_number_the_english_one_lacks():
    extra = set(NUMBER.findall(_read(README_KO))) - set(NUMBER.findall(_read(README)))
    assert not extra, f"README.ko.md names numbers README.md does not (measured where?): {extra}"


def glossary_rows() -> list[list[str]]:
    """Every row of the glossary's tables (header and separator rows left out), as its cells."""
    rows = []
    for line in _read(GLOSSARY).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] != "한국어" and not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def test_the_glossary_tables_have_four_columns_and_link_where_each_term_is_first_taught():
    rows = glossary_rows()
    assert len(rows) >= len(TERMS) // 2
    for cells in rows:
        assert len(cells) == 4, cells
        assert re.search(r"\]\(\.\./notebooks/ko/\d\d_\w+\.ipynb\)", cells[3]), f"no notebook linked: {cells}"


@pytest.mark.parametrize("korean, english", TERMS, ids=[k for k, _ in TERMS])
def test_every_agreed_term_is_in_the_glossary_with_its_english(korean, english):
    rows = [cells for cells in glossary_rows() if korean in cells[0]]
    assert rows, f"docs/glossary.md has no row for {korean} ({english}) in its 한국어 column"
    assert any(english.lower() in cells[1].lower() for cells in rows), (
        f"docs/glossary.md: no row for {korean} gives {english!r} in its English column: {rows}")


def test_the_pytorch_names_in_the_glossary_exist():
    # `nn.Linear`, `torch.optim.SGD`, `dlcourse.train.fit`, ...: resolved in the installed torch and
    # this checkout's dlcourse, so a misspelt name (`nn.Conv2D`) fails here.
    roots = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional", "torchvision": "torchvision",
             "dlcourse": "dlcourse"}
    names = {span.removesuffix("()") for cells in glossary_rows() for span in re.findall(r"`([^`]+)`", cells[2])}
    missing = []
    for name in sorted(names):
        head, *rest = name.split(".")
        if head not in roots or not re.fullmatch(r"[\w.]+", name):
            continue  # code in context (`loss.backward()`, `lr=`) rather than a name to look up
        obj = importlib.import_module(roots[head])
        for i, part in enumerate(rest):
            if not hasattr(obj, part):
                try:  # a submodule not imported by its package (dlcourse.transfer, torchvision.models)
                    obj = importlib.import_module(".".join([roots[head], *rest[: i + 1]]))
                    continue
                except ImportError:
                    missing.append(name)
                    break
            obj = getattr(obj, part)
    assert not missing, f"docs/glossary.md names what does not exist: {missing}"
    assert {"nn.Linear", "torch.optim.SGD", "nn.Conv2d", "torch.utils.data.Dataset"} <= names


def test_every_row_of_the_korean_notebook_table_is_translated():
    # tools/colab.py gives a new notebook's row the English title until its Korean notebook exists;
    # a Korean learner must not meet it: translate the description (the tool keeps it from then on).
    rows = re.findall(r"^\| \d\d \| \[(.+?)\]\((notebooks/ko/[^)]+)\) \| (.*?) \| \[!\[", _read(README_KO), re.MULTILINE)
    assert len(rows) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    english = [path for _, path, description in rows if not re.search("[가-힣]", description)]
    assert not english, f"README.ko.md: translate the description of {english}"
