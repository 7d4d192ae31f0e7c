"""Visits and care (SPEC 2.5, 第十六、十八条): whom each manager sees, and when, next quarter.

A core module: frames and an explicit ``as_of`` in, new frames out; the working-day calendar is
passed in. It reads no files and calls no clock.

The quarter
  `quarter_after(as_of)` is the first calendar quarter that starts after ``as_of``: as of a
  quarter end (the normal case) the next quarter; as of 31 December, Q1 of the next year. Its
  year is the *plan year*.

Obligations (`obligations`)
  ``per_year[level]`` in-person visits a year (default VIP 2, core 1); a level of
  ``optional_levels`` (default potential) that has no quota of its own gets one visit "while
  capacity remains". ``done`` counts the logged ``in_person`` visits dated in the plan year up to
  ``as_of`` (phone, online and event contacts never count; rows after ``as_of`` are left out);
  ``remaining = max(per_year - done, 0)``. ``last_visit`` is the client's last in-person visit
  up to ``as_of`` in any year: the gap is kept across the new year too.
  How much falls in this quarter, with ``q`` quarters left in the plan year (this one included)
  and ``k`` remaining::

      due_this_quarter = min(k, max(ceil(k / q), k - fit_after))

  ``ceil(k / q)`` spreads the rest evenly, rounding up so that the year never ends behind;
  ``fit_after`` is how many visits fit between the next quarter's first day and 31 December at
  ``min_gap_days`` apart (``days // gap + 1``; none in Q4; unbounded with no gap), so whatever
  cannot wait is due now. With the defaults, a VIP with nothing done yet owes 1 in Q1, Q2 or
  Q3 and 2 in Q4; a core or potential client with nothing done owes its 1 in whichever quarter
  comes next (``ceil(1 / q) = 1``): a single visit is never put off.

Scheduling (`schedule`)
  Only the quarter's working days (`WorkingCalendar`: the official arrangement, make-up weekend
  days included). The visiting manager is the client's ``manager_id`` in the assignments
  (`tiering.managers.assign_managers`). Per manager: at most ``max_visits_per_day`` visits a day
  (the managers table, or ``max_per_day`` when missing) and ``max_per_week`` per ISO week,
  counting the in-person visits that manager already logged in an ISO week the quarter shares
  (a week straddling the quarter start). A client's visits are ``min_gap_days`` apart (at least
  a day), counting from the last logged visit, and the last one this quarter leaves room for
  the rest of the year at that gap (``31 Dec - (k - due) * gap``).
  Order: the mandatory levels (the larger quota first, then level id), then the optional levels,
  each by client_id; a client's visits in date order. Optional clients never take capacity a
  mandatory client needed. Each visit goes to the least-loaded eligible day of its manager, ties
  to the earlier date (a heap of (load, day) per manager: O(log days) per visit; days outside a
  visit's window are set aside and put back), in the window that keeps the client's later
  visits possible — the load spreads across the quarter.
  Deterministic: the same frames give the same schedule whatever their row order.

Care (VIP by default, ``care.levels``) — greetings and events
  Birthday greeting on the birthday, or the last working day before it (29 February is the
  28th in a common year); festival greeting on the last working day before Spring Festival
  (the start of the break: Chinese New Year's Eve when the `holidays` library lists it, else
  the first day of Spring Festival) and before the Mid-Autumn Festival; ``extra_festivals`` on
  their date, or the last working day before it; ``events`` (for their own ``levels``) on their
  date, or the last working day before it when it is not a working day (the manager's contact
  for the event; the reason keeps its date). A greeting belongs to the quarter its *own date*
  falls in, so a greeting for a birthday on 2 January that moves to 31 December is in Q4, and
  none falls between two quarters. Greetings and events are not in-person visits: they take no
  visit capacity (a message or call, or an event held for many clients) and are not counted
  against the quota; they are on working days only.

Shortfalls — nothing is dropped
  Whatever cannot be scheduled is a shortfall row (client_id, manager_id, level, missing,
  reason); ``missing`` counts visits, or for a care row the greetings and events. Reasons begin
  with one of: ``no manager`` (no assignment with a manager; the assignment's reason follows),
  ``not enough working days left for the N-day gap`` (the gap leaves too few working days: the
  visits that fit are still scheduled), ``no capacity`` (every eligible day or week of the
  manager is full; for an optional level ``no capacity (optional level, while capacity
  remains)``). A client whose visit fails for capacity misses the rest of this quarter's too.
  For every client, scheduled visits + missing visits = ``due_this_quarter``.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import holidays
import numpy as np
import pandas as pd

from tiering.calendar import WorkingCalendar
from tiering.service_params import VisitParams

SCHEDULE_COLUMNS = ["date", "manager_id", "client_id", "kind", "level", "reason"]
SHORTFALL_COLUMNS = ["client_id", "manager_id", "level", "missing", "reason"]
OBLIGATION_COLUMNS = [
    "client_id", "level", "per_year", "done", "remaining", "due_this_quarter", "last_visit"
]
KINDS = ("visit", "birthday_greeting", "festival_greeting", "event")
VISIT_TYPES = ("in_person", "phone", "online", "event")
IN_PERSON = "in_person"

LEVEL_WORDS = {"vip": "VIP", "core": "核心", "potential": "潜力", "ordinary": "普通"}
# festival id -> (Chinese name, the holiday names marking the start of its break, in preference)
FESTIVALS = {
    "spring_festival": ("春节", ("Chinese New Year's Eve", "Chinese New Year (Spring Festival)")),
    "mid_autumn": ("中秋节", ("Mid-Autumn Festival",)),
}

_EPOCH = date(1970, 1, 1).toordinal()
_LOOKBACK = 40  # days searched for the last working day before a date (longest break: 9)


# --- the quarter and the obligations --------------------------------------------------------


def quarter_after(as_of: date) -> tuple[date, date]:
    """The first calendar quarter that starts after `as_of`: (first day, last day)."""
    as_of = _as_date(as_of)
    quarter = (as_of.month - 1) // 3  # 0..3
    start = date(as_of.year + 1, 1, 1) if quarter == 3 else date(as_of.year, 3 * quarter + 4, 1)
    return start, _quarter_end(start)


def obligations(
    classification: pd.DataFrame,
    visits: pd.DataFrame | None,
    *,
    as_of: date,
    params: VisitParams,
) -> pd.DataFrame:
    """One row per client of a level with a visit quota (or an optional level), by client_id.

    Columns: client_id, level, per_year, done, remaining, due_this_quarter, last_visit (NaT when
    none); see the module docstring for the rule.
    """
    as_of = _as_date(as_of)
    start, _ = quarter_after(as_of)
    quota = _quota(params)
    scope = classification.loc[classification["level"].isin(list(quota)), ["client_id", "level"]]
    scope = scope.astype({"client_id": "str", "level": "str"})
    scope = scope.sort_values("client_id", kind="stable").reset_index(drop=True)

    logged = _in_person(visits, as_of)
    in_year = logged.loc[logged["visit_date"].dt.year == start.year]
    done = in_year.groupby("client_id").size()
    last = logged.groupby("client_id")["visit_date"].max()

    per_year = scope["level"].map(quota).astype("int64")
    done_n = pd.Series(done.reindex(scope["client_id"], fill_value=0).to_numpy(),
                       index=scope.index, dtype="int64")
    remaining = (per_year - done_n).clip(lower=0)
    left = 4 - (start.month - 1) // 3  # quarters left in the plan year, this one included
    fit_after = _fit_after(start, params.min_gap_days)
    spread = -(-remaining // left)
    due = np.minimum(remaining, np.maximum(spread, remaining - fit_after))

    out = scope.assign(
        per_year=per_year,
        done=done_n,
        remaining=remaining.astype("int64"),
        due_this_quarter=due.astype("int64"),
        last_visit=pd.Series(last.reindex(scope["client_id"]).to_numpy(), index=scope.index,
                             dtype="datetime64[ns]"),
    )
    return out[OBLIGATION_COLUMNS]


# --- scheduling -----------------------------------------------------------------------------


def schedule(
    classification: pd.DataFrame,
    clients: pd.DataFrame,
    assignments: pd.DataFrame,
    managers: pd.DataFrame | None,
    visits: pd.DataFrame | None,
    *,
    as_of: date,
    params: VisitParams,
    calendar: WorkingCalendar,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Next quarter's visits, greetings and events, and what could not be scheduled.

    Returns (schedule, shortfalls): SCHEDULE_COLUMNS sorted by date, manager_id, client_id,
    kind; SHORTFALL_COLUMNS sorted by client_id, reason.
    """
    as_of = _as_date(as_of)
    start, end = quarter_after(as_of)
    days = [d.toordinal() for d in calendar.working_days(start, end)]
    owed = obligations(classification, visits, as_of=as_of, params=params)
    manager_of, why = _managers_of(assignments)

    planner = _Planner(days, params, _daily_limits(managers, params.max_per_day))
    planner.preload(_in_person(visits, as_of))
    rows: list[tuple] = []
    short: list[tuple] = []
    _plan_visits(owed, manager_of, why, params, planner, start, end, rows, short)
    _plan_care(classification, clients, manager_of, why, params, calendar, start, end, rows,
               short)
    return _schedule_frame(rows), _shortfall_frame(short)


