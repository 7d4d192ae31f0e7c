"""Value tiers (分级) from the per-client indicators (SPEC 2.2).

Tiers are checked in the order the parameters list them, highest first; the first that holds
wins and the last (no bounds) takes everyone else. Each client gets the reason: which tier
fired and on which figure.

Reasons are written the way these rules read, e.g. "core_b: avg_assets_ytd 750,000.00
≥ 500,000 and ≤ 5,000,000 and mgmt_fee_last_year 2,500.00 < 10,000": a bound that holds on two
figures (avg_assets: last year or year to date) is explained by the first listed; a tier that
takes any of its bounds by the first bound that holds; the last tier lists every figure the
rules read. Only the winning tier's figures are formatted, and whole columns at a time (a
million clients in about a second, not a minute of per-row Python).
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tiering.number_text import STR, decimal_text, str_array
from tiering.params import Bound, Policy, TierRule

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
    values = {c: features[c].to_numpy(dtype="float64") for c in sorted(used_columns(policy))}
    rules = list(policy.tiers.items())
    if features.empty:  # the column types pandas gives empty columns, as before
        return pd.DataFrame({"client_id": features["client_id"].to_numpy(),
                             "tier": np.array([], dtype=object), "computed_level": [],
                             "tier_reason": np.array([], dtype=object)})
    winner = np.full(len(features), len(rules))  # len(rules): no tier holds
    for k, (_, rule) in reversed(list(enumerate(rules))):  # the highest tier is written last
        winner[_rule_holds(values, rule, len(features))] = k
    taken = [np.flatnonzero(winner == k) for k in range(len(rules) + 1)]
    reasons = [_reasons(tier_id, rule, {c: v[rows] for c, v in values.items()}, rows.size)
               for (tier_id, rule), rows in zip(rules, taken, strict=False)]
    reasons.append(pa.repeat(pa.scalar("", pa.string()), taken[-1].size))
    return pd.DataFrame({
        "client_id": _text_column(features["client_id"]),
        "tier": str_array(pa.array([t for t, _ in rules] + [None], pa.string()).take(winner)),
        "computed_level": str_array(pa.array([r.level for _, r in rules] + [None], pa.string())
                                .take(winner)),
        "tier_reason": str_array(_in_row_order(taken, reasons)),
    })


def _rule_holds(values: dict[str, np.ndarray], rule: TierRule, n: int) -> np.ndarray:
    """Whether the rule holds for each of the n clients: any or all of its bounds (no bounds:
    everyone)."""
    if not rule.bounds:
        return np.ones(n, dtype=bool)
    per_bound = [_bound_holds(values, b) for b in rule.bounds]
    return np.logical_or.reduce(per_bound) if rule.match == "any" else np.logical_and.reduce(
        per_bound)


def _bound_holds(values: dict[str, np.ndarray], bound: Bound) -> np.ndarray:
    """Whether a bound holds per client on any of its figures."""
    return np.logical_or.reduce([_within(values[c], bound)
                                 for c in INDICATOR_COLUMNS[bound.indicator]])


def _reasons(tier_id: str, rule: TierRule, values: dict[str, np.ndarray], n: int
             ) -> pa.Array:
    """The reason text of each of the n clients the tier took (`values`: their figures)."""
    if not rule.bounds:
        if not values:
            return pa.repeat(pa.scalar(f"{tier_id}: no other tier applies", pa.string()), n)
        parts: list = [f"{tier_id}: no other tier applies ("]
        for i, column in enumerate(values):
            parts += [", " * (i > 0) + column + " ", _figure_text(column, values[column])]
        return _join(parts + [")"])
    choice, pieces = _explaining_figures(values, rule, n)
    taken, texts = [], []
    for key in np.unique(choice):
        rows = np.flatnonzero(choice == key)
        parts = [f"{tier_id}: "]
        for i, (column, bound) in enumerate(pieces[key]):
            parts += [" and " * (i > 0) + column + " ",
                      _figure_text(column, values[column][rows]), " " + _describe(bound)]
        taken.append(rows)
        texts.append(_join(parts))
    return _in_row_order(taken, texts)


def _explaining_figures(
    values: dict[str, np.ndarray], rule: TierRule, n: int
) -> tuple[np.ndarray, list[tuple[tuple[str, Bound], ...]]]:
    """Which figures explain the rule for each client: a code per client into a list of
    (column, bound) pieces. Match "all": per bound, the first figure that holds it; match
    "any": the first bound that holds, on its first figure that holds it."""
    groups = [[(c, b) for c in INDICATOR_COLUMNS[b.indicator]] for b in rule.bounds]
    if rule.match == "any":
        groups = [[piece for group in groups for piece in group]]
    choice = np.zeros(n, dtype=np.int64)
    for group in groups:
        holds = np.vstack([_within(values[c], b) for c, b in group])
        choice = choice * len(group) + holds.argmax(axis=0)  # the first that holds
    return choice, list(product(*groups))


def _figure_text(column: str, values: np.ndarray) -> pa.Array:
    return _score_text(values) if column in SCORE_COLUMNS else decimal_text(values, 2)


def _score_text(values: np.ndarray) -> pa.Array:
    """Scores as "{:.0f}" writes them ("none" when empty); each distinct value once."""
    codes, distinct = pd.factorize(np.ascontiguousarray(values, np.float64).view(np.int64))
    texts = ["none" if np.isnan(v) else f"{v:.0f}" for v in distinct.view(np.float64)]
    return pa.array(texts, pa.string()).take(codes)


def _join(parts: list) -> pa.Array:
    """Text pieces (str for all rows, arrays per row) joined per row."""
    return pc.binary_join_element_wise(*parts, "")


def _in_row_order(taken: list[np.ndarray], texts: list[pa.Array]) -> pa.Array:
    """Texts of disjoint row sets that cover every row, put back in row order."""
    if not taken:
        return pa.array([], pa.string())
    rows = np.concatenate(taken)
    place = np.empty_like(rows)
    place[rows] = np.arange(rows.size)
    return pa.concat_arrays(texts).take(place)


def _text_column(values: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The ids as `pd.DataFrame` infers them from `values.to_numpy()`, without Python strings
    for text columns."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.astype(STR).array
    return values.to_numpy()


def _within(values: np.ndarray, bound: Bound) -> np.ndarray:
    ok = np.ones(len(values), dtype=bool)
    if bound.min is not None:
        ok &= values >= bound.min if bound.min_inclusive else values > bound.min
    if bound.max is not None:
        ok &= values <= bound.max if bound.max_inclusive else values < bound.max
    return ok


def _describe(bound: Bound) -> str:
    return bound.describe().split(" ", 1)[1]
