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
import pyarrow as pa
import pyarrow.compute as pc

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
            computed += _points(df[q], questionnaire.points[q])
        computed = computed.where(complete)
    else:
        complete = partial = pd.Series(False, index=df.index)
        computed = pd.Series(np.nan, index=df.index)

    mismatch = (complete & given.notna() & (given != computed)).fillna(False).astype(bool)
    findings.append(_findings(df, row, mismatch, "score_mismatch", [
        f"given score {g:g} but the answers score {c:g}; the answers count"
        for g, c in zip(given[mismatch].tolist(), computed[mismatch].tolist(), strict=True)]))
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
    client, _ = pd.factorize(ok["client_id"], sort=True, use_na_sentinel=False)
    order = np.lexsort((ok["row"].to_numpy(), ok["assessment_date"].to_numpy(), client))
    last = order[np.r_[client[order][1:] != client[order][:-1], True][:order.size]]
    latest = ok.iloc[last].set_index("client_id")  # by client_id, as sorting would give
    out = pd.DataFrame(index=latest.index)
    out["assessment_date"] = latest["assessment_date"]
    out["score"] = latest["score_used"]
    out["category"] = categorize(latest["score_used"], risk)
    expires = _add_years(latest["assessment_date"], risk.assessment_valid_years)
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
    bands = sorted(risk.bands, key=lambda b: b.min_score)
    values = pd.to_numeric(scores).to_numpy(dtype="float64", na_value=np.nan)
    found = np.searchsorted([b.min_score for b in bands], values, side="right") - 1
    found[np.isnan(values)] = -1  # no band
    ids = np.array([b.id for b in bands] + [pd.NA], dtype=object)
    return pd.Series(ids[found], index=scores.index, dtype="object")


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
    code, distinct = pd.factorize(recorded)  # each distinct recorded value looked up once
    recorded_id = np.array([labels.get(v, v) if isinstance(v, str) else v for v in distinct]
                           + [None], dtype=object)[code]
    scored = _look_up(categories, clients["client_id"])
    bad = pd.notna(recorded_id) & pd.notna(scored)
    bad[bad] = recorded_id[bad] != scored[bad]
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
              detail: list[str] | str) -> pd.DataFrame:
    """Findings on the rows of `mask`; `detail` is one text for all or one per masked row."""
    mask = mask.fillna(False).astype(bool)
    count = int(mask.sum())
    return pd.DataFrame({
        "client_id": df.loc[mask, "client_id"].to_numpy(),
        "table": "risk_assessments",
        "row": row[mask].to_numpy(),
        "finding": kind,
        "detail": (np.full(count, detail, dtype=object) if isinstance(detail, str)
                   else np.array(detail, dtype=object)),
    }, columns=FINDING_COLUMNS)


def _look_up(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """`keys.map(values)` as an object array, None where a key is absent (`values` has a
    unique index). Text keys are matched by Arrow's hash look-up."""
    if isinstance(keys.dtype, pd.StringDtype) and isinstance(values.index.dtype, pd.StringDtype):
        wanted = pa.array(keys)
        at = pc.index_in(wanted, value_set=pa.array(values.index).cast(wanted.type))
        at = at.fill_null(-1).to_numpy()
    else:
        at = values.index.get_indexer(keys)
    return np.append(values.to_numpy(dtype=object), None)[at]


def _points(answers: pd.Series, points: dict) -> np.ndarray:
    """The points of each answer, 0 for a missing or unknown one; each distinct answer is
    looked up once."""
    code, distinct = pd.factorize(answers)
    table = np.array([points.get(a, np.nan) for a in distinct] + [np.nan], dtype=np.float64)
    found = table[code]
    return np.where(np.isnan(found), 0.0, found)


def _add_years(days: pd.Series, years: int) -> pd.Series:
    """The same date and time `years` later; 29 February becomes 28 February in a common
    year."""
    moment = days.to_numpy()
    day = moment.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    target = month + 12 * years
    length = (target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")
    into = np.minimum(day - month.astype("datetime64[D]"), length - np.timedelta64(1, "D"))
    later = (target.astype("datetime64[D]") + into).astype(moment.dtype) + (moment - day)
    return pd.Series(later, index=days.index, name=days.name)
