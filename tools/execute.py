"""Execute notebooks in place, each in one run of a real kernel, and seal the outputs as that run's.

    python tools/execute.py notebooks/01_model_concept.ipynb ...    # what `make execute` runs

A notebook's stored outputs are all from one run: this tool clears every output, runs the whole
notebook top to bottom in a fresh kernel (CPU, as `make execute` always did), and records in
`metadata.dlcourse.run` a hash of every code cell's outputs and execution count as that run left
them. tools/translate.py builds the Korean notebooks the same way. An output put in afterwards
(copied from another run, edited by hand, one side's cell taken in a merge) no longer matches the
hash: tests/test_truth.py checks every committed notebook against it. Re-executing is the only fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from dlcourse.files import atomic_write_text


def outputs_hash(nb) -> str:
    """A hash of every code cell's outputs and execution count (the notebook as read by nbformat)."""
    import nbformat

    nb = nbformat.reads(json.dumps(nb), as_version=4)  # lines joined, as nbformat reads a file
    cells = [[c.get("execution_count"), c.get("outputs", [])] for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(cells, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def sealed(nb) -> bool:
    """Whether the notebook's outputs are still those of the one run that sealed them."""
    run = nb.get("metadata", {}).get("dlcourse", {}).get("run")
    return run is not None and run == outputs_hash(nb)


def seal(nb) -> None:
    nb["metadata"].setdefault("dlcourse", {})["run"] = outputs_hash(nb)


def run(nb: dict, cwd: Path, timeout: int = 1200) -> dict:
    """One run of the whole notebook in a fresh kernel (CPU, fixed seeds); the executed, sealed copy."""
    import nbformat
    from nbclient import NotebookClient

    executed = nbformat.reads(json.dumps(nb), as_version=4)  # sources as strings, a copy
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    env = dict(os.environ, TQDM_DISABLE="1", DLCOURSE_DEVICE="cpu", PYDEVD_DISABLE_FILE_VALIDATION="1")
    NotebookClient(executed, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(cwd)}}).execute(env=env)  # the kernel's environment
    executed = json.loads(nbformat.writes(executed))  # plain dicts
    seal(executed)
    return executed


def notebook_text(nb: dict) -> str:
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python tools/execute.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        atomic_write_text(path, notebook_text(run(nb, path.resolve().parent)))  # never half-written
        print(f"{path}: executed in one run", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
