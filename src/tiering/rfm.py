"""Activity: recency, frequency and monetary scores and segments (SPEC 2.6).

Rules, exactly:

- Only transactions whose side is in `counted_sides` (subscribe and purchase by default) and
  whose trade_date is on or before as_of count; later rows are ignored.
- R (recency_days) = as_of − the date of the client's last counted transaction, any time in the
  past (not only the window). Scored by `recency_bins` (upper bounds, inclusive): ≤7 → 5,
  8–30 → 4, 31–60 → 3, 61–120 → 2, >120 → 1.
- F (frequency) = number and M (monetary) = summed amount (rounded to the cent) of counted
  transactions in the trailing window as_of − window_days + 1 .. as_of, both ends inclusive.
- Quintile scoring of F and M ranks only in-scope clients with at least one counted
  transaction in the window (n of them): rank = position by ascending value with ties given
  the lowest rank (pandas `rank(method="min")`), score = 1 + floor(5 × (rank − 1) / n). Equal
  values always get equal scores. Fixed-bin scoring uses four inclusive upper bounds (1..5).
- A client with counted transactions, but none in the window, gets R from the last trade and
  F = M = 0, both scored 1.
- A client in scope with no counted transaction at all gets empty r, f, m, rfm_code "000" and
  the segment `segments.none` (无交易客户).
- Segments: a score is high when ≥ high_score (3); R, F, M high/low pick one of eight labels
  (重要价值客户 = all high … 一般挽留客户 = all low; M high gives 重要, M low 一般).
- Every client in scope gets exactly one row (duplicates in scope are dropped; clients out of
  scope are ignored), sorted by client_id.

The window aggregation is written once with narwhals, so it runs on pandas or DuckDB; the
scoring on the per-client result is pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import narwhals as nw
import numpy as np
import pandas as pd
from narwhals.typing import IntoFrame

from tiering.features import round_to_cent
from tiering.rfm_params import RfmParams, ScoreMethod

COLUMNS = ["client_id", "last_trade_date", "recency_days", "frequency", "monetary",
           "r", "f", "m", "rfm_code", "segment"]
AGGREGATE_COLUMNS = ["client_id", "last_trade_date", "frequency", "monetary"]
CHURN_COLUMNS = ["client_id", "level", "r", "previous_r", "recency_days", "last_trade_date",
                 "rfm_code", "segment", "reason", "detail"]


def window_bounds(as_of: date, window_days: int) -> tuple[date, date]:
    """The first and last day (inclusive) of the trailing window ending at as_of."""
    return as_of - timedelta(days=window_days - 1), as_of


def aggregate(transactions: IntoFrame, *, as_of: date, params: RfmParams) -> IntoFrame:
    """Per client with a counted transaction on or before as_of: last date, F and M.

    `transactions`: client_id, trade_date, side, amount (any narwhals backend). Returns a frame
    of the same backend (pandas, DuckDB, PySpark) with client_id, last_trade_date, frequency
    (in the window), monetary (in the window, rounded to the cent half away from zero by
    `features.round_to_cent`). Clients with no counted transaction are absent.
    """
    t = nw.from_native(transactions)
    start, _ = window_bounds(as_of, params.window_days)
    in_window = nw.col("trade_date") >= nw.lit(_ts(start))
    return (
        t.select("client_id", "trade_date", "side", "amount")
        .filter(
            nw.col("side").is_in(list(params.counted_sides)),
            nw.col("trade_date") < nw.lit(_ts(as_of + timedelta(days=1))),
        )
        .with_columns(
            in_window=in_window.cast(nw.Int64),
            window_amount=nw.when(in_window).then(nw.col("amount")).otherwise(nw.lit(0.0)),
        )
        .group_by("client_id")
        .agg(
            nw.col("trade_date").max().alias("last_trade_date"),
            nw.col("in_window").sum().alias("frequency"),
            nw.col("window_amount").sum().alias("monetary"),
        )
        # rounded the same way on every backend (each engine's own `round` differs on ties)
        .with_columns(nw.col("frequency").cast(nw.Int64),
                      monetary=round_to_cent(nw.col("monetary")))
        .select(AGGREGATE_COLUMNS)
        .to_native()
    )


def aggregate_pandas(transactions: IntoFrame, *, as_of: date, params: RfmParams) -> pd.DataFrame:
    """`aggregate`, collected into pandas with stable dtypes, sorted by client_id."""
    frame = nw.from_native(aggregate(transactions, as_of=as_of, params=params))
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect(backend="pandas")
    out = frame.to_pandas()
    out["client_id"] = out["client_id"].astype(str)
    out["last_trade_date"] = pd.to_datetime(out["last_trade_date"]).astype("datetime64[ns]")
    out["frequency"] = out["frequency"].astype("int64")
    out["monetary"] = out["monetary"].astype("float64")
    return out.sort_values("client_id").reset_index(drop=True)


def rfm(
    transactions: IntoFrame | None,
    clients_in_scope: pd.Series,
    *,
    as_of: date,
    params: RfmParams | None = None,
) -> pd.DataFrame:
    """One row per client in scope: the RFM figures, scores, code and segment (module rules).

    `transactions` None (no transactions table) means no client has a counted transaction."""
    params = params or RfmParams()
    if transactions is None:
        agg = pd.DataFrame({"client_id": pd.Series(dtype="str"),
                            "last_trade_date": pd.Series(dtype="datetime64[ns]"),
                            "frequency": pd.Series(dtype="int64"),
                            "monetary": pd.Series(dtype="float64")})
    else:
        agg = aggregate_pandas(transactions, as_of=as_of, params=params)
    scope = pd.DataFrame({"client_id": pd.Series(clients_in_scope, dtype=str).unique()})
    out = scope.merge(agg, on="client_id", how="left").sort_values("client_id")
    out = out.reset_index(drop=True)
    traded = out["last_trade_date"].notna()
    active = traded & (out["frequency"] > 0)

    out["frequency"] = out["frequency"].fillna(0).astype("int64")
    out["monetary"] = out["monetary"].fillna(0.0).astype("float64")
    days = (pd.Timestamp(as_of) - out["last_trade_date"].dt.floor("D")).dt.days
    out["recency_days"] = days.astype("Int64")

    r = 5 - _bin_index(out["recency_days"].fillna(0).to_numpy(), params.recency_bins)
    out["r"] = pd.array(np.where(traded, r, 0), dtype="Int64")
    out["f"] = _score(out["frequency"], active, params.frequency)
    out["m"] = _score(out["monetary"], active, params.monetary)
    out.loc[~traded, ["r", "f", "m"]] = pd.NA

    code = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    out["rfm_code"] = code.where(traded, "000").astype(str)
    out["segment"] = _segments(out, traded, params)
    return out[COLUMNS]


def churn(
    rfm_now: pd.DataFrame,
    levels: pd.DataFrame,
    previous_r: pd.Series | None = None,
    *,
    levels_watched: Sequence[str] = ("core", "vip"),
    max_r: int = 2,
) -> pd.DataFrame:
    """Churn warnings among watched levels (core and VIP by default).

    `levels`: client_id, level. `previous_r`: r of a previous run, indexed by client_id.
    A watched client is flagged when:
    - its r is below its previous r (reason "r_fell"), or it had a previous r and now has
      none ("r_fell" as well);
    - it has no previous r (no previous run, or new since it), and r ≤ max_r ("r_low");
    - it has no counted transaction at all and no previous r ("no_transactions").
    Returns CHURN_COLUMNS, sorted by client_id.
    """
    watched = levels.loc[levels["level"].isin(list(levels_watched)), ["client_id", "level"]]
    frame = watched.astype({"client_id": str}).merge(rfm_now, on="client_id", how="inner")
    prev = pd.Series(dtype="Int64") if previous_r is None else previous_r
    prev = pd.Series(prev.to_numpy(), index=prev.index.astype(str)).astype("Int64")
    frame["previous_r"] = frame["client_id"].map(prev).astype("Int64")

    has_prev = frame["previous_r"].notna()
    has_r = frame["r"].notna()
    fell = has_prev & (~has_r | (frame["r"].fillna(0) < frame["previous_r"].fillna(0)))
    low = ~has_prev & has_r & (frame["r"].fillna(99) <= max_r)
    none = ~has_prev & ~has_r
    frame["reason"] = np.select([fell, low, none], ["r_fell", "r_low", "no_transactions"], "")

    flagged = frame.loc[frame["reason"] != ""].copy()
    now = _text(flagged["r"]).fillna("—")
    fell_text = "R " + _text(flagged["previous_r"]).fillna("") + " → " + now
    low_text = ("R " + now + f" ≤ {max_r}, " + _text(flagged["recency_days"]).fillna("")
                + " days since the last trade")
    flagged["detail"] = np.select(
        [flagged["reason"].eq("r_fell").to_numpy(), flagged["reason"].eq("r_low").to_numpy()],
        [fell_text.to_numpy(dtype=object), low_text.to_numpy(dtype=object)],
        "no counted transaction")
    return flagged[CHURN_COLUMNS].sort_values("client_id").reset_index(drop=True)


def _text(values: pd.Series) -> pd.Series:
    """Each value as ``str()`` writes it (12, 12.5), missing values missing."""
    return values.astype(object).map(str, na_action="ignore")


def _score(values: pd.Series, active: pd.Series, method: ScoreMethod) -> pd.Series:
    """Scores 1..5 for active clients; 1 for the rest (their F and M are 0)."""
    scores = np.ones(len(values), dtype="int64")
    mask = active.to_numpy()
    picked = values[mask]
    n = len(picked)
    if n:
        if method.method == "quintile":
            rank = picked.rank(method="min").to_numpy().astype("int64")
            scores[mask] = 1 + (5 * (rank - 1)) // n
        else:
            scores[mask] = 1 + _bin_index(picked.to_numpy(), method.bins)
    return pd.Series(pd.array(scores, dtype="Int64"), index=values.index)


def _bin_index(values: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """How many inclusive upper bounds each value exceeds (0..len(bounds))."""
    return np.searchsorted(np.asarray(bounds, dtype="float64"),
                           np.asarray(values, dtype="float64"), side="left")


def _segments(out: pd.DataFrame, traded: pd.Series, params: RfmParams) -> pd.Series:
    labels = params.segments
    high = {dim: (out[dim].fillna(0) >= params.high_score).to_numpy() for dim in "rfm"}
    key = pd.Series(high["r"] * 4 + high["f"] * 2 + high["m"] * 1, index=out.index)
    names = {4 * r + 2 * f + m: getattr(labels, "".join("h" if x else "l" for x in (r, f, m)))
             for r in (0, 1) for f in (0, 1) for m in (0, 1)}
    return key.map(names).where(traded, labels.none).astype(str)


def _ts(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
