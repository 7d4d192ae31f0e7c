"""Benchmark the service allocation plan (SPEC 2.5) for 100,000 clients and 500 managers.

Generates the sample at --clients (its tables, in memory), rates it as of 2026-09-30, widens
the managers table to --managers (the sample's managers repeated across the branches with new
ids), then times each part of `allocation.allocate` (and, in a second call under
tracemalloc, its peak memory): manager assignment, manager load, tolerance, the service plan,
the product shelf and the suitability alerts. As a baseline
measured in the same run: a pandas groupby-count of the classification by level and category
(the floor of touching the clients at all). Prints wall time, peak traced memory and rows per
second; asserts nothing.

    .venv/bin/python bench/bench_plan.py [--clients 100000] [--managers 500]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from datetime import date
from pathlib import Path

import pandas as pd

from tiering import classify, managers, services, suitability
from tiering.params import load_parameters
from tiering.sample import generate_sample

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 9, 30)


def widen(staff: pd.DataFrame, count: int) -> pd.DataFrame:
    """`count` managers: the sample's repeated, with new ids, in the same branches."""
    reps = -(-count // len(staff))
    wide = pd.concat([staff] * reps, ignore_index=True).head(count).copy()
    wide["manager_id"] = [f"M{i:05d}" for i in range(1, count + 1)]
    return wide


def timed(label: str, rows: int, fn):
    """Run once for the time (tracemalloc would slow it several times), once for the memory."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"  {label:<22} {seconds:8.2f} s {peak:9.0f} MiB {rows / seconds:12,.0f} rows/s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=500)
    args = parser.parse_args()
    params = load_parameters(ROOT / "params", AS_OF)
    policy = params.policy
    tables = generate_sample(args.clients, questionnaire=params.questionnaire.points)
    tables = {name: frame[frame[col] <= pd.Timestamp(AS_OF)] if (col := {
        "daily_assets": "date", "fees": "date", "transactions": "trade_date",
        "holdings": "as_of_date", "risk_assessments": "assessment_date"}.get(name)) else frame
        for name, frame in tables.items()}
    tables["managers"] = widen(tables["managers"], args.managers)
    empty = pd.DataFrame(columns=["client_id", "level", "base_level"])
    rating = classify.rate(tables, params, as_of=AS_OF, cycle="adhoc", in_force=empty,
                           last_annual=None)
    table = rating.classification
    n = len(table)
    clients, staff = tables["clients"], tables["managers"]
    print(f"service plan for {n:,} rated clients and {len(staff):,} managers "
          f"({len(tables['transactions']):,} transactions, {len(tables['holdings']):,} holdings)")
    print(f"  {'step':<22} {'time':>10} {'peak':>13} {'rows/s':>12}")
    _, floor = timed("baseline: groupby", n,
                     lambda: table.groupby(["level", "category"]).size())
    total = 0.0
    assignments, s = timed("assign managers", n, lambda: managers.assign_managers(
        table, clients, staff, policy.managers))
    total += s
    _, s = timed("manager load", len(assignments), lambda: managers.manager_load(
        assignments, table, staff, policy.managers))
    total += s
    tolerance, s = timed("tolerance", n, lambda: suitability.client_tolerance(
        table, clients, policy.suitability))
    total += s
    plan, s = timed("service plan", n, lambda: services.service_plan(
        table, assignments, tolerance, policy.services))
    total += s
    _, s = timed("product shelf", len(tables["products"]), lambda: suitability.product_shelf(
        tables["products"], [b.id for b in policy.risk.bands], policy.suitability))
    total += s
    alerts, s = timed("suitability alerts", len(tables["transactions"]),
                      lambda: suitability.alerts(
                          table, clients, tables["products"], tables["holdings"],
                          tables["transactions"], as_of=AS_OF, params=policy.suitability,
                          assessment_valid_years=policy.risk.assessment_valid_years))
    total += s
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {'whole plan':<22} {total:8.2f} s   ({total / floor:,.0f}x the groupby baseline)")
    print(f"plan rows {len(plan):,}; assignments {len(assignments):,} "
          f"({(assignments['status'] == 'unassigned').sum():,} unassigned); "
          f"alerts {len(alerts):,}; process peak RSS {peak_rss:,.0f} MiB")


if __name__ == "__main__":
    main()
