"""Benchmark `visits.schedule` on generated clients and managers.

Reuses `bench_managers.generate` (N clients: about 2% vip, 15% core, 22% potential; M managers
over 5 branches), assigns managers with `assign_managers` (not timed), and adds birth dates,
a daily visit limit for most managers (the rest fall back to the parameter) and a year of
logged visits (phone, online and in person). As of 30 September 2026, so Q4 2026 is scheduled:
every VIP still owes its visits and the load is at its highest.

Prints, for each repeat, the wall time of `schedule` and, as a baseline measured in the same
run, the time to build the quarter's working days × managers grid as a DataFrame (the floor of
touching every manager-day once). Ends with the counts of the schedule and shortfalls.

    .venv/bin/python bench/bench_visits.py [--clients 100000] [--managers 500] [--repeat 3]

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from bench_managers import generate  # same folder: run as a script

from tiering.managers import assign_managers
from tiering.params import load_parameters
from tiering.visits import obligations, quarter_after, schedule

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 9, 30)


def add_visit_data(
    clients: pd.DataFrame, managers: pd.DataFrame, assignments: pd.DataFrame, seed: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Birth dates for the clients, max_visits_per_day for the managers, logged visits."""
    rng = np.random.default_rng(seed)
    n, m = len(clients), len(managers)
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 60 * 365, n), unit="D")
    clients = clients.assign(birth_date=born)
    per_day = rng.choice([2.0, 3.0, 4.0, np.nan], m, p=[0.3, 0.4, 0.2, 0.1])
    managers = managers.assign(max_visits_per_day=per_day)
    served = assignments.loc[assignments["manager_id"].notna()]
    k = len(served) // 2  # half of the served clients have a contact this year
    pick = rng.choice(len(served), k, replace=False)
    days = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 272, k), unit="D")
    visits = pd.DataFrame(
        {
            "client_id": served["client_id"].to_numpy()[pick],
            "manager_id": served["manager_id"].to_numpy()[pick],
            "visit_date": days,
            "visit_type": rng.choice(["in_person", "phone", "online"], k, p=[0.4, 0.4, 0.2]),
        }
    )
    return clients, managers, visits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loaded = load_parameters(ROOT / "params", AS_OF)
    policy, calendar = loaded.policy, loaded.calendar
    classification, clients, managers = generate(args.clients, args.managers)
    assignments = assign_managers(classification, clients, managers, policy.managers)
    clients, managers, visits = add_visit_data(clients, managers, assignments)
    owed = obligations(classification, visits, as_of=AS_OF, params=policy.visits)
    start, end = quarter_after(AS_OF)
    print(
        f"{args.clients:,} clients, {args.managers} managers, as of {AS_OF}: "
        f"{start}..{end}, {len(calendar.working_days(start, end))} working days; "
        f"{int(owed['due_this_quarter'].sum()):,} visits due of {len(owed):,} obligations; "
        f"{len(visits):,} logged contacts"
    )
    print(f"{'run':>3} {'schedule s':>11} {'grid s':>8} {'ratio':>6}")
    for k in range(1, args.repeat + 1):
        begin = time.perf_counter()
        working = calendar.working_days(start, end)
        grid = pd.MultiIndex.from_product(
            [managers["manager_id"], pd.to_datetime(working)], names=["manager_id", "date"]
        ).to_frame(index=False)
        base = time.perf_counter() - begin
        begin = time.perf_counter()
        out, short = schedule(
            classification, clients, assignments, managers, visits,
            as_of=AS_OF, params=policy.visits, calendar=calendar,
        )
        wall = time.perf_counter() - begin
        print(f"{k:>3} {wall:>11.3f} {base:>8.4f} {wall / base:>6.0f}", flush=True)
    print(f"ratio = schedule time / time to build the {len(grid):,}-row manager × working-day "
          "grid (measured in this run)")
    print(out["kind"].value_counts().to_string())
    visits_only = out.loc[out["kind"] == "visit"]
    per_day = visits_only.groupby(["manager_id", "date"]).size()
    print(f"visits a manager-day: mean {per_day.mean():.2f}, max {per_day.max()}")
    reasons = short["reason"].str.extract(r"^(no manager|no capacity|not enough working days)")
    missing = short.groupby(reasons[0].rename("shortfall"))["missing"].sum()
    print(missing.rename("missing").to_string())


if __name__ == "__main__":
    main()
