"""The investor-lot book of the fee derivation (SPEC 2.7, issue 8): lots, first-in-first-out
redemptions, holdings and the findings of the book. `fee_sharing` charges fees on it.

Rules, exactly:

Scope and order
- Only transactions with trade_date on or before `as_of` count; rows with a side other than
  subscribe, purchase, redeem or dividend are ignored.
- Within a client and product, rows are taken by trade_date, then side (subscribe, purchase,
  redeem, dividend), then their order in the table.

Investor lots
- Each subscribe/purchase row with shares > 0 and unit_nav > 0 opens a lot: client, product,
  trade date, shares and its unit_nav. Buy rows without shares or unit_nav make no lot (a
  finding `buy_not_a_lot`): they hold nothing here.
- Shares are counted in whole ten-thousandths of a share (`SCALE`), rounded to nearest.

Redemptions
- A redemption's shares are its `shares`, else amount / unit_nav; with neither it is a finding
  (`redemption_unsized`) and ignored.
- It consumes the client's lots in that product first in, first out: the oldest lot with shares
  left gives first, a lot emptied exactly leaves the next one whole.
- A redemption larger than the holding takes the whole holding; the excess is a finding
  (`redemption_exceeds_holding`: "redeems X shares more than the Y held"), never a crash, and
  a later lot is not consumed by an earlier excess.

Holdings
- The shares a client holds in a product at the end of each day on which that holding changed
  (a lot opened or a redemption took shares), 0 once everything has been redeemed. Between two
  such days the holding is constant.

Dividends
- The dividend rows in scope, one per client, product and day: `fee_sharing` charges the
  performance fee of every lot open at that moment on them.

Findings: client_id, product_id, date, kind, detail, sorted by client, product, date and kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tiering.number_text import decimal_text, str_array

SCALE = 10_000  # shares are counted in whole ten-thousandths of a share
SIDE_RANK = {"subscribe": 0, "purchase": 1, "redeem": 2, "dividend": 3}

LOT_COLUMNS = ["lot_id", "client_id", "product_id", "open_date", "shares", "unit_nav",
               "redeemed_shares", "remaining_shares"]
FILL_COLUMNS = ["lot_id", "client_id", "product_id", "date", "shares", "unit_nav"]
HOLDING_COLUMNS = ["client_id", "product_id", "date", "shares"]
FINDING_COLUMNS = ["client_id", "product_id", "date", "kind", "detail"]


@dataclass(frozen=True)
class LotBook:
    """Investor lots and what happened to them (module rules).

    lots: LOT_COLUMNS, one per lot (`lot_id` 0, 1, … in client, product and opening order,
    `unit_nav` the subscription's); fills: FILL_COLUMNS, the shares each redemption took from
    each lot (`unit_nav` the redemption's, NaN if it had none); holdings: HOLDING_COLUMNS, the
    shares held at the end of each day on which a client's holding of a product changed;
    dividends: client_id, product_id, date of the dividend rows in scope; findings:
    FINDING_COLUMNS. Columns whose names start with "_" are working codes: `_client` and
    `_product` index `clients` and `products`, `_seq` is the row's place in the event order,
    `_q` shares in ten-thousandths, `_day` the date as a day number.
    """

    lots: pd.DataFrame
    fills: pd.DataFrame
    holdings: pd.DataFrame
    dividends: pd.DataFrame
    findings: pd.DataFrame
    clients: pd.Index
    products: pd.Index



def build_lots(transactions: pd.DataFrame, *, as_of: date) -> LotBook:
    """Investor lots from subscribe/purchase rows, consumed first in, first out by redemptions.

    `transactions`: client_id, trade_date, product_id, side, amount; optional shares, unit_nav.
    Rows without shares and unit_nav make no lot (see the module rules). Vectorised: the
    holding is the running sum of lot shares minus redeemed shares, reflected at 0 (a
    redemption beyond the holding takes what is there); FIFO is the overlap of each
    redemption's span of cumulative redeemed shares with each lot's span of cumulative
    subscribed shares, every client and product laid end to end on one axis.
    """
    ev, clients, products = _events(transactions, as_of)
    walk = ev.loc[ev["lot"] | ev["sized"]].reset_index(drop=True)
    q, is_lot, g = walk["q"].to_numpy(), walk["lot"].to_numpy(), walk["group"].to_numpy()
    day = walk["day"].to_numpy()

    net = group_cumsum(np.where(is_lot, q, -q), g)
    held = net - np.minimum(0, pd.Series(net).groupby(g).cummin().to_numpy())
    bought = group_cumsum(np.where(is_lot, q, 0), g)
    redeemed = bought - held  # cumulative shares actually redeemed
    before = _group_shift(redeemed, g)
    taken = redeemed - before  # 0 at a lot
    excess = np.where(is_lot, 0, q - taken)

    # one axis: group k's lots occupy [base_k, base_k + all shares bought in k)
    last_row = run_ends(g)
    totals = bought[last_row]
    base = np.repeat(np.cumsum(totals) - totals, np.diff(np.r_[-1, np.flatnonzero(last_row)]))
    lots = walk.loc[is_lot].reset_index(drop=True)
    lot_q = lots["q"].to_numpy()
    lot_end = base[is_lot] + bought[is_lot]
    lot_start = lot_end - lot_q
    red = ~is_lot & (taken > 0)
    lo, hi = base[red] + before[red], base[red] + redeemed[red]
    first = np.searchsorted(lot_end, lo, side="right")
    count = np.searchsorted(lot_start, hi, side="left") - first
    which = np.repeat(np.arange(count.size), count)
    lot_idx = first[which] + ranks(count)
    piece = np.minimum(hi[which], lot_end[lot_idx]) - np.maximum(lo[which], lot_start[lot_idx])
    reds = walk.loc[red].reset_index(drop=True)
    used = np.rint(np.bincount(lot_idx, weights=piece, minlength=lot_q.size)).astype(np.int64)

    lot_frame = pd.DataFrame({
        "lot_id": np.arange(lot_q.size),
        "client_id": take_ids(clients, lots["client"]),
        "product_id": take_ids(products, lots["product"]),
        "open_date": dates_of(lots["day"].to_numpy()),
        "shares": lot_q / SCALE,
        "unit_nav": lots["unit_nav"].to_numpy(),
        "redeemed_shares": used / SCALE,
        "remaining_shares": (lot_q - used) / SCALE,
        "_client": lots["client"].to_numpy(), "_product": lots["product"].to_numpy(),
        "_group": lots["group"].to_numpy(), "_seq": lots["seq"].to_numpy(),
        "_q": lot_q, "_day": lots["day"].to_numpy(),
    })
    fill_client = reds["client"].to_numpy()[which]
    fill_product = reds["product"].to_numpy()[which]
    fill_day = reds["day"].to_numpy()[which]
    fills = pd.DataFrame({
        "lot_id": lot_idx,
        "client_id": take_ids(clients, fill_client),
        "product_id": take_ids(products, fill_product),
        "date": dates_of(fill_day),
        "shares": piece / SCALE,
        "unit_nav": reds["unit_nav"].to_numpy()[which],
        "_client": fill_client, "_product": fill_product,
        "_seq": reds["seq"].to_numpy()[which], "_q": piece, "_day": fill_day,
    })
    keep = run_ends(g) | run_ends(day)  # a day's last event
    holdings = pd.DataFrame({
        "client_id": take_ids(clients, walk["client"].to_numpy()[keep]),
        "product_id": take_ids(products, walk["product"].to_numpy()[keep]),
        "date": dates_of(day[keep]),
        "shares": held[keep] / SCALE,
        "_client": walk["client"].to_numpy()[keep], "_product": walk["product"].to_numpy()[keep],
        "_group": g[keep], "_q": held[keep], "_day": day[keep],
    })
    div = ev.loc[ev["rank"] == SIDE_RANK["dividend"]].drop_duplicates(["group", "day"])
    dividends = pd.DataFrame({
        "client_id": take_ids(clients, div["client"]),
        "product_id": take_ids(products, div["product"]),
        "date": dates_of(div["day"].to_numpy()),
        "_group": div["group"].to_numpy(), "_seq": div["seq"].to_numpy(),
        "_day": div["day"].to_numpy(),
    })
    over = excess > 0
    findings = concat_findings([
        _row_findings(ev, clients, products),
        _findings(clients, products, walk.loc[over], "redemption_exceeds_holding",
                  pc.binary_join_element_wise(
                      "redeems ", decimal_text(excess[over] / SCALE, 4), " shares more than the ",
                      decimal_text((held + taken)[over] / SCALE, 4), " held", "")),
    ])
    return LotBook(lot_frame, fills, holdings, dividends, findings, clients, products)


def _events(transactions: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.Index, pd.Index]:
    """Rows in scope with coded client and product, sorted into the event order, with the
    shares of lots and sized redemptions in ten-thousandths (`q`)."""
    t = transactions
    n = len(t)
    day = day_numbers(t["trade_date"])
    side, sides = pd.factorize(t["side"])  # each distinct side looked up once
    rank = np.array([SIDE_RANK.get(s, np.nan) for s in sides] + [np.nan])[side]
    keep = np.flatnonzero((day <= day_number(as_of)) & ~np.isnan(rank))
    client, clients = sorted_codes(t["client_id"], keep)
    product, products = sorted_codes(t["product_id"], keep)
    group = client * max(len(products), 1) + product
    day, rank = day[keep], rank[keep].astype(np.int64)
    order = _event_order(group, day, rank)
    row = keep[order]  # the table row of each event, in event order
    ev = pd.DataFrame({
        "client": client[order], "product": product[order], "group": group[order],
        "day": day[order], "rank": rank[order], "row": row,
        "amount": t["amount"].to_numpy(np.float64)[row],
        "shares": _float_column(t, "shares", n)[row],
        "unit_nav": _float_column(t, "unit_nav", n)[row],
    })
    ev["seq"] = np.arange(len(ev))
    sh, un, rk = ev["shares"].to_numpy(), ev["unit_nav"].to_numpy(), ev["rank"].to_numpy()
    ev["buy"] = rk <= SIDE_RANK["purchase"]
    ev["lot"] = ev["buy"] & (sh > 0) & (un > 0)
    size = np.where(np.isnan(sh), ev["amount"].to_numpy() / un, sh)
    ev["sized"] = (rk == SIDE_RANK["redeem"]) & np.isfinite(size) & (size >= 0)
    ev["q"] = np.where(ev["lot"] | ev["sized"], np.rint(np.nan_to_num(size) * SCALE), 0)
    ev["q"] = ev["q"].astype(np.int64)
    return ev, clients, products


def _event_order(group: np.ndarray, day: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Positions sorted by group, day and side rank, table order kept within ties (one stable
    sort of a combined key when it fits in 62 bits)."""
    if not day.size:
        return np.zeros(0, dtype=np.int64)
    first, span = day.min(), int(day.max() - day.min()) + 1
    if (int(group.max()) + 2) * span * len(SIDE_RANK) < 2**62:
        return np.argsort((group * span + (day - first)) * len(SIDE_RANK) + rank, kind="stable")
    return np.lexsort((rank, day, group))


def _row_findings(ev: pd.DataFrame, clients: pd.Index, products: pd.Index) -> pd.DataFrame:
    """Buy rows that make no lot and redemptions that cannot be sized."""
    bad_buy = ev.loc[ev["buy"] & ~ev["lot"]]
    unsized = ev.loc[(ev["rank"] == SIDE_RANK["redeem"]) & ~ev["sized"]]
    return pd.concat([
        _findings(clients, products, bad_buy, "buy_not_a_lot",
                  "no shares or unit_nav: not an investor lot"),
        _findings(clients, products, unsized, "redemption_unsized",
                  "no shares and no unit_nav: the redemption is ignored"),
    ], ignore_index=True)


def _findings(clients: pd.Index, products: pd.Index, rows: pd.DataFrame, kind: str,
              detail: str | pa.Array) -> pd.DataFrame:
    """Findings about coded event rows (client, product, day)."""
    return pd.DataFrame({
        "client_id": take_ids(clients, rows["client"]),
        "product_id": take_ids(products, rows["product"]),
        "date": dates_of(rows["day"].to_numpy()),
        "kind": repeated_text(kind, len(rows)),
        "detail": str_array(detail) if isinstance(detail, pa.Array) else repeated_text(
            detail, len(rows)),
    })


# --------------------------------------------------------------------------- array helpers
# (shared with fee_sharing)


def group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum within runs of equal, sorted group keys."""
    return pd.Series(values).groupby(group).cumsum().to_numpy()


def run_ends(keys: np.ndarray) -> np.ndarray:
    """True at the last row of each run of equal consecutive keys."""
    return np.r_[keys[1:] != keys[:-1], True][:keys.size]


def _group_shift(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The previous value within the group (0 for a group's first row)."""
    prev = np.r_[0, values[:-1]]
    return np.where(np.r_[True, group[1:] != group[:-1]], 0, prev)


def ranks(count: np.ndarray) -> np.ndarray:
    """0, 1, …, count[k] − 1 for each k, concatenated."""
    total = int(count.sum())
    return np.arange(total) - np.repeat(np.cumsum(count) - count, count)


def sorted_codes(values: pd.Series, rows: np.ndarray | None = None
                 ) -> tuple[np.ndarray, pd.Index]:
    """`pd.factorize(values.astype(str).iloc[rows], sort=True)`: the code of each row (-1 when
    missing) and the distinct ids as `str`, sorted. Only the distinct ids are converted,
    taken and sorted."""
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype(str)
    code, distinct = pd.factorize(text)
    code = code.astype(np.int64) if rows is None else code[rows].astype(np.int64)
    present = np.zeros(len(distinct) + 1, dtype=bool)
    present[code] = True  # a missing value (-1) marks the extra last slot
    used = np.flatnonzero(present[:-1])
    distinct = distinct[used].astype(str)
    order = np.asarray(distinct.argsort())
    rank = np.full(len(present), -1, dtype=np.int64)  # the last stays -1: a missing value
    rank[used[order]] = np.arange(order.size)
    return rank[code], distinct.take(order)


def _float_column(frame: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in frame:
        return np.full(n, np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)


def day_number(value: date) -> int:
    """Days since 1970-01-01 of one date."""
    return int(np.datetime64(value, "D").astype(np.int64))


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a column of dates."""
    return np.asarray(pd.to_datetime(values)).astype("datetime64[D]").astype(np.int64)


def dates_of(days: np.ndarray) -> np.ndarray:
    """Day numbers back to datetime64[ns] dates."""
    return np.asarray(days, np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def take_ids(names: pd.Index, codes: pd.Series | np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The ids of coded rows, as a string array."""
    return pd.array(names, dtype=str).take(np.asarray(codes, np.int64))


def number_text(values: np.ndarray, decimals: int = 4) -> pd.Series:
    """Numbers as text for finding details, e.g. 1234.5 → "1,234.5000"."""
    return pd.Series(str_array(decimal_text(values, decimals)))


def repeated_text(text: str | None, n: int) -> pd.api.extensions.ExtensionArray:
    """The same text n times, as pandas' `str` array."""
    return str_array(pa.repeat(pa.scalar(text, pa.string()), n))


def concat_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All findings in one table, sorted by client, product, date and kind."""
    empty = pd.DataFrame({"client_id": pd.Series(dtype=str), "product_id": pd.Series(dtype=str),
                          "date": pd.Series(dtype="datetime64[ns]"),
                          "kind": pd.Series(dtype=str), "detail": pd.Series(dtype=str)})
    out = pd.concat([empty, *(p[FINDING_COLUMNS] for p in parts if len(p))], ignore_index=True)
    columns, sort_keys = {}, []
    for key in ["client_id", "product_id", "date", "kind"]:
        values = pa.array(out[key])
        columns[key + "?"], columns[key] = pc.is_valid(values), values  # missing (False) first
        sort_keys += [(key + "?", "ascending"), (key, "ascending")]
    order = pc.sort_indices(pa.table(columns), sort_keys=sort_keys)  # Arrow's sort is stable
    return out.iloc[order.to_numpy()].reset_index(drop=True)
