"""Benchmark the per-client rule steps of a rating at a million clients.

Times `tiers.assign_tiers`, `classify.client_categories` (questionnaire scoring, latest
category, recorded-category findings), `fee_lots.build_lots` and `fee_sharing.derive_fees`
on a deterministic input: by default tables made here with seeded numpy (text columns as
Arrow strings, as the loader returns them), or, with --data, a data folder read and checked
the way a run reads it (the big `daily_assets`, `fees`, `holdings` and `visits` tables are not
read). The tier indicators are seeded figures for the clients in scope, or with
--classification the figures of a published classification.csv. Prints, per step: rows in,
the best wall time of --repeat untraced calls, rows per second, and the peak memory of one
more, traced call (tracemalloc: Python and numpy; Arrow buffers are not traced, they show in
the process peak RSS printed last).

    .venv/bin/python bench/bench_rules.py [--clients 1000000] [--seed 20260930] [--repeat 2]
    .venv/bin/python bench/bench_rules.py --data DIR [--classification FILE]

Figures measured on the 1,000,000-client bench-scale folder with its published indicators (2
shared cores, loaded machine, so noisy; before = the code of commit b8bd566, after = this
change, same script run, best of the runs):

    step                  before s   after s   (after, this script: best of 2)
    assign_tiers           11 - 34    1.2 - 3.3   0.68
    client_categories       8 - 25    1.3 - 2.4   2.19
    build_lots            3.9 - 7     1.2 - 3.8   3.24
    derive_fees           5.6 - 15.6    4 - 7.4   4.86

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tiering import classify, fee_lots, fee_sharing, pipeline, tiers
from tiering.loading import TEXT
from tiering.params import Parameters, load_parameters

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 9, 30)
SKIP = ("daily_assets", "fees", "holdings", "visits")  # not read by these steps
SIDES = ["subscribe", "purchase", "redeem", "dividend"]


def peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def text(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=TEXT)


def synthetic_tables(clients: int, seed: int, params: Parameters) -> dict[str, pd.DataFrame]:
    """clients, risk_assessments (answers and given scores), transactions, nav, products."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(np.arange(1, clients + 1).astype(str), 7))
    day0 = np.datetime64("2019-01-01")
    span = int((np.datetime64(AS_OF) - day0).astype(int))
    # 87% of clients have a latest questionnaire, 8% more rows are older ones; the recorded
    # category is mostly the one the latest answers score (a few findings, as in real data)
    latest = rng.permutation(clients)[:int(clients * 0.87)]
    who = np.concatenate([latest, rng.choice(latest, int(clients * 0.08))])
    n = who.size
    answers, total = {}, np.zeros(n)
    for q in params.questionnaire.questions:
        options = np.array(list(params.questionnaire.points[q.id]), dtype=object)
        picked = rng.integers(0, options.size, n)
        answers[q.id] = text(options[picked])
        total += np.array(list(params.questionnaire.points[q.id].values()))[picked]
    bands = sorted(params.policy.risk.bands, key=lambda band: band.min_score)
    band = np.searchsorted([b.min_score for b in bands], total, side="right") - 1
    scored = np.full(clients + 1, None, dtype=object)
    scored[latest] = np.array([b.id for b in bands], dtype=object)[band[:latest.size]]
    recorded = np.where(rng.random(clients) < 0.8, scored[:clients], None)
    recorded[rng.integers(0, clients, 20)] = "进取型"  # a few disagree
    given = np.where(rng.random(n) < 0.02, total, np.nan)
    given[:5] += 1  # a few given scores disagree with the answers
    table_clients = pd.DataFrame({
        "client_id": text(ids),
        "open_date": (day0 + rng.integers(0, span, clients).astype("timedelta64[D]")
                      ).astype("datetime64[ns]"),
        "recorded_category": text(recorded),
    })
    assessments = pd.DataFrame({
        "client_id": text(ids[who]),
        "assessment_date": (np.datetime64(AS_OF) - np.where(  # older rows: earlier
            np.arange(n) < latest.size, rng.integers(0, 700, n), rng.integers(700, span, n)
        ).astype("timedelta64[D]")).astype("datetime64[ns]"),
        "score": given,
        "signed": pd.array(rng.random(n) > 0.015, dtype="boolean"),
        **answers,
    })
    m = clients * 2
    products = [f"P{k:02d}" for k in range(1, 31)]
    unit = np.round(rng.uniform(0.8, 2.0, m), 4)
    trades = pd.DataFrame({
        "client_id": text(ids[rng.integers(0, clients, m)]),
        "trade_date": (day0 + rng.integers(0, span, m).astype("timedelta64[D]")
                       ).astype("datetime64[ns]"),
        "product_id": text(np.array(products)[rng.integers(0, 30, m)]),
        "side": text(np.array(SIDES)[rng.choice(4, m, p=[0.15, 0.35, 0.3, 0.2])]),
        "amount": np.round(rng.lognormal(11, 1, m), 2),
    })
    trades["shares"] = np.round(trades["amount"].to_numpy() / unit, 2)
    trades["unit_nav"] = unit
    weeks = np.arange(day0, np.datetime64(AS_OF) + 1, 7)
    nav = pd.DataFrame({
        "product_id": text(np.repeat(products, weeks.size)),
        "date": np.tile(weeks, len(products)).astype("datetime64[ns]"),
        "unit_nav": np.round(rng.uniform(0.8, 2.0, weeks.size * len(products)), 4),
    })
    nav["accumulated_nav"] = nav["unit_nav"]
    table_products = pd.DataFrame({
        "product_id": text(np.array(products)),
        "management_fee_rate": np.full(len(products), 0.015),
        "performance_fee_rate": np.full(len(products), 0.2),
    })
    return {"clients": table_clients, "risk_assessments": assessments, "transactions": trades,
            "nav": nav, "products": table_products}


