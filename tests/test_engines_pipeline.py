"""The same small data set through the pandas, DuckDB and Spark engines (issue 7): byte-identical
classification.csv, including rows before the period, after the close date, after the as-of
date, change-only and daily rows. Hand-computed averages pin what all three must give."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tiering.cli import main

PARAMS = str(Path(__file__).parents[1] / "params")

CLIENTS = """client_id,name,client_type,open_date,close_date
A,甲,individual,2020-01-01,
B,乙,individual,2020-01-01,
D,丁,individual,2020-01-01,2026-03-31
E,戊,individual,2020-01-01,
F,己,individual,2020-01-01,
G,庚,individual,2020-01-01,
H,辛,individual,2026-07-01,
"""


def balances() -> pd.DataFrame:
    rows = [
        ("A", "2024-06-01", 6_000_000.0),  # before both periods: holds throughout -> vip
        # change-only: 2025 = (181 x 400,000 + 184 x 600,000) / 365 = 500,821.92 -> core_b
        ("B", "2025-01-01", 400_000.0), ("B", "2025-07-01", 600_000.0),
        # closed 2026-03-31 (excluded); a row after its close date must not matter
        ("D", "2025-01-01", 300_000.0), ("D", "2026-05-01", 9_000_000.0),
        # 2025 all year 50,000 (ordinary); the 1 October 2026 row is after the as-of date
        ("E", "2025-01-01", 50_000.0), ("E", "2026-10-01", 90_000_000.0),
        # opened 2026-07-01, 1,000,000 from 2026-08-01: YTD open days 92, held 61
        # -> 61,000,000 / 92 = 663,043.48 -> core_b
        ("H", "2026-08-01", 1_000_000.0),
    ]
    # F: one row per day from 2025-01-01 to 2026-10-05 (daily rows, some after the as-of
    # date), 200,000 every day -> potential on both years
    day = date(2025, 1, 1)
    while day <= date(2026, 10, 5):
        rows.append(("F", day.isoformat(), 200_000.0))
        day += timedelta(days=1)
    frame = pd.DataFrame(rows, columns=["client_id", "date", "total_assets"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


# B's 2025 management fee: 8,000 + 5,000 - 1,000 (a reversal) = 12,000 -> core A (fee in
# [10,000, 50,000) is checked before core B); E's fee of 2026-10-05 is after the as-of date
FEES = """client_id,date,fee_type,amount
B,2025-03-31,management,8000
B,2025-06-30,management,5000
B,2025-07-15,management,-1000
B,2025-08-01,subscription,70000
E,2026-10-05,management,99999
"""


def write_data(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    (folder / "fees.csv").write_text(FEES, encoding="utf-8")
    table = pa.Table.from_pandas(balances(), preserve_index=False)
    parts = folder / "daily_assets"
    parts.mkdir()
    pq.write_table(table.slice(0, 5), parts / "part-0000.parquet")  # two files: a folder
    pq.write_table(table.slice(5), parts / "part-0001.parquet")
    return folder


def classify(data: Path, out: Path, engine: str, *extra: str):
    return CliRunner().invoke(main, [
        "classify", "--data", str(data), "--as-of", "2026-09-30", "--cycle", "quarterly",
        "--out", str(out), "--params", PARAMS, "--history", str(out.parent / f"{engine}.sqlite"),
        "--run-date", "2026-10-09", "--engine", engine, *extra], catch_exceptions=False)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_data(tmp_path_factory.mktemp("engines") / "data")


@pytest.fixture(scope="module")
def by_pandas(data: Path) -> Path:
    out = data.parent / "pandas"
    result = classify(data, out, "pandas")
    assert result.exit_code == 0, result.output
    return out


def test_pandas_engine_gives_the_hand_computed_figures(by_pandas: Path):
    table = read(by_pandas / "classification.csv").set_index("client_id")
    assert list(table.index) == ["A", "B", "E", "F", "G", "H"]
    assert table.loc["A", "tier"] == "vip"
    assert table.loc["B", "avg_assets_last_year"] == "500821.92"
    assert table.loc["B", "mgmt_fee_last_year"] == "12000.00"
    assert table.loc["B", "tier"] == "core_a"
    assert table.loc["E", "avg_assets_ytd"] == "50000.00" and table.loc["E", "tier"] == "ordinary"
    assert table.loc["F", "avg_assets_last_year"] == "200000.00"
    assert table.loc["F", "avg_assets_ytd"] == "200000.00" and table.loc["F", "tier"] == "potential"
    assert table.loc["G", "avg_assets_ytd"] == "0.00"
    assert table.loc["H", "avg_assets_ytd"] == "663043.48" and table.loc["H", "tier"] == "core_b"
    assert read(by_pandas / "excluded.csv")["client_id"].tolist() == ["D"]


def test_duckdb_engine_gives_byte_identical_tables(data: Path, by_pandas: Path):
    out = data.parent / "duckdb"
    result = classify(data, out, "duckdb")
    assert result.exit_code == 0, result.output
    for name in ("classification.csv", "excluded.csv", "findings.csv"):
        assert (out / name).read_bytes() == (by_pandas / name).read_bytes(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    expected = json.loads((by_pandas / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "duckdb" and expected["engine"] == "pandas"
    # D's row of 2026-05-01 is before the as-of date; E's 1 Oct and F's 1-5 Oct rows are not
    assert manifest["rows"]["left_out_after_as_of"]["daily_assets"] == 6
    assert manifest["rows"]["left_out_after_as_of"]["fees"] == 1
    assert manifest["rows"]["left_out_after_as_of"] == expected["rows"]["left_out_after_as_of"]
    assert manifest["inputs"] == expected["inputs"]


def test_parquet_balances_choose_duckdb_by_default(data: Path, tmp_path: Path):
    result = CliRunner().invoke(main, [
        "classify", "--data", str(data), "--as-of", "2026-09-30", "--cycle", "adhoc",
        "--out", str(tmp_path / "out"), "--params", PARAMS,
        "--history", str(tmp_path / "h.sqlite")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "duckdb"


def test_bad_balance_rows_are_reported_by_the_engine_and_nothing_is_written(
        data: Path, tmp_path: Path):
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    frame = pd.DataFrame({"client_id": ["A", "Z"], "date": [date(2025, 3, 1), date(2025, 3, 2)],
                          "total_assets": [-5.0, 10.0]})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                   bad / "daily_assets" / "part-0002.parquet")
    out = tmp_path / "out"
    result = classify(bad, out, "duckdb")
    assert result.exit_code == 2
    # part-0002's first row is row 2 (as a spreadsheet shows it), its second row 3
    assert "daily_assets" in result.output and "total_assets" in result.output
    assert "-5" in result.output and "must be ≥ 0" in result.output
    assert "Z" in result.output and "part-0002.parquet" in result.output
    assert not out.exists()
    quarantined = classify(bad, tmp_path / "q", "duckdb", "--quarantine")
    assert quarantined.exit_code == 2 and "--engine pandas" in quarantined.output
    assert not (tmp_path / "q").exists()


def test_an_unreadable_balance_file_is_reported_not_raised(data: Path, tmp_path: Path):
    # the scan that runs while the small tables are checked cannot read it either: the
    # detailed check then names the file
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    (bad / "daily_assets" / "part-0002.parquet").write_bytes(b"not a parquet file at all")
    result = classify(bad, tmp_path / "out", "duckdb")
    assert result.exit_code == 2, result.output
    assert "daily_assets" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_bad_small_table_stops_the_run_while_the_balances_are_scanned(
        data: Path, tmp_path: Path):
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    (bad / "clients.csv").write_text(CLIENTS.replace("2020-01-01,\nB", "2020-13-45,\nB"),
                                     encoding="utf-8")
    result = classify(bad, tmp_path / "out", "duckdb")
    assert result.exit_code == 2, result.output
    assert "clients" in result.output and "2020-13-45" in result.output
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("tiering-tests")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.log.level", "ERROR")
               .getOrCreate())
    yield session
    session.stop()


def test_spark_engine_gives_byte_identical_tables(spark, data: Path, by_pandas: Path):
    out = data.parent / "spark"
    result = classify(data, out, "spark")
    assert result.exit_code == 0, result.output
    for name in ("classification.csv", "excluded.csv", "findings.csv"):
        assert (out / name).read_bytes() == (by_pandas / name).read_bytes(), name
    assert spark.getActiveSession() is not None  # the test's session was used, not stopped


def test_spark_engine_reports_negative_assets_by_key(spark, data: Path, tmp_path: Path):
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    frame = pd.DataFrame({"client_id": ["A"], "date": [date(2025, 3, 1)],
                          "total_assets": [-5.0]})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                   bad / "daily_assets" / "part-0002.parquet")
    result = classify(bad, tmp_path / "out", "spark")
    assert result.exit_code == 2
    assert "must be ≥ 0" in result.output and "client_id A, date 2025-03-01" in result.output
    assert not (tmp_path / "out").exists()


def test_sample_daily_writes_parquet_that_the_default_engine_reads(tmp_path: Path):
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["sample", "--out", str(data), "--clients", "150",
                                       "--daily", "--params", PARAMS], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (data / "clients.parquet").is_file()
    assert list((data / "daily_assets").glob("part-*.parquet"))
    # every printed count is the rows written: daily_assets has one row per client and day
    rows = pq.ParquetDataset(data / "daily_assets").read().num_rows
    assert f"daily_assets {rows:,}" in result.output
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, [
        "classify", "--data", str(data), "--as-of", "2026-09-30", "--cycle", "quarterly",
        "--out", str(out), "--params", PARAMS, "--history", str(tmp_path / "h.sqlite")],
        catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "duckdb"
    assert manifest["inputs"]["daily_assets"]["rows"] == rows
