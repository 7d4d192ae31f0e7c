"""Per-client indicators for the tier rules (SPEC 2.2), written once against narwhals.

The functions take any narwhals-supported frame — pandas in memory, a DuckDB relation for
Parquet files larger than memory, a PySpark DataFrame on a cluster — and return a frame of
the same backend, so the rules are not written twice. Only expressions that every one of those
backends supports are used: day counts come from calendar fields (year, day of the year), not
from durations, and rounding to the cent is spelled out rather than left to each engine's own
`round`.

Daily-average assets are a step function: each balance row holds from its date until the
client's next row, so daily rows and change-only rows give the same answer. Before the first
row and outside the days the account is open the balance is 0. A row dated before the period
still counts from the period's first day until it is superseded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import narwhals as nw
from narwhals.typing import IntoFrameT

DENOMINATORS = {"open_days": "open_days", "all_days": "period_days"}  # name -> window column
WINDOW_KEYS = ["client_id", "period"]


@dataclass(frozen=True)
class Period:
    """A named, inclusive span of days."""

    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class SpanSums:
    """The balances' rows per client and span of days, counted and summed elsewhere — by the
    DuckDB check's one scan of the table (`engines.quick_clean`) — so the averages need not
    read the table again for them.

    `frame`: client_id, span (`span_label`), rows, asset_days (the sum of total_assets in
    whole cents, `to_cents`), first and last (dates); one row per client and span holding
    rows. Optionally also tail (the last row's balance) and carry (the balance of the
    client's last row before the span, 0 when there is none, null when not known), in whole
    cents, and then a row for every client holding any balance row and every span (rows 0
    when none is in it): a window whose rows run day after day, or that has none, then needs
    no ordering either, and a client without a row has none at all (`window_coverage`).
    `spans`: the spans it covers, [start, stop) as dates.
    """

    spans: frozenset[tuple[date, date]]
    frame: Any

    @classmethod
    def of_scan(cls, spans: frozenset[tuple[date, date]], frame: Any) -> SpanSums:
        """From `engines.quick_clean`'s span sums of the balances (n, sum_, tail_ and
        carry_total_assets)."""
        return cls(spans, nw.from_native(frame).rename({
            "n": "rows", "sum_total_assets": "asset_days", "tail_total_assets": "tail",
            "carry_total_assets": "carry"}).to_native())


def span_label(start: date, stop: date) -> str:
    """The name of the span of days [start, stop) (dates or midnight datetimes)."""
    return f"{_date(start).isoformat()}/{_date(stop).isoformat()}"


def rating_spans(as_of: date) -> list[tuple[date, date]]:
    """The [start, stop) spans of `rating_periods` (what `period_spans` gives for clients
    open throughout)."""
    return [(p.start, p.end + timedelta(days=1)) for p in rating_periods(as_of)]


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

    `clients`: client_id, open_date and optionally close_date (the close date itself is an open
    day). Columns: client_id, period, start, stop (exclusive), open_days, period_days. A client
    not open at all within a period gets open_days 0.
    """
    frame = nw.from_native(clients)
    has_close = "close_date" in frame.collect_schema()
    parts = []
    for period in periods:
        end = nw.lit(_ts(period.end))
        last = nw.min_horizontal(nw.col("close_date").fill_null(end), end) if has_close else end
        parts.append(
            frame.select(
                nw.col("client_id"),
                nw.lit(period.name).alias("period"),
                nw.max_horizontal(nw.col("open_date"), nw.lit(_ts(period.start))).alias("start"),
                last.alias("last"),
                nw.lit(period.days).cast(nw.Int64).alias("period_days"),
            )
        )
    open_days = _day_number(nw.col("last")) - _day_number(nw.col("start")) + 1
    return (
        nw.concat(parts)
        .with_columns(
            open_days=nw.when(open_days > 0).then(open_days).otherwise(nw.lit(0)).cast(nw.Int64),
            stop=nw.col("last").dt.offset_by("1d"),
        )
        .select("client_id", "period", "start", "stop", "open_days", "period_days")
        .to_native()
    )


