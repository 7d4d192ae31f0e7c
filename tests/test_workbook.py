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


def test_column_widths_fit_the_content_counting_cjk_double(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(_write(tmp_path / "out.xlsx"))["classification"]
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["A"] == len("client_id") + 2
    assert widths["B"] == 2 * len("上海某某投资管理有限公司") + 2
    assert widths["C"] == len("2026-09-30") + 2
    assert widths["D"] == len("12,345,678.90") + 2


def test_two_writes_give_identical_bytes(tmp_path: Path) -> None:
    assert _write(tmp_path / "a.xlsx").read_bytes() == _write(tmp_path / "b.xlsx").read_bytes()


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
