"""Per-client indicators for the tier rules (SPEC 2.2), written once against narwhals.

The functions take any narwhals-supported frame (pandas in memory today; DuckDB or Spark for
very large inputs) and return a frame of the same backend, so the rules are not written twice.

Daily-average assets are a step function: each balance row holds from its date until the
client's next row, so daily rows and change-only rows give the same answer. Before the first
row and outside the days the account is open the balance is 0. A row dated before the period
still counts from the period's first day until it is superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import narwhals as nw
from narwhals.typing import IntoFrameT


@dataclass(frozen=True)
class Period:
    """A named, inclusive span of days."""

    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def rating_periods(as_of: date) -> tuple[Period, Period]:
    """The last complete year and the year to date at `as_of` (SPEC 2.2).

    The last complete year is the calendar year before as_of's, except on 31 December, when it
    is as_of's own year.
    """
    year = as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
    return (
        Period("last_year", date(year, 1, 1), date(year, 12, 31)),
        Period("ytd", date(as_of.year, 1, 1), as_of),
    )


def client_windows(clients: IntoFrameT, periods: tuple[Period, ...]) -> IntoFrameT:
    """One row per client and period: the days the account is open within the period.

    Columns: client_id, period, start, stop (exclusive), open_days, period_days. A client
    not open at all within a period gets open_days 0.
    """
    frame = nw.from_native(clients)
    schema = frame.collect_schema()
    close = nw.col("close_date") if "close_date" in schema else nw.lit(None, nw.Datetime("us"))
    parts = []
    for period in periods:
        start = nw.max_horizontal(nw.col("open_date"), nw.lit(_ts(period.start)))
        stop = nw.min_horizontal(
            (close.fill_null(nw.lit(_ts(period.end))) if "close_date" in schema
             else nw.lit(_ts(period.end))),
            nw.lit(_ts(period.end)),
        )
        parts.append(
            frame.select(
                nw.col("client_id"),
                nw.lit(period.name).alias("period"),
                start.alias("start"),
                stop.alias("last"),
                nw.lit(period.days).alias("period_days"),
            )
        )
    windows = nw.concat(parts)
    open_days = _days(nw.col("last") - nw.col("start")) + 1
    return windows.with_columns(
        open_days=nw.when(open_days > 0).then(open_days).otherwise(0),
        stop=nw.col("last").dt.offset_by("1d"),
    ).drop("last").to_native()


def daily_average_assets(
    balances: IntoFrameT, windows: IntoFrameT, *, denominator: str = "open_days"
) -> IntoFrameT:
    """Daily-average assets per client and period.

    `balances`: client_id, date, total_assets (daily or change-only rows, any order).
    `windows`: from `client_windows`. Returns client_id, period, avg_assets (rounded to the
    cent; the rules compare the figure that is shown). `denominator` is "open_days" (days the
    account was open within the period) or "all_days" (every day of the period).
    """
    b = nw.from_native(balances)
    w = nw.from_native(windows)
    first_start, last_stop = _span(w)
    b = (
        b.select("client_id", "date", "total_assets")
        .with_columns(next_date=nw.col("date").shift(-1).over("client_id", order_by="date"))
        # rows superseded before every window, or dated after every window, weigh nothing
        .filter(
            nw.col("next_date").is_null() | (nw.col("next_date") > first_start),
            nw.col("date") < last_stop,
        )
    )
    joined = b.join(w, on="client_id", how="inner")
    seg_start = nw.max_horizontal(nw.col("date"), nw.col("start"))
    seg_stop = nw.min_horizontal(nw.col("next_date").fill_null(nw.col("stop")), nw.col("stop"))
    days = _days(seg_stop - seg_start)
    weighted = (
        joined.with_columns(days=nw.when(days > 0).then(days).otherwise(0))
        .with_columns(asset_days=nw.col("total_assets") * nw.col("days"))
        .group_by("client_id", "period")
        .agg(nw.col("asset_days").sum())
    )
    denom = nw.col("open_days") if denominator == "open_days" else nw.col("period_days")
    return (
        w.join(weighted, on=["client_id", "period"], how="left")
        .with_columns(
            avg_assets=nw.when(denom > 0)
            .then(nw.col("asset_days").fill_null(0.0) / denom)
            .otherwise(0.0)
            .round(2)
        )
        .select("client_id", "period", "avg_assets")
        .to_native()
    )


def fee_sum(
    fees: IntoFrameT, period: Period, *, fee_type: str = "management"
) -> IntoFrameT:
    """Sum of one fee type per client within a period; reversals (negative rows) net off."""
    f = nw.from_native(fees)
    return (
        f.filter(
            nw.col("fee_type") == fee_type,
            nw.col("date") >= _ts(period.start),
            nw.col("date") <= _ts(period.end),
        )
        .group_by("client_id")
        .agg(nw.col("amount").sum().alias("fee"))
        .with_columns(nw.col("fee").round(2))
        .to_native()
    )


def _span(windows: nw.DataFrame) -> tuple[datetime, datetime]:
    """The earliest window start and latest window stop (plain values, any backend)."""
    span = windows.select(nw.col("start").min(), nw.col("stop").max())
    if isinstance(span, nw.LazyFrame):
        span = span.collect()
    first, last = span.row(0)
    return first, last


def _ts(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _days(duration: nw.Expr) -> nw.Expr:
    """Whole days of a duration between two midnight timestamps."""
    return (duration.dt.total_seconds() // 86_400).cast(nw.Int64)