class _Planner:
    """Per-manager day loads over the quarter's working days (ordinals, ascending)."""

    def __init__(self, days: list[int], params: VisitParams, daily: dict[str, int]):
        self.days = days
        self.weekly = params.max_per_week
        self.default_daily = params.max_per_day
        self.daily = daily
        weeks = [date.fromordinal(d).isocalendar()[:2] for d in days]
        keys = list(dict.fromkeys(weeks))
        self.week_index = {k: i for i, k in enumerate(keys)}
        self.week_of = [self.week_index[w] for w in weeks]
        self.n_weeks = len(keys)
        self._state: dict[str, tuple[list, list[int], list[int]]] = {}
        self._preloaded: dict[str, list[int]] = {}

    def preload(self, logged: pd.DataFrame) -> None:
        """Count logged in-person visits in ISO weeks the quarter shares against the week cap."""
        if logged.empty or not self.days:
            return
        known = logged.loc[logged["manager_id"].notna()]
        iso = known["visit_date"].dt.isocalendar()
        for m, y, w in zip(known["manager_id"], iso["year"], iso["week"], strict=True):
            k = self.week_index.get((int(y), int(w)))
            if k is not None:
                self._preloaded.setdefault(str(m), [0] * self.n_weeks)[k] += 1

    def limit(self, manager: str) -> int:
        return self.daily.get(manager, self.default_daily)

    def _of(self, manager: str) -> tuple[list, list[int], list[int]]:
        state = self._state.get(manager)
        if state is None:
            heap = [(0, i) for i in range(len(self.days))]  # sorted: already a heap
            weeks = list(self._preloaded.get(manager, [0] * self.n_weeks))
            state = self._state[manager] = (heap, [0] * len(self.days), weeks)
        return state

    def book(self, manager: str, lo: int, hi: int) -> int | None:
        """Book the least-loaded day index in [lo, hi] (ties: earlier) with room, or None."""
        heap, load, weeks = self._of(manager)
        daily, weekly, week_of = self.limit(manager), self.weekly, self.week_of
        stash = []
        found = None
        while heap:
            item = heapq.heappop(heap)
            i = item[1]
            if load[i] >= daily or weeks[week_of[i]] >= weekly:
                continue  # full for good: loads only grow
            if lo <= i <= hi:
                found = i
                break
            stash.append(item)
        for item in stash:
            heapq.heappush(heap, item)
        if found is None:
            return None
        load[found] += 1
        weeks[week_of[found]] += 1
        if load[found] < daily:
            heapq.heappush(heap, (load[found], found))
        return found

    def first_on_or_after(self, ordinal: int) -> int:
        return bisect_left(self.days, ordinal)

    def last_on_or_before(self, ordinal: int) -> int:
        return bisect_right(self.days, ordinal) - 1


