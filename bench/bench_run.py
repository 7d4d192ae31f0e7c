"""Benchmark `tiering run --period 2026Q3` on the sample, step by step.

Generates the 2,000-client sample (or --clients N), runs the whole quarterly job in a fresh
process, and prints the time of each step (from the run's manifest), the wall time and peak
memory of the process, and — as a baseline measured in the same run — the time papermill takes
to execute and nbconvert to render an empty notebook (kernel start-up: the floor of any report).

    .venv/bin/python bench/bench_run.py [--clients 2000]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from bench_classify import ROOT, TIERING, run_child  # noqa: E402


def empty_notebook_seconds(work: Path) -> float:
    from tiering import notebooks

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('run_dir = ""', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_markdown_cell("# 空白 (empty)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    source = work / "00-empty.ipynb"
    nbformat.write(nb, source)
    start = time.perf_counter()
    notebooks.execute(source, work / "executed.ipynb", {"run_dir": str(work)}, cwd=work)
    notebooks.render_html(work / "executed.ipynb", work / "empty.html", title="empty")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data, out = work / "data", work / "outputs"
        run_child(TIERING + ["sample", "--out", str(data), "--clients", str(args.clients)])
        baseline = empty_notebook_seconds(work)
        wall, rss, _ = run_child(TIERING + [
            "run", "--period", "2026Q3", "--data", str(data), "--out", str(out),
            "--history", str(out / "history.sqlite"),
            "--notebooks", str(ROOT / "notebooks"), "--run-date", "2026-10-09"])
        manifest = json.loads((out / "2026Q3" / "manifest.json").read_text(encoding="utf-8"))
    steps = {s["step"]: s["seconds"] for s in manifest["timings_seconds"]}
    print(f"tiering run --period 2026Q3 on {args.clients:,} clients "
          f"({sum(v['rows'] for v in manifest['inputs'].values()):,} input rows)")
    for step, seconds in steps.items():
        print(f"  {step:<48} {seconds:7.2f} s")
    # steps marked "(beside …)" ran at the same time as others, inside the wall-clock step
    # "reports and workbook": they are shown but not added up
    rest = wall - sum(v for k, v in steps.items() if "(beside" not in k)
    print(f"  {'(start-up, imports, moving into place)':<48} {rest:7.2f} s")
    print(f"  {'total wall time':<48} {wall:7.2f} s   peak memory {rss:,.0f} MiB")
    sequential = {k: v for k, v in steps.items() if "(beside" not in k}
    slowest = max(sequential, key=sequential.get)
    print(f"slowest step: {slowest} ({steps[slowest] / wall:.0%} of the run)")
    report = steps.get("execute 10-classification (beside the others)", 0.0)
    print(f"baseline, an empty notebook executed and rendered: {baseline:.2f} s "
          f"(the report notebook takes {report / baseline:.1f}x)")


if __name__ == "__main__":
    main()
