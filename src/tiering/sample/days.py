"""The sample's dates as day numbers (days since 1970-01-01, int64), so that every date is
drawn and compared in vectorised arithmetic.

Only weekends are skipped: the sample needs days that look like working days, not the official
calendar (that is `tiering.calendar`). `SampleCalendar.at(end)` places everything relative to
the export date: the reference quarter end, the last complete year, the first balance date,
the quarter, month and week grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

BIG = 10**7  # a day number far in the future: "never" (negated: "none")
_EPOCH = date(1970, 1, 1)
_QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def day(value: date) -> int:
    return (value - _EPOCH).days


def date_of(number: int) -> date:
    return _EPOCH + timedelta(days=int(number))


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def roll_forward(days: np.ndarray) -> np.ndarray:
    """Saturdays and Sundays moved to the next Monday."""
    wd = _weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def roll_back(days: np.ndarray) -> np.ndarray:
    """Saturdays and Sundays moved to the previous Friday."""
    wd = _weekday(days)
    return days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))


def uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One day drawn uniformly from [lo, hi] per element of `lo`."""
    return lo + np.floor(rng.random(lo.size) * (hi - lo + 1)).astype(np.int64)


@dataclass(frozen=True)
class SampleCalendar:
    end: int
    ref: int  # the last quarter end before `end`
    year: int  # the last complete year at `ref`
    start: int  # first balance date: 1 October of year - 1
    year_start: int  # 1 January of `year`
    quarter_starts: np.ndarray  # quarters within [start, end]
    quarter_ends: np.ndarray
    holding_dates: np.ndarray  # the four quarter ends up to `ref`
    month_ends: np.ndarray  # in [start, end]
    fridays: np.ndarray  # in [start, end]

    @classmethod
    def at(cls, end: date) -> SampleCalendar:
        ends = [date(y, m, d) for y in (end.year - 1, end.year) for m, d in _QUARTER_ENDS]
        ref = max(q for q in ends if q < end)
        year = ref.year - 1
        start = date(year - 1, 10, 1)
        qs, qe = [], []
        for y in range(year - 1, end.year + 1):
            for m, d in _QUARTER_ENDS:
                if start <= date(y, m, d) <= end:
                    qs.append(day(date(y, m - 2, 1)))
                    qe.append(day(date(y, m, d)))
        first_month = np.datetime64(f"{start.year:04d}-{start.month:02d}", "M")
        months = first_month + np.arange(0, (end.year - start.year + 1) * 12 + 1)
        month_ends = ((months + 1).astype("datetime64[D]") - 1).astype(np.int64)
        month_ends = month_ends[month_ends <= day(end)]
        days = np.arange(day(start), day(end) + 1)
        qe_arr = np.array(qe, dtype=np.int64)
        return cls(
            end=day(end), ref=day(ref), year=year, start=day(start),
            year_start=day(date(year, 1, 1)),
            quarter_starts=np.array(qs, dtype=np.int64), quarter_ends=qe_arr,
            holding_dates=qe_arr[qe_arr <= day(ref)][-4:], month_ends=month_ends,
            fridays=days[_weekday(days) == 4],
        )

    def on(self, years: int, month: int, day_of_month: int) -> int:
        """Day number of (last year + years, month, day)."""
        return day(date(self.year + years, month, day_of_month))
