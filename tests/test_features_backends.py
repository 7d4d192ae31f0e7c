"""The feature layer is written once with narwhals: DuckDB gives what pandas gives.

The tricky cases of SPEC 2.2 in one small set: a row before the period that carries in, rows
after the close date and after the as-of date, a change-only client, a client opened mid-year,
a client with no rows. A second set mixes dense (a row every day), sparse (change-only) and
dense-with-one-gap clients for the dense fast path. tests/test_features_spark.py runs both sets
on Spark.
"""

from __future__ import annotations

import math
from datetime import date

import narwhals as nw
import numpy as np
import pandas as pd
import pytest

from tiering import features

duckdb = pytest.importorskip("duckdb")

CLIENTS = pd.DataFrame({
    "client_id": ["a", "b", "c", "d"],
    "open_date": pd.to_datetime(["2020-01-01", "2025-07-01", "2020-01-01", "2020-01-01"]),
    "close_date": pd.to_datetime([None, None, "2025-01-10", None]),
})
BALANCES = pd.DataFrame({
    "client_id": ["a", "a", "b", "c", "c", "a"],
    "date": pd.to_datetime(["2024-06-01", "2025-07-02", "2025-07-01", "2024-01-01",
                            "2025-06-01", "2026-10-15"]),  # the last is after the as-of date
    "total_assets": [100.0, 200.0, 365.0, 1000.0, 99.0, 1_000_000.0],
})
FEES = pd.DataFrame({
    "client_id": ["a", "a", "a", "b"],
    "date": pd.to_datetime(["2025-03-31", "2025-04-01", "2026-01-01", "2025-12-31"]),
    "fee_type": ["management", "management", "management", "performance"],
    "amount": [100.0, -30.0, 5.0, 7.0],
})
PERIODS = features.rating_periods(date(2026, 9, 30))


def on_pandas() -> tuple[pd.DataFrame, pd.DataFrame]:
    windows = features.client_windows(CLIENTS, PERIODS)
    return (features.daily_average_assets(BALANCES, windows),
            features.fee_sum(FEES, PERIODS[0]))


