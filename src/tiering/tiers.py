"""Value tiers (分级) from the per-client indicators (SPEC 2.2).

Tiers are checked in the order the parameters list them, highest first; the first that holds
wins and the last (no bounds) takes everyone else. Each client gets the reason: which tier
fired and on which figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tiering.params import Bound, Policy

INDICATOR_COLUMNS = {
    "avg_assets": ("avg_assets_last_year", "avg_assets_ytd"),
    "avg_assets_last_year": ("avg_assets_last_year",),
    "avg_assets_ytd": ("avg_assets_ytd",),
    "mgmt_fee_last_year": ("mgmt_fee_last_year",),
    "rfm_r": ("rfm_r",),  # the activity scores 1-5 (SPEC 2.6); empty without a counted trade
    "rfm_f": ("rfm_f",),
    "rfm_m": ("rfm_m",),
}
SCORE_COLUMNS = frozenset({"rfm_r", "rfm_f", "rfm_m"})


def used_columns(policy: Policy) -> set[str]:
    """The indicator columns some tier rule reads."""
    return {c for rule in policy.tiers.values() for b in rule.bounds
            for c in INDICATOR_COLUMNS[b.indicator]}


def assign_tiers(features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Tier, level and reason per client.

    `features` has client_id and the indicator columns the rules use (avg_assets_last_year,
    avg_assets_ytd, mgmt_fee_last_year; rfm_r, rfm_f, rfm_m when a rule reads an RFM score).
    An empty score (no counted trade) satisfies no bound. Returns client_id, tier,
    computed_level, tier_reason.
    """
    n = len(features)
    tier = np.full(n, None, dtype=object)
    reason = pd.Series("", index=features.index, dtype="object")
    undecided = np.ones(n, dtype=bool)
    shown = {c: c + " " + (_score(features[c]) if c in SCORE_COLUMNS else _money(features[c]))
             for c in sorted(used_columns(policy))}  # formatted once
    for tier_id, rule in policy.tiers.items():
        if not rule.bounds:
            holds = np.ones(n, dtype=bool)
            figures = [shown[c] for c in sorted(shown)]
            why = pd.Series(
                [f"{tier_id}: no other tier applies (" + ", ".join(row) + ")"
                 for row in zip(*(f.tolist() for f in figures), strict=True)]
                if figures else f"{tier_id}: no other tier applies",
                index=features.index, dtype="object")
        else:
            holds, why = _rule_holds(features, shown, tier_id, rule.bounds, rule.match)
        take = undecided & holds
        tier[take] = tier_id
        reason[take] = why[take]
        undecided &= ~take
    levels = {tier_id: rule.level for tier_id, rule in policy.tiers.items()}
    return pd.DataFrame({
        "client_id": features["client_id"].to_numpy(),
        "tier": tier,
        "computed_level": [levels[t] for t in tier],
        "tier_reason": reason.to_numpy(),
    })


def _rule_holds(
    features: pd.DataFrame, shown: dict[str, pd.Series], tier_id: str,
    bounds: tuple[Bound, ...], match: str,
) -> tuple[np.ndarray, pd.Series]:
    per_bound = [_bound_holds(features, shown, b) for b in bounds]
    masks = np.vstack([m for m, _ in per_bound])
    holds = masks.any(axis=0) if match == "any" else masks.all(axis=0)
    texts = pd.DataFrame({i: t for i, (_, t) in enumerate(per_bound)}, index=features.index)
    if match == "any":
        # the first bound that holds explains the tier
        first = masks.argmax(axis=0)
        picked = texts.to_numpy()[np.arange(len(features)), first] if len(features) else []
        why = pd.Series(picked, index=features.index, dtype="object")
    else:
        columns = [texts[c].tolist() for c in texts.columns]
        why = pd.Series([" and ".join(row) for row in zip(*columns, strict=True)],
                        index=features.index, dtype="object")
    return holds, f"{tier_id}: " + why.astype("object")


def _bound_holds(
    features: pd.DataFrame, shown: dict[str, pd.Series], bound: Bound
) -> tuple[np.ndarray, pd.Series]:
    """Whether a bound holds per client, and the figure that shows it."""
    columns = INDICATOR_COLUMNS[bound.indicator]
    holds = np.zeros(len(features), dtype=bool)
    text = pd.Series("", index=features.index, dtype="object")
    for column in reversed(columns):  # the first column listed wins the explanation
        values = features[column].to_numpy(dtype="float64")
        ok = _within(values, bound)
        holds |= ok
        text = text.mask(ok, shown[column] + " " + _describe(bound))
    # when nothing holds, still say which figure failed (the first column)
    first = columns[0]
    fallback = shown[first] + " not " + _describe(bound)
    text = text.mask(~holds, fallback)
    return holds, text


def _score(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values).astype("float64")
    return numbers.map(lambda v: "none" if np.isnan(v) else f"{v:.0f}").astype("object")


def _money(values: pd.Series) -> pd.Series:
    return values.map("{:,.2f}".format).astype("object")


def _within(values: np.ndarray, bound: Bound) -> np.ndarray:
    ok = np.ones(len(values), dtype=bool)
    if bound.min is not None:
        ok &= values >= bound.min if bound.min_inclusive else values > bound.min
    if bound.max is not None:
        ok &= values <= bound.max if bound.max_inclusive else values < bound.max
    return ok


def _describe(bound: Bound) -> str:
    return bound.describe().split(" ", 1)[1]
