"""Policy parameters: versioned YAML files in `params/`, loaded into typed, frozen models.

Unknown keys and wrong types are errors that name the key. A folder holds one file per policy
version (`policy-*.yaml`); a run uses the version whose `effective_from` is the latest on or
before its as-of date. `--set KEY=VALUE` overrides one value for one run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tiering.calendar import WorkingCalendar, YearArrangement, parse_extra_years
from tiering.fee_params import FeeParams
from tiering.rfm_params import RfmParams
from tiering.scorecard_params import DEFAULT as DEFAULT_SCORECARD
from tiering.scorecard_params import ScorecardParams
from tiering.service_params import (
    ManagerParams,
    ServiceParams,
    SuitabilityParams,
    VisitParams,
)

INDICATORS = ("avg_assets", "avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year",
              "rfm_r", "rfm_f", "rfm_m")
RFM_INDICATORS = ("rfm_r", "rfm_f", "rfm_m")  # the activity scores 1-5 (SPEC 2.6)
CYCLES = ("annual", "quarterly", "monthly", "adhoc")
_BOUND_KEY = re.compile(r"^(min|max)_(?P<indicator>[a-z_]+?)(?P<inclusive>_inclusive)?$")


class ParameterError(Exception):
    """The parameters are unreadable or invalid; the message names the file and the key."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreBand(_Frozen):
    id: str
    label: str
    min_score: float
    max_score: float
    aliases: tuple[str, ...] = ()  # other names a recorded category may use (进取型)


class RiskParams(_Frozen):
    questionnaire: str
    scale: Literal["three_band", "five_level"]
    three_band: tuple[ScoreBand, ...]
    five_level: tuple[ScoreBand, ...]
    lowest_category_max_score: float | None = None
    assessment_valid_years: int = Field(ge=1, le=3)
    require_signed: bool = True
    unassessed_label: str = "未评估"

    @property
    def bands(self) -> tuple[ScoreBand, ...]:
        return self.three_band if self.scale == "three_band" else self.five_level


@dataclass(frozen=True)
class Bound:
    """One indicator's interval in a tier rule."""

    indicator: str
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = False

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{'≥' if self.min_inclusive else '>'} {self.min:,.0f}")
        if self.max is not None:
            parts.append(f"{'≤' if self.max_inclusive else '<'} {self.max:,.0f}")
        return f"{self.indicator} " + " and ".join(parts)


