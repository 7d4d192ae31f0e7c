"""Risk category from the signed questionnaire (SPEC 2.1), against the shipped questionnaire.

Points of the default questionnaire (params/questionnaire.yaml), by option letter:
    q01 A1 B3 C5 D8 E10       q04 A1 B4 C7 D10 E12       q07 A1 B4 C8 D12
    q02 A1 B4 C7 D10          q05 A1 B4 C8 D12           q08 A1 B4 C8 D12
    q03 A1 B4 C7 D10          q06 A1 B4 C8 D12           q09 A1 B4 C7 D10
Answers are written below as a 9-letter string, q01 first.
Default bands: conservative 9-40, balanced 41-75, aggressive 76-100. Five-level scale:
C1 9-24, C2 25-40, C3 41-58, C4 59-75, C5 76-100; lowest category (最低类别) at or below 16.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tiering.params import load_parameters
from tiering.questionnaire import (
    categorize,
    latest_categories,
    recorded_category_findings,
    score_assessments,
)

PARAMS = Path(__file__).parents[1] / "params"
DEFAULT = load_parameters(PARAMS / "policy-2017.yaml")
FIVE = load_parameters(PARAMS / "policy-2017.yaml", sets=["risk.scale=five_level"])
QUESTIONS = [f"q{i:02d}" for i in range(1, 10)]
AS_OF = date(2025, 12, 31)


def row(
    client_id: str,
    day: str,
    *,
    answers: str | None = None,
    score: float | None = None,
    signed: bool = True,
) -> dict:
    letters = list(answers) if answers else [None] * len(QUESTIONS)
    return {
        "client_id": client_id,
        "assessment_date": pd.Timestamp(day),
        "score": np.nan if score is None else float(score),
        "signed": signed,
        **dict(zip(QUESTIONS, letters, strict=True)),
    }


def assessments(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def score(frame: pd.DataFrame, params=DEFAULT):
    return score_assessments(frame, params.questionnaire, params.policy.risk)


def latest(frame: pd.DataFrame, as_of: date = AS_OF, params=DEFAULT) -> pd.DataFrame:
    scored, _ = score(frame, params)
    return latest_categories(scored, as_of, params.policy.risk)


def kinds(findings: pd.DataFrame) -> list[tuple[str, int, str]]:
    return sorted(zip(findings["client_id"], findings["row"], findings["finding"], strict=True))


# --- scoring --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        ("AAAAAAAAA", 9),  # lowest option everywhere: 9 x 1
        ("EDDEDDDDD", 100),  # highest everywhere: 10+10+10+12+12+12+12+12+10
        ("ECBCBBCBB", 52),  # 10+7+4+7+4+4+8+4+4
        ("DBBBBBBBB", 40),  # 8+4x8
        ("CBBBCBBBB", 41),  # 5+4+4+4+8+4+4+4+4
        ("DCCCCDCCD", 75),  # 8+7+7+7+8+12+8+8+10
        ("ECCDCCCCD", 76),  # 10+7+7+10+8+8+8+8+10
    ],
)
def test_answers_are_scored_by_the_questionnaire_points(answers, total):
    scored, findings = score(assessments(row("A", "2025-06-01", answers=answers)))
    assert scored.loc[0, "score_used"] == total
    assert scored.loc[0, "valid"]
    assert findings.empty


@pytest.mark.parametrize(
    ("answers", "category"),
    [
        ("DBBBBBBBB", "conservative"),  # 40
        ("CBBBCBBBB", "balanced"),  # 41
        ("DCCCCDCCD", "balanced"),  # 75
        ("ECCDCCCCD", "aggressive"),  # 76
    ],
)
def test_scored_answers_at_the_band_edges_get_the_seed_category(answers, category):
    out = latest(assessments(row("A", "2025-06-01", answers=answers)))
    assert out.loc["A", "category"] == category


def test_given_score_disagreeing_with_complete_answers_is_a_finding_and_answers_count():
    # Answers ECBCBBCBB score 52 (balanced); the form says 80 (aggressive).
    frame = assessments(row("A", "2025-06-01", answers="ECBCBBCBB", score=80))
    scored, findings = score(frame)
    assert scored.loc[0, "score_used"] == 52
    assert kinds(findings) == [("A", 0, "score_mismatch")]
    detail = findings.loc[0, "detail"]
    assert "80" in detail and "52" in detail
    assert latest(frame).loc["A", "category"] == "balanced"


def test_given_score_agreeing_with_the_answers_is_no_finding():
    _, findings = score(assessments(row("A", "2025-06-01", answers="ECBCBBCBB", score=52)))
    assert findings.empty


def test_given_score_alone_is_used():
    scored, findings = score(assessments(row("A", "2025-06-01", score=33)))
    assert scored.loc[0, "score_used"] == 33
    assert findings.empty


def test_incomplete_answers_are_a_finding_and_the_given_score_is_used():
    frame = assessments(row("A", "2025-06-01", answers="ECBCBBCBB", score=60))
    frame.loc[0, "q09"] = None
    scored, findings = score(frame)
    assert kinds(findings) == [("A", 0, "incomplete_answers")]
    assert scored.loc[0, "score_used"] == 60


def test_questionnaire_with_neither_answers_nor_score_does_not_count():
    frame = assessments(row("A", "2025-06-01"))
    scored, findings = score(frame)
    assert not scored.loc[0, "valid"]
    assert kinds(findings) == [("A", 0, "no_score")]
    assert latest(frame).empty


# --- which assessment counts ----------------------------------------------------------------


def test_unsigned_questionnaire_does_not_count_and_the_previous_valid_one_is_used():
    frame = assessments(
        row("A", "2025-01-10", score=30),  # signed, conservative
        row("A", "2025-06-01", score=80, signed=False),  # later but unsigned
        row("B", "2025-03-01", score=50, signed=False),  # B's only questionnaire, unsigned
    )
    scored, findings = score(frame)
    assert kinds(findings) == [("A", 1, "unsigned"), ("B", 2, "unsigned")]
    assert list(scored["valid"]) == [True, False, False]
    out = latest(frame)
    assert list(out.index) == ["A"]  # B has no valid assessment: unassessed
    assert out.loc["A", "assessment_date"] == pd.Timestamp("2025-01-10")
    assert out.loc["A", "category"] == "conservative"


def test_unsigned_questionnaire_counts_when_signing_is_not_required():
    relaxed = load_parameters(PARAMS / "policy-2017.yaml", sets=["risk.require_signed=false"])
    frame = assessments(row("B", "2025-03-01", score=50, signed=False))
    scored, findings = score(frame, relaxed)
    assert findings.empty
    assert latest(frame, params=relaxed).loc["B", "category"] == "balanced"


def test_latest_valid_assessment_wins():
    frame = assessments(
        row("A", "2025-05-01", score=30),
        row("A", "2024-05-01", score=80),  # older, listed later: order in the file is irrelevant
    )
    out = latest(frame)
    assert out.loc["A", "assessment_date"] == pd.Timestamp("2025-05-01")
    assert out.loc["A", "score"] == 30
    assert out.loc["A", "category"] == "conservative"


def test_assessment_after_the_as_of_date_is_not_used():
    frame = assessments(row("A", "2025-05-01", score=30), row("A", "2026-01-05", score=90))
    out = latest(frame, as_of=AS_OF)
    assert out.loc["A", "category"] == "conservative"
    assert latest(frame, as_of=date(2026, 1, 5)).loc["A", "category"] == "aggressive"


# --- bands and scales -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (9, "conservative"),
        (40, "conservative"),
        (41, "balanced"),
        (75, "balanced"),
        (76, "aggressive"),
        (100, "aggressive"),
    ],
)
def test_three_band_edges(value, category):
    assert categorize(pd.Series([float(value)]), DEFAULT.policy.risk)[0] == category


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (9, "C1"),
        (24, "C1"),
        (25, "C2"),
        (40, "C2"),
        (41, "C3"),
        (58, "C3"),
        (59, "C4"),
        (75, "C4"),
        (76, "C5"),
        (100, "C5"),
    ],
)
def test_five_level_scale_edges(value, category):
    assert categorize(pd.Series([float(value)]), FIVE.policy.risk)[0] == category


def test_five_level_scale_flags_the_lowest_category_at_or_below_its_score():
    # C1 is 9-24; 最低类别 is C1 at or below 16.
    frame = assessments(
        row("L", "2025-06-01", score=16),
        row("M", "2025-06-01", score=17),
        row("N", "2025-06-01", score=9),
        row("P", "2025-06-01", score=30),
    )
    out = latest(frame, params=FIVE)
    assert dict(out["category"]) == {"L": "C1", "M": "C1", "N": "C1", "P": "C2"}
    assert dict(out["lowest_category"]) == {"L": True, "M": False, "N": True, "P": False}


def test_three_band_scale_has_no_lowest_category():
    out = latest(assessments(row("L", "2025-06-01", score=9)))
    assert out.loc["L", "category"] == "conservative"
    assert not out.loc["L", "lowest_category"]


# --- validity: 2 years ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessed", "as_of", "expired"),
    [
        ("2024-09-30", date(2026, 9, 30), True),  # exactly two years: expired that day
        ("2024-10-01", date(2026, 9, 30), False),  # one day short of two years
        ("2024-09-30", date(2026, 9, 29), False),
        # Assessed on 29 February: two years on there is no 29 February, so the anniversary is
        # 28 February (730 days, like any other two-year span without a leap day inside).
        ("2024-02-29", date(2026, 2, 27), False),
        ("2024-02-29", date(2026, 2, 28), True),
        # As of 29 February: assessed 2026-02-28 reached two years the day before.
        ("2026-02-28", date(2028, 2, 29), True),
        ("2026-03-01", date(2028, 2, 29), False),
    ],
)
def test_assessment_expires_two_years_after_it_was_taken(assessed, as_of, expired):
    out = latest(assessments(row("A", assessed, score=52)), as_of=as_of)
    assert bool(out.loc["A", "assessment_expired"]) is expired
    assert out.loc["A", "category"] == "balanced"  # expired is flagged, not dropped


def test_assessment_expiry_date_is_reported():
    out = latest(assessments(row("A", "2024-09-30", score=52)), as_of=date(2026, 9, 30))
    assert out.loc["A", "assessment_expires"] == pd.Timestamp("2026-09-30")


# --- recorded category (第十二条) ------------------------------------------------------------


def test_recorded_category_disagreeing_with_the_questionnaire_is_a_finding():
    # Scored: A, B, C conservative (score 30); D, E balanced (52); F none.
    clients = pd.DataFrame(
        {
            "client_id": ["A", "B", "C", "D", "E", "F"],
            "recorded_category": ["balanced", "稳健型", "保守型", "balanced", None, "balanced"],
        }
    )
    scored = pd.Series(
        {
            "A": "conservative",
            "B": "conservative",
            "C": "conservative",
            "D": "balanced",
            "E": "balanced",
        }
    )
    findings = recorded_category_findings(clients, scored, DEFAULT.policy.risk)
    # A by id and B by label disagree; C (label) and D (id) agree; E recorded nothing; F has
    # no valid questionnaire to compare with.
    assert kinds(findings) == [
        ("A", 0, "recorded_category_mismatch"),
        ("B", 1, "recorded_category_mismatch"),
    ]
    assert set(findings["table"]) == {"clients"}
    assert "conservative" in findings.loc[1, "detail"] and "稳健型" in findings.loc[1, "detail"]


def test_recorded_category_labels_follow_the_five_level_scale():
    # On the five-level scale 稳健型 is C2: it agrees with a C2 score and not with C3.
    clients = pd.DataFrame({"client_id": ["A", "B"], "recorded_category": ["稳健型", "稳健型"]})
    scored = pd.Series({"A": "C2", "B": "C3"})
    findings = recorded_category_findings(clients, scored, FIVE.policy.risk)
    assert kinds(findings) == [("B", 1, "recorded_category_mismatch")]


def test_recorded_jinqu_xing_is_the_aggressive_band():
    clients = pd.DataFrame({"client_id": ["A"], "recorded_category": ["进取型"]})
    scored = pd.Series({"A": "aggressive"})
    assert recorded_category_findings(clients, scored, DEFAULT.policy.risk).empty


def test_no_recorded_category_column_gives_no_findings():
    clients = pd.DataFrame({"client_id": ["A"]})
    findings = recorded_category_findings(
        clients, pd.Series({"A": "balanced"}), DEFAULT.policy.risk
    )
    assert findings.empty


def test_given_score_between_two_bands_is_not_silently_left_without_a_category():
    # Nothing is dropped silently (SPEC 3): either the score gets a category or it is reported.
    frame = assessments(row("A", "2025-06-01", score=40.5))
    _, findings = score(frame)
    out = latest(frame)
    # 40.5 has reached the conservative band's 9 but not the balanced band's 41
    assert out.loc["A", "category"] == "conservative"


# --- at scale: Arrow text, each distinct value looked up once ---------------------------------


def test_an_unknown_option_scores_nothing_but_the_questionnaire_is_complete():
    # "AAAAAAAAZ": eight A answers score 1 each; Z is no option of q09 and scores 0 → 8
    scored, findings = score(assessments(row("A", "2025-06-01", answers="AAAAAAAAZ")))
    assert scored["score_used"].tolist() == [8.0]
    assert findings.empty


def test_score_mismatch_detail_writes_both_scores():
    # answers "AAAAAAAAA" score 9; a given 10.5 disagrees
    _, findings = score(assessments(row("A", "2025-06-01", answers="AAAAAAAAA", score=10.5)))
    assert findings["detail"].tolist() == [
        "given score 10.5 but the answers score 9; the answers count"]


def test_latest_assessment_of_the_day_is_the_later_row_and_clients_come_sorted():
    frame = assessments(row("B", "2025-03-01", score=30), row("A", "2025-05-01", score=30),
                        row("B", "2025-06-01", score=60), row("B", "2025-06-01", score=90),
                        row("A", "2025-01-01", score=90))
    out = latest(frame)
    assert out.index.tolist() == ["A", "B"]
    assert out["score"].tolist() == [30.0, 90.0]  # A: the May one; B: the second 1 June row
    assert out["category"].tolist() == ["conservative", "aggressive"]


def test_expiry_keeps_the_time_of_day_and_moves_29_february_to_the_28th():
    frame = assessments(row("A", "2024-02-29 10:30", score=52), row("B", "2023-03-01", score=52))
    out = latest(frame)
    assert out.loc["A", "assessment_expires"] == pd.Timestamp("2026-02-28 10:30")
    assert out.loc["B", "assessment_expires"] == pd.Timestamp("2025-03-01")


def test_recorded_category_is_compared_on_arrow_text_ids():
    text = pd.StringDtype("pyarrow")
    clients = pd.DataFrame(
        {"client_id": ["A", "B", "C"], "recorded_category": ["进取型", "保守型", None]}, dtype=text)
    scored = pd.Series(["aggressive", "balanced"], index=pd.Index(["A", "B"], dtype=text))
    findings = recorded_category_findings(clients, scored, DEFAULT.policy.risk)
    # A: 进取型 is the aggressive band, agrees; B disagrees; C recorded nothing
    assert kinds(findings) == [("B", 1, "recorded_category_mismatch")]
    assert findings["detail"].tolist() == [
        "recorded 保守型 but the signed questionnaire gives balanced; the questionnaire counts"]


def test_categorize_gives_the_highest_band_reached_and_none_without_a_score():
    out = categorize(pd.Series([9.0, 40.9, 41.0, np.nan, 100.0, 8.0]), DEFAULT.policy.risk)
    assert out.tolist() == ["conservative", "conservative", "balanced", pd.NA, "aggressive",
                            pd.NA]
