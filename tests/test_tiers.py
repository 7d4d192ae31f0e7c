"""Value tiers (SPEC 2.2) under the shipped policy, its thresholds and their inclusivity.

Default policy (params/policy-2017.yaml), checked in this order, the first that holds wins:
  vip        avg assets (last year OR ytd) > 5,000,000, or last year's fee >= 50,000
  core_a     10,000 <= fee < 50,000
  core_b     500,000 <= avg assets (either) <= 5,000,000 and fee < 10,000
  potential  100,000 <= avg assets (either) < 500,000
  ordinary   everyone else
Exactly 5,000,000 is core_b: the project closes the seed's hole on core B's side.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.params import Policy, load_parameters, threshold_findings
from tiering.tiers import assign_tiers

PARAMS = Path(__file__).parents[1] / "params"
AS_OF = date(2026, 9, 30)


@cache
def policy(*sets: str) -> Policy:
    return load_parameters(PARAMS, AS_OF, sets).policy


def features(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, avg_assets_last_year, avg_assets_ytd, mgmt_fee_last_year)."""
    frame = pd.DataFrame(
        rows,
        columns=["client_id", "avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year"],
    )
    for col in ("avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year"):
        frame[col] = frame[col].astype("float64")
    return frame


def rate_one(
    last_year: float = 0.0, ytd: float = 0.0, fee: float = 0.0, rules: Policy | None = None
) -> pd.Series:
    out = assign_tiers(features(("C1", last_year, ytd, fee)), rules or policy())
    assert len(out) == 1
    return out.iloc[0]


def tier_of(
    last_year: float = 0.0, ytd: float = 0.0, fee: float = 0.0, rules: Policy | None = None
) -> str:
    return rate_one(last_year, ytd, fee, rules)["tier"]


# --- the shipped policy ---------------------------------------------------------------------


def test_shipped_policy_checks_tiers_highest_first():
    assert list(policy().tiers) == ["vip", "core_a", "core_b", "potential", "ordinary"]
    assert policy().level_rank == {"ordinary": 0, "potential": 1, "core": 2, "vip": 3}


def test_shipped_thresholds_have_no_gap_and_no_overlap():
    assert threshold_findings(policy()) == []


# --- each threshold and its inclusivity -----------------------------------------------------


@pytest.mark.parametrize(
    ("last_year", "ytd", "fee", "expected"),
    [
        # vip: strictly above 5,000,000 on either figure
        pytest.param(5_000_000.01, 0, 0, "vip", id="last-year-assets-a-cent-above-5m-is-vip"),
        pytest.param(0, 5_000_000.01, 0, "vip", id="ytd-assets-alone-above-5m-is-vip"),
        pytest.param(5_000_000, 0, 0, "core_b", id="exactly-5m-last-year-is-core-b"),
        pytest.param(0, 5_000_000, 0, "core_b", id="exactly-5m-ytd-is-core-b"),
        pytest.param(5_000_000, 5_000_000, 9_999.99, "core_b", id="exactly-5m-both-is-core-b"),
        # vip by fee: 50,000 and up
        pytest.param(0, 0, 50_000, "vip", id="fee-exactly-50k-is-vip"),
        # core_a: 10,000 <= fee < 50,000
        pytest.param(0, 0, 49_999.99, "core_a", id="fee-a-cent-below-50k-is-core-a"),
        pytest.param(0, 0, 10_000, "core_a", id="fee-exactly-10k-is-core-a"),
        pytest.param(0, 0, 9_999.99, "ordinary", id="fee-a-cent-below-10k-alone-is-ordinary"),
        # core_b: 500,000 <= assets <= 5,000,000 and fee < 10,000
        pytest.param(500_000, 0, 0, "core_b", id="assets-exactly-500k-is-core-b"),
        pytest.param(0, 500_000, 0, "core_b", id="ytd-assets-exactly-500k-is-core-b"),
        pytest.param(500_000, 0, 9_999.99, "core_b", id="500k-with-fee-a-cent-below-10k"),
        pytest.param(600_000, 50_000, 0, "core_b", id="core-b-on-last-year-alone"),
        # potential: 100,000 <= assets < 500,000
        pytest.param(499_999.99, 0, 0, "potential", id="assets-a-cent-below-500k-is-potential"),
        pytest.param(100_000, 0, 0, "potential", id="assets-exactly-100k-is-potential"),
        pytest.param(0, 100_000, 0, "potential", id="ytd-assets-exactly-100k-is-potential"),
        pytest.param(50_000, 200_000, 0, "potential", id="potential-on-ytd-alone"),
        # ordinary: everyone else
        pytest.param(99_999.99, 0, 0, "ordinary", id="assets-a-cent-below-100k-is-ordinary"),
        pytest.param(99_999.99, 99_999.99, 9_999.99, "ordinary", id="all-just-below"),
        pytest.param(0, 0, 0, "ordinary", id="nothing-is-ordinary"),
    ],
)
def test_threshold_and_inclusivity(last_year, ytd, fee, expected):
    assert tier_of(last_year, ytd, fee) == expected


