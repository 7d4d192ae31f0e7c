"""The daily sample: change-only balances written out day by day, as Parquet, with the same
daily averages as the change-only rows (SPEC 2.2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from tiering import features
from tiering.sample import SAMPLE_END, generate_sample
from tiering.sample.daily import daily_rows, write_daily_sample

PARAMS = Path(__file__).resolve().parents[1] / "params"
N = 200
CHUNK = 64  # 200 clients -> parts of 64, 64, 64 and 8 clients
AS_OF = date(2026, 9, 30)
END = pd.Timestamp(SAMPLE_END)


def _questionnaire() -> dict[str, dict[str, float]]:
    raw = yaml.safe_load((PARAMS / "questionnaire.yaml").read_text(encoding="utf-8"))
    return {q["id"]: {k: o["points"] for k, o in q["options"].items()}
            for q in raw["questions"]}


QUIZ = _questionnaire()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("daily")
    counts = write_daily_sample(out, clients=N, questionnaire=QUIZ, chunk_clients=CHUNK)
    return out, counts


@pytest.fixture(scope="module")
def change_only() -> dict[str, pd.DataFrame]:
    return generate_sample(N, questionnaire=QUIZ)


@pytest.fixture(scope="module")
def daily(written) -> pd.DataFrame:
    out, _ = written
    frame = pd.read_parquet(out / "daily_assets")
    return frame.assign(date=pd.to_datetime(frame["date"]).astype("datetime64[ns]"))


def _ts(*ymd: int) -> pd.Timestamp:
    return pd.Timestamp(*ymd)


def test_daily_rows_hold_each_balance_until_the_next_row_and_through_the_close_date():
    clients = pd.DataFrame({
        "client_id": ["C2", "C1", "C3"],
        "open_date": [_ts(2020, 1, 1), _ts(2025, 12, 1), _ts(2020, 1, 1)],
        "close_date": [pd.NaT, _ts(2026, 1, 5), _ts(2026, 1, 2)],
    })
    rows = pd.DataFrame({
        "client_id": ["C1", "C1", "C1", "C2", "C2", "C2", "C3", "C9"],
        "date": [_ts(2026, 1, 3), _ts(2026, 1, 1), _ts(2026, 1, 7), _ts(2026, 11, 25),
                 _ts(2026, 11, 26), _ts(2026, 11, 26), _ts(2026, 1, 3), _ts(2026, 1, 1)],
        "total_assets": [50.0, 100.0, 999.0, 10.0, 20.0, 25.0, 7.0, 1.0],
    })
    got = daily_rows(rows, clients, date(2026, 11, 27)).to_pandas()
    # C1: 100 on 1-2 Jan, 50 from 3 Jan through the close date 5 Jan; the row of 7 Jan comes
    #     after the close and holds no day.
    # C2: never closed, runs to the end 27 Nov; of the two rows of 26 Nov the later (25) holds.
    # C3: its only row is after its close date: no rows. C9 is not a client: no rows.
    assert got["client_id"].tolist() == ["C1"] * 5 + ["C2"] * 3
    assert got["date"].tolist() == [date(2026, 1, d) for d in (1, 2, 3, 4, 5)] + [
        date(2026, 11, d) for d in (25, 26, 27)]
    assert got["total_assets"].tolist() == [100.0, 100.0, 50.0, 50.0, 50.0, 10.0, 25.0, 25.0]


def test_each_client_has_one_row_per_day_from_its_first_row_through_its_last_day_open(
    daily, change_only
):
    clients = change_only["clients"].set_index("client_id")
    first = change_only["daily_assets"].groupby("client_id")["date"].min()
    last = clients["close_date"].fillna(END).clip(upper=END).reindex(first.index)
    expected = ((last - first).dt.days + 1).clip(lower=0)
    counts = daily.groupby("client_id").size().reindex(first.index, fill_value=0)
    pd.testing.assert_series_equal(counts, expected, check_names=False, check_dtype=False)
    assert set(daily["client_id"]) <= set(first.index)


def test_dates_follow_day_by_day_sorted_without_gaps_or_duplicates(daily):
    same_client = daily["client_id"].eq(daily["client_id"].shift())
    step = daily["date"].diff().dt.days
    assert (step[same_client] == 1).all()
    assert daily["client_id"].is_monotonic_increasing
    assert not daily.duplicated(["client_id", "date"]).any()


def test_every_day_carries_the_change_only_balance_in_force(daily, change_only):
    rows = change_only["daily_assets"].sort_values("date", kind="mergesort")
    in_force = pd.merge_asof(
        daily.sort_values("date", kind="mergesort"), rows.rename(
            columns={"total_assets": "expected"}),
        on="date", by="client_id", direction="backward",
    )
    assert in_force["expected"].notna().all()
    np.testing.assert_array_equal(in_force["total_assets"], in_force["expected"])


def test_daily_averages_equal_those_of_the_change_only_rows(daily, change_only):
    clients = change_only["clients"][["client_id", "open_date", "close_date"]]
    windows = features.client_windows(clients, features.rating_periods(AS_OF))
    key = ["client_id", "period"]

    def averages(balances: pd.DataFrame) -> pd.DataFrame:
        got = features.daily_average_assets(balances, windows)
        return got.sort_values(key).reset_index(drop=True)

    from_daily = averages(daily)
    from_change_only = averages(change_only["daily_assets"])
    pd.testing.assert_frame_equal(from_daily, from_change_only)
    assert (from_daily["avg_assets"] > 0).sum() > N  # most clients hold assets in both periods


def test_parquet_is_readable_by_pandas_and_duckdb_with_the_stated_types(written, daily):
    out, counts = written
    parts = sorted(p.name for p in (out / "daily_assets").iterdir())
    assert parts == ["part-0000.parquet", "part-0001.parquet", "part-0002.parquet",
                     "part-0003.parquet"]
    assert counts["daily_assets"] == len(daily)
    glob = str(out / "daily_assets" / "*.parquet")
    described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{glob}')").fetchall()
    assert [(name, kind) for name, kind, *_ in described] == [
        ("client_id", "VARCHAR"), ("date", "DATE"), ("total_assets", "DOUBLE")]
    [(rows,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()
    assert rows == len(daily)
    raw = pd.read_parquet(out / "daily_assets")
    assert pd.api.types.is_string_dtype(raw["client_id"])
    for name in ("clients", "fees", "transactions", "holdings", "risk_assessments"):
        assert len(pd.read_parquet(out / f"{name}.parquet")) == counts[name]
    assert "daily_assets" not in {p.stem for p in out.iterdir() if p.is_file()}


def test_same_arguments_write_the_same_bytes(written, tmp_path):
    out, _ = written
    write_daily_sample(tmp_path, clients=N, questionnaire=QUIZ, chunk_clients=CHUNK)

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in sorted(folder.rglob("*.parquet"))}

    first, again = files(out), files(tmp_path)
    assert list(first) == list(again)
    assert first == again


def test_a_daily_assets_file_next_to_the_folder_is_refused(tmp_path):
    (tmp_path / "daily_assets.csv").write_text("client_id,date,total_assets\n")
    with pytest.raises(FileExistsError, match="daily_assets.csv"):
        write_daily_sample(tmp_path, clients=N, questionnaire=QUIZ)
