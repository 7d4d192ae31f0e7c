"""Product suitability and monitoring (SPEC 2.5, 第十九条 2–3) under the shipped policy.

Default suitability parameters (params/policy-2017.yaml):
  bands          R1 low, R2–R3 medium, R4–R5 high
  three-band     conservative → low (R1), balanced → low+medium (R1–R3), aggressive → all
  five-level     Cn → R1..Rn; the lowest category → R1 even when insisting
  rules          above_tolerance high/phone (informed: medium), unassessed medium/sms,
                 expired_assessment medium/sms, lowest_category high/phone,
                 frequent_high_risk medium/phone: >= 3 purchases of R4/R5 within 90 days by
                 conservative, C1 or C2 clients
The review window for purchases is the trailing 365 days: 2025-10-01 … 2026-09-30.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.params import load_parameters
from tiering.schemas import RISK_LEVELS
from tiering.service_params import SuitabilityParams
from tiering.suitability import (
    ALERT_COLUMNS,
    RISK_RANK,
    alerts,
    client_tolerance,
    max_risk,
    product_shelf,
    suitable,
)

PARAMS = Path(__file__).parents[1] / "params"
AS_OF = date(2026, 9, 30)
THREE = ("conservative", "balanced", "aggressive")
FIVE = ("C1", "C2", "C3", "C4", "C5")


@cache
def params(*sets: str) -> SuitabilityParams:
    return load_parameters(PARAMS, AS_OF, sets).policy.suitability


def five() -> SuitabilityParams:
    return params("risk.scale=five_level")


PRODUCTS = pd.DataFrame(
    {
        "product_id": ["P5", "P4", "P3", "P2", "P1"],
        "name": ["五号", "四号", "三号", "二号", "一号"],
        "risk_level": ["R5", "R4", "R3", "R2", "R1"],
    }
)


def classification(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, category[, lowest_category[, assessment_date[, expired]]])."""
    full = [(r + (False, "2026-01-15", False)[len(r) - 2 :]) for r in rows]
    frame = pd.DataFrame(
        full,
        columns=[
            "client_id",
            "category",
            "lowest_category",
            "assessment_date",
            "assessment_expired",
        ],
    )
    frame["assessment_date"] = pd.to_datetime(frame["assessment_date"])
    frame.loc[frame["category"] == "unassessed", "assessment_date"] = pd.NaT
    return frame


def clients(*professionals: str, ids: tuple[str, ...] = ()) -> pd.DataFrame:
    every = sorted(set(ids) | set(professionals))
    return pd.DataFrame(
        {
            "client_id": every,
            "investor_type": ["professional" if c in professionals else "ordinary" for c in every],
        }
    )


def holdings(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, product_id, as_of_date, market_value)."""
    frame = pd.DataFrame(rows, columns=["client_id", "product_id", "as_of_date", "market_value"])
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    frame["market_value"] = frame["market_value"].astype("float64")
    return frame


def trades(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, product_id, trade_date[, warning_signed[, side]])."""
    full = [(r + (pd.NA, "purchase")[len(r) - 3 :]) for r in rows]
    frame = pd.DataFrame(
        full, columns=["client_id", "product_id", "trade_date", "warning_signed", "side"]
    )
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    frame["warning_signed"] = frame["warning_signed"].astype("boolean")
    frame["amount"] = 100_000.0
    return frame


def run(
    cls: pd.DataFrame,
    *,
    held: pd.DataFrame | None = None,
    bought: pd.DataFrame | None = None,
    pro: tuple[str, ...] = (),
    rules: SuitabilityParams | None = None,
    **kwargs,
) -> pd.DataFrame:
    return alerts(
        cls,
        clients(*pro, ids=tuple(cls["client_id"])),
        PRODUCTS,
        held,
        bought,
        as_of=AS_OF,
        params=rules or params(),
        **kwargs,
    )


def rows(out: pd.DataFrame, *cols: str) -> list[tuple]:
    cols = cols or ("client_id", "product_id", "source", "rule", "severity", "informed", "channel")
    return [tuple(r) for r in out[list(cols)].itertuples(index=False)]


# --- tolerance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("conservative", "R1"),
        ("balanced", "R3"),
        ("aggressive", "R5"),
        ("C1", "R1"),
        ("C2", "R2"),
        ("C3", "R3"),
        ("C4", "R4"),
        ("C5", "R5"),
        ("unassessed", None),
    ],
)
def test_max_risk_follows_the_category_on_both_scales(category, expected):
    for rules in (params(), five()):
        assert max_risk(category, professional=False, lowest=False, params=rules) == expected


