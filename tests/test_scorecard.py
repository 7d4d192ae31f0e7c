"""Weighted scorecard (issue 6, part 3): normalisation, weights, grade cut-offs, agreement.

Every expected score below is worked out by hand from the rules in `tiering.scorecard`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tiering.scorecard import agreement, indicator_frame, score
from tiering.scorecard_params import DEFAULT, Grade, Indicator, ScorecardParams

AS_OF = date(2026, 9, 30)
GRADES = DEFAULT.grades


def params(*indicators: Indicator, normalisation: str = "min_max") -> ScorecardParams:
    return ScorecardParams(indicators=indicators, normalisation=normalisation, grades=GRADES)


ASSETS_AND_RECENCY = (
    Indicator(column="assets", weight=0.6),
    Indicator(column="recency", weight=0.4, direction="lower_better"),
)
FOUR_CLIENTS = pd.DataFrame({
    "client_id": ["a", "b", "c", "d"],
    "assets": [100.0, 200.0, 300.0, 500.0],
    "recency": [10.0, 30.0, 50.0, 10.0],
})


def by_client(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("client_id")


def one_indicator(values: list[float | None], **kwargs) -> pd.DataFrame:
    frame = pd.DataFrame({"client_id": [f"c{i}" for i in range(len(values))],
                          "x": pd.array(values, dtype="Float64").astype("float64")})
    return by_client(score(frame, params(Indicator(column="x", weight=1.0, **kwargs))))


# --- parameters -------------------------------------------------------------------------------

def test_default_weights_sum_to_one_and_grades_run_a_to_d():
    assert sum(i.weight for i in DEFAULT.indicators) == pytest.approx(1.0)
    assert [g.id for g in DEFAULT.grades] == ["A", "B", "C", "D"]
    assert [g.min_score for g in DEFAULT.grades] == [80, 60, 40, 0]


def test_weights_summing_to_point_nine_are_refused_naming_the_sum():
    with pytest.raises(ValidationError, match=r"sum to 0\.9"):
        params(Indicator(column="x", weight=0.5), Indicator(column="y", weight=0.4))


def test_an_indicator_listed_twice_is_refused():
    with pytest.raises(ValidationError, match="listed twice: x"):
        params(Indicator(column="x", weight=0.5), Indicator(column="x", weight=0.5))


def test_zero_weight_is_refused():
    with pytest.raises(ValidationError):
        Indicator(column="x", weight=0)


def test_grade_cut_offs_not_strictly_descending_are_refused():
    grades = (Grade(id="A", label="A", min_score=60), Grade(id="B", label="B", min_score=60),
              Grade(id="D", label="D", min_score=0))
    with pytest.raises(ValidationError, match="strictly descending"):
        ScorecardParams(indicators=(Indicator(column="x", weight=1.0),), grades=grades)


def test_last_grade_must_start_at_zero():
    grades = (Grade(id="A", label="A", min_score=80), Grade(id="B", label="B", min_score=10))
    with pytest.raises(ValidationError, match="min_score 0"):
        ScorecardParams(indicators=(Indicator(column="x", weight=1.0),), grades=grades)


def test_unknown_parameter_keys_are_refused():
    with pytest.raises(ValidationError):
        Indicator(column="x", weight=1.0, weigth=2)


# --- normalisation and score ------------------------------------------------------------------

def test_min_max_scales_to_0_100_and_reverses_lower_better():
    out = by_client(score(FOUR_CLIENTS, params(*ASSETS_AND_RECENCY)))
    # assets (x - 100) / 400; recency (50 - x) / 40
    assert out["assets"].tolist() == [0.0, 25.0, 50.0, 100.0]
    assert out["recency"].tolist() == [100.0, 50.0, 0.0, 100.0]
    # 0.6 * assets + 0.4 * recency
    assert out["score"].tolist() == [40.0, 35.0, 30.0, 100.0]
    assert out["grade"].tolist() == ["C", "D", "D", "A"]
    assert out.loc["d", "grade_label"] == "A级客户"


def test_percentile_rank_averages_ties_and_ranks_smallest_first_for_lower_better():
    out = by_client(score(FOUR_CLIENTS, params(*ASSETS_AND_RECENCY,
                                               normalisation="percentile_rank")))
    assert out["assets"].tolist() == [25.0, 50.0, 75.0, 100.0]
    # recency descending: c=50 rank 1, b=30 rank 2, a and d tie at 10 for ranks 3 and 4 -> 3.5
    assert out["recency"].tolist() == [87.5, 50.0, 25.0, 87.5]
    assert out["score"].tolist() == [50.0, 50.0, 55.0, 95.0]
    assert out["grade"].tolist() == ["C", "C", "C", "A"]


def test_output_columns_are_client_indicators_score_and_grade():
    out = score(FOUR_CLIENTS, params(*ASSETS_AND_RECENCY))
    assert list(out.columns) == ["client_id", "assets", "recency", "score", "grade",
                                 "grade_label"]


def test_score_of_exactly_80_is_grade_a():
    assert one_indicator([0.0, 80.0, 100.0]).loc["c1", ["score", "grade"]].tolist() == [80.0, "A"]


def test_score_of_79_99_is_grade_b():
    assert one_indicator([0.0, 79.99, 100.0]).loc["c1", ["score", "grade"]].tolist() == [
        79.99, "B"]


@pytest.mark.parametrize(("value", "grade"), [(60.0, "B"), (59.99, "C"), (40.0, "C"),
                                              (39.99, "D"), (0.0, "D")])
def test_lower_cut_offs_are_inclusive(value, grade):
    assert one_indicator([0.0, value, 100.0]).loc["c1", "grade"] == grade


@pytest.mark.parametrize("normalisation", ["min_max", "percentile_rank"])
def test_a_missing_value_scores_zero_for_that_indicator(normalisation):
    frame = pd.DataFrame({"client_id": ["a", "b", "c", "d"],
                          "x": [None, 100.0, 200.0, 300.0]})
    out = by_client(score(frame, params(Indicator(column="x", weight=1.0),
                                        normalisation=normalisation)))
    assert out.loc["a", "x"] == 0.0
    assert out.loc["a", "grade"] == "D"
    expected = [0.0, 50.0, 100.0] if normalisation == "min_max" else [100 / 3, 200 / 3, 100.0]
    assert out.loc[["b", "c", "d"], "x"].tolist() == pytest.approx(expected)


@pytest.mark.parametrize("direction", ["higher_better", "lower_better"])
def test_an_all_equal_column_gives_everyone_100_under_min_max(direction):
    out = one_indicator([5.0, 5.0, 5.0], direction=direction)
    assert out["x"].tolist() == [100.0, 100.0, 100.0]
    assert set(out["grade"]) == {"A"}


def test_an_unknown_indicator_column_is_an_error_naming_it():
    with pytest.raises(ValueError, match="fees"):
        score(FOUR_CLIENTS, params(Indicator(column="assets", weight=0.5),
                                   Indicator(column="fees", weight=0.5)))


def test_a_missing_reweight_indicator_is_left_out_and_the_other_weights_scaled_up():
    # 0.45 + 0.30 + 0.25 = 1; without satisfaction: 0.45 / 0.75 = 0.6 and 0.30 / 0.75 = 0.4.
    # min_max assets (100..500): a 0, b 25, c 50, d 100; recency lower better (10..50):
    # a 100, b 50, c 0, d 100 -> a 0.6*0 + 0.4*100 = 40, b 15 + 20 = 35, c 30, d 100
    scored = score(FOUR_CLIENTS, params(
        Indicator(column="assets", weight=0.45),
        Indicator(column="recency", weight=0.30, direction="lower_better"),
        Indicator(column="satisfaction", weight=0.25, if_missing="reweight")))
    assert by_client(scored)["score"].to_dict() == {"a": 40.0, "b": 35.0, "c": 30.0, "d": 100.0}
    assert scored.attrs["left_out"] == ["satisfaction"]
    assert "satisfaction" not in scored.columns


def test_a_present_reweight_indicator_counts_with_its_own_weight():
    frame = FOUR_CLIENTS.assign(satisfaction=[5.0, 1.0, 1.0, 1.0])
    # satisfaction min_max: a 100, others 0 -> a 0.45*0 + 0.30*100 + 0.25*100 = 55
    scored = by_client(score(frame, params(
        Indicator(column="assets", weight=0.45),
        Indicator(column="recency", weight=0.30, direction="lower_better"),
        Indicator(column="satisfaction", weight=0.25, if_missing="reweight"))))
    assert scored.loc["a", "score"] == 55.0


# --- indicator frame --------------------------------------------------------------------------

def test_indicator_frame_gathers_tenure_activity_and_numeric_metrics():
    classification = pd.DataFrame({"client_id": ["a", "b"], "level": ["vip", "core"],
                                   "avg_assets_last_year": [1e6, 2e5],
                                   "mgmt_fee_last_year": [5e3, 1e3]})
    rfm = pd.DataFrame({"client_id": ["a"], "frequency": [12], "recency_days": [3]})
    clients = pd.DataFrame({"client_id": ["a", "b"],
                            "open_date": pd.to_datetime(["2026-09-20", "2025-09-30"])})
    metrics = pd.DataFrame({"client_id": ["b", "a"], "referrals": [2, 0], "note": ["x", "y"]})
    out = by_client(indicator_frame(classification, rfm, clients, metrics, as_of=AS_OF))
    assert list(out.columns) == ["avg_assets_last_year", "mgmt_fee_last_year", "tenure_days",
                                 "frequency", "recency_days", "referrals"]
    assert out["tenure_days"].tolist() == [10.0, 365.0]
    assert out["frequency"].tolist() == [12.0, 0.0]
    assert out.loc["a", "recency_days"] == 3.0
    assert pd.isna(out.loc["b", "recency_days"])
    assert out["referrals"].tolist() == [0.0, 2.0]


def test_a_client_with_no_trades_scores_worst_on_recency():
    classification = pd.DataFrame({"client_id": ["a", "b", "c"],
                                   "avg_assets_last_year": [1.0, 2.0, 3.0],
                                   "mgmt_fee_last_year": [1.0, 2.0, 3.0]})
    rfm = pd.DataFrame({"client_id": ["a", "b"], "frequency": [1, 1], "recency_days": [300, 300]})
    clients = pd.DataFrame({"client_id": ["a", "b", "c"],
                            "open_date": pd.to_datetime(["2020-01-01"] * 3)})
    frame = indicator_frame(classification, rfm, clients, as_of=AS_OF)
    out = by_client(score(frame, DEFAULT))
    assert out["recency_days"].tolist() == [100.0, 100.0, 0.0]
    assert out["frequency"].tolist() == [100.0, 100.0, 0.0]


# --- agreement --------------------------------------------------------------------------------

def test_agreement_share_counts_grades_whose_mapped_level_is_the_rule_level():
    scored = pd.DataFrame({"client_id": ["a", "b", "c", "d"], "grade": ["A", "B", "C", "D"]})
    classification = pd.DataFrame({"client_id": ["d", "c", "b", "a", "e"],
                                   "level": ["ordinary", "ordinary", "core", "vip", "vip"]})
    table, share = agreement(scored, classification)
    assert share == 0.75  # a, b and d agree; c (potential) is rated ordinary; e is not scored
    assert table.loc["C", "ordinary"] == 1
    assert table.loc["D", "ordinary"] == 1
    assert int(table.to_numpy().sum()) == 4


def test_agreement_uses_a_custom_mapping():
    scored = pd.DataFrame({"client_id": ["a", "b"], "grade": ["A", "B"]})
    classification = pd.DataFrame({"client_id": ["a", "b"], "level": ["top", "top"]})
    _, share = agreement(scored, classification, mapping={"A": "top", "B": "top"})
    assert share == 1.0


# --- properties -------------------------------------------------------------------------------

values = st.one_of(st.none(), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(values, values), min_size=1, max_size=30),
       normalisation=st.sampled_from(["min_max", "percentile_rank"]))
def test_every_client_gets_exactly_one_grade_and_a_score_within_0_100(rows, normalisation):
    frame = pd.DataFrame({"client_id": [f"c{i}" for i in range(len(rows))],
                          "assets": pd.array([r[0] for r in rows], dtype="float64"),
                          "recency": pd.array([r[1] for r in rows], dtype="float64")})
    out = score(frame, params(*ASSETS_AND_RECENCY, normalisation=normalisation))
    assert out["client_id"].tolist() == frame["client_id"].tolist()
    assert out["score"].between(0, 100).all()
    cutoffs = {g.id: g.min_score for g in GRADES}
    ids = [g.id for g in GRADES]
    for s, grade in zip(out["score"], out["grade"], strict=True):
        assert grade in cutoffs
        assert s >= cutoffs[grade]
        higher = ids[: ids.index(grade)]
        assert all(s < cutoffs[h] for h in higher)
