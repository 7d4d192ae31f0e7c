"""The rating cycle (SPEC 2.3): annual, quarterly (就高不就低), monthly, ad hoc, and overrides.

Each test builds a few clients by hand: the level the rules computed today (`computed_level`),
the level in force from the history (`in_force`), and runs the same steps as a rating does
(apply_cycle, then apply_overrides, then change_kind). Levels, low to high:
ordinary < potential < core < vip.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.cycle import (
    apply_cycle,
    apply_overrides,
    change_kind,
    parse_period,
    period_label,
)
from tiering.params import load_parameters

PARAMS = Path(__file__).parents[1] / "params"
POLICY = load_parameters(PARAMS / "policy-2017.yaml").policy
LEVELS = ["ordinary", "potential", "core", "vip"]
RANK = {level: i for i, level in enumerate(LEVELS)}

LAST_ANNUAL = date(2025, 12, 31)
QUARTER_END = date(2026, 3, 31)
MONTH_END = date(2026, 1, 31)
LONG_AGO = "2020-01-01"  # opened well before the last annual rating


def clients(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(client_id, open_date, computed_level) rows."""
    return pd.DataFrame(
        {
            "client_id": [r[0] for r in rows],
            "open_date": pd.to_datetime([r[1] for r in rows]),
            "computed_level": [r[2] for r in rows],
        }
    )


def in_force(*rows: tuple[str, str] | tuple[str, str, str]) -> pd.DataFrame:
    """(client_id, level[, base_level]) rows; the base level defaults to the level."""
    return pd.DataFrame(
        {
            "client_id": [r[0] for r in rows],
            "level": [r[1] for r in rows],
            "base_level": [r[2] if len(r) == 3 else r[1] for r in rows],
        },
        columns=["client_id", "level", "base_level"],
    )


def override(
    client_id: str,
    value: str,
    start: str,
    end: str | None = None,
    *,
    field: str = "level",
    reason: str = "战略客户",
    approved_by: str = "王总",
) -> dict:
    return {
        "client_id": client_id,
        "field": field,
        "value": value,
        "reason": reason,
        "approved_by": approved_by,
        "effective_from": pd.Timestamp(start),
        "effective_to": pd.Timestamp(end) if end else pd.NaT,
    }


def rate(
    rated: pd.DataFrame,
    force: pd.DataFrame,
    *,
    cycle: str,
    as_of: date,
    last_annual: date | None = LAST_ANNUAL,
    overrides: list[dict] | None = None,
) -> pd.DataFrame:
    """The rating steps in order, indexed by client_id."""
    out = apply_cycle(rated, force, cycle=cycle, last_annual=last_annual, policy=POLICY)
    frame = pd.DataFrame(overrides) if overrides else None
    out = apply_overrides(out, frame, as_of)
    out["change"] = change_kind(out, POLICY)
    return out.set_index("client_id")


# --- annual ---------------------------------------------------------------------------------


def test_annual_rating_downgrades_client_who_qualifies_lower():
    # vip in force, the rules now give core: the annual rating rates afresh, so core.
    out = rate(
        clients(("A", LONG_AGO, "core")), in_force(("A", "vip")), cycle="annual", as_of=LAST_ANNUAL
    )
    assert out.loc["A", "level"] == "core"
    assert out.loc["A", "change"] == "downgrade"
    assert not out.loc["A", "held"]


def test_annual_rating_upgrades_client_who_qualifies_higher():
    out = rate(
        clients(("A", LONG_AGO, "vip")),
        in_force(("A", "potential")),
        cycle="annual",
        as_of=LAST_ANNUAL,
    )
    assert out.loc["A", "level"] == "vip"
    assert out.loc["A", "change"] == "upgrade"


def test_annual_rating_of_same_level_is_unchanged():
    out = rate(
        clients(("A", LONG_AGO, "core")), in_force(("A", "core")), cycle="annual", as_of=LAST_ANNUAL
    )
    assert out.loc["A", "level"] == "core"
    assert out.loc["A", "change"] == "unchanged"


# --- quarterly: 就高不就低 --------------------------------------------------------------------


def test_quarterly_rating_upgrades_at_once_when_client_qualifies_higher():
    # potential in force, the rules give vip: upgraded now, not at the next annual rating.
    out = rate(
        clients(("A", LONG_AGO, "vip")),
        in_force(("A", "potential")),
        cycle="quarterly",
        as_of=QUARTER_END,
    )
    assert out.loc["A", "level"] == "vip"
    assert out.loc["A", "change"] == "upgrade"
    assert not out.loc["A", "held"]