def test_unassessed_client_may_be_offered_nothing():
    assert max_risk("unassessed", professional=False, lowest=False, params=params()) is None


def test_lowest_category_is_capped_at_r1_whatever_the_category():
    for category in ("C1", "C3", "balanced"):
        assert max_risk(category, professional=False, lowest=True, params=five()) == "R1"


def test_professional_is_unrestricted_even_conservative_lowest_or_unassessed():
    for category in ("conservative", "C1", "unassessed"):
        for lowest in (False, True):
            assert max_risk(category, professional=True, lowest=lowest, params=params()) == "R5"


def test_professional_follows_the_category_when_the_policy_restricts_them():
    rules = params().model_copy(update={"professional_unrestricted": False})
    assert max_risk("conservative", professional=True, lowest=False, params=rules) == "R1"
    assert max_risk("unassessed", professional=True, lowest=False, params=rules) is None


def test_three_band_tolerance_with_a_hole_opens_nothing_beyond_it():
    rules = params().model_copy(update={"three_band_tolerance": {"odd": ("low", "high")}})
    assert max_risk("odd", professional=False, lowest=False, params=rules) == "R1"


def test_unknown_category_is_an_error_naming_it():
    with pytest.raises(ValueError, match="'C9'"):
        max_risk("C9", professional=False, lowest=False, params=params())


def test_client_tolerance_reads_investor_type_and_lowest_category():
    cls = classification(("A", "C1", True), ("B", "C3"), ("C", "C1", True), ("D", "unassessed"))
    out = client_tolerance(cls, clients("C", ids=("A", "B", "D")), five())
    assert list(out.columns) == [
        "client_id",
        "category",
        "professional",
        "lowest_category",
        "max_risk",
    ]
    assert out["client_id"].tolist() == ["A", "B", "C", "D"]
    assert out["professional"].tolist() == [False, False, True, False]
    assert out["max_risk"].tolist()[:3] == ["R1", "R3", "R5"]
    assert pd.isna(out["max_risk"].iloc[3])


def test_client_tolerance_without_investor_type_treats_everyone_as_ordinary():
    cls = classification(("A", "aggressive"), ("B", "conservative"))
    out = client_tolerance(cls, pd.DataFrame({"client_id": ["A", "B"]}), params())
    assert out["professional"].tolist() == [False, False]
    assert out["max_risk"].tolist() == ["R5", "R1"]


# --- the product shelf ------------------------------------------------------------------------


def shelf_of(frame: pd.DataFrame, category: str) -> list[str]:
    return frame.loc[frame["category"] == category, "product_id"].tolist()


def test_shelf_per_three_band_category():
    shelf = product_shelf(PRODUCTS, [*THREE, "unassessed"], params())
    assert list(shelf.columns) == ["category", "product_id", "name", "risk_level"]
    assert shelf_of(shelf, "conservative") == ["P1"]
    assert shelf_of(shelf, "balanced") == ["P1", "P2", "P3"]
    assert shelf_of(shelf, "aggressive") == ["P1", "P2", "P3", "P4", "P5"]
    assert shelf_of(shelf, "unassessed") == []
    assert shelf_of(shelf, "professional") == ["P1", "P2", "P3", "P4", "P5"]
    assert shelf["category"].unique().tolist() == [*THREE, "professional"]


def test_shelf_per_five_level_category():
    shelf = product_shelf(PRODUCTS, list(FIVE), five())
    assert shelf_of(shelf, "C1") == ["P1"]
    assert shelf_of(shelf, "C3") == ["P1", "P2", "P3"]
    assert shelf_of(shelf, "C5") == ["P1", "P2", "P3", "P4", "P5"]
    assert shelf.loc[shelf["product_id"] == "P2", "name"].unique().tolist() == ["二号"]


def test_shelf_has_no_professional_group_when_professionals_are_restricted():
    rules = params().model_copy(update={"professional_unrestricted": False})
    assert "professional" not in set(product_shelf(PRODUCTS, list(THREE), rules)["category"])


def test_suitable_pairs_stop_at_each_clients_tolerance():
    cls = classification(("A", "balanced"), ("B", "unassessed"), ("C", "conservative"))
    out = suitable(client_tolerance(cls, clients("C", ids=("A", "B")), params()), PRODUCTS)
    assert list(map(tuple, out.to_numpy())) == [
        ("A", "P1"),
        ("A", "P2"),
        ("A", "P3"),
        ("C", "P1"),
        ("C", "P2"),
        ("C", "P3"),
        ("C", "P4"),
        ("C", "P5"),
    ]


