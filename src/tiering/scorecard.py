"""The weighted scorecard (issue 6, part 3): indicators in, a 0..100 score and a grade out.

A core module: frames and an explicit `as_of` in, new frames out; no files, no clock.

- `indicator_frame` gathers one row per classified client: last year's average assets and
  management fee (from the classification), tenure in days at `as_of`, trade frequency and
  recency (from the RFM frame), plus every numeric column of an optional client-metrics frame.
- `score` normalises each indicator to 0..100, takes the weighted sum and assigns a grade.
- `agreement` compares grades with the rule-based levels.

Normalisation, per indicator, over the clients in the frame:

- `min_max`: (x - min) / (max - min) * 100; for `lower_better`, (max - x) / (max - min) * 100.
  When every present value is equal, every client with a value scores 100 (nobody is behind).
- `percentile_rank`: pandas `rank(pct=True, method="average") * 100`; for `lower_better` the
  values are ranked in descending order instead, so the smallest value ranks highest.
- A missing value scores 0 for that indicator: worse than the worst present value. A client
  absent from the RFM frame has frequency 0 and no recency, so its recency scores 0 (the worst).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

import numpy as np
import pandas as pd

from tiering.scorecard_params import Indicator, ScorecardParams

GRADE_TO_LEVEL: Mapping[str, str] = MappingProxyType(
    {"A": "vip", "B": "core", "C": "potential", "D": "ordinary"})
BASE_COLUMNS = ["client_id", "avg_assets_last_year", "mgmt_fee_last_year", "tenure_days",
                "frequency", "recency_days"]


def indicator_frame(
    classification: pd.DataFrame,
    rfm: pd.DataFrame,
    clients: pd.DataFrame,
    metrics: pd.DataFrame | None = None,
    *,
    as_of: date,
) -> pd.DataFrame:
    """One row per client of `classification`, with the scorecard's candidate indicators."""
    out = classification[["client_id", "avg_assets_last_year", "mgmt_fee_last_year"]].copy()
    opened = clients.set_index("client_id")["open_date"]
    open_date = pd.to_datetime(out["client_id"].map(opened))
    out["tenure_days"] = (pd.Timestamp(as_of) - open_date).dt.days.astype("float64")
    activity = rfm.set_index("client_id")
    out["frequency"] = out["client_id"].map(activity["frequency"]).fillna(0).astype("float64")
    out["recency_days"] = out["client_id"].map(activity["recency_days"]).astype("float64")
    if metrics is not None:
        numeric = metrics.set_index("client_id").select_dtypes("number")
        clash = sorted(set(numeric.columns) & set(out.columns))
        if clash:
            raise ValueError(f"client metrics repeat indicator columns: {', '.join(clash)}")
        out = out.join(numeric.astype("float64"), on="client_id")
    return out.reset_index(drop=True)


def normalise(values: pd.Series, indicator: Indicator, method: str) -> pd.Series:
    """`values` on 0..100 by `method` (see the module docstring); missing values give 0."""
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    lower_better = indicator.direction == "lower_better"
    if method == "min_max":
        low, high = x.min(), x.max()
        if high == low:
            scaled = x.where(x.isna(), 100.0)
        elif lower_better:
            scaled = (high - x) / (high - low) * 100
        else:
            scaled = (x - low) / (high - low) * 100
    elif method == "percentile_rank":
        scaled = x.rank(pct=True, method="average", ascending=not lower_better) * 100
    else:
        raise ValueError(f"unknown normalisation: {method}")
    return scaled.fillna(0.0).clip(0, 100)


def score(frame: pd.DataFrame, params: ScorecardParams) -> pd.DataFrame:
    """client_id, one normalised column per indicator, score (2 decimals), grade, grade_label.

    An indicator whose column the frame lacks stops the scorecard (ValueError), unless it says
    ``if_missing: reweight``: then it is left out and the other weights are scaled to sum to 1
    (its column is named in ``out.attrs["left_out"]``).
    """
    missing = [i for i in params.indicators if i.column not in frame.columns]
    fatal = [i.column for i in missing if i.if_missing == "error"]
    if fatal:
        raise ValueError(f"indicator columns not in the frame: {', '.join(fatal)}")
    used = [i for i in params.indicators if i.column in frame.columns]
    if not used:
        raise ValueError("no scorecard indicator is in the frame")
    scale = 1.0 / sum(i.weight for i in used)
    out = frame[["client_id"]].reset_index(drop=True)
    total = pd.Series(0.0, index=out.index)
    for indicator in used:
        column = normalise(frame[indicator.column].reset_index(drop=True), indicator,
                           params.normalisation)
        out[indicator.column] = column
        total = total + indicator.weight * scale * column
    out["score"] = total.clip(0, 100).round(2)
    cutoffs = [g.min_score for g in params.grades]
    conditions = [out["score"] >= c for c in cutoffs]
    # The last cut-off is 0 and scores are clipped to 0..100, so np.select always matches.
    ids = [g.id for g in params.grades]
    out["grade"] = np.select(conditions, ids, default=ids[-1])
    labels = {g.id: g.label for g in params.grades}
    out["grade_label"] = out["grade"].map(labels)
    out.attrs["left_out"] = [i.column for i in missing]
    return out


def agreement(
    scored: pd.DataFrame,
    classification: pd.DataFrame,
    mapping: Mapping[str, str] = GRADE_TO_LEVEL,
) -> tuple[pd.DataFrame, float]:
    """Grade × rule-based level counts, and the share of clients whose mapped grade is their level.

    Only clients present in both frames count; the share is NaN when there are none.
    """
    both = scored[["client_id", "grade"]].merge(
        classification[["client_id", "level"]], on="client_id", how="inner")
    table = pd.crosstab(both["grade"], both["level"])
    if both.empty:
        return table, float("nan")
    share = float((both["grade"].map(dict(mapping)) == both["level"]).mean())
    return table, share
