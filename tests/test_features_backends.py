"""The feature layer is written once with narwhals: DuckDB gives what pandas gives.

The tricky cases of SPEC 2.2 in one small set: a row before the period that carries in, rows
after the close date, a change-only client, a client opened mid-year, a client with no rows.
"""

from __future__ import annotations

from datetime import date

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
    "client_id": ["a", "a", "b", "c", "c"],
    "date": pd.to_datetime(["2024-06-01", "2025-07-02", "2025-07-01", "2024-01-01",
                            "2025-06-01"]),
    "total_assets": [100.0, 200.0, 365.0, 1000.0, 99.0],
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
