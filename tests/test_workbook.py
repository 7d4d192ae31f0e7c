"""The staff workbook: one sheet per table, readable formats, the same bytes every time."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tiering.workbook import sheet_names, write_workbook


def _classification() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": ["C001", "C002", "C003"],
            "name": ["上海某某投资管理有限公司", "张*", None],
            "as_of": pd.to_datetime(["2026-09-30"] * 3),
            "avg_assets": [12_345_678.9, np.nan, 0.5],
            "visits": [1_200, 3, 0],
            "override": [True, False, False],
        }
    )


def _by_tier() -> pd.DataFrame:
    return pd.DataFrame({"clients": [10, 20]}, index=pd.Index(["A", "B"], name="tier"))


def _write(path: Path) -> Path:
    write_workbook(path, {"classification": _classification(), "tiers": _by_tier()})
    return path


def test_workbook_reads_back_one_sheet_per_table(tmp_path: Path) -> None:
    book = pd.read_excel(_write(tmp_path / "out.xlsx"), sheet_name=None, engine="openpyxl")
    assert list(book) == ["classification", "tiers"]
    back = book["classification"]
    assert back.loc[0, "name"] == "上海某某投资管理有限公司"
    assert pd.isna(back.loc[2, "name"])
    assert back["as_of"].dtype.kind == "M"
    assert back.loc[0, "as_of"] == pd.Timestamp("2026-09-30")
    assert back["avg_assets"].tolist()[0] == 12_345_678.9
    assert back["visits"].tolist() == [1_200, 3, 0]
    # a meaningful index becomes a column
    assert book["tiers"].to_dict("list") == {"tier": ["A", "B"], "clients": [10, 20]}


def test_header_is_bold_and_frozen(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(_write(tmp_path / "out.xlsx"))["classification"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert [cell.value for cell in sheet[1]] == [
        "client_id",
        "name",
        "as_of",
        "avg_assets",
        "visits",
        "override",
    ]


def test_dates_are_dates_and_numbers_have_thousands_separators(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(_write(tmp_path / "out.xlsx"))["classification"]
    assert sheet["C2"].is_date
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].number_format == "#,##0.00"
    assert sheet["E2"].number_format == "#,##0"
    assert sheet["F2"].value is True


def _characters(stored_width: float) -> int:
    """A column's width in characters as Excel shows it: the file stores it with the cell's
    5 pixels of padding added, counted in 7-pixel digit widths (11 characters are stored as
    (11 * 7 + 5) / 7 = 11.71...)."""
    return round(stored_width - 5 / 7)


def test_column_widths_fit_the_content_counting_cjk_double(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(_write(tmp_path / "out.xlsx"))["classification"]
    widths = {k: _characters(d.width) for k, d in sheet.column_dimensions.items()}
    assert widths["A"] == len("client_id") + 2
    assert widths["B"] == 2 * len("上海某某投资管理有限公司") + 2
    assert widths["C"] == len("2026-09-30") + 2
    assert widths["D"] == len("12,345,678.90") + 2
    assert widths["E"] == len("visits") + 2  # the header is wider than "1,200"


def test_column_widths_stay_between_6_and_60_characters(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"t": pd.DataFrame({"n": [1], "note": ["x" * 100]})})
    sheet = openpyxl.load_workbook(path)["t"]
    assert _characters(sheet.column_dimensions["A"].width) == 6
    assert _characters(sheet.column_dimensions["B"].width) == 60


def test_two_writes_give_identical_bytes(tmp_path: Path) -> None:
    assert _write(tmp_path / "a.xlsx").read_bytes() == _write(tmp_path / "b.xlsx").read_bytes()


def test_two_writes_of_every_kind_of_column_give_identical_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(a, {"kinds": _every_kind(), "tiers": _by_tier()})
    write_workbook(b, {"kinds": _every_kind(), "tiers": _by_tier()})
    assert a.read_bytes() == b.read_bytes()


def test_no_timestamp_comes_from_the_clock(tmp_path: Path) -> None:
    path = _write(tmp_path / "out.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    properties = openpyxl.load_workbook(path).properties
    assert properties.created == properties.modified == dt.datetime(2000, 1, 1)


def test_timestamp_can_be_given(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"t": _by_tier()}, timestamp=dt.datetime(2026, 10, 20, 9, 30))
    properties = openpyxl.load_workbook(path).properties
    assert properties.created == properties.modified == dt.datetime(2026, 10, 20, 9, 30)


def test_empty_table_keeps_its_header(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"excluded": pd.DataFrame({"client_id": [], "reason": []})})
    back = pd.read_excel(path, sheet_name="excluded", engine="openpyxl")
    assert list(back.columns) == ["client_id", "reason"]
    assert back.empty


def test_times_with_a_zone_are_written_as_local_times(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    stamps = pd.to_datetime(["2026-09-30 14:05:00"]).tz_localize("Asia/Shanghai")
    write_workbook(path, {"runs": pd.DataFrame({"started": stamps})})
    sheet = openpyxl.load_workbook(path)["runs"]
    assert sheet["A2"].value == dt.datetime(2026, 9, 30, 14, 5)
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm:ss"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["classification"], ["classification"]),
        (["a/b:c?"], ["a_b_c_"]),
        (["x" * 40], ["x" * 31]),
        (["x" * 40, "x" * 35], ["x" * 31, "x" * 29 + "~2"]),
        (["Tiers", "tiers"], ["Tiers", "tiers~2"]),
        (["服务计划"], ["服务计划"]),
    ],
)
def test_sheet_names_are_valid_for_excel(names: list[str], expected: list[str]) -> None:
    assert sheet_names(names) == expected


def test_long_sheet_names_are_shortened_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"manager_assignments_for_the_quarter": _by_tier()})
    assert openpyxl.load_workbook(path).sheetnames == ["manager_assignments_for_the_qua"]


def test_tables_longer_than_the_cap_stay_out_of_the_workbook() -> None:
    from types import SimpleNamespace

    from tiering.publish import _workbook_sheets

    def rows(n: int) -> pd.DataFrame:
        return pd.DataFrame({"client_id": [f"C{i}" for i in range(n)]})

    plan = SimpleNamespace(tables=lambda: {"service_plan": rows(9), "rfm": rows(5),
                                           "manager_load": rows(2)})
    run = SimpleNamespace(rating=SimpleNamespace(classification=rows(6), excluded=rows(1),
                                                 findings=rows(0)),
                          overrides_applied=rows(0), quarantined=None)
    # a cap of 5 rows: classification (6) stays out, rfm (exactly 5) goes in; the service
    # plan is always left to its CSV
    sheets = _workbook_sheets(run, plan, mask=False, max_rows=5)
    assert list(sheets) == ["excluded", "findings", "overrides_applied", "rfm", "manager_load"]
    assert "classification" in _workbook_sheets(run, plan, mask=False)


def _every_kind() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": pd.array([7, None, 1_234], dtype="Int64"),
            "flag": pd.array([None, True, False], dtype="boolean"),
            "label": pd.array(["甲", None, "b"], dtype="string"),
            "mixed": [3, "x", dt.date(2026, 9, 30)],
            "when": pd.to_datetime(["2026-09-30 08:00", None, "2026-10-01 17:30"]),
            "amount": [np.nan, 1.25, -3.0],
        }
    )


def _values(path: Path, sheet: str = "kinds") -> list[list[object]]:
    rows = openpyxl.load_workbook(path)[sheet].iter_rows(min_row=2, values_only=True)
    return [list(row) for row in rows]


def test_nullable_and_mixed_columns_keep_their_values(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"kinds": _every_kind()})
    assert _values(path) == [
        [7, None, "甲", 3, dt.datetime(2026, 9, 30, 8, 0), None],
        [None, True, None, "x", None, 1.25],
        [1_234, False, "b", dt.datetime(2026, 9, 30), dt.datetime(2026, 10, 1, 17, 30), -3.0],
    ]


def test_formats_of_nullable_and_mixed_columns(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"kinds": _every_kind()})
    sheet = openpyxl.load_workbook(path)["kinds"]
    assert sheet["A2"].number_format == "#,##0"  # Int64
    assert sheet["D2"].number_format == "General"  # a number in a mixed column
    assert sheet["D4"].number_format == "yyyy-mm-dd"  # a date in a mixed column
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm:ss"  # the column has times
    assert sheet["F3"].number_format == "#,##0.00"


def test_missing_values_are_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    frame = pd.DataFrame(
        {
            "float": [np.nan],
            "object": pd.Series([None], dtype=object),
            "na": pd.Series([pd.NA], dtype=object),
            "nat": pd.Series([pd.NaT], dtype=object),
            "int": pd.array([None], dtype="Int64"),
            "bool": pd.array([None], dtype="boolean"),
            "string": pd.array([None], dtype="string"),
            "str": pd.Series([None], dtype="str"),
            "date": pd.to_datetime(pd.Series([None], dtype="datetime64[ns]")),
            "category": pd.Categorical([None], categories=["a"]),
        }
    )
    write_workbook(path, {"gaps": frame})
    sheet = openpyxl.load_workbook(path)["gaps"]
    assert sheet.max_row == 1  # no cell was written below the header
    assert _values(path, "gaps") == []


def test_text_that_looks_like_a_formula_a_url_or_a_number_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    texts = ["=SUM(A1:A9)", "https://example.org/a?b=1", "00123", "1e5", "<r>a & b</r>"]
    write_workbook(path, {"t": pd.DataFrame({"text": texts})})
    sheet = openpyxl.load_workbook(path)["t"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == texts
    assert {c.data_type for c in cells} == {"s"}
    assert all(c.hyperlink is None for c in cells)
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_text_longer_than_a_cell_holds_is_cut_with_an_ellipsis(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    long, fits = "ab" * 20_000, "c" * 32_767
    write_workbook(path, {"t": pd.DataFrame({"text": [long, fits]})})
    (cut,), (whole,) = _values(path, "t")
    assert cut == long[:32_766] + "…"
    assert whole == fits


def test_the_cut_counts_utf16_units_and_keeps_pairs_whole(tmp_path: Path) -> None:
    # an emoji takes two of Excel's 32,767 units; the cut keeps 32,766 units for the text and
    # one for the ellipsis: "a" and 16,382 emoji take 32,765, and half an emoji is dropped
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"t": pd.DataFrame({"text": ["a" + "😀" * 20_000]})})
    assert _values(path, "t") == [["a" + "😀" * 16_382 + "…"]]


def test_infinite_numbers_are_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"t": pd.DataFrame({"x": [1.5, np.inf, -np.inf]})})
    assert _values(path, "t") == [[1.5], ["inf"], ["-inf"]]


def test_dates_excel_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    # Excel's dates start on 1900-01-01 and count a 29 February 1900 that never was
    path = tmp_path / "out.xlsx"
    dates = pd.to_datetime(["1899-12-31", "1900-01-01", "1900-02-28", "1900-03-01"])
    write_workbook(path, {"t": pd.DataFrame({"d": dates})})
    assert _values(path, "t") == [
        ["1899-12-31"],
        [dt.datetime(1900, 1, 1)],
        [dt.datetime(1900, 2, 28)],
        [dt.datetime(1900, 3, 1)],
    ]
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1</v>" in sheet and "<v>59</v>" in sheet and "<v>61</v>" in sheet


def test_repeated_column_names_are_all_written(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook(path, {"t": pd.DataFrame([[1, "x"]], columns=["a", "a"])})
    sheet = openpyxl.load_workbook(path)["t"]
    assert [c.value for c in sheet[1]] == ["a", "a"]
    assert [c.value for c in sheet[2]] == [1, "x"]


def test_a_table_longer_than_a_worksheet_is_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": np.zeros(1_048_576, dtype=np.int8)})  # + header: one too many
    with pytest.raises(ValueError, match="does not fit a worksheet"):
        write_workbook(tmp_path / "out.xlsx", {"t": frame})
