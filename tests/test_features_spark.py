"""The feature layer on PySpark (local mode) gives what pandas gives, from the same code.

The two data sets of tests/test_features_backends.py (the SPEC 2.2 tricky cases on the rating
periods; dense, sparse and dense-with-one-gap clients on two ten-day periods) go through Spark:
the results, collected and sorted, must equal pandas' and the hand-computed figures. One local
SparkSession serves the whole module; each test runs few Spark queries to keep this file quick.
Skipped, with the reason, when pyspark or a Java runtime is missing.
"""

from __future__ import annotations

import math
import os
import shutil
from datetime import date

import narwhals as nw
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (the optional `spark` extra)")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java runtime for Spark (java not on PATH, JAVA_HOME unset)",
                allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

from test_features_backends import (  # noqa: E402
    BALANCES,
    CLIENTS,
    FEES,
    MIXED_ALL_DAYS,
    MIXED_BALANCES,
    MIXED_CLIENTS,
    MIXED_OPEN_DAYS,
    PERIODS,
    ROUNDED,
    ROUNDING,
    P,
    Q,
    as_dict,
)
from tiering import features  # noqa: E402
from tiering.rfm import aggregate_pandas  # noqa: E402
from tiering.rfm_params import RfmParams  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = (
        SparkSession.builder.master("local[1]")
        .appName("tiering-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def collected(frame) -> pd.DataFrame:
    """A Spark DataFrame (checked to be one) as pandas."""
    assert type(frame).__module__.startswith("pyspark."), type(frame)
    return frame.toPandas()


def tidy(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_daily_averages_and_fee_sums_on_spark_equal_pandas(spark):
    windows = features.client_windows(spark.createDataFrame(CLIENTS), PERIODS)
    got = collected(features.daily_average_assets(spark.createDataFrame(BALANCES), windows))
    want = features.daily_average_assets(BALANCES, features.client_windows(CLIENTS, PERIODS))
    keys = ["client_id", "period"]
    pd.testing.assert_frame_equal(tidy(got, keys), tidy(want, keys), check_dtype=False)
    # a: 182 days of 2025 at 100 then 183 at 200: (18,200 + 36,600) / 365 = 150.14; the
    # 1,000,000 row after the as-of date weighs nothing: ytd 200. b: opened 1 Jul 2025, 365
    # every open day. c: open 1-10 Jan 2025 at 1,000 (the 99 row is after the close), 0 open
    # days in the ytd. d: no rows.
    assert as_dict(got) == {
        ("a", "last_year"): 150.14, ("a", "ytd"): 200.0, ("b", "last_year"): 365.0,
        ("b", "ytd"): 365.0, ("c", "last_year"): 1000.0, ("c", "ytd"): 0.0,
        ("d", "last_year"): 0.0, ("d", "ytd"): 0.0,
    }
    fee = collected(features.fee_sum(spark.createDataFrame(FEES), PERIODS[0]))
    # a: 100 - 30 in 2025 (the 2026 row is out, b's row is a performance fee) = 70
    assert fee.values.tolist() == [["a", 70.0]]


def test_client_windows_on_spark_give_the_open_days(spark):
    got = collected(features.client_windows(spark.createDataFrame(MIXED_CLIENTS), (P, Q)))
    open_days = as_dict(got, "open_days")
    # late opened 6 Jan: 6-10 Jan = 5 days of P; closed on 13 Jan: 11-13 Jan = 3 days of Q;
    # gone closed in 2024: 0 days
    assert (open_days[("late", "P")], open_days[("closed", "Q")], open_days[("gone", "P")]) == (
        5, 3, 0)
    assert set(as_dict(got, "period_days").values()) == {10}


@pytest.mark.parametrize(("denominator", "dense_path", "expected"), [
    ("open_days", True, MIXED_OPEN_DAYS),
    ("all_days", True, MIXED_ALL_DAYS),
    ("open_days", False, MIXED_OPEN_DAYS),
])
def test_dense_sparse_and_gapped_clients_on_spark_give_the_hand_computed_averages(
    spark, denominator, dense_path, expected
):
    # the figures are worked out next to MIXED_OPEN_DAYS in tests/test_features_backends.py
    windows = features.client_windows(spark.createDataFrame(MIXED_CLIENTS), (P, Q))
    got = collected(features.daily_average_assets(
        spark.createDataFrame(MIXED_BALANCES), windows,
        denominator=denominator, dense_path=dense_path,
    ))
    assert as_dict(got) == expected
    want = features.daily_average_assets(
        MIXED_BALANCES, features.client_windows(MIXED_CLIENTS, (P, Q)),
        denominator=denominator, dense_path=dense_path,
    )
    keys = ["client_id", "period"]
    pd.testing.assert_frame_equal(tidy(got, keys), tidy(want, keys), check_dtype=False)


def test_rounding_to_the_cent_on_spark_is_the_same_as_elsewhere(spark):
    # worked out next to ROUNDED in tests/test_features_backends.py; Spark's own round would
    # give 1.01 for 1.005
    out = nw.from_native(spark.createDataFrame(ROUNDING)).select(
        cents=features.round_to_cent(nw.col("amount"))
    )
    got = out.collect(backend="pandas")["cents"].to_list()
    assert got == ROUNDED
    assert math.copysign(1.0, got[4]) == 1.0


def test_rfm_aggregation_on_spark_equals_pandas(spark):
    as_of = date(2026, 9, 30)
    trades = pd.DataFrame({
        "client_id": ["a", "a", "a", "b", "b", "c"],
        "trade_date": pd.to_datetime(["2026-09-30", "2025-10-01", "2025-09-30", "2026-01-02",
                                      "2026-10-01", "2026-03-01"]),
        "side": ["purchase", "subscribe", "purchase", "purchase", "purchase", "redeem"],
        "amount": [10.5, 1.25, 9.0, 1.005, 50.0, 4.0],
    })
    got = aggregate_pandas(spark.createDataFrame(trades), as_of=as_of, params=RfmParams())
    want = aggregate_pandas(trades, as_of=as_of, params=RfmParams())
    pd.testing.assert_frame_equal(got, want)
    # 365-day window = 1 Oct 2025 - 30 Sep 2026. a: 10.5 + 1.25 in it (30 Sep 2025 is out) =
    # 11.75; b: 1.005 -> 1.00 (the 1 Oct 2026 trade is after the as-of date); c only redeems
    assert got[["client_id", "frequency", "monetary"]].values.tolist() == [
        ["a", 2, 11.75], ["b", 1, 1.0]]
