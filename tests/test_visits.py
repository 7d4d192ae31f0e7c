"""Visits and care (SPEC 2.5): obligations, next quarter's schedule, shortfalls.

Default parameters (params/policy-2017.yaml): VIP 2 and core 1 in-person visits a year,
potential one while capacity remains, 60 days apart, 3 a day, 10 a week; VIP care: birthday,
Spring Festival, Mid-Autumn. The calendar is the official one: in 2026 Mid-Autumn is Fri 25
September (a day off), National Day 1–7 October, make-up working days Sun 20 September and
Sat 10 October; Spring Festival's break starts Mon 16 February, make-up Sat 14 February.
Every expected date is worked out in the comment next to it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.params import load_parameters
from tiering.service_params import CareParams, ClientEvent, DatedItem, VisitParams
from tiering.visits import (
    OBLIGATION_COLUMNS,
    SCHEDULE_COLUMNS,
    SHORTFALL_COLUMNS,
    obligations,
    quarter_after,
    schedule,
)

LOADED = load_parameters(Path(__file__).parents[1] / "params", date(2026, 9, 30))
PARAMS = LOADED.policy.visits
CALENDAR = LOADED.calendar
JUNE, SEPT = date(2026, 6, 30), date(2026, 9, 30)


def classification(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, level)."""
    return pd.DataFrame(rows, columns=["client_id", "level"])


def clients(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, birth_date or None)."""
    frame = pd.DataFrame(rows, columns=["client_id", "birth_date"])
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return frame


def assignments(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, manager_id or None); the reason says who was left without one."""
    frame = pd.DataFrame(rows, columns=["client_id", "manager_id"])
    frame["role"] = "account_manager"
    none = frame["manager_id"].isna()
    frame["status"] = none.map({True: "unassigned", False: "kept"})
    frame["reason"] = none.map(
        {True: "every account manager in 北京 is full", False: "existing manager kept"})
    return frame.astype("str")


def managers(*rows: tuple) -> pd.DataFrame:
    """Rows of (manager_id, max_visits_per_day or None)."""
    frame = pd.DataFrame(rows, columns=["manager_id", "max_visits_per_day"])
    frame["max_visits_per_day"] = frame["max_visits_per_day"].astype("float64")
    return frame


