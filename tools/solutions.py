"""The exercises' reference solutions, written once, and the notebooks with them filled in.

Each notebook's exercise cells (tagged `exercise`, first line `# Exercise NN.K: ...`) hold
blanks (`...`). Their solutions live in `notebooks/solutions/<notebook>.py`, one block per
exercise, each block the whole solved cell after a separator line `# %% exercise NN.K`.

    python tools/solutions.py           # write build/solutions/<notebook>.ipynb (solved, outputs cleared)
    python tools/solutions.py --check   # change nothing; exit 1 and name every exercise out of step

They cannot drift apart: a solved cell may differ from its exercise cell only in lines of the
exercise cell that hold a blank (`...`); anything else (the task, a comment, a name) must be the
same in both, and every exercise needs exactly one solution. tests/test_exercises.py runs the check.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
EXERCISE_TAG = "exercise"
SEPARATOR = re.compile(r"^# %% exercise (\d\d\.\d+)\s*$", re.MULTILINE)
HEADING = re.compile(r"^# Exercise (\d\d\.\d+):")


def notebooks(root: Path = ROOT) -> list[Path]:
    """The course notebooks, in order."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def solutions_file(nb_path: Path) -> Path:
    """Where the solutions of notebook `nb_path` live."""
    return nb_path.parent / "solutions" / f"{nb_path.stem}.py"


def exercise_cells(nb) -> dict[str, int]:
    """{exercise id: cell index} for the cells tagged `exercise` (id from the cell's first line)."""
    found = {}
    for i, cell in enumerate(nb.cells):
        if EXERCISE_TAG in cell.metadata.get("tags", []):
            m = HEADING.match(cell.source)
            found[m.group(1) if m else f"<cell {i}: first line is not '# Exercise NN.K: ...'>"] = i
    return found


def read_solutions(path: Path) -> dict[str, str]:
    """{exercise id: solved cell source} from a solutions file (empty when there is none)."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    parts = SEPARATOR.split(text)  # [preamble, id, body, id, body, ...]
    return {ex_id: body.strip("\n") for ex_id, body in zip(parts[1::2], parts[2::2])}


def out_of_step(exercise: str, solved: str) -> list[str]:
    """Lines where the solved cell differs from the exercise cell other than by filling a blank."""
    a, b = exercise.splitlines(), solved.splitlines()
    problems = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        plain = [line for line in a[i1:i2] if "..." not in line]
        if op == "insert" or plain:
            where = f"exercise line {i1 + 1}" if i1 < len(a) else "the end of the exercise"
            shown = (plain or b[j1:j2])[0].strip()
            problems.append(f"{where}: {shown!r} differs and holds no blank")
    return problems


def problems(root: Path = ROOT) -> list[str]:
    """Every way the notebooks and their solution files are out of step."""
    found = []
    for nb_path in notebooks(root):
        nb = nbformat.read(nb_path, as_version=4)
        cells, solved = exercise_cells(nb), read_solutions(solutions_file(nb_path))
        for ex_id, i in cells.items():
            if ex_id not in solved:
                found.append(f"{nb_path.name}, exercise {ex_id} (cell {i}): no solution in "
                             f"{solutions_file(nb_path).relative_to(root)}")
                continue
            if "..." not in nb.cells[i].source:
                found.append(f"{nb_path.name}, exercise {ex_id} (cell {i}): the shipped cell has no blank `...`")
            for problem in out_of_step(nb.cells[i].source, solved[ex_id]):
                found.append(f"{nb_path.name}, exercise {ex_id} (cell {i}): {problem}")
        for ex_id in sorted(set(solved) - set(cells)):
            found.append(f"{solutions_file(nb_path).relative_to(root)}: solution {ex_id} has no exercise cell")
    return found


def solved_notebook(nb_path: Path):
    """The notebook with every exercise cell replaced by its solution, outputs cleared."""
    nb = nbformat.read(nb_path, as_version=4)
    solved = read_solutions(solutions_file(nb_path))
    for ex_id, i in exercise_cells(nb).items():
        nb.cells[i].source = solved[ex_id]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def write_solutions(out: Path, root: Path = ROOT) -> list[Path]:
    """Write every solved notebook into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for nb_path in notebooks(root):
        path = out / nb_path.name
        nbformat.write(solved_notebook(nb_path), path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of step")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "solutions")
    args = parser.parse_args(argv)
    found = problems()
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    if args.check:
        print("every exercise has its solution, and they are in step")
        return 0
    for path in write_solutions(args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