def test_fee_of_10000_with_600000_assets_is_core_a_because_the_first_rule_that_holds_wins():
    # core_a: 10,000 in [10,000, 50,000) holds, and core_a is checked before core_b.
    # (core_b would not hold either: 600,000 is in [500,000, 5,000,000] but it also needs
    # fee < 10,000.) Rules that truly both hold are below: vip over core_a, and vip over
    # core_b once the vip threshold is lowered by --set.
    assert tier_of(600_000, 0, 10_000) == "core_a"


def test_vip_assets_beat_a_core_a_fee_because_vip_is_checked_first():
    # 6,000,000 > 5,000,000 (vip) and 20,000 in [10,000, 50,000) (core_a): vip comes first
    assert tier_of(6_000_000, 0, 20_000) == "vip"


def test_core_a_and_core_b_are_both_the_level_core():
    assert rate_one(0, 0, 10_000)["computed_level"] == "core"
    assert rate_one(500_000, 0, 0)["computed_level"] == "core"
    assert rate_one(0, 0, 50_000)["computed_level"] == "vip"
    assert rate_one(100_000, 0, 0)["computed_level"] == "potential"
    assert rate_one(0, 0, 0)["computed_level"] == "ordinary"


def test_every_client_keeps_its_row_and_order():
    out = assign_tiers(
        features(
            ("Z", 0, 0, 50_000),
            ("A", 99_999.99, 0, 0),
            ("M", 0, 6_000_000, 0),
            ("B", 500_000, 0, 0),
        ),
        policy(),
    )
    assert list(out["client_id"]) == ["Z", "A", "M", "B"]
    assert list(out["tier"]) == ["vip", "ordinary", "vip", "core_b"]


def test_no_clients_gives_an_empty_table():
    out = assign_tiers(features(), policy())
    assert len(out) == 0
    assert {"client_id", "tier", "computed_level", "tier_reason"} <= set(out.columns)


# --- reasons --------------------------------------------------------------------------------


def test_reason_names_the_ytd_figure_when_ytd_assets_made_the_client_vip():
    reason = rate_one(1_000_000, 6_000_000, 0)["tier_reason"]
    assert reason.startswith("vip")
    assert "avg_assets_ytd" in reason
    assert "6,000,000.00" in reason
    assert "avg_assets_last_year" not in reason


def test_reason_names_the_last_year_figure_when_last_year_assets_made_the_client_vip():
    reason = rate_one(7_000_000, 0, 0)["tier_reason"]
    assert reason.startswith("vip")
    assert "avg_assets_last_year" in reason
    assert "7,000,000.00" in reason


def test_reason_names_the_fee_when_the_fee_alone_made_the_client_vip():
    reason = rate_one(0, 0, 50_000)["tier_reason"]
    assert reason.startswith("vip")
    assert "mgmt_fee_last_year" in reason
    assert "50,000.00" in reason


def test_each_client_in_a_batch_gets_the_reason_for_its_own_figure():
    out = assign_tiers(
        features(
            ("fee", 0, 0, 80_000),
            ("ytd", 0, 6_000_000, 0),
            ("last", 9_000_000, 0, 0),
        ),
        policy(),
    )
    reasons = dict(zip(out["client_id"], out["tier_reason"], strict=True))
    assert "mgmt_fee_last_year 80,000.00" in reasons["fee"]
    assert "avg_assets_ytd 6,000,000.00" in reasons["ytd"]
    assert "avg_assets_last_year 9,000,000.00" in reasons["last"]