def visits(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, manager_id, visit_date, visit_type)."""
    frame = pd.DataFrame(rows, columns=["client_id", "manager_id", "visit_date", "visit_type"])
    frame["visit_date"] = pd.to_datetime(frame["visit_date"])
    return frame


def no_care(params: VisitParams = PARAMS, **update) -> VisitParams:
    """`params` without greetings (so a test sees its visits alone), with `update`."""
    care = CareParams(birthday=False, festivals=())
    return params.model_copy(update={"care": care, **update})


def plan(cls, *, as_of=SEPT, params=PARAMS, cl=None, asg=None, mg=None, logged=None):
    """Schedule with one manager M1 for everybody unless told otherwise."""
    if cl is None:
        cl = clients(*((c, None) for c in cls["client_id"]))
    if asg is None:
        asg = assignments(*((c, "M1") for c in cls["client_id"]))
    if mg is None:
        mg = managers(("M1", None))
    out, short = schedule(cls, cl, asg, mg, logged, as_of=as_of, params=params, calendar=CALENDAR)
    assert list(out.columns) == SCHEDULE_COLUMNS
    assert list(short.columns) == SHORTFALL_COLUMNS
    return out, short


def days_of(frame: pd.DataFrame, client: str | None = None, kind: str = "visit") -> list[date]:
    rows = frame.loc[frame["kind"] == kind]
    if client is not None:
        rows = rows.loc[rows["client_id"] == client]
    return [d.date() for d in rows["date"]]


def core_clients(n: int) -> pd.DataFrame:
    return classification(*((f"C{i:03d}", "core") for i in range(1, n + 1)))


# --- the quarter and the obligations --------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 6, 30), (date(2026, 7, 1), date(2026, 9, 30))),
        (date(2026, 9, 30), (date(2026, 10, 1), date(2026, 12, 31))),
        (date(2026, 12, 31), (date(2027, 1, 1), date(2027, 3, 31))),
        (date(2026, 3, 31), (date(2026, 4, 1), date(2026, 6, 30))),
        (date(2026, 8, 15), (date(2026, 10, 1), date(2026, 12, 31))),  # not a quarter end
    ],
)
def test_quarter_after_is_the_first_quarter_starting_after_as_of(as_of, expected):
    assert quarter_after(as_of) == expected


def test_obligations_count_only_in_person_visits_of_the_year_up_to_as_of():
    cls = classification(("A", "vip"), ("B", "core"), ("C", "ordinary"), ("D", "potential"))
    logged = visits(
        ("A", "M1", "2026-03-02", "in_person"),  # counts
        ("A", "M1", "2026-05-06", "phone"),  # not in person
        ("A", "M1", "2026-10-12", "in_person"),  # after as_of: left out
        ("B", "M1", "2025-11-20", "in_person"),  # last year: not done, but the last visit
        ("B", "M1", "2026-04-01", "online"),
        ("C", "M1", "2026-04-01", "in_person"),  # ordinary: no quota, no row
    )
    out = obligations(cls, logged, as_of=JUNE, params=PARAMS).set_index("client_id")
    assert list(out.reset_index().columns) == OBLIGATION_COLUMNS
    assert list(out.index) == ["A", "B", "D"]
    assert out.loc["A", ["per_year", "done", "remaining"]].tolist() == [2, 1, 1]
    assert out.loc["A", "last_visit"] == pd.Timestamp("2026-03-02")
    assert out.loc["B", ["per_year", "done", "remaining"]].tolist() == [1, 0, 1]
    assert out.loc["B", "last_visit"] == pd.Timestamp("2025-11-20")
    assert out.loc["D", ["per_year", "done", "remaining"]].tolist() == [1, 0, 1]  # optional: 1
    assert pd.isna(out.loc["D", "last_visit"])


@pytest.mark.parametrize(
    ("as_of", "vip_due", "core_due"),
    [
        (date(2025, 12, 31), 1, 1),  # Q1, 4 quarters left: ceil(2/4) = 1, ceil(1/4) = 1
        (date(2026, 3, 31), 1, 1),  # Q2, 3 left: ceil(2/3) = 1
        (date(2026, 6, 30), 1, 1),  # Q3, 2 left: ceil(2/2) = 1
        (date(2026, 9, 30), 2, 1),  # Q4, the last: all that remains
    ],
)
def test_due_this_quarter_spreads_what_remains_over_the_quarters_left(as_of, vip_due, core_due):
    out = obligations(classification(("V", "vip"), ("K", "core")), None, as_of=as_of,
                      params=PARAMS).set_index("client_id")
    assert out.loc["V", "due_this_quarter"] == vip_due
    assert out.loc["K", "due_this_quarter"] == core_due


def test_nothing_is_due_once_the_quota_is_met():
    logged = visits(("V", "M1", "2026-02-03", "in_person"), ("V", "M1", "2026-05-06", "in_person"),
                    ("V", "M1", "2026-06-08", "in_person"))
    out = obligations(classification(("V", "vip")), logged, as_of=JUNE, params=PARAMS)
    assert out.loc[0, ["done", "remaining", "due_this_quarter"]].tolist() == [3, 0, 0]


def test_due_this_quarter_takes_what_the_later_quarters_cannot_fit_at_the_gap():
    # 5 a year, 100 days apart, as of 31 March: Q2 is due ceil(5/3) = 2 by the spread, but
    # 1 July .. 31 December (183 days) fits only 183 // 100 + 1 = 2, so 5 - 2 = 3 are due now
    params = PARAMS.model_copy(update={"per_year": {"vip": 5}, "min_gap_days": 100})
    out = obligations(classification(("V", "vip")), None, as_of=date(2026, 3, 31), params=params)
    assert out.loc[0, "due_this_quarter"] == 3


def test_a_new_year_starts_a_new_count():
    # as of 31 December the plan year is the next one: 2026's visits do not count against 2027
    logged = visits(("V", "M1", "2026-03-02", "in_person"), ("V", "M1", "2026-11-02", "in_person"))
    out = obligations(classification(("V", "vip")), logged, as_of=date(2026, 12, 31),
                      params=PARAMS)
    assert out.loc[0, ["done", "remaining", "due_this_quarter"]].tolist() == [0, 2, 1]
    assert out.loc[0, "last_visit"] == pd.Timestamp("2026-11-02")


# --- scheduling: working days, quota, capacity, gap -----------------------------------------


def test_a_vip_with_nothing_done_by_june_gets_one_visit_in_q3():
    out, short = plan(classification(("V", "vip"), ("K", "core")), as_of=JUNE, params=no_care())
    # nothing else booked: the least-loaded days are all empty, ties to the earliest
    assert days_of(out, "V") == [date(2026, 7, 1)]
    assert days_of(out, "K") == [date(2026, 7, 2)]
    assert out.loc[out["client_id"] == "V", "reason"].item() == "VIP 2/年，已访 0，本季需 1"
    assert short.empty


def test_q3_2026_schedules_on_the_make_up_sunday_and_not_on_mid_autumn():
    # 1 a day, no weekly limit: 66 working days in Q3 2026 take 66 core clients, one a day
    params = no_care(max_per_week=7)
    working = CALENDAR.working_days(date(2026, 7, 1), date(2026, 9, 30))
    assert len(working) == 66
    out, short = plan(core_clients(66), as_of=JUNE, params=params, mg=managers(("M1", 1)))
    assert sorted(days_of(out)) == working
    assert date(2026, 9, 20) in days_of(out)  # Sunday, make-up working day
    assert date(2026, 9, 25) not in days_of(out)  # Friday, Mid-Autumn Festival
    assert short.empty


def test_q4_2026_schedules_on_the_make_up_saturday_and_not_in_national_day():
    params = no_care(max_per_week=7)
    out, short = plan(core_clients(62), params=params, mg=managers(("M1", 1)))
    used = days_of(out)
    assert len(used) == len(set(used)) == 62
    assert date(2026, 10, 10) in used  # Saturday, make-up working day
    assert not {date(2026, 10, d) for d in range(1, 8)} & set(used)  # 1–7 October off
    assert min(used) == date(2026, 10, 8) and max(used) == date(2026, 12, 31)
    assert short.empty


def test_load_is_spread_across_the_quarter():
    # 124 core clients, 3 a day: every one of the 62 working days gets 2 before any gets 3
    out, _ = plan(core_clients(124), params=no_care(max_per_week=15))
    per_day = out.groupby("date").size()
    assert len(per_day) == 62 and set(per_day) == {2}


def test_two_visits_in_the_last_quarter_keep_the_sixty_day_gap():
    # VIP, nothing done, Q4: the first on 8 October (the first working day), the second at
    # least 60 days later, 7 December (a Monday) is the least-loaded eligible day
    out, short = plan(classification(("V", "vip")), params=no_care())
    assert days_of(out, "V") == [date(2026, 10, 8), date(2026, 12, 7)]
    assert short.empty


def test_the_gap_counts_from_the_last_logged_visit():
    # visited 1 September: not before 31 October (a Saturday, off), so Monday 2 November
    logged = visits(("V", "M1", "2026-09-01", "in_person"))
    out, short = plan(classification(("V", "vip")), params=no_care(), logged=logged)
    assert days_of(out, "V") == [date(2026, 11, 2)]
    assert out["reason"].item() == "VIP 2/年，已访 1，本季需 1"
    assert short.empty


def test_shortfall_when_the_gap_leaves_too_few_working_days():
    # 3 a year, 1 done on 20 September: 2 due in Q4, the first not before 19 November, the
    # second not before 18 January 2027 — past the year: 1 scheduled, 1 short
    params = no_care(per_year={"vip": 3, "core": 1})
    logged = visits(("V", "M1", "2026-09-20", "in_person"))
    out, short = plan(classification(("V", "vip")), params=params, logged=logged)
    assert days_of(out, "V") == [date(2026, 11, 19)]
    assert short[["client_id", "manager_id", "level", "missing"]].values.tolist() == [
        ["V", "M1", "vip", 1]]
    assert short["reason"].item().startswith("not enough working days left for the 60-day gap")


def test_shortfall_when_the_client_has_no_manager():
    cls = classification(("V", "vip"), ("K", "core"))
    out, short = plan(cls, params=no_care(), asg=assignments(("V", None), ("K", "M1")))
    assert days_of(out, "K") == [date(2026, 10, 8)]
    assert short[["client_id", "level", "missing"]].values.tolist() == [["V", "vip", 2]]
    assert pd.isna(short["manager_id"].item())
    assert short["reason"].item() == "no manager (every account manager in 北京 is full)"


def test_shortfall_when_the_manager_has_no_capacity():
    out, short = plan(classification(("K", "core")), params=no_care(), mg=managers(("M1", 0)))
    assert out.empty
    assert short[["client_id", "manager_id", "missing"]].values.tolist() == [["K", "M1", 1]]
    assert short["reason"].item().startswith("no capacity: manager M1 is full (0 a day")


def test_the_weekly_limit_caps_the_quarter():
    # 2 a week; Q4 2026's working days fall in ISO weeks 41..53 (13 weeks): 26 of 30 fit
    out, short = plan(core_clients(30), params=no_care(max_per_week=2))
    weeks = out["date"].dt.isocalendar()["week"]
    assert len(out) == 26 and weeks.value_counts().max() == 2 and weeks.nunique() == 13
    assert short["client_id"].tolist() == ["C027", "C028", "C029", "C030"]
    assert set(short["missing"]) == {1}
    assert all(r.startswith("no capacity") for r in short["reason"])


def test_visits_logged_in_the_week_the_quarter_starts_count_against_the_weekly_limit():
    # as of Tuesday 30 June: ISO week 27 runs 29 June – 5 July; M1 logged 2 in person
    # (29 and 30 June), so with 3 a week only 1 more fits on 1–3 July
    logged = visits(("X", "M1", "2026-06-29", "in_person"), ("Y", "M1", "2026-06-30", "in_person"))
    out, _ = plan(core_clients(6), as_of=JUNE, params=no_care(max_per_week=3), logged=logged)
    first_week = [d for d in days_of(out) if d <= date(2026, 7, 5)]
    assert first_week == [date(2026, 7, 1)]


def test_optional_clients_only_take_what_the_mandatory_ones_leave():
    # 1 a day, 62 working days: 62 core clients take them all; the potential client, though
    # first by id, is served last and goes short
    cls = pd.concat([classification(("A000", "potential")), core_clients(62)])
    out, short = plan(cls, params=no_care(max_per_week=7), mg=managers(("M1", 1)))
    assert "A000" not in set(out["client_id"]) and len(out) == 62
    assert short["client_id"].tolist() == ["A000"]
    assert short["reason"].item().startswith(
        "no capacity (optional level, while capacity remains)")


def test_a_missing_daily_limit_falls_back_to_max_per_day():
    out, _ = plan(core_clients(200), params=no_care(max_per_week=50), mg=managers(("M1", None)))
    assert out.groupby("date").size().max() == PARAMS.max_per_day == 3


def test_schedule_is_deterministic_whatever_the_row_order():
    cls = pd.concat([core_clients(40), classification(("V1", "vip"), ("V2", "vip"))])
    cl = clients(*((c, "1975-11-08") for c in cls["client_id"]))
    asg = assignments(*((c, "M1" if i % 2 else "M2") for i, c in enumerate(cls["client_id"])))
    mg = managers(("M1", 2), ("M2", None))
    logged = visits(("C001", "M1", "2026-08-03", "in_person"))
    first = plan(cls, cl=cl, asg=asg, mg=mg, logged=logged)
    shuffled = plan(cls.sample(frac=1, random_state=1), cl=cl.sample(frac=1, random_state=2),
                    asg=asg.sample(frac=1, random_state=3), mg=mg.iloc[::-1], logged=logged)
    again = plan(cls, cl=cl, asg=asg, mg=mg, logged=logged)
    for a, b, c in zip(first, shuffled, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, c)


# --- care: greetings and events -------------------------------------------------------------


def test_birthday_on_a_weekend_moves_to_the_friday_before():
    cl = clients(("V", "1975-11-08"), ("W", "1980-12-03"))
    out, _ = plan(classification(("V", "vip"), ("W", "vip")), cl=cl)
    # 8 November 2026 is a Sunday: Friday 6 November; 3 December is a Thursday: on the day
    assert days_of(out, "V", "birthday_greeting") == [date(2026, 11, 6)]
    assert days_of(out, "W", "birthday_greeting") == [date(2026, 12, 3)]
    assert out.loc[out["kind"] == "birthday_greeting", "reason"].tolist() == [
        "生日 11-08", "生日 12-03"]


def test_a_birthday_greeting_belongs_to_the_quarter_its_date_falls_in():
    # 2 January 2027 is a Saturday, 1 January a holiday: greeted Thursday 31 December 2026,
    # in Q4 2026, and so not again in Q1 2027
    cl = clients(("V", "1990-01-02"))
    q4, _ = plan(classification(("V", "vip")), cl=cl)
    q1, _ = plan(classification(("V", "vip")), cl=cl, as_of=date(2026, 12, 31))
    assert days_of(q4, "V", "birthday_greeting") == [date(2026, 12, 31)]
    assert days_of(q1, "V", "birthday_greeting") == []


def test_only_care_levels_are_greeted():
    cl = clients(("V", "1975-11-04"), ("K", "1975-11-04"))
    out, _ = plan(classification(("V", "vip"), ("K", "core")), cl=cl)
    greeted = out.loc[out["kind"] != "visit", "client_id"]
    assert set(greeted) == {"V"}


def test_festival_greeting_on_the_last_working_day_before_mid_autumn():
    out, _ = plan(classification(("V", "vip")), as_of=JUNE)
    greetings = out.loc[out["kind"] == "festival_greeting"]
    # Mid-Autumn is Friday 25 September 2026: Thursday 24 September
    assert [d.date() for d in greetings["date"]] == [date(2026, 9, 24)]
    assert greetings["reason"].item() == "中秋节前问候（2026-09-25）"


def test_spring_festival_greeting_on_the_make_up_saturday_before_the_break():
    # the 2026 break starts on New Year's Eve, Monday 16 February; Saturday 14 February is a
    # make-up working day, so the greeting is then
    out, _ = plan(classification(("V", "vip")), as_of=date(2025, 12, 31))
    greetings = out.loc[out["kind"] == "festival_greeting"]
    assert [d.date() for d in greetings["date"]] == [date(2026, 2, 14)]
    assert greetings["reason"].item() == "春节前问候（2026-02-16）"


def test_extra_festivals_and_events_by_parameter():
    care = CareParams(
        birthday=False,
        festivals=(),
        extra_festivals=(DatedItem(name="重阳节", date=date(2026, 10, 18)),),
        events=(
            ClientEvent(name="年度客户交流会", date=date(2026, 12, 12), levels=("vip", "core")),
        ),
    )
    params = PARAMS.model_copy(update={"care": care})
    out, _ = plan(classification(("V", "vip"), ("K", "core"), ("P", "potential")), params=params)
    care_rows = out.loc[out["kind"] != "visit", ["date", "client_id", "kind", "reason"]]
    # 18 October is a Sunday: Friday 16 October; 12 December a Saturday: Friday 11 December
    assert care_rows.assign(date=care_rows["date"].dt.date).values.tolist() == [
        [date(2026, 10, 16), "V", "festival_greeting", "重阳节问候（2026-10-18）"],
        [date(2026, 12, 11), "K", "event", "客户活动 年度客户交流会（2026-12-12）"],
        [date(2026, 12, 11), "V", "event", "客户活动 年度客户交流会（2026-12-12）"],
    ]


def test_greetings_take_no_visit_capacity():
    # no visit capacity at all: the visits go short, the greetings are still scheduled
    cl = clients(("V", "1975-11-04"))
    out, short = plan(classification(("V", "vip")), cl=cl, as_of=JUNE, mg=managers(("M1", 0)))
    assert set(out["kind"]) == {"festival_greeting"}
    assert short["reason"].item().startswith("no capacity")
    out, _ = plan(classification(("V", "vip")), cl=cl, mg=managers(("M1", 0)))
    assert days_of(out, "V", "birthday_greeting") == [date(2026, 11, 4)]


def test_care_without_a_manager_is_a_shortfall():
    cl = clients(("V", "1975-11-08"))
    _, short = plan(classification(("V", "vip")), cl=cl, as_of=JUNE, asg=assignments(("V", None)))
    care = short.loc[short["reason"].str.contains("care not scheduled")]
    assert care["missing"].tolist() == [1]  # the Mid-Autumn greeting; the birthday is in Q4
    assert "2026-09-24 中秋节前问候（2026-09-25）" in care["reason"].item()


# --- invariants -----------------------------------------------------------------------------


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 40))
    levels = draw(st.lists(st.sampled_from(["vip", "core", "potential", "ordinary"]),
                           min_size=n, max_size=n))
    ids = [f"C{i:03d}" for i in range(n)]
    owners = draw(st.lists(st.sampled_from(["M1", "M2", "M3", None]), min_size=n, max_size=n))
    limits = draw(st.lists(st.sampled_from([0, 1, 2, 3, None]), min_size=3, max_size=3))
    as_of = draw(st.sampled_from([JUNE, SEPT]))
    logged = draw(st.lists(
        st.tuples(st.sampled_from(ids), st.sampled_from(["M1", "M2", "M3"]),
                  st.integers(0, 400), st.sampled_from(["in_person", "phone"])),
        max_size=20))
    params = no_care(
        per_year=draw(st.sampled_from([{"vip": 2, "core": 1}, {"vip": 4, "core": 2}])),
        min_gap_days=draw(st.sampled_from([0, 1, 30, 60, 90])),
        max_per_day=draw(st.integers(1, 3)),
        max_per_week=draw(st.integers(1, 10)),
    )
    rows = [(c, m, as_of - timedelta(days=back), t) for c, m, back, t in logged]
    return (classification(*zip(ids, levels, strict=True)),
            assignments(*zip(ids, owners, strict=True)),
            managers(*zip(["M1", "M2", "M3"], limits, strict=True)),
            visits(*rows), as_of, params)


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_schedule_never_exceeds_capacity_and_drops_nothing(scenario):
    cls, asg, mg, logged, as_of, params = scenario
    out, short = plan(cls, as_of=as_of, params=params, asg=asg, mg=mg, logged=logged)
    start, end = quarter_after(as_of)
    used = days_of(out)
    assert all(start <= d <= end and CALENDAR.is_working_day(d) for d in used)
    limit = {m: params.max_per_day if pd.isna(v) else int(v)
             for m, v in zip(mg["manager_id"], mg["max_visits_per_day"], strict=True)}
    per_day = out.groupby(["manager_id", "date"]).size()
    assert all(k <= limit[m] for (m, _), k in per_day.items())
    # per ISO week, counting the in-person visits logged in a week the quarter shares
    booked = out[["manager_id", "date"]].assign(n=1)
    earlier = logged.loc[logged["visit_type"] == "in_person"]
    earlier = earlier.loc[earlier["visit_date"] <= pd.Timestamp(as_of),
                          ["manager_id", "visit_date"]].rename(columns={"visit_date": "date"})
    both = pd.concat([booked, earlier.assign(n=0)])
    iso = both["date"].dt.isocalendar()
    both["week"] = list(zip(iso["year"], iso["week"], strict=True))
    weeks = both.groupby(["manager_id", "week"])
    assert all(total <= params.max_per_week for total, new in zip(
        weeks.size(), weeks["n"].sum(), strict=True) if new)
    # a client's visits: never two a day, the gap kept, from the last logged one too
    owed = obligations(cls, logged, as_of=as_of, params=params).set_index("client_id")
    for client, rows in out.groupby("client_id"):
        dates = sorted(d.date() for d in rows["date"])
        last = owed.loc[client, "last_visit"]
        if pd.notna(last):
            dates = [last.date(), *dates]
        gaps = [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]
        assert all(g >= max(params.min_gap_days, 1) for g in gaps)
    # nothing dropped: scheduled + missing = due, for every client
    scheduled = out.groupby("client_id").size()
    missing = short.groupby("client_id")["missing"].sum()
    for client, due in owed["due_this_quarter"].items():
        assert scheduled.get(client, 0) + missing.get(client, 0) == due


def test_random_row_order_gives_the_same_schedule_on_a_larger_book():
    rng = random.Random(7)
    ids = [f"C{i:04d}" for i in range(300)]
    levels = [rng.choice(["vip", "core", "core", "potential", "ordinary"]) for _ in ids]
    cls = classification(*zip(ids, levels, strict=True))
    asg = assignments(*((c, f"M{rng.randint(1, 4)}") for c in ids))
    mg = managers(*((f"M{k}", rng.choice([1, 2, 3, None])) for k in range(1, 5)))
    births = clients(*((c, f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-"
                           f"{rng.randint(1, 28):02d}") for c in ids))
    a = plan(cls, cl=births, asg=asg, mg=mg)
    b = plan(cls.iloc[::-1], cl=births.iloc[::-1], asg=asg.iloc[::-1], mg=mg.iloc[::-1])
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
