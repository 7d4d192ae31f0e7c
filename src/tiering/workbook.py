"""Write the Excel workbook of the main tables for staff.

One sheet per table, the header row bold and frozen, columns as wide as their content (a CJK
character counts double), dates as Excel dates and numbers with thousands separators. The same
frames always give the same bytes: the document properties carry a fixed timestamp instead of
the clock's, and the zip entries XlsxWriter's in-memory mode writes all carry 1980-01-01.

Cells are written column by column through XlsxWriter's own API from arrays converted once
(not through pandas' cell-by-cell formatter), with shared strings. Text is always written as
text: a value that looks like a formula, a URL, a number or XlsxWriter's rich-text markup
stays what it is. A missing value (None, NaN, NA, NaT) is an empty cell. Text longer than
Excel's cell limit of 32,767 characters (UTF-16 units) is cut to the limit, its last character
an ellipsis ``…`` to show the cut (the CSV files keep the whole text). Infinite numbers, which
Excel cannot hold, are written as the text ``inf`` or ``-inf``; dates before 1900, which Excel
cannot hold either, as ISO text.

Column widths are given to XlsxWriter in characters (it stores them as Excel does, with the
cell padding added); XlsxWriter itself is pinned below version 4 because the reproducible zip
entries come from its ``in_memory`` mode.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

__all__ = ["FIXED_TIMESTAMP", "sheet_names", "write_workbook"]

#: Creation and modification time written into every workbook.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)

_OPTIONS = {
    # zip entries built in memory carry Excel's fixed 1980-01-01 timestamp (on-disk temp
    # files would carry 1980-01-31 in the local zone)
    "in_memory": True,
    # text is text: no formulas, hyperlinks or numbers guessed from strings
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

_MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_ROWS, _MAX_COLUMNS = 1_048_576, 16_384  # a worksheet's size, header row included
_MAX_TEXT = 32_767  # UTF-16 code units in one cell
_CUT = "…"
_MIN_WIDTH, _MAX_WIDTH = 6, 60
# East Asian wide and full-width characters take two columns' width
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)

_DATE = "yyyy-mm-dd"
_DATETIME = "yyyy-mm-dd hh:mm:ss"
_INTEGER = "#,##0"
_DECIMAL = "#,##0.00"

# Excel's serial day 1 is 1900-01-01; it counts a 29 February 1900 that never was, so from
# 1 March 1900 on a date's serial number is one more than its distance from 1899-12-31.
_EPOCH = np.datetime64("1899-12-31", "D")
_DAY = np.timedelta64(1, "D")
_FALSE_LEAP_DAY = 60


def write_workbook(
    path: Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    timestamp: dt.datetime = FIXED_TIMESTAMP,
) -> None:
    """Write ``sheets`` (sheet name → table, in order) to the workbook at ``path``.

    Sheet names are made valid for Excel (see :func:`sheet_names`). A table's index is written
    as columns unless it is a plain ``RangeIndex``. ``timestamp`` is recorded as the workbook's
    creation and modification time.
    """
    names = sheet_names(list(sheets))
    buffer = BytesIO()
    book = xlsxwriter.Workbook(buffer, _OPTIONS)
    book.set_properties({"author": "tiering", "created": timestamp})  # also the modified time
    formats = {
        key: book.add_format({"num_format": key})
        for key in (_DATE, _DATETIME, _INTEGER, _DECIMAL)
    }
    bold = book.add_format({"bold": True})
    for name, df in zip(names, sheets.values(), strict=True):
        _write_sheet(book.add_worksheet(name), df, bold, formats)
    book.close()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def sheet_names(names: list[str]) -> list[str]:
    """Valid, distinct Excel sheet names: ``[]:*?/\\`` become ``_``, at most 31 characters,
    and a repeated name (ignoring case) gets a suffix ``~2``, ``~3``, …"""
    out: list[str] = []
    taken: set[str] = set()
    for raw in names:
        base = _BAD_SHEET_CHARS.sub("_", str(raw)).strip("'") or "Sheet"
        name = base[:_MAX_SHEET_NAME]
        count = 1
        while name.casefold() in taken:
            count += 1
            suffix = f"~{count}"
            name = base[: _MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(name.casefold())
        out.append(name)
    return out


def _write_sheet(
    sheet: Worksheet, df: pd.DataFrame, bold: Format, formats: Mapping[str, Format]
) -> None:
    """One table: the bold frozen header, the cells column by column, the column widths."""
    columns = list(_columns(df))
    if len(df) >= _MAX_ROWS or len(columns) > _MAX_COLUMNS:
        raise ValueError(
            f"a table of {len(df):,} rows and {len(columns):,} columns does not fit a worksheet"
            f" ({_MAX_ROWS - 1:,} rows and {_MAX_COLUMNS:,} columns at most)"
        )
    sheet.freeze_panes(1, 0)
    for j, (name, values) in enumerate(columns):
        _write_text(sheet, 0, j, name, bold)
        number_format = _write_column(sheet, j, values, formats)
        width = max(_text_width(pd.Series([name])), _content_width(values, number_format))
        sheet.set_column(j, j, min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH))


def _columns(df: pd.DataFrame) -> Iterator[tuple[str, pd.Series]]:
    """The columns as written: the index as columns unless a RangeIndex, names as text, and
    times without their zone (Excel has none)."""
    table = df if type(df.index) is pd.RangeIndex else df.reset_index()
    for j, name in enumerate(table.columns):
        values = table.iloc[:, j]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_localize(None)
        yield str(name), values


def _write_column(
    sheet: Worksheet, j: int, values: pd.Series, formats: Mapping[str, Format]
) -> str | None:
    """Write one column's cells below the header; return its number format, if any."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        present = np.flatnonzero(values.notna().to_numpy())
        flags = values.to_numpy(dtype=bool, na_value=False)[present].tolist()
        write = sheet.write_boolean
        for row, flag in zip((present + 1).tolist(), flags, strict=True):
            write(row, j, flag)
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _write_dates(sheet, j, values.to_numpy(), formats)
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        integer = pd.api.types.is_integer_dtype(dtype)
        number_format = _INTEGER if integer else _DECIMAL
        _write_numbers(sheet, j, values, formats[number_format], integer=integer)
        return number_format
    if isinstance(dtype, pd.StringDtype):
        present = np.flatnonzero(values.notna().to_numpy())
        texts = values.to_numpy(dtype=object, na_value=None)[present].tolist()
        write = sheet.write_string
        for row, text in zip((present + 1).tolist(), texts, strict=True):
            if len(text) > _MAX_TEXT // 2 or text.startswith("<r>"):
                _write_text(sheet, row, j, text)  # long, or taken for markup: see there
            else:
                write(row, j, text)
        return None
    _write_objects(sheet, j, values.to_numpy(dtype=object), formats)
    return None