def _plan_visits(
    owed: pd.DataFrame,
    manager_of: dict[str, str],
    why: dict[str, str],
    params: VisitParams,
    planner: _Planner,
    start: date,
    end: date,
    rows: list[tuple],
    short: list[tuple],
) -> None:
    owed = owed.loc[owed["due_this_quarter"] > 0]
    order = _level_order(params)
    owed = owed.assign(_rank=owed["level"].map(order)).sort_values(
        ["_rank", "client_id"], kind="stable")
    optional = {lv for lv in params.optional_levels if lv not in params.per_year}
    gap, step = params.min_gap_days, max(params.min_gap_days, 1)
    days = planner.days
    first, last_day = start.toordinal(), end.toordinal()
    year_end = date(start.year, 12, 31).toordinal()
    span = f"{start.isoformat()}..{end.isoformat()}"
    last_visits = [None if pd.isna(t) else t.toordinal() for t in owed["last_visit"]]

    for client, level, per_year, done, k, n, last in zip(
        *(owed[c].tolist() for c in
          ("client_id", "level", "per_year", "done", "remaining", "due_this_quarter")),
        last_visits, strict=True,
    ):
        manager = manager_of.get(client)
        if manager is None:
            reason = f"no manager ({why.get(client, 'no assignment')})"
            short.append((client, None, level, n, reason))
            continue
        lo0 = first if last is None else max(first, last + gap)
        # the earliest chain of working days at the gap, capacity aside
        chain: list[int] = []
        i = planner.first_on_or_after(lo0)
        while len(chain) < n and i < len(days):
            chain.append(i)
            i = planner.first_on_or_after(days[i] + step)
        # the last visit this quarter leaves room for the k - n of the later quarters
        limit = min(last_day, year_end - (k - n) * gap)
        fits = sum(1 for i in chain if days[i] <= limit)
        if fits < n:
            after = "" if last is None else f" (last visit {date.fromordinal(last).isoformat()})"
            short.append((client, manager, level, n - fits,
                          f"not enough working days left for the {gap}-day gap: {n} due in "
                          f"{span}, the first not before "
                          f"{date.fromordinal(max(lo0, first)).isoformat()}{after}, {fits} fit"))
        if fits == 0:
            continue
        # the latest chain: visit j may go no later than latest[j], so the rest still fits
        latest = [planner.last_on_or_before(limit)]
        for _ in range(fits - 1):
            latest.append(planner.last_on_or_before(days[latest[-1]] - step))
        latest.reverse()
        words = LEVEL_WORDS.get(level, level)
        note = "（视容量）" if level in optional else ""
        reason = f"{words} {per_year}/年{note}，已访 {done}，本季需 {n}"
        lo = chain[0]
        for j in range(fits):
            got = planner.book(manager, lo, latest[j])
            if got is None:
                tag = " (optional level, while capacity remains)" if level in optional else ""
                window = (f"{date.fromordinal(days[lo]).isoformat()}.."
                          f"{date.fromordinal(days[latest[j]]).isoformat()}")
                short.append((client, manager, level, fits - j,
                              f"no capacity{tag}: manager {manager} is full "
                              f"({planner.limit(manager)} a day, {params.max_per_week} a week) "
                              f"on every working day in {window}"))
                break
            rows.append((days[got], manager, client, "visit", level, reason))
            lo = planner.first_on_or_after(days[got] + step)


