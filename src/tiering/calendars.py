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
How it is written (a million clients: about 210,000 events over 3,100 files in seconds)
  Every line is what `icalendar` writes for it (its property order, TEXT escaping of ``\\ ; ,``
  and newlines, folding at 75 octets), but `icalendar` is called once per *distinct* value, not
  per event: the calendar header once as a template, DTSTART/DTEND once per day and slot,
  CATEGORIES and TRANSP once per kind, and SUMMARY or DESCRIPTION only for a value that has
  something to escape or a line long enough to fold; any other TEXT line is ``NAME:value``
  as it stands. A test compares the files byte for byte with icalendar's own output.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
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
_ESCAPED = re.compile(r"[\\;,\r\n]")  # what icalendar changes in a TEXT value
_FOLD_OCTETS = 75  # icalendar folds a content line of 75 octets or more
_TITLE = "TITLE"  # stands for the calendar name in the header template
_END = "END:VCALENDAR\r\n"
_HOURS_KEY = 32  # days * 32 + hour + 1 keys a day and slot (hour -1: all day)


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
    ids = sorted(set(rows["manager_id"].unique()) | set(titles))
    for manager in ids:
        if not manager or manager in (".", "..") or _UNSAFE.search(manager):
            raise ValueError(f"manager_id {manager!r} cannot name a calendar file")
    stamp_day = as_of if as_of is not None else (
        rows["date"].min().date() if not rows.empty else None)
    stamp = None if stamp_day is None else datetime.combine(stamp_day, datetime.min.time(), UTC)

    folder.mkdir(parents=True, exist_ok=True)
    events = np.array(_events(rows, names, stamp) if not rows.empty else [], dtype=object)
    own = rows.groupby("manager_id", sort=False).indices  # positions, in file order
    before, after = _header_template()
    paths = []
    for manager in ids:
        title = _text_line("X-WR-CALNAME", titles.get(manager) or f"拜访与关怀日程 {manager}",
                           Calendar)
        body = "".join(events[own[manager]]) if manager in own else ""
        path = folder / f"{manager}.ics"
        path.write_bytes((before + title + after + body + _END).encode("utf-8"))
        paths.append(path)
    return paths


def calendar_uid(manager_id: str, client_id: str, day: date, kind: str, reason: str = "") -> str:
    """The stable UID of a schedule row (the reason counts for greetings and events only)."""
    key = [manager_id, client_id, day.isoformat(), kind]
    if kind != "visit":
        key.append(reason)
    return _uid("|".join(key))


