"""Benchmark the daily-average assets at scale: daily balance rows as Parquet (issue 7).

For each size, generate the daily sample (`tiering.sample.daily.write_daily_sample`, timed;
reused when already generated: its folder clients-N/ and clients-N.json, which keeps the
figures of its generation, are in DIR), then measure on the same files, each step in a fresh
subprocess so its peak memory (the child's ru_maxrss, via wait4) is its own:

  (a) lead    a hand-written DuckDB query: per client, the step-function daily averages of the
              last complete year (2025) and the year to date (2026-01-01 .. 2026-09-30) at
              as-of 2026-09-30, with LEAD(date) OVER (PARTITION BY client_id ORDER BY date),
              honouring open_date / close_date and dividing by the days open (SPEC 2.2);
  (b) scan    a plain DuckDB scan summing total_assets per client and period (the floor for
              reading the file at all);
  (c) pandas  what an analyst writes: read the Parquet, sort, shift, clip, groupby; run under
              an address-space limit (RLIMIT_AS) and reported "out of memory" when it fails;
  (d) tiering `tiering classify --engine duckdb` (reported "not available" if it fails);
  (e) run     the whole quarterly job, `tiering run --period 2026Q3 --engine duckdb` (rating,
              plan, tables, calendars, workbook, the four reports, index), with its own
              history; its steps (the manifest's timings) are printed under the table.

Prints one table per size: wall seconds (the child process from start to exit), peak MiB,
daily rows per second, and the ratio to (a) and to (b); then cross-checks (a) against (c) and
against classification.csv of (d), as the largest absolute difference of the averages.

    .venv/bin/python bench/bench_scale.py --sizes 10000 100000 1000000 [--data DIR]

DIR defaults to outputs/bench-scale/ (generated data, never committed). Figures are printed,
never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERING = Path(sys.executable).with_name("tiering")
AS_OF = "2026-09-30"
RUN_DATE = "2026-10-09"  # within the due date (2026-10-10): no clock in the benchmark
PERIODS = (("last_year", "2025-01-01", "2025-12-31"), ("ytd", "2026-01-01", AS_OF))
OUT_OF_MEMORY = ("MemoryError", "bad_alloc", "Cannot allocate memory", "ArrowMemoryError",
                 "Out of Memory", "out of memory", "Unable to allocate")

# (a): the step function with a LEAD window, as a good engineer writes it first. Rows after
# the as-of date can never count, so they are filtered before the window; a row before a
# period still counts from the period's first day until the next row.
LEAD_SQL = """
WITH c AS (
    SELECT client_id, CAST(open_date AS DATE) AS open_date, CAST(close_date AS DATE) AS close_date
    FROM read_parquet('{clients}')
), w AS (
    SELECT client_id,
           greatest(open_date, DATE '{ly0}') AS ly_start,
           least(coalesce(close_date, DATE '{ly1}'), DATE '{ly1}') + 1 AS ly_stop,
           greatest(open_date, DATE '{ytd0}') AS ytd_start,
           least(coalesce(close_date, DATE '{ytd1}'), DATE '{ytd1}') + 1 AS ytd_stop
    FROM c
), b AS (
    SELECT client_id, date, total_assets,
           lead(date) OVER (PARTITION BY client_id ORDER BY date) AS next_date
    FROM read_parquet('{daily}')
    WHERE date <= DATE '{ytd1}'
), s AS (
    SELECT w.client_id,
           sum(b.total_assets * greatest(
               least(coalesce(b.next_date, w.ly_stop), w.ly_stop) - greatest(b.date, w.ly_start),
               0)) AS ly_sum,
           sum(b.total_assets * greatest(
               least(coalesce(b.next_date, w.ytd_stop), w.ytd_stop)
               - greatest(b.date, w.ytd_start), 0)) AS ytd_sum
    FROM w JOIN b USING (client_id)
    GROUP BY w.client_id
)
SELECT w.client_id,
       CASE WHEN w.ly_stop > w.ly_start
            THEN round(coalesce(s.ly_sum, 0) / (w.ly_stop - w.ly_start), 2) ELSE 0 END
           AS avg_assets_last_year,
       CASE WHEN w.ytd_stop > w.ytd_start
            THEN round(coalesce(s.ytd_sum, 0) / (w.ytd_stop - w.ytd_start), 2) ELSE 0 END
           AS avg_assets_ytd