# --- care: greetings and events -------------------------------------------------------------


def _plan_care(
    classification: pd.DataFrame,
    clients: pd.DataFrame,
    manager_of: dict[str, str],
    why: dict[str, str],
    params: VisitParams,
    calendar: WorkingCalendar,
    start: date,
    end: date,
    rows: list[tuple],
    short: list[tuple],
) -> None:
    care = params.care
    levels = classification[["client_id", "level"]].astype("str")
    levels = levels.sort_values("client_id", kind="stable")
    cared = levels.loc[levels["level"].isin(list(care.levels))]
    before = _WorkingDayBefore(calendar)
    items: list[tuple[str, str, int, str, str]] = []  # client, level, ordinal, kind, reason

    def add(who: pd.DataFrame, day: date, kind: str, reason: str) -> None:
        if start <= day <= end:
            o = day.toordinal()
            items.extend((c, lv, o, kind, reason) for c, lv in
                         zip(who["client_id"], who["level"], strict=True))

    if care.birthday and "birth_date" in clients.columns and not cared.empty:
        births = clients[["client_id", "birth_date"]].astype({"client_id": "str"})
        births = cared.merge(births, on="client_id", how="inner")
        births["birth_date"] = pd.to_datetime(births["birth_date"])
        births = births.loc[births["birth_date"].notna()]
        born = births["birth_date"].dt.date
        for year in (start.year, start.year + 1):
            greet = {b: before.on_or_before(_birthday(b, year)) for b in born.unique()}
            on = born.map(greet)
            keep = ((on >= start) & (on <= end)).to_numpy(dtype=bool)
            items.extend(
                # month and day only: the year of birth is personal data nobody needs here
                (c, lv, d.toordinal(), "birthday_greeting", f"生日 {b:%m-%d}")
                for c, lv, d, b in zip(births["client_id"].to_numpy()[keep],
                                       births["level"].to_numpy()[keep], on.to_numpy()[keep],
                                       born.to_numpy()[keep], strict=True))
    if not cared.empty:
        for fid in care.festivals:
            name, marks = FESTIVALS[fid]
            for year in (start.year, start.year + 1):
                day = _festival_day(year, marks)
                if day is not None:
                    add(cared, before.strictly_before(day), "festival_greeting",
                        f"{name}前问候（{day.isoformat()}）")
        for extra in care.extra_festivals:
            add(cared, before.on_or_before(extra.date), "festival_greeting",
                f"{extra.name}问候（{extra.date.isoformat()}）")
    for event in care.events:
        who = levels.loc[levels["level"].isin(list(event.levels))]
        add(who, before.on_or_before(event.date), "event",
            f"客户活动 {event.name}（{event.date.isoformat()}）")

    missing: dict[str, list[str]] = {}
    level_of: dict[str, str] = {}
    for client, level, o, kind, reason in items:
        manager = manager_of.get(client)
        if manager is None:
            missing.setdefault(client, []).append(f"{date.fromordinal(o).isoformat()} {reason}")
            level_of[client] = level
        else:
            rows.append((o, manager, client, kind, level, reason))
    for client in sorted(missing):
        listed = "; ".join(sorted(missing[client]))
        short.append((client, None, level_of[client], len(missing[client]),
                      f"no manager ({why.get(client, 'no assignment')}): care not scheduled: "
                      f"{listed}"))