def test_quarterly_rating_keeps_level_when_client_qualifies_lower():
    # vip in force, the rules give ordinary: vip is kept until the next annual rating.
    out = rate(
        clients(("A", LONG_AGO, "ordinary")),
        in_force(("A", "vip")),
        cycle="quarterly",
        as_of=QUARTER_END,
    )
    assert out.loc["A", "level"] == "vip"
    assert out.loc["A", "base_level"] == "vip"
    assert out.loc["A", "computed_level"] == "ordinary"  # still reported as computed
    assert out.loc["A", "held"]
    assert out.loc["A", "change"] == "held"
    assert "ordinary" in out.loc["A", "cycle_note"] and "vip" in out.loc["A", "cycle_note"]


def test_quarterly_rating_of_same_level_is_unchanged_not_held():
    out = rate(
        clients(("A", LONG_AGO, "core")),
        in_force(("A", "core")),
        cycle="quarterly",
        as_of=QUARTER_END,
    )
    assert out.loc["A", "level"] == "core"
    assert not out.loc["A", "held"]
    assert out.loc["A", "change"] == "unchanged"


def test_quarterly_rating_holds_from_the_rule_based_level_not_an_ended_override():
    # The history says the final level was vip by a special adjustment on top of a rule-based
    # core. The override has ended; the rules now give potential. 就高不就低 keeps the
    # rule-based level in force (core), not the override's vip.
    out = rate(
        clients(("A", LONG_AGO, "potential")),
        in_force(("A", "vip", "core")),
        cycle="quarterly",
        as_of=QUARTER_END,
    )
    assert out.loc["A", "level"] == "core"
    assert out.loc["A", "previous_level"] == "vip"
    # the level still fell (vip to core) when the override ended: a downgrade, not held
    assert out.loc["A", "change"] == "downgrade"


@pytest.mark.parametrize("cycle", ["annual", "quarterly", "monthly", "adhoc"])
def test_client_with_no_level_in_force_is_new_at_the_computed_level(cycle):
    # Nobody in the history: every cycle takes the computed level and calls it new.
    out = rate(
        clients(("A", LONG_AGO, "core"), ("B", "2026-01-10", "ordinary")),
        in_force(),
        cycle=cycle,
        as_of=MONTH_END,
    )
    assert out.loc["A", "level"] == "core"
    assert out.loc["B", "level"] == "ordinary"
    assert list(out["change"]) == ["new", "new"]
    assert not out["held"].any()


# --- monthly --------------------------------------------------------------------------------


def test_monthly_rating_rates_client_opened_after_last_annual_from_ordinary():
    # Opened 2026-01-15, after the annual rating of 2025-12-31, nothing in force: starts at
    # ordinary and is rated by the same standards, so the computed potential is its level.
    out = rate(
        clients(("N", "2026-01-15", "potential")), in_force(), cycle="monthly", as_of=MONTH_END
    )
    assert out.loc["N", "level"] == "potential"
    assert out.loc["N", "change"] == "new"


def test_monthly_rating_never_lowers_a_new_account_rated_in_an_earlier_month():
    # Opened 2026-01-15 and rated core in January's monthly run; in February the rules give
    # potential. Upgrade-only: core stays.
    out = rate(
        clients(("N", "2026-01-15", "potential")),
        in_force(("N", "core")),
        cycle="monthly",
        as_of=date(2026, 2, 28),
    )
    assert out.loc["N", "level"] == "core"


def test_monthly_rating_upgrades_a_new_account_that_qualifies_higher():
    out = rate(
        clients(("N", "2026-01-15", "vip")),
        in_force(("N", "potential")),
        cycle="monthly",
        as_of=date(2026, 2, 28),
    )
    assert out.loc["N", "level"] == "vip"
    assert out.loc["N", "change"] == "upgrade"


def test_monthly_rating_keeps_level_in_force_for_client_opened_before_last_annual():
    # Both opened before 2025-12-31, so the annual rating set their level: the monthly run
    # keeps it, whether the rules now give more (H) or less (L).
    out = rate(
        clients(("H", LONG_AGO, "vip"), ("L", LONG_AGO, "ordinary")),
        in_force(("H", "potential"), ("L", "core")),
        cycle="monthly",
        as_of=MONTH_END,
    )
    assert out.loc["H", "level"] == "potential"
    assert out.loc["L", "level"] == "core"
    assert list(out["change"]) == ["unchanged", "unchanged"]
    assert "keeps the level in force" in out.loc["H", "cycle_note"]


def test_monthly_rating_treats_client_opened_on_the_annual_date_as_already_rated():
    # Opened 2025-12-31: open at year end, so the annual rating of that day rated it; it is
    # not "opened since the last annual rating" and keeps its level.
    out = rate(
        clients(("A", "2025-12-31", "vip")),
        in_force(("A", "potential")),
        cycle="monthly",
        as_of=MONTH_END,
    )
    assert out.loc["A", "level"] == "potential"