# --- alerts: above tolerance and the informed mismatch ---------------------------------------


def test_holding_above_tolerance_is_a_high_severity_phone_alert():
    out = run(
        classification(("A", "conservative")),
        held=holdings(("A", "P1", "2026-09-30", 10.0), ("A", "P4", "2026-09-30", 5.0)),
    )
    assert list(out.columns) == ALERT_COLUMNS
    assert rows(out) == [("A", "P4", "holding", "above_tolerance", "high", False, "phone")]
    assert out["date"].tolist() == [pd.Timestamp("2026-09-30")]
    assert rows(out, "client_category", "product_risk") == [("conservative", "R4")]


def test_holding_counts_on_its_latest_date_up_to_as_of_and_only_when_worth_something():
    held = holdings(  # rows in no particular order: the latest date counts
        ("A", "P4", "2026-09-30", 0.0),  # sold out
        ("A", "P4", "2026-06-30", 5.0),
        ("A", "P5", "2026-06-30", 5.0),
        ("A", "P5", "2026-12-31", 0.0),  # after as_of
        ("A", "P3", "2026-03-31", 5.0),
    )
    out = run(classification(("A", "conservative")), held=held)
    assert rows(out, "product_id", "date") == [
        ("P3", pd.Timestamp("2026-03-31")),
        ("P5", pd.Timestamp("2026-06-30")),
    ]


def test_purchase_above_tolerance_without_a_warning_is_high():
    out = run(classification(("A", "balanced")), bought=trades(("A", "P4", "2026-05-06", False)))
    assert rows(out) == [("A", "P4", "transaction", "above_tolerance", "high", False, "phone")]
    assert out["date"].tolist() == [pd.Timestamp("2026-05-06")]


def test_informed_mismatch_is_reported_at_the_lower_severity():
    out = run(
        classification(("A", "balanced")),
        bought=trades(("A", "P4", "2026-05-06", True)),
        held=holdings(("A", "P4", "2026-09-30", 5.0)),
    )
    assert rows(out) == [
        ("A", "P4", "holding", "above_tolerance", "medium", True, "phone"),
        ("A", "P4", "transaction", "above_tolerance", "medium", True, "phone"),
    ]


def test_holding_is_informed_only_when_every_purchase_of_it_was_warned():
    bought = trades(("A", "P4", "2025-01-06", True), ("A", "P4", "2026-05-06", pd.NA))
    out = run(
        classification(("A", "balanced")),
        bought=bought,
        held=holdings(("A", "P4", "2026-09-30", 5.0)),
    )
    assert rows(out, "source", "date", "severity", "informed") == [
        ("holding", pd.Timestamp("2026-09-30"), "high", False),
        ("transaction", pd.Timestamp("2026-05-06"), "high", False),
    ]


def test_same_day_purchases_of_one_product_make_one_row_informed_only_if_all_were():
    bought = trades(
        ("A", "P5", "2026-05-06", True),
        ("A", "P5", "2026-05-06", False),
        ("A", "P4", "2026-05-07", True),
        ("A", "P4", "2026-05-07", True),
    )
    out = run(classification(("A", "balanced")), bought=bought)
    assert rows(out, "product_id", "severity", "informed") == [
        ("P4", "medium", True),
        ("P5", "high", False),
    ]


def test_five_level_purchase_above_cn_is_above_tolerance():
    bought = trades(
        ("A", "P3", "2026-05-06"), ("A", "P4", "2026-05-06"), ("B", "P5", "2026-05-06", True)
    )
    out = run(classification(("A", "C3"), ("B", "C4")), bought=bought, rules=five())
    assert rows(out, "client_id", "product_id", "client_category", "product_risk", "severity") == [
        ("A", "P4", "C3", "R4", "high"),
        ("B", "P5", "C4", "R5", "medium"),
    ]


def test_professional_gets_no_above_tolerance_alert():
    out = run(
        classification(("A", "conservative"), ("B", "C1", True)),
        bought=trades(("A", "P5", "2026-05-06"), ("B", "P5", "2026-05-06")),
        held=holdings(("A", "P5", "2026-09-30", 5.0)),
        pro=("A", "B"),
    )
    assert out.empty


