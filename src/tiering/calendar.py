"""The Chinese working-day calendar and the due dates of rating cycles.

Working days follow the official arrangement of the State Council (国务院办公厅 放假安排),
make-up weekend working days (调休上班) included. The `holidays` library holds the official
arrangement for every year listed in ``ChinaStaticHolidays.special_public_holidays``; for
other years it only estimates (fixed-date and lunar holidays, no make-up days). Parameters can
supply a year's official arrangement before the library knows it (`parse_extra_years`); such a
year replaces the library's data for that year entirely.

Rating deadlines: an annual rating as of 31 December is due within the first N working days of
the new year, a quarterly one within the first N of the next quarter, a monthly one within the
first N of the next month; N comes from parameters per cycle. Ad-hoc ratings have no due date.

This is a core module: pure, no clock, no files.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from functools import cache

import holidays
from holidays.countries.china import ChinaStaticHolidays

CYCLES = ("annual", "quarterly", "monthly", "adhoc")
DUE_CYCLES = ("annual", "quarterly", "monthly")

_LIBRARY_OFFICIAL_YEARS = frozenset(ChinaStaticHolidays.special_public_holidays)
_ARRANGEMENT_KEYS = ("holidays", "workdays")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class YearArrangement:
    """A year's official arrangement, supplied by parameters.

    ``holidays`` are the days off (weekdays that are off; listing weekend days is harmless),
    ``workdays`` the make-up weekend working days. Every other weekday is a working day and
    every other weekend day is not.
    """

    holidays: frozenset[date]
    workdays: frozenset[date]


class WorkingCalendar:
    """Chinese working days: the library's data, overridden per year by ``extra_years``."""

    def __init__(self, extra_years: Mapping[int, YearArrangement] | None = None):
        self._extra: dict[int, YearArrangement] = {}
        for year, arrangement in (extra_years or {}).items():
            _check_arrangement(year, arrangement)
            self._extra[year] = arrangement
        # year -> (sorted working days, the same as a set)
        self._years: dict[int, tuple[tuple[date, ...], frozenset[date]]] = {}

    def is_working_day(self, day: date) -> bool:
        day = _as_date(day)
        return day in self._year(day.year)[1]

    def is_official(self, year: int) -> bool:
        """True if the official arrangement of `year` is known (library or parameters)."""
        return year in self._extra or year in _LIBRARY_OFFICIAL_YEARS

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days from `start` to `end`, both included, in order."""
        start, end = _as_date(start), _as_date(end)
        found: list[date] = []
        for year in range(start.year, end.year + 1):
            days = self._year(year)[0]
            lo = bisect_left(days, start) if year == start.year else 0
            hi = bisect_right(days, end) if year == end.year else len(days)
            found.extend(days[lo:hi])
        return found

    def nth_working_day(self, start: date, n: int) -> date:
        """The `n`-th working day on or after `start` (``n == 1``: the first)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"the number of working days must be a whole number >= 1, not {n!r}")
        start = _as_date(start)
        year = start.year
        days = self._year(year)[0]
        i = bisect_left(days, start)
        while n > len(days) - i:
            n -= len(days) - i
            year += 1
            days, i = self._year(year)[0], 0
        return days[i + n - 1]

    def _year(self, year: int) -> tuple[tuple[date, ...], frozenset[date]]:
        cached = self._years.get(year)
        if cached is None:
            arrangement = self._extra.get(year)
            if arrangement is None:
                days = _library_working_days(year)
            else:
                days = _arrangement_working_days(year, arrangement)
            cached = self._years[year] = (days, frozenset(days))
        return cached


@cache
def _library_working_days(year: int) -> tuple[date, ...]:
    china = holidays.China(years=year)
    return tuple(d for d in _days_of(year) if china.is_working_day(d))


def _arrangement_working_days(year: int, arrangement: YearArrangement) -> tuple[date, ...]:
    def working(day: date) -> bool:
        if day.weekday() >= 5:
            return day in arrangement.workdays
        return day not in arrangement.holidays

    return tuple(d for d in _days_of(year) if working(d))


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    count = (date(year, 12, 31) - first).days + 1
    return [first + timedelta(days=i) for i in range(count)]


def _as_date(value: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {value!r}")


def _check_arrangement(year: int, arrangement: YearArrangement) -> None:
    where = f"calendar year {year}"
    if isinstance(year, bool) or not isinstance(year, int) or not MINYEAR <= year <= MAXYEAR:
        raise ValueError(f"{where}: not a valid year")
    if not arrangement.holidays:
        raise ValueError(f"{where}: holidays is empty; an official arrangement has days off")
    for key in _ARRANGEMENT_KEYS:
        for day in sorted(getattr(arrangement, key), key=str):
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"{where}, {key}: {day!r} is not a date")
            if day.year != year:
                raise ValueError(f"{where}, {key}: {day.isoformat()} is not in {year}")
    for day in sorted(arrangement.workdays):
        if day.weekday() < 5:
            raise ValueError(
                f"{where}, workdays: {day.isoformat()} is a {day:%A}, not a weekend day; "
                "only make-up weekend working days (调休上班) belong here"
            )
    both = sorted(arrangement.holidays & arrangement.workdays)
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise ValueError(f"{where}: {listed} listed both as holiday and as workday")