def test_monthly_rating_without_annual_in_history_treats_everyone_as_new():
    # No annual rating yet: everyone is rated upgrade-only. An old client in force as
    # potential who now computes vip is upgraded (were it "opened before the last annual
    # rating" it would keep potential); one who computes lower keeps core; one with nothing in
    # force takes the computed level.
    out = rate(
        clients(("U", LONG_AGO, "vip"), ("D", LONG_AGO, "ordinary"), ("N", LONG_AGO, "core")),
        in_force(("U", "potential"), ("D", "core")),
        cycle="monthly",
        as_of=MONTH_END,
        last_annual=None,
    )
    assert out.loc["U", "level"] == "vip"
    assert out.loc["U", "change"] == "upgrade"
    assert out.loc["D", "level"] == "core"
    assert out.loc["N", "level"] == "core"
    assert out.loc["N", "change"] == "new"


# --- ad hoc ---------------------------------------------------------------------------------


def test_adhoc_rating_rates_afresh_like_annual():
    # A what-if mid-quarter: levels may go down exactly as in the annual rating.
    rated = clients(("D", LONG_AGO, "potential"), ("U", LONG_AGO, "vip"), ("S", LONG_AGO, "core"))
    force = in_force(("D", "vip"), ("U", "ordinary"), ("S", "core"))
    adhoc = rate(rated, force, cycle="adhoc", as_of=date(2026, 5, 20))
    annual = rate(rated, force, cycle="annual", as_of=date(2026, 5, 20))
    assert list(adhoc["level"]) == ["potential", "vip", "core"]
    assert list(adhoc["change"]) == ["downgrade", "upgrade", "unchanged"]
    cols = ["base_level", "level", "held", "change"]
    pd.testing.assert_frame_equal(adhoc[cols], annual[cols])


# --- special adjustments (特别调整) ----------------------------------------------------------


def test_level_override_in_effect_replaces_the_level_and_says_so():
    # Rules and quarterly cycle give core; an approved override from 2026-01-01 (open-ended)
    # sets vip at 2026-03-31.
    out = rate(
        clients(("A", LONG_AGO, "core")),
        in_force(("A", "core")),
        cycle="quarterly",
        as_of=QUARTER_END,
        overrides=[override("A", "vip", "2026-01-01", reason="战略客户", approved_by="王总")],
    )
    assert out.loc["A", "base_level"] == "core"  # the rules' answer is kept
    assert out.loc["A", "level"] == "vip"
    assert out.loc["A", "override"]
    assert out.loc["A", "change"] == "upgrade"
    note = out.loc["A", "override_note"]
    assert "战略客户" in note and "王总" in note and "2026-01-01" in note


def test_level_override_ending_on_the_as_of_date_is_still_in_effect():
    out = rate(
        clients(("A", LONG_AGO, "core")),
        in_force(("A", "core")),
        cycle="quarterly",
        as_of=QUARTER_END,
        overrides=[override("A", "vip", "2026-01-01", "2026-03-31")],
    )
    assert out.loc["A", "level"] == "vip"
    assert "2026-03-31" in out.loc["A", "override_note"]


def test_level_override_without_an_end_date_column_is_open_ended():
    # effective_to is optional in the overrides table (SPEC 3): without it, no end.
    ov = override("A", "vip", "2025-01-01")
    del ov["effective_to"]
    out = rate(
        clients(("A", LONG_AGO, "core")),
        in_force(("A", "core")),
        cycle="quarterly",
        as_of=QUARTER_END,
        overrides=[ov],
    )
    assert out.loc["A", "level"] == "vip"
    assert out.loc["A", "override_note"].endswith("to open")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-01-01", "2026-03-30"),  # ended the day before the as-of date
        ("2026-04-01", None),  # starts the day after
    ],
)
def test_level_override_not_in_effect_on_the_as_of_date_does_nothing(start, end):
    out = rate(
        clients(("A", LONG_AGO, "core"), ("B", LONG_AGO, "potential")),
        in_force(("A", "core"), ("B", "potential")),
        cycle="quarterly",
        as_of=QUARTER_END,
        overrides=[override("A", "vip", start, end)],
    )
    assert list(out["level"]) == ["core", "potential"]
    assert not out["override"].any()
    assert list(out["override_note"]) == ["", ""]
    assert list(out["change"]) == ["unchanged", "unchanged"]


