"""Find and read the input tables: CSV, Excel and Parquet files into pandas frames.

This module only turns files into frames; it does not check columns or parse values (the
validator does). CSV and Excel cells come back as text (pandas ``string`` dtype, missing cells
as ``pd.NA``), so ids like ``000123`` keep their leading zeros. Parquet keeps its column types,
except that columns the schema calls text are turned into text as well.

Every frame is indexed by the row number a person sees in a spreadsheet: the header is row 1,
the first data row is row 2. The index is named ``row``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import hashlib
import io
import math
import re
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from tiering.schemas import TABLES, column_kinds, pattern_columns

__all__ = ["InputFileError", "file_sha256", "find_table", "read_table"]

TEXT = pd.StringDtype("pyarrow")
"""The dtype of every text column this module returns (missing values are ``pd.NA``)."""

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xls")

_CHUNK = 1 << 20
_CHINESE_ENCODINGS = {"gb2312", "gbk", "gb18030", "cp936", "hz"}
_FIRST_DATA_ROW = 2


class InputFileError(Exception):
    """An input file that cannot be found unambiguously or cannot be read."""

    def __init__(self, message: str, *, path: Path | None = None, table: str | None = None):
        super().__init__(message)
        self.path = path
        self.table = table


# --------------------------------------------------------------------------- finding files


def find_table(folder: Path, name: str) -> Path | None:
    """The file (or Parquet folder) holding table ``name`` in ``folder``, or None if absent.

    Candidates are ``name.csv``, ``name.parquet``, ``name.pq``, a folder ``name/`` holding
    Parquet files, ``name.xlsx`` and ``name.xls``; file names are matched case-insensitively.
    More than one candidate raises InputFileError.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"input folder {folder} does not exist or is not a folder",
                             path=folder, table=name)
    wanted = name.casefold()
    candidates = []
    for entry in sorted(folder.iterdir()):
        stem, suffix = entry.stem.casefold(), entry.suffix.casefold()
        if entry.is_dir():
            named = entry.name.casefold() == wanted or (
                stem == wanted and suffix in PARQUET_SUFFIXES)
            if named and _holds_parquet(entry):
                candidates.append(entry)
        elif stem == wanted and suffix in CSV_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES:
            candidates.append(entry)
    if len(candidates) > 1:
        names = ", ".join(c.name + ("/" if c.is_dir() else "") for c in candidates)
        raise InputFileError(
            f"table {name!r} has more than one input file in {folder}: {names}; "
            "keep exactly one of them",
            path=folder, table=name,
        )
    return candidates[0] if candidates else None


def _holds_parquet(folder: Path) -> bool:
    return any(dataset_files(folder))


def dataset_files(folder: Path) -> Iterator[Path]:
    """Parquet files under a dataset folder, skipping hidden and ``_``-prefixed entries."""
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(part.startswith((".", "_")) for part in parts):
            continue
        if path.is_file() and path.suffix.casefold() in PARQUET_SUFFIXES:
            yield path


# --------------------------------------------------------------------------- hashing


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a Parquet folder (its sorted relative paths and contents)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for file in dataset_files(path):
            relative = file.relative_to(path).as_posix().encode("utf-8")
            digest.update(len(relative).to_bytes(8, "big") + relative)
            digest.update(file.stat().st_size.to_bytes(8, "big"))
            _hash_into(digest, file)
    else:
        _hash_into(digest, path)
    return digest.hexdigest()


def _hash_into(digest: hashlib._Hash, file: Path) -> None:
    try:
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputFileError(f"cannot read {file}: {exc.strerror or exc}", path=file) from exc


# --------------------------------------------------------------------------- reading