FROM w LEFT JOIN s USING (client_id)
"""

# (b): the floor: read the file and sum the balances per client and period.
SCAN_SQL = """
SELECT client_id,
       sum(total_assets) FILTER (WHERE date BETWEEN DATE '{ly0}' AND DATE '{ly1}') AS ly_sum,
       sum(total_assets) FILTER (WHERE date >= DATE '{ytd0}') AS ytd_sum
FROM read_parquet('{daily}')
WHERE date BETWEEN DATE '{ly0}' AND DATE '{ytd1}'
GROUP BY client_id
"""


def sql(template: str, data: Path) -> str:
    (_, ly0, ly1), (_, ytd0, ytd1) = PERIODS
    return template.format(clients=data / "clients.parquet",
                           daily=data / "daily_assets" / "*.parquet",
                           ly0=ly0, ly1=ly1, ytd0=ytd0, ytd1=ytd1)


# ---------------------------------------------------------------- the children (one step each)

def child_generate(data: Path, size: int) -> None:
    import yaml

    from tiering.params import Questionnaire
    from tiering.sample.daily import write_daily_sample

    raw = yaml.safe_load((ROOT / "params" / "questionnaire.yaml").read_text(encoding="utf-8"))
    points = Questionnaire.model_validate(raw).points
    counts = write_daily_sample(data, clients=size, questionnaire=points)
    print(json.dumps(counts))


def child_duckdb(step: str, data: Path, result: Path, memory: str, threads: int) -> None:
    import duckdb

    con = duckdb.connect(config={"threads": threads, "memory_limit": memory,
                                 "temp_directory": str(result.parent / "duckdb-tmp")})
    query = sql(LEAD_SQL if step == "lead" else SCAN_SQL, data)
    con.execute(f"COPY ({query}) TO '{result}' (FORMAT parquet)")


def child_pandas(data: Path, result: Path) -> None:
    """What an analyst writes: the step function with sort, shift, clip and groupby."""
    import pandas as pd

    b = pd.read_parquet(data / "daily_assets", columns=["client_id", "date", "total_assets"])
    c = pd.read_parquet(data / "clients.parquet", columns=["client_id", "open_date",
                                                           "close_date"])
    b["date"] = pd.to_datetime(b["date"])
    b = b[b["date"] <= pd.Timestamp(AS_OF)].sort_values(["client_id", "date"])
    b["next_date"] = b.groupby("client_id")["date"].shift(-1)
    b = b.merge(c, on="client_id", how="left")
    out = c[["client_id"]].copy()
    for name, start, end in PERIODS:
        lo = b["open_date"].clip(lower=pd.Timestamp(start))
        stop = b["close_date"].fillna(pd.Timestamp(end)).clip(upper=pd.Timestamp(end))
        stop = stop + pd.Timedelta(days=1)
        seg_stop = b["next_date"].fillna(stop).clip(upper=stop)
        seg_start = b["date"].where(b["date"] > lo, lo)
        days = (seg_stop - seg_start).dt.days.clip(lower=0)
        sums = (b["total_assets"] * days).groupby(b["client_id"]).sum()
        c_lo = c["open_date"].clip(lower=pd.Timestamp(start))
        c_stop = (c["close_date"].fillna(pd.Timestamp(end)).clip(upper=pd.Timestamp(end))
                  + pd.Timedelta(days=1))
        open_days = (c_stop - c_lo).dt.days.clip(lower=0)
        total = c["client_id"].map(sums).fillna(0.0)
        out[f"avg_assets_{name}"] = (total / open_days.where(open_days > 0)).fillna(0.0).round(2)
    out.to_parquet(result, index=False)


# ---------------------------------------------------------------------------- the parent

def run(cmd: list[str], limit_bytes: int | None = None) -> dict:
    """Run a child; its wall seconds, peak RSS (MiB, its own ru_maxrss via wait4), exit code
    (negative: killed by that signal), stdout and stderr."""
    def limit() -> None:
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True,
                                preexec_fn=limit)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return dict(wall=wall, rss=usage.ru_maxrss / 1024, code=code, out=out.read(),
                    err=err.read())


def this(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def generate(size: int, root: Path) -> dict:
    """Generate the daily sample of `size` clients, or reuse it; its figures."""
    data, marker = root / f"clients-{size}", root / f"clients-{size}.json"
    if marker.exists() and data.is_dir():
        return json.loads(marker.read_text()) | {"reused": True}
    marker.unlink(missing_ok=True)
    got = run(this("--child", "generate", "--size", str(size), "--data", str(data)))
    if got["code"]:
        raise SystemExit(f"generating {size} clients failed:\n{got['err']}")
    counts = json.loads(got["out"].strip().splitlines()[-1])
    daily = data / "daily_assets"
    figures = dict(counts=counts, wall=got["wall"], rss=got["rss"],
                   daily_bytes=sum(p.stat().st_size for p in daily.glob("*.parquet")),
                   total_bytes=sum(p.stat().st_size for p in data.rglob("*") if p.is_file()))
    marker.write_text(json.dumps(figures, indent=1))
    return figures | {"reused": False}


def failure(err: str) -> str:
    """The line of an error output worth showing: click's `Error:` line, else the last."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return (errors or lines or ["(no error output)"])[0 if errors else -1][:160]