def on_duckdb() -> tuple[pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect()
    windows = features.client_windows(con.from_df(CLIENTS), PERIODS)
    averages = features.daily_average_assets(con.from_df(BALANCES), windows)
    fees = features.fee_sum(con.from_df(FEES), PERIODS[0])
    return averages.df(), fees.df()


def tidy(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_daily_averages_are_the_same_on_duckdb_and_pandas():
    pandas_avg, _ = on_pandas()
    duck_avg, _ = on_duckdb()
    keys = ["client_id", "period"]
    pd.testing.assert_frame_equal(tidy(duck_avg, keys), tidy(pandas_avg, keys),
                                  check_dtype=False)
    # and both are right: a holds 100 for 182 days of 2025 (1 Jan-1 Jul), then 200 for 183:
    # (18,200 + 36,600) / 365 = 150.14; c is open 1-10 Jan 2025 at 1,000; d has no rows
    got = tidy(duck_avg, keys).set_index(keys)["avg_assets"].to_dict()
    assert got[("a", "last_year")] == 150.14
    assert got[("c", "last_year")] == 1000.0
    assert got[("d", "last_year")] == 0.0 and got[("d", "ytd")] == 0.0


def test_fee_sums_are_the_same_on_duckdb_and_pandas():
    _, pandas_fee = on_pandas()
    _, duck_fee = on_duckdb()
    pd.testing.assert_frame_equal(tidy(duck_fee, ["client_id"]), tidy(pandas_fee, ["client_id"]),
                                  check_dtype=False)
    assert tidy(duck_fee, ["client_id"]).values.tolist() == [["a", 70.0]]


# --- the dense fast path: dense, sparse and dense-with-one-gap clients ---------------------------
#
# Two disjoint ten-day periods, P = 1-10 Jan 2025 and Q = 11-20 Jan 2025 (Q is "as of" 20 Jan:
# rows after it must weigh nothing). Every client's expected averages are worked out below; the
# dense path (`dense_path=True`) and the ordered path (`dense_path=False`) must both give them.
P = features.Period("P", date(2025, 1, 1), date(2025, 1, 10))
Q = features.Period("Q", date(2025, 1, 11), date(2025, 1, 20))


def _days(first: int, last: int) -> list[str]:
    return [f"2025-01-{day:02d}" for day in range(first, last + 1)]


def _rows(client: str, days: list[str], values: list[float]) -> list[tuple]:
    return [(client, day, value) for day, value in zip(days, values, strict=True)]


MIXED_CLIENTS = pd.DataFrame(
    [("dense", "2024-06-01", None), ("gap", "2024-06-01", None),
     ("sparse", "2024-06-01", None), ("late", "2025-01-06", None),
     ("early_row", "2025-01-06", None), ("closed", "2024-06-01", "2025-01-13"),
     ("nothing", "2024-06-01", None), ("gone", "2024-06-01", "2024-12-15"),
     ("head", "2024-06-01", None), ("carried", "2024-06-01", None),
     ("q_head", "2024-06-01", None), ("shut", "2024-06-01", "2024-12-15")],
    columns=["client_id", "open_date", "close_date"],
).astype({"open_date": "datetime64[us]", "close_date": "datetime64[us]"})
MIXED_BALANCES = pd.DataFrame(
    # dense: a row every day, 10 x the day of the month (1 Jan = 10 ... 20 Jan = 200), plus two
    # rows before P (they never weigh: every day has its own row) and rows after Q at 10,000
    [("dense", "2024-12-30", 999.0), ("dense", "2024-12-31", 999.0)]
    + _rows("dense", _days(1, 20), [10.0 * d for d in range(1, 21)])
    + _rows("dense", _days(21, 25), [10_000.0] * 5)
    # gap: as dense from 1 Jan but 5 Jan is missing, so 4 Jan's 40 holds on 5 Jan
    + _rows("gap", [d for d in _days(1, 20) if d != "2025-01-05"],
            [10.0 * d for d in range(1, 21) if d != 5])
    # sparse: change-only rows, the first before P; the 25 Jan row is after Q
    + _rows("sparse", ["2024-12-20", "2025-01-04", "2025-01-15", "2025-01-18", "2025-01-25"],
            [300.0, 600.0, 0.0, 1000.0, 1_000_000.0])
    # late: opened 6 Jan, a row every open day at 70
    + _rows("late", _days(6, 20), [70.0] * 15)
    # early_row: opened 6 Jan; a row on 3 Jan (before the opening) and on 6-9 Jan only: five
    # rows for five open days in P, yet 10 Jan has no row of its own
    + _rows("early_row", ["2025-01-03", *_days(6, 9)], [500.0, 100.0, 200.0, 300.0, 400.0])
    # closed on 13 Jan, rows every day to 20 Jan at 10 x the day
    + _rows("closed", _days(1, 20), [10.0 * d for d in range(1, 21)])
    # gone: closed before P, rows in P and Q all the same
    + _rows("gone", _days(1, 20), [5_000.0] * 20)
    # head: no row before 4 Jan, then one every day to 20 Jan at 10 x the day
    + _rows("head", _days(4, 20), [10.0 * d for d in range(4, 21)])
    # carried: a row on 20 Dec 2024 at 300, then 4-8 Jan at 10 x the day, then none
    + _rows("carried", ["2024-12-20", *_days(4, 8)], [300.0, 40.0, 50.0, 60.0, 70.0, 80.0])
    # q_head: 1-10 Jan and 15-20 Jan at 10 x the day; nothing on 11-14 Jan
    + _rows("q_head", _days(1, 10) + _days(15, 20),
            [10.0 * d for d in [*range(1, 11), *range(15, 21)]])
    # shut: closed on 15 Dec 2024; a row before (10 Dec) and one after (5 Jan)
    + _rows("shut", ["2024-12-10", "2025-01-05"], [700.0, 900.0]),
    columns=["client_id", "date", "total_assets"],
).astype({"date": "datetime64[us]"})

MIXED_OPEN_DAYS = {
    # dense: P = 10 x (1 + ... + 10) / 10 = 550 / 10 = 55; Q = 10 x (11 + ... + 20) / 10 = 155
    ("dense", "P"): 55.0, ("dense", "Q"): 155.0,
    # gap: P = (550 - 50 + 40) / 10 = 54; Q as dense = 155
    ("gap", "P"): 54.0, ("gap", "Q"): 155.0,
    # sparse: P = (3 x 300 + 7 x 600) / 10 = 5100 / 10 = 510;
    #         Q = (4 x 600 + 3 x 0 + 3 x 1000) / 10 = 5400 / 10 = 540
    ("sparse", "P"): 510.0, ("sparse", "Q"): 540.0,
    # late: open 6-10 Jan in P = 5 days: 5 x 70 / 5 = 70; Q: 70
    ("late", "P"): 70.0, ("late", "Q"): 70.0,
    # early_row: 6-9 Jan 100 + 200 + 300 + 400, 10 Jan 400 held: 1400 / 5 = 280
    # (the 3 Jan row holds only until the opening); Q: 400 held all ten days = 400
    ("early_row", "P"): 280.0, ("early_row", "Q"): 400.0,
    # closed: P = 550 / 10 = 55; Q open 11-13 Jan: (110 + 120 + 130) / 3 = 360 / 3 = 120
    ("closed", "P"): 55.0, ("closed", "Q"): 120.0,
    # nothing: no rows; gone: closed before P, no open day
    ("nothing", "P"): 0.0, ("nothing", "Q"): 0.0, ("gone", "P"): 0.0, ("gone", "Q"): 0.0,
    # head: P = 0 on 1-3 Jan + 10 x (4 + ... + 10) = 490 / 10 = 49; Q as dense = 155
    ("head", "P"): 49.0, ("head", "Q"): 155.0,
    # carried: P = 300 on 1-3 Jan + 40 + 50 + 60 + 70 + 80 on 4-8 Jan + 80 on 9-10 Jan =
    #          900 + 300 + 160 = 1360 / 10 = 136; Q: 80 held all ten days = 80
    ("carried", "P"): 136.0, ("carried", "Q"): 80.0,
    # q_head: P as dense = 55; Q = 100 held on 11-14 Jan + 10 x (15 + ... + 20) =
    #         400 + 1050 = 1450 / 10 = 145
    ("q_head", "P"): 55.0, ("q_head", "Q"): 145.0,
    # shut: no open day in P or Q, so nothing weighs, whichever the denominator (the 10 Dec
    # row held "from 1 Jan to the close" would be -16 days)
    ("shut", "P"): 0.0, ("shut", "Q"): 0.0,
}
MIXED_ALL_DAYS = {
    **MIXED_OPEN_DAYS,
    ("late", "P"): 35.0,  # 350 / 10
    ("early_row", "P"): 140.0,  # 1400 / 10
    ("closed", "Q"): 36.0,  # 360 / 10
}
# which windows the dense path may sum without ordering (window_coverage's `dense`)
MIXED_DENSE = {("dense", "P"), ("dense", "Q"), ("gap", "Q"), ("late", "P"), ("late", "Q"),
               ("closed", "P"), ("head", "Q"), ("q_head", "P"), ("shut", "Q")}
# and which more the check's span sums give without ordering, with their asset-days in cents:
# from the balance carried into the window and the last row's, rows day after day from their
# first to their last, all inside the window (sparse P: one row, 4 Jan, carrying 300 in from
# 20 Dec: 3 x 300 + 7 x 600 = 5,100); windows without a row, holding the carried balance
# (early_row Q 10 x 400; shut Q, without an open day, 0); a client without any row (nothing)
MIXED_STEPPED = {("sparse", "P"): 510_000, ("head", "P"): 49_000, ("carried", "P"): 136_000,
                 ("q_head", "Q"): 145_000, ("carried", "Q"): 80_000, ("early_row", "Q"): 400_000,
                 ("shut", "Q"): 0, ("nothing", "P"): 0, ("nothing", "Q"): 0}


def as_dict(frame: pd.DataFrame, value: str = "avg_assets") -> dict[tuple[str, str], float]:
    """{(client_id, period): value} from a collected frame, failing on a duplicated key."""
    keys = list(zip(frame["client_id"], frame["period"], strict=True))
    assert len(keys) == len(set(keys)), f"duplicate (client, period) rows: {keys}"
    return dict(zip(keys, frame[value].tolist(), strict=True))


def mixed_on(backend: str, periods=(P, Q), **options) -> pd.DataFrame:
    """daily_average_assets of the mixed set on pandas or DuckDB, collected into pandas."""
    if backend == "pandas":
        windows = features.client_windows(MIXED_CLIENTS, periods)
        return features.daily_average_assets(MIXED_BALANCES, windows, **options)
    con = duckdb.connect()
    windows = features.client_windows(con.from_df(MIXED_CLIENTS), periods)
    return features.daily_average_assets(con.from_df(MIXED_BALANCES), windows, **options).df()


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
@pytest.mark.parametrize("dense_path", [True, False])
@pytest.mark.parametrize(("denominator", "expected"),
                         [("open_days", MIXED_OPEN_DAYS), ("all_days", MIXED_ALL_DAYS)])
def test_dense_and_ordered_paths_give_the_hand_computed_averages(
    backend, dense_path, denominator, expected
):
    got = as_dict(mixed_on(backend, denominator=denominator, dense_path=dense_path))
    assert got == expected


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
def test_only_windows_with_a_row_on_every_open_day_and_none_outside_are_dense(backend):
    if backend == "pandas":
        windows = features.client_windows(MIXED_CLIENTS, (P, Q))
        b = nw.from_native(MIXED_BALANCES)
    else:
        con = duckdb.connect()
        windows = features.client_windows(con.from_df(MIXED_CLIENTS), (P, Q))
        b = nw.from_native(con.from_df(MIXED_BALANCES))
    w = nw.from_native(windows)
    coverage = features.window_coverage(b, w, features.period_spans(w))
    if isinstance(coverage, nw.LazyFrame):
        coverage = coverage.collect(backend="pandas")
    flags = as_dict(coverage.to_pandas(), "dense")
    assert {key for key, dense in flags.items() if dense} == MIXED_DENSE
    # the dense windows' sums are their asset-days: dense P = 10 x 55 = 550
    assert as_dict(coverage.to_pandas(), "asset_days")[("dense", "P")] == 550.0


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
def test_overlapping_periods_are_each_summed_over_their_own_days(backend):
    # W = 5-15 Jan overlaps P: each balance row then belongs to two period spans
    w_period = features.Period("W", date(2025, 1, 5), date(2025, 1, 15))
    got = as_dict(mixed_on(backend, periods=(P, w_period)))
    # dense over W: 10 x (5 + ... + 15) / 11 = 1100 / 11 = 100; over P still 55
    assert got[("dense", "W")] == 100.0 and got[("dense", "P")] == 55.0
    # sparse over W: 5-14 Jan at 600 (10 days), 15 Jan at 0: 6000 / 11 = 545.4545 -> 545.45
    assert got[("sparse", "W")] == 545.45
    # gap over W: (1100 - 50 + 40) / 11 = 1090 / 11 = 99.0909 -> 99.09
    assert got[("gap", "W")] == 99.09


# --- sums found while checking the table (engines.quick_clean) stand for the coverage scan ---


def _quick_sums(tmp_path, periods=(P, Q)):
    """The mixed balances as a Parquet daily_assets table, checked by `engines.quick_clean`
    with the periods' spans; the lean relation and the SpanSums it found."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tiering import engines

    folder = tmp_path / "daily_assets"
    folder.mkdir()
    frame = MIXED_BALANCES.assign(date=MIXED_BALANCES["date"].dt.date)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "part-0.parquet")
    con = duckdb.connect()
    spans = [(p.start, date.fromordinal(p.end.toordinal() + 1)) for p in periods]
    quick = engines.quick_clean(con, folder, "daily_assets",
                                client_ids=MIXED_CLIENTS["client_id"], as_of=Q.end, spans=spans)
    lean = engines.lean_parquet(con, folder, "daily_assets", Q.end)
    sums = features.SpanSums.of_scan(frozenset(spans), quick.span_sums)
    return con, quick, lean, sums


@pytest.mark.parametrize("denominator", ["open_days", "all_days"])
def test_the_checks_span_sums_give_the_hand_computed_averages(tmp_path, denominator):
    con, quick, lean, sums = _quick_sums(tmp_path)
    # 121 rows, of which dense's five of 21-25 Jan and sparse's of 25 Jan are after 20 Jan
    assert (quick.rows, quick.late) == (len(MIXED_BALANCES), 6)
    windows = features.client_windows(con.from_df(MIXED_CLIENTS), (P, Q))
    got = features.daily_average_assets(lean, windows, denominator=denominator, sums=sums)
    assert as_dict(got.df()) == (MIXED_OPEN_DAYS if denominator == "open_days"
                                 else MIXED_ALL_DAYS)


def test_the_checks_span_sums_sum_windows_with_rows_day_after_day_without_ordering(tmp_path):
    con, _, lean, sums = _quick_sums(tmp_path)
    w = nw.from_native(features.client_windows(con.from_df(MIXED_CLIENTS), (P, Q)))
    coverage = features.window_coverage(nw.from_native(lean), w, features.period_spans(w),
                                        sums=sums).collect(backend="pandas").to_pandas()
    flags = as_dict(coverage, "dense")
    assert {key for key, known in flags.items() if known} == MIXED_DENSE | set(MIXED_STEPPED)
    days = as_dict(coverage, "asset_days")
    assert {key: days[key] for key in MIXED_STEPPED} == MIXED_STEPPED
    # without the carried value (not known) the window goes to the ordered path
    unknown = features.SpanSums(sums.spans, nw.from_native(sums.frame).with_columns(
        carry=nw.when(nw.col("client_id") == "carried").then(None).otherwise(nw.col("carry"))
    ).to_native())
    coverage = features.window_coverage(nw.from_native(lean), w, features.period_spans(w),
                                        sums=unknown).collect(backend="pandas").to_pandas()
    assert not as_dict(coverage, "dense")[("carried", "P")]
    got = as_dict(features.daily_average_assets(lean, w.to_native(), sums=unknown).df())
    assert got == MIXED_OPEN_DAYS


def test_span_sums_are_read_when_they_cover_the_spans_and_left_alone_otherwise(tmp_path):
    con, _, lean, sums = _quick_sums(tmp_path)
    windows = features.client_windows(con.from_df(MIXED_CLIENTS), (P, Q))
    # dense's P rows summed to 550 by the scan; sums that say 1,100 make its average 110,
    # which shows the averages took the given sums rather than reading the balances
    in_p = (nw.col("client_id") == "dense") & (nw.col("span") == "2025-01-01/2025-01-11")
    doubled = features.SpanSums(sums.spans, nw.from_native(sums.frame).with_columns(
        asset_days=nw.when(in_p).then(nw.col("asset_days") * 2).otherwise(nw.col("asset_days"))
    ).to_native())
    got = as_dict(features.daily_average_assets(lean, windows, sums=doubled).df())
    assert got[("dense", "P")] == 110.0 and got[("dense", "Q")] == 155.0
    # sums for other spans than the windows' are not used: the table is read again
    elsewhere = features.SpanSums(frozenset({(date(2024, 1, 1), date(2024, 1, 11))}),
                                  doubled.frame)
    got = as_dict(features.daily_average_assets(lean, windows, sums=elsewhere).df())
    assert got == MIXED_OPEN_DAYS


# --- whole cents: exact asset-days, whatever order an engine adds them in -----------------------


def _cent_balances(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """200 clients open all of P (1-10 Jan 2025), random cent balances: 100 with a row every
    day, 100 with rows on random days only (the 1st always); the rows shuffled. And the
    averages worked out with fractions: each day holds the last row's cents, half away from
    zero over the ten days."""
    from fractions import Fraction

    rng = np.random.default_rng(seed)
    rows, expected, ties = [], {}, 0
    for i in range(200):
        client = f"c{i:03d}"
        days = range(1, 11) if i < 100 else sorted({1, *rng.integers(2, 11, 3).tolist()})
        cents = rng.integers(0, 10**9, len(days)).tolist()
        held = {}
        for day in range(1, 11):
            if day in days:
                current = cents[list(days).index(day)]
            held[day] = current
        exact = Fraction(sum(held.values()), 10)
        ties += exact - int(exact) == Fraction(1, 2)
        rounded = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        expected[(client, "P")] = rounded / 100
        rows += [(client, f"2025-01-{d:02d}", c / 100) for d, c in zip(days, cents, strict=True)]
    frame = pd.DataFrame(rows, columns=["client_id", "date", "total_assets"]).astype(
        {"date": "datetime64[us]"}).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    clients = pd.DataFrame({"client_id": [f"c{i:03d}" for i in range(200)],
                            "open_date": pd.to_datetime(["2024-01-01"] * 200)})
    assert ties > 5  # exact half cents, where adding doubles in another order could round
    return clients, frame, expected  # the other way


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
@pytest.mark.parametrize("dense_path", [True, False])
def test_averages_of_cent_balances_are_exact_in_any_row_order(backend, dense_path):
    for seed in (1, 2):
        clients, frame, expected = _cent_balances(seed)
        if backend == "pandas":
            windows = features.client_windows(clients, (P,))
            got = features.daily_average_assets(frame, windows, dense_path=dense_path)
        else:
            con = duckdb.connect()
            windows = features.client_windows(con.from_df(clients), (P,))
            got = features.daily_average_assets(con.from_df(frame), windows,
                                                dense_path=dense_path).df()
        assert as_dict(got) == expected


# --- rounding and day counts: the same on every backend ------------------------------------------

ROUNDING = pd.DataFrame({"amount": [0.125, 1.005, -0.125, -1.005, -0.004, 2.675]})
# The rule works on amount x 100 as computed in doubles, then half away from zero:
# 0.125 x 100 = 12.5 exactly -> 13 -> 0.13, and -0.13 for -0.125 (pandas' own round: 0.12);
# 1.005 is stored as 1.00499999999999989..., x 100 = 100.49999999999999 -> 100 -> 1.00
# (Spark's own round works on the decimal text "1.005" and gives 1.01);
# -0.004 -> -0.4 -> 0, shown as 0.0 (not -0.0);
# 2.675 is stored as 2.67499999999999982..., but x 100 rounds to exactly 267.5 -> 268 -> 2.68
ROUNDED = [0.13, 1.0, -0.13, -1.0, 0.0, 2.68]


def rounded(frame) -> list[float]:
    out = nw.from_native(frame).select(cents=features.round_to_cent(nw.col("amount")))
    if isinstance(out, nw.LazyFrame):
        out = out.collect(backend="pandas")
    return out["cents"].to_list()


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
def test_rounding_to_the_cent_is_half_away_from_zero_of_the_hundredfold_double(backend):
    frame = ROUNDING if backend == "pandas" else duckdb.connect().from_df(ROUNDING)
    got = rounded(frame)
    assert got == ROUNDED
    assert math.copysign(1.0, got[4]) == 1.0


CENTURIES = pd.DataFrame({
    "client_id": ["1900", "2000", "2100"],
    "open_date": pd.to_datetime(["1899-01-01", "1999-01-01", "2099-01-01"]),
})


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
def test_open_days_count_leap_days_by_the_gregorian_rule(backend):
    periods = tuple(features.Period(str(y), date(y, 1, 1), date(y, 3, 1))
                    for y in (1900, 2000, 2100))
    frame = CENTURIES if backend == "pandas" else duckdb.connect().from_df(CENTURIES)
    windows = nw.from_native(features.client_windows(frame, periods))
    if isinstance(windows, nw.LazyFrame):
        windows = windows.collect(backend="pandas")
    got = {(c, p): d for c, p, d in windows.select("client_id", "period", "open_days").iter_rows()
           if c == p}
    # 1 Jan - 1 Mar: 31 + 28 + 1 = 60 days in 1900 and 2100 (centuries not divisible by 400),
    # 31 + 29 + 1 = 61 in 2000
    assert got == {("1900", "1900"): 60, ("2000", "2000"): 61, ("2100", "2100"): 60}


def test_unknown_denominator_is_refused_with_the_choices():
    windows = features.client_windows(CLIENTS, PERIODS)
    with pytest.raises(ValueError, match="open_days"):
        features.daily_average_assets(BALANCES, windows, denominator="calendar_days")


@pytest.mark.parametrize("backend", ["pandas", "duckdb"])
def test_no_clients_gives_an_empty_table_not_an_error(backend):
    no_clients = CLIENTS.iloc[:0]
    if backend == "pandas":
        got = features.daily_average_assets(BALANCES, features.client_windows(no_clients, PERIODS))
    else:
        con = duckdb.connect()
        windows = features.client_windows(con.from_df(no_clients), PERIODS)
        got = features.daily_average_assets(con.from_df(BALANCES), windows).df()
    assert len(got) == 0
    assert list(got.columns) == ["client_id", "period", "avg_assets"]


def test_the_kept_coverage_gives_the_same_averages_from_one_scan(tmp_path):
    from tiering.sessions import Session

    path = tmp_path / "balances.parquet"
    BALANCES.to_parquet(path, index=False)
    session = Session.start("duckdb")
    try:
        balances = session.con.sql(f"SELECT * FROM read_parquet('{path}')")
        windows = session.lift(features.client_windows(CLIENTS, PERIODS))
        kept = features.daily_average_assets(balances, windows, keep=session.keep)
        # the coverage is a table now: the final query reads the file once (the sparse
        # clients' rows), not also twice more for the dense and sparse coverage
        plan = session.con.sql("EXPLAIN " + kept.sql_query()).fetchall()[0][1]
        assert plan.upper().count("READ_PARQUET") == 1
        assert session.con.sql("SELECT count(*) FROM tiering_kept_1").fetchall()[0][0] == 8
        got = tidy(session.collect(kept), ["client_id", "period"])
    finally:
        session.close()
    # 4 clients x 2 periods; the same figures as without keeping (hand-checked above)
    pandas_avg, _ = on_pandas()
    pd.testing.assert_frame_equal(got, tidy(pandas_avg, ["client_id", "period"]),
                                  check_dtype=False)