def test_reason_for_core_a_names_the_fee():
    reason = rate_one(600_000, 0, 10_000)["tier_reason"]
    assert reason.startswith("core_a")
    assert "mgmt_fee_last_year 10,000.00" in reason


def test_reason_for_core_b_names_the_assets_and_the_fee():
    reason = rate_one(0, 750_000, 2_500)["tier_reason"]
    assert reason.startswith("core_b")
    assert "avg_assets_ytd 750,000.00" in reason
    assert "mgmt_fee_last_year 2,500.00" in reason


def test_reason_for_ordinary_names_the_tier():
    assert rate_one(0, 0, 0)["tier_reason"].startswith("ordinary")


def test_reason_for_ordinary_shows_every_figure_that_fell_short():
    reason = rate_one(99_999.99, 12_000, 9_999.5)["tier_reason"]
    assert reason == (
        "ordinary: no other tier applies (avg_assets_last_year 99,999.99, "
        "avg_assets_ytd 12,000.00, mgmt_fee_last_year 9,999.50)"
    )


# --- parameter changes ----------------------------------------------------------------------


def test_lowering_the_vip_threshold_by_set_makes_a_4m_client_vip():
    assert tier_of(4_000_000) == "core_b"  # default: 4,000,000 in [500,000, 5,000,000]
    lowered = policy("tiers.vip.min_avg_assets=3000000")
    assert tier_of(4_000_000, rules=lowered) == "vip"  # 4,000,000 > 3,000,000
    assert tier_of(3_000_000, rules=lowered) == "core_b"  # still exclusive: not > 3,000,000


def test_raising_the_core_a_fee_threshold_by_set_moves_a_15000_fee_out_of_core_a():
    assert tier_of(0, 0, 15_000) == "core_a"
    raised = policy("tiers.core_a.min_mgmt_fee_last_year=20000")
    # 15,000 < 20,000: not core_a; no assets, so nothing else but ordinary
    assert tier_of(0, 0, 15_000, rules=raised) == "ordinary"
    assert tier_of(0, 0, 20_000, rules=raised) == "core_a"


def test_making_vip_inclusive_by_set_moves_exactly_5m_to_vip_and_reports_the_overlap():
    inclusive = policy("tiers.vip.min_avg_assets_inclusive=true")
    assert tier_of(5_000_000, rules=inclusive) == "vip"
    findings = threshold_findings(inclusive)
    assert len(findings) == 1
    assert "overlap on avg_assets" in findings[0]
    assert "5,000,000" in findings[0]
    assert "core_b" in findings[0] and "vip" in findings[0]


def test_making_core_b_max_exclusive_reports_the_gap_at_5m():
    exclusive = policy("tiers.core_b.max_avg_assets_inclusive=false")
    findings = threshold_findings(exclusive)
    assert len(findings) == 1
    assert "gap on avg_assets" in findings[0]
    assert "5,000,000" in findings[0]
    assert "core_b" in findings[0] and "vip" in findings[0]
    # the hole in action: exactly 5,000,000 is neither core_b (< 5m) nor vip (> 5m), and
    # potential stops below 500,000, so the client falls through to ordinary
    assert tier_of(5_000_000, rules=exclusive) == "ordinary"


def test_dropping_the_vip_threshold_below_core_b_max_reports_an_overlap():
    lowered = policy("tiers.vip.min_avg_assets=3000000")
    findings = threshold_findings(lowered)
    assert len(findings) == 1
    # core_b [500,000, 5,000,000] and vip (3,000,000, ...) share (3,000,000, 5,000,000]
    assert "overlap on avg_assets" in findings[0]
    assert "core_b" in findings[0] and "vip" in findings[0]


def test_lowering_potential_max_below_core_b_min_reports_a_gap():
    raised = policy("tiers.potential.max_avg_assets=400000")
    findings = threshold_findings(raised)
    # potential [100,000, 400,000) then core_b from 500,000: 400,000 to 500,000 is in neither
    assert len(findings) == 1
    assert "gap on avg_assets" in findings[0]
    assert "400,000" in findings[0] and "500,000" in findings[0]


# --- properties -----------------------------------------------------------------------------

