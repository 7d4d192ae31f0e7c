"""The tables of the visit and care report, ready to show (SPEC 2.5; 第十六、十八条).

Like `report_tables` and `service_report` (whose helpers and run loader it reuses): every
function takes the tables of one run and returns a new DataFrame, labelled in Chinese, with its
title in ``frame.attrs["title"]``; only `load_visit_run` reads files. Levels run high to low.

The run folder holds the schedule of the coming quarter (the calendar quarter after the as-of
date, `visits.quarter_after`), written by `visits.schedule`: ``visit_schedule.csv`` (a row per
in-person visit, birthday or festival greeting and client event, on working days),
``visit_shortfalls.csv`` (what could not be scheduled: visits, and the greetings and events of
clients without a manager, told apart by their reason), ``visit_obligations.csv`` (each
client's yearly quota, visits done in the plan year and what is due this quarter) and one
``calendars/<manager_id>.ics`` per manager.

Client names come raw in a column called ``name``, present only when the input folder was
given (masking is the display layer's job). Managers' names are staff names, in a column of
their own (经理姓名) that masking leaves alone.

A run folder without the visit files (written before visits were planned) still loads: each
missing table is empty, the lists say 无 (none), and `headline` names the missing files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from tiering.report_tables import (
    LEVEL_COLUMNS,
    NONE,
    TOTAL,
    RunTables,
    _as_of,
    _distinct,
    _first,
    _levels,
    _listed,
    _lookup,
    _numbers,
    _once,
    _people,
    _policy,
    _read_csv,
    _tag,
    _text_rank,
    _titled,
    load_run,
)
from tiering.service_params import VisitParams
from tiering.visits import OBLIGATION_COLUMNS, SCHEDULE_COLUMNS, SHORTFALL_COLUMNS, quarter_after

FILES = {"visit_schedule": ("visit_schedule.csv", SCHEDULE_COLUMNS),
         "visit_shortfalls": ("visit_shortfalls.csv", SHORTFALL_COLUMNS),
         "visit_obligations": ("visit_obligations.csv", OBLIGATION_COLUMNS)}
CALENDARS = "calendars"
_COUNTS = {"visit_shortfalls": ("missing",),
           "visit_obligations": ("per_year", "done", "remaining", "due_this_quarter")}

VISIT = "visit"
GREETINGS = ("birthday_greeting", "festival_greeting")
EVENT = "event"
CARE_SHORT = "care not scheduled"  # in the reason of a shortfall of greetings and events
BIRTH_DATE = r"(?<!\d)\d{4}-(?P<md>\d{2}-\d{2})(?!\d)"  # in a birthday's reason: 生日 1971-10-17
SHORT_KINDS = {False: "拜访 (visit)", True: "关怀 (care)"}
KINDS = {VISIT: "当面拜访", "birthday_greeting": "生日祝福", "festival_greeting": "节日问候",
         EVENT: "客户活动"}
LABELS = {
    "date": "日期", "kind": "类型", "client_id": "客户编号", "level": "客户级别",
    "manager_id": "经理编号", "manager_name": "经理姓名", "reason": "事由",
    "per_year": "年度要求", "done": "已拜访", "remaining": "尚需", "due": "本季应拜访",
    "scheduled": "本季已排", "missing": "未能安排", "last_visit": "上次拜访", "clients": "客户数",
    "rate": "季末完成率 (%)", "visits": "拜访", "greetings": "问候", "events": "活动",
    "covered": "覆盖客户", "busiest": "单日最多拜访", "busiest_day": "最忙日期",
    "calendar": "日历文件", "cause": "原因", "asks": "要求", "short_kind": "类型",
}
WEEK = "周（周一）(week of)"
MANAGER = "客户经理 (manager)"
LEVEL = "客户级别 (level)"


@dataclass(frozen=True)
class VisitRun(RunTables):
    """A run folder's tables (`report_tables.RunTables`) and its visit-schedule files.

    Dates stay text (YYYY-MM-DD); counts are integers. `manager_load` is read for the
    managers' names only (empty without the file). `calendars` names the ``.ics`` files of
    the ``calendars/`` folder; `missing` names the visit files the folder lacks."""

    visit_schedule: pd.DataFrame | None = None
    visit_shortfalls: pd.DataFrame | None = None
    visit_obligations: pd.DataFrame | None = None
    manager_load: pd.DataFrame | None = None
    calendars: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def load_visit_run(run_dir: Path | str, data_dir: Path | str | None = None) -> VisitRun:
    """Read a run folder as `report_tables.load_run` does, plus the visit files."""
    base = load_run(run_dir, data_dir, columns=LEVEL_COLUMNS)
    run_dir = Path(run_dir)
    tables: dict[str, pd.DataFrame] = {}
    missing = []
    for key, (name, cols) in FILES.items():
        frame = _read_csv(run_dir / name, optional=True)
        if frame is None:
            missing.append(name)
            frame = _empty(cols)
        for col in _COUNTS.get(key, ()):
            frame[col] = _numbers(frame[col]).fillna(0).astype("int64")
        tables[key] = frame
    load = _read_csv(run_dir / "manager_load.csv", optional=True)
    if load is None or "name" not in load:
        load = _empty(["manager_id", "name"])
    folder = run_dir / CALENDARS
    calendars = tuple(sorted(p.name for p in folder.glob("*.ics"))) if folder.is_dir() else ()
    if not folder.is_dir() and not tables["visit_schedule"].empty:
        missing.append(f"{CALENDARS}/")
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    return VisitRun(**fields, **tables, manager_load=load[["manager_id", "name"]],
                    calendars=calendars, missing=tuple(missing))


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# --------------------------------------------------------------------------- helpers


def quarter(run: RunTables) -> tuple[date, date]:
    """The first and last day of the quarter the run schedules (`visits.quarter_after`)."""
    return quarter_after(_as_of(run))


def _visit_params(run: RunTables) -> VisitParams:
    raw = _policy(run).get("visits")
    return VisitParams() if raw is None else VisitParams.model_validate(raw)


def _is_care(short: pd.DataFrame) -> pd.Series:
    """Shortfall rows of greetings and events (not of visits): the ``kind`` column when the
    file has one, else the reason `visits.schedule` gives them."""
    if "kind" in short:
        return short["kind"].fillna(VISIT) != VISIT
    return short["reason"].fillna("").str.contains(CARE_SHORT, regex=False)


def _visit_short(run: VisitRun) -> pd.DataFrame:
    short = run.visit_shortfalls
    return short[~_is_care(short)]


def _level_order(run: VisitRun, *frames: pd.DataFrame) -> list[str]:
    """The levels of `frames`, high to low as the policy has them, levels it lacks last."""
    seen: set[str] = set()
    for frame in frames:
        seen |= _distinct(frame, "level")
    known = [lid for lid, _ in _levels(run)]
    return [lid for lid in known if lid in seen] + sorted(seen - set(known))


def _level_names(run: VisitRun) -> dict[str, str]:
    return dict(_levels(run))


def _level_rank(run: VisitRun, frame: pd.DataFrame) -> np.ndarray:
    """The place of each row's level: high to low (levels the policy lacks last), NaN none."""
    order = {lid: i for i, lid in enumerate(_level_order(run, frame))}
    return _lookup(frame["level"], order)