def _write_numbers(
    sheet: Worksheet, j: int, values: pd.Series, cell_format: Format, *, integer: bool
) -> None:
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(numbers)
    # integers go in as Python ints, as exact as the column (floats only when some are missing)
    exact = values.to_numpy() if integer and not values.hasnans else numbers
    rows = np.flatnonzero(finite)
    write = sheet.write_number
    for row, number in zip((rows + 1).tolist(), exact[rows].tolist(), strict=True):
        write(row, j, number, cell_format)
    for i in np.flatnonzero(np.isinf(numbers)).tolist():
        sheet.write_string(i + 1, j, "inf" if numbers[i] > 0 else "-inf")


def _write_dates(
    sheet: Worksheet, j: int, stamps: np.ndarray, formats: Mapping[str, Format]
) -> str:
    """Write datetime64 values as Excel serial dates; return the date or date-time format."""
    serial = _excel_serial(stamps)
    present = ~np.isnan(serial)
    has_time = bool((serial[present] % 1 != 0).any())
    number_format = _DATETIME if has_time else _DATE
    cell_format = formats[number_format]
    valid = present & (serial >= 1)
    rows = np.flatnonzero(valid)
    write = sheet.write_number
    for row, number in zip((rows + 1).tolist(), serial[rows].tolist(), strict=True):
        write(row, j, number, cell_format)
    for i in np.flatnonzero(present & ~valid).tolist():  # before 1900: not an Excel date
        sheet.write_string(i + 1, j, _iso(pd.Timestamp(stamps[i]), has_time))
    return number_format


