"""Change-only daily balances: one row where a client's total assets change (valuations at
month ends or Fridays, money in and out, first fundings, full redemptions), a random walk in
logs per client with jumps where money moves; the edge-case clients' rows set by hand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tiering.sample.days import BIG, SampleCalendar, roll_forward, uniform_days
from tiering.sample.edges import ASSET_EDGES, HEAD, edge_balances, edge_index
from tiering.sample.people import Clients
from tiering.sample.products import Portfolio
from tiering.sample.rows import group_ends, group_starts, grouped_exclusive_cumsum, ragged

_K = 1 << 12  # day offsets within a client's key (the data spans far fewer than 4096 days)


@dataclass(frozen=True)
class Balances:
    client: np.ndarray
    day: np.ndarray
    balance: np.ndarray
    kind: np.ndarray  # 0 valuation, 1 flow, 2 redeemed in full, 3 first funding, 4 mismatch buy
    key: np.ndarray  # client * _K + (day - start), sorted
    moves: np.ndarray  # the rows where money moves (kind > 0)
    flow: np.ndarray  # per move, money in (+) or out (-)

    def clients(self) -> np.ndarray:
        """The clients with rows, ascending."""
        return self.client[group_starts(self.client)]

    def at(self, client: np.ndarray, day: np.ndarray, start: int) -> np.ndarray:
        """Balance in force on `day` (0 before the client's first row)."""
        j = np.searchsorted(self.key, client * _K + (day - start), side="right") - 1
        ok = (j >= 0) & (self.client[np.maximum(j, 0)] == client)
        return np.where(ok, self.balance[np.maximum(j, 0)], 0.0)

    def integral(self, client: np.ndarray, day: np.ndarray, start: int) -> np.ndarray:
        """Sum of the daily balance over the days before `day` (each row holds until the next)."""
        nxt = np.append(self.day[1:], 0)
        same = np.append(self.client[1:] == self.client[:-1], False)
        seg = np.where(same, self.balance * (nxt - self.day), 0.0)
        cum = grouped_exclusive_cumsum(seg, self.client)
        j = np.searchsorted(self.key, client * _K + (day - start), side="left") - 1
        jj = np.maximum(j, 0)
        ok = (j >= 0) & (self.client[jj] == client)
        return np.where(ok, cum[jj] + self.balance[jj] * (day - self.day[jj]), 0.0)


def make_balances(
    rng: np.random.Generator, cl: Clients, port: Portfolio, cal: SampleCalendar
) -> Balances:
    n = cl.n
    idx = np.arange(n)
    new = cl.open >= cal.start
    first = np.where(new, roll_forward(cl.open + rng.integers(0, 8, n)), cal.start)
    stop = np.minimum(cl.close, cal.end)
    dormant = (rng.random(n) < 0.02) & (cl.close > cal.end)
    dormant[:HEAD] = False
    dormant[port.mismatch] = False
    d_lo = np.maximum(first + 60, cal.year_start)
    zero = np.where(dormant & (d_lo < cal.end - 10), uniform_days(rng, d_lo, cal.end - 10), BIG)
    stop = np.minimum(stop, zero)
    to_zero = (cl.close <= cal.end) | (zero < BIG)  # the last row is a balance of 0
    active = cl.funded & np.where(to_zero, first < stop, first <= stop)
    active[edge_index(*ASSET_EDGES)] = False  # their rows are set by hand

    parts_c, parts_d, parts_k = [idx[active]], [first[active]], [np.where(new, 3, 0)[active]]
    weekly = rng.random(n) < 0.06
    for grid, sel in ((cal.month_ends, active & ~weekly), (cal.fridays, active & weekly)):
        who = idx[sel]
        lo = np.searchsorted(grid, first[sel], side="right")
        hi = np.searchsorted(grid, stop[sel], side="right")
        owner, within = ragged(hi - lo)
        parts_c.append(who[owner])
        parts_d.append(grid[lo[owner] + within])
        parts_k.append(np.zeros(owner.size, dtype=np.int64))
    # flows in and out, from the start of last year
    e_lo = np.maximum(first + 1, cal.year_start)
    e_hi = np.where(to_zero, stop - 1, stop)
    span = np.maximum(e_hi - e_lo + 1, 0)
    per_year = np.clip(0.4 + 0.5 * np.log10(cl.wealth / 1e4), 0.2, 3.0)
    count = np.where(active, rng.poisson(per_year * span / 365), 0)
    owner, _ = ragged(count)
    ev_day = roll_forward(uniform_days(rng, e_lo[owner], e_hi[owner]))
    keep = ev_day <= e_hi[owner]
    parts_c.append(owner[keep])
    parts_d.append(ev_day[keep])
    parts_k.append(np.ones(int(keep.sum()), dtype=np.int64))
    # the forced high-risk purchase of the suitability mismatches
    mm = port.mismatch
    m_lo = np.maximum(first[mm] + 1, cal.on(0, 2, 1))
    parts_c.append(mm)
    parts_d.append(roll_forward(uniform_days(rng, m_lo, np.full(mm.size, cal.on(0, 11, 30)))))
    parts_k.append(np.full(mm.size, 4))
    closing = idx[active & to_zero]
    parts_c.append(closing)
    parts_d.append(stop[closing])
    parts_k.append(np.full(closing.size, 2))

    edge_rows = [(k - 1, day, b, kd) for k, rows in edge_balances(cal).items()
                 for day, b, kd in rows if day <= cal.end]
    e_client, e_day, e_bal, e_kind = (np.array(col) for col in zip(*edge_rows, strict=True))
    parts_c.append(e_client)
    parts_d.append(e_day)
    parts_k.append(e_kind)

    packed = np.concatenate(parts_c, dtype=np.int64)
    packed *= _K
    packed += np.concatenate(parts_d, dtype=np.int64)
    packed -= cal.start
    packed *= 8
    packed += np.concatenate(parts_k, dtype=np.int64)
    packed.sort()
    key = packed >> 3
    last_of_day = group_ends(key)  # the highest kind of a day wins
    if not last_of_day.all():
        packed, key = packed[last_of_day], key[last_of_day]
    kind = (packed & 7).astype(np.int8)
    del packed
    c = key // _K
    d = key % _K + cal.start

    # values: a random walk in logs per client, with jumps where money moves
    m = c.size
    first_rows = np.flatnonzero(group_starts(c))
    sizes = np.diff(np.append(first_rows, m))
    dt = np.diff(d, prepend=d[:1]).astype(np.float64) / 365  # years since the previous row
    dt[first_rows] = 0.0
    z = rng.standard_normal(m)
    inc = np.sqrt(dt)
    inc *= z
    inc *= port.sigma[c]
    dt *= (port.mu - port.sigma**2 / 2)[c]
    inc += dt
    del dt
    moves = np.flatnonzero(kind > 0)
    mk = kind[moves]
    buy = rng.random(moves.size) < 0.55
    jump = np.where(buy, np.log(rng.uniform(1.1, 1.8, moves.size)),
                    np.log(rng.uniform(0.4, 0.9, moves.size)))
    jump = np.select([mk == 1, mk == 4], [jump, np.log(rng.uniform(1.25, 1.6, moves.size))], 0.0)
    inc[moves] += jump
    inc[first_rows] = np.log(cl.wealth[c[first_rows]]) + 0.05 * z[first_rows]
    del z
    log_b = np.cumsum(inc)
    log_b -= np.repeat(log_b[first_rows] - inc[first_rows], sizes)
    del inc
    pre = np.exp(log_b[moves] - jump)
    bal = np.exp(log_b, out=log_b)
    np.round(bal, 2, out=bal)
    bal[moves[mk == 2]] = 0.0
    flow = np.select([mk == 3, mk == 2], [bal[moves], -pre], bal[moves] - pre)

    # the hand-made clients' rows take their set values
    edge_pos = np.flatnonzero(np.isin(c[: int(np.searchsorted(c, HEAD))], np.unique(e_client)))
    bal[edge_pos] = e_bal
    prev = np.where(group_starts(e_client), 0.0, np.append(0.0, e_bal[:-1]))
    e_flow = np.select([e_kind == 1, e_kind == 2], [e_bal - prev, -prev], 0.0)
    flow[np.searchsorted(moves, edge_pos[e_kind > 0])] = e_flow[e_kind > 0]

    # change-only: drop a valuation row that repeats the previous balance
    same = np.flatnonzero(bal[1:] == bal[:-1]) + 1
    same = same[(kind[same] == 0) & (c[same] == c[same - 1])]
    if same.size:
        keep = np.ones(m, dtype=bool)
        keep[same] = False
        moves = (np.cumsum(keep) - 1)[moves]
        c, d, bal, kind, key = c[keep], d[keep], bal[keep], kind[keep], key[keep]
    return Balances(c, d, bal, kind, key, moves, flow)
