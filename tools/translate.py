"""The Korean edition: notebooks/ko/*.ipynb built from the English notebooks plus translations.

One source. A Korean notebook is its English notebook with the text a learner reads replaced:
markdown cells, and in code cells the comments and the messages they print. Its code is the
English code token for token; the one other difference is the setting that picks the language of
the exercise feedback, `set_language("en")`, which the build writes as `set_language("ko")`.

The translations live in notebooks/ko/translations/<notebook>.txt, one entry per cell:

    === cell 12 markdown 5c1e0f3a ===       <- position (for reading), kind, the cell's id
    --- en ---
    the English text this entry translates, exactly as the cell held it when it was translated
    --- ko ---
    the Korean

Every markdown cell needs an entry, and so does every code cell with a comment (other than
directives such as `# NBVAL_CHECK_OUTPUT`); a code cell without one may have an entry to translate
its messages. Because each entry keeps the English it translates, an English cell that changed
since (or a missing, orphaned or unfinished entry) is an error naming the notebook, the cell and
the line of the translation file: `python tools/translate.py check` lists them, and the tests run
the same check.

    python tools/translate.py init     # add skeleton entries (Korean marked TODO(ko)) for cells that lack one
    python tools/translate.py check    # list every problem; exit 1 if any (changes nothing)
    python tools/translate.py build    # write notebooks/ko/*.ipynb, executing those whose inputs changed

Outputs. The build executes a Korean notebook (a real kernel, CPU, as `make execute` does, with
tools/execute.py) when its English notebook or its translation changed since the last build, and
otherwise leaves the file alone: on an unchanged tree the build changes nothing. Every output of a
Korean notebook is from that one Korean run, sealed as tools/execute.py says
(`metadata.dlcourse.run`): none is copied from the English notebook, so its timings and results
are the ones its own cells produced, and its text (translated from the English) must not quote
the English run's figures. `metadata.dlcourse.inputs` records a hash of what it was built from.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib.util
import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from dlcourse.files import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
LANG = "ko"
OUT_DIR = NOTEBOOK_DIR / LANG
TRANSLATIONS = OUT_DIR / "translations"
BUILD_VERSION = "2"  # bump when the build's rules change: every Korean notebook is then rebuilt
TODO = "TODO(ko)"
SETTING_EN, SETTING_KO = 'set_language("en")', f'set_language("{LANG}")'

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
PROSE = re.compile(r"[A-Za-z]{2,}[,.:;]?\s+[A-Za-z]{2,}")  # two English words in a row
DIRECTIVE = re.compile(r"#\s*(NBVAL_\w+|noqa\b|type:|%%)")
ENTRY = re.compile(r"^=== cell (\d+) (markdown|code) (\S+) ===$")
EN_MARK, KO_MARK = "--- en ---", "--- ko ---"


@dataclass
class Entry:
    index: int  # the cell's position when the entry was written (for reading only)
    kind: str  # "markdown" or "code"
    cell_id: str
    en: str
    ko: str
    line: int  # line of the entry's header in the translation file


class TranslationFileError(ValueError):
    """A translation file that cannot be read: the message names the file and line."""


def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def translation_path(nb_path: Path) -> Path:
    return TRANSLATIONS / f"{nb_path.stem}.txt"


def korean_path(nb_path: Path) -> Path:
    return OUT_DIR / nb_path.name


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


# --- the translation file ---------------------------------------------------------------------

def parse(path: Path) -> dict[str, Entry]:
    """Read a translation file into {cell id: Entry}; a malformed file raises naming file and line."""
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    block: str | None = None  # "en" or "ko": where the lines go
    lines: dict[str, list[str]] = {}

    def finish() -> None:
        if current is None:
            return
        if set(lines) != {"en", "ko"}:
            raise TranslationFileError(f"{_rel(path)}:{current.line}: the entry of cell {current.cell_id} needs "
                                       f"a '{EN_MARK}' block followed by a '{KO_MARK}' block")
        current.en, current.ko = ("\n".join(lines[k]).strip("\n") for k in ("en", "ko"))
        if current.cell_id in entries:
            raise TranslationFileError(f"{_rel(path)}:{current.line}: a second entry for cell {current.cell_id} "
                                       f"(the first is at line {entries[current.cell_id].line})")
        entries[current.cell_id] = current

    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if match := ENTRY.match(line):
            finish()
            current, block, lines = Entry(int(match[1]), match[2], match[3], "", "", number), None, {}
        elif line in (EN_MARK, KO_MARK):
            key = "en" if line == EN_MARK else "ko"
            if current is None or key in lines or (key == "ko" and "en" not in lines):
                raise TranslationFileError(f"{_rel(path)}:{number}: '{line}' out of place: each entry is "
                                           f"'=== cell N KIND ID ===', then '{EN_MARK}', then '{KO_MARK}'")
            block, lines[key] = key, []
        elif block is not None:
            lines[block].append(line)
        elif current is not None and line.strip():
            raise TranslationFileError(f"{_rel(path)}:{number}: text before '{EN_MARK}' in the entry of "
                                       f"cell {current.cell_id}")
        # lines before the first entry are the file's own header: ignored
    finish()
    return entries


def render(nb_path: Path, entries: list[Entry]) -> str:
    """The text of a translation file holding `entries` (in the notebook's order)."""
    out = [f"# Korean translation of notebooks/{nb_path.name}, built into notebooks/{LANG}/{nb_path.name}",
           "# by tools/translate.py (its docstring says how). Edit the Korean only: each '--- en ---'",
           "# block is the English the entry translates, and tells the build when that English changed.", ""]
    for e in entries:
        out += [f"=== cell {e.index} {e.kind} {e.cell_id} ===", EN_MARK, e.en, KO_MARK, e.ko, ""]
    return "\n".join(out)


# --- what needs translating, and what a translation may change -----------------------------------

def _tokens(code: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def _comments(code: str) -> list[str]:
    tokens = _tokens(code)
    if tokens is None:
        return [line.strip() for line in code.splitlines() if line.lstrip().startswith("#")]
    return [t.string for t in tokens if t.type == tokenize.COMMENT]


def needs_translation(cell) -> bool:
    """Markdown with text, or code with a comment a learner reads (directives are not read)."""
    source = _source(cell)
    if cell["cell_type"] == "markdown":
        return bool(source.strip())
    return cell["cell_type"] == "code" and any(not DIRECTIVE.match(c) for c in _comments(source))


def _code_stream(code: str) -> list[tuple[int, str, int]] | None:
    """(type, text, line) of the tokens that must match: comments and blank lines dropped."""
    tokens = _tokens(code)
    if tokens is None:
        return None
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER}
    start, end = getattr(tokenize, "FSTRING_START", None), getattr(tokenize, "FSTRING_END", None)
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    stream, depth, opened = [], 0, None
    for t in tokens:
        if start is not None and t.type == start:  # Python 3.12+ splits an f-string: keep it whole,
            depth, opened = depth + 1, opened or t  # as Python 3.11 does (one STRING token)
        elif start is not None and t.type == end:
            depth -= 1
            if depth == 0:
                text = code[offsets[opened.start[0] - 1] + opened.start[1]:offsets[t.end[0] - 1] + t.end[1]]
                stream.append((tokenize.STRING, text, opened.start[0]))
                opened = None
        elif depth == 0 and t.type not in skip:
            stream.append((t.type, t.string, t.start[0]))
    return stream


def _placeholders(string: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}", string)) if re.match(r"^[rRbB]*[fF]", string) else []


def code_differences(en: str, ko: str) -> list[str]:
    """Why the Korean code is not the English code token for token (empty: it is).

    Allowed: other comments; a string literal whose Korean holds Hangul (a translated message,
    with an f-string's {placeholders} unchanged); the language setting."""
    en_tokens, ko_tokens = _code_stream(en), _code_stream(ko.replace(SETTING_KO, SETTING_EN))
    if en_tokens is None or ko_tokens is None:
        same = [l for l in en.splitlines() if not l.lstrip().startswith("#")] == \
               [l for l in ko.splitlines() if not l.lstrip().startswith("#")]
        return [] if same else ["the code (which Python's tokenizer cannot read) differs outside comment lines"]
    problems = []
    for (et, es, _), (kt, ks, kl) in zip(en_tokens, ko_tokens):
        if (et, es) == (kt, ks):
            continue
        if et == kt == tokenize.STRING and HANGUL.search(ks) and _placeholders(es) == _placeholders(ks):
            continue
        problems.append(f"line {kl} of the Korean code has {ks!r} where the English has {es!r}")
        break
    if not problems and len(en_tokens) != len(ko_tokens):
        problems.append(f"the Korean code has {len(ko_tokens)} tokens, the English {len(en_tokens)}: "
                        "only comments and the text of messages may differ")
    return problems


def _strings_differ(en: str, ko: str) -> bool:
    """True when a string literal of the code was translated (its output then depends on the language)."""
    en_tokens, ko_tokens = _code_stream(en), _code_stream(ko.replace(SETTING_KO, SETTING_EN))
    if en_tokens is None or ko_tokens is None:
        return False
    return any(e[1] != k[1] for e, k in zip(en_tokens, ko_tokens) if e[0] == tokenize.STRING)


def _where(nb_path: Path, index: int, cell, entry: Entry | None = None) -> str:
    at = f" ({_rel(translation_path(nb_path))}:{entry.line})" if entry else ""
    return f"notebooks/{nb_path.name} cell {index} ({cell['cell_type']}, id {cell.get('id')}){at}"


def problems(nb_path: Path) -> list[str]:
    """Everything that stops the Korean build of one notebook, each naming the notebook and cell."""
    path = translation_path(nb_path)
    if not path.exists():
        return [f"notebooks/{nb_path.name}: no translation ({_rel(path)}); `python tools/translate.py init` "
                "writes one to fill in"]
    try:
        entries = parse(path)
    except TranslationFileError as exc:
        return [str(exc)]
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    found, out = set(), []
    for index, cell in enumerate(nb["cells"]):
        cell_id = cell.get("id")
        entry = entries.get(cell_id)
        if entry is None:
            if needs_translation(cell):
                out.append(f"{_where(nb_path, index, cell)}: no translation: add an entry to "
                           f"{_rel(path)} (`python tools/translate.py init` adds a skeleton)")
            continue
        found.add(cell_id)
        en = _source(cell).strip("\n")
        if entry.kind != cell["cell_type"]:
            out.append(f"{_where(nb_path, index, cell, entry)}: the entry says {entry.kind}, the cell is "
                       f"{cell['cell_type']}")
        elif entry.en != en:
            diff = list(difflib.unified_diff(entry.en.splitlines(), en.splitlines(), "translated", "now", n=0,
                                             lineterm=""))[2:]
            shown = "\n    ".join(diff[:12] + (["..."] if len(diff) > 12 else []))
            out.append(f"{_where(nb_path, index, cell, entry)}: the English changed since it was translated; "
                       f"update the Korean, then put the new English in the entry's '{EN_MARK}' block:\n    {shown}")
        elif TODO in entry.ko or not entry.ko.strip():
            out.append(f"{_where(nb_path, index, cell, entry)}: not translated yet ({TODO} or empty)")
        elif cell["cell_type"] == "markdown":
            if PROSE.search(en) and not HANGUL.search(entry.ko):
                out.append(f"{_where(nb_path, index, cell, entry)}: the Korean has no Hangul")
        else:
            out += [f"{_where(nb_path, index, cell, entry)}: {p}" for p in code_differences(en, entry.ko)]
            left = [c for c in _comments(entry.ko) if not DIRECTIVE.match(c) and PROSE.search(c)
                    and not HANGUL.search(c)]
            if left:
                out.append(f"{_where(nb_path, index, cell, entry)}: a comment is still English: {left[0]}")
    for cell_id, entry in entries.items():
        if cell_id not in found:
            out.append(f"{_rel(path)}:{entry.line}: cell {cell_id} is not in notebooks/{nb_path.name} any "
                       "more: delete the entry (or give the cell its id back)")
    return out


# --- building --------------------------------------------------------------------------------------

def inputs_hash(nb_path: Path) -> str:
    digest = hashlib.sha256(BUILD_VERSION.encode())
    for path in (nb_path, translation_path(nb_path)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def built(nb_path: Path) -> dict:
    """The Korean notebook before its run: translated sources, ids, metadata (outputs: the Korean run's)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    entries = parse(translation_path(nb_path))
    for cell in nb["cells"]:
        entry = entries.get(cell.get("id"))
        if entry is not None:
            cell["source"] = entry.ko
        if cell["cell_type"] == "code":
            cell["source"] = _source(cell).replace(SETTING_EN, SETTING_KO)
    nb["metadata"]["dlcourse"] = {"language": LANG, "translated_from": f"../{nb_path.name}",
                                  "inputs": inputs_hash(nb_path)}
    return nb


def language_dependent(en_cell, ko_cell) -> bool:
    """Whether a Korean code cell's outputs depend on the language: translated strings, or Hangul printed."""
    if _strings_differ(_source(en_cell), _source(ko_cell)):
        return True
    return bool(HANGUL.search(json.dumps(ko_cell.get("outputs", []), ensure_ascii=False)))


def _executor():
    spec = importlib.util.spec_from_file_location("dlcourse_execute_tool", ROOT / "tools" / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def execute(nb: dict) -> dict:
    """One run of the Korean notebook in a real kernel (tools/execute.py): the executed, sealed copy."""
    return _executor().run(nb, OUT_DIR)


def notebook_text(nb: dict) -> str:
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def up_to_date(nb_path: Path) -> bool:
    out = korean_path(nb_path)
    if not out.exists():
        return False
    current = json.loads(out.read_text(encoding="utf-8"))
    return current.get("metadata", {}).get("dlcourse", {}).get("inputs") == inputs_hash(nb_path)


def build(nb_path: Path, force: bool = False) -> str:
    """Write notebooks/ko/<name>.ipynb when its inputs changed (or `force`); what was done, in words."""
    if not force and up_to_date(nb_path):
        return "up to date"
    nb = execute(built(nb_path))  # every output from this one run
    atomic_write_text(korean_path(nb_path), notebook_text(nb))  # never a half-written notebook
    return "built and executed"


def init(nb_path: Path) -> int:
    """Add a skeleton entry for every cell that needs one and has none; the count added."""
    path = translation_path(nb_path)
    entries = parse(path) if path.exists() else {}
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    ordered, added = [], 0
    for index, cell in enumerate(nb["cells"]):
        entry = entries.get(cell.get("id"))
        if entry is None and needs_translation(cell):
            en = _source(cell).strip("\n")
            ko = TODO if cell["cell_type"] == "markdown" else f"# {TODO}\n{en}"
            entry, added = Entry(index, cell["cell_type"], cell["id"], en, ko, 0), added + 1
        if entry is not None:
            ordered.append(entry)
    ordered += [e for e in entries.values() if e not in ordered]  # orphans kept: `check` names them
    if added:
        atomic_write_text(path, render(nb_path, ordered))  # the translator's file: never half-written
    return added


def _select(names: list[str]) -> list[Path]:
    notebooks = english_notebooks()
    if not names:
        return notebooks
    chosen = [nb for nb in notebooks if any(nb.name.startswith(n) or nb.stem == n for n in names)]
    unknown = [n for n in names if not any(nb.name.startswith(n) for nb in notebooks)]
    if unknown:
        raise SystemExit(f"no English notebook matches {', '.join(unknown)} (try 01 .. {notebooks[-1].name[:2]})")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["init", "check", "build"])
    parser.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: all)")
    parser.add_argument("--force", action="store_true", help="build: rebuild and execute even when up to date")
    args = parser.parse_args(argv)
    notebooks = _select(args.notebooks)
    if args.command == "init":
        for nb in notebooks:
            print(f"{_rel(translation_path(nb))}: {init(nb)} entries added")
        return 0
    found = [p for nb in notebooks for p in problems(nb)]
    if found:
        print("\n".join(found), file=sys.stderr)
        print(f"{len(found)} problem(s): the Korean notebooks cannot be built", file=sys.stderr)
        return 1
    if args.command == "build":
        OUT_DIR.mkdir(exist_ok=True)
        for nb in notebooks:
            print(f"notebooks/{LANG}/{nb.name}: {build(nb, args.force)}", flush=True)
    else:
        print(f"{len(notebooks)} translation(s) complete and current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