def _with_names(run: VisitRun, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the clients' names in ``name`` (only when the input folder was given)."""
    people = _people(run, frame)
    if people is None:
        return frame
    return frame.merge(people[["client_id", "name"]], on="client_id", how="left")


def _visits(run: VisitRun) -> pd.DataFrame:
    s = run.visit_schedule
    return s[s["kind"] == VISIT]


def _counts(series: pd.Series, index: list[str]) -> np.ndarray:
    """`series` (counts by key) at the keys of `index`, 0 where it has none."""
    return series.reindex(index).fillna(0).astype("int64").to_numpy()


def _monday(text: pd.Series) -> pd.Series:
    days = pd.to_datetime(text, format="%Y-%m-%d")
    return (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")


# --------------------------------------------------------------------------- headline


def schedule_title(run: VisitRun) -> str:
    """The planning period in words, e.g. "拜访计划期：2026年第四季度（2026-10-01 至
    2026-12-31），基准日 2026-09-30"."""
    start, end = quarter(run)
    number = "一二三四"[(start.month - 1) // 3]
    return (f"拜访计划期：{start.year}年第{number}季度（{start.isoformat()} 至 "
            f"{end.isoformat()}），基准日 {_as_of(run).isoformat()}")


def headline(run: VisitRun) -> dict[str, str]:
    """The figures of the first screen, as text."""
    s, short = run.visit_schedule, run.visit_shortfalls
    care = _is_care(short)
    start, end = quarter(run)
    return {
        "计划期 (quarter)": f"{start.isoformat()} 至 {end.isoformat()}",
        "已排拜访 (visits)": f"{int((s['kind'] == VISIT).sum()):,}",
        "生日与节日问候 (greetings)": f"{int(s['kind'].isin(GREETINGS).sum()):,}",
        "客户活动 (events)": f"{int((s['kind'] == EVENT).sum()):,}",
        "覆盖客户 (clients covered)": f"{s['client_id'].nunique():,}",
        "未能安排的拜访 (visits short)": f"{int(short.loc[~care, 'missing'].sum()):,}",
        "未能安排的问候与活动 (care short)": f"{int(short.loc[care, 'missing'].sum()):,}",
        "缺口客户 (clients short)": f"{short['client_id'].nunique():,}",
        "有日程的经理 (managers)": f"{s['manager_id'].nunique():,}",
        "缺少的表 (missing files)": "、".join(run.missing) or NONE,
    }


# --------------------------------------------------------------------------- load


def week_load(run: VisitRun, *, top: int | None = 20, totals: bool = True) -> pd.DataFrame:
    """Manager (rows, by id) × week (columns: the Monday of every week of the quarter):
    in-person visits scheduled. Every manager with a schedule of any kind is a row; with
    `top`, only the `top` with the most visits (ties by id), and the title says so."""
    s = run.visit_schedule
    start, end = quarter(run)
    first = start - timedelta(days=start.weekday())
    visits = _visits(run)
    week = _monday(visits["date"])
    weeks = sorted({(first + timedelta(weeks=i)).isoformat()
                    for i in range((end - first).days // 7 + 1)} | set(week.unique()))
    counts = visits.groupby([visits["manager_id"], week]).size()
    managers = sorted(_distinct(s, "manager_id"))
    per_manager = counts.groupby(level=0).sum().reindex(managers, fill_value=0)
    ranked = sorted(managers, key=lambda m: (-int(per_manager[m]), m))
    shown = sorted(ranked[:top] if top is not None else ranked)
    table = counts.unstack(fill_value=0) if len(counts) else pd.DataFrame()
    table = table.reindex(index=shown, columns=weeks, fill_value=0).fillna(0).astype("int64")
    table.index.name, table.columns.name = MANAGER, WEEK
    title = "每周当面拜访：客户经理 × 周 (visits per manager and week)"
    if len(shown) < len(managers):
        title += f"（拜访最多的 {len(shown)} 位经理，共 {len(managers)} 位）"
    if totals:
        table = table.copy()
        table[TOTAL] = table.sum(axis=1)
        table.loc[TOTAL] = table.sum(axis=0)
    return _titled(table, title)


# --------------------------------------------------------------------------- the quota


def quota_by_level(run: VisitRun, *, totals: bool = True) -> pd.DataFrame:
    """Per level (high to low): what the policy asks (要求: at least n a year, or one visit
    where capacity allows for an optional level), clients with a quota, the quota (visits a
    year, summed), visits done in the plan year up to the as-of date, remaining, due this
    quarter, visits scheduled this quarter, visits that could not be scheduled (greetings and
    events left out), and the share of the quota met after this quarter.

    That share counts each client's done and scheduled visits up to their own quota (visiting
    one client more does not make up for another): Σ min(done + scheduled, per_year) ÷
    Σ per_year, in %, empty where the quota is 0. Scheduled visits of clients the obligations
    file lacks are counted under their level."""
    levels, table = _quota_counts(run)
    table = table.copy()
    if totals:
        table.loc[TOTAL] = table.sum(axis=0)
    quota = table[LABELS["per_year"]].where(table[LABELS["per_year"]] > 0)
    table[LABELS["rate"]] = (table.pop("_met") / quota * 100).round(1)
    table.insert(0, LABELS["asks"], [_asks(run, lid) for lid in levels]
                 + ([""] if totals else []))
    names = _level_names(run)
    table = table.rename(index={lid: _tag(names.get(lid, lid), lid) for lid in levels})
    table.index.name = LEVEL
    year = quarter(run)[0].year
    return _titled(table, f"{year} 年度拜访要求完成情况（已拜访截至 {_as_of(run).isoformat()}）"
                          "(visits against the yearly quota)")


def _quota_counts(run: VisitRun) -> tuple[list[str], pd.DataFrame]:
    """The levels and the per-level counts of `quota_by_level` (with ``_met``, the quota met),
    computed once per run."""
    def compute() -> tuple[list[str], pd.DataFrame]:
        ob, short = run.visit_obligations, _visit_short(run)
        visits = _visits(run)
        per_client = visits.groupby("client_id").size()
        booked = ob["client_id"].map(per_client).fillna(0).astype("int64")
        met = (ob["done"] + booked).clip(upper=ob["per_year"])
        ob = ob.assign(_met=met)
        levels = _level_order(run, ob, visits, short)
        grouped = ob.groupby("level")
        table = pd.DataFrame({
            LABELS["clients"]: grouped.size(),
            LABELS["per_year"]: grouped["per_year"].sum(),
            LABELS["done"]: grouped["done"].sum(),
            LABELS["remaining"]: grouped["remaining"].sum(),
            LABELS["due"]: grouped["due_this_quarter"].sum(),
            LABELS["scheduled"]: visits.groupby("level").size(),
            LABELS["missing"]: short.groupby("level")["missing"].sum(),
            "_met": grouped["_met"].sum(),
        }).reindex(levels).fillna(0).astype("int64")
        return levels, table
    return _once(run, "quota", compute)


def _asks(run: VisitRun, level: str) -> str:
    params = _visit_params(run)
    if level in params.per_year:
        return f"每年不少于 {params.per_year[level]} 次"
    if level in params.optional_levels:
        return "视容量 1 次 (where capacity allows)"
    return NONE


def quota_met(run: VisitRun) -> pd.Series:
    """The share of the yearly quota met after this quarter, per level with a quota (for a bar
    chart)."""
    rate = quota_by_level(run, totals=False)[LABELS["rate"]].dropna()
    rate.attrs["title"] = ("季末拜访要求完成率（已拜访 + 本季已排）"
                           "(% of quota met after this quarter)")
    return rate


# --------------------------------------------------------------------------- lists


def shortfalls(run: VisitRun, *, cap: int | None = None) -> pd.DataFrame:
    """What could not be scheduled: visits first, then greetings and events (类型 关怀, which
    `visits.schedule` reports for clients without a manager); each by level high to low, most
    missing first, then client_id; with the client's quota, visits done and last visit. With
    `cap`, the first `cap` rows only and their number in ``attrs["total_rows"]``."""
    short = run.visit_shortfalls
    care = _is_care(short).to_numpy(dtype=bool)
    levels = _level_rank(run, short)
    width = len(_level_order(run, short)) + 1  # care after visits; then level, none last
    rank = care * width + np.where(np.isnan(levels), width - 1, levels)
    rows = _first(short.assign(_care=care), rank, ["missing", "client_id"], cap=cap,
                  ascending=[False, True])
    ob = run.visit_obligations[["client_id", "per_year", "done", "last_visit"]]
    ob = ob[ob["client_id"].isin(rows["client_id"].dropna().unique()).to_numpy()]
    rows = rows.merge(ob.drop_duplicates("client_id"), on="client_id", how="left")
    rows = _with_names(run, rows)
    names = _level_names(run)
    out = pd.DataFrame({
        LABELS["client_id"]: rows["client_id"],
        **({"name": rows["name"]} if "name" in rows else {}),
        LABELS["level"]: rows["level"].map(lambda v: names.get(v, v)),
        LABELS["short_kind"]: rows["_care"].map(SHORT_KINDS),
        LABELS["manager_id"]: rows["manager_id"].fillna(NONE),
        LABELS["per_year"]: rows["per_year"].astype("Int64"),
        LABELS["done"]: rows["done"].astype("Int64"),
        LABELS["missing"]: rows["missing"].astype("int64"),
        LABELS["last_visit"]: rows["last_visit"].fillna(NONE),
        LABELS["cause"]: rows["reason"].fillna(""),
    })
    return _listed(out.reset_index(drop=True), "未能安排的拜访与关怀 (shortfalls)", len(short),
                   cap)


def greetings(run: VisitRun, *, events: bool = False, cap: int | None = None) -> pd.DataFrame:
    """The birthday and festival greetings of the quarter (and the client events, with
    `events`), by date, kind, manager and client. A birthday's reason keeps the month and
    day only: the year of birth is personal data the greeting does not need. With `cap`, the
    first `cap` rows only and their number in ``attrs["total_rows"]``."""
    kinds = [*GREETINGS, EVENT] if events else list(GREETINGS)
    s = run.visit_schedule
    rank = {k: i for i, k in enumerate(kinds)}
    rows = s[s["kind"].isin(kinds).to_numpy()]
    rows = rows.assign(_k=_lookup(rows["kind"], rank))
    total = len(rows)
    rows = _first(rows, _text_rank(rows["date"]), ["_k", "manager_id", "client_id"], cap=cap)
    rows = _with_names(run, rows)
    names = _level_names(run)
    out = pd.DataFrame({
        LABELS["date"]: rows["date"],
        LABELS["kind"]: rows["kind"].map(KINDS),
        LABELS["client_id"]: rows["client_id"].fillna(NONE),
        **({"name": rows["name"]} if "name" in rows else {}),
        LABELS["level"]: rows["level"].map(lambda v: names.get(v, v)),
        LABELS["manager_id"]: rows["manager_id"],
        LABELS["reason"]: _without_birth_year(rows),
    })
    title = ("生日祝福、节日问候与客户活动 (greetings and events)" if events
             else "生日祝福与节日问候 (birthday and festival greetings)")
    return _listed(out, title, total, cap)


def _without_birth_year(rows: pd.DataFrame) -> pd.Series:
    reason = rows["reason"].fillna("").astype(object)
    birthday = rows["kind"] == "birthday_greeting"
    return reason.mask(birthday, reason.str.replace(BIRTH_DATE, r"\g<md>", regex=True))


def manager_summary(run: VisitRun) -> pd.DataFrame:
    """Per manager with a schedule or a shortfall (by id): visits, greetings and events
    scheduled, clients covered, the most visits on one day and that day (the first, on a tie),
    visits that could not be scheduled, and the manager's calendar file (relative to the run
    folder; — when the folder lacks it)."""
    s, short = run.visit_schedule, _visit_short(run)
    managers = sorted(_distinct(s, "manager_id") | _distinct(short, "manager_id"))
    visits = _visits(run)
    per_day = visits.groupby(["manager_id", "date"]).size().reset_index(name="n")
    busiest = (per_day.sort_values(["manager_id", "n", "date"], ascending=[True, False, True],
                                   kind="mergesort")
               .drop_duplicates("manager_id").set_index("manager_id"))
    staff = run.manager_load.drop_duplicates("manager_id").set_index("manager_id")["name"]
    kinds = pd.crosstab(s["manager_id"], s["kind"]).reindex(
        index=managers, columns=list(KINDS), fill_value=0).astype("int64")
    calendars = set(run.calendars)
    out = pd.DataFrame({
        LABELS["manager_id"]: managers,
        LABELS["manager_name"]: staff.reindex(managers).fillna(NONE).to_numpy(),
        LABELS["visits"]: kinds[VISIT].to_numpy(),
        LABELS["greetings"]: kinds[list(GREETINGS)].sum(axis=1).to_numpy(),
        LABELS["events"]: kinds[EVENT].to_numpy(),
        LABELS["covered"]: _counts(s.groupby("manager_id")["client_id"].nunique(), managers),
        LABELS["busiest"]: _counts(busiest["n"], managers),
        LABELS["busiest_day"]: busiest["date"].reindex(managers).fillna(NONE).to_numpy(),
        LABELS["missing"]: _counts(short.groupby("manager_id")["missing"].sum(), managers),
        LABELS["calendar"]: [f"{CALENDARS}/{m}.ics" if f"{m}.ics" in calendars else NONE
                             for m in managers],
    })
    return _titled(out, "客户经理日程与日历文件 (schedule per manager)")
