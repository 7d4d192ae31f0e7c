"""Parameters of the service plan (SPEC 2.5): catalogue, entitlements, managers, suitability.

Typed, frozen models that forbid unknown keys, like the rest of the policy (`params.py`).
"""

from __future__ import annotations

from datetime import date as date_type
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RESOURCE_TYPES = ("product", "information", "relationship")
SEVERITIES = ("high", "medium", "low")
CHANNELS = ("phone", "sms", "email")
ALERT_RULES = ("above_tolerance", "unassessed", "expired_assessment", "frequent_high_risk",
               "lowest_category")

# An entitlement: true (granted), false (not granted), or "capacity" (where capacity allows).
Entitlement = bool | Literal["capacity"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(_Frozen):
    id: str
    label: str
    resource_type: Literal["product", "information", "relationship"]
    description: str = ""


class ServiceParams(_Frozen):
    """第十三–十六条 resources and the 附件 对照表 (service × level × category)."""

    catalogue: tuple[Service, ...]
    # service id -> level id -> an entitlement, or category id -> entitlement for that level
    entitlements: dict[str, dict[str, Entitlement | dict[str, Entitlement]]]
    # category id -> the investor-education track (第十九条 1)
    education_tracks: dict[str, str]
    # level id -> fee discount (客户分级定价), a fraction: 0.1 is 10% off
    pricing_discounts: dict[str, float]

    @model_validator(mode="after")
    def _known_services(self) -> ServiceParams:
        ids = [s.id for s in self.catalogue]
        if len(set(ids)) != len(ids):
            raise ValueError("catalogue: duplicate service id")
        unknown = sorted(set(self.entitlements) - set(ids))
        if unknown:
            raise ValueError(f"entitlements: services not in the catalogue: {unknown}")
        for level, discount in self.pricing_discounts.items():
            if not 0 <= discount < 1:
                raise ValueError(f"pricing_discounts.{level}: {discount} is not in [0, 1)")
        return self


class ManagerParams(_Frozen):
    """Dedicated managers (第十七、十八条)."""

    mandatory_levels: tuple[str, ...] = ("core", "vip")  # must have an active account manager
    optional_levels: tuple[str, ...] = ("potential",)  # a sales manager while capacity remains
    # a client's weight in a manager's load (capacity counts weighted clients)
    load_weights: dict[str, float] = Field(default_factory=lambda: {
        "vip": 2.0, "core": 1.0, "potential": 0.5})


class AlertRule(_Frozen):
    severity: Literal["high", "medium", "low"]
    informed_severity: Literal["high", "medium", "low"] | None = None  # signed risk warning
    channel: Literal["phone", "sms", "email"]


class FrequentHighRisk(AlertRule):
    window_days: int = Field(default=90, ge=1)
    min_trades: int = Field(default=3, ge=1)
    high_risk_levels: tuple[str, ...] = ("R4", "R5")
    low_tolerance_categories: tuple[str, ...] = ("conservative", "C1", "C2")


class AlertRules(_Frozen):
    above_tolerance: AlertRule
    unassessed: AlertRule
    expired_assessment: AlertRule
    frequent_high_risk: FrequentHighRisk
    lowest_category: AlertRule


class SuitabilityParams(_Frozen):
    """Product suitability and monitoring (第十九条 2–3)."""

    # R1–R5 -> low / medium / high, for the three-band scale
    product_bands: dict[str, Literal["low", "medium", "high"]]
    # three-band category -> product bands it may hold
    three_band_tolerance: dict[str, tuple[Literal["low", "medium", "high"], ...]]
    # five-level category -> the highest product risk it may hold (Cn may buy R1..Rn)
    five_level_max_risk: dict[str, str]
    lowest_category_max_risk: str = "R1"
    professional_unrestricted: bool = True
    rules: AlertRules


class DatedItem(_Frozen):
    name: str
    date: date_type


class ClientEvent(DatedItem):
    levels: tuple[str, ...] = ("vip",)


class CareParams(_Frozen):
    """Relationship care for VIP clients (第十六条: 生日祝福、节日问候、交流聚会)."""

    levels: tuple[str, ...] = ("vip",)
    birthday: bool = True  # on the birthday, or the last working day before it
    # festivals the calendar library knows: greeting on the last working day before the day off
    festivals: tuple[Literal["spring_festival", "mid_autumn"], ...] = (
        "spring_festival", "mid_autumn")
    extra_festivals: tuple[DatedItem, ...] = ()
    events: tuple[ClientEvent, ...] = ()


class VisitParams(_Frozen):
    """Visit obligations and scheduling (第十八条: core ≥ 1, VIP ≥ 2 in-person visits a year)."""

    per_year: dict[str, int] = Field(default_factory=lambda: {"vip": 2, "core": 1})
    optional_levels: tuple[str, ...] = ("potential",)  # one visit while capacity remains
    min_gap_days: int = Field(default=60, ge=0)  # between two visits of one client
    max_per_day: int = Field(default=3, ge=1)  # when the managers table gives none
    max_per_week: int = Field(default=10, ge=1)
    care: CareParams = CareParams()