def folder_tables(folder: Path, params: Parameters) -> dict[str, pd.DataFrame]:
    """The folder's tables, read, checked and cut at the as-of date as a run does."""
    typed, problems = pipeline.check_inputs(pipeline.load_inputs(folder, skip=SKIP), params)
    if not problems.empty:
        raise SystemExit(f"the data folder has {len(problems)} problems: run tiering validate")
    return pipeline.leave_out_future(typed, AS_OF)[0]


def indicators(scope: pd.DataFrame, seed: int, published: Path | None) -> pd.DataFrame:
    """The frame assign_tiers takes: seeded figures, or a published classification's."""
    if published is not None:
        cols = ["client_id", "avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year"]
        frame = pd.read_csv(published, encoding="utf-8-sig", usecols=cols)
        return frame.astype({"client_id": TEXT} | {c: "float64" for c in cols[1:]})
    rng = np.random.default_rng(seed + 1)
    n = len(scope)
    held = rng.random(n) < 0.9
    return pd.DataFrame({
        "client_id": scope["client_id"].to_numpy(),
        "avg_assets_last_year": np.where(held, np.round(rng.lognormal(11.5, 1.6, n), 2), 0.0),
        "avg_assets_ytd": np.where(held, np.round(rng.lognormal(11.5, 1.6, n), 2), 0.0),
        "mgmt_fee_last_year": np.where(held, np.round(rng.lognormal(7.5, 1.5, n), 2), 0.0),
    }).astype({"client_id": TEXT})


def measure(name: str, rows: int, call: Callable[[], object], repeat: int) -> None:
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
    tracemalloc.start()
    call()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = min(walls)
    print(f"{name:<18} {rows:>11,} {best:>8.2f} {rows / best:>12,.0f} {traced / 2**20:>10,.0f}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data", type=Path, default=None,
                        help="A data folder to read instead of the seeded tables.")
    parser.add_argument("--classification", type=Path, default=None,
                        help="A published classification.csv whose figures the tiers read.")
    args = parser.parse_args()

    params = load_parameters(ROOT / "params", AS_OF)
    start = time.perf_counter()
    tables = (folder_tables(args.data, params) if args.data
              else synthetic_tables(args.clients, args.seed, params))
    scope, _ = classify.split_scope(tables["clients"], AS_OF, {})
    features = indicators(scope, args.seed, args.classification)
    tx = tables["transactions"]
    print(f"input: {len(tables['clients']):,} clients ({len(scope):,} in scope), "
          f"{len(tables['risk_assessments']):,} assessments, {len(tx):,} transactions; "
          f"prepared in {time.perf_counter() - start:.1f} s; as of {AS_OF}")
    print(f"{'step':<18} {'rows in':>11} {'best s':>8} {'rows/s':>12} {'traced MiB':>10}")
    measure("assign_tiers", len(features),
            lambda: tiers.assign_tiers(features, params.policy), args.repeat)
    measure("client_categories", len(tables["risk_assessments"]),
            lambda: classify.client_categories(tables, tables["clients"], scope, params, AS_OF),
            args.repeat)
    measure("build_lots", len(tx), lambda: fee_lots.build_lots(tx, as_of=AS_OF), args.repeat)
    measure("derive_fees", len(tx), lambda: fee_sharing.derive_fees(
        tx, tables.get("nav"), tables.get("products"), as_of=AS_OF, params=params.policy.fees),
        args.repeat)
    print(f"process peak RSS {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
