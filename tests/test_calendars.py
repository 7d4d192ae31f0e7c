"""Visit calendars (SPEC 4): one RFC 5545 file per manager, parsed back with `icalendar`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from icalendar import Calendar, Event, Timezone, TimezoneStandard

from tiering.calendars import (
    PRODID,
    SLOTS,
    SUMMARY_WORDS,
    TZID,
    VISIT_HOURS,
    calendar_uid,
    write_calendars,
)
from tiering.masking import mask_name
from tiering.params import load_parameters
from tiering.visits import schedule

AS_OF = date(2026, 9, 30)
LOADED = load_parameters(Path(__file__).parents[1] / "params", AS_OF)


def literal_schedule() -> pd.DataFrame:
    rows = [
        ("2026-10-08", "M1", "C2", "visit", "core", "核心 1/年，已访 0，本季需 1"),
        ("2026-10-08", "M1", "C1", "visit", "vip", "VIP 2/年，已访 0，本季需 2"),
        ("2026-10-08", "M1", "C3", "visit", "core", "核心 1/年，已访 0，本季需 1"),
        ("2026-11-06", "M1", "C1", "birthday_greeting", "vip", "生日 11-08"),
        ("2026-12-11", "M2", "C4", "event", "vip", "客户活动 年度客户交流会（2026-12-12）"),
        ("2026-10-16", "M2", "C4", "festival_greeting", "vip", "重阳节问候（2026-10-18）"),
    ]
    frame = pd.DataFrame(rows, columns=["date", "manager_id", "client_id", "kind", "level",
                                        "reason"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


NAMES = {"C1": "张三", "C2": "欧阳娜娜", "C4": "上海某某投资管理有限公司"}


def events_of(path: Path) -> list:
    return Calendar.from_ical(path.read_bytes()).walk("VEVENT")


def day_of(event) -> date:
    """The local date an event starts on (timed or all-day)."""
    start = event.decoded("dtstart")
    return start.date() if isinstance(start, datetime) else start


def test_one_file_per_manager_parses_back_into_the_same_events(tmp_path):
    sched = literal_schedule()
    paths = write_calendars(sched, tmp_path, managers=None, names=NAMES, as_of=AS_OF)
    assert paths == [tmp_path / "M1.ics", tmp_path / "M2.ics"]
    found = set()
    for path in paths:
        for ev in events_of(path):
            found.add((path.stem, day_of(ev), str(ev["summary"]), str(ev["uid"]),
                       str(ev["description"])))
    expected = set()
    summaries = {("C1", "visit"): "拜访 C1 张*", ("C2", "visit"): "拜访 C2 欧***",
                 ("C3", "visit"): "拜访 C3",  # no name given: the id alone
                 ("C1", "birthday_greeting"): "生日祝福 C1 张*",
                 ("C4", "event"): "客户活动 C4 上海******有限公司",
                 ("C4", "festival_greeting"): "节日问候 C4 上海******有限公司"}
    for r in sched.itertuples(index=False):
        day = r.date.date()
        expected.add((r.manager_id, day, summaries[(r.client_id, r.kind)],
                      calendar_uid(r.manager_id, r.client_id, day, r.kind, r.reason), r.reason))
    assert found == expected
    assert len({uid for *_, uid, _ in found}) == len(found)


def test_visits_are_timed_in_asia_shanghai_and_greetings_are_all_day(tmp_path):
    write_calendars(literal_schedule(), tmp_path, managers=None, as_of=AS_OF)
    cal = Calendar.from_ical((tmp_path / "M1.ics").read_bytes())
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == [TZID]
    visits = [ev for ev in cal.walk("VEVENT") if str(ev["summary"]).startswith("拜访")]
    assert {ev["dtstart"].params["TZID"] for ev in visits} == {"Asia/Shanghai"}
    # three visits on 8 October, by client_id: 10:00, 14:00, 16:00, an hour each, no overlap
    starts = sorted((str(ev["summary"]), ev.decoded("dtstart"), ev.decoded("dtend"))
                    for ev in visits)
    assert [(s.hour, (e - s).seconds // 3600) for _, s, e in starts] == [(10, 1), (14, 1), (16, 1)]
    assert all(s.utcoffset().total_seconds() == 8 * 3600 for _, s, _ in starts)
    greeting = next(ev for ev in cal.walk("VEVENT") if str(ev["summary"]).startswith("生日"))
    assert greeting.decoded("dtstart") == date(2026, 11, 6)
    assert greeting.decoded("dtend") == date(2026, 11, 7)
    assert str(greeting["transp"]) == "TRANSPARENT"
    assert all(ev.decoded("dtstamp") == datetime(2026, 9, 30, tzinfo=ev.decoded("dtstamp").tzinfo)
               for ev in cal.walk("VEVENT"))
    assert str(cal["prodid"]) and str(cal["version"]) == "2.0"


def test_a_second_write_is_byte_identical(tmp_path):
    first = write_calendars(literal_schedule(), tmp_path / "a", managers=None, names=NAMES,
                            as_of=AS_OF)
    shuffled = literal_schedule().sample(frac=1, random_state=3)
    second = write_calendars(shuffled, tmp_path / "b", managers=None, names=NAMES, as_of=AS_OF)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_lines_end_in_crlf_and_are_folded(tmp_path):
    sched = literal_schedule()
    sched["reason"] = "很长的说明" * 20
    (path, *_) = write_calendars(sched, tmp_path, managers=None, as_of=AS_OF)
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75


def test_every_active_manager_gets_a_calendar_named_after_them(tmp_path):
    staff = pd.DataFrame({"manager_id": ["M1", "M3", "M4"], "name": ["王经理", "李经理", "赵经理"],
                          "active": pd.array([True, True, False], dtype="boolean")})
    paths = write_calendars(literal_schedule(), tmp_path, managers=staff, as_of=AS_OF)
    # M2 has events (no table row), M3 nothing this quarter, M4 inactive: no file
    assert [p.name for p in paths] == ["M1.ics", "M2.ics", "M3.ics"]
    empty = Calendar.from_ical((tmp_path / "M3.ics").read_bytes())
    assert empty.walk("VEVENT") == [] and len(empty.walk("VTIMEZONE")) == 1
    assert str(empty["x-wr-calname"]) == "拜访与关怀日程 M3 李经理"


def test_a_real_schedule_round_trips(tmp_path):
    cls = pd.DataFrame({"client_id": ["C1", "C2"], "level": ["vip", "core"]})
    clients = pd.DataFrame({"client_id": ["C1", "C2"],
                            "birth_date": pd.to_datetime(["1975-11-08", "1980-01-01"])})
    asg = pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["M1", "M1"],
                        "reason": ["existing manager kept"] * 2})
    out, _ = schedule(cls, clients, asg, None, None, as_of=AS_OF, params=LOADED.policy.visits,
                      calendar=LOADED.calendar)
    (path,) = write_calendars(out, tmp_path, managers=None, as_of=AS_OF)
    days = sorted(day_of(ev) for ev in events_of(path))
    assert days == sorted(d.date() for d in out["date"])
    assert len(days) == 4  # C1: 2 visits and a birthday greeting; C2: 1 visit


def test_a_manager_id_that_cannot_name_a_file_is_refused(tmp_path):
    sched = literal_schedule()
    sched.loc[0, "manager_id"] = "../M1"
    with pytest.raises(ValueError, match="cannot name a calendar file"):
        write_calendars(sched, tmp_path, managers=None)


# -- the files are byte for byte what icalendar writes ------------------------------------------
# The reference: the writer as it was, one icalendar Event per row and Calendar.to_ical per file.


def reference_calendars(schedule: pd.DataFrame, *, managers=None, names=None,
                        as_of=None) -> dict[str, bytes]:
    rank = {k: i for i, k in enumerate(SUMMARY_WORDS)}
    rows = schedule.assign(date=pd.to_datetime(schedule["date"]).dt.date,
                           rank=schedule["kind"].map(rank))
    rows = rows.sort_values(["manager_id", "date", "rank", "client_id", "reason"], kind="stable")
    visits = rows["kind"] == "visit"
    rows["slot"] = 0
    rows.loc[visits, "slot"] = rows.loc[visits].groupby(["manager_id", "date"]).cumcount()
    titles = {}
    if managers is not None:
        for m, n, active in managers[["manager_id", "name", "active"]].itertuples(index=False):
            if active:
                titles[m] = f"拜访与关怀日程 {m}" + (f" {n}" if n else "")
    stamp_day = as_of if as_of is not None else rows["date"].min()
    stamp = datetime.combine(stamp_day, datetime.min.time(), UTC)
    out = {}
    for manager in sorted(set(rows["manager_id"]) | set(titles)):
        cal = reference_header(titles.get(manager) or f"拜访与关怀日程 {manager}")
        for row in rows.loc[rows["manager_id"] == manager].itertuples(index=False):
            cal.add_component(reference_event(manager, row, names, stamp))
        out[f"{manager}.ics"] = cal.to_ical()
    return out


def reference_header(title: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", TZID)
    tz = Timezone()
    tz.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    cal.add_component(tz)
    return cal


def reference_event(manager, row, names, stamp) -> Event:
    day: date = row.date
    event = Event()
    event.add("uid", calendar_uid(manager, row.client_id, day, row.kind, row.reason))
    event.add("dtstamp", stamp)
    if row.kind == "visit":
        hour = SLOTS[row.slot % len(SLOTS)]
        begin = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(TZID))
        event.add("dtstart", begin)
        event.add("dtend", begin + timedelta(hours=VISIT_HOURS))
        event.add("transp", "OPAQUE")
    else:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    parts = [SUMMARY_WORDS[row.kind], row.client_id]
    if names is not None:
        masked = mask_name(names.get(row.client_id))
        if masked:
            parts.append(masked)
    event.add("summary", " ".join(parts))
    event.add("description", row.reason)
    event.add("categories", [SUMMARY_WORDS[row.kind]])
    return event


def tricky_schedule() -> pd.DataFrame:
    rows = [
        # two visits the same day: C5 at 10:00, C6 at 14:00 (client_id order)
        ("2026-10-09", "M1", "C6", "visit", "core", "核心 1/年，已访 0，本季需 1"),
        ("2026-10-09", "M1", "C5", "visit", "vip", "改期,原因;见备注\\附件\n第二行"),
        ("2026-10-12", "M1", "C7", "visit", "core", "很长的说明，需要折行" * 8),
        ("2026-10-13", "M1", "C8", "visit", "core", "说" * 20 + "ab"),  # 74 octets: one line
        ("2026-10-14", "M1", "C8", "visit", "core", "说" * 21),  # 75 octets: folded
        ("2026-10-15", "M1", "C9", "visit", "core", "a" * 61 + ","),  # fold before the \\,
        ("2026-11-06", "M1", "C5", "birthday_greeting", "vip", "生日 11-08"),
        ("2026-10-16", "M2", "C10", "festival_greeting", "vip", "重阳节问候（2026-10-18）"),
        ("2026-10-16", "M2", "C11", "visit", "vip", "VIP 2/年，已访 0，本季需 2"),
        # one character to escape each
        ("2026-10-19", "M2", "C11", "visit", "vip", "仅逗号,"),
        ("2026-10-20", "M2", "C11", "visit", "vip", "仅分号;"),
        ("2026-10-21", "M2", "C11", "visit", "vip", "仅反斜杠\\"),
        ("2026-10-22", "M2", "C11", "visit", "vip", "仅换行\n"),
        ("2026-10-23", "M2", "C11", "visit", "vip", "回车换行\r\n"),
        ("2026-10-26", "M2", "C11", "visit", "vip", "仅回车\r"),
    ]
    frame = pd.DataFrame(rows, columns=["date", "manager_id", "client_id", "kind", "level",
                                        "reason"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


TRICKY_NAMES = {
    "C5": "张三",
    "C6": "甲,乙某某投资管理有限;司",  # an institution: 甲,*******有限;司
    "C7": "北京" + "某" * 44 + "基金管理合伙企业",  # 北京, 48 stars, 合伙企业
    "C10": "上海某某投资管理有限公司",
    "C11": None,
}  # C8, C9: no name
TRICKY_STAFF = pd.DataFrame({"manager_id": ["M1", "M3", "M4"],
                             "name": ["王经理", "李经理,北区", "赵经理"],  # icalendar decides
                             "active": [True, True, False]})


@pytest.mark.parametrize("names", [TRICKY_NAMES, pd.Series(TRICKY_NAMES, dtype=object), None],
                         ids=["dict", "series", "no-names"])
@pytest.mark.parametrize("as_of", [AS_OF, None], ids=["as-of", "first-date"])
def test_files_are_byte_for_byte_what_icalendar_writes(tmp_path, names, as_of):
    sched = tricky_schedule()
    paths = write_calendars(sched, tmp_path, managers=TRICKY_STAFF, names=names, as_of=as_of)
    expected = reference_calendars(sched, managers=TRICKY_STAFF, names=names, as_of=as_of)
    assert [p.name for p in paths] == ["M1.ics", "M2.ics", "M3.ics"]  # M3: no rows; M4 inactive
    assert list(expected) == [p.name for p in paths]
    for path in paths:
        assert path.read_bytes() == expected[path.name], path.name


def test_text_is_escaped_and_folded_at_75_octets_as_icalendar_does(tmp_path):
    write_calendars(tricky_schedule(), tmp_path, managers=TRICKY_STAFF, names=TRICKY_NAMES,
                    as_of=AS_OF)
    raw = (tmp_path / "M1.ics").read_bytes()
    # , ; \\ and a newline escaped in TEXT
    assert "DESCRIPTION:改期\\,原因\\;见备注\\\\附件\\n第二行\r\n".encode() in raw
    assert "SUMMARY:拜访 C6 甲\\,*******有限\\;司\r\n".encode() in raw  # masked, then escaped
    # 8 + 6 + 4 + 6 + 48 = 72 octets, then 合 (3) would make 75
    assert ("SUMMARY:拜访 C7 北京" + "*" * 48 + "\r\n 合伙企业\r\n").encode() in raw
    # 12 + 20 * 3 + 2 = 74 octets stay on one line; 75 fold after 72 (a 3-octet character
    # does not fit before 75), the character whole on the next line
    assert ("DESCRIPTION:" + "说" * 20 + "ab\r\n").encode() in raw
    assert ("DESCRIPTION:" + "说" * 20 + "\r\n 说\r\n").encode() in raw
    # 12 + 61 = 73 octets, then \\, : the fold goes before the backslash, not between it and ,
    assert ("DESCRIPTION:" + "a" * 61 + "\r\n \\,\r\n").encode() in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    assert "X-WR-CALNAME:拜访与关怀日程 M1 王经理\r\n".encode() in raw
    other = (tmp_path / "M2.ics").read_bytes().decode()
    for reason in ("仅逗号\\,", "仅分号\\;", "仅反斜杠\\\\", "仅换行\\n", "回车换行\\n",
                   "仅回车\\n"):
        assert f"DESCRIPTION:{reason}\r\n" in other
    # two visits on 9 October: C5 at 10:00, C6 at 14:00, an hour each
    events = raw.split(b"BEGIN:VEVENT\r\n")[1:]
    assert b"SUMMARY:\xe6\x8b\x9c\xe8\xae\xbf C5" in events[0]
    assert b"DTSTART;TZID=Asia/Shanghai:20261009T100000\r\n" in events[0]
    assert b"DTEND;TZID=Asia/Shanghai:20261009T110000\r\n" in events[0]
    assert b"DTSTART;TZID=Asia/Shanghai:20261009T140000\r\n" in events[1]
    birthday = next(e for e in events if "生日".encode() in e)
    assert b"DTSTART;VALUE=DATE:20261106\r\nDTEND;VALUE=DATE:20261107\r\n" in birthday
    assert b"DTSTAMP:20260930T000000Z\r\n" in birthday and b"TRANSP:TRANSPARENT\r\n" in birthday
