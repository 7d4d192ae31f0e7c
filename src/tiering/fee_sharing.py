"""Fee sharing (分成): management and performance fees derived from holdings (SPEC 2.7, issue 8).

Used when the firm keeps no per-client fee ledger: a client's fee contribution is rebuilt from
the transactions (investor lots), the products' NAVs and the products' fee rates. The lots,
first-in-first-out redemptions and holdings are `fee_lots` (its rules: scope, event order, lots,
redemptions); `build_lots` and `LotBook` are re-exported here. Rules of the fees, exactly:

Management fee (daily accrual)
- Accrual on natural day d = shares held at the end of day d−1 × the product's unit NAV in
  force on d−1 (the latest `nav` row dated on or before d−1) × annual rate / basis, where basis
  is `day_count`: 365, 360, or for "actual" 366 when d falls in a leap year, else 365.
- So the subscription day accrues nothing (nothing was held the evening before), and a
  redemption day accrues on the previous evening's holding; after the last event the holding
  accrues up to and including `as_of`. No rounding per day.
- The rate is the product's management_fee_rate, else `default_management_rate`; None → 0.
  Days without any NAV on or before d−1 accrue nothing (a finding `no_nav_for_accrual`).
- Each accrual belongs to the calendar year of d.

Performance fee (high-water mark per lot, 高水位法)
- The mark and every charge NAV are on the ACCUMULATED NAV (累计净值 = unit NAV + dividends
  paid per unit so far), so a cash dividend is not taken for a loss. A trade's accumulated NAV
  is its unit_nav plus (accumulated_nav − unit_nav) of the `nav` row in force that day (0 when
  none): the lot's first mark is that of its subscription; a redemption's NAV is that of its
  row (or, without unit_nav, the accumulated_nav in force). Dividends and fixed dates use the
  accumulated_nav in force that day. With no dividends unit and accumulated NAV are equal.
- Triggers: a redemption (on the shares it takes from the lot, always charged; liquidation is
  recorded as redemptions, so it too always charges); a dividend row of the client in that
  product (on the whole remaining lot of every lot opened before it); each fixed charge date of
  the product from `charge_dates` (on the whole remaining lot; after the day's trades).
  Dividend and fixed-date charges happen only when the date is at least
  `min_charge_interval_months` calendar months after the lot's previous charge, or its opening
  when it has none (a month later than the 31st is the month's last day).
- Fee = rate × max(0, NAV − max(mark, hurdle NAV)) × shares, hurdle NAV = mark × (1 +
  hurdle_rate × days since the mark was set / 365). The rate is the product's
  performance_fee_rate, else `default_performance_rate`.
- A charge that takes a fee (> 0) on the whole lot moves the lot's mark up to the charged NAV,
  dated that day, and restarts the interval; one that takes nothing changes nothing. A
  redemption's fee is on the shares that leave: the rest of the lot keeps its mark and dates.
  Days without any NAV on or before the charge day charge nothing (`no_nav_for_charge`).
- A fee belongs to the calendar year of its charge date.

Output: `fee_contribution` — client_id, year, management_fee, performance_fee, source
("derived"), each rounded to the cent after summing, one row per client and year with a
non-zero rounded fee, sorted by client_id and year. Clients without lots have no row.
`tier_management_fee` picks the figure the tier rules read (ledger, derived or the larger).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tiering.fee_lots import (
    FINDING_COLUMNS,
    SCALE,
    SIDE_RANK,
    LotBook,
    build_lots,
    concat_findings,
    dates_of,
    day_number,
    day_numbers,
    group_cumsum,
    number_text,
    ranks,
    repeated_text,
    run_ends,
    take_ids,
)
from tiering.fee_params import FeeParams, FeeSource

__all__ = [
    "ACCRUAL_COLUMNS", "CHARGE_COLUMNS", "CONTRIBUTION_COLUMNS", "FINDING_COLUMNS",
    "TIER_FEE_COLUMNS", "FeeDerivation", "FeeParams", "LotBook", "build_lots", "derive_fees",
    "fee_contribution", "management_fees", "performance_fees", "tier_management_fee",
]

FIXED_RANK = 4  # fixed charge dates come after the day's trades
HURDLE_BASIS = 365
_KEY = 1 << 22  # more days than any NAV history spans
_SHIFT = 1 << 21

CONTRIBUTION_COLUMNS = ["client_id", "year", "management_fee", "performance_fee", "source"]
ACCRUAL_COLUMNS = ["client_id", "product_id", "year", "holding_days", "management_fee"]
CHARGE_COLUMNS = ["lot_id", "client_id", "product_id", "date", "trigger", "shares", "nav",
                  "mark", "hurdle_nav", "charged", "fee"]
TIER_FEE_COLUMNS = ["client_id", "mgmt_fee", "mgmt_fee_source"]


@dataclass(frozen=True)
class FeeDerivation:
    """Everything the derivation produced: the contribution table and its workings."""

    contribution: pd.DataFrame
    accruals: pd.DataFrame
    charges: pd.DataFrame
    book: LotBook
    findings: pd.DataFrame


# --------------------------------------------------------------------------- management fee


def management_fees(
    book: LotBook,
    nav: pd.DataFrame | None,
    products: pd.DataFrame | None,
    *,
    as_of: date,
    params: FeeParams | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily management-fee accrual per client, product and year (module rules).

    Vectorised: per product a cumulative sum over days of unit NAV(d−1) × rate / basis(d);
    each holding segment (constant shares between two changes) contributes shares ×
    (prefix[last day] − prefix[first day − 1]), split at year boundaries. Returns
    (ACCRUAL_COLUMNS sorted by client, product and year, unrounded, plus `_client`; findings).
    """
    params = params or FeeParams()
    h = book.holdings
    end = day_number(as_of)
    group, day, q = h["_group"].to_numpy(), h["_day"].to_numpy(), h["_q"].to_numpy()
    final = run_ends(group)
    first_day = day + 1
    last_day = np.where(final, end, np.r_[day[1:], end][:day.size])
    seg = (q > 0) & (first_day <= last_day)
    d1, d2, q = first_day[seg], last_day[seg], q[seg]
    client, product = h["_client"].to_numpy()[seg], h["_product"].to_numpy()[seg]

    names = _product_names(book.products, nav, products)
    pcode = names.get_indexer(book.products)[product]
    rate = _rates(names, products, "management_fee_rate", params.default_management_rate)
    start = pd.Series(d1).groupby(pcode).min()
    p_used, p_start = start.index.to_numpy(np.int64), start.to_numpy(np.int64)
    n_days = end - p_start + 1
    offset = np.cumsum(n_days) - n_days
    flat_p = np.repeat(p_used, n_days)
    flat_d = np.repeat(p_start, n_days) + ranks(n_days)
    unit, _ = _NavIndex.build(names, nav).at(flat_p, flat_d - 1)
    per_day = unit * rate[flat_p] / _basis(flat_d, params.day_count)
    missing = np.isnan(per_day).astype(np.float64)
    per_day = np.nan_to_num(per_day)
    prefix = _local_cumsum(per_day, offset, n_days)
    gaps = _local_cumsum(missing, offset, n_days)

    # split each segment at year boundaries
    y1, y2 = _years(d1), _years(d2)
    span = y2 - y1 + 1
    which = np.repeat(np.arange(d1.size), span)
    year = y1[which] + ranks(span)
    lo = np.maximum(d1[which], _year_start(year))
    hi = np.minimum(d2[which], _year_start(year + 1) - 1)
    block = np.searchsorted(p_used, pcode[which])
    pos = offset[block] - p_start[block]  # the flat index of day d is pos + d
    pieces = pd.DataFrame({
        "_client": client[which], "_product": product[which], "year": year,
        "holding_days": hi - lo + 1,
        "management_fee": q[which] / SCALE * _range_sum(prefix, per_day, pos + lo, pos + hi),
        "_gap": _range_sum(gaps, missing, pos + lo, pos + hi),
    })
    acc = pieces.groupby(["_client", "_product", "year"], sort=True, as_index=False).sum()
    accruals = pd.DataFrame({
        "client_id": take_ids(book.clients, acc["_client"]),
        "product_id": take_ids(book.products, acc["_product"]),
        "year": acc["year"].to_numpy(np.int64),
        "holding_days": acc["holding_days"].to_numpy(np.int64),
        "management_fee": acc["management_fee"].to_numpy(np.float64),
        "_client": acc["_client"].to_numpy(np.int64),
    })
    gap = acc.loc[acc["_gap"] > 0].groupby("_product", sort=True)["_gap"].sum()
    findings = pd.DataFrame({
        "client_id": repeated_text(None, len(gap)),
        "product_id": take_ids(book.products, gap.index.to_numpy()),
        "date": np.full(len(gap), np.datetime64("NaT"), dtype="datetime64[ns]"),
        "kind": repeated_text("no_nav_for_accrual", len(gap)),
        "detail": number_text(gap.to_numpy(), 0) + " client-days held with no NAV on or before "
        "the day before: they accrued nothing",
    })
    return accruals, findings