def daily_average_assets(
    balances: IntoFrameT,
    windows: IntoFrameT,
    *,
    denominator: str = "open_days",
    dense_path: bool = True,
    keep: Callable[[Any], Any] | None = None,
    sums: SpanSums | None = None,
) -> IntoFrameT:
    """Daily-average assets per client and period.

    `balances`: client_id, date, total_assets (daily or change-only rows, any order, at most
    one row per client and day — validation refuses duplicate keys; dates at midnight).
    `windows`: from `client_windows`. Returns client_id, period, avg_assets (rounded to the
    cent, half away from zero; the rules compare the figure that is shown), one row per
    window. Each balance counts in whole cents (`to_cents`), so the asset-days are exact
    integers and every engine gives the same average, run after run. `denominator` is
    "open_days" (days the account was open within the period) or "all_days" (every day of the
    period); a zero denominator gives 0.

    With `dense_path` (the default) a window whose rows cover every one of its days is summed
    without ordering (`window_coverage`) and only the other windows go through the ordered
    step function; with `dense_path=False` every client is ordered (`stepped_asset_days`).
    Both give the same asset-days. `keep`, when given, computes a frame once and returns it
    (a table on DuckDB, a cached frame on Spark): the coverage, which the dense and the sparse
    windows both read, is then one scan of the balances instead of two. `sums`, when it covers
    the windows' period spans, stands for that scan (see `window_coverage`); the check's sums,
    with the balances carried in and held, leave the ordered path only the windows with gaps
    between their rows (none in daily data).
    """
    if denominator not in DENOMINATORS:
        raise ValueError(f"denominator must be one of {list(DENOMINATORS)}, not {denominator!r}")
    w = nw.from_native(windows)
    spans = period_spans(w)
    if not spans:  # no window at all: nothing to average
        return w.select(*WINDOW_KEYS).with_columns(avg_assets=nw.lit(0.0)).to_native()
    first_start = min(start for start, _ in spans.values())
    last_stop = max(stop for _, stop in spans.values())
    # rows dated on or after every window's stop never weigh: drop them before any ordering
    # balances in whole cents: asset-days are then exact integer sums, which no engine's order
    # of adding (DuckDB's threads, Spark's partitions) can change
    b = (
        nw.from_native(balances)
        .select("client_id", "date", to_cents(nw.col("total_assets")).alias("total_assets"))
        .filter(nw.col("date") < nw.lit(last_stop))
    )
    if dense_path:
        coverage = window_coverage(b, w, spans, sums=sums)
        if keep is not None:
            coverage = keep(coverage)
        dense = coverage.filter(nw.col("dense")).select(*WINDOW_KEYS, "asset_days")
        sparse = coverage.filter(~nw.col("dense")).select(*WINDOW_KEYS, "start", "stop")
        # few rows here: LEAD over the rows of the clients with a sparse window, once per
        # client (not once per window), then each sparse window takes its copy
        clients = sparse.select("client_id").unique()
        ordered = (
            b.join(clients, on="client_id", how="inner")
            .with_columns(next_date=nw.col("date").shift(-1).over("client_id", order_by="date"))
            .join(sparse, on="client_id", how="inner")
        )
        asset_days = nw.concat([dense, _weigh(ordered)])
    else:
        asset_days = stepped_asset_days(b, w, first_start)
    denom = nw.col(DENOMINATORS[denominator])
    return (
        w.join(asset_days, on=WINDOW_KEYS, how="left")
        .with_columns(
            avg_assets=_amount(_half_away(
                nw.when(denom > 0)
                .then(nw.col("asset_days").fill_null(0) / denom)
                .otherwise(nw.lit(0.0))
            ))
        )
        .select(*WINDOW_KEYS, "avg_assets")
        .to_native()
    )


