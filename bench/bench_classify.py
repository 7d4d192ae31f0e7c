"""Benchmark `tiering classify` on the sample (2,000 clients) and on 100,000 clients.

Prints, for each size: input rows, wall time, peak memory (RSS of the classify process), rows
per second, and the ratio against a baseline measured in the same run on the same files: a
plain pandas read of every input CSV (the floor for touching the data at all).

    .venv/bin/python bench/bench_classify.py [--sizes 2000 100000] [--keep DIR]

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERING = [sys.executable, "-m", "tiering.cli"]

BASELINE = """
import sys, pandas as pd
from pathlib import Path
rows = 0
for f in sorted(Path(sys.argv[1]).glob("*.csv")):
    rows += len(pd.read_csv(f, dtype=str, keep_default_na=False))
print(rows)
"""


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, the child's own peak RSS in MiB (via wait4), and its stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def bench(size: int, work: Path) -> dict:
    data = work / f"data-{size}"
    gen_wall, gen_rss, _ = run_child(
        TIERING + ["sample", "--out", str(data), "--clients", str(size)])
    base_wall, base_rss, base_out = run_child([sys.executable, "-c", BASELINE, str(data)])
    rows = int(base_out.strip())
    out = work / f"out-{size}"
    wall, rss, _ = run_child(TIERING + [
        "classify", "--data", str(data), "--as-of", "2026-09-30", "--cycle", "quarterly",
        "--out", str(out), "--history", str(work / f"history-{size}.sqlite")])
    return dict(clients=size, rows=rows, generate_s=gen_wall, baseline_s=base_wall,
                baseline_mib=base_rss, classify_s=wall, classify_mib=rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 100_000])
    parser.add_argument("--keep", type=Path, default=None,
                        help="Keep the generated data and outputs in this folder.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"{'clients':>9} {'input rows':>11} {'classify s':>10} {'peak MiB':>9} "
              f"{'rows/s':>10} {'read-only s':>11} {'ratio':>6}")
        for size in args.sizes:
            r = bench(size, work)
            print(f"{r['clients']:>9,} {r['rows']:>11,} {r['classify_s']:>10.2f} "
                  f"{r['classify_mib']:>9.0f} {r['rows'] / r['classify_s']:>10,.0f} "
                  f"{r['baseline_s']:>11.2f} {r['classify_s'] / r['baseline_s']:>6.1f}",
                  flush=True)
    print("ratio = classify time / time to read the same CSV files with pandas "
          "(measured in this run)")


if __name__ == "__main__":
    main()