def test_purchases_outside_the_review_window_redemptions_and_dividends_raise_nothing():
    bought = trades(
        ("A", "P5", "2025-09-30"),
        ("A", "P5", "2026-10-01"),
        ("A", "P5", "2026-05-06", pd.NA, "redeem"),
        ("A", "P5", "2026-05-07", pd.NA, "dividend"),
        ("A", "P4", "2025-10-01", pd.NA, "subscribe"),
    )
    out = run(classification(("A", "conservative")), bought=bought)
    assert rows(out, "product_id", "date") == [("P4", pd.Timestamp("2025-10-01"))]


def test_since_moves_the_start_of_the_review_window():
    out = run(
        classification(("A", "conservative")),
        bought=trades(("A", "P5", "2025-01-02")),
        since=date(2025, 1, 1),
    )
    assert rows(out, "product_id", "rule") == [("P5", "above_tolerance")]


def test_clients_outside_the_classification_and_unknown_products_are_not_monitored():
    bought = trades(("X", "P5", "2026-05-06"), ("A", "P9", "2026-05-06"))
    assert run(classification(("A", "conservative")), bought=bought).empty


# --- the lowest category --------------------------------------------------------------------


def test_lowest_category_purchase_stays_a_violation_even_with_a_signed_warning():
    out = run(
        classification(("A", "C1", True)),
        bought=trades(("A", "P2", "2026-05-06", True)),
        held=holdings(("A", "P2", "2026-09-30", 5.0)),
        rules=five(),
    )
    assert rows(out) == [
        ("A", "P2", "holding", "lowest_category", "high", True, "phone"),
        ("A", "P2", "transaction", "lowest_category", "high", True, "phone"),
    ]


def test_lowest_category_is_never_lowered_even_if_the_parameters_offer_a_lower_severity():
    rules = five()
    lowered = rules.rules.lowest_category.model_copy(update={"informed_severity": "low"})
    rules = rules.model_copy(
        update={"rules": rules.rules.model_copy(update={"lowest_category": lowered})}
    )
    out = run(
        classification(("A", "C1", True)),
        bought=trades(("A", "P3", "2026-05-06", True)),
        rules=rules,
    )
    assert rows(out, "rule", "severity", "informed") == [("lowest_category", "high", True)]


def test_lowest_category_r1_purchase_is_fine():
    out = run(
        classification(("A", "C1", True)), bought=trades(("A", "P1", "2026-05-06")), rules=five()
    )
    assert out.empty


# --- unassessed and expired assessments -------------------------------------------------------


def test_purchase_by_an_unassessed_client_is_a_medium_sms_alert():
    out = run(
        classification(("A", "unassessed")),
        bought=trades(("A", "P1", "2026-05-06")),
        held=holdings(("A", "P5", "2026-09-30", 5.0)),
    )
    assert rows(out) == [("A", "P1", "transaction", "unassessed", "medium", False, "sms")]


def test_unassessed_professional_purchase_still_raises_unassessed_only():
    out = run(
        classification(("A", "unassessed")), bought=trades(("A", "P5", "2026-05-06")), pro=("A",)
    )
    assert rows(out, "rule") == [("unassessed",)]


def test_purchase_on_or_after_the_expiry_is_flagged_with_the_validity_given():
    # assessed 2024-06-01, valid 2 years: expires 2026-06-01
    cls = classification(("A", "balanced", False, "2024-06-01", True))
    bought = trades(("A", "P2", "2026-05-29"), ("A", "P3", "2026-06-01"))
    out = run(cls, bought=bought, assessment_valid_years=2)
    assert rows(out) == [("A", "P3", "transaction", "expired_assessment", "medium", False, "sms")]
    assert out["date"].tolist() == [pd.Timestamp("2026-06-01")]


def test_without_the_validity_every_purchase_by_an_expired_client_is_flagged():
    cls = classification(("A", "C2", False, "2024-06-01", True), ("B", "C2"))
    bought = trades(("A", "P2", "2026-05-29"), ("A", "P1", "2026-06-01"), ("B", "P2", "2026-06-01"))
    out = run(cls, bought=bought, rules=five())
    assert rows(out, "client_id", "product_id", "rule") == [
        ("A", "P1", "expired_assessment"),
        ("A", "P2", "expired_assessment"),
    ]


def test_an_expired_mismatch_raises_both_rules():
    cls = classification(("A", "conservative", False, "2024-02-29", True))
    out = run(cls, bought=trades(("A", "P2", "2026-03-02")), assessment_valid_years=2)
    assert rows(out, "rule") == [("above_tolerance",), ("expired_assessment",)]


