"""Benchmark the daily-average step function on DuckDB over a synthetic daily Parquet file.

Builds, with DuckDB in a temporary folder, `--clients` clients (default 200,000) with two years
of balances up to the as-of date: most clients have one row a day (dense), `--sparse` of them
(default 10%) only change-only rows (about one a month), and a few dense clients miss one day.
Then times on the same file, each in its own fresh process (so peak memory is its own):

- `stepped`: `features.daily_average_assets(..., dense_path=False)`: the ordered shift/LEAD
  step function for every client;
- `dense`: the default, which sums dense windows and orders only the sparse clients;
- `lead_sql`: a hand-written DuckDB query with a LEAD window (what one writes first);
- `scan`: a plain DuckDB scan summing balances per client and period (the floor for reading
  the file at all; not the step function).

Prints wall time, peak memory (ru_maxrss of the measuring process), input rows per second and
ratios, and checks that `dense` and `stepped` give the same averages.

    .venv/bin/python bench/bench_features.py [--clients 200000] [--sparse 0.1] [--threads 2]

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tiering import features

AS_OF = date(2026, 9, 30)
FIRST_DAY = date(2024, 10, 1)  # two years of daily rows: 730 days up to AS_OF
METHODS = ("stepped", "dense", "lead_sql", "scan")


def build(folder: Path, clients: int, sparse: float, threads: int) -> dict[str, int]:
    """Write clients.parquet and daily_assets.parquet in `folder`, generated inside DuckDB.

    Client i is sparse when hash(i) puts it in the first `sparse` share; a sparse client has a
    row on its first day and then on about one day in 30. About 1 dense client in 200 misses
    one day (it then goes through the ordered path). 1 client in 20 opens during the data's
    span and has rows from its open date; 1 in 50 closed in 2026 and still has later rows.
    """
    con = duckdb.connect(config={"threads": threads})
    con.execute(f"""
        CREATE TABLE clients AS
        SELECT 'C' || lpad(i::VARCHAR, 8, '0') AS client_id,
               CASE WHEN i % 20 = 7 THEN DATE '{FIRST_DAY}' + (hash(i, 1) % 600)::INTEGER
                    ELSE DATE '2020-01-01' END AS open_date,
               CASE WHEN i % 50 = 3 THEN DATE '2026-01-01' + (hash(i, 2) % 200)::INTEGER
                    END AS close_date,
               (hash(i, 3) % 1000) < {round(sparse * 1000)} AS sparse,
               hash(i, 4) % 200 = 0 AS gap,
               DATE '2025-02-01' + (hash(i, 5) % 500)::INTEGER AS gap_day,
               1000 + (hash(i, 6) % 5000000)::DOUBLE AS base
        FROM range({clients}) AS t(i)
    """)
    con.execute(f"""
        COPY (SELECT client_id, open_date, close_date FROM clients ORDER BY client_id)
        TO '{folder / "clients.parquet"}' (FORMAT parquet)
    """)
    con.execute(f"""
        COPY (
            SELECT c.client_id, d.day AS date,
                   round(c.base * (1 + 0.0004 * (hash(c.client_id, d.day) % 100)), 2)
                       AS total_assets
            FROM clients AS c
            CROSS JOIN (SELECT range::DATE AS day
                        FROM range(DATE '{FIRST_DAY}', DATE '{AS_OF}' + 1, INTERVAL 1 DAY)) AS d
            WHERE d.day >= c.open_date
              AND (NOT c.sparse OR d.day = greatest(c.open_date, DATE '{FIRST_DAY}')
                   OR hash(c.client_id, d.day) % 30 = 0)
              AND NOT (c.gap AND NOT c.sparse AND d.day = c.gap_day)
            ORDER BY c.client_id, d.day
        ) TO '{folder / "daily_assets.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    counts = con.sql(
        "SELECT count(*), sum(sparse::INT), sum((gap AND NOT sparse)::INT) FROM clients"
    ).fetchall()[0]
    rows = con.sql(f"SELECT count(*) FROM '{folder / 'daily_assets.parquet'}'").fetchall()[0][0]
    return {"clients": counts[0], "sparse": counts[1], "gapped": counts[2], "rows": rows}


def lead_sql(folder: Path) -> str:
    """The hand-written step function: LEAD per client, clipped to each window."""
    last_year, ytd = features.rating_periods(AS_OF)
    return f"""
        WITH c AS (SELECT * FROM '{folder / "clients.parquet"}'),
        w AS (
            SELECT client_id, p.name AS period,
                   greatest(open_date, p.first) AS start,
                   least(coalesce(close_date, p.last), p.last) + 1 AS stop
            FROM c, (VALUES ('last_year', DATE '{last_year.start}', DATE '{last_year.end}'),
                            ('ytd', DATE '{ytd.start}', DATE '{ytd.end}')) AS p(name, first, last)
        ),
        b AS (
            SELECT client_id, date, total_assets,
                   lead(date) OVER (PARTITION BY client_id ORDER BY date) AS next_date
            FROM '{folder / "daily_assets.parquet"}'
            WHERE date <= DATE '{AS_OF}'
        ),
        s AS (
            SELECT w.client_id, w.period,
                   sum(b.total_assets * greatest(0, least(coalesce(b.next_date, w.stop), w.stop)
                                                 - greatest(b.date, w.start))) AS asset_days
            FROM b JOIN w USING (client_id)
            WHERE b.date < w.stop AND (b.next_date IS NULL OR b.next_date > w.start)
            GROUP BY ALL
        )
        SELECT w.client_id, w.period,
               CASE WHEN w.stop > w.start
                    THEN round(coalesce(s.asset_days, 0) / (w.stop - w.start), 2)
                    ELSE 0 END AS avg_assets
        FROM w LEFT JOIN s USING (client_id, period)
    """


