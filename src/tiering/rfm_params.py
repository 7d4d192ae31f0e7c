"""Parameters of the activity (RFM) analysis (SPEC 2.6).

Typed, frozen models that forbid unknown keys, like the rest of the policy (`params.py`).
Bins are upper bounds, inclusive: a value equal to a bound falls in that bin.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Side = Literal["subscribe", "purchase", "redeem", "dividend"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_bounds(name: str, bounds: tuple[float, ...]) -> None:
    if len(bounds) != 4:
        raise ValueError(f"{name}: needs 4 upper bounds (5 scores), got {len(bounds)}")
    if any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"{name}: upper bounds must be strictly ascending, got {list(bounds)}")


class ScoreMethod(_Frozen):
    """How frequency or monetary is scored 1–5.

    quintile: rank the clients with a trade in the window (ties share the lowest rank) and
    score 1 + floor(5 × (rank − 1) / n). bins: four ascending upper bounds b1..b4; value ≤ b1
    scores 1, ≤ b2 scores 2, ≤ b3 scores 3, ≤ b4 scores 4, above b4 scores 5.
    """

    method: Literal["quintile", "bins"] = "quintile"
    bins: tuple[float, ...]

    @model_validator(mode="after")
    def _bounds(self) -> ScoreMethod:
        _check_bounds("bins", self.bins)
        return self


class SegmentLabels(_Frozen):
    """The eight-segment scheme (high = score ≥ `RfmParams.high_score`), plus no-trade clients.

    Named by R, F, M high (H) or low (L); M decides 重要/一般.
    """

    hhh: str = "重要价值客户"
    hlh: str = "重要发展客户"
    lhh: str = "重要保持客户"
    llh: str = "重要挽留客户"
    hhl: str = "一般价值客户"
    hll: str = "一般发展客户"
    lhl: str = "一般保持客户"
    lll: str = "一般挽留客户"
    none: str = "无交易客户"


class ChurnParams(_Frozen):
    """Churn warnings (SPEC 2.6): clients of `levels` whose R fell since the previous official
    run; with no previous score, those at or below `max_r` or without any counted trade."""

    levels: tuple[str, ...] = ("core", "vip")
    max_r: int = Field(2, ge=1, le=4)


class RfmParams(_Frozen):
    """Recency bins, the trailing window, F and M scoring, counted sides, segment labels."""

    window_days: int = Field(365, gt=0)
    # R upper bounds in days, scored 5, 4, 3, 2; above the last → 1. The seed's table (R≤7,
    # 8≤R≤60, 30≤R≤60, 60≤R≤120, R≥120) overlaps; resolved to ≤7, 8–30, 31–60, 61–120, >120.
    recency_bins: tuple[int, ...] = (7, 30, 60, 120)
    frequency: ScoreMethod = ScoreMethod(bins=(1, 3, 6, 12))
    monetary: ScoreMethod = ScoreMethod(bins=(100_000, 500_000, 1_000_000, 3_000_000))
    # transaction sides that count as activity; redeem and dividend do not by default
    counted_sides: tuple[Side, ...] = ("subscribe", "purchase")
    # a score at or above this is "high" in the eight-segment scheme
    high_score: int = Field(3, ge=2, le=5)
    segments: SegmentLabels = SegmentLabels()
    churn: ChurnParams = ChurnParams()

    @model_validator(mode="after")
    def _checks(self) -> RfmParams:
        _check_bounds("recency_bins", tuple(float(b) for b in self.recency_bins))
        if self.recency_bins[0] < 0:
            raise ValueError("recency_bins: days cannot be negative")
        if not self.counted_sides:
            raise ValueError("counted_sides: at least one side must count")
        return self
