"""Parameters of the fee-sharing derivation (SPEC 2.7, issue 8).

Typed, frozen models that forbid unknown keys, like the rest of the policy (`params.py`).
Defaults are the issue's: the tier rules read the ledger (`fee_source: ledger`), management fee
accrues at the annual rate / 365, products without a management rate accrue nothing, the
performance fee is 20% of the gain above the high-water mark, non-redemption charges are at
least 6 months apart, no hurdle, no fixed charge dates.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FeeSource = Literal["ledger", "derived", "max"]
DayCount = Literal[365, 360, "actual"]
ALL_PRODUCTS = "*"
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeeParams(_Frozen):
    """How fees are derived from holdings and NAVs, and which figure the tier rules use.

    - fee_source: the management fee the tier rules read — the fee ledger (`fees` table), the
      derivation, or the larger of the two per client.
    - day_count: the daily accrual divides the annual rate by 365, by 360, or ("actual") by the
      number of days of the accrual day's year (366 in a leap year).
    - default_management_rate: the annual rate of a product that gives none; None means such a
      product accrues nothing.
    - default_performance_rate: the performance-fee rate of a product that gives none.
    - min_charge_interval_months: a dividend or fixed-date charge of a lot happens only this
      many calendar months or more after the lot's previous charge or its opening; redemptions
      (and liquidation, recorded as redemptions) always charge.
    - hurdle_rate: annual, simple; a lot's hurdle NAV is mark × (1 + hurdle_rate × days since
      the mark was set / 365) and the fee is taken only above max(mark, hurdle NAV).
    - charge_dates: product_id, or "*" for every product without its own entry, mapped to fixed
      charge days "MM-DD" charged every year (29 February is refused: not every year has it).
    """

    fee_source: FeeSource = "ledger"
    day_count: DayCount = 365
    default_management_rate: float | None = Field(None, ge=0, le=1)
    default_performance_rate: float = Field(0.20, ge=0, le=1)
    min_charge_interval_months: int = Field(6, ge=0, le=120)
    hurdle_rate: float = Field(0.0, ge=0, le=1)
    charge_dates: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("day_count", mode="before")
    @classmethod
    def _day_count(cls, value: object) -> object:
        """Accept 365 / 360 written as text (a YAML string or `--set day_count=360`)."""
        if isinstance(value, str) and value.strip() in ("365", "360"):
            return int(value.strip())
        if isinstance(value, float) and value in (365.0, 360.0):
            return int(value)
        if value not in (365, 360, "actual") or isinstance(value, bool):
            raise ValueError(f"day_count: must be 365, 360 or 'actual', got {value!r}")
        return value

    @field_validator("charge_dates")
    @classmethod
    def _charge_dates(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for product, days in value.items():
            key = f"charge_dates.{product}"
            if not product.strip():
                raise ValueError("charge_dates: a product id cannot be empty (use '*' for all)")
            for text in days:
                _check_month_day(key, text)
            repeated = sorted({d for d in days if days.count(d) > 1})
            if repeated:
                raise ValueError(f"{key}: {', '.join(repeated)} listed twice")
            out[product] = tuple(sorted(days))
        return out

    def charge_days_of(self, product_id: str) -> tuple[str, ...]:
        """The fixed charge days of a product: its own entry, else "*", else none."""
        return self.charge_dates.get(product_id, self.charge_dates.get(ALL_PRODUCTS, ()))


def _check_month_day(key: str, text: str) -> None:
    match = _MONTH_DAY.match(text)
    if not match:
        raise ValueError(f"{key}: {text!r} is not a day written MM-DD")
    month, day = int(match.group(1)), int(match.group(2))
    if (month, day) == (2, 29):
        raise ValueError(f"{key}: 02-29 is not in every year; use 02-28 or 03-01")
    try:
        date(2023, month, day)
    except ValueError:
        raise ValueError(f"{key}: {text!r} is not a day of the year") from None