def period_spans(windows: nw.LazyFrame | nw.DataFrame) -> dict[str, tuple[datetime, datetime]]:
    """Per period name, the earliest window start and latest window stop (plain values).

    Every window of the period lies in [start, stop). One small collected query on any backend.
    """
    spans = windows.group_by("period").agg(nw.col("start").min(), nw.col("stop").max())
    if isinstance(spans, nw.LazyFrame):
        spans = spans.collect()
    return {period: (start, stop) for period, start, stop in spans.iter_rows()}


def window_coverage(
    balances: nw.LazyFrame | nw.DataFrame,
    windows: nw.LazyFrame | nw.DataFrame,
    spans: dict[str, tuple[datetime, datetime]],
    *,
    sums: SpanSums | None = None,
) -> nw.LazyFrame | nw.DataFrame:
    """Per window: whether its rows cover every one of its days, and their sum.

    The balances are summed per client and period span in one pass, without ordering: the
    number of rows, their sum and their first and last date (`span_sums`; or taken from
    `sums` when it covers every span). A window is dense when those rows number its open days
    and all lie inside it, [start, stop): with one row per client and day that is a row on
    every open day, each row holds for exactly its own day, and the window's asset-days are
    the plain sum. A window with no open day and no row in its span is dense with 0
    asset-days. Any other window (a missing day, change-only rows, rows before the opening or
    after the closing inside the span) is not dense: it needs the ordered path — unless `sums`
    holds the balances carried into the spans and held after their last rows, which give
    more windows without ordering (`_stepped`); `dense` then marks those too.
    Columns: client_id, period, start, stop, rows, asset_days, dense (bool); one row per window.
    """
    wanted = {(_date(a), _date(b)) for a, b in spans.values()}
    stepped = None
    if sums is not None and wanted <= sums.spans:
        totals = nw.from_native(sums.frame)
        carried = {"tail", "carry"} <= set(totals.collect_schema())
        totals = totals.select("client_id", "span", "rows", "asset_days", "first", "last",
                               *(["tail", "carry"] if carried else []))
        if carried:
            stepped = _stepped()
    else:
        totals = span_sums(balances, list(spans.values()))
    period_span = nw.lit(None, nw.String)
    for period, span in spans.items():
        period_span = nw.when(nw.col("period") == period).then(nw.lit(span_label(*span))
                                                                ).otherwise(period_span)
    rows = nw.col("rows").fill_null(0)
    inside = (nw.col("first") >= nw.col("start")) & (nw.col("last") < nw.col("stop"))
    dense = nw.when(rows == 0).then(nw.col("open_days") == 0).otherwise(
        (rows == nw.col("open_days")) & inside)
    asset_days = nw.col("asset_days").fill_null(0)
    if stepped is not None:  # rows day after day, carried in and held to the stop
        known, step_days = stepped
        dense, asset_days = dense | known, nw.when(known).then(step_days).otherwise(asset_days)
    return (
        windows.select(*WINDOW_KEYS, "start", "stop", "open_days")
        .with_columns(span=period_span)
        .join(totals, on=["client_id", "span"], how="left")
        .with_columns(rows=rows.cast(nw.Int64), asset_days=asset_days, dense=dense)
        .select(*WINDOW_KEYS, "start", "stop", "rows", "asset_days", "dense")
    )


