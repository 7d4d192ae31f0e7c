"""Write output files: byte-stable CSV and JSON, published all at once through a staging folder.

The same frame or object always gives the same bytes, so outputs can be compared and hashed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import decimal
import enum
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePath

import duckdb
import numpy as np
import pandas as pd

__all__ = ["staged_output", "write_csv", "write_json"]


# --------------------------------------------------------------------------- CSV


def write_csv(df: pd.DataFrame, path: Path, *, sort_by: list[str] | None = None,
              float_format: str = "%.2f") -> None:
    """Write ``df`` as CSV: UTF-8 with BOM, ``\\n`` line ends, no index, stable layout.

    Rows are sorted by ``sort_by`` (stable). Dates are ``YYYY-MM-DD`` (ISO date and time if a
    column has times of day), booleans ``true``/``false``, floats use ``float_format`` with no
    negative zero, and missing values (and empty text) are empty. A field is quoted when it
    holds a comma, a double quote (doubled), a line break or ``#``.

    The rows are formatted and written by DuckDB, in parallel and in order (a million rows in
    about a second); the header is written here with the csv module.
    """
    if sort_by and not _already_sorted(df, sort_by):
        df = df.sort_values(sort_by, kind="mergesort", na_position="last")
    df = df.reset_index(drop=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(name) for name in df.columns])
    with path.open("wb") as handle:
        handle.write(header.getvalue().encode("utf-8-sig"))
        if df.empty or not df.shape[1]:
            return
        values, exprs = {}, []
        for i in range(df.shape[1]):
            key = f"c{i}"
            values[key], expr = _duck_column(df.iloc[:, i], key, float_format)
            exprs.append(expr)
        rows = path.with_name(f".{path.name}.rows")
        try:
            with duckdb.connect(config={"preserve_insertion_order": True}) as con:
                con.register("frame", pd.DataFrame(values, copy=False))
                con.execute(f"COPY (SELECT {', '.join(exprs)} FROM frame) TO '{_sql_text(rows)}'"
                            " (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"')")
            with rows.open("rb") as body:
                shutil.copyfileobj(body, handle, 1 << 24)
        finally:
            rows.unlink(missing_ok=True)


def _already_sorted(df: pd.DataFrame, sort_by: list[str]) -> bool:
    """Whether a stable sort by one key would leave `df` as it is (no missing key, keys
    never decreasing): a million-row table made in order is not sorted again."""
    if len(sort_by) != 1:
        return False
    key = df[sort_by[0]]
    return not key.isna().any() and key.is_monotonic_increasing


_FIXED_FORMAT = re.compile(r"%\.(\d{1,2})f")


def _duck_column(column: pd.Series, key: str, float_format: str) -> tuple[object, str]:
    """A column as DuckDB reads it, and the SQL expression that gives its text."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return (column.astype("boolean"),
                f"CASE WHEN {key} THEN 'true' WHEN NOT {key} THEN 'false' END")
    if pd.api.types.is_datetime64_any_dtype(dtype) and not isinstance(dtype, pd.DatetimeTZDtype):
        present = column.dropna()
        has_time = bool(len(present)) and bool((present != present.dt.normalize()).any())
        pattern = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
        return column, f"strftime({key}, '{pattern}')"
    if isinstance(dtype, pd.StringDtype):
        return column, f"NULLIF({key}, '')"
    if pd.api.types.is_integer_dtype(dtype):
        return column, key
    if pd.api.types.is_float_dtype(dtype) and _FIXED_FORMAT.fullmatch(float_format):
        zero = float_format % 0.0
        text = f"printf('{float_format}', {key})"
        return (column.to_numpy(dtype=float, na_value=np.nan),
                f"CASE WHEN {key} IS NULL OR isnan({key}) THEN NULL "
                f"WHEN {text} = '-{zero}' THEN '{zero}' ELSE {text} END")
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if pd.api.types.is_object_dtype(dtype) and kind in ("string", "empty"):
        return column, f"NULLIF(CAST({key} AS VARCHAR), '')"  # text and missing values only
    text = pd.Series(_column_text(column, float_format).to_numpy(), dtype="str")
    return text, f"NULLIF({key}, '')"


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _column_text(column: pd.Series, float_format: str) -> pd.Series:
    """One column as text (object dtype, None for missing)."""
    dtype = column.dtype
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        values = np.where(column.fillna(False).to_numpy(dtype=bool), "true", "false")
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        values = _datetime_text(column)
    elif isinstance(dtype, pd.StringDtype):  # text as it is (the common, long columns)
        values = column.to_numpy(dtype=object, na_value=None)
    elif pd.api.types.is_integer_dtype(dtype) and not missing.any():
        values = column.astype("int64").astype(str).to_numpy(dtype=object)
    elif pd.api.types.is_float_dtype(dtype):
        zero = float_format % 0.0
        values = np.array([_float_text(v, float_format, zero)
                           for v in column.to_numpy(dtype=float, na_value=np.nan)], dtype=object)
    else:
        zero = float_format % 0.0
        values = np.array([_value_text(v, float_format, zero) for v in column.to_numpy(object)],
                          dtype=object)
    values = np.asarray(values, dtype=object)
    values[missing] = None
    return pd.Series(values, index=column.index, dtype=object)