def test_override_touches_only_its_own_client():
    out = rate(
        clients(("A", LONG_AGO, "core"), ("B", LONG_AGO, "potential")),
        in_force(),
        cycle="annual",
        as_of=LAST_ANNUAL,
        overrides=[override("B", "ordinary", "2025-06-01")],
    )
    assert list(out["level"]) == ["core", "ordinary"]
    assert list(out["override"]) == [False, True]


def test_category_override_row_never_changes_the_level():
    # Validation refuses category overrides; should one reach the cycle it is not a level.
    out = rate(
        clients(("A", LONG_AGO, "core")),
        in_force(("A", "core")),
        cycle="quarterly",
        as_of=QUARTER_END,
        overrides=[override("A", "aggressive", "2026-01-01", field="category")],
    )
    assert out.loc["A", "level"] == "core"
    assert not out.loc["A", "override"]


def test_override_downgrade_of_a_held_client_is_a_downgrade_not_held():
    # Quarterly would hold vip (computed core), but an override sets potential: the override
    # is what stands, so the change is a downgrade.
    out = rate(
        clients(("A", LONG_AGO, "core")),
        in_force(("A", "vip")),
        cycle="quarterly",
        as_of=QUARTER_END,
        overrides=[override("A", "potential", "2026-02-01")],
    )
    assert out.loc["A", "level"] == "potential"
    assert out.loc["A", "change"] == "downgrade"


# --- properties -----------------------------------------------------------------------------

level = st.sampled_from(LEVELS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(level, st.none() | level), min_size=1, max_size=12))
def test_quarterly_rating_never_lowers_a_level(pairs):
    # Each pair is (computed, in force or none). The quarterly level is the higher of the two.
    ids = [f"C{i:02d}" for i in range(len(pairs))]
    rated = clients(*[(cid, LONG_AGO, comp) for cid, (comp, _) in zip(ids, pairs, strict=True)])
    force = in_force(
        *[(cid, prev) for cid, (_, prev) in zip(ids, pairs, strict=True) if prev is not None]
    )
    out = rate(rated, force, cycle="quarterly", as_of=QUARTER_END)
    assert len(out) == len(pairs)
    for cid, (comp, prev) in zip(ids, pairs, strict=True):
        expected = comp if prev is None else max(comp, prev, key=RANK.get)
        assert out.loc[cid, "level"] == expected
        assert out.loc[cid, "change"] != "downgrade"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(level, st.none() | level, st.booleans()), min_size=1, max_size=12))
def test_monthly_rating_never_lowers_a_level(rows):
    # (computed, in force or none, opened after the last annual rating?)
    ids = [f"C{i:02d}" for i in range(len(rows))]
    rated = clients(
        *[
            (cid, "2026-01-10" if new else LONG_AGO, comp)
            for cid, (comp, _, new) in zip(ids, rows, strict=True)
        ]
    )
    force = in_force(
        *[(cid, prev) for cid, (_, prev, _) in zip(ids, rows, strict=True) if prev is not None]
    )
    out = rate(rated, force, cycle="monthly", as_of=MONTH_END)
    for cid, (_, prev, _) in zip(ids, rows, strict=True):
        if prev is not None:
            assert RANK[out.loc[cid, "level"]] >= RANK[prev]


@pytest.mark.parametrize(("cycle", "as_of", "label"), [
    ("quarterly", date(2026, 9, 30), "2026Q3"),
    ("annual", date(2026, 12, 31), "2026Q4"),
    ("quarterly", date(2026, 3, 31), "2026Q1"),
    ("monthly", date(2026, 10, 31), "2026-10"),
    ("adhoc", date(2026, 11, 15), "adhoc-2026-11-15"),
])
def test_period_label_names_the_output_folder(cycle, as_of, label):
    assert period_label(cycle, as_of) == label


@pytest.mark.parametrize(("period", "cycle", "as_of"), [
    ("2026Q3", "quarterly", date(2026, 9, 30)),
    ("2026Q1", "quarterly", date(2026, 3, 31)),
    ("2026Q4", "annual", date(2026, 12, 31)),
    ("2026-10", "monthly", date(2026, 10, 31)),
    ("2024-02", "monthly", date(2024, 2, 29)),
    ("2026-02", "monthly", date(2026, 2, 28)),
])
def test_parse_period_gives_the_cycle_and_its_as_of_date(period, cycle, as_of):
    assert parse_period(period) == (cycle, as_of)
    assert period_label(cycle, as_of) == period


@pytest.mark.parametrize("period", ["2026Q5", "2026-13", "26Q3", "2026q3x", ""])
def test_parse_period_refuses_what_is_not_a_period(period):
    with pytest.raises(ValueError, match="not a period"):
        parse_period(period)