class TierRule(_Frozen):
    """A tier: bounds on indicators (min_<indicator>, max_<indicator>, …_inclusive)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    level: str
    label: str
    match: Literal["any", "all"] = "all"

    @model_validator(mode="after")
    def _known_bound_keys(self) -> TierRule:
        for key, value in (self.model_extra or {}).items():
            found = _BOUND_KEY.match(key)
            if not found or found["indicator"] not in INDICATORS:
                raise ValueError(
                    f"unknown key {key!r} (a tier takes level, label, match and "
                    f"min_/max_<indicator>[_inclusive] for indicators {', '.join(INDICATORS)})"
                )
            if found["inclusive"]:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false, not {value!r}")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number, not {value!r}")
        for bound in self.bounds:
            if bound.min is not None and bound.max is not None and bound.min > bound.max:
                raise ValueError(f"min_{bound.indicator} is above max_{bound.indicator}")
        return self

    @property
    def bounds(self) -> tuple[Bound, ...]:
        extra = self.model_extra or {}
        out = []
        for indicator in INDICATORS:
            lo, hi = extra.get(f"min_{indicator}"), extra.get(f"max_{indicator}")
            if lo is None and hi is None:
                continue
            out.append(Bound(
                indicator,
                None if lo is None else float(lo),
                None if hi is None else float(hi),
                bool(extra.get(f"min_{indicator}_inclusive", True)),
                bool(extra.get(f"max_{indicator}_inclusive", False)),
            ))
        return tuple(out)


class LevelDef(_Frozen):
    id: str
    label: str


class DailyAverageParams(_Frozen):
    denominator: Literal["open_days", "all_days"] = "open_days"


class CycleParams(_Frozen):
    due_working_days: dict[Literal["annual", "quarterly", "monthly"], int]
    new_client_level: str = "ordinary"


class CalendarParams(_Frozen):
    extra_years: str | None = None


class ReportParams(_Frozen):
    mask_csv: bool = False  # mask names, phone and ID numbers in the CSV tables too
    list_cap: int = Field(default=500, ge=10)  # rows shown in an HTML list; the rest in CSV
    # a table longer than this stays out of the Excel workbook (its CSV has it): a sheet of a
    # million rows serves nobody and takes openpyxl many minutes to write
    workbook_max_rows: int = Field(default=100_000, ge=1, le=1_048_575)


class Policy(_Frozen):
    version: str
    effective_from: date
    description: str = ""
    risk: RiskParams
    tiers: dict[str, TierRule]
    levels: tuple[LevelDef, ...]
    daily_average: DailyAverageParams = DailyAverageParams()
    cycle: CycleParams
    calendar: CalendarParams = CalendarParams()
    reports: ReportParams = ReportParams()
    services: ServiceParams
    managers: ManagerParams = ManagerParams()
    suitability: SuitabilityParams
    visits: VisitParams = VisitParams()
    rfm: RfmParams = RfmParams()
    scorecard: ScorecardParams = DEFAULT_SCORECARD
    fees: FeeParams = FeeParams()

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        level_ids = [lv.id for lv in self.levels]
        if len(set(level_ids)) != len(level_ids):
            raise ValueError("levels: duplicate level id")
        for tier_id, rule in self.tiers.items():
            if rule.level not in level_ids:
                raise ValueError(f"tiers.{tier_id}.level: {rule.level!r} is not one of {level_ids}")
        ids = list(self.tiers)
        if not ids or self.tiers[ids[-1]].bounds:
            raise ValueError("tiers: the last tier must have no bounds (it takes everyone else)")
        for tier_id in ids[:-1]:
            if not self.tiers[tier_id].bounds:
                raise ValueError(f"tiers.{tier_id}: only the last tier may have no bounds")
        unknown = [lv for lv in self.rfm.churn.levels if lv not in level_ids]
        if unknown:
            raise ValueError(f"rfm.churn.levels: {unknown[0]!r} is not one of {level_ids}")
        if self.cycle.new_client_level not in level_ids:
            raise ValueError(f"cycle.new_client_level: {self.cycle.new_client_level!r} "
                             f"is not one of {level_ids}")
        return self

    @property
    def level_rank(self) -> dict[str, int]:
        return {lv.id: rank for rank, lv in enumerate(self.levels)}

    @property
    def level_labels(self) -> dict[str, str]:
        return {lv.id: lv.label for lv in self.levels}


class AnswerOption(_Frozen):
    text: str
    points: float


class Question(_Frozen):
    id: str = Field(pattern=r"^q\d{2,}$")
    dimension: str
    text: str
    options: dict[str, AnswerOption]


class Questionnaire(_Frozen):
    version: str
    title: str
    questions: tuple[Question, ...]

    @model_validator(mode="after")
    def _unique(self) -> Questionnaire:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("questions: duplicate question id")
        return self

    @property
    def min_total(self) -> float:
        return sum(min(o.points for o in q.options.values()) for q in self.questions)

    @property
    def max_total(self) -> float:
        return sum(max(o.points for o in q.options.values()) for q in self.questions)

    @property
    def points(self) -> dict[str, dict[str, float]]:
        return {q.id: {k: o.points for k, o in q.options.items()} for q in self.questions}


@dataclass(frozen=True)
class Parameters:
    """Everything a run needs from `params/`, resolved, with where it came from."""

    policy: Policy
    questionnaire: Questionnaire
    calendar: WorkingCalendar
    extra_years: Mapping[int, YearArrangement]
    source: str
    overrides: tuple[str, ...]
    resolved: Mapping[str, Any]

    @property
    def hash(self) -> str:
        text = json.dumps(self.resolved, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def warnings(self) -> list[str]:
        return threshold_findings(self.policy)


def load_parameters(
    path: Path, as_of: date | None = None, sets: Sequence[str] = ()
) -> Parameters:
    """Load a policy file (or pick the version in force at `as_of` from a folder)."""
    policy_file = _pick_version(path, as_of)
    raw = _read_yaml(policy_file)
    for item in sets:
        _apply_set(raw, item)
    policy = _validate(Policy, raw, policy_file)
    q_file = policy_file.parent / policy.risk.questionnaire
    q_raw = _read_yaml(q_file)
    questionnaire = _validate(Questionnaire, q_raw, q_file)
    extra_raw: Mapping = {}
    if policy.calendar.extra_years:
        extra_raw = _read_yaml(policy_file.parent / policy.calendar.extra_years) or {}
    try:
        extra = parse_extra_years(extra_raw)
    except ValueError as err:
        raise ParameterError(f"{policy.calendar.extra_years}: {err}") from None
    problems = band_findings(policy.risk.bands, questionnaire)
    if problems:
        raise ParameterError(
            f"{policy_file.name}: risk.{policy.risk.scale}: " + "; ".join(problems))
    resolved = {
        "policy": policy.model_dump(mode="json"),
        "questionnaire": questionnaire.model_dump(mode="json"),
        "calendar_extra_years": {
            str(y): {"holidays": sorted(map(str, a.holidays)),
                     "workdays": sorted(map(str, a.workdays))}
            for y, a in sorted(extra.items())
        },
    }
    return Parameters(
        policy=policy,
        questionnaire=questionnaire,
        calendar=WorkingCalendar(extra),
        extra_years=extra,
        source=policy_file.name,
        overrides=tuple(sets),
        resolved=resolved,
    )


def policy_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("policy-*.yaml"))


def _pick_version(path: Path, as_of: date | None) -> Path:
    if not path.exists():
        raise ParameterError(f"parameters not found: {path}")
    if path.is_file():
        return path
    versions = []
    for file in policy_files(path):
        raw = _read_yaml(file)
        start = raw.get("effective_from") if isinstance(raw, dict) else None
        if not isinstance(start, date):
            raise ParameterError(f"{file.name}: effective_from: missing or not a date")
        versions.append((start, file))
    if not versions:
        raise ParameterError(f"no policy-*.yaml in {path}")
    starts = [s for s, _ in versions]
    if len(set(starts)) != len(starts):
        raise ParameterError(f"{path}: two policy versions share an effective_from date")
    in_force = [(s, f) for s, f in versions if as_of is None or s <= as_of]
    if not in_force:
        first = min(starts)
        raise ParameterError(f"no policy version in force on {as_of}: the earliest starts {first}")
    return max(in_force)[1]


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise ParameterError(f"parameter file not found: {path.name}") from None
    except yaml.YAMLError as err:
        raise ParameterError(f"{path.name}: not valid YAML: {err}") from None


def _validate(model: type[BaseModel], raw: Any, source: Path) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "(top level)"
            if e["type"] == "extra_forbidden":
                lines.append(f"{where}: unknown key")
            else:
                plain = e["type"] in ("missing", "value_error") or isinstance(e.get("input"), dict)
                shown = "" if plain else f" (got {e.get('input')!r})"
                lines.append(f"{where}: {e['msg'].removeprefix('Value error, ')}{shown}")
        raise ParameterError(f"{source.name}: " + "; ".join(lines)) from None


def _apply_set(raw: dict, item: str) -> None:
    """Apply one `KEY=VALUE`; the key is a dotted path, list items by index or by id."""
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise ParameterError(f"--set {item!r}: expected KEY=VALUE")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    parts = key.split(".")
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                raise ParameterError(f"--set {key}: no item {part!r} at {where}")
            if last:
                node[index] = value
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        else:
            raise ParameterError(f"--set {key}: {'.'.join(parts[:depth])} is not a section")


def _list_index(items: list, part: str) -> int | None:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("id")) == part:
            return i
    return None


def band_findings(bands: Sequence[ScoreBand], questionnaire: Questionnaire) -> list[str]:
    """Gaps and overlaps in the category score bands, against the questionnaire's range."""
    out = []
    ordered = sorted(bands, key=lambda b: b.min_score)
    if ordered[0].min_score > questionnaire.min_total:
        out.append(f"scores from {questionnaire.min_total:g} to {ordered[0].min_score:g} "
                   "fall in no band")
    if ordered[-1].max_score < questionnaire.max_total:
        out.append(f"scores above {ordered[-1].max_score:g} up to "
                   f"{questionnaire.max_total:g} fall in no band")
    for low, high in zip(ordered, ordered[1:], strict=False):
        if high.min_score <= low.max_score:
            out.append(f"{low.id} and {high.id} overlap")
        elif high.min_score > low.max_score + 1:
            out.append(f"scores between {low.max_score:g} and {high.min_score:g} fall in no band")
    return out


