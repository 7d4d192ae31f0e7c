"""Risk category (分类) from the signed questionnaire (SPEC 2.1).

Answers q01… are scored by the questionnaire; a given score that disagrees with the answers,
an unsigned questionnaire, or a recorded category that disagrees with the scored one is a
compliance finding: reported, never silently fixed. The category is never overridden by hand.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from tiering.params import Questionnaire, RiskParams

ANSWER = re.compile(r"^q\d{2,}$")
FINDING_COLUMNS = ["client_id", "table", "row", "finding", "detail"]


def answer_columns(df: pd.DataFrame) -> list[str]:
    return sorted(c for c in df.columns if ANSWER.match(c))


def score_assessments(
    assessments: pd.DataFrame, questionnaire: Questionnaire, risk: RiskParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each questionnaire row; return (scored rows, findings).

    The scored frame keeps client_id, assessment_date, row and adds `score_used` (NaN when the
    row cannot count) and `valid`.
    """
    df = assessments.copy()
    row = df.index.to_series(index=df.index).astype("int64")
    qs = [q.id for q in questionnaire.questions]
    present = [q for q in qs if q in df.columns]
    given = df["score"] if "score" in df.columns else pd.Series(np.nan, index=df.index)
    given = pd.to_numeric(given, errors="coerce")
    findings: list[pd.DataFrame] = []

    if present:
        answered = df[present].notna()
        n_answered = answered.sum(axis=1)
        complete = n_answered == len(qs)
        partial = (n_answered > 0) & ~complete
        computed = pd.Series(0.0, index=df.index)
        for q in present:
            computed += df[q].map(questionnaire.points[q]).astype("float64").fillna(0.0)
        computed = computed.where(complete)
    else:
        complete = partial = pd.Series(False, index=df.index)
        computed = pd.Series(np.nan, index=df.index)

    mismatch = complete & given.notna() & (given != computed)
    findings.append(_findings(df, row, mismatch, "score_mismatch",
                              "given score " + _fmt(given) + " but the answers score "
                              + _fmt(computed) + "; the answers count"))
    findings.append(_findings(df, row, partial, "incomplete_answers",
                              "some answers q01… are missing; the given score is used if any"))
    score = computed.where(complete, given.where(~complete))
    if "signed" in df.columns:
        unsigned = df["signed"].astype("boolean").fillna(True).eq(False).astype(bool)
    else:
        unsigned = pd.Series(False, index=df.index)
    if risk.require_signed:
        findings.append(_findings(df, row, unsigned, "unsigned",
                                  "questionnaire not signed by the client; it does not count"))
    no_score = score.isna()
    findings.append(_findings(df, row, no_score & ~partial, "no_score",
                              "neither answers nor a score; it does not count"))
    valid = score.notna() & ~(unsigned & risk.require_signed)
    scored = pd.DataFrame({
        "client_id": df["client_id"],
        "assessment_date": df["assessment_date"],
        "row": row,
        "score_used": score.where(valid),
        "valid": valid,
    }).reset_index(drop=True)
    return scored, pd.concat(findings, ignore_index=True)


def latest_categories(
    scored: pd.DataFrame, as_of: date, risk: RiskParams
) -> pd.DataFrame:
    """Per client: the latest valid assessment on or before `as_of`, its category and expiry."""
    ok = scored[scored["valid"] & (scored["assessment_date"] <= pd.Timestamp(as_of))]
    latest = (
        ok.sort_values(["client_id", "assessment_date", "row"], kind="mergesort")
        .drop_duplicates("client_id", keep="last")
        .set_index("client_id")
    )
    out = pd.DataFrame(index=latest.index)
    out["assessment_date"] = latest["assessment_date"]
    out["score"] = latest["score_used"]
    out["category"] = categorize(latest["score_used"], risk)
    expires = latest["assessment_date"].map(lambda d: _add_years(d, risk.assessment_valid_years))
    out["assessment_expires"] = expires
    out["assessment_expired"] = expires <= pd.Timestamp(as_of)
    if risk.scale == "five_level" and risk.lowest_category_max_score is not None:
        out["lowest_category"] = latest["score_used"] <= risk.lowest_category_max_score
    else:
        out["lowest_category"] = False
    return out


def categorize(scores: pd.Series, risk: RiskParams) -> pd.Series:
    """The band id of each score: the highest band whose lower bound the score reaches.

    The bands are validated to be contiguous over the questionnaire's range, so a whole-number
    score lands in the band whose [min_score, max_score] holds it, and a fractional given score
    (40.5) in the band it has reached (conservative up to, not including, 41).
    """
    out = pd.Series(pd.NA, index=scores.index, dtype="object")
    for band in sorted(risk.bands, key=lambda b: b.min_score):
        out[scores >= band.min_score] = band.id
    return out


def category_labels(risk: RiskParams) -> dict[str, str]:
    return {b.id: b.label for b in risk.bands} | {"unassessed": risk.unassessed_label}


def recorded_category_findings(
    clients: pd.DataFrame, categories: pd.Series, risk: RiskParams
) -> pd.DataFrame:
    """A recorded category that disagrees with the scored questionnaire (第十二条)."""
    if "recorded_category" not in clients.columns:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    labels = {name: b.id for b in risk.bands for name in (b.label, *b.aliases)}
    recorded = clients["recorded_category"]
    recorded_id = recorded.map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
    scored = clients["client_id"].map(categories)
    bad = (recorded_id.notna() & scored.notna() & (recorded_id != scored)).astype(bool)
    return pd.DataFrame({
        "client_id": clients.loc[bad, "client_id"].to_numpy(),
        "table": "clients",
        "row": clients.index[bad].to_numpy(),
        "finding": "recorded_category_mismatch",
        "detail": [
            f"recorded {r} but the signed questionnaire gives {s}; the questionnaire counts"
            for r, s in zip(recorded[bad], scored[bad], strict=True)
        ],
    }, columns=FINDING_COLUMNS)


def _findings(df: pd.DataFrame, row: pd.Series, mask: pd.Series, kind: str,
              detail: pd.Series | str) -> pd.DataFrame:
    mask = mask.fillna(False).astype(bool)
    if isinstance(detail, str):
        detail = pd.Series(detail, index=df.index)
    return pd.DataFrame({
        "client_id": df.loc[mask, "client_id"].to_numpy(),
        "table": "risk_assessments",
        "row": row[mask].to_numpy(),
        "finding": kind,
        "detail": detail[mask].to_numpy(),
    }, columns=FINDING_COLUMNS)


def _fmt(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else f"{v:g}")


def _add_years(day: pd.Timestamp, years: int) -> pd.Timestamp:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
