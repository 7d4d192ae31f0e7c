"""Benchmark `managers.assign_managers` on generated clients and managers.

Generates N clients (about 2% vip, 15% core, 22% potential, the rest ordinary; 5 branches; a
third with an existing manager_id, some of them stale: inactive, other branch, wrong role or
unknown) and M managers (three account managers to one sales manager per branch, 2% inactive,
capacities that leave some branches short). Prints, for each repeat: the wall time and the peak
traced memory (tracemalloc) of assign_managers and of manager_load, and as a baseline measured
in the same run, the time of a pandas groupby-count of clients per branch (the floor of touching
the data at all). Ends with the outcome counts and the process's peak RSS.

    .venv/bin/python bench/bench_managers.py [--clients 100000] [--managers 500] [--repeat 3]

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tiering.managers import assign_managers, manager_load
from tiering.params import load_parameters

ROOT = Path(__file__).resolve().parents[1]
BRANCHES = np.array(["北京", "上海", "深圳", "广州", "杭州"])
LEVELS = np.array(["ordinary", "potential", "core", "vip"])
LEVEL_MIX = [0.61, 0.22, 0.15, 0.02]


def generate(n: int, m: int, seed: int = 20260930) -> tuple[pd.DataFrame, ...]:
    """Classification (client_id, level), clients and managers frames."""
    rng = np.random.default_rng(seed)
    m_ids = np.char.add("M", np.char.zfill(np.arange(1, m + 1).astype(str), 4))
    m_branch = np.arange(m) % BRANCHES.size
    m_role = np.where(rng.random(m) < 0.75, "account_manager", "sales_manager")
    capacity = np.where(
        m_role == "account_manager", rng.integers(30, 81, m), rng.integers(40, 101, m)
    ).astype(np.float64)
    active = rng.random(m) >= 0.02
    managers = pd.DataFrame(
        {
            "manager_id": m_ids,
            "name": np.char.add("经理", m_ids),
            "role": m_role,
            "branch": BRANCHES[m_branch],
            "capacity": capacity,
            "active": pd.array(active, dtype="boolean"),
        }
    )

    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    level = LEVELS[rng.choice(LEVELS.size, n, p=LEVEL_MIX)]
    branch = rng.integers(0, BRANCHES.size, n)
    # a third have a manager: mostly one of their branch, some of any branch, a few unknown
    has = rng.random(n) < 1 / 3
    per_branch = np.bincount(m_branch, minlength=BRANCHES.size)  # manager k is in k % 5
    pick = branch + BRANCHES.size * (rng.integers(0, m, n) % per_branch[branch])
    anywhere = rng.integers(0, m, n)
    u = rng.random(n)
    previous = np.where(u < 0.9, m_ids[pick], m_ids[anywhere]).astype(object)
    previous[u > 0.98] = "M9999"
    previous[~has] = None
    clients = pd.DataFrame(
        {
            "client_id": ids,
            "branch": BRANCHES[branch],
            "manager_id": pd.array(previous, dtype="str"),
        }
    )
    classification = pd.DataFrame({"client_id": ids, "level": level})
    return classification, clients, managers


def measure(fn: Callable[[], object]) -> tuple[object, float, float]:
    """Result, wall seconds and peak traced MiB of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, wall, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    params = load_parameters(ROOT / "params", date(2026, 9, 30)).policy.managers
    classification, clients, managers = generate(args.clients, args.managers)
    served = classification["level"].isin(["vip", "core", "potential"]).sum()
    print(
        f"{args.clients:,} clients ({served:,} served), {args.managers} managers, "
        f"{clients['manager_id'].notna().sum():,} with a previous manager"
    )
    print(
        f"{'run':>3} {'assign s':>9} {'peak MiB':>9} {'load s':>7} {'peak MiB':>9} "
        f"{'groupby s':>10} {'ratio':>6}"
    )
    for k in range(1, args.repeat + 1):
        # wall times are taken without tracemalloc (it slows allocation-heavy code); the peak
        # memory comes from a second, traced call
        start = time.perf_counter()
        clients.groupby("branch").size()
        base = time.perf_counter() - start
        start = time.perf_counter()
        out = assign_managers(classification, clients, managers, params)
        wall = time.perf_counter() - start
        _, _, peak = measure(lambda: assign_managers(classification, clients, managers, params))
        start = time.perf_counter()
        manager_load(out, classification, managers, params)
        load_wall = time.perf_counter() - start
        _, _, load_peak = measure(
            lambda done=out: manager_load(done, classification, managers, params)
        )
        print(
            f"{k:>3} {wall:>9.3f} {peak:>9.1f} {load_wall:>7.3f} {load_peak:>9.1f} "
            f"{base:>10.4f} {wall / base:>6.0f}",
            flush=True,
        )
    print("ratio = assign time / time of clients.groupby('branch').size() (measured in this run)")
    print("peak MiB = tracemalloc peak of one call (numpy/pandas buffers included)")
    print(out["status"].value_counts().to_string())
    load = manager_load(out, classification, managers, params)
    print(
        f"overloaded managers: {int(load['overloaded'].sum())}; "
        f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
