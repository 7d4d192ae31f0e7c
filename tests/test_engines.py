"""Large tables checked in DuckDB: the same problems, in the same words, as the pandas checks.

Every file is written here with its defects at known rows. A CSV's header is row 1, so the
n-th data line is row n + 1; a Parquet file's first row is row 2 as well (``loading``'s rule).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tiering import engines, validation
from tiering.loading import InputFileError, read_table

duckdb = pytest.importorskip("duckdb")

AS_OF = date(2026, 9, 30)
CLIENTS = "client_id,name,client_type,open_date\nC1,A,individual,2020-01-01\n" \
          "C2,B,institution,2020-01-01\n"
FEE_TYPES = "('management', 'performance', 'subscription', 'redemption', 'other')"


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def rows(problems: pd.DataFrame) -> list[tuple]:
    """Problems as plain tuples: (row or None, column, value, problem)."""
    return [(None if pd.isna(r) else int(r), c, None if v is None or v != v else v, p)
            for r, c, v, p in zip(problems["row"], problems["column"], problems["value"],
                                  problems["problem"], strict=True)]


def check(con, folder: Path, table: str, **options) -> engines.CheckedTable:
    options.setdefault("client_ids", ["C1", "C2"])
    options.setdefault("as_of", AS_OF)
    return engines.check_big_table(con, engines.open_table(con, folder, table), table,
                                   **options)


def pandas_problems(folder: Path, table: str) -> pd.DataFrame:
    """What the pandas engine reports for ``table`` (with the clients table beside it)."""
    raw = {"clients": read_table(folder / "clients.csv", "clients")}
    raw[table] = read_table(next(folder.glob(f"{table}.*")), table)
    _, problems = validation.validate(raw)
    return problems[problems["table"] == table]


# --------------------------------------------------------------------------- choosing


def test_duckdb_is_the_default_engine_only_when_daily_assets_is_parquet(tmp_path):
    assert engines.ENGINES == ("pandas", "duckdb", "spark")
    assert engines.default_engine(tmp_path) == "pandas"  # no daily_assets at all
    write(tmp_path, "daily_assets.csv", "client_id,date,total_assets\n")
    assert engines.default_engine(tmp_path) == "pandas"
    (tmp_path / "daily_assets.csv").unlink()
    folder = tmp_path / "daily_assets"
    folder.mkdir()
    pq.write_table(pa.table({"client_id": ["C1"]}), folder / "part-0.parquet")
    assert engines.default_engine(tmp_path) == "duckdb"
    other = tmp_path / "single"
    other.mkdir()
    pq.write_table(pa.table({"client_id": ["C1"]}), other / "daily_assets.parquet")
    assert engines.default_engine(other) == "duckdb"


# --------------------------------------------------------------------------- CSV


DAILY = (
    "client_id,date,total_assets\n"
    "C1,2026-01-05,100\n"        # row 2: fine
    "C1,2026/01/06,-5\n"         # row 3: negative assets
    ",2026-01-07,3\n"            # row 4: empty client id
    "C2,2026-02-30,4\n"          # row 5: no 30 February
    "C9,2026-01-05,abc\n"        # row 6: unknown client and not a number
    "C1,2026-01-05,7\n"          # row 7: same client and day as row 2
    'C2, 2026-01-08 ," 1,000 "\n'  # row 8: fine once stripped, thousands comma
    "\n"                         # a blank line is not a record: no row number
    "C2,20260109,\n"             # row 9: empty assets
    ",,\n"                       # row 10: an empty record, dropped
    "C2,2026-10-01,1e3\n"        # row 11: after the as-of date
    "C2,2027.01.02,0\n"          # row 12: after the as-of date
)


# ids, dates and numbers wrapped in white space of several kinds; an id with a space inside
SPACES = ("client_id,date,total_assets\n"
          "\u3000C1\u00a0,2026-01-05\u3000,\t7\n"
          '"C2\t",\u20032026-01-06, 1.5\u2028\n'
          "C 3,2026-01-07,1\n")


def test_csv_problems_are_named_by_spreadsheet_row_column_and_value(tmp_path, con):
    write(tmp_path, "daily_assets.csv", DAILY)
    result = check(con, tmp_path, "daily_assets")
    assert rows(result.problems) == [
        (3, "total_assets", "-5", "must be ≥ 0"),
        (4, "client_id", "", "is empty but required"),
        (5, "date", "2026-02-30", "not a date (expected YYYY-MM-DD)"),
        (6, "client_id", "C9", "unknown client_id (not in clients)"),
        (6, "total_assets", "abc", "not a number"),
        (7, "client_id,date", "client_id=C1, date=2026-01-05", "duplicate key (first at row 2)"),
        (9, "total_assets", "", "is empty but required"),
    ]
    assert set(result.problems["table"]) == {"daily_assets"}
    # rows 2-9 and 11-12 are read (the blank line has no number, row 10 is empty): 10 rows,
    # of which rows 11 and 12 are dated after 30 September 2026
    assert result.rows == 10
    assert result.left_out == 2


def test_typed_relation_is_typed_and_stops_at_the_as_of_date(tmp_path, con):
    write(tmp_path, "daily_assets.csv", DAILY)
    typed = check(con, tmp_path, "daily_assets").typed
    assert typed.columns == ["client_id", "date", "total_assets"]
    assert [str(t) for t in typed.types] == ["VARCHAR", "DATE", "DOUBLE"]
    got = typed.order("date, client_id").fetchall()
    # rows 2-9 stay (row 5's date did not parse: kept, as leave_out_future keeps it);
    # rows 11 and 12 are dated after 2026-09-30
    assert len(got) == 8
    assert got[-1][1] is None  # row 5, the unparsed date, sorts last
    assert (("C2", date(2026, 1, 8), 1000.0) in got) and (("C2", date(2026, 1, 9), None) in got)
    assert max(day for _, day, _ in got if day is not None) == date(2026, 1, 9)


@pytest.mark.parametrize("table, text", [
    ("daily_assets", DAILY),
    ("daily_assets", SPACES),
    ("fees", "client_id,date,fee_type,amount,extra\n"
             "C1,2026-01-05,management,-1.5,\n"      # row 2: fine (fees are signed)
             "C1,2026-01-05,bogus,x,\n"              # row 3: fee type and amount
             "C1,,management,1,note\n"               # row 4: empty date
             "C3,2026-13-01,Management,2,\n"),       # row 5: id, month 13, case matters
    ("transactions", "client_id,trade_date,product_id,side,amount,warning_signed,shares,"
                     "unit_nav\n"
                     "C1,2026-01-05,P1,buy,-1,maybe,-2,0\n"
                     "C1,2026-01-05,P1,redeem,1,是,,\n"
                     "C2,2026-01-06 10:30,P2,dividend,,no,3,1.2\n"),
])
def test_csv_gives_the_pandas_engines_problems_row_for_row(tmp_path, con, table, text):
    write(tmp_path, "clients.csv", CLIENTS)
    write(tmp_path, f"{table}.csv", text)
    expected = pandas_problems(tmp_path, table)
    assert not expected.empty
    assert rows(check(con, tmp_path, table).problems) == rows(expected)


def test_fees_problems_by_hand(tmp_path, con):
    write(tmp_path, "fees.csv", "client_id,date,fee_type,amount\n"
                                "C1,2026-01-05,management,-1.5\n"
                                "C1,2026-01-05,bogus,x\n"
                                "C3,,Management,2\n")
    assert rows(check(con, tmp_path, "fees").problems) == [
        (3, "amount", "x", "not a number"),
        (3, "fee_type", "bogus", f"must be one of {FEE_TYPES}"),
        (4, "client_id", "C3", "unknown client_id (not in clients)"),
        (4, "date", "", "is empty but required"),
        (4, "fee_type", "Management", f"must be one of {FEE_TYPES}"),
    ]


DATES = ["2026-01-05", "2026/01/05", "2026.1.5", "20260105", "2026-1-5", "2026-01", "2026",
         "2026-01-05T10:00", "2026/01/05 10:00:00", "2026-01-05 10", "2026-01-05T1000",
         "20260105T100000", "2026-1-5T3:4:5", "2024-02-29", "2025-02-29", "2026-13-01",
         "2026-00-05", "202601", "26-01-05", "05/01/2026", "2026-01-05T24:00",
         "2026-01-05T10:00:60", "2026-01-05T3", "2026-01T10", "2026-0105", "2026年1月5日",
         "2026-W01", "1e3", "12026-01-05", "1600-01-01", "2026-01-05 10:00:00.5",
         "2026-01-05T00:00:00+08:00", "2026-01-05Z", "9999-12-31"]
NUMBERS = ["1", "+5", ".5", "5.", "1e3", "-inf", "Infinity", "1,000", "0001", "-0", "nan",
           "1_000", "+-1", "0x10", "１２", "1 000", "3%", "1e", "--1", "1.2.3"]


def test_dates_and_numbers_are_read_as_the_pandas_engine_reads_them(tmp_path, con):
    # every form pandas' ISO 8601 reader accepts (2026, 2026-01, a time of day ...) and a
    # range of near misses, in the date column; numbers with signs, commas and words
    lines = [f'C1,{d},"{n}"' for d, n in zip(DATES, NUMBERS + ["1"] * len(DATES), strict=False)]
    write(tmp_path, "clients.csv", CLIENTS)
    write(tmp_path, "daily_assets.csv",
          "client_id,date,total_assets\n" + "\n".join(lines) + "\n")
    expected = pandas_problems(tmp_path, "daily_assets")
    expected = expected[~expected["column"].str.contains(",")]  # duplicate days aside
    got = check(con, tmp_path, "daily_assets").problems
    got = got[~got["column"].str.contains(",")]
    assert rows(got) == rows(expected)
    # and by hand: of the dates, 2025-02-29 (row 16) onwards are all rejected (1600 and 9999
    # cannot be held, a fraction of a second and a time zone are not read); of the
    # numbers nan, 1_000, +-1, 0x10, １２, 1 000, 3%, 1e, --1, 1.2.3 (rows 12-21), and -inf
    # (row 7) is a number but below 0
    bad_dates = [r for r, c, _, _ in rows(got) if c == "date"]
    bad_numbers = [r for r, c, _, p in rows(got) if c == "total_assets" and p == "not a number"]
    assert bad_dates == list(range(16, 36))
    assert bad_numbers == list(range(12, 22))
    assert (7, "total_assets", "-inf", "must be ≥ 0") in rows(got)


def test_cells_are_stripped_of_every_kind_of_white_space(tmp_path, con):
    # an ideographic space (U+3000), a no-break space, a tab: all stripped as str.strip does,
    # so the ids are C1 and C2 (known) and the dates and numbers parse; a space inside stays
    write(tmp_path, "daily_assets.csv", SPACES)
    result = check(con, tmp_path, "daily_assets")
    assert rows(result.problems) == [(4, "client_id", "C 3", "unknown client_id (not in clients)")]
    assert sorted(result.typed.fetchall()) == [("C 3", date(2026, 1, 7), 1.0),
                                               ("C1", date(2026, 1, 5), 7.0),
                                               ("C2", date(2026, 1, 6), 1.5)]


def test_each_check_lists_its_first_rows_and_counts_the_rest(tmp_path, con):
    write(tmp_path, "daily_assets.csv", "client_id,date,total_assets\n"
          + "".join(f"C1,2026-01-{day:02d},-{day}\n" for day in range(1, 8)))
    problems = check(con, tmp_path, "daily_assets", limit=3).problems
    # seven negative balances on rows 2-8: rows 2, 3, 4 listed, 4 more counted
    assert rows(problems) == [
        (None, "total_assets", None,
         "must be ≥ 0: 4 more rows like this are not listed (only the first 3 are)"),
        (2, "total_assets", "-1", "must be ≥ 0"),
        (3, "total_assets", "-2", "must be ≥ 0"),
        (4, "total_assets", "-3", "must be ≥ 0"),
    ]


def test_duplicate_keys_are_capped_and_counted_too(tmp_path, con):
    write(tmp_path, "daily_assets.csv", "client_id,date,total_assets\n"
          + "C1,2026-01-01,1\n" * 4 + "C2,2026-01-01,1\nC2,2026-01-01,1\n")
    problems = check(con, tmp_path, "daily_assets", limit=2).problems
    # C1 on rows 2-5 (first at 2), C2 on rows 6-7 (first at 6): rows 3, 4, 5, 7 repeat
    assert rows(problems) == [
        (None, "client_id,date", None,
         "duplicate key: 2 more rows like this are not listed (only the first 2 are)"),
        (3, "client_id,date", "client_id=C1, date=2026-01-01", "duplicate key (first at row 2)"),
        (4, "client_id,date", "client_id=C1, date=2026-01-01", "duplicate key (first at row 2)"),
    ]


def test_missing_required_column_stops_the_checks_of_that_table(tmp_path, con):
    write(tmp_path, "fees.csv", "client_id,date,amount,memo\nC1,2026-01-05,x,\n")
    result = check(con, tmp_path, "fees")
    assert result.typed is None
    assert rows(result.problems) == [
        (None, "fee_type", None, "required column is missing"),
        (None, "memo", None, "unknown column (expected client_id, date, fee_type, amount)"),
    ]


def test_a_blank_header_cell_matters_only_when_its_column_holds_something(tmp_path, con):
    write(tmp_path, "daily_assets.csv", "client_id,date,total_assets,\nC1,2026-01-05,1,\n")
    assert check(con, tmp_path, "daily_assets").problems.empty
    write(tmp_path, "daily_assets.csv", "client_id,date,total_assets,\nC1,2026-01-05,1,x\n")
    assert rows(check(con, tmp_path, "daily_assets").problems) == [
        (None, "", None, "unknown column (expected client_id, date, total_assets)")]


def test_known_ids_may_be_a_relation(tmp_path, con):
    write(tmp_path, "fees.csv", "client_id,date,fee_type,amount\nC1,2026-01-05,other,1\n"
                                "C2,2026-01-05,other,1\n")
    known = con.sql("SELECT 'C2' AS client_id, 'x' AS name")
    assert rows(check(con, tmp_path, "fees", client_ids=known).problems) == [
        (2, "client_id", "C1", "unknown client_id (not in clients)")]


def test_product_ids_are_checked_when_products_are_given(tmp_path, con):
    write(tmp_path, "transactions.csv", "client_id,trade_date,product_id,side,amount\n"
                                        "C1,2026-01-05,P1,redeem,1\nC1,2026-01-05,P9,redeem,1\n")
    absent = check(con, tmp_path, "transactions").problems
    assert rows(absent) == [
        (None, "product_id", None, "refers to products, but there is no products table")]
    given = check(con, tmp_path, "transactions", other_ids={"products": ["P1"]}).problems
    assert rows(given) == [(3, "product_id", "P9", "unknown product_id (not in products)")]


def test_a_csv_not_in_utf8_is_refused_with_the_way_out(tmp_path, con):
    (tmp_path / "fees.csv").write_bytes(
        "client_id,date,fee_type,amount\nC1,2026-01-05,管理费,1\n".encode("gb18030"))
    with pytest.raises(InputFileError, match="--engine pandas"):
        engines.open_table(con, tmp_path, "fees")


def test_a_ragged_csv_is_an_input_error_not_a_crash(tmp_path, con):
    write(tmp_path, "fees.csv", "client_id,date,fee_type,amount\nC1,2026-01-05,other\n")
    with pytest.raises(InputFileError, match="CSV Error"):
        check(con, tmp_path, "fees")


def test_tables_with_checks_across_columns_are_left_to_pandas(tmp_path, con):
    write(tmp_path, "clients.csv", CLIENTS)
    relation = engines.open_table(con, tmp_path, "clients")
    with pytest.raises(ValueError, match="pandas engine"):
        engines.check_big_table(con, relation, "clients", client_ids=None, as_of=AS_OF)


def test_an_absent_table_opens_as_none(tmp_path, con):
    assert engines.open_table(con, tmp_path, "fees") is None


# --------------------------------------------------------------------------- Parquet


def balances(ids, days, assets) -> pa.Table:
    return pa.table({"client_id": pa.array(ids, pa.string()),
                     "date": pa.array(days, pa.date32()),
                     "total_assets": pa.array(assets, pa.float64())})


def test_parquet_rows_are_numbered_as_the_pandas_engine_numbers_them(tmp_path, con):
    d = date(2026, 1, 5)
    pq.write_table(balances(["C1", "C1", " C2 ", "C9", None, "C2"],
                            [d, d, d, date(2026, 10, 1), d, None],
                            [1.0, 2.0, -0.5, 3.0, float("nan"), 4.0]),
                   tmp_path / "daily_assets.parquet")
    write(tmp_path, "clients.csv", CLIENTS)
    result = check(con, tmp_path, "daily_assets")
    # row = position + 2: the repeat of C1 on the first row is row 3, " C2 " is stripped to
    # C2 (row 4, negative), C9 is unknown (row 5, after the as-of date), row 6 has no client
    # and NaN assets (empty), row 7 has no date
    assert rows(result.problems) == [
        (3, "client_id,date", "client_id=C1, date=2026-01-05", "duplicate key (first at row 2)"),
        (4, "total_assets", "-0.5", "must be ≥ 0"),
        (5, "client_id", "C9", "unknown client_id (not in clients)"),
        (6, "client_id", "", "is empty but required"),
        (6, "total_assets", "", "is empty but required"),
        (7, "date", "", "is empty but required"),
    ]
    assert rows(result.problems) == rows(pandas_problems(tmp_path, "daily_assets"))
    assert (result.rows, result.left_out) == (6, 1)


def test_parquet_text_dates_and_integer_ids_are_read_like_the_pandas_engine(tmp_path, con):
    pq.write_table(pa.table({"client_id": pa.array([1, 2], pa.int64()),
                             "date": ["2026/01/05", "2026-02-30"],
                             "fee_type": ["other", "other"],
                             "amount": ["1,5", "x"]}), tmp_path / "fees.parquet")
    write(tmp_path, "clients.csv", CLIENTS)
    result = check(con, tmp_path, "fees", client_ids=["1", "2"])
    # ids 1 and 2 become the text "1" and "2"; "1,5" reads as 15; row 3 fails twice
    assert rows(result.problems) == [
        (3, "amount", "x", "not a number"),
        (3, "date", "2026-02-30", "not a date (expected YYYY-MM-DD)"),
    ]
    assert result.typed.order("date").fetchall()[0] == ("1", date(2026, 1, 5), "other", 15.0)


def test_a_parquet_folder_of_two_files_names_the_file_of_each_problem(tmp_path, con):
    folder = tmp_path / "daily_assets"
    folder.mkdir()
    d = date(2026, 1, 5)
    pq.write_table(balances(["C1", "C2"], [d, d], [1.0, -1.0]), folder / "part-0.parquet")
    # the second file has its columns in another order and repeats C1 on 5 January
    second = balances(["C2", "C1", "C1"], [date(2026, 1, 6), d, date(2026, 12, 1)],
                      [5.0, 6.0, 7.0])
    pq.write_table(second.select(["total_assets", "date", "client_id"]),
                   folder / "part-1.parquet")
    result = check(con, tmp_path, "daily_assets")
    assert rows(result.problems) == [
        (3, "total_assets", "-1", "must be ≥ 0 (in part-0.parquet)"),
        (3, "client_id,date", "client_id=C1, date=2026-01-05",
         "duplicate key (first at row 2 of part-0.parquet) (in part-1.parquet)"),
    ]
    # five rows in all; the one dated 1 December 2026 is after the as-of date
    assert (result.rows, result.left_out) == (5, 1)
    assert result.typed.aggregate("sum(total_assets)").fetchall() == [(1.0 - 1 + 5 + 6,)]


def test_excel_goes_through_the_pandas_loader(tmp_path, con):
    pd.DataFrame({"client_id": ["C1", "C1"], "date": ["2026-01-05", "2026-01-05"],
                  "total_assets": ["1", "-1"]}).to_excel(tmp_path / "daily_assets.xlsx",
                                                          index=False)
    assert rows(check(con, tmp_path, "daily_assets").problems) == [
        (3, "client_id,date", "client_id=C1, date=2026-01-05", "duplicate key (first at row 2)"),
        (3, "total_assets", "-1", "must be ≥ 0"),
    ]


# --- quick_clean: one aggregating scan that proves a typed Parquet table clean ---------------


def _parquet(folder: Path, frame: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "part-0.parquet")
    return folder


def _balances(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({"client_id": ["A", "A", "B"],
                          "date": [date(2026, 9, 1), date(2026, 10, 2), date(2026, 9, 30)],
                          "total_assets": [1.0, 2.0, 3.0]})
    for column, values in changes.items():
        frame[column] = values
    return frame


def test_quick_clean_counts_rows_and_rows_after_the_as_of_date(tmp_path):
    import duckdb

    folder = _parquet(tmp_path / "daily_assets", _balances())
    with duckdb.connect() as con:
        # three rows; A's row of 2 October is after the as-of date (30 September is not)
        found = engines.quick_clean(con, folder, "daily_assets", client_ids=["A", "B"],
                                    as_of=date(2026, 9, 30))
        assert (found.rows, found.late, found.span_sums) == (3, 1, None)


def test_quick_clean_counts_a_row_on_the_day_after_the_as_of_date_as_late(tmp_path):
    import duckdb

    # blocks of 1,024 days end on the as-of date: 30 Sep is in, 1 Oct out; a row 1,024 days
    # before (12 Dec 2023) is another block's day, not a duplicate of 1 Oct
    frame = _balances(date=[date(2026, 9, 30), date(2026, 10, 1), date(2023, 12, 12)])
    with duckdb.connect() as con:
        found = engines.quick_clean(con, _parquet(tmp_path / "daily_assets", frame),
                                    "daily_assets", client_ids=["A", "B"],
                                    as_of=date(2026, 9, 30))
        assert (found.rows, found.late) == (3, 1)


def test_quick_clean_sums_each_span_per_client_in_the_same_scan(tmp_path):
    import duckdb

    frame = pd.DataFrame({
        "client_id": ["A", "A", "A", "A", "B", "B"],
        "date": [date(2025, 12, 31), date(2026, 1, 1), date(2026, 9, 1), date(2026, 10, 2),
                 date(2024, 12, 31), date(2026, 9, 30)],
        "total_assets": [5.0, 4.125, 1.0, 2.0, 7.0, 3.0]})
    spans = [(date(2026, 1, 1), date(2026, 10, 1)), (date(2025, 1, 1), date(2026, 1, 1))]
    with duckdb.connect() as con:
        found = engines.quick_clean(con, _parquet(tmp_path / "daily_assets", frame),
                                    "daily_assets", client_ids=["A", "B"],
                                    as_of=date(2026, 9, 30), spans=spans)
        assert (found.rows, found.late) == (6, 1)  # A's 2 October
        got = sorted(found.span_sums.fetchall())
    # sums in whole cents, each value rounded half away from zero: 4.125 is 412.5 cents ->
    # 413, + 100 = 513; B's 2024 row is in neither span; A's row after the as-of date neither.
    # Then the last row's value (tail) and the value of the last row before the span (carry):
    # A has none before 2025 (0), its 31 Dec 2025 row (500) before 2026; B's 2024 row (700)
    # before both, and B has a row for 2025 too, though no row is in it
    assert got == [
        ("A", "2025-01-01/2026-01-01", 1, 500, date(2025, 12, 31), date(2025, 12, 31), 500, 0),
        ("A", "2026-01-01/2026-10-01", 2, 513, date(2026, 1, 1), date(2026, 9, 1), 100, 500),
        ("B", "2025-01-01/2026-01-01", 0, 0, None, None, None, 700),
        ("B", "2026-01-01/2026-10-01", 1, 300, date(2026, 9, 30), date(2026, 9, 30), 300, 700),
    ]


def test_quick_clean_knows_no_carried_value_when_rows_outside_the_spans_straddle_one(tmp_path):
    import duckdb

    # spans 1-10 Jan and 16-20 Jan 2025; A's rows of 12 and 25 Jan lie in neither, so they are
    # grouped in one block, which ends after the second span's start: its last row (25 Jan)
    # is not the one before 16 Jan, so the carried value is unknown (NULL). B's 12 Jan row is
    # alone in its block: it is the one carried into the second span (2.5 -> 250 cents).
    frame = pd.DataFrame({
        "client_id": ["A", "A", "A", "A", "B", "B", "B"],
        "date": [date(2025, 1, 2), date(2025, 1, 12), date(2025, 1, 18), date(2025, 1, 25),
                 date(2025, 1, 12), date(2025, 1, 17), date(2025, 1, 19)],
        "total_assets": [1.0, 2.0, 3.0, 4.0, 2.5, 1.005, 7.0]})
    spans = [(date(2025, 1, 1), date(2025, 1, 11)), (date(2025, 1, 16), date(2025, 1, 21))]
    with duckdb.connect() as con:
        found = engines.quick_clean(con, _parquet(tmp_path / "daily_assets", frame),
                                    "daily_assets", client_ids=["A", "B"],
                                    as_of=date(2025, 1, 31), spans=spans)
        got = sorted(found.span_sums.fetchall())
    # 1.005 is 100.4999... cents in doubles: rounded to 100, + 700 = 800
    assert got == [
        ("A", "2025-01-01/2025-01-11", 1, 100, date(2025, 1, 2), date(2025, 1, 2), 100, 0),
        ("A", "2025-01-16/2025-01-21", 1, 300, date(2025, 1, 18), date(2025, 1, 18), 300, None),
        ("B", "2025-01-01/2025-01-11", 0, 0, None, None, None, 0),  # no row yet
        ("B", "2025-01-16/2025-01-21", 2, 800, date(2025, 1, 17), date(2025, 1, 19), 700,
         250),
    ]


@pytest.mark.parametrize("spans", [
    [(date(2026, 1, 1), date(2026, 10, 2))],  # ends after the day after the as-of date
    [(date(2025, 1, 1), date(2026, 1, 2)), (date(2026, 1, 1), date(2026, 10, 1))],  # overlap
    [(date(2020, 1, 1), date(2026, 1, 1))],  # longer than a block of 1,024 days
])
def test_quick_clean_refuses_spans_it_cannot_sum_in_one_group(tmp_path, spans):
    import duckdb

    with duckdb.connect() as con, pytest.raises(ValueError, match="spans must be"):
        engines.quick_clean(con, _parquet(tmp_path / "daily_assets", _balances()),
                            "daily_assets", client_ids=["A", "B"], as_of=date(2026, 9, 30),
                            spans=spans)


@pytest.mark.parametrize("changes", [
    {"date": [date(2026, 9, 1), date(2026, 9, 1), date(2026, 9, 30)]},  # duplicate key
    {"total_assets": [1.0, -2.0, 3.0]},  # negative
    {"total_assets": [1.0, float("nan"), 3.0]},  # NaN
    {"client_id": ["A", "A", "Z"]},  # unknown client
    {"client_id": ["A", "A", " B"]},  # would need stripping
    {"client_id": ["A", None, "B"]},  # empty required cell
    {"date": ["2026-09-01", "2026-10-02", "2026-09-30"]},  # dates stored as text
    {"date": [date(1500, 1, 1), date(2026, 10, 2), date(2026, 9, 30)]},  # before 1677
    {"date": [date(2026, 9, 1), date(2300, 1, 1), date(2026, 9, 30)]},  # after 2262
    {"date": [date(2026, 9, 1), None, date(2026, 9, 30)]},  # no date
    {"total_assets": [1.0, None, 3.0]},  # no amount
])
@pytest.mark.parametrize("spans", [[], [(date(2026, 1, 1), date(2026, 10, 1))]])
def test_quick_clean_gives_up_on_anything_the_detailed_check_would_report(tmp_path, changes,
                                                                          spans):
    import duckdb

    folder = _parquet(tmp_path / "daily_assets", _balances(**changes))
    with duckdb.connect() as con:
        assert engines.quick_clean(con, folder, "daily_assets", client_ids=["A", "B"],
                                   as_of=date(2026, 9, 30), spans=spans) is None
