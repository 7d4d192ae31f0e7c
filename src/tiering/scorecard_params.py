"""Parameters of the weighted scorecard (issue 6, part 3): indicators, weights and grades.

A scorecard turns a handful of per-client indicators into one score from 0 to 100 and a grade
(A/B/C/D). Each indicator has a weight; the weights sum to 1, so the weighted sum of indicators
normalised to 0..100 is itself on 0..100. Grades are listed highest first, each with the lowest
score it admits; the last grade admits everything from 0.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

WEIGHT_TOLERANCE = 1e-9


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indicator(_Frozen):
    column: str
    weight: float = Field(gt=0)
    direction: Literal["higher_better", "lower_better"] = "higher_better"
    # a column the data may lack (a client_metrics column): "reweight" leaves the indicator out
    # and scales the other weights up to sum to 1; "error" (default) stops the scorecard
    if_missing: Literal["error", "reweight"] = "error"


class Grade(_Frozen):
    id: str
    label: str
    min_score: float


class ScorecardParams(_Frozen):
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    normalisation: Literal["min_max", "percentile_rank"] = "min_max"
    grades: tuple[Grade, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ScorecardParams:
        total = sum(i.weight for i in self.indicators)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"indicator weights sum to {total:g}, not 1")
        columns = [i.column for i in self.indicators]
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if duplicated:
            raise ValueError(f"indicator columns listed twice: {', '.join(duplicated)}")
        ids = [g.id for g in self.grades]
        if len(set(ids)) != len(ids):
            raise ValueError(f"grade ids listed twice: {', '.join(ids)}")
        cutoffs = [g.min_score for g in self.grades]
        if any(hi <= lo for hi, lo in zip(cutoffs, cutoffs[1:], strict=False)):
            raise ValueError(
                f"grade cut-offs must be strictly descending, highest grade first: {cutoffs}")
        if cutoffs[-1] != 0:
            raise ValueError(
                f"the last grade ({self.grades[-1].id}) must have min_score 0, "
                f"not {cutoffs[-1]:g}, so every client gets a grade")
        return self


DEFAULT = ScorecardParams(
    indicators=(
        Indicator(column="avg_assets_last_year", weight=0.35),
        Indicator(column="mgmt_fee_last_year", weight=0.25),
        Indicator(column="tenure_days", weight=0.10),
        Indicator(column="frequency", weight=0.15),
        Indicator(column="recency_days", weight=0.15, direction="lower_better"),
    ),
    normalisation="min_max",
    grades=(
        Grade(id="A", label="A级客户", min_score=80),
        Grade(id="B", label="B级客户", min_score=60),
        Grade(id="C", label="C级客户", min_score=40),
        Grade(id="D", label="D级客户", min_score=0),
    ),
)
