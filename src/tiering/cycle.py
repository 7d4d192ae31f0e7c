"""The rating cycle (评级调整, SPEC 2.3) and special adjustments (特别调整).

- annual: every client is rated afresh; levels may go down.
- quarterly: 就高不就低 — a client who qualifies higher than the level in force is upgraded at
  once; one who qualifies lower keeps the level in force (`held`) until the next annual rating.
- monthly: clients opened since the last annual rating start at the new-client level and are
  rated upgrade-only; everyone else keeps the level in force.
- adhoc: rated afresh like the annual rating, but never written to the history.

The level in force is the rule-based level of the client's latest official rating (before any
override), so an override that ends does not linger. Level overrides apply after the rules.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from tiering.number_text import look_up
from tiering.params import Policy

CYCLES = ("annual", "quarterly", "monthly", "adhoc")


def period_label(cycle: str, as_of: date) -> str:
    """The name of a run's period: 2026Q3 (quarterly and annual), 2026-10 (monthly), or
    adhoc-2026-11-15 (ad hoc). Output folders are named by it (outputs/2026Q3/)."""
    if cycle in ("annual", "quarterly"):
        return f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
    if cycle == "monthly":
        return f"{as_of.year}-{as_of.month:02d}"
    return f"adhoc-{as_of.isoformat()}"


def parse_period(text: str) -> tuple[str, date]:
    """The cycle and as-of date of a period: 2026Q3 is the quarterly rating as of 30 September,
    2026Q4 the annual rating as of 31 December, 2026-10 the monthly rating as of 31 October."""
    found = re.fullmatch(r"(\d{4})(?:Q([1-4])|-(\d{2}))", text.strip())
    if not found or (found[3] and not 1 <= int(found[3]) <= 12):
        raise ValueError(f"{text!r} is not a period: write 2026Q3 (a quarter; 2026Q4 is the "
                         "annual rating) or 2026-10 (a month)")
    year = int(found[1])
    if found[2]:
        quarter = int(found[2])
        end_month = quarter * 3
        cycle = "annual" if quarter == 4 else "quarterly"
    else:
        end_month = int(found[3])
        cycle = "monthly"
    last_day = calendar.monthrange(year, end_month)[1]
    return cycle, date(year, end_month, last_day)


def apply_cycle(
    rated: pd.DataFrame,
    in_force: pd.DataFrame,
    *,
    cycle: str,
    last_annual: date | None,
    policy: Policy,
) -> pd.DataFrame:
    """Base level (rules + cycle), previous level and the cycle's note per client.

    `rated`: client_id, open_date, computed_level. `in_force`: client_id, level, base_level
    from the history (may be empty). Returns `rated` with previous_level, previous_base,
    base_level, held (bool) and cycle_note.
    """
    rank = policy.level_rank
    out = rated.merge(
        in_force[["client_id", "level", "base_level"]].rename(
            columns={"level": "previous_level", "base_level": "previous_base"}),
        on="client_id", how="left",
    )
    computed = _ranks(out["computed_level"], rank)
    prev = _ranks(out["previous_base"], rank)  # NaN: none in force
    has_prev = ~np.isnan(prev)
    base = out["computed_level"].to_numpy(dtype=object).copy()
    held = np.zeros(len(out), dtype=bool)
    note = np.full(len(out), "", dtype=object)

    if cycle in ("quarterly", "monthly"):
        start = prev.copy()
        in_scope = np.ones(len(out), dtype=bool)
        if cycle == "monthly":
            new_rank = rank[policy.cycle.new_client_level]
            if last_annual is None:
                is_new = np.ones(len(out), dtype=bool)
            else:
                is_new = (out["open_date"] > pd.Timestamp(last_annual)).to_numpy()
            in_scope = is_new | ~has_prev
            start = np.where(has_prev, prev, new_rank)
            keep = ~in_scope
            base[keep] = out.loc[keep, "previous_base"].to_numpy()
            note[keep] = ("monthly: not opened since the last annual rating; "
                          "keeps the level in force")
        lower = in_scope & ~np.isnan(start) & (computed < start)
        start_ids = _ids(start, policy)
        base[lower] = start_ids[lower]
        held[lower & has_prev] = True
        note[lower & has_prev] = (
            f"{cycle}: qualifies for " + out.loc[lower & has_prev, "computed_level"].astype(str)
            + " but keeps " + out.loc[lower & has_prev, "previous_base"].astype(str)
            + " until the next annual rating (就高不就低)"
        ).to_numpy(dtype=object)
        raised = lower & ~has_prev  # new accounts start at the new-client level
        note[raised] = f"monthly: new account starts at {policy.cycle.new_client_level}"
    out["base_level"] = base
    out["held"] = held
    out["cycle_note"] = note
    return out


def apply_overrides(
    frame: pd.DataFrame, overrides: pd.DataFrame | None, as_of: date
) -> pd.DataFrame:
    """Final level: a level override in effect at `as_of` replaces the base level.

    Category overrides never reach this point: validation refuses them (SPEC 2.1).
    """
    out = frame.copy()
    out["level"] = out["base_level"]
    out["override"] = False
    out["override_note"] = ""
    active = active_overrides(overrides, as_of).set_index("client_id")
    if active.empty:
        return out
    hit = out["client_id"].isin(active.index)
    ov = active.reindex(out.loc[hit, "client_id"])
    until = (ov["effective_to"].dt.strftime("%Y-%m-%d").fillna("open")
             if "effective_to" in ov else "open")
    out.loc[hit, "level"] = ov["value"].to_numpy()
    out.loc[hit, "override"] = True
    out.loc[hit, "override_note"] = (
        "override: level set to " + ov["value"] + " (" + ov["reason"] + "), approved by "
        + ov["approved_by"] + ", effective " + ov["effective_from"].dt.strftime("%Y-%m-%d")
        + " to " + until
    ).to_numpy()
    return out


OVERRIDE_COLUMNS = ["client_id", "value", "reason", "approved_by", "effective_from",
                    "effective_to"]


def active_overrides(overrides: pd.DataFrame | None, as_of: date) -> pd.DataFrame:
    """The level overrides in effect at `as_of`, one per client (validation refuses overlaps)."""
    if overrides is None or overrides.empty:
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    frame = overrides if "effective_to" in overrides else overrides.assign(effective_to=pd.NaT)
    day = pd.Timestamp(as_of)
    active = frame[
        (frame["field"] == "level")
        & (frame["effective_from"] <= day)
        & (frame["effective_to"].isna() | (frame["effective_to"] >= day))
    ]
    active = active.sort_values(["client_id", "effective_from"], kind="mergesort")
    return active.drop_duplicates("client_id", keep="last")[OVERRIDE_COLUMNS].reset_index(
        drop=True)


def change_kind(frame: pd.DataFrame, policy: Policy) -> pd.Series:
    """new / upgrade / downgrade / held / unchanged against the previous final level.

    `held` is a client kept at the level in force although the rules give less; a level that
    still falls (an override that ended) is a downgrade.
    """
    rank = policy.level_rank
    now, before = _ranks(frame["level"], rank), _ranks(frame["previous_level"], rank)
    kind = np.select(
        [np.isnan(before), now < before, now > before, frame["held"].to_numpy(dtype=bool)],
        ["new", "downgrade", "upgrade", "held"],
        default="unchanged",
    )
    return pd.Series(kind, index=frame.index)


def _ids(ranks: np.ndarray, policy: Policy) -> np.ndarray:
    """The level ids of ranks (floats; None for NaN)."""
    ids = np.array([lv.id for lv in policy.levels] + [None], dtype=object)
    return ids[np.where(np.isnan(ranks), len(ids) - 1, ranks).astype(np.int64)]


def _ranks(levels: pd.Series, rank: Mapping[str, int]) -> np.ndarray:
    """The ranks of level ids as floats, NaN for a missing or unknown level."""
    return look_up(levels, pd.Index(list(rank)), np.array(list(rank.values()), dtype="float64"))