ASSET_EDGES = [
    0.0,
    99_999.99,
    100_000.0,
    499_999.99,
    500_000.0,
    4_999_999.99,
    5_000_000.0,
    5_000_000.01,
]
FEE_EDGES = [0.0, 9_999.99, 10_000.0, 49_999.99, 50_000.0]


def _cents(x: float) -> float:
    return round(x, 2)


assets = st.one_of(
    st.sampled_from(ASSET_EDGES),
    st.floats(0, 12_000_000, allow_nan=False).map(_cents),
)
fees = st.one_of(
    st.sampled_from(FEE_EDGES),
    st.floats(-5_000, 120_000, allow_nan=False).map(_cents),  # reversals can net negative
)
increases = st.one_of(st.just(0.0), st.floats(0, 6_000_000, allow_nan=False).map(_cents))
fee_increases = st.one_of(st.just(0.0), st.floats(0, 60_000, allow_nan=False).map(_cents))
clients = st.lists(st.tuples(assets, assets, fees), min_size=1, max_size=30)


def _frame(rows: list[tuple[float, float, float]]) -> pd.DataFrame:
    return features(*[(f"C{i:03d}", ly, ytd, fee) for i, (ly, ytd, fee) in enumerate(rows)])


@settings(max_examples=60, deadline=None)
@given(clients)
def test_every_client_gets_exactly_one_tier_of_the_policy(rows):
    frame = _frame(rows)
    out = assign_tiers(frame, policy())
    assert list(out["client_id"]) == list(frame["client_id"])
    assert out["tier"].notna().all()
    assert set(out["tier"]) <= set(policy().tiers)
    levels = {tier_id: rule.level for tier_id, rule in policy().tiers.items()}
    assert list(out["computed_level"]) == [levels[t] for t in out["tier"]]


@settings(max_examples=100, deadline=None)
@given(assets, assets, fees, increases, increases, fee_increases)
def test_more_assets_or_more_fee_never_gives_a_lower_level(ly, ytd, fee, d_ly, d_ytd, d_fee):
    rank = policy().level_rank
    out = assign_tiers(
        features(("base", ly, ytd, fee), ("more", ly + d_ly, ytd + d_ytd, fee + d_fee)),
        policy(),
    )
    base, more = out["computed_level"]
    assert rank[more] >= rank[base], (base, more)


@settings(max_examples=40, deadline=None)
@given(assets, assets, fees)
def test_tier_does_not_depend_on_which_other_clients_are_rated(ly, ytd, fee):
    alone = tier_of(ly, ytd, fee)
    crowd = assign_tiers(
        features(("x", 6_000_000, 0, 0), ("me", ly, ytd, fee), ("y", 0, 0, 0)), policy()
    )
    assert crowd["tier"].iloc[1] == alone


# --- activity (RFM) scores as potential criteria (SPEC 2.2, 2.6) -----------------------------


def with_scores(frame: pd.DataFrame, r: list, f: list, m: list) -> pd.DataFrame:
    return frame.assign(rfm_r=pd.Series(r, dtype="float64"), rfm_f=pd.Series(f, dtype="float64"),
                        rfm_m=pd.Series(m, dtype="float64"))


def test_potential_by_frequency_score_beside_the_asset_band():
    # potential: assets in [100,000, 500,000) OR rfm_f >= 4 (match any)
    rules = policy("tiers.potential.min_rfm_f=4")
    frame = with_scores(
        features(("busy", 50_000, 0, 0), ("quiet", 50_000, 0, 0), ("never", 50_000, 0, 0),
                 ("rich", 200_000, 0, 0)),
        r=[5, 5, None, 1], f=[4, 3, None, 1], m=[1, 1, None, 1])
    out = assign_tiers(frame, rules).set_index("client_id")
    # busy: F 4 meets >= 4; quiet: F 3 does not; never traded: an empty score meets nothing;
    # rich: the asset band holds whatever the score
    assert out["tier"].to_dict() == {"busy": "potential", "quiet": "ordinary",
                                     "never": "ordinary", "rich": "potential"}
    assert out.loc["busy", "tier_reason"] == "potential: rfm_f 4 ≥ 4"
    assert "rfm_f none" in out.loc["never", "tier_reason"]


