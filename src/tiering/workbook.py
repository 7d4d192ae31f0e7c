"""Write the Excel workbook of the main tables for staff.

One sheet per table, the header row bold and frozen, columns as wide as their content (a CJK
character counts double), dates as Excel dates and numbers with thousands separators. The same
frames always give the same bytes: the document properties and the zip entries carry fixed
timestamps instead of the clock's.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

__all__ = ["FIXED_TIMESTAMP", "sheet_names", "write_workbook"]

#: Creation and modification time written into every workbook.
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip entry can carry
_CORE_PROPERTIES = "docProps/core.xml"

_MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
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
    with pd.ExcelWriter(
        buffer, engine="openpyxl", date_format=_DATE, datetime_format=_DATE
    ) as writer:
        for name, df in zip(names, sheets.values(), strict=True):
            table = _prepared(df)
            table.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            _layout(writer.sheets[name], table)
        properties = writer.book.properties
        properties.creator = "tiering"
        properties.created = timestamp
    properties.modified = timestamp  # (openpyxl sets it to the clock's time when saving)
    data = _fixed_zip(buffer.getvalue(), {_CORE_PROPERTIES: tostring(properties.to_tree())})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


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


def _prepared(df: pd.DataFrame) -> pd.DataFrame:
    """The table as written: the index as columns unless a RangeIndex, column names as text,
    and times without their zone (Excel has none)."""
    table = df if type(df.index) is pd.RangeIndex else df.reset_index()
    table = table.copy()
    table.columns = [str(c) for c in table.columns]
    for column in table.columns:
        dtype = table[column].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            table[column] = table[column].dt.tz_localize(None)
    return table


def _layout(sheet: Worksheet, table: pd.DataFrame) -> None:
    """Bold header, number and date formats, and column widths fitted to the content."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    last_row = len(table) + 1
    for j, column in enumerate(table.columns, start=1):
        values = table[column]
        number_format = _number_format(values)
        if number_format and last_row > 1:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last_row, min_col=j, max_col=j):
                cell.number_format = number_format
        width = max(_text_width(pd.Series([column])), _content_width(values, number_format))
        sheet.column_dimensions[get_column_letter(j)].width = min(
            max(width + 2, _MIN_WIDTH), _MAX_WIDTH
        )


def _number_format(values: pd.Series) -> str | None:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype):
        present = values.dropna()
        has_time = bool(len(present)) and bool((present != present.dt.normalize()).any())
        return _DATETIME if has_time else _DATE
    if pd.api.types.is_integer_dtype(dtype):
        return _INTEGER
    if pd.api.types.is_float_dtype(dtype):
        return _DECIMAL
    return None


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


def _fixed_zip(data: bytes, replace: Mapping[str, bytes]) -> bytes:
    """The zip archive ``data`` rewritten with fixed entry timestamps and attributes, and the
    entries named in ``replace`` replaced."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, replace.get(entry.filename, source.read(entry.filename)))
    return out.getvalue()
