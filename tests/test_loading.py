"""Finding and reading input files: encodings, formats, row numbers and errors."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tiering import loading
from tiering.loading import InputFileError, file_sha256, find_table, read_table

# --------------------------------------------------------------------------- find_table


@pytest.mark.parametrize("file_name", ["clients.csv", "clients.parquet", "clients.pq",
                                       "clients.xlsx", "clients.xls", "Clients.CSV"])
def test_find_table_finds_each_kind_of_file(tmp_path: Path, file_name: str) -> None:
    (tmp_path / file_name).write_bytes(b"x")
    (tmp_path / "products.csv").write_bytes(b"x")
    assert find_table(tmp_path, "clients") == tmp_path / file_name


def test_find_table_finds_a_folder_of_parquet_files(tmp_path: Path) -> None:
    (tmp_path / "clients").mkdir()
    (tmp_path / "clients" / "part-0.parquet").write_bytes(b"x")
    assert find_table(tmp_path, "clients") == tmp_path / "clients"


def test_find_table_ignores_a_folder_without_parquet_files(tmp_path: Path) -> None:
    (tmp_path / "clients").mkdir()
    (tmp_path / "clients" / "notes.txt").write_text("x")
    assert find_table(tmp_path, "clients") is None


def test_find_table_returns_none_when_absent(tmp_path: Path) -> None:
    (tmp_path / "clients_old.csv").write_bytes(b"x")
    (tmp_path / "clients.txt").write_bytes(b"x")
    assert find_table(tmp_path, "clients") is None


def test_find_table_two_candidates_raise(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_bytes(b"x")
    (tmp_path / "clients.xlsx").write_bytes(b"x")
    with pytest.raises(InputFileError, match="clients") as info:
        find_table(tmp_path, "clients")
    message = str(info.value)
    assert "clients.csv" in message and "clients.xlsx" in message
    assert info.value.table == "clients"


def test_find_table_file_and_parquet_folder_are_two_candidates(tmp_path: Path) -> None:
    (tmp_path / "nav.csv").write_bytes(b"x")
    (tmp_path / "nav").mkdir()
    (tmp_path / "nav" / "a.parquet").write_bytes(b"x")
    with pytest.raises(InputFileError) as info:
        find_table(tmp_path, "nav")
    assert "nav.csv" in str(info.value) and "nav/" in str(info.value)


def test_find_table_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        find_table(tmp_path / "nowhere", "clients")


# --------------------------------------------------------------------------- CSV

CLIENTS_CSV = "client_id,name\nC001,张三\nC002,李四\n"


@pytest.mark.parametrize("encoded", [
    pytest.param(CLIENTS_CSV.encode("utf-8-sig"), id="utf8-bom"),
    pytest.param(CLIENTS_CSV.encode("utf-8"), id="utf8"),
    pytest.param(CLIENTS_CSV.encode("gbk"), id="gbk"),
    pytest.param(CLIENTS_CSV.replace("\n", "\r\n").encode("gbk"), id="gbk-crlf"),
    pytest.param(CLIENTS_CSV.replace("\n", "\r\n").encode("utf-8-sig"), id="utf8-bom-crlf"),
    pytest.param("client_id,name\nC001,张三\n".encode("gbk"), id="gbk-one-row"),
    pytest.param(CLIENTS_CSV.encode("gb18030"), id="gb18030"),
])
def test_csv_encodings_decode_without_mojibake(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(encoded)
    frame = read_table(path, "clients")
    assert list(frame.columns) == ["client_id", "name"]  # no BOM left on the first header
    assert frame["name"].tolist()[0] == "张三"
    assert frame["client_id"].tolist()[0] == "C001"


def test_csv_gb18030_characters_outside_gbk(tmp_path: Path) -> None:
    # 䶮 (as in the name 刘䶮) and 𠮷 are in GB18030 but not in GBK.
    text = "client_id,name,branch\nC001,刘䶮,北京分行\nC002,𠮷田,上海分行\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = tmp_path / "clients.csv"
    path.write_bytes(text.encode("gb18030"))
    frame = read_table(path, "clients")
    assert frame["name"].tolist() == ["刘䶮", "𠮷田"]
    assert frame["branch"].tolist() == ["北京分行", "上海分行"]


def test_csv_undecodable_bytes_raise_with_offset(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(b"client_id,name\nC001,\xff\xfe\xfd\x80\n")
    with pytest.raises(InputFileError) as info:
        read_table(path, "clients")
    message = str(info.value)
    assert "clients.csv" in message
    assert "offset 20" in message


def test_csv_with_utf8_bom_but_invalid_bytes_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CLIENTS_CSV.encode("gbk"))
    with pytest.raises(InputFileError, match="byte order mark"):
        read_table(path, "clients")


def test_csv_utf8_error_offset_found_across_chunks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(loading, "_CHUNK", 7)
    path = tmp_path / "x.csv"
    path.write_bytes("ab,中文\n".encode() + b"\xe4\xb8" + b",x\n")  # truncated 3-byte char
    assert loading._utf8_error_offset(path, "clients") == (10, 0xE4)
    path.write_bytes("ab,中文\n".encode() + b"\xe4\xb8")  # ends inside a character
    assert loading._utf8_error_offset(path, "clients") == (10, 0xE4)
    path.write_bytes("ab,中文\n".encode() * 3)
    assert loading._utf8_error_offset(path, "clients") is None


def test_csv_cells_stay_text_with_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "daily_assets.csv"
    path.write_text("client_id,date,total_assets\n000123,2024-01-02,1.50\n0042,2024-01-03,"
                    "1e3\n", encoding="utf-8")
    frame = read_table(path, "daily_assets")
    assert frame["client_id"].tolist() == ["000123", "0042"]
    assert frame["date"].tolist() == ["2024-01-02", "2024-01-03"]
    assert frame["total_assets"].tolist() == ["1.50", "1e3"]
    assert all(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes)


def test_csv_empty_cells_are_missing_and_whitespace_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text('client_id,name,branch\n C001 ,"",\nC002,   , 北京\u3000\n', encoding="utf-8")
    frame = read_table(path, "clients")
    assert frame["client_id"].tolist() == ["C001", "C002"]
    assert frame["name"].isna().all()
    assert frame.loc[2, "branch"] is pd.NA
    assert frame.loc[3, "branch"] == "北京"


def test_csv_index_is_the_spreadsheet_row_number(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("client_id,name\nC001,a\n,\nC003,\"two\nlines\"\nC004,d\n", encoding="utf-8")
    frame = read_table(path, "clients")
    assert frame.index.name == "row"
    assert frame.index.tolist() == [2, 4, 5]  # the all-empty row 3 is dropped, numbers kept
    assert frame.loc[4, "name"] == "two\nlines"
    assert frame.loc[5, "client_id"] == "C004"


def test_csv_columns_are_not_renamed_or_checked(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("\ufeffClient ID,name,extra,\n1,2,3,\n", encoding="utf-8")
    frame = read_table(path, "clients")
    assert list(frame.columns) == ["Client ID", "name", "extra"]  # unnamed empty column dropped


def test_csv_header_only_gives_an_empty_frame(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("client_id,name\n", encoding="utf-8")
    frame = read_table(path, "clients")
    assert list(frame.columns) == ["client_id", "name"]
    assert len(frame) == 0 and frame.index.name == "row"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\nclient_id\nC1\n"])
def test_csv_without_header_raises(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="header must be on row 1"):
        read_table(path, "clients")


def test_csv_ragged_row_raises(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("client_id,name\nC001,a,extra\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="clients.csv"):
        read_table(path, "clients")


def test_unsupported_suffix_raises(tmp_path: Path) -> None:
    path = tmp_path / "clients.txt"
    path.write_text("client_id\nC1\n")
    with pytest.raises(InputFileError, match="unsupported file type"):
        read_table(path, "clients")


def test_unknown_table_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        read_table(tmp_path / "x.csv", "no_such_table")


# --------------------------------------------------------------------------- Parquet


def test_parquet_keeps_types_and_text_ids_become_strings(tmp_path: Path) -> None:
    path = tmp_path / "daily_assets.parquet"
    pd.DataFrame({
        "client_id": [123, 45],
        "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
        "total_assets": [1.5, 2.0],
    }).to_parquet(path)
    frame = read_table(path, "daily_assets")
    assert frame["client_id"].tolist() == ["123", "45"]
    assert isinstance(frame["client_id"].dtype, pd.StringDtype)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert frame["total_assets"].dtype == "float64"
    assert frame.index.tolist() == [2, 3] and frame.index.name == "row"


def test_parquet_float_and_category_ids_become_clean_strings(tmp_path: Path) -> None:
    path = tmp_path / "clients.pq"
    pd.DataFrame({
        "client_id": [123.0, None, 7.0],
        "name": pd.Categorical([" a ", "b", ""]),
        "manager_id": pd.array([1, None, 3], dtype="Int64"),
    }).to_parquet(path)
    frame = read_table(path, "clients")
    assert frame["client_id"].tolist() == ["123", pd.NA, "7"]
    assert frame["name"].tolist() == ["a", "b", pd.NA]
    assert frame["manager_id"].tolist() == ["1", pd.NA, "3"]


def test_parquet_answer_columns_are_text(tmp_path: Path) -> None:
    path = tmp_path / "risk_assessments.parquet"
    pd.DataFrame({"client_id": ["C1"], "assessment_date": ["2024-01-01"], "score": [50],
                  "q01": [3], "q02": ["B"]}).to_parquet(path)
    frame = read_table(path, "risk_assessments")
    assert frame["q01"].tolist() == ["3"]
    assert frame["score"].tolist() == [50]  # a number column keeps its type


def test_parquet_saved_index_becomes_a_column(tmp_path: Path) -> None:
    path = tmp_path / "clients.parquet"
    pd.DataFrame({"client_id": ["C1", "C2"], "name": ["a", "b"]}).set_index(
        "client_id").to_parquet(path)
    frame = read_table(path, "clients")
    assert sorted(frame.columns) == ["client_id", "name"]
    assert frame["client_id"].tolist() == ["C1", "C2"]
    assert frame.index.tolist() == [2, 3]

    unnamed = tmp_path / "products.parquet"
    pd.DataFrame({"product_id": ["P1"]}, index=[10]).to_parquet(unnamed)
    assert list(read_table(unnamed, "products").columns) == ["product_id"]


def test_parquet_folder_is_read_as_one_table(tmp_path: Path) -> None:
    folder = tmp_path / "nav"
    folder.mkdir()
    for i in range(2):
        pq.write_table(pa.table({"product_id": [f"P{i}"], "unit_nav": [1.0 + i]}),
                       folder / f"part-{i}.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    assert find_table(tmp_path, "nav") == folder
    frame = read_table(folder, "nav")
    assert frame["product_id"].tolist() == ["P0", "P1"]
    assert frame.index.tolist() == [2, 3]


def test_corrupt_parquet_raises(tmp_path: Path) -> None:
    path = tmp_path / "clients.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputFileError, match="clients.parquet"):
        read_table(path, "clients")


# --------------------------------------------------------------------------- Excel


@pytest.fixture(params=["calamine", "openpyxl"])
def excel_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "calamine":
        pytest.importorskip("python_calamine")
    monkeypatch.setattr(loading, "_excel_engine", lambda: request.param)
    return request.param


def _workbook(path: Path, rows: list[list[object]], title: str = "Sheet1") -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_xlsx_cells_come_back_as_text(tmp_path: Path, excel_engine: str) -> None:
    path = tmp_path / "clients.xlsx"
    _workbook(path, [
        ["client_id", "open_date", "name", "score", "flag", "visited"],
        ["000123", dt.datetime(2024, 1, 31), " 张三 ", 12.5, True,
         dt.datetime(2024, 1, 31, 10, 30)],
        [123, dt.date(2024, 2, 1), None, 7, False, None],
        [None, None, None, None, None, None],
        [1234567890123, "2024-03-01", "", 0.1 + 0.2, None, None],
    ])
    frame = read_table(path, "clients")
    assert frame.index.tolist() == [2, 3, 5] and frame.index.name == "row"
    assert frame["client_id"].tolist() == ["000123", "123", "1234567890123"]
    assert frame["open_date"].tolist() == ["2024-01-31", "2024-02-01", "2024-03-01"]
    assert frame["name"].tolist() == ["张三", pd.NA, pd.NA]
    assert frame["score"].tolist() == ["12.5", "7", "0.3"]
    assert frame["flag"].tolist() == ["true", "false", pd.NA]
    assert frame["visited"].tolist() == ["2024-01-31T10:30:00", pd.NA, pd.NA]
    assert all(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes)


def test_xlsx_prefers_the_sheet_named_like_the_table(tmp_path: Path, excel_engine: str) -> None:
    path = tmp_path / "clients.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "readme"
    book.active.append(["just notes"])
    book.create_sheet("clients").append(["client_id"])
    book["clients"].append(["C1"])
    book.save(path)
    assert read_table(path, "clients")["client_id"].tolist() == ["C1"]


def test_xlsx_with_blank_first_row_raises(tmp_path: Path, excel_engine: str) -> None:
    path = tmp_path / "clients.xlsx"
    _workbook(path, [[None], ["client_id"], ["C1"]])
    with pytest.raises(InputFileError, match="row 1"):
        read_table(path, "clients")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 broken zip", b"not a workbook at all"])
def test_broken_xlsx_raises(tmp_path: Path, excel_engine: str, content: bytes) -> None:
    path = tmp_path / "clients.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="clients.xlsx"):
        read_table(path, "clients")


# --------------------------------------------------------------------------- hashing


def test_file_sha256_of_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "_CHUNK", 3)
    path = tmp_path / "clients.csv"
    path.write_bytes(b"client_id\nC1\n" * 10)
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_sha256_of_a_parquet_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nav"
    (folder / "year=2024").mkdir(parents=True)
    (folder / "a.parquet").write_bytes(b"one")
    (folder / "year=2024" / "b.parquet").write_bytes(b"two")
    first = file_sha256(folder)
    assert len(first) == 64
    (folder / "_SUCCESS").write_bytes(b"ignored")
    assert file_sha256(folder) == first
    (folder / "a.parquet").write_bytes(b"One")
    assert file_sha256(folder) != first
    (folder / "a.parquet").write_bytes(b"one")
    (folder / "a.parquet").rename(folder / "c.parquet")
    assert file_sha256(folder) != first