# --- frequent high-risk trading -------------------------------------------------------------


def frequent(out: pd.DataFrame) -> list[tuple]:
    hit = out[out["rule"] == "frequent_high_risk"]
    return rows(hit, "client_id", "product_id", "date", "severity", "channel")


def test_three_high_risk_purchases_within_90_days_alert_once_per_product():
    # 2026-03-02 + 89 days = 2026-05-30: the three fall within one 90-day window
    bought = trades(
        ("A", "P4", "2026-03-02"),
        ("A", "P5", "2026-04-11"),
        ("A", "P4", "2026-05-30"),
        ("A", "P1", "2026-05-01"),
    )
    out = run(classification(("A", "conservative")), bought=bought)
    assert frequent(out) == [
        ("A", "P4", pd.Timestamp("2026-05-30"), "medium", "phone"),
        ("A", "P5", pd.Timestamp("2026-04-11"), "medium", "phone"),
    ]


def test_three_high_risk_purchases_spread_over_91_days_are_not_frequent():
    bought = trades(("A", "P4", "2026-03-02"), ("A", "P5", "2026-04-11"), ("A", "P4", "2026-05-31"))
    assert frequent(run(classification(("A", "conservative")), bought=bought)) == []


def test_frequent_alert_is_dated_at_the_last_trade_in_a_burst():
    # a burst in March, then a lone purchase in August that is in no burst
    bought = trades(
        ("A", "P4", "2026-03-02"),
        ("A", "P4", "2026-03-03"),
        ("A", "P4", "2026-03-04"),
        ("A", "P4", "2026-08-03"),
    )
    out = run(classification(("A", "C2")), bought=bought, rules=five())
    assert frequent(out) == [("A", "P4", pd.Timestamp("2026-03-04"), "medium", "phone")]


def test_frequent_counts_only_low_tolerance_ordinary_clients():
    burst = [("P4", "2026-03-02"), ("P4", "2026-03-03"), ("P5", "2026-03-04")]
    bought = trades(*[(c, p, d) for c in "ABCD" for p, d in burst])
    cls = classification(("A", "balanced"), ("B", "C3"), ("C", "C1", True), ("D", "C2"))
    out = run(cls, bought=bought, pro=("D",), rules=five())
    assert [r[:2] for r in frequent(out)] == [("C", "P4"), ("C", "P5")]


def test_frequent_on_the_three_band_scale_for_conservative_clients():
    burst = [("P4", "2026-03-02"), ("P4", "2026-03-03"), ("P5", "2026-03-04")]
    bought = trades(*[(c, p, d) for c in "AB" for p, d in burst])
    out = run(classification(("A", "conservative"), ("B", "aggressive")), bought=bought)
    assert [r[:2] for r in frequent(out)] == [("A", "P4"), ("A", "P5")]
    assert set(out.loc[out["client_id"] == "B", "rule"]) == set()


def test_frequent_bursts_of_two_clients_do_not_mix():
    # A's two trades and B's one would make three within 90 days
    bought = trades(("A", "P4", "2026-03-02"), ("A", "P4", "2026-03-03"), ("B", "P4", "2026-03-04"))
    assert (
        frequent(run(classification(("A", "C1"), ("B", "C1")), bought=bought, rules=five())) == []
    )


# --- output shape ---------------------------------------------------------------------------


def test_no_holdings_or_transactions_give_an_empty_frame_with_the_columns():
    out = run(classification(("A", "conservative")))
    assert out.empty
    assert list(out.columns) == ALERT_COLUMNS


def test_alerts_are_sorted_and_unique_per_client_product_source_date_rule():
    bought = trades(
        ("B", "P5", "2026-05-06"),
        ("A", "P5", "2026-05-06"),
        ("A", "P4", "2026-05-07"),
        ("A", "P4", "2026-05-06"),
        ("A", "P5", "2026-05-06"),
    )
    out = run(
        classification(("B", "unassessed"), ("A", "conservative")),
        bought=bought,
        held=holdings(("A", "P5", "2026-09-30", 1.0)),
    )
    key = ["client_id", "product_id", "source", "date", "rule"]
    assert not out.duplicated(key).any()
    assert out.equals(out.sort_values(key).reset_index(drop=True))
    assert out["informed"].dtype == bool


# --- properties -----------------------------------------------------------------------------

CATEGORIES = st.sampled_from([*THREE, *FIVE, "unassessed"])