def scan_sql(folder: Path) -> str:
    """The floor: one pass summing balances per client and period, no ordering, no windows."""
    last_year, ytd = features.rating_periods(AS_OF)
    return f"""
        SELECT client_id,
               CASE WHEN date <= DATE '{last_year.end}' THEN 'last_year' ELSE 'ytd' END AS period,
               sum(total_assets) AS asset_sum, count(*) AS n
        FROM '{folder / "daily_assets.parquet"}'
        WHERE date >= DATE '{last_year.start}' AND date <= DATE '{AS_OF}'
        GROUP BY ALL
    """


def measure(method: str, folder: Path, threads: int) -> dict[str, float]:
    """Run one method in this process; returns seconds, peak MiB and output rows."""
    con = duckdb.connect(config={"threads": threads})
    started = time.perf_counter()
    if method in ("stepped", "dense"):
        clients = con.read_parquet(str(folder / "clients.parquet"))
        balances = con.read_parquet(str(folder / "daily_assets.parquet"))
        windows = features.client_windows(clients, features.rating_periods(AS_OF))
        result = features.daily_average_assets(balances, windows,
                                               dense_path=method == "dense")
    else:
        result = con.sql(lead_sql(folder) if method == "lead_sql" else scan_sql(folder))
    table = result.arrow().read_all()
    seconds = time.perf_counter() - started
    peak = peak_mib()
    if method in ("stepped", "dense"):  # kept to check that both give the same averages
        pq.write_table(table, folder / f"{method}.parquet")
    return {"seconds": seconds, "peak_mib": peak, "out_rows": table.num_rows}


def peak_mib() -> float:
    """Peak resident memory of this process (ru_maxrss). Linux keeps it across exec, so the
    parent stays small: it builds nothing itself and only compares results at the end."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def in_fresh_process(*args: str) -> dict:
    """Run this script with `args` in a new process; its last printed line, parsed as JSON."""
    done = subprocess.run([sys.executable, __file__, *args],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_averages(folder: Path) -> str:
    """How far `dense` is from `stepped`: rows compared and the largest difference."""
    found = duckdb.sql(f"""
        SELECT count(*), max(abs(d.avg_assets - s.avg_assets)),
               sum((d.avg_assets IS DISTINCT FROM s.avg_assets)::INT)
        FROM '{folder / "dense.parquet"}' AS d
        FULL JOIN '{folder / "stepped.parquet"}' AS s USING (client_id, period)
    """).fetchall()[0]
    return f"{found[0]:,} windows compared, {found[2]} differ, largest difference {found[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--sparse", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--measure", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.folder, args.threads)))
        return
    if args.build:
        print(json.dumps(build(args.folder, args.clients, args.sparse, args.threads)))
        return

    threads = ["--threads", str(args.threads)]
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        sizes = in_fresh_process("--build", "--folder", tmp, "--clients", str(args.clients),
                                 "--sparse", str(args.sparse), *threads)
        size_mib = (folder / "daily_assets.parquet").stat().st_size / 2**20
        print(f"data: {sizes['clients']:,} clients ({sizes['sparse']:,} sparse, "
              f"{sizes['gapped']:,} dense with one missing day), {sizes['rows']:,} balance rows, "
              f"{size_mib:,.0f} MiB Parquet, built in {time.perf_counter() - started:.1f} s; "
              f"as of {AS_OF}, DuckDB {duckdb.__version__}, {args.threads} threads")
        results = {m: in_fresh_process("--measure", m, "--folder", tmp, *threads)
                   for m in METHODS}
        print(f"{'method':<10}{'seconds':>10}{'peak MiB':>10}{'M rows/s':>10}"
              f"{'x scan':>9}{'x lead_sql':>11}")
        for method, got in results.items():
            print(f"{method:<10}{got['seconds']:>10.2f}{got['peak_mib']:>10.0f}"
                  f"{sizes['rows'] / got['seconds'] / 1e6:>10.1f}"
                  f"{got['seconds'] / results['scan']['seconds']:>9.2f}"
                  f"{got['seconds'] / results['lead_sql']['seconds']:>11.2f}")
        speedup = results["stepped"]["seconds"] / results["dense"]["seconds"]
        print(f"dense path is {speedup:.2f}x faster than the stepped path; "
              f"dense vs stepped: {same_averages(folder)}")


if __name__ == "__main__":
    main()
