"""Benchmark `tiering.rfm.rfm` on generated transactions (default 10 M rows, 1 M clients).

Prints the sizes run, wall time of `rfm` end to end, peak memory of this process (ru_maxrss)
and rows per second, next to a baseline measured in the same run on the same frame: a plain
pandas groupby sum of amount per client (the floor for touching every row once).

    .venv/bin/python bench/bench_rfm.py [--rows 10000000] [--clients 1000000] [--seed 7]

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date

import numpy as np
import pandas as pd

from tiering.rfm import rfm
from tiering.rfm_params import RfmParams

AS_OF = date(2026, 9, 30)
SIDES = np.array(["subscribe", "purchase", "redeem", "dividend"])


def generate(rows: int, clients: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Vectorised, seeded transactions over three years up to as_of, and the client list."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(np.arange(clients).astype(str), 7))
    # skewed activity: some clients trade far more often than others
    who = np.minimum((rng.pareto(1.5, rows) * clients / 20).astype(np.int64), clients - 1)
    who = (who + rng.integers(0, clients, rows)) % clients
    days_back = rng.integers(0, 3 * 365, rows)
    trade_date = (np.datetime64(AS_OF, "D") - days_back).astype("datetime64[ns]")
    frame = pd.DataFrame({
        "client_id": pd.array(ids[who], dtype="str"),
        "trade_date": trade_date,
        "side": pd.array(SIDES[rng.choice(4, rows, p=[0.3, 0.4, 0.25, 0.05])], dtype="str"),
        "amount": np.round(rng.lognormal(11, 1.2, rows), 2),
    })
    # a few clients in scope never trade
    scope = pd.Series(np.concatenate([ids, np.char.add("N", ids[: clients // 100])]), dtype="str")
    return frame, scope


def peak_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    frame, scope = generate(args.rows, args.clients, args.seed)
    gen_s = time.perf_counter() - start
    print(f"ran: {args.rows:,} transactions, {args.clients:,} clients "
          f"(+{len(scope) - args.clients:,} without trades in scope), seed {args.seed}")
    print(f"generate: {gen_s:.2f} s, peak RSS so far {peak_mib():,.0f} MiB")

    start = time.perf_counter()
    baseline = frame.groupby("client_id")["amount"].sum()
    base_s = time.perf_counter() - start
    print(f"baseline (pandas groupby sum of amount): {base_s:.2f} s, "
          f"{args.rows / base_s:,.0f} rows/s, {len(baseline):,} groups")

    start = time.perf_counter()
    out = rfm(frame, scope, as_of=AS_OF, params=RfmParams())
    rfm_s = time.perf_counter() - start
    print(f"rfm: {rfm_s:.2f} s, {args.rows / rfm_s:,.0f} rows/s, {len(out):,} clients out, "
          f"{rfm_s / base_s:.1f}x the baseline")
    print(f"peak RSS (ru_maxrss, whole process): {peak_mib():,.0f} MiB")
    print("segments:", out["segment"].value_counts().to_dict())


if __name__ == "__main__":
    main()