def read_table(path: Path, table: str) -> pd.DataFrame:
    """Read the file of input table ``table`` into a frame indexed by spreadsheet row number.

    CSV and Excel: every cell as text, stripped, empty cells missing. Parquet: its own types,
    but the columns the schema calls text become text. Raises InputFileError if the file cannot
    be read.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path} does not exist", path=path, table=table)
    suffix = path.suffix.casefold()
    if path.is_dir() or suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(path, table)
    elif suffix in CSV_SUFFIXES:
        frame = _read_csv(path, table)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, table)
    else:
        raise InputFileError(
            f"{path}: unsupported file type {path.suffix!r} for table {table!r} "
            "(use .csv, .parquet, .xlsx or .xls)",
            path=path, table=table,
        )
    frame.index.name = "row"
    return frame


# --- CSV


def _read_csv(path: Path, table: str) -> pd.DataFrame:
    encoding = _csv_encoding(path, table)
    try:
        if encoding == "utf-8-sig":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), None)
            source: Path | io.BytesIO = path
        else:
            text = path.read_bytes().decode(encoding).removeprefix("\ufeff")
            header = next(csv.reader(io.StringIO(text, newline="")), None)
            source = io.BytesIO(text.encode("utf-8"))
            del text
    except (OSError, csv.Error) as exc:
        raise InputFileError(f"cannot read {path}: {exc}", path=path, table=table) from exc
    if not header:
        raise InputFileError(
            f"{path} is empty or its first line is blank: the header must be on row 1",
            path=path, table=table,
        )
    width = len(header)
    try:
        data = pa_csv.read_csv(
            source,
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(delimiter=",", newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(f"cannot read {path} as CSV: {exc}", path=path, table=table) \
            from exc
    names = [header_name(value) for value in data.slice(0, 1).to_pylist()[0].values()]
    data = data.slice(1)
    with ThreadPoolExecutor() as pool:  # Arrow compute releases the GIL: clean columns at once
        columns = list(pool.map(_clean_text, (c.cast(pa.string()) for c in data.columns)))
    return _text_frame(names, columns, data.num_rows)


def _csv_encoding(path: Path, table: str) -> str:
    """``utf-8-sig`` if the file is valid UTF-8, else ``gb18030`` if it is Chinese text.

    charset-normalizer decides whether a non-UTF-8 file is Chinese (any of its candidates is a
    GB encoding); such a file is decoded as GB18030, the superset of GBK and GB2312. Any other
    encoding is refused rather than guessed, since a wrong single-byte guess gives mojibake.
    """
    utf8_error = _utf8_error_offset(path, table)
    if utf8_error is None:
        return "utf-8-sig"
    offset, byte = utf8_error
    raw = path.read_bytes()
    problem = f"byte 0x{byte:02x} at offset {offset} is not valid UTF-8"
    if raw.startswith(codecs.BOM_UTF8):  # it says it is UTF-8: do not guess another encoding
        guesses = []
        problem += " although the file starts with a UTF-8 byte order mark"
    else:
        guesses = [match.encoding for match in charset_normalizer.from_bytes(raw)]
    if any(guess.replace("-", "").replace("_", "") in _CHINESE_ENCODINGS for guess in guesses):
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            problem += (f", and byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                        "is not valid GBK/GB18030")
        else:
            return "gb18030"
    elif guesses:
        problem += f" (the file may be in {guesses[0]}, which is not supported)"
    raise InputFileError(
        f"cannot decode {path}: {problem}. Save it as UTF-8 (Excel: 'CSV UTF-8') "
        "or as GBK/GB18030",
        path=path, table=table,
    )


def _utf8_error_offset(path: Path, table: str) -> tuple[int, int] | None:
    """Offset and value of the first byte that is not valid UTF-8, or None; streamed."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    consumed = 0
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(_CHUNK)
                pending = decoder.getstate()[0]
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    start = consumed - len(pending) + exc.start
                    return start, exc.object[exc.start]
                if not chunk:
                    return None
                consumed += len(chunk)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}",
                             path=path, table=table) from exc


# --- Excel


def _read_excel(path: Path, table: str) -> pd.DataFrame:
    try:
        rows = _excel_rows(path, table)
    except InputFileError:
        raise
    except Exception as exc:  # the Excel libraries raise many kinds of error on a bad file
        raise InputFileError(
            f"cannot read {path} as an Excel workbook: {type(exc).__name__}: {exc}",
            path=path, table=table,
        ) from exc
    if not rows or not any(_cell_text(value) is not None for value in rows[0]):
        raise InputFileError(
            f"{path}: the sheet is empty or row 1 is blank: the header must be on row 1",
            path=path, table=table,
        )
    width = max(len(row) for row in rows)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in rows[1:]:
        for i in range(width):
            columns[i].append(_cell_text(row[i]) if i < len(row) else None)
    header = list(rows[0]) + [None] * (width - len(rows[0]))
    names = [header_name(_cell_text(value)) for value in header]
    arrays = [pa.array(values, type=pa.string()) for values in columns]
    return _text_frame(names, arrays, len(rows) - 1)


def _excel_rows(path: Path, table: str, engine: str | None = None) -> list[list[object]]:
    """The cell values of the table's sheet, from cell A1, one list per row.

    The sheet is the one named like the table if there is one, else the first sheet. Uses
    python-calamine when it is installed (faster, and the only way to read .xls), else openpyxl.
    """
    engine = engine or _excel_engine()
    if engine == "calamine":
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            sheet = workbook.get_sheet_by_name(_pick_sheet(workbook.sheet_names, table))
            return sheet.to_python(skip_empty_area=False)
        finally:
            workbook.close()
    if path.suffix.casefold() == ".xls":
        raise InputFileError(
            f"{path}: reading .xls files needs the python-calamine package; "
            "save the file as .xlsx or .csv",
            path=path, table=table,
        )
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook[_pick_sheet(workbook.sheetnames, table)]
            return [list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]
        finally:
            workbook.close()


