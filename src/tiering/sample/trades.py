"""Transactions: the opening positions, every move of money in the balances as a trade, and
the cash dividends paid to holders, sized so that the investor lots they make (SPEC 2.7, the
shares and unit_nav columns) hold what the balances say.

Rows, exactly:

- The transaction history starts on 1 January of the last complete year (`cal.year_start`;
  the balances start earlier, on `cal.start`). Opening positions (期初持仓): every client whose
  balance is above 0 at the end of the day before gets, dated `cal.year_start`, one subscribe
  row per product of its portfolio, amount = that balance × the product's weight, so that its
  lots hold the balance from the first day of the history. A suitability mismatch client's
  high-risk product is left out (it is bought later, by its own purchase) and the other
  weights are scaled up to sum to 1.
- From `cal.year_start` to `end`, each move of money is a trade: a flow (balance kind 1) or
  the mismatch buy (kind 4) buys or redeems one product of the portfolio (picked by weight; the
  mismatch buy: the high-risk product); a first funding (kind 3) subscribes, a full redemption
  (kind 2) redeems, every product of the portfolio (a first funding by weight).
- unit_nav is the product's NAV in force on the trade date (the latest weekly NAV dated on or
  before it); NaN for dividends. The table writes shares = round(amount / unit_nav, 2).
- Redemptions take only shares that are held. A client's shares of a product are the running
  sum of its buys' shares less what was redeemed before (in date order; on one day buys come
  first). A flow's redemption asks for its amount's shares and takes at most the shares held; a
  full redemption takes all of them. When it takes fewer than asked (or all), the amount is the
  value of the shares taken at unit_nav to the cent, chosen so that its shares are never more
  than those held. A redemption that would take nothing is dropped.
- Dividends: on each dividend day of a product within the history, each holder of the product
  (in the portfolio, with a balance above 0) is paid balance × weight × the dividend rate.
- Rows below 0.01 are dropped; rows are sorted by client, date and side.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from tiering.sample.balances import Balances
from tiering.sample.days import SampleCalendar
from tiering.sample.people import Clients
from tiering.sample.products import Portfolio, Products

SUBSCRIBE, PURCHASE, REDEEM, DIVIDEND = 0, 1, 2, 3  # index into schemas.SIDES
_ALL = 1 << 50  # a full redemption asks for more shares than anyone holds (in hundredths)


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


@dataclass(frozen=True)
class _Rows:
    """Trade rows before sizing: `full` marks the redemptions that take everything held."""

    client: np.ndarray
    day: np.ndarray
    product: np.ndarray
    side: np.ndarray
    amount: np.ndarray
    warning: np.ndarray
    known: np.ndarray
    full: np.ndarray

    @classmethod
    def join(cls, parts: list[_Rows]) -> _Rows:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    @classmethod
    def of(
        cls, client: ArrayLike, day: ArrayLike, product: ArrayLike, side: ArrayLike,
        amount: ArrayLike, warning: np.ndarray | None = None, known: np.ndarray | None = None,
        full: np.ndarray | None = None,
    ) -> _Rows:
        """Rows of one side (or per-row sides), with no warning recorded and no full
        redemption unless given."""
        n = np.size(client)
        no = np.zeros(n, dtype=bool)
        return cls(np.asarray(client, np.int64), np.asarray(day, np.int64),
                   np.asarray(product, np.int64), np.broadcast_to(side, n).astype(np.int64),
                   np.asarray(amount, np.float64),
                   no if warning is None else warning, no if known is None else known,
                   no if full is None else full)


def make_trades(
    rng: np.random.Generator, cl: Clients, port: Portfolio,
    bal: Balances, prod: Products, cal: SampleCalendar,
) -> Trades:
    """Every transaction row (module rules), sorted by client, day and side."""
    rows = _Rows.join([opening_positions(port, bal, cal), *_moves(rng, cl, port, bal, cal),
                       _dividends(port, bal, prod, cal)])
    amount = np.round(np.abs(rows.amount), 2)
    week = np.maximum(np.searchsorted(cal.fridays, rows.day, side="right") - 1, 0)
    unit = np.where(rows.side == DIVIDEND, np.nan, prod.nav[rows.product, week])
    amount = size_redemptions(rows.client * prod.ids.size + rows.product, rows.day, rows.side,
                              amount, unit, rows.full)
    keep = amount >= 0.01
    order = np.lexsort((rows.side[keep], rows.day[keep], rows.client[keep]))
    return Trades(*(a[keep][order] for a in (rows.client, rows.day, rows.product, rows.side,
                                                amount, rows.warning, rows.known, unit)))


def opening_positions(port: Portfolio, bal: Balances, cal: SampleCalendar) -> _Rows:
    """Subscriptions on the first day of the history for the balance held the evening before,
    split over the portfolio by weight (a mismatch client's high-risk product left out)."""
    who = bal.clients()
    held = bal.at(who, np.full(who.size, cal.year_start - 1), cal.start)
    who, held = who[held > 0], held[held > 0]
    weights = np.where(port.slots[who] >= 0, port.weights[who], 0.0)
    is_mm = np.isin(who, port.mismatch)
    risky = np.zeros(port.slots.shape[0], dtype=np.int64)
    risky[port.mismatch] = port.risky_slot
    weights[is_mm, risky[who[is_mm]]] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    owner, slot = np.nonzero(weights > 0)
    return _Rows.of(who[owner], np.full(owner.size, cal.year_start),
                    port.slots[who[owner], slot], SUBSCRIBE, held[owner] * weights[owner, slot])


def _moves(
    rng: np.random.Generator, cl: Clients, port: Portfolio, bal: Balances, cal: SampleCalendar,
) -> list[_Rows]:
    """The balances' moves of money from the start of the history: one product per flow and
    mismatch buy, every product of the portfolio per first funding and full redemption."""
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
    side = np.where(sf > 0, PURCHASE, REDEEM)
    warn = np.zeros(cl.n, dtype=bool)
    warn[port.mismatch] = port.warning
    # every buy of the high-risk product records whether the special risk warning was signed
    risky = np.full(cl.n, -1, dtype=np.int64)
    risky[port.mismatch] = port.slots[port.mismatch, port.risky_slot]
    w_known = (product == risky[sc]) & (side <= PURCHASE)
    one = _Rows.of(sc, sd, product, side, sf, warn[sc] & w_known, w_known)

    # first fundings (subscriptions) and full redemptions: one row per product held
    fc, fd, ff = c[~single], d[~single], flow[~single]
    present = port.slots[fc] >= 0
    owner, _ = np.nonzero(present)
    funding = kind[~single][owner] == 3
    every = _Rows.of(fc[owner], fd[owner], port.slots[fc][present],
                     np.where(funding, SUBSCRIBE, REDEEM), ff[owner] * port.weights[fc][present],
                     full=~funding)
    return [one, every]


def _dividends(port: Portfolio, bal: Balances, prod: Products, cal: SampleCalendar) -> _Rows:
    """Cash dividends paid to the holders of the products that paid one (a loop over the few
    dividend events, not over clients)."""
    parts = []
    for p, week, r in zip(prod.div_product, prod.div_week, prod.div_rate, strict=True):
        day = int(cal.fridays[week])
        if not cal.year_start <= day <= cal.end:
            continue
        holds = np.flatnonzero((port.slots == p).any(axis=1))
        b = bal.at(holds, np.full(holds.size, day), cal.start)
        w = (port.weights[holds] * (port.slots[holds] == p)).sum(axis=1)
        amt = np.round(b * w * r, 2)
        ok = amt >= 0.01
        parts.append(_Rows.of(holds[ok], np.full(int(ok.sum()), day),
                              np.full(int(ok.sum()), p), DIVIDEND, amt[ok]))
    return _Rows.join(parts) if parts else _Rows.of([], [], [], DIVIDEND, [])


def size_redemptions(
    group: np.ndarray, day: np.ndarray, side: np.ndarray, amount: np.ndarray,
    unit: np.ndarray, full: np.ndarray,
) -> np.ndarray:
    """The amounts with each redemption cut to the shares held (module rules).

    Shares in hundredths: a buy adds round(amount / unit, 2); a redemption asks for as many
    (a full one for all). The holding is the running sum reflected at 0 (held = net −
    min(0, running minimum of net), per client and product in date and side order), so a
    redemption takes min(asked, held before). Its amount stays when it takes what it asked;
    otherwise it is the value of the shares taken (`amount_for`). Dividends are left alone.
    """
    shares = np.rint(np.round(amount / unit, 2) * 100)
    shares = np.where(np.isnan(shares), 0, shares).astype(np.int64)
    redeem = side == REDEEM
    buy = side <= PURCHASE
    ask = np.where(full, _ALL, shares)
    step = np.where(buy, shares, np.where(redeem, -ask, 0))
    order = np.lexsort((side, day, group))
    g = group[order]
    net = pd.Series(step[order]).groupby(g).cumsum().to_numpy()
    held = net - np.minimum(0, pd.Series(net).groupby(g).cummin().to_numpy())
    before = np.where(np.r_[True, g[1:] != g[:-1]], 0, np.r_[0, held[:-1]])
    taken = np.empty_like(held)
    taken[order] = before - held + np.where(buy, shares, 0)[order]
    cut = redeem & (taken < ask)
    out = amount.copy()
    out[cut] = amount_for(taken[cut], unit[cut])
    return out


def amount_for(hundredths: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """The amount (to the cent) whose shares round(amount / unit, 2) are the given number of
    hundredths of a share, or the nearest below it when no cent gives it exactly (NAV < 1)."""
    amount = np.round(hundredths / 100 * unit, 2)
    while True:
        over = np.rint(np.round(amount / unit, 2) * 100) > hundredths
        if not over.any():
            return amount
        amount[over] = np.round(amount[over] - 0.01, 2)