def test_potential_needing_both_assets_and_an_active_score_with_match_all():
    # potential: assets in [100,000, 500,000) AND rfm_r >= 4 (match all)
    rules = policy("tiers.potential.match=all", "tiers.potential.min_rfm_r=4")
    frame = with_scores(features(("recent", 150_000, 0, 0), ("stale", 150_000, 0, 0)),
                        r=[4, 3], f=[1, 1], m=[1, 1])
    out = assign_tiers(frame, rules).set_index("client_id")
    assert out["tier"].to_dict() == {"recent": "potential", "stale": "ordinary"}
    assert out.loc["recent", "tier_reason"] == (
        "potential: avg_assets_last_year 150,000.00 ≥ 100,000 and < 500,000 and rfm_r 4 ≥ 4")


# --- reason texts, written column at a time ---------------------------------------------------


def test_reason_amounts_round_half_to_even_on_the_exact_binary_value():
    # 0.125 is exactly 1/8, a tie: half to even gives 0.12. 2.675 is stored as
    # 2.67499999…, so it rounds down to 2.67. A small negative rounds to "-0.00", as Python writes.
    reason = rate_one(0.125, 2.675, -0.004)["tier_reason"]
    assert reason == ("ordinary: no other tier applies (avg_assets_last_year 0.12, "
                      "avg_assets_ytd 2.67, mgmt_fee_last_year -0.00)")


def test_reason_amounts_group_thousands_up_to_trillions_and_write_nan():
    # 12,345,678,901,234 (beyond the vectorised range: written by Python), 1,000,000 exactly,
    # and an empty figure
    reason = rate_one(12_345_678_901_234.0, 1_000_000.0, float("nan"))["tier_reason"]
    assert reason == "vip: avg_assets_last_year 12,345,678,901,234.00 > 5,000,000"
    # 999.999 rounds up into the next thousand; an empty fee meets no bound (not core_b)
    reason = rate_one(999.999, 1_000_000.0, float("nan"))["tier_reason"]
    assert reason == ("ordinary: no other tier applies (avg_assets_last_year 1,000.00, "
                      "avg_assets_ytd 1,000,000.00, mgmt_fee_last_year nan)")


def test_core_b_reason_names_the_first_asset_figure_that_holds_for_each_client():
    # core_b: 500,000 <= assets (last year OR ytd) <= 5,000,000 AND fee < 10,000.
    # "both" holds on both figures: last year's is named (listed first); "ytd" only on ytd.
    out = assign_tiers(features(("both", 600_000, 700_000, 0), ("ytd", 100, 2_000_000, 9_999.99),
                                ("vip", 0, 0, 60_000)), policy()).set_index("client_id")
    assert out.loc["both", "tier_reason"] == (
        "core_b: avg_assets_last_year 600,000.00 ≥ 500,000 and ≤ 5,000,000 and "
        "mgmt_fee_last_year 0.00 < 10,000")
    assert out.loc["ytd", "tier_reason"] == (
        "core_b: avg_assets_ytd 2,000,000.00 ≥ 500,000 and ≤ 5,000,000 and "
        "mgmt_fee_last_year 9,999.99 < 10,000")
    assert out.loc["vip", "tier_reason"] == "vip: mgmt_fee_last_year 60,000.00 ≥ 50,000"


def test_rows_keep_their_order_when_tiers_interleave():
    out = assign_tiers(features(("o1", 0, 0, 0), ("v", 6e6, 0, 0), ("o2", 1, 0, 0),
                                ("p", 0, 150_000, 0), ("a", 0, 0, 20_000)), policy())
    assert out["client_id"].tolist() == ["o1", "v", "o2", "p", "a"]
    assert out["tier"].tolist() == ["ordinary", "vip", "ordinary", "potential", "core_a"]
    assert out["computed_level"].tolist() == ["ordinary", "vip", "ordinary", "potential", "core"]
    assert out.loc[2, "tier_reason"] == (
        "ordinary: no other tier applies (avg_assets_last_year 1.00, avg_assets_ytd 0.00, "
        "mgmt_fee_last_year 0.00)")


def test_no_clients_give_an_empty_table():
    out = assign_tiers(features(), policy())
    assert out.empty
    assert list(out.columns) == ["client_id", "tier", "computed_level", "tier_reason"]