def bench(size: int, root: Path, args: argparse.Namespace) -> None:
    gen = generate(size, root)
    data = root / f"clients-{size}"
    work = root / f"run-{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows = gen["counts"]["daily_assets"]
    db = ["--memory", args.duckdb_memory, "--threads", str(args.threads)]
    steps: dict[str, dict] = {}
    for key, step in (("a", "lead"), ("b", "scan")):
        if key not in args.steps:
            continue
        result = work / f"{step}.parquet"
        steps[key] = run(this("--child", step, "--data", str(data), "--result", str(result),
                              *db))
        steps[key]["result"] = result
    if "c" in args.steps:
        result = work / "pandas.parquet"
        steps["c"] = run(this("--child", "pandas", "--data", str(data), "--result",
                              str(result)), limit_bytes=int(args.pandas_limit_gb * 2**30))
        steps["c"]["result"] = result
    if "d" in args.steps:
        out = work / "classify"
        steps["d"] = run([str(TIERING), "classify", "--data", str(data), "--as-of", AS_OF,
                          "--cycle", "quarterly", "--out", str(out), "--engine", "duckdb",
                          "--history", str(work / "history.sqlite")])
        steps["d"]["result"] = out / "classification.csv"
    if "e" in args.steps:
        out = work / "run"
        steps["e"] = run([str(TIERING), "run", "--period", "2026Q3", "--data", str(data),
                          "--out", str(out), "--engine", "duckdb", "--run-date", RUN_DATE,
                          "--history", str(work / "run-history.sqlite")])
        steps["e"]["result"] = out / "2026Q3" / "classification.csv"
        steps["e"]["manifest"] = out / "2026Q3" / "manifest.json"
    report(size, gen, rows, steps)


def status(step: dict, key: str) -> str | None:
    """None when the step ran; else what to print instead of its figures."""
    if step["code"] == 0:
        return None
    if key == "c" and (step["code"] < 0 or any(s in step["err"] for s in OUT_OF_MEMORY)):
        return "out of memory"
    label = "not available" if key in ("d", "e") else "failed"
    return f"{label}: {failure(step['err'])}"