@st.composite
def books(draw):
    n = draw(st.integers(1, 12))
    cls = pd.DataFrame(
        {
            "client_id": [f"K{i:02d}" for i in range(n)],
            "category": draw(st.lists(CATEGORIES, min_size=n, max_size=n)),
            "lowest_category": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "assessment_date": pd.Timestamp("2026-01-15"),
            "assessment_expired": False,
        }
    )
    pro = [
        c
        for c, p in zip(
            cls["client_id"], draw(st.lists(st.booleans(), min_size=n, max_size=n)), strict=True
        )
        if p
    ]
    m = draw(st.integers(1, 8))
    products = pd.DataFrame(
        {
            "product_id": [f"F{j}" for j in range(m)],
            "name": "x",
            "risk_level": draw(st.lists(st.sampled_from(RISK_LEVELS), min_size=m, max_size=m)),
        }
    )
    return cls, clients(*pro, ids=tuple(cls["client_id"])), products


@settings(max_examples=60, deadline=None)
@given(book=books(), five_level=st.booleans())
def test_no_suitable_product_is_above_the_clients_tolerance(book, five_level):
    cls, who, products = book
    rules = five() if five_level else params()
    tol = client_tolerance(cls, who, rules)
    pairs = suitable(tol, products)
    cap = tol.set_index("client_id")["max_risk"].map(RISK_RANK).fillna(0)
    risk = products.set_index("product_id")["risk_level"].map(RISK_RANK)
    assert (risk[pairs["product_id"]].to_numpy() <= cap[pairs["client_id"]].to_numpy()).all()
    # and every product within tolerance is listed
    expected = sum(int((risk <= c).sum()) for c in cap)
    assert len(pairs) == expected
    # unassessed ordinary clients are offered nothing
    nothing = tol[(tol["category"] == "unassessed") & ~tol["professional"]]["client_id"]
    assert not pairs["client_id"].isin(nothing).any()


@settings(max_examples=60, deadline=None)
@given(book=books())
def test_a_holding_raises_a_mismatch_exactly_when_it_is_not_suitable(book):
    cls, who, products = book
    held = pd.MultiIndex.from_product([cls["client_id"], products["product_id"]]).to_frame(
        index=False, name=["client_id", "product_id"]
    )
    held["as_of_date"] = pd.Timestamp("2026-09-30")
    held["market_value"] = 1.0
    out = alerts(cls, who, products, held, None, as_of=AS_OF, params=params())
    flagged = set(zip(out["client_id"], out["product_id"], strict=True))
    tol = client_tolerance(cls, who, params())
    ok = set(zip(*suitable(tol, products).to_numpy().T, strict=True))
    assessed = set(tol.loc[tol["category"] != "unassessed", "client_id"])
    every = set(zip(held["client_id"], held["product_id"], strict=True))
    assert flagged == {(c, p) for c, p in every - ok if c in assessed}
    assert set(out["rule"]) <= {"above_tolerance", "lowest_category"}
    lowest = set(tol.loc[tol["lowest_category"], "client_id"])
    assert (out["rule"] == "lowest_category").tolist() == out["client_id"].isin(lowest).tolist()


def test_alerts_handle_a_large_random_book_without_per_row_work():
    rng = np.random.default_rng(7)
    n = 2_000
    cls = pd.DataFrame(
        {
            "client_id": [f"K{i:05d}" for i in range(n)],
            "category": rng.choice([*THREE, "unassessed"], n),
            "lowest_category": False,
            "assessment_date": pd.Timestamp("2025-01-15"),
            "assessment_expired": rng.random(n) < 0.1,
        }
    )
    k = 20_000
    bought = pd.DataFrame(
        {
            "client_id": cls["client_id"].to_numpy()[rng.integers(0, n, k)],
            "product_id": PRODUCTS["product_id"].to_numpy()[rng.integers(0, 5, k)],
            "trade_date": pd.Timestamp("2025-10-01")
            + pd.to_timedelta(rng.integers(0, 365, k), "D"),
            "side": "purchase",
            "amount": 1.0,
            "warning_signed": pd.array(rng.random(k) < 0.3, dtype="boolean"),
        }
    )
    out = alerts(cls, None, PRODUCTS, None, bought, as_of=AS_OF, params=params())
    assert not out.duplicated(["client_id", "product_id", "source", "date", "rule"]).any()
    assert set(out["rule"]) == {
        "above_tolerance",
        "unassessed",
        "expired_assessment",
        "frequent_high_risk",
    }