def _excel_engine() -> str:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _pick_sheet(names: list[str], table: str) -> str:
    if not names:
        raise ValueError("the workbook has no sheets")
    for name in names:
        if name.strip().casefold() == table.casefold():
            return name
    return names[0]


# --- Parquet


def _read_parquet(path: Path, table: str) -> pd.DataFrame:
    try:
        data = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputFileError(f"cannot read {path} as Parquet: {exc}", path=path, table=table) \
            from exc
    # An index the writer saved comes back as ordinary columns: named ones keep their name,
    # unnamed ones (``__index_level_0__``) are dropped.
    data = data.drop_columns([n for n in data.column_names if _INDEX_COLUMN.fullmatch(n)])
    kinds = column_kinds(table)
    patterns = pattern_columns(table)
    for i, name in enumerate(data.column_names):
        kind = kinds.get(name)
        if kind is None:
            kind = next((k for p, k in patterns.items() if re.match(p, name)), None)
        if kind == "text":
            data = data.set_column(i, name, _arrow_text(data.column(i)))
    frame = data.to_pandas(ignore_metadata=True, types_mapper=_TEXT_TYPES.get)
    frame.index = pd.RangeIndex(_FIRST_DATA_ROW, _FIRST_DATA_ROW + len(frame))
    return frame


_INDEX_COLUMN = re.compile(r"__index_level_\d+__")
_TEXT_TYPES = {pa.string(): TEXT, pa.large_string(): TEXT}


def _arrow_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column as text: ints without ``.0``, dates as ISO, stripped, "" missing."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)
            or pa.types.is_integer(kind)):
        text = column.cast(pa.string())
    else:
        text = pa.chunked_array(
            [pa.array([_cell_text(v) for v in column.to_pylist()], type=pa.string())],
            type=pa.string(),
        )
    return _clean_text(text)


# --- shared


def _cell_text(value: object) -> str | None:
    """A cell value as the text a person would type: None for empty cells."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _number_text(float(value))
    if isinstance(value, decimal.Decimal):
        return _number_text(float(value)) if value.is_finite() else None
    if isinstance(value, dt.datetime):  # also pd.Timestamp
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return _cell_text(pd.Timestamp(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip() or None
    return str(value).strip() or None


def _number_text(value: float) -> str | None:
    if math.isnan(value):
        return None
    if value.is_integer():
        return str(int(value))
    return format(value, ".15g")  # the digits Excel shows


def header_name(value: object) -> str:
    """A column name as read from a file's header (a BOM and white space stripped)."""
    return "" if value is None else str(value).removeprefix("\ufeff").strip()


def _clean_text(array: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """Strip whitespace and turn empty strings into nulls."""
    cleaned = pc.utf8_trim_whitespace(array)
    blank = pc.equal(pc.binary_length(cleaned), 0)
    if pc.any(blank).as_py():  # only cells of whitespace: "" was already null
        cleaned = pc.if_else(blank, pa.scalar(None, pa.string()), cleaned)
    if isinstance(cleaned, pa.Array):
        cleaned = pa.chunked_array([cleaned], type=pa.string())
    return cleaned


def _text_frame(names: list[str], columns: Iterable[pa.ChunkedArray | pa.Array],
                n_rows: int) -> pd.DataFrame:
    """A text frame indexed by spreadsheet row; drops all-empty rows and unnamed empty columns.

    Row numbers are assigned before dropping, so they still match the spreadsheet.
    """
    columns = [c if isinstance(c, pa.ChunkedArray) else pa.chunked_array([c], type=pa.string())
               for c in columns]
    keep = [i for i, (name, column) in enumerate(zip(names, columns, strict=True))
            if name or column.null_count < len(column)]
    rows = np.arange(_FIRST_DATA_ROW, _FIRST_DATA_ROW + n_rows, dtype=np.int64)
    if keep and n_rows:
        empty = pc.is_null(columns[keep[0]])
        for i in keep[1:]:
            empty = pc.and_(empty, pc.is_null(columns[i]))
        if pc.sum(empty).as_py():
            filled = pc.invert(empty)
            columns = [pc.filter(c, filled) for c in columns]
            rows = rows[filled.to_numpy(zero_copy_only=False)]
    frame = pd.DataFrame(
        {str(j): pd.array(columns[i], dtype=TEXT) for j, i in enumerate(keep)},
        index=pd.Index(rows, name="row"),
    )
    frame.columns = [names[i] for i in keep]
    return frame
