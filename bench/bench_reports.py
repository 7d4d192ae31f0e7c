"""Benchmark the four report notebooks on a run folder: seconds per notebook and peak memory.

Executes each notebook's code cells in-process (the way papermill's kernel would, without the
kernel start-up): the ``parameters`` cell gets the run folder, the data folder, ``mask=True``
and ``list_cap=500``; a cell's last expression is rendered as Jupyter would render it (HTML for
tables and styled frames, PNG for charts, Markdown as text), since rendering is part of the
cost. Each notebook runs in a child process of its own, so the peak resident memory printed is
that notebook's (imports included).

    .venv/bin/python bench/bench_reports.py RUN_DIR DATA_DIR [--cells] [--notebook 10 ...]

RUN_DIR is a run folder written by ``tiering run`` (e.g. outputs/<run>/2026Q3), DATA_DIR its
input folder (client names). Figures are printed, never asserted: speed is measured, not
tested. Run one measurement at a time on a shared machine.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["10-classification.ipynb", "20-service-plan.ipynb", "30-visit-schedule.ipynb",
             "40-activity.ipynb"]
LIST_CAP = 500


def _render(value: object) -> None:
    """Render a cell's result as the notebook front end would (the cost, not the text)."""
    from matplotlib.figure import Figure

    if value is None:
        return
    if isinstance(value, Figure):
        value.savefig(io.BytesIO(), format="png")
    elif hasattr(value, "_repr_html_"):
        value._repr_html_()
    elif hasattr(value, "_repr_markdown_"):
        value._repr_markdown_()
    else:
        repr(value)


def run_one(notebook: Path, run_dir: str, data_dir: str) -> dict:
    """Execute the code cells of `notebook` here; seconds per cell, total and peak RSS (MB)."""
    import matplotlib

    matplotlib.use("Agg")
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    run_dir, data_dir = str(Path(run_dir).resolve()), str(Path(data_dir).resolve())
    os.chdir(run_dir)
    space: dict = {}
    timings = []
    start = time.perf_counter()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source += (f"\nrun_dir = {run_dir!r}\ndata_dir = {data_dir!r}\nmask = True\n"
                       f"list_cap = {LIST_CAP}\n")
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        began = time.perf_counter()
        exec(compile(tree, notebook.name, "exec"), space)
        if last is not None:
            _render(eval(compile(ast.Expression(last.value), notebook.name, "eval"), space))
        first = next((line for line in source.splitlines()
                      if line.strip() and not line.startswith("#")), "")
        timings.append((round(time.perf_counter() - began, 2), first[:80]))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"notebook": notebook.name, "seconds": round(seconds, 2),
            "peak_mb": round(peak), "cells": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("data_dir")
    parser.add_argument("--cells", action="store_true", help="print each cell's seconds too")
    parser.add_argument("--notebook", action="append", default=[],
                        help="a notebook's number prefix (10, 20, 30, 40); default all four")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: one notebook
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(Path(args.one), args.run_dir, args.data_dir)))
        return
    chosen = [n for n in NOTEBOOKS
              if not args.notebook or any(n.startswith(p) for p in args.notebook)]
    total = 0.0
    print(f"{'notebook':<26}{'seconds':>9}{'peak MB':>9}")
    for name in chosen:
        child = subprocess.run(
            [sys.executable, __file__, args.run_dir, args.data_dir,
             "--one", str(ROOT / "notebooks" / name)],
            capture_output=True, text=True, check=False)
        if child.returncode:
            print(f"{name:<26} failed:\n{child.stderr[-3000:]}")
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        total += result["seconds"]
        print(f"{name:<26}{result['seconds']:>9.2f}{result['peak_mb']:>9,}", flush=True)
        if args.cells:
            for seconds, first in result["cells"]:
                print(f"    {seconds:8.2f}  {first}")
    print(f"{'total':<26}{total:>9.2f}")


if __name__ == "__main__":
    main()
