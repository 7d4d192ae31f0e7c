"""Transactions: every move of money in the balances as a trade (a purchase or redemption of
one product; subscriptions and full redemptions across all products held), with the signed
special risk warning of the suitability mismatches, plus the cash dividends paid to holders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tiering.sample.balances import Balances
from tiering.sample.days import SampleCalendar
from tiering.sample.people import Clients
from tiering.sample.products import Portfolio, Products


@dataclass(frozen=True)
class Trades:
    client: np.ndarray
    day: np.ndarray
    product: np.ndarray
    side: np.ndarray  # index into schemas.SIDES: subscribe, purchase, redeem, dividend
    amount: np.ndarray
    warning: np.ndarray  # bool
    warning_known: np.ndarray  # bool: warning_signed is not missing
    unit_nav: np.ndarray  # NaN for dividends


def make_trades(
    rng: np.random.Generator, cl: Clients, port: Portfolio,
    bal: Balances, prod: Products, cal: SampleCalendar,
) -> Trades:
    rows = bal.moves
    sel = (bal.day[rows] >= cal.year_start) & (bal.day[rows] <= cal.end)
    sel &= np.abs(bal.flow) >= 0.01
    rows = rows[sel]
    c, d, kind, flow = bal.client[rows], bal.day[rows], bal.kind[rows], bal.flow[sel]

    single = (kind == 1) | (kind == 4)  # one product; first fundings and closings: all held
    sc, sd, sk, sf = c[single], d[single], kind[single], flow[single]
    cum = np.cumsum(port.weights[sc], axis=1)
    pick = (rng.random(sc.size)[:, None] > cum).sum(axis=1)
    pick = np.minimum(pick, (port.slots[sc] >= 0).sum(axis=1) - 1)  # slots are contiguous
    slot_of = np.zeros(cl.n, dtype=np.int64)
    slot_of[port.mismatch] = port.risky_slot
    pick = np.where(sk == 4, slot_of[sc], pick)
    product = port.slots[sc, pick]
    side = np.where(sf > 0, 1, 2)
    warn = np.zeros(cl.n, dtype=bool)
    warn[port.mismatch] = port.warning
    # every buy of the high-risk product records whether the special risk warning was signed
    risky = np.full(cl.n, -1, dtype=np.int64)
    risky[port.mismatch] = port.slots[port.mismatch, port.risky_slot]
    w_known = (product == risky[sc]) & (side <= 1)
    w_value = warn[sc] & w_known

    # first fundings (subscriptions) and full redemptions: one row per product held
    fc, fd, ff = c[~single], d[~single], flow[~single]
    present = port.slots[fc] >= 0
    owner, _ = np.nonzero(present)
    f_prod = port.slots[fc][present]
    f_amt = ff[owner] * port.weights[fc][present]
    f_side = np.where(kind[~single][owner] == 3, 0, 2)

    # cash dividends paid to holders of the products that paid one
    dv_c, dv_d, dv_p, dv_a = [], [], [], []
    for p, week, r in zip(prod.div_product, prod.div_week, prod.div_rate, strict=True):
        day = int(cal.fridays[week])
        if not cal.year_start <= day <= cal.end:
            continue
        holds = np.flatnonzero((port.slots == p).any(axis=1))
        b = bal.at(holds, np.full(holds.size, day), cal.start)
        w = (port.weights[holds] * (port.slots[holds] == p)).sum(axis=1)
        amt = np.round(b * w * r, 2)
        ok = amt >= 0.01
        dv_c.append(holds[ok])
        dv_d.append(np.full(int(ok.sum()), day))
        dv_p.append(np.full(int(ok.sum()), p))
        dv_a.append(amt[ok])

    client = np.concatenate([sc, fc[owner], *dv_c]).astype(np.int64)
    day = np.concatenate([sd, fd[owner], *dv_d]).astype(np.int64)
    prod_i = np.concatenate([product, f_prod, *dv_p]).astype(np.int64)
    n_div = client.size - sc.size - owner.size
    side_i = np.concatenate([side, f_side, np.full(n_div, 3)])
    amount = np.round(np.abs(np.concatenate([sf, f_amt, *dv_a])), 2)
    known = np.concatenate([w_known, np.zeros(owner.size + n_div, dtype=bool)])
    value = np.concatenate([w_value, np.zeros(owner.size + n_div, dtype=bool)])
    week = np.maximum(np.searchsorted(cal.fridays, day, side="right") - 1, 0)
    unit = np.where(side_i == 3, np.nan, prod.nav[prod_i, week])
    keep = amount >= 0.01
    order = np.lexsort((side_i[keep], day[keep], client[keep]))
    return Trades(*(a[keep][order] for a in (client, day, prod_i, side_i, amount, value,
                                                known, unit)))
