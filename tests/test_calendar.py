"""The working-day calendar and rating due dates, against hand-checked official arrangements.

Official arrangements used below (国务院办公厅 放假安排):
2025: 元旦 Jan 1; 春节 Jan 28-Feb 4, make-up Sun Jan 26 and Sat Feb 8; 清明 Apr 4-6;
      劳动节 May 1-5, make-up Sun Apr 27; 端午 May 31-Jun 2; 国庆/中秋 Oct 1-8, make-up Sun Sep 28
      and Sat Oct 11.
2026: 元旦 Jan 1-3, make-up Sun Jan 4; 春节 Feb 15-23, make-up Sat Feb 14 and Sat Feb 28;
      清明 Apr 4-6; 劳动节 May 1-5, make-up Sat May 9; 端午 Jun 19-21; 中秋 Sep 25-27;
      国庆 Oct 1-7, make-up Sun Sep 20 and Sat Oct 10.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.calendar import (
    WorkingCalendar,
    YearArrangement,
    due_date,
    parse_extra_years,
    period_end_ok,
)

DUE = {"annual": 10, "quarterly": 3, "monthly": 5}
CAL = WorkingCalendar()


def due(cycle: str, as_of: date, calendar: WorkingCalendar = CAL) -> date | None:
    return due_date(cycle, as_of, calendar, DUE)


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 26),  # Sun, 春节 make-up
        date(2025, 2, 8),  # Sat, 春节 make-up
        date(2025, 4, 27),  # Sun, 劳动节 make-up
        date(2025, 9, 28),  # Sun, 国庆 make-up
        date(2025, 10, 11),  # Sat, 国庆 make-up
        date(2026, 1, 4),  # Sun, 元旦 make-up
        date(2026, 2, 14),  # Sat, 春节 make-up
        date(2026, 2, 28),  # Sat, 春节 make-up
        date(2026, 5, 9),  # Sat, 劳动节 make-up
        date(2026, 9, 20),  # Sun, make-up
        date(2026, 10, 10),  # Sat, 国庆 make-up
    ],
)
def test_make_up_weekend_day_is_a_working_day(day):
    assert day.weekday() >= 5
    assert CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 1),  # Wed, 元旦
        date(2025, 1, 28),  # Tue, 除夕
        date(2025, 2, 4),  # Tue, 春节 (swapped)
        date(2025, 4, 4),  # Fri, 清明
        date(2025, 5, 5),  # Mon, 劳动节
        date(2025, 6, 2),  # Mon, 端午
        date(2025, 10, 8),  # Wed, 国庆/中秋
        date(2026, 1, 2),  # Fri, 元旦
        date(2026, 2, 23),  # Mon, 春节
        date(2026, 4, 6),  # Mon, 清明
        date(2026, 5, 5),  # Tue, 劳动节
        date(2026, 6, 19),  # Fri, 端午
        date(2026, 9, 25),  # Fri, 中秋
        date(2026, 10, 7),  # Wed, 国庆
    ],
)
def test_holiday_weekday_is_not_a_working_day(day):
    assert day.weekday() < 5
    assert not CAL.is_working_day(day)


def test_ordinary_weekday_works_and_ordinary_weekend_does_not():
    assert CAL.is_working_day(date(2025, 3, 12))  # Wed
    assert not CAL.is_working_day(date(2025, 3, 15))  # Sat
    assert not CAL.is_working_day(date(2026, 10, 3))  # Sat inside 国庆


def test_datetime_is_read_as_its_date():
    assert CAL.is_working_day(datetime(2026, 1, 4, 15, 30))


def test_2025_and_2026_each_have_248_working_days():
    # 2025: 261 weekdays - 18 weekday holidays + 5 make-up days
    # 2026: 261 weekdays - 19 weekday holidays + 6 make-up days
    assert len(CAL.working_days(date(2025, 1, 1), date(2025, 12, 31))) == 248
    assert len(CAL.working_days(date(2026, 1, 1), date(2026, 12, 31))) == 248


def test_working_days_of_february_2026_skip_spring_festival_and_count_make_up_saturdays():
    days = CAL.working_days(date(2026, 2, 1), date(2026, 2, 28))
    # Feb 2-6, 9-13, Sat 14, 24-27, Sat 28
    assert len(days) == 16
    assert days[10] == date(2026, 2, 14)
    assert days[11] == date(2026, 2, 24)
    assert days[-1] == date(2026, 2, 28)


def test_working_days_agree_with_is_working_day_across_a_year_boundary():
    start, end = date(2025, 12, 1), date(2026, 1, 31)
    every_day = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert CAL.working_days(start, end) == [d for d in every_day if CAL.is_working_day(d)]


def test_working_days_of_an_empty_or_reversed_range_is_empty():
    assert CAL.working_days(date(2026, 10, 1), date(2026, 10, 7)) == []
    assert CAL.working_days(date(2026, 3, 2), date(2026, 3, 1)) == []


def test_nth_working_day_counts_start_itself_when_it_is_a_working_day():
    assert CAL.nth_working_day(date(2026, 2, 14), 1) == date(2026, 2, 14)
    assert CAL.nth_working_day(date(2026, 2, 15), 1) == date(2026, 2, 24)


def test_nth_working_day_crosses_into_the_next_year():
    # Dec 31 2025 (Wed) is the 1st; then Sun Jan 4 2026 (make-up), Mon Jan 5
    assert CAL.nth_working_day(date(2025, 12, 31), 3) == date(2026, 1, 5)


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "3"])
def test_nth_working_day_needs_a_positive_whole_number(n):
    with pytest.raises(ValueError, match="whole number"):
        CAL.nth_working_day(date(2026, 1, 1), n)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=1, max_value=400),
)
def test_nth_working_day_is_a_working_day_with_exactly_n_working_days_up_to_it(start, n):
    result = CAL.nth_working_day(start, n)
    assert CAL.is_working_day(result)
    assert len(CAL.working_days(start, result)) == n


# --- official years ---------------------------------------------------------------------------


def test_library_years_2025_and_2026_are_official():
    assert CAL.is_official(2025)
    assert CAL.is_official(2026)


def test_a_year_nobody_has_announced_is_not_official_but_still_answered_from_the_estimate():
    assert not CAL.is_official(2099)
    assert not CAL.is_working_day(date(2099, 10, 1))  # Thu, 国庆 (estimated)
    assert CAL.is_working_day(date(2099, 10, 12))  # Mon


# --- extra years from parameters --------------------------------------------------------------

# A made-up 2027 arrangement: 元旦 Fri Jan 1 and the whole next week off, made up on
# Sat Jan 9 and Sun Jan 10; a made-up mid-week holiday Wed Jul 14 and make-up Sat Jul 10.
MADE_UP_2027 = {
    2027: {
        "holidays": [
            "2027-01-01",
            "2027-01-02",
            date(2027, 1, 4),
            "2027-01-05",
            "2027-01-06",
            "2027-01-07",
            "2027-01-08",
            "2027-07-14",
        ],
        "workdays": ["2027-01-09", date(2027, 1, 10), "2027-07-10"],
    }
}


def test_extra_year_2027_overrides_the_library_and_becomes_official():
    extra = parse_extra_years(MADE_UP_2027)
    calendar = WorkingCalendar(extra)
    assert calendar.is_official(2027)
    assert calendar.is_working_day(date(2027, 7, 10))  # made-up Saturday
    assert not calendar.is_working_day(date(2027, 7, 14))  # made-up Wednesday off
    assert not calendar.is_working_day(date(2027, 7, 11))  # an ordinary Sunday
    # the library's own 2027 days off that the arrangement does not list are working days
    assert calendar.is_working_day(date(2027, 10, 4))  # Mon, not listed
    assert calendar.is_working_day(date(2027, 2, 5))  # Fri, not listed


def test_annual_2026_due_on_tenth_working_day_of_an_extra_2027():
    # Jan 1-8 off; Sat 9 (1), Sun 10 (2), Jan 11-15 (3-7), Jan 18, 19, 20 (8-10)
    calendar = WorkingCalendar(parse_extra_years(MADE_UP_2027))
    assert due("annual", date(2026, 12, 31), calendar) == date(2027, 1, 20)


def test_extra_year_leaves_other_years_to_the_library():
    calendar = WorkingCalendar(parse_extra_years(MADE_UP_2027))
    assert calendar.is_working_day(date(2026, 1, 4))
    assert not calendar.is_working_day(date(2026, 10, 7))
    assert not calendar.is_official(2028)


def test_extra_year_replaces_even_a_year_the_library_knows():
    made_up_2026 = {2026: YearArrangement(frozenset({date(2026, 1, 1)}), frozenset())}
    calendar = WorkingCalendar(made_up_2026)
    assert not calendar.is_working_day(date(2026, 1, 4))  # the library's make-up Sunday
    assert calendar.is_working_day(date(2026, 1, 2))  # the library's day off
    assert calendar.is_official(2026)


def test_parse_extra_years_accepts_an_empty_file_and_a_year_without_workdays():
    assert parse_extra_years(None) == {}
    assert parse_extra_years({}) == {}
    parsed = parse_extra_years({"2027": {"holidays": ["2027-01-01"]}})
    assert parsed == {2027: YearArrangement(frozenset({date(2027, 1, 1)}), frozenset())}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({2027: {"holidays": ["2027-01-01"], "workday": []}}, r"2027.*'workday'"),
        ({2027: {"holidays": ["2027-02-30"]}}, r"2027, holidays: '2027-02-30' is not a date"),
        ({2027: {"holidays": ["1 Jan 2027"]}}, r"2027, holidays: '1 Jan 2027' is not a date"),
        ({2027: {"holidays": [20270101]}}, r"2027, holidays: 20270101 is not a date"),
        (
            {2027: {"holidays": ["2027-01-01"], "workdays": ["2027-01-11"]}},
            r"2027, workdays: 2027-01-11 is a Monday, not a weekend day",
        ),
        ({2027: {"holidays": ["2028-01-03"]}}, r"2027, holidays: 2028-01-03 is not in 2027"),
        (
            {2027: {"holidays": ["2027-01-01", "2027-01-09"], "workdays": ["2027-01-09"]}},
            r"2027: 2027-01-09 listed both as holiday and as workday",
        ),
        ({2027: {"holidays": []}}, r"2027: holidays is empty"),
        ({2027: {"workdays": ["2027-01-09"]}}, r"2027: holidays is missing"),
        ({2027: {"holidays": "2027-01-01"}}, r"2027, holidays: expected a list"),
        ({2027: ["2027-01-01"]}, r"2027: expected a mapping"),
        ({"next": {"holidays": ["2027-01-01"]}}, r"'next' is not a year"),
        ({2027: {"holidays": [datetime(2027, 1, 1)]}}, r"2027, holidays: .* is a timestamp"),
        ([2027], r"must be a mapping"),
    ],
)
def test_parse_extra_years_names_the_bad_value(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_extra_years(raw)


def test_calendar_rejects_a_malformed_arrangement_given_directly():
    bad = YearArrangement(frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 11)}))
    with pytest.raises(ValueError, match="2027-01-11 is a Monday"):
        WorkingCalendar({2027: bad})


# --- as-of dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cycle", "as_of"),
    [
        ("annual", date(2025, 12, 31)),
        ("quarterly", date(2026, 3, 31)),
        ("quarterly", date(2026, 6, 30)),
        ("quarterly", date(2026, 9, 30)),
        ("quarterly", date(2026, 12, 31)),
        ("monthly", date(2026, 2, 28)),
        ("monthly", date(2024, 2, 29)),
        ("monthly", date(2026, 4, 30)),
        ("adhoc", date(2026, 5, 17)),
    ],
)
def test_period_end_ok_accepts_the_end_of_the_period(cycle, as_of):
    assert period_end_ok(cycle, as_of) is None


@pytest.mark.parametrize(
    ("cycle", "as_of", "message"),
    [
        ("annual", date(2026, 6, 30), "annual rating must be as of 31 December; 2026-06-30"),
        ("annual", date(2026, 12, 30), "annual rating must be as of 31 December; 2026-12-30"),
        ("quarterly", date(2026, 4, 30), "quarterly rating must be as of a quarter end"),
        ("quarterly", date(2026, 9, 29), "quarterly rating must be as of a quarter end"),
        ("monthly", date(2025, 2, 27), "monthly rating must be as of the last day of a month"),
        ("monthly", date(2024, 2, 28), "monthly rating must be as of the last day of a month"),
        ("yearly", date(2026, 12, 31), "unknown rating cycle 'yearly'"),
    ],
)
def test_period_end_ok_explains_a_wrong_as_of_date(cycle, as_of, message):
    problem = period_end_ok(cycle, as_of)
    assert problem is not None
    assert message in problem


# --- due dates --------------------------------------------------------------------------------


def test_annual_2024_due_on_tenth_working_day_of_2025():
    # Jan 1 off; Jan 2, 3, 6-10, 13, 14, 15
    assert due("annual", date(2024, 12, 31)) == date(2025, 1, 15)


def test_annual_2025_due_on_tenth_working_day_of_2026_counting_make_up_sunday():
    # Jan 1-3 off; Sun Jan 4 (1), Jan 5-9 (2-6), Jan 12-15 (7-10)
    assert due("annual", date(2025, 12, 31)) == date(2026, 1, 15)


def test_quarterly_2025_q3_due_on_make_up_saturday_after_national_day():
    # Oct 1-8 off; Oct 9 (1), Oct 10 (2), Sat Oct 11 (3)
    assert due("quarterly", date(2025, 9, 30)) == date(2025, 10, 11)


def test_quarterly_2026_q3_due_on_make_up_saturday_after_national_day():
    # Oct 1-7 off; Oct 8 (1), Oct 9 (2), Sat Oct 10 (3)
    assert due("quarterly", date(2026, 9, 30)) == date(2026, 10, 10)


def test_quarterly_2025_q4_due_on_third_working_day_of_2026():
    # Sun Jan 4 (1), Jan 5 (2), Jan 6 (3)
    assert due("quarterly", date(2025, 12, 31)) == date(2026, 1, 6)


def test_quarterly_2024_q4_due_on_third_working_day_of_2025():
    # Jan 1 off; Jan 2 (1), Jan 3 (2), Jan 6 (3)
    assert due("quarterly", date(2024, 12, 31)) == date(2025, 1, 6)


def test_quarterly_2026_q1_due_before_qingming():
    # Apr 1, 2, 3 (Wed-Fri); 清明 Apr 4-6 comes after
    assert due("quarterly", date(2026, 3, 31)) == date(2026, 4, 3)


def test_monthly_2025_january_due_across_spring_festival_and_make_up_saturday():
    # Feb 3-4 off; Feb 5 (1), 6 (2), 7 (3), Sat Feb 8 (4), Mon Feb 10 (5)
    assert due("monthly", date(2025, 1, 31)) == date(2025, 2, 10)


def test_monthly_2026_january_due_before_spring_festival():
    # Feb 2-6 (1-5); 春节 starts Feb 15
    assert due("monthly", date(2026, 1, 31)) == date(2026, 2, 6)


def test_monthly_2026_february_as_of_a_make_up_saturday_counts_from_march():
    # as of Sat Feb 28 (itself a working day, not counted); Mar 2-6 (1-5)
    assert due("monthly", date(2026, 2, 28)) == date(2026, 3, 6)


def test_monthly_2026_april_due_across_labour_day_and_make_up_saturday():
    # May 1-5 off; May 6 (1), 7 (2), 8 (3), Sat May 9 (4), Mon May 11 (5)
    assert due("monthly", date(2026, 4, 30)) == date(2026, 5, 11)


def test_monthly_2025_september_due_across_national_day():
    # Oct 1-8 off; Oct 9 (1), 10 (2), Sat 11 (3), 13 (4), 14 (5)
    assert due("monthly", date(2025, 9, 30)) == date(2025, 10, 14)


def test_due_working_days_come_from_the_parameters():
    assert due_date("annual", date(2025, 12, 31), CAL, {"annual": 1}) == date(2026, 1, 4)


def test_adhoc_has_no_due_date():
    assert due("adhoc", date(2026, 5, 17)) is None
    assert due_date("adhoc", date(2026, 5, 17), CAL, {}) is None


def test_due_date_refuses_an_as_of_date_that_does_not_end_the_period():
    with pytest.raises(ValueError, match="quarterly rating must be as of a quarter end"):
        due("quarterly", date(2026, 8, 31))
    with pytest.raises(ValueError, match="unknown rating cycle"):
        due("weekly", date(2026, 8, 31))


def test_due_date_needs_the_cycle_in_the_parameters():
    with pytest.raises(ValueError, match="monthly cycle"):
        due_date("monthly", date(2026, 8, 31), CAL, {"annual": 10})