def _excel_serial(stamps: np.ndarray) -> np.ndarray:
    """Excel serial day numbers (fraction = time of day) of datetime64 values; NaT → NaN."""
    days = (stamps - _EPOCH) / _DAY
    return np.where(days >= _FALSE_LEAP_DAY, days + 1, days)


def _write_objects(
    sheet: Worksheet, j: int, values: np.ndarray, formats: Mapping[str, Format]
) -> None:
    """Write a column of mixed Python values, each by its own type; numbers unformatted."""
    for i, value in enumerate(values.tolist(), start=1):
        if isinstance(value, str):
            _write_text(sheet, i, j, value)
        elif value is None or value is pd.NA or value is pd.NaT:
            continue
        elif isinstance(value, bool | np.bool_):
            sheet.write_boolean(i, j, bool(value))
        elif isinstance(value, int | float | Decimal | Fraction | np.number):
            number = float(value)
            if math.isfinite(number):
                sheet.write_number(i, j, number)
            elif not math.isnan(number):
                sheet.write_string(i, j, "inf" if number > 0 else "-inf")
        elif isinstance(value, dt.date | np.datetime64):  # datetime and Timestamp included
            stamp = pd.Timestamp(value)
            if stamp is pd.NaT:
                continue
            if stamp.tzinfo is not None:
                stamp = stamp.tz_localize(None)
            has_time = stamp != stamp.normalize()
            serial = _excel_serial(np.array([stamp.to_datetime64()]))[0]
            if serial >= 1:
                sheet.write_number(i, j, serial, formats[_DATETIME if has_time else _DATE])
            else:
                sheet.write_string(i, j, _iso(stamp, has_time))
        else:
            _write_text(sheet, i, j, str(value))


def _iso(stamp: pd.Timestamp, has_time: bool) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")


def _write_text(sheet: Worksheet, i: int, j: int, text: str, cell_format=None) -> None:
    """Write ``text`` as a shared string, cut to Excel's cell limit (an ellipsis marks the
    cut). XlsxWriter takes a string framed as ``<r>…</r>`` for its own rich-text markup, so
    such a text is written as three plain runs instead."""
    if len(text) > _MAX_TEXT // 2:
        units = text.encode("utf-16-le", "surrogatepass")
        if len(units) > 2 * _MAX_TEXT:
            kept = units[: 2 * (_MAX_TEXT - len(_CUT))]
            text = kept.decode("utf-16-le", "ignore") + _CUT  # no half of a surrogate pair
    if text.startswith("<r>") and text.endswith("</r>"):
        runs = ("<", "r>", text[3:])
        sheet.write_rich_string(i, j, *runs, *([cell_format] if cell_format else []))
    else:
        sheet.write_string(i, j, text, cell_format)


def _content_width(values: pd.Series, number_format: str | None) -> int:
    """The display width of the widest value."""
    present = values.dropna()
    if present.empty:
        return 0
    if number_format == _DATE:
        return 10
    if number_format == _DATETIME:
        return 19
    if number_format in (_INTEGER, _DECIMAL):
        pattern = "{:,.0f}" if number_format == _INTEGER else "{:,.2f}"
        return max(len(pattern.format(v)) for v in (present.min(), present.max()))
    return _text_width(present.astype(str))


def _text_width(text: pd.Series) -> int:
    """The widest text, counting each East Asian wide character twice."""
    text = text.astype(str)
    widths = text.str.len() + text.str.count(_WIDE.pattern)
    return int(widths.max()) if len(widths) else 0
