"""The product line-up with weekly NAVs and dividends, and the portfolio each client holds
(which products, in what weights), from which the quarter-end holdings follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tiering.sample.assessments import Assessments, band
from tiering.sample.days import SampleCalendar
from tiering.sample.edges import HEAD, edge_index
from tiering.sample.frames import STR, dates, floats, ids
from tiering.sample.people import Clients

if TYPE_CHECKING:
    from tiering.sample.balances import Balances

# (product_type, risk index 0..4 = R1..R5, name stem, count, fee rates, performance fee,
#  annual volatility, annual drift)
_LINES = (
    ("现金管理", 0, "现金增利", 2, (0.01,), 0.0, 0.004, 0.022),
    ("固定收益", 1, "稳健收益", 4, (0.01, 0.012), 0.2, 0.025, 0.045),
    ("债券增强", 1, "信用增强", 2, (0.012, 0.015), 0.2, 0.04, 0.05),
    ("市场中性", 2, "量化中性", 4, (0.015, 0.02), 0.2, 0.06, 0.06),
    ("FOF", 2, "精选FOF", 3, (0.01, 0.012), 0.1, 0.08, 0.05),
    ("多策略", 2, "多策略", 1, (0.015,), 0.2, 0.09, 0.06),
    ("股票多头", 3, "成长精选", 4, (0.015, 0.02), 0.2, 0.24, 0.08),
    ("指数增强", 3, "中证500指数增强", 3, (0.015, 0.018), 0.2, 0.22, 0.07),
    ("管理期货", 3, "CTA趋势", 2, (0.015, 0.02), 0.2, 0.15, 0.06),
    ("宏观对冲", 3, "宏观对冲", 1, (0.02,), 0.2, 0.14, 0.05),
    ("股权投资", 4, "新兴产业", 2, (0.02,), 0.2, 0.30, 0.09),
    ("衍生品", 4, "期权套利", 2, (0.02,), 0.2, 0.28, 0.07),
)
_BRAND = "岚舟"


@dataclass(frozen=True)
class Products:
    ids: np.ndarray
    names: np.ndarray
    types: np.ndarray
    risk: np.ndarray  # 0..4, ascending through the table
    mgmt: np.ndarray
    perf: np.ndarray
    vol: np.ndarray
    drift: np.ndarray
    nav: np.ndarray  # (products, fridays) unit NAV
    acc: np.ndarray  # accumulated NAV
    div_product: np.ndarray  # dividend events: product, week index, per-unit fraction
    div_week: np.ndarray
    div_rate: np.ndarray

    @property
    def up_to(self) -> np.ndarray:
        """Number of products with risk index <= r, for r = 0..4."""
        return np.searchsorted(self.risk, np.arange(5), side="right")


def make_products(rng: np.random.Generator, cal: SampleCalendar) -> Products:
    rows = [(line, k) for line in _LINES for k in range(1, line[3] + 1)]
    p = len(rows)
    product_ids = np.array([f"P{i + 1:03d}" for i in range(p)], dtype=STR)
    names = np.array(
        [f"{_BRAND}{ln[2]}{k}号私募{'股权' if ln[0] == '股权投资' else '证券'}投资基金"
         for ln, k in rows], dtype=STR)
    types = np.array([ln[0] for ln, _ in rows], dtype=STR)
    risk = np.array([ln[1] for ln, _ in rows], dtype=np.int64)
    mgmt = np.array([ln[4][rng.integers(0, len(ln[4]))] for ln, _ in rows])
    perf = np.array([ln[5] for ln, _ in rows])
    vol = np.array([ln[6] for ln, _ in rows])
    drift = np.array([ln[7] for ln, _ in rows])

    weeks = cal.fridays.size
    dt = 7 / 365
    shocks = rng.standard_normal((p, weeks))
    steps = (drift - vol**2 / 2)[:, None] * dt + vol[:, None] * np.sqrt(dt) * shocks
    steps[:, 0] = 0.0
    gross = rng.uniform(0.9, 2.2, p)[:, None] * np.exp(np.cumsum(steps, axis=1))
    # one cash dividend for about a third of the non-cash products, paid within last year+
    pays = (risk > 0) & (rng.random(p) < 0.35)
    first_week = int(np.searchsorted(cal.fridays, cal.year_start))
    week = rng.integers(first_week, weeks, p)
    rate = np.round(rng.uniform(0.03, 0.06, p), 3)
    factor = np.ones((p, weeks))
    paid = pays[:, None] & (np.arange(weeks)[None, :] >= week[:, None])
    factor[paid] = (1 - rate[:, None] * np.ones((1, weeks)))[paid]
    nav = np.round(gross * factor, 4)
    per_unit = np.where(pays, gross[np.arange(p), week] * rate, 0.0)
    earlier = np.where(rng.random(p) < 0.4, rng.uniform(0.02, 0.3, p), 0.0)
    acc = np.round(nav + earlier[:, None] + np.where(paid, per_unit[:, None], 0.0), 4)
    return Products(product_ids, names, types, risk, mgmt, perf, vol, drift, nav, acc,
                    np.flatnonzero(pays), week[pays], rate[pays])


# --------------------------------------------------------------------------- portfolios


@dataclass(frozen=True)
class Portfolio:
    slots: np.ndarray  # (clients, 3) product index, -1 when empty
    weights: np.ndarray  # (clients, 3), rows sum to 1
    rate: np.ndarray  # management fee rate
    sigma: np.ndarray
    mu: np.ndarray
    mismatch: np.ndarray  # client indices with a forced high-risk purchase last year
    risky_slot: np.ndarray  # per mismatch client, the slot holding the high-risk product
    warning: np.ndarray  # per mismatch client, warning_signed


def make_portfolio(
    rng: np.random.Generator, cl: Clients, ra: Assessments, prod: Products, cal: SampleCalendar
) -> Portfolio:
    n = cl.n
    category = np.where(np.isnan(ra.latest_score), 1, band(np.nan_to_num(ra.latest_score)))
    # the highest risk a client's portfolio holds: conservative R1, balanced R3, aggressive R5
    # (the policy's tolerance); only the deliberate mismatches below go beyond
    rng.random(n)  # drawn as before, so that the draws after it do not change
    cap = np.select([category == 0, category == 1], [0, 2], 4)
    allowed = prod.up_to[cap]
    slots = np.floor(rng.random((n, 3)) * allowed[:, None]).astype(np.int64)
    slots[:, 1] = np.where(rng.random(n) < 0.45, slots[:, 1], -1)
    slots[:, 2] = np.where(rng.random(n) < 0.2, slots[:, 2], -1)
    slots[slots[:, 1] == slots[:, 0], 1] = -1
    slots[(slots[:, 2] == slots[:, 0]) | (slots[:, 2] == slots[:, 1]), 2] = -1
    slots = np.take_along_axis(slots, np.argsort(slots < 0, axis=1, kind="stable"), axis=1)

    # suitability mismatches: conservative clients buying R4/R5 last year
    eligible = (
        (category == 0) & ~np.isnan(ra.latest_score) & cl.funded
        & (cl.open < cal.year_start - 30) & (cl.close > cal.on(0, 12, 31))
    )
    eligible[:HEAD] = False
    k = max(2, round(n * 0.003))
    pool = np.flatnonzero(eligible)
    extra = np.sort(rng.choice(pool, size=min(k, pool.size), replace=False))
    edge = edge_index("mismatch_purchase_warning_unsigned", "mismatch_purchase_warning_signed",
                      "lowest_category_purchase_warning_signed")
    mismatch = np.concatenate([edge, extra])
    warning = np.concatenate([[False, True, True], rng.random(extra.size) < 0.5])
    high = prod.up_to[2]
    risky = high + rng.integers(0, prod.ids.size - high, mismatch.size)
    slot = np.minimum((slots[mismatch] >= 0).sum(axis=1), 2)  # the first empty slot, or the last
    slots[mismatch, slot] = risky

    present = slots >= 0
    w = np.column_stack([1 + rng.random(n), rng.uniform(0.3, 1, n), rng.uniform(0.3, 0.8, n)])
    w = np.where(present, w, 0.0)
    w /= w.sum(axis=1, keepdims=True)
    safe = np.where(present, slots, 0)
    rate = (w * prod.mgmt[safe]).sum(axis=1)
    sigma = (w * prod.vol[safe]).sum(axis=1)
    mu = (w * prod.drift[safe]).sum(axis=1)
    return Portfolio(slots, w, rate, sigma, mu, mismatch, slot, warning)


def holdings(
    port: Portfolio, bal: Balances, cal: SampleCalendar, client_ids: np.ndarray, prod: Products
) -> dict[str, pd.Series]:
    """The holdings columns: at each holding date, each client's balance split over the
    portfolio's products by weight (the last product takes the rounding difference)."""
    who = bal.clients()
    h = cal.holding_dates.size
    cc = np.repeat(who, h)
    hd = np.tile(cal.holding_dates, who.size)
    b = bal.at(cc, hd, cal.start)
    cc, hd, b = cc[b > 0], hd[b > 0], b[b > 0]
    slots, w = port.slots[cc], port.weights[cc]
    present = slots >= 0
    value = np.round(b[:, None] * w, 2)
    last = present.sum(axis=1) - 1
    rows = np.arange(cc.size)
    value[rows, last] = 0.0
    value[rows, last] = np.maximum(np.round(b - value.sum(axis=1), 2), 0.0)
    owner, col = np.nonzero(present)
    return {
        "client_id": ids(client_ids, cc[owner]),
        "product_id": ids(prod.ids, slots[owner, col]),
        "as_of_date": dates(hd[owner]),
        "market_value": floats(value[owner, col]),
    }