def parse_extra_years(raw: Mapping | None) -> dict[int, YearArrangement]:
    """Read the parameter mapping ``{2027: {"holidays": [...], "workdays": [...]}}``.

    Dates may be dates or ISO strings (YYYY-MM-DD). ``holidays`` is required and not empty;
    ``workdays`` may be left out. Raises ValueError naming the year, key and value of anything
    malformed.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(
            f"calendar extra years must be a mapping of year to arrangement, not {raw!r}"
        )
    parsed: dict[int, YearArrangement] = {}
    for key, spec in raw.items():
        year = _parse_year(key)
        where = f"calendar year {year}"
        if year in parsed:
            raise ValueError(f"{where} is given twice")
        if not isinstance(spec, Mapping):
            raise ValueError(
                f"{where}: expected a mapping with holidays and workdays, not {spec!r}"
            )
        unknown = [k for k in spec if k not in _ARRANGEMENT_KEYS]
        if unknown:
            raise ValueError(
                f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)} "
                f"(expected {' and '.join(_ARRANGEMENT_KEYS)})"
            )
        if "holidays" not in spec:
            raise ValueError(f"{where}: holidays is missing")
        workdays = spec.get("workdays")
        arrangement = YearArrangement(
            holidays=_parse_dates(where, "holidays", spec["holidays"]),
            workdays=frozenset() if workdays is None else _parse_dates(where, "workdays", workdays),
        )
        _check_arrangement(year, arrangement)
        parsed[year] = arrangement
    return parsed


def _parse_year(key: object) -> int:
    year: int | None = None
    if isinstance(key, int) and not isinstance(key, bool):
        year = key
    elif isinstance(key, str) and key.strip().isdigit():
        year = int(key.strip())
    if year is None or not MINYEAR <= year <= MAXYEAR:
        raise ValueError(f"calendar extra years: {key!r} is not a year")
    return year


def _parse_dates(where: str, key: str, values: object) -> frozenset[date]:
    if not isinstance(values, list | tuple | set | frozenset):
        raise ValueError(f"{where}, {key}: expected a list of dates, not {values!r}")
    days: set[date] = set()
    for value in values:
        if isinstance(value, datetime):
            raise ValueError(f"{where}, {key}: {value!r} is a timestamp, not a date")
        if isinstance(value, date):
            days.add(value)
            continue
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                days.add(date.fromisoformat(value.strip()))
                continue
            except ValueError:
                pass
        raise ValueError(f"{where}, {key}: {value!r} is not a date (expected YYYY-MM-DD)")
    return frozenset(days)


def _month_last_day(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def period_end_ok(cycle: str, as_of: date) -> str | None:
    """None if `as_of` is a valid as-of date for `cycle`, otherwise what is wrong."""
    as_of = _as_date(as_of)
    month_end = as_of.day == _month_last_day(as_of.year, as_of.month)
    if cycle == "adhoc":
        return None
    if cycle == "annual":
        ok, expected = (as_of.month, as_of.day) == (12, 31), "31 December"
    elif cycle == "quarterly":
        ok = month_end and as_of.month % 3 == 0
        expected = "a quarter end (31 March, 30 June, 30 September or 31 December)"
    elif cycle == "monthly":
        ok, expected = month_end, "the last day of a month"
    else:
        return f"unknown rating cycle {cycle!r} (expected one of {', '.join(CYCLES)})"
    if ok:
        return None
    return f"a {cycle} rating must be as of {expected}; {as_of.isoformat()} is not"


def due_date(
    cycle: str,
    as_of: date,
    calendar: WorkingCalendar,
    due_working_days: Mapping[str, int],
) -> date | None:
    """The last day on which the rating of `cycle` as of `as_of` is on time; None for adhoc.

    That is the n-th working day on or after the day after `as_of`, n being
    ``due_working_days[cycle]``. Raises ValueError if `as_of` does not end a period of
    `cycle` or n is not given.
    """
    problem = period_end_ok(cycle, as_of)
    if problem is not None:
        raise ValueError(problem)
    if cycle == "adhoc":
        return None
    if cycle not in due_working_days:
        raise ValueError(f"no number of due working days is given for the {cycle} cycle")
    return calendar.nth_working_day(_as_date(as_of) + timedelta(days=1), due_working_days[cycle])