def _datetime_text(column: pd.Series) -> np.ndarray:
    stamps = pd.DatetimeIndex(column)
    if stamps.tz is not None:
        return np.array([None if s is pd.NaT else s.isoformat() for s in stamps], dtype=object)
    present = stamps[~stamps.isna()]
    has_time = len(present) and (present != present.normalize()).any()
    pattern = "%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d"
    return np.asarray(stamps.strftime(pattern), dtype=object)


def _float_text(value: float, float_format: str, zero: str) -> str | None:
    if math.isnan(value):
        return None
    text = float_format % value
    return zero if text.startswith("-") and text[1:] == zero else text


def _value_text(value: object, float_format: str, zero: str) -> str | None:
    """A value of a mixed (object) column as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _float_text(float(value), float_format, zero)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- JSON


def write_json(obj: object, path: Path) -> None:
    """Write ``obj`` as JSON: UTF-8, unescaped non-ASCII, indent 2, sorted keys, final newline.

    The file is written beside and moved into place, so a reader sees the old or the new file,
    never half of one. Dates and datetimes become ISO strings (a naive pandas Timestamp at
    midnight is written as a date), numpy scalars Python numbers, paths POSIX strings,
    NaN/NaT/NA null, sets sorted lists, dataclasses and pydantic models dicts; anything else
    raises TypeError.
    """
    text = json.dumps(_jsonable(obj), ensure_ascii=False, indent=2, sort_keys=True,
                      allow_nan=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")  # replaced whole: a reader never sees half
    with part.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text + "\n")
    os.replace(part, path)


def _jsonable(obj: object) -> object:
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, decimal.Decimal):
        return float(obj) if obj.is_finite() else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, np.datetime64):
        obj = pd.Timestamp(obj)
        if obj is pd.NaT:
            return None
    if isinstance(obj, pd.Timestamp) and obj.tzinfo is None and obj == obj.normalize():
        return obj.date().isoformat()  # pandas holds dates as midnight timestamps
    if isinstance(obj, dt.datetime | dt.date | dt.time):
        return obj.isoformat()
    if isinstance(obj, pd.Timedelta | dt.timedelta):
        return pd.Timedelta(obj).isoformat()
    if isinstance(obj, PurePath):
        return obj.as_posix()
    if isinstance(obj, enum.Enum):
        return _jsonable(obj.value)
    if isinstance(obj, Mapping):
        return {_json_key(key): _jsonable(value) for key, value in obj.items()}
    if isinstance(obj, set | frozenset):
        return sorted((_jsonable(item) for item in obj), key=lambda v: json.dumps(v))
    if isinstance(obj, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [_jsonable(item) for item in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    if hasattr(obj, "model_dump"):  # pydantic models
        return _jsonable(obj.model_dump(mode="json"))
    raise TypeError(f"cannot write a {type(obj).__name__} as JSON: {obj!r}")


def _json_key(key: object) -> str:
    value = _jsonable(key)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return json.dumps(value)


# --------------------------------------------------------------------------- staging


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success, move its files into ``out_dir``.

    The staging folder is made next to ``out_dir`` (same filesystem), so each file is published
    with an atomic ``os.replace`` that overwrites a file of the same name; other files already in
    ``out_dir`` are kept. Subfolders are merged. If the block raises, the staging folder is
    removed, ``out_dir`` is left untouched, and the exception propagates.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        yield staging
        files = sorted(p for p in staging.rglob("*") if not p.is_dir())
        out_dir.mkdir(parents=True, exist_ok=True)
        for file in files:
            target = out_dir / file.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
