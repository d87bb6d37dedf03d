"""Execute every course notebook headless with papermill and print a summary table.

Usage: python tools/run_course.py [--out build] [--device auto] [--seed 0] [notebooks...]
Each notebook is written executed to OUT/<name>.ipynb with its metrics in OUT/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The one number that sums up each notebook; any other notebook shows its first metric.
MAIN_RESULT = {
    "01": "final_loss", "02": "mlp_accuracy", "03": "test_accuracy", "04": "imagenet_params",
    "05": "test_accuracy", "06": "test_accuracy", "07": "transfer_accuracy",
}


def run(notebooks: list[Path], out: Path, device: str, seed: int) -> list[dict]:
    import papermill

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for nb in notebooks:
        metrics_path = out / f"{nb.stem}.json"
        metrics_path.unlink(missing_ok=True)
        start = time.perf_counter()
        error = None
        try:
            papermill.execute_notebook(
                str(nb), str(out / nb.name), kernel_name="python3", cwd=str(nb.parent),
                parameters={"DEVICE": device, "SEED": seed, "METRICS_PATH": str(metrics_path.resolve())},
                progress_bar=False, execution_timeout=1800,
                # papermill would rewrite the output notebook at every cell's start and end, and wait for
                # the kernel to wind down after the last cell: neither is course time (about 1 s a notebook)
                request_save_on_cell_execute=False, shutdown_kernel="immediate",
            )
        except Exception as exc:  # keep going: the table shows which notebook failed
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        seconds = time.perf_counter() - start
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        key = MAIN_RESULT.get(nb.name[:2], next(iter(metrics), None))
        rows.append({"notebook": nb.name, "seconds": seconds, "metric": key,
                     "value": metrics.get(key), "error": error})
        status = "FAILED " + error if error else f"{key} = {metrics.get(key)}"
        print(f"  {nb.name}: {seconds:.1f} s, {status}", flush=True)
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'notebook':34s} {'seconds':>8s}  main result", "-" * 70]
    for r in rows:
        value = r["value"]
        shown = f"{value:.4f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)
        result = f"FAILED: {r['error']}" if r["error"] else f"{r['metric']} = {shown}"
        lines.append(f"{r['notebook']:34s} {r['seconds']:8.1f}  {result}")
    lines.append("-" * 70)
    lines.append(f"{'total':34s} {sum(r['seconds'] for r in rows):8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"Executing {len(notebooks)} notebooks into {args.out}/ (device {args.device}, seed {args.seed})")
    rows = run([nb.resolve() for nb in notebooks], args.out, args.device, args.seed)
    print()
    print(table(rows))
    (args.out / "course.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