# --------------------------------------------------------------------------- performance fee


def performance_fees(
    book: LotBook,
    nav: pd.DataFrame | None,
    products: pd.DataFrame | None,
    *,
    as_of: date,
    params: FeeParams | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every charge event of every lot and its fee, by the high-water mark (module rules).

    Returns (CHARGE_COLUMNS plus `_client`, sorted by lot and event order, `charged` False for
    dividend and fixed-date events inside the interval; findings). The mark is path-dependent,
    so the lots are walked together, one event rank at a time (the k-th event of every lot at
    once): the loop runs as many times as the most events of any one lot, never once per row.
    """
    params = params or FeeParams()
    lots = book.lots
    names = _product_names(book.products, nav, products)
    navs = _NavIndex.build(names, nav)
    rate = _rates(names, products, "performance_fee_rate", params.default_performance_rate)
    lot_p = names.get_indexer(book.products)[lots["_product"].to_numpy()]
    lot_day = lots["_day"].to_numpy()
    ev = _charge_events(book, lot_p, navs, as_of, params, [str(p) for p in names])

    n = ev["lot"].size
    fee, mark_at, hurdle_at = np.zeros(n), np.full(n, np.nan), np.full(n, np.nan)
    charged = np.zeros(n, dtype=bool)
    mark = lots["unit_nav"].to_numpy() + navs.offset(lot_p, lot_day)
    mark_day, last_day = lot_day.copy(), lot_day.copy()
    order = np.argsort(ev["rank"], kind="stable")
    bounds = np.searchsorted(ev["rank"][order], np.arange(int(ev["rank"].max(initial=-1)) + 2))
    for k in range(bounds.size - 1):
        idx = order[bounds[k]:bounds[k + 1]]
        lot, day, nav_k, redeem = ev["lot"][idx], ev["day"][idx], ev["nav"][idx], ev["redeem"][idx]
        due = redeem | (day >= _add_months(last_day[lot], params.min_charge_interval_months))
        hurdle = mark[lot] * (1 + params.hurdle_rate * (day - mark_day[lot]) / HURDLE_BASIS)
        gain = np.nan_to_num(np.maximum(nav_k - np.maximum(mark[lot], hurdle), 0.0))
        f = np.where(due, rate[lot_p[lot]] * gain * ev["shares"][idx], 0.0)
        fee[idx], mark_at[idx], hurdle_at[idx], charged[idx] = f, mark[lot], hurdle, due
        moved = due & ~redeem & (f > 0)
        mark[lot[moved]] = nav_k[moved]
        mark_day[lot[moved]] = day[moved]
        last_day[lot[moved]] = day[moved]

    lot_idx = ev["lot"]
    client = lots["_client"].to_numpy()[lot_idx]
    charges = pd.DataFrame({
        "lot_id": lot_idx,
        "client_id": take_ids(book.clients, client),
        "product_id": take_ids(book.products, lots["_product"].to_numpy()[lot_idx]),
        "date": dates_of(ev["day"]),
        "trigger": pd.array(ev["trigger"], dtype=str),
        "shares": ev["shares"], "nav": ev["nav"], "mark": mark_at, "hurdle_nav": hurdle_at,
        "charged": charged, "fee": fee, "_client": client,
    })
    no_nav = charges.loc[np.isnan(ev["nav"])]
    findings = pd.DataFrame({
        "client_id": no_nav["client_id"], "product_id": no_nav["product_id"],
        "date": no_nav["date"], "kind": "no_nav_for_charge",
        "detail": "no NAV on or before the charge date: no performance fee",
    }).astype({"kind": str, "detail": str})
    return charges, findings


def _charge_events(
    book: LotBook, lot_p: np.ndarray, navs: _NavIndex, as_of: date, params: FeeParams,
    names: list[str],
) -> dict[str, np.ndarray]:
    """Redemption fills, dividends and fixed dates as per-lot events, in order, with shares."""
    lots, fills, div = book.lots, book.fills, book.dividends
    # redemptions: the shares taken, at the redemption's accumulated NAV
    f_lot, f_day = fills["lot_id"].to_numpy(), fills["_day"].to_numpy()
    f_unit = fills["unit_nav"].to_numpy()
    f_nav = np.where(np.isnan(f_unit), navs.at(lot_p[f_lot], f_day)[1],
                     f_unit + navs.offset(lot_p[f_lot], f_day))
    parts = [(f_lot, f_day, SIDE_RANK["redeem"], fills["_seq"].to_numpy(),
              fills["_q"].to_numpy(), f_nav)]

    # dividends: every lot of the client in that product opened before the dividend row
    lot_g, d_g = lots["_group"].to_numpy(), div["_group"].to_numpy()
    lo = np.searchsorted(lot_g, d_g, side="left")
    count = np.searchsorted(lot_g, d_g, side="right") - lo
    which = np.repeat(np.arange(d_g.size), count)
    d_lot, d_seq = lo[which] + ranks(count), div["_seq"].to_numpy()[which]
    opened = lots["_seq"].to_numpy()[d_lot] < d_seq
    d_lot, d_seq, d_day = d_lot[opened], d_seq[opened], div["_day"].to_numpy()[which][opened]
    parts.append((d_lot, d_day, SIDE_RANK["dividend"], d_seq, np.zeros(d_lot.size, np.int64),
                  navs.at(lot_p[d_lot], d_day)[1]))

    # fixed charge dates of each product, every year from the product's first lot to as_of
    x_lot, x_day = _fixed_dates(lot_p, lots["_day"].to_numpy(), names, as_of, params)
    parts.append((x_lot, x_day, FIXED_RANK, np.zeros(x_lot.size, np.int64),
                  np.zeros(x_lot.size, np.int64), navs.at(lot_p[x_lot], x_day)[1]))

    lot = np.concatenate([p[0] for p in parts]).astype(np.int64)
    day = np.concatenate([p[1] for p in parts]).astype(np.int64)
    rank = np.concatenate([np.full(p[0].size, p[2]) for p in parts]).astype(np.int64)
    seq = np.concatenate([p[3] for p in parts]).astype(np.int64)
    q = np.concatenate([p[4] for p in parts]).astype(np.int64)
    nav_v = np.concatenate([p[5] for p in parts]).astype(np.float64)
    order = np.lexsort((seq, rank, day, lot))
    lot, day, rank, q, nav_v = (a[order] for a in (lot, day, rank, q, nav_v))
    redeem = rank == SIDE_RANK["redeem"]
    taken = np.where(redeem, q, 0)
    remaining = lots["_q"].to_numpy()[lot] - (group_cumsum(taken, lot) - taken)
    q = np.where(redeem, q, remaining)
    keep = q > 0
    trigger = np.array(["redeem", "dividend", "fixed"])[
        np.searchsorted([SIDE_RANK["redeem"], SIDE_RANK["dividend"], FIXED_RANK], rank)]
    lot, day, q, nav_v, redeem, trigger = (a[keep] for a in (lot, day, q, nav_v, redeem, trigger))
    return {"lot": lot, "day": day, "shares": q / SCALE, "nav": nav_v, "redeem": redeem,
            "trigger": trigger, "rank": _ranks_in_groups(lot)}


def _fixed_dates(
    lot_p: np.ndarray, lot_day: np.ndarray, names: list[str], as_of: date, params: FeeParams,
) -> tuple[np.ndarray, np.ndarray]:
    """(lot, day) of every fixed charge date on or after the lot's opening, up to as_of.

    The dates are built per product and year (a parameter-sized list); lots join them."""
    none = np.zeros(0, np.int64)
    if not params.charge_dates or not lot_p.size:
        return none, none
    years = range(int(_years(lot_day).min()), as_of.year + 1)
    table = pd.DataFrame(
        [(p, day_number(date(y, int(md[:2]), int(md[3:]))))
         for p in np.unique(lot_p) for md in params.charge_days_of(names[p]) for y in years],
        columns=["p", "day"], dtype=np.int64)
    if table.empty:
        return none, none
    table = table.loc[table["day"] <= day_number(as_of)]
    pairs = pd.DataFrame({"lot": np.arange(lot_p.size), "p": lot_p, "open": lot_day}).merge(
        table, on="p")
    pairs = pairs.loc[pairs["day"] >= pairs["open"]]
    return pairs["lot"].to_numpy(np.int64), pairs["day"].to_numpy(np.int64)


# --------------------------------------------------------------------------- contribution


def derive_fees(
    transactions: pd.DataFrame,
    nav: pd.DataFrame | None,
    products: pd.DataFrame | None,
    *,
    as_of: date,
    params: FeeParams | None = None,
) -> FeeDerivation:
    """Lots, management accruals and performance charges, and their per-client-year sum."""
    params = params or FeeParams()
    book = build_lots(transactions, as_of=as_of)
    accruals, gap_findings = management_fees(book, nav, products, as_of=as_of, params=params)
    charges, charge_findings = performance_fees(book, nav, products, as_of=as_of, params=params)
    contribution = _contribution(book.clients, accruals, charges)
    findings = concat_findings([book.findings, gap_findings, charge_findings])
    return FeeDerivation(contribution, accruals, charges, book, findings)


def _contribution(clients: pd.Index, accruals: pd.DataFrame, charges: pd.DataFrame
                  ) -> pd.DataFrame:
    """Sum per client and year, round to the cent, keep rows with a fee, sort."""
    fees = ["management_fee", "performance_fee"]
    parts = pd.concat([
        pd.DataFrame({"_client": accruals["_client"].to_numpy(np.int64),
                      "year": accruals["year"].to_numpy(np.int64),
                      "management_fee": accruals["management_fee"].to_numpy(np.float64),
                      "performance_fee": 0.0}),
        pd.DataFrame({"_client": charges["_client"].to_numpy(np.int64),
                      "year": _years(day_numbers(charges["date"])),
                      "management_fee": 0.0,
                      "performance_fee": charges["fee"].to_numpy(np.float64)}),
    ], ignore_index=True)
    out = parts.groupby(["_client", "year"], as_index=False, sort=True)[fees].sum()
    out[fees] = out[fees].round(2) + 0.0  # + 0.0 turns -0.0 into 0.0
    out = out.loc[(out["management_fee"] != 0) | (out["performance_fee"] != 0)]
    return pd.DataFrame({
        "client_id": take_ids(clients, out["_client"]),
        "year": out["year"].to_numpy(np.int64),
        "management_fee": out["management_fee"].to_numpy(np.float64),
        "performance_fee": out["performance_fee"].to_numpy(np.float64),
        "source": repeated_text("derived", len(out)),
    })


def fee_contribution(
    transactions: pd.DataFrame,
    nav: pd.DataFrame | None,
    products: pd.DataFrame | None,
    *,
    as_of: date,
    params: FeeParams | None = None,
) -> pd.DataFrame:
    """fee_contribution.csv: CONTRIBUTION_COLUMNS, per client and year (module rules)."""
    return derive_fees(transactions, nav, products, as_of=as_of, params=params).contribution


def tier_management_fee(
    ledger: pd.Series,
    derived: pd.DataFrame,
    *,
    year: int,
    fee_source: FeeSource,
    clients: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The management fee the tier rules read for one year, and which source gave it.

    `ledger`: the ledger's management fee of that year per client (indexed by client_id, signed
    rows netted, e.g. `features.fee_sum`); `derived`: the `fee_contribution` table. A client
    absent from a source has 0 there. fee_source "ledger" or "derived" takes that source for
    everyone; "max" takes the larger per client, the ledger on a tie. Rows: the given `clients`,
    else every client in either source; TIER_FEE_COLUMNS, sorted by client_id, to the cent.
    """
    led = pd.Series(ledger.to_numpy(np.float64), index=ledger.index.astype(str))
    led = led.groupby(level=0).sum()
    rows = derived.loc[derived["year"] == year]
    der = rows.groupby(rows["client_id"].astype(str))["management_fee"].sum()
    wanted = set(led.index) | set(der.index) if clients is None else {str(c) for c in clients}
    ids = pd.Index(sorted(wanted), dtype=str)
    a = led.reindex(ids).fillna(0.0).to_numpy()
    b = der.reindex(ids).fillna(0.0).to_numpy()
    pick = {"ledger": np.zeros(ids.size, dtype=bool), "derived": np.ones(ids.size, dtype=bool),
            "max": b > a}[fee_source]
    return pd.DataFrame({
        "client_id": pd.array(ids.to_numpy(), dtype=str),
        "mgmt_fee": np.round(np.where(pick, b, a), 2) + 0.0,
        "mgmt_fee_source": pd.array(np.where(pick, "derived", "ledger"), dtype=str),
    })


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _NavIndex:
    """NAV rows keyed by (product code, day), for 'the latest row on or before' look-ups."""

    key: np.ndarray
    unit: np.ndarray
    acc: np.ndarray

    @classmethod
    def build(cls, names: pd.Index, nav: pd.DataFrame | None) -> _NavIndex:
        if nav is None or nav.empty:
            empty = np.zeros(0)
            return cls(empty.astype(np.int64), empty, empty)
        p = names.get_indexer(nav["product_id"].astype(str).to_numpy())
        key = p.astype(np.int64) * _KEY + day_numbers(nav["date"]) + _SHIFT
        order = np.argsort(key, kind="stable")
        return cls(key[order], nav["unit_nav"].to_numpy(np.float64)[order],
                   nav["accumulated_nav"].to_numpy(np.float64)[order])

    def at(self, product: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(unit NAV, accumulated NAV) in force on each day; NaN where none."""
        product = np.asarray(product, np.int64)
        want = product * _KEY + np.asarray(day, np.int64) + _SHIFT
        if not self.key.size:
            return np.full(want.size, np.nan), np.full(want.size, np.nan)
        idx = np.searchsorted(self.key, want, side="right") - 1
        safe = np.maximum(idx, 0)
        ok = (idx >= 0) & (self.key[safe] // _KEY == product)
        return np.where(ok, self.unit[safe], np.nan), np.where(ok, self.acc[safe], np.nan)

    def offset(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Dividends paid per unit so far (accumulated − unit NAV in force), 0 where none."""
        unit, acc = self.at(product, day)
        return np.nan_to_num(acc - unit)


def _product_names(traded: pd.Index, nav: pd.DataFrame | None,
                   products: pd.DataFrame | None) -> pd.Index:
    """Every product id seen (traded, in `nav`, in `products`), sorted: the look-up codes."""
    ids = set(traded.astype(str))
    for frame in (nav, products):
        if frame is not None and len(frame):
            ids.update(frame["product_id"].astype(str).unique())
    return pd.Index(sorted(ids), dtype=str)


def _rates(names: pd.Index, products: pd.DataFrame | None, column: str,
           default: float | None) -> np.ndarray:
    """The product's rate per product code, else the default (None → 0)."""
    fallback = 0.0 if default is None else float(default)
    rate = np.full(names.size, np.nan)
    if products is not None and column in products:
        p = names.get_indexer(products["product_id"].astype(str).to_numpy())
        rate[p] = products[column].to_numpy(np.float64, na_value=np.nan)
    return np.where(np.isnan(rate), fallback, rate)


def _basis(day: np.ndarray, day_count: int | str) -> np.ndarray:
    """The day-count divisor of each accrual day (FeeParams.day_count)."""
    if day_count == "actual":
        year = _years(day)
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        return np.where(leap, 366.0, 365.0)
    return np.full(day.size, float(day_count))


def _local_cumsum(values: np.ndarray, offset: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum restarting at each block (block k: offset[k], length[k])."""
    total = np.cumsum(values)
    start_before = total[offset] - values[offset]
    return total - np.repeat(start_before, length)


def _range_sum(prefix: np.ndarray, values: np.ndarray, lo: np.ndarray, hi: np.ndarray
               ) -> np.ndarray:
    """Sum of values[lo..hi] (inclusive, within one block) from its inclusive prefix."""
    return prefix[hi] - prefix[lo] + values[lo]


def _ranks_in_groups(group: np.ndarray) -> np.ndarray:
    """The position of each row within its run of equal, sorted group keys."""
    if not group.size:
        return np.zeros(0, np.int64)
    starts = np.r_[True, group[1:] != group[:-1]]
    return ranks(np.diff(np.r_[np.flatnonzero(starts), group.size]))


def _add_months(day: np.ndarray, months: int) -> np.ndarray:
    """The same day `months` calendar months later, clipped to the month's last day."""
    d = day.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]"))
    return target.astype("datetime64[D]").astype(np.int64) + np.minimum(
        dom, length.astype(np.int64) - 1)


def _years(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day number."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _year_start(years: np.ndarray) -> np.ndarray:
    """The day number of 1 January of each year."""
    return (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(
        np.int64)