def _uid(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@tiering"


def _rows(schedule: pd.DataFrame) -> pd.DataFrame:
    """The schedule with days (midnight timestamps), each visit's slot of the day, in file
    order."""
    out = schedule[["date", "manager_id", "client_id", "kind", "level", "reason"]].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    if out["date"].dt.tz is not None:  # the local day, as a naive midnight
        out["date"] = out["date"].dt.tz_localize(None)
    for column in ("manager_id", "client_id", "kind", "level", "reason"):
        out[column] = out[column].astype("str")
    unknown = sorted(set(out["kind"].unique()) - set(SUMMARY_WORDS))
    if unknown:
        raise ValueError(f"schedule: unknown kind(s) {unknown}")
    out["rank"] = out["kind"].map(_KIND_RANK)
    out = out.sort_values(["manager_id", "date", "rank", "client_id", "reason"], kind="stable")
    visits = out["kind"] == "visit"
    out["slot"] = 0
    out.loc[visits, "slot"] = out.loc[visits].groupby(["manager_id", "date"]).cumcount()
    return out.reset_index(drop=True)


def _events(rows: pd.DataFrame, names: Mapping[str, str] | None,
            stamp: datetime) -> list[str]:
    """The text of each row's VEVENT, in row order: properties in icalendar's order (SUMMARY,
    DTSTART, DTEND, DTSTAMP, UID, then the others alphabetically)."""
    kind = rows["kind"].to_numpy(dtype=object)
    visit = kind == "visit"
    days = rows["date"].to_numpy("datetime64[D]").astype(np.int64)
    hour = np.where(visit, np.asarray(SLOTS)[rows["slot"].to_numpy() % len(SLOTS)], -1)
    when = _per_distinct(_times, days * _HOURS_KEY + hour + 1)
    iso = _per_distinct(lambda d: _day(d).isoformat(), days)
    reason = rows["reason"].to_numpy(dtype=object)
    summary = _per_distinct(lambda s: _text_line("SUMMARY", s), _summaries(rows, names))
    description = _per_distinct(lambda r: _text_line("DESCRIPTION", r), reason)
    categories = _per_distinct(lambda k: _lines(Event, ("categories", [SUMMARY_WORDS[k]])), kind)
    transp = _per_distinct(
        lambda k: _lines(Event, ("transp", "OPAQUE" if k == "visit" else "TRANSPARENT")), kind)
    stamp_line = _lines(Event, ("dtstamp", stamp))
    # calendar_uid, row by row; a UID (hex digits and @tiering) has nothing to escape or fold
    uid = (_uid(f"{m}|{c}|{d}|{k}" if k == "visit" else f"{m}|{c}|{d}|{k}|{r}")
           for m, c, d, k, r in zip(rows["manager_id"].to_numpy(dtype=object),
                                    rows["client_id"].to_numpy(dtype=object), iso, kind, reason,
                                    strict=True))
    return [f"BEGIN:VEVENT\r\n{s}{w}{stamp_line}UID:{u}\r\n{c}{d}{t}END:VEVENT\r\n"
            for s, w, u, c, d, t in zip(summary, when, uid, categories, description, transp,
                                        strict=True)]


def _summaries(rows: pd.DataFrame, names: Mapping[str, str] | None) -> np.ndarray:
    """The kind in Chinese, the client_id and, when `names` is given, the masked name."""
    client = rows["client_id"].to_numpy(dtype=object)
    out = _per_distinct(SUMMARY_WORDS.get, rows["kind"]) + " " + client
    if names is None:
        return out
    codes, clients = pd.factorize(client)
    if isinstance(names, pd.Series) and names.index.is_unique:
        found = names.reindex(clients).to_numpy(dtype=object)  # missing: NaN, as get's None
    else:
        found = np.empty(len(clients), dtype=object)
        found[:] = [names.get(c) for c in clients]
    masked = _per_distinct(lambda n: f" {m}" if (m := mask_name(n)) else "", found)
    return out + masked[codes]


def _per_distinct(line: Callable, column) -> np.ndarray:
    """``line(value)`` of each row's value, called once per distinct value."""
    codes, uniques = pd.factorize(np.asarray(column), use_na_sentinel=False)
    made = np.empty(len(uniques), dtype=object)
    made[:] = [line(value) for value in uniques]
    return made[codes]


def _day(days: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(days))


def _times(key: int) -> str:
    """DTSTART and DTEND of ``days * _HOURS_KEY + hour + 1``: a visit's hour in Asia/Shanghai,
    or the whole day (hour -1)."""
    day, hour = _day(key // _HOURS_KEY), key % _HOURS_KEY - 1
    if hour >= 0:
        begin = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(TZID))
        return _lines(Event, ("dtstart", begin),
                      ("dtend", begin + timedelta(hours=VISIT_HOURS)))
    return _lines(Event, ("dtstart", day), ("dtend", day + timedelta(days=1)))


def _text_line(name: str, value: str, component: type = Event) -> str:
    """``NAME:value`` as icalendar writes a TEXT property (SUMMARY, DESCRIPTION) or
    X-WR-CALNAME (which icalendar 7 writes unescaped): icalendar itself writes it when the value
    has something TEXT would escape or the line is long enough to fold."""
    line = f"{name}:{value}"
    if _ESCAPED.search(value) or len(line.encode("utf-8")) >= _FOLD_OCTETS:
        return _lines(component, (name, value))
    return line + "\r\n"


def _lines(component: type, *properties: tuple[str, object]) -> str:
    """The content lines (folded, CRLF) icalendar writes for these properties."""
    made = component()
    for name, value in properties:
        made.add(name, value)
    text = made.to_ical().decode("utf-8")
    return text.removeprefix(f"BEGIN:{made.name}\r\n").removesuffix(f"END:{made.name}\r\n")


def _header_template() -> tuple[str, str]:
    """A calendar's text before and after its X-WR-CALNAME line, up to its first event."""
    text = _calendar("", _TITLE).to_ical().decode("utf-8")
    before, after = text.split(f"X-WR-CALNAME:{_TITLE}\r\n")
    return before, after.removesuffix(_END)


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