def _stepped() -> tuple[nw.Expr, nw.Expr]:
    """Which windows' asset-days the span sums give without ordering though not every day has
    a row, and those asset-days (`window_coverage` with tail and carry).

    A window with rows in its span, all inside the window and one on every day from the first
    to the last (with at most one row per client and day: as many rows as days), holds the
    carried balance from its start to the first row, each row for its own day, and the last
    row to its stop (no row follows inside the span): asset_days = the rows' sum + tail ×
    (stop − last − 1) + carry × (first − start). A window without a row in its span holds the
    carried balance on each of its days. A client without a sums row holds no balance row at
    all: 0. A window whose carry is not known is not summed.
    """
    first, last = _day_number(nw.col("first")), _day_number(nw.col("last"))
    start, stop = _day_number(nw.col("start")), _day_number(nw.col("stop"))
    rows, carry = nw.col("rows"), nw.col("carry")
    stepped = ((rows > 0) & (stop > start) & (first >= start) & (last < stop)
               & (last - first + 1 == rows) & ~carry.is_null())
    held = (rows == 0) & ~carry.is_null()
    days = (nw.when(stepped).then(nw.col("asset_days") + nw.col("tail") * (stop - last - 1)
                                  + carry * (first - start))
            .when(held).then(carry * nw.max_horizontal(stop - start, nw.lit(0)))
            .otherwise(nw.lit(0)))
    known = stepped.fill_null(False) | held.fill_null(False) | rows.is_null()
    return known, days


def span_sums(
    balances: nw.LazyFrame | nw.DataFrame, spans: list[tuple[datetime, datetime]]
) -> nw.LazyFrame | nw.DataFrame:
    """Per client and span [start, stop): the balance rows in it — rows, asset_days (their
    sum), first and last date. Columns: client_id, span (`span_label`), rows, asset_days,
    first, last; clients without a row in a span have no row for it. One pass when the spans
    are disjoint (the rating periods), else one filtered copy per span."""
    distinct = sorted(set(spans))
    label = nw.when(_within(distinct[0])).then(nw.lit(span_label(*distinct[0])))
    for span in distinct[1:]:
        label = label.when(_within(span)).then(nw.lit(span_label(*span)))
    disjoint = all(a[1] <= b[0] for a, b in zip(distinct, distinct[1:], strict=False))
    if disjoint:  # the rating periods: one pass labels each row with its span
        labelled = balances.with_columns(span=label.otherwise(nw.lit(None, nw.String)))
        labelled = labelled.filter(~nw.col("span").is_null())
    else:  # overlapping spans: one filtered copy per span
        labelled = nw.concat([
            balances.filter(_within(span)).with_columns(span=nw.lit(span_label(*span)))
            for span in distinct
        ])
    return labelled.group_by("client_id", "span").agg(
        nw.len().alias("rows"),
        nw.col("total_assets").sum().alias("asset_days"),
        nw.col("date").min().alias("first"),
        nw.col("date").max().alias("last"),
    )


def stepped_asset_days(
    balances: nw.LazyFrame | nw.DataFrame,
    windows: nw.LazyFrame | nw.DataFrame,
    first_start: datetime,
) -> nw.LazyFrame | nw.DataFrame:
    """Asset-days per window by the step function over every client: the ordered path.

    Each row holds from its date until the client's next row (a LEAD over the client's rows by
    date); rows superseded on or before `first_start` (the earliest window start) never weigh
    and are dropped before the join to the windows. Columns: client_id, period, asset_days;
    windows without a weighing row are absent.
    """
    ordered = (
        balances.with_columns(next_date=nw.col("date").shift(-1).over("client_id", order_by="date"))
        .filter(nw.col("next_date").is_null() | (nw.col("next_date") > nw.lit(first_start)))
        .join(windows.select(*WINDOW_KEYS, "start", "stop"), on="client_id", how="inner")
    )
    return _weigh(ordered)