class _WorkingDayBefore:
    """The last working day on or before / strictly before a date, cached."""

    def __init__(self, calendar: WorkingCalendar):
        self.calendar = calendar
        self._cache: dict[date, date] = {}

    def on_or_before(self, day: date) -> date:
        found = self._cache.get(day)
        if found is None:
            back = _LOOKBACK
            while True:
                listed = self.calendar.working_days(day - timedelta(days=back), day)
                if listed:
                    break
                back *= 2
            found = self._cache[day] = listed[-1]
        return found

    def strictly_before(self, day: date) -> date:
        return self.on_or_before(day - timedelta(days=1))


def _birthday(born: date, year: int) -> date:
    if born.month == 2 and born.day == 29 and not _leap(year):
        return date(year, 2, 28)
    return born.replace(year=year)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _festival_day(year: int, marks: Iterable[str]) -> date | None:
    """The first day of a festival's break in `year` from the `holidays` library, or None."""
    listed = _china_holidays(year)
    for mark in marks:
        days = sorted(d for d, name in listed if name == mark)
        if days:
            return days[0]
    return None


_CHINA: dict[int, tuple[tuple[date, str], ...]] = {}


def _china_holidays(year: int) -> tuple[tuple[date, str], ...]:
    found = _CHINA.get(year)
    if found is None:
        china = holidays.China(years=year, language="en_US")
        found = _CHINA[year] = tuple(
            (d, part.strip()) for d, names in china.items() for part in names.split(";"))
    return found


# --- helpers --------------------------------------------------------------------------------


def _quota(params: VisitParams) -> dict[str, int]:
    quota = {lv: 1 for lv in params.optional_levels}
    quota.update(params.per_year)
    return quota


