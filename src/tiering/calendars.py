"""Visit calendars (SPEC 4): one iCalendar file (RFC 5545) per manager, for Outlook and phones.

A shell module: it writes files. The schedule comes from `tiering.visits.schedule`.

What is in a file
  ``<manager_id>.ics`` holds the manager's rows of the schedule, written with the `icalendar`
  library (CRLF line endings and line folding come from it). Files are written for every
  manager in the schedule and, when a managers table is given, for every active manager in it
  (an empty quarter still replaces last quarter's file); ``name`` from the table names the
  calendar (X-WR-CALNAME).
  - Visits (拜访) are timed, in Asia/Shanghai (``TZID=Asia/Shanghai`` with its VTIMEZONE: UTC+8,
    no daylight saving since 1991, written out rather than generated so that the bytes do not
    depend on the machine's tz database). A manager's visits of one day take the slots
    10:00, 14:00, 16:00, 09:00, 11:00, 15:00, 17:00, 13:00 in client_id order, one hour each,
    so that the default three a day never overlap.
  - Greetings (生日祝福, 节日问候) and client events (客户活动) are all-day (``VALUE=DATE``,
    DTEND the next day), transparent (they do not block the day).
  - SUMMARY: the kind in Chinese, the client_id and, when ``names`` is given, the client's
    masked name (`tiering.masking.mask_name`: 张三 → 张*); DESCRIPTION: the schedule's reason.
Byte-identical across runs
  No clock, no randomness: UID is a SHA-256 of manager, client, date and kind (and, for a
  greeting or event, its reason, which names the festival or event), ``@tiering``; DTSTAMP is
  ``as_of`` at midnight UTC when given, else the schedule's first date; events are sorted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from icalendar import Calendar, Event, Timezone, TimezoneStandard

from tiering.masking import mask_name

TZID = "Asia/Shanghai"
PRODID = "-//tiering//visit calendar//ZH"
SUMMARY_WORDS = {
    "visit": "拜访",
    "birthday_greeting": "生日祝福",
    "festival_greeting": "节日问候",
    "event": "客户活动",
}
SLOTS = (10, 14, 16, 9, 11, 15, 17, 13)  # start hours of a day's visits, in order of use
VISIT_HOURS = 1
_KIND_RANK = {k: i for i, k in enumerate(SUMMARY_WORDS)}
_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


def write_calendars(
    schedule: pd.DataFrame,
    folder: Path,
    *,
    managers: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    as_of: date | None = None,
) -> list[Path]:
    """Write ``<manager_id>.ics`` for each manager into `folder`; the paths, by manager_id."""
    folder = Path(folder)
    rows = _rows(schedule)
    titles = _titles(managers)
    ids = sorted(set(rows["manager_id"]) | set(titles))
    for manager in ids:
        if not manager or manager in (".", "..") or _UNSAFE.search(manager):
            raise ValueError(f"manager_id {manager!r} cannot name a calendar file")
    stamp_day = as_of if as_of is not None else (
        rows["date"].min() if not rows.empty else None)
    stamp = None if stamp_day is None else datetime.combine(stamp_day, datetime.min.time(), UTC)

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for manager, own in _by_manager(rows, ids):
        cal = _calendar(manager, titles.get(manager))
        for row in own:
            cal.add_component(_event(manager, row, names, stamp))
        path = folder / f"{manager}.ics"
        path.write_bytes(cal.to_ical())
        paths.append(path)
    return paths


def calendar_uid(manager_id: str, client_id: str, day: date, kind: str, reason: str = "") -> str:
    """The stable UID of a schedule row (the reason counts for greetings and events only)."""
    key = [manager_id, client_id, day.isoformat(), kind]
    if kind != "visit":
        key.append(reason)
    return hashlib.sha256("|".join(key).encode("utf-8")).hexdigest()[:32] + "@tiering"


def _rows(schedule: pd.DataFrame) -> pd.DataFrame:
    """The schedule with python dates, each visit's slot of the day, in file order."""
    out = schedule[["date", "manager_id", "client_id", "kind", "level", "reason"]].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.date
    for column in ("manager_id", "client_id", "kind", "level", "reason"):
        out[column] = out[column].astype("str")
    unknown = sorted(set(out["kind"]) - set(SUMMARY_WORDS))
    if unknown:
        raise ValueError(f"schedule: unknown kind(s) {unknown}")
    out["rank"] = out["kind"].map(_KIND_RANK)
    out = out.sort_values(["manager_id", "date", "rank", "client_id", "reason"], kind="stable")
    visits = out["kind"] == "visit"
    out["slot"] = 0
    out.loc[visits, "slot"] = out.loc[visits].groupby(["manager_id", "date"]).cumcount()
    return out.reset_index(drop=True)


def _by_manager(rows: pd.DataFrame, ids: list[str]):
    grouped = {m: list(g.itertuples(index=False)) for m, g in rows.groupby("manager_id")}
    for manager in ids:
        yield manager, grouped.get(manager, [])


def _titles(managers: pd.DataFrame | None) -> dict[str, str]:
    """manager_id -> calendar title, for the active managers of the table."""
    if managers is None or managers.empty:
        return {}
    staff = managers.copy()
    if "active" in staff:
        staff = staff.loc[staff["active"].astype("boolean").fillna(True).astype(bool)]
    names = staff["name"].astype("str") if "name" in staff else pd.Series("", index=staff.index)
    titles = {}
    for m, n in zip(staff["manager_id"].astype("str"), names, strict=True):
        who = "" if pd.isna(n) or not str(n).strip() else f" {str(n).strip()}"
        titles[m] = f"拜访与关怀日程 {m}{who}"
    return titles


def _calendar(manager: str, title: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title or f"拜访与关怀日程 {manager}")
    cal.add("x-wr-timezone", TZID)
    cal.add_component(_shanghai())
    return cal


def _shanghai() -> Timezone:
    """VTIMEZONE of Asia/Shanghai: China Standard Time, UTC+8, no daylight saving."""
    tz = Timezone()
    tz.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    return tz


def _event(manager: str, row, names: Mapping[str, str] | None, stamp: datetime | None) -> Event:
    day: date = row.date
    event = Event()
    event.add("uid", calendar_uid(manager, row.client_id, day, row.kind, row.reason))
    event.add("dtstamp", stamp)
    if row.kind == "visit":
        zone = ZoneInfo(TZID)
        hour = SLOTS[row.slot % len(SLOTS)]
        begin = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        event.add("dtstart", begin)
        event.add("dtend", begin + timedelta(hours=VISIT_HOURS))
        event.add("transp", "OPAQUE")
    else:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    event.add("summary", _summary(row, names))
    event.add("description", row.reason)
    event.add("categories", [SUMMARY_WORDS[row.kind]])
    return event


def _summary(row, names: Mapping[str, str] | None) -> str:
    parts = [SUMMARY_WORDS[row.kind], row.client_id]
    if names is not None:
        masked = mask_name(names.get(row.client_id))
        if masked:
            parts.append(masked)
    return " ".join(parts)
