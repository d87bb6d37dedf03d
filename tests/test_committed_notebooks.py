"""The notebooks as committed: what a reader sees on GitHub or Colab before running anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) + sorted(NOTEBOOK_DIR.glob("ko/[0-9][0-9]_*.ipynb"))
MAX_BYTES = 2_000_000


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}" if p.parent != NOTEBOOK_DIR else p.stem)
def test_committed_notebook_is_executed_and_clean(nb):
    assert nb.stat().st_size < MAX_BYTES, f"{nb.name} is {nb.stat().st_size:,} bytes: clear big outputs"
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: {len(tagged)} cells tagged 'parameters', want 1"
    numbers = [c["execution_count"] for c in code]
    assert all(isinstance(n, int) for n in numbers), f"{nb.name}: cells never run: {numbers}"
    assert numbers == sorted(numbers), f"{nb.name}: cells run out of order: {numbers}"
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            where = f"{nb.name}, code cell {i + 1}"
            assert out["output_type"] != "error", f"{where}: error output {out.get('ename')}"
            if out["output_type"] == "stream" and out["name"] == "stderr":
                text = "".join(out["text"])
                assert "Warning" not in text and "Traceback" not in text, f"{where}: stderr says {text[:300]!r}"
    figures = sum("image/png" in out.get("data", {}) for c in code for out in c.get("outputs", []))
    has_plot = any("plt.show()" in "".join(c["source"]) for c in code)
    assert figures > 0 or not has_plot, f"{nb.name}: plots are called but no figure is stored (MPLBACKEND=Agg?)"
