"""Fees: quarterly management charges on the average balance at each portfolio's rate (a few
reversed), subscription, redemption and performance fees on the trades, year-end performance
fees and occasional other fees; the fee edge cases' charges set by hand.

What the management-fee ledger models: the firm's fee system accrues each client's management
fee daily on the day's total assets (the `daily_assets` balance) at the portfolio's blended
annual rate (`Portfolio.rate`, the weighted mean of its products' management_fee_rate) / 365,
and posts it once a quarter, dated the quarter end, rounded to the cent. The fee derivation
(`tiering.fee_sharing`) rebuilds the same fee from the trades instead: each product's own rate
on the lots' shares × the NAV of the evening before. Because the trades' opening positions and
redemptions keep the lots holding the balance split by the portfolio's weights
(`sample.trades`), the two agree closely for most clients (tests/test_sample.py checks the
median ratio over the last complete year). They differ by: the balance's own random walk
against each product's NAV path (a few percent a year either way); the edge cases whose
charges and rates are set by hand (FEE_EDGES, RATE_EDGES); the reversals; a redemption cut to
the shares held; and by a day (the ledger charges on the day's balance, the derivation on the
holding of the evening before, so the day of an opening subscription accrues nothing).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from tiering.sample.balances import Balances
from tiering.sample.days import SampleCalendar, date_of, uniform_days
from tiering.sample.edges import FEE_EDGES, HEAD, RATE_EDGES
from tiering.sample.people import Clients
from tiering.sample.products import Portfolio, Products
from tiering.sample.rows import group_starts
from tiering.sample.trades import Trades
from tiering.schemas import FEE_TYPES

_TYPE = {name: k for k, name in enumerate(FEE_TYPES)}


def make_fees(
    rng: np.random.Generator, cl: Clients, port: Portfolio, bal: Balances,
    tx: Trades, prod: Products, cal: SampleCalendar,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Client, day, fee type (index into schemas.FEE_TYPES) and amount of every fee, sorted."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(fee_type: str, client: ArrayLike, day: ArrayLike, amount: np.ndarray,
            where: np.ndarray | slice = slice(None)) -> None:
        """Append the rows `where` of (client, day, amount) as fees of one type."""
        client, day, amount = np.asarray(client)[where], np.asarray(day)[where], amount[where]
        parts.append((client, day, np.full(client.size, _TYPE[fee_type]), amount))

    rate = port.rate.copy()
    for k, r in RATE_EDGES.items():
        rate[k - 1] = r
    who = bal.clients()
    first_day = bal.day[group_starts(bal.client)]
    generic = ~np.isin(who, np.array(sorted(FEE_EDGES)) - 1)
    who, first_day = who[generic], first_day[generic]
    # the ledger: per quarter, blended rate × the sum of the day balances over its days / 365
    q = cal.quarter_ends.size
    cc = np.repeat(who, q)
    qs = np.tile(cal.quarter_starts, who.size)
    qe = np.tile(cal.quarter_ends, who.size)
    both = bal.integral(np.concatenate([cc, cc]), np.concatenate([qe + 1, qs]), cal.start)
    days_sum = both[: cc.size] - both[cc.size:]
    amount = np.round(rate[cc] * days_sum / 365, 2)
    add("management", cc, qe, amount, where=amount >= 0.01)

    rows = []
    for k, (default, special, extra) in FEE_EDGES.items():
        for e in cal.quarter_ends:
            when = date_of(e)
            rows.append((k - 1, int(e), special.get((when.year - cal.year, when.month,
                                                     when.day), default)))
        rows.extend((k - 1, cal.on(*when), value) for when, value in extra)
    add("management", [r[0] for r in rows], [r[1] for r in rows], np.array([r[2] for r in rows]))

    # reversals: part or all of a management charge taken back a few days later
    mc, md, _, ma = parts[0]
    can = (mc >= HEAD) & (md <= cal.end - 20)
    k = max(3, round(cl.n * 0.002))
    pick = np.sort(rng.choice(np.flatnonzero(can), size=min(k, int(can.sum())), replace=False))
    frac = np.where(rng.random(pick.size) < 0.4, 1.0, rng.uniform(0.05, 0.5, pick.size))
    add("management", mc[pick], md[pick] + rng.integers(3, 21, pick.size),
        -np.round(ma[pick] * frac, 2))

    n_tx = tx.client.size
    buys = (tx.side <= 1) & (rng.random(n_tx) < 0.5)
    add("subscription", tx.client, tx.day,
        np.round(tx.amount * rng.uniform(0.005, 0.012, n_tx), 2), where=buys)
    red = (tx.side == 2) & (rng.random(n_tx) < 0.35)
    add("redemption", tx.client, tx.day, np.round(tx.amount * 0.005, 2), where=red)
    perf = (tx.side == 2) & (prod.perf[tx.product] > 0) & (rng.random(n_tx) < 0.3)
    gain = rng.uniform(0.01, 0.12, n_tx)
    add("performance", tx.client, tx.day, np.round(tx.amount * prod.perf[tx.product] * gain, 2),
        where=perf)
    # year-end crystallisation of performance fees for some holders
    ye = cal.on(0, 12, 31)
    main = port.slots[who, 0]
    yb = bal.at(who, np.full(who.size, ye), cal.start)
    crys = (yb > 0) & (prod.perf[main] > 0) & (rng.random(who.size) < 0.08) & (who >= HEAD)
    add("performance", who, np.full(who.size, ye),
        np.round(yb * prod.perf[main] * rng.uniform(0.005, 0.05, who.size), 2), where=crys)
    other = (rng.random(who.size) < 0.01) & (who >= HEAD)
    add("other", who, uniform_days(rng, np.maximum(first_day, cal.year_start),
                                   np.full(who.size, cal.end)),
        np.round(rng.uniform(50, 800, who.size)), where=other)

    c = np.concatenate([p[0] for p in parts]).astype(np.int64)
    d = np.concatenate([p[1] for p in parts]).astype(np.int64)
    t = np.concatenate([p[2] for p in parts]).astype(np.int64)
    a = np.concatenate([p[3] for p in parts]).astype(np.float64)
    keep = (np.abs(a) >= 0.01) & (d <= cal.end)
    c, d, t, a = c[keep], d[keep], t[keep], a[keep]
    order = np.lexsort((t, d, c))
    return c[order], d[order], t[order], a[order]
