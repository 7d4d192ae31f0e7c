"""Benchmark `fee_sharing.derive_fees` (SPEC 2.7) on the generated sample.

Generates the sample (default 100,000 clients) and derives every client's fee contribution as
of the sample's reference quarter end, with fixed charge dates 30 June and 31 December so all
three triggers (redemption, dividend, fixed date) occur. Prints, for each repeat: the wall time
of the derivation and the rows per second (transaction rows in), and as a baseline measured in
the same run on the same frame, a plain pandas groupby sum of amount per client (the floor for
touching every row once). Then one traced call's peak memory (tracemalloc), the process's peak
RSS, and what came out (lots, charges, contribution rows, findings by kind).

    .venv/bin/python bench/bench_fees.py [--clients 100000] [--seed 20260930] [--repeat 3]

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

import yaml

from tiering.fee_params import FeeParams
from tiering.fee_sharing import derive_fees
from tiering.sample import DEFAULT_SEED, generate_sample

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 9, 30)  # the sample's reference quarter end
PARAMS = FeeParams(charge_dates={"*": ("06-30", "12-31")})


def questionnaire() -> dict[str, dict[str, float]]:
    """Question id → {option: points}, from the project's questionnaire file."""
    raw = yaml.safe_load((ROOT / "params" / "questionnaire.yaml").read_text(encoding="utf-8"))
    return {q["id"]: {k: o["points"] for k, o in q["options"].items()} for q in raw["questions"]}


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    tables = generate_sample(args.clients, args.seed, questionnaire=questionnaire())
    tx, nav, products = tables["transactions"], tables["nav"], tables["products"]
    print(f"sample: {args.clients:,} clients, seed {args.seed}, generated in "
          f"{time.perf_counter() - start:.1f} s; {len(tx):,} transactions, {len(nav):,} NAV "
          f"rows, {len(products)} products; as of {AS_OF}")

    def run():
        return derive_fees(tx, nav, products, as_of=AS_OF, params=PARAMS)

    print(f"{'run':>3} {'derive s':>9} {'rows/s':>11} {'groupby s':>10} {'ratio':>6}")
    for k in range(1, args.repeat + 1):
        start = time.perf_counter()
        tx.groupby("client_id")["amount"].sum()
        base = time.perf_counter() - start
        start = time.perf_counter()
        result = run()
        wall = time.perf_counter() - start
        print(f"{k:>3} {wall:>9.3f} {len(tx) / wall:>11,.0f} {base:>10.4f} {wall / base:>6.0f}",
              flush=True)
    print("ratio = derive time / time of transactions.groupby('client_id')['amount'].sum()")

    # the wall times above are untraced (tracemalloc slows allocation-heavy code)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory of one call: {peak / 2**20:,.1f} MiB; "
          f"process peak RSS {peak_rss_mib():,.0f} MiB")

    out, charges = result.contribution, result.charges
    print(f"lots {len(result.book.lots):,}; fills {len(result.book.fills):,}; "
          f"charge events {len(charges):,} ({int(charges['charged'].sum()):,} due, "
          f"{int((charges['fee'] > 0).sum()):,} with a fee); "
          f"contribution rows {len(out):,} for {out['client_id'].nunique():,} clients")
    print("charge events by trigger:", charges["trigger"].value_counts().to_dict())
    print("findings by kind:", result.findings["kind"].value_counts().to_dict())
    totals = out.groupby("year")[["management_fee", "performance_fee"]].sum().round(2)
    print(totals.to_string())


if __name__ == "__main__":
    main()
