"""Visit calendars (SPEC 4): one RFC 5545 file per manager, parsed back with `icalendar`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from icalendar import Calendar

from tiering.calendars import TZID, calendar_uid, write_calendars
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