def _level_order(params: VisitParams) -> dict[str, int]:
    mandatory = sorted(params.per_year, key=lambda lv: (-params.per_year[lv], lv))
    optional = sorted(lv for lv in params.optional_levels if lv not in params.per_year)
    return {lv: k for k, lv in enumerate([*mandatory, *optional])}


def _fit_after(start: date, gap: int) -> int:
    """Visits that fit from the next quarter's first day to 31 December at `gap` apart."""
    if start.month == 10:
        return 0
    if gap == 0:
        return 1 << 30
    following = _quarter_end(start) + timedelta(days=1)
    return (date(start.year, 12, 31) - following).days // gap + 1


def _quarter_end(start: date) -> date:
    if start.month == 10:
        return date(start.year, 12, 31)
    return date(start.year, start.month + 3, 1) - timedelta(days=1)


def _in_person(visits: pd.DataFrame | None, as_of: date) -> pd.DataFrame:
    """In-person visits up to `as_of`: client_id, manager_id (None if missing), visit_date."""
    columns = ["client_id", "manager_id", "visit_date"]
    if visits is None or visits.empty:
        return pd.DataFrame({"client_id": pd.Series(dtype="str"),
                             "manager_id": pd.Series(dtype="object"),
                             "visit_date": pd.Series(dtype="datetime64[ns]")})
    out = visits.loc[visits["visit_type"].astype("str") == IN_PERSON].copy()
    out["visit_date"] = pd.to_datetime(out["visit_date"]).dt.normalize()
    out = out.loc[out["visit_date"] <= pd.Timestamp(as_of)]
    if "manager_id" not in out:
        out["manager_id"] = None
    out["client_id"] = out["client_id"].astype("str")
    out["manager_id"] = _clean(out["manager_id"])
    return out[columns].reset_index(drop=True)


def _managers_of(assignments: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    """client_id -> manager_id for rows with a manager; client_id -> reason for those without."""
    if assignments is None or assignments.empty:
        return {}, {}
    ids = assignments["client_id"].astype("str").tolist()
    managers = _clean(assignments["manager_id"]).tolist()
    if "reason" in assignments:
        reasons = assignments["reason"].astype("str").tolist()
    else:
        reasons = ["unassigned"] * len(ids)
    have = {c: m for c, m in zip(ids, managers, strict=True) if m is not None}
    why = {c: r for c, m, r in zip(ids, managers, reasons, strict=True) if m is None}
    return have, why


def _daily_limits(managers: pd.DataFrame | None, default: int) -> dict[str, int]:
    if managers is None or managers.empty or "max_visits_per_day" not in managers:
        return {}
    limits = pd.to_numeric(managers["max_visits_per_day"], errors="coerce")
    ids = _clean(managers["manager_id"])
    return {m: (default if pd.isna(v) else int(v)) for m, v in
            zip(ids, limits, strict=True) if m is not None}


def _clean(series: pd.Series) -> pd.Series:
    """Text with None for missing or blank values."""
    text = series.astype("str").str.strip()
    text = text.mask(text == "")
    return text.astype(object).where(text.notna(), None)


def _schedule_frame(rows: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
    out["date"] = pd.to_datetime(out["date"].astype("int64") - _EPOCH, unit="D")
    rank = {k: i for i, k in enumerate(KINDS)}
    out["_kind"] = out["kind"].map(rank).astype("int64")
    out = out.sort_values(["date", "manager_id", "client_id", "_kind", "reason"], kind="stable")
    out = out.drop(columns="_kind").reset_index(drop=True)
    return out.astype({c: "str" for c in SCHEDULE_COLUMNS if c != "date"})


def _shortfall_frame(short: list[tuple]) -> pd.DataFrame:
    out = pd.DataFrame(short, columns=SHORTFALL_COLUMNS)
    out["missing"] = out["missing"].astype("int64")
    out = out.sort_values(["client_id", "reason"], kind="stable").reset_index(drop=True)
    return out.astype({"client_id": "str", "manager_id": "str", "level": "str", "reason": "str"})


def _as_date(value: date) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {value!r}")