def _weigh(rows: nw.LazyFrame | nw.DataFrame) -> nw.LazyFrame | nw.DataFrame:
    """Sum balance × days per window, each row's segment clipped to its window.

    `rows`: client_id, period, date, next_date (null for the client's last row), total_assets,
    start, stop. A row holds on [date, next_date) — to the window's stop when it is the last —
    and weighs on the days of that segment inside [start, stop).
    """
    weighing = rows.filter(  # a window without an open day (stop <= start) holds nothing
        nw.col("date") < nw.col("stop"),
        nw.col("next_date").is_null() | (nw.col("next_date") > nw.col("start")),
        nw.col("stop") > nw.col("start"),
    )
    seg_start = _day_number(nw.max_horizontal(nw.col("date"), nw.col("start")))
    stop = _day_number(nw.col("stop"))
    seg_stop = nw.min_horizontal(_day_number(nw.col("next_date").fill_null(nw.col("stop"))), stop)
    return (
        weighing.with_columns(asset_days=nw.col("total_assets") * (seg_stop - seg_start))
        .group_by(WINDOW_KEYS)
        .agg(nw.col("asset_days").sum())
    )


def fee_sum(
    fees: IntoFrameT, period: Period, *, fee_type: str = "management"
) -> IntoFrameT:
    """Sum of one fee type per client within a period; reversals (negative rows) net off.

    Returns client_id, fee (rounded to the cent by `round_to_cent`); clients without a row of
    that type in the period are absent.
    """
    f = nw.from_native(fees)
    return (
        f.filter(
            nw.col("fee_type") == fee_type,
            nw.col("date") >= nw.lit(_ts(period.start)),
            nw.col("date") <= nw.lit(_ts(period.end)),
        )
        .group_by("client_id")
        .agg(nw.col("amount").sum().alias("fee"))
        .with_columns(fee=round_to_cent(nw.col("fee")))
        .to_native()
    )


def round_to_cent(amount: nw.Expr) -> nw.Expr:
    """`amount` rounded to 2 decimals, half away from zero (四舍五入), the same on every backend.

    Exactly: sign(amount) × floor(|amount| × 100 + 0.5) / 100, each step in IEEE doubles, and
    a zero result is +0.0. So 0.125 gives 0.13 and -0.125 gives -0.13; 1.005 (stored as
    1.00499999…, × 100 = 100.49999999999999) gives 1.00. Each engine's own `round` differs on
    such cases (pandas rounds half to even: 0.12; Spark rounds the decimal text: 1.01), so it
    is not used.
    """
    return _amount(_half_away(amount * 100))


def to_cents(amount: nw.Expr) -> nw.Expr:
    """`amount` in whole cents (Int64), half away from zero as `round_to_cent` rounds."""
    return _half_away(amount * 100).cast(nw.Int64)


def _half_away(scaled: nw.Expr) -> nw.Expr:
    """`scaled` rounded to a whole number, half away from zero, in doubles."""
    up = (scaled + 0.5).floor()
    down = -((-scaled + 0.5).floor())
    return nw.when(scaled < 0).then(down).otherwise(up)


def _amount(cents: nw.Expr) -> nw.Expr:
    """Whole cents as an amount (a double), +0.0 for zero."""
    amount = cents.cast(nw.Float64) / 100
    return nw.when(amount == 0).then(nw.lit(0.0)).otherwise(amount)


def _date(day: date) -> date:
    """A date, from a date or a (midnight) datetime."""
    return day.date() if isinstance(day, datetime) else day


def _ts(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _within(span: tuple[datetime, datetime]) -> nw.Expr:
    """The balance row's date lies in [start, stop)."""
    return (nw.col("date") >= nw.lit(span[0])) & (nw.col("date") < nw.lit(span[1]))


def _day_number(day: nw.Expr) -> nw.Expr:
    """Days since 1 January of year 1 (proleptic Gregorian) of a date or midnight timestamp.

    Built from the year and the day of the year, which every backend has (durations and their
    `total_seconds` are not available on Spark): 365 days a year, plus a leap day every 4th
    year except centuries not divisible by 400.
    """
    years = day.dt.year().cast(nw.Int64) - 1
    leap_days = years // 4 - years // 100 + years // 400
    return years * 365 + leap_days + day.dt.ordinal_day().cast(nw.Int64) - 1