def threshold_findings(policy: Policy) -> list[str]:
    """Gaps and overlaps between the tiers' bands on each indicator (SPEC 2.2).

    Bands with a lower bound are laid end to end per indicator; a bound with no lower end is a
    constraint (core B's "fee below 10,000"), not a band, and is left out.
    """
    out = []
    per_indicator: dict[str, list[tuple[str, Bound]]] = {}
    for tier_id, rule in policy.tiers.items():
        for bound in rule.bounds:
            if bound.min is not None:
                per_indicator.setdefault(_family(bound.indicator), []).append((tier_id, bound))
    for indicator, items in per_indicator.items():
        items.sort(key=lambda it: (it[1].min, not it[1].min_inclusive))
        for (lo_id, lo), (hi_id, hi) in zip(items, items[1:], strict=False):
            if lo.max is None or lo.max > hi.min:
                out.append(f"overlap on {indicator}: {lo_id} ({lo.describe()}) and "
                           f"{hi_id} ({hi.describe()}); the higher tier in order wins")
            elif lo.max < hi.min:
                out.append(f"gap on {indicator}: values from {lo.max:,.0f} to {hi.min:,.0f} "
                           f"are in neither {lo_id} nor {hi_id}")
            elif not lo.max_inclusive and not hi.min_inclusive:
                out.append(f"gap on {indicator}: exactly {lo.max:,.0f} is in neither "
                           f"{lo_id} (below it) nor {hi_id} (above it)")
            elif lo.max_inclusive and hi.min_inclusive:
                out.append(f"overlap on {indicator}: exactly {lo.max:,.0f} is in both "
                           f"{lo_id} and {hi_id}; the higher tier in order wins")
    return out


def _family(indicator: str) -> str:
    return "avg_assets" if indicator.startswith("avg_assets") else indicator