def report(size: int, gen: dict, rows: int, steps: dict[str, dict]) -> None:
    names = {"a": "(a) DuckDB LEAD window", "b": "(b) DuckDB scan (floor)",
             "c": "(c) pandas", "d": "(d) tiering classify --engine duckdb",
             "e": "(e) tiering run (whole job)"}
    counts = gen["counts"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n=== {size:,} clients: {rows:,} daily rows, "
          f"{counts['daily_assets'] / size:.0f} per client; daily_assets "
          f"{gen['daily_bytes'] / 2**20:,.1f} MiB on disk, all tables "
          f"{gen['total_bytes'] / 2**20:,.1f} MiB; load average after the run {load} ===")
    note = " (reused)" if gen["reused"] else ""
    header = f"{'step':<40}{'wall s':>9}{'peak MiB':>10}{'rows/s':>14}{'× (a)':>8}{'× (b)':>8}"
    print(header)
    print("-" * len(header))
    print(f"{'generate daily sample' + note:<40}{gen['wall']:>9.1f}{gen['rss']:>10,.0f}"
          f"{rows / gen['wall']:>14,.0f}")
    base = {k: steps[k]["wall"] for k in ("a", "b") if k in steps
            and status(steps[k], k) is None}
    for key, step in steps.items():
        problem = status(step, key)
        if problem:
            print(f"{names[key]:<40}{step['wall']:>9.1f}{step['rss']:>10,.0f}  {problem}")
            continue
        ratios = "".join(f"{step['wall'] / base[k]:>8.2f}" if k in base else f"{'–':>8}"
                         for k in ("a", "b"))
        print(f"{names[key]:<40}{step['wall']:>9.1f}{step['rss']:>10,.0f}"
              f"{rows / step['wall']:>14,.0f}{ratios}")
    cross_check(steps)
    if "e" in steps and status(steps["e"], "e") is None:
        manifest = json.loads(steps["e"]["manifest"].read_text(encoding="utf-8"))
        print("(e) steps of the run (\"beside\": ran at the same time as others):")
        for item in manifest["timings_seconds"]:
            print(f"    {item['step']:<56}{item['seconds']:>8.1f} s")


def cross_check(steps: dict[str, dict]) -> None:
    import pandas as pd

    if "a" not in steps or status(steps["a"], "a") is not None:
        return
    lead = pd.read_parquet(steps["a"]["result"]).set_index("client_id")
    cols = ["avg_assets_last_year", "avg_assets_ytd"]
    others = {"c": ("(c) pandas", pd.read_parquet), "d": ("(d) classification.csv", _csv),
              "e": ("(e) classification.csv", _csv)}
    for key, (name, read) in others.items():
        if (key not in steps or status(steps[key], key) is not None
                or not steps[key]["result"].exists()):
            continue
        other = read(steps[key]["result"]).set_index("client_id")[cols]
        both = lead[cols].merge(other, left_index=True, right_index=True,
                                suffixes=("", "_other"))
        diffs = pd.concat([(both[c] - both[f"{c}_other"]).abs() for c in cols])
        print(f"cross-check (a) vs {name}: {len(both):,} clients in common, max |difference| "
              f"of the averages {round(float(diffs.max()), 2):,.2f} "
              f"({int((diffs > 0.005).sum()):,} of {len(diffs):,} averages differ; a cent "
              "apart is a half-cent tie rounded the other way)")


def _csv(path: Path):
    import pandas as pd

    cols = ["client_id", "avg_assets_last_year", "avg_assets_ytd"]
    return pd.read_csv(path, dtype={"client_id": str}, encoding="utf-8-sig", usecols=cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--data", type=Path, default=ROOT / "outputs" / "bench-scale")
    parser.add_argument("--duckdb-memory", default="16GB",
                        help="DuckDB memory_limit (machine of 24 GB)")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    parser.add_argument("--steps", nargs="+", choices=["a", "b", "c", "d", "e"],
                        default=["a", "b", "c", "d", "e"],
                        help="(a) LEAD, (b) scan, (c) pandas, (d) tiering classify, "
                             "(e) tiering run")
    parser.add_argument("--pandas-limit-gb", type=float, default=20.0,
                        help="address-space limit of the pandas child (RLIMIT_AS)")
    # child mode: one step, run by the parent in a fresh process
    parser.add_argument("--child", choices=["generate", "lead", "scan", "pandas"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        child_generate(args.data, args.size)
    elif args.child in ("lead", "scan"):
        child_duckdb(args.child, args.data, args.result, args.memory, args.threads)
    elif args.child == "pandas":
        child_pandas(args.data, args.result)
    else:
        root = args.data.resolve()
        root.mkdir(parents=True, exist_ok=True)
        print(f"bench_scale: as-of {AS_OF}, DuckDB threads={args.threads} "
              f"memory_limit={args.duckdb_memory}, pandas RLIMIT_AS {args.pandas_limit_gb:g} GB, "
              f"{os.cpu_count()} CPUs; data in {root}")
        for size in args.sizes:
            bench(size, root, args)


if __name__ == "__main__":
    main()
