"""From numpy arrays to the tables' typed columns.

Text is built as numpy `StringDType` arrays (`STR`, `digits`, `join`) and becomes pandas `str`
columns; dates arrive as day numbers, booleans with an optional "known" mask. `frame` checks
the columns against the table's schema and puts them in schema order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import reduce

import numpy as np
import pandas as pd
import pyarrow as pa

from tiering.schemas import columns, pattern_columns

STR = np.dtypes.StringDType()


def digits(values: np.ndarray, width: int = 0) -> np.ndarray:
    """Integers as text, zero-padded to `width` when given."""
    text = np.asarray(values, dtype=np.int64).astype(STR)
    return np.strings.zfill(text, width) if width else text


def join(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays (and plain strings)."""
    return reduce(np.strings.add, parts)


def text(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    s = pd.Series(np.asarray(values, dtype=STR), dtype="str")
    return s.where(~missing) if missing is not None else s


def ids(
    labels: Sequence[str] | np.ndarray, index: np.ndarray, missing: np.ndarray | None = None
) -> pd.Series:
    """labels[index] as a string column, via a dictionary array (fast for many rows)."""
    dictionary = pa.array(np.asarray(labels, dtype=object), type=pa.string())
    codes = pa.array(np.asarray(index, dtype=np.int32), mask=missing)
    taken = pa.DictionaryArray.from_arrays(codes, dictionary).cast(pa.string())
    return pd.Series(taken, dtype="str")


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    ns = np.asarray(days, dtype=np.int64) * np.int64(86_400 * 10**9)
    if valid is not None:
        ns = np.where(valid, ns, np.iinfo(np.int64).min)  # NaT
    return pd.Series(ns.view("datetime64[ns]"))


def bools(values: np.ndarray, known: np.ndarray | None = None) -> pd.Series:
    values = np.asarray(values, dtype=bool)
    mask = np.zeros(values.size, dtype=bool) if known is None else ~np.asarray(known, dtype=bool)
    return pd.Series(pd.arrays.BooleanArray(values, mask))


def floats(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.float64))


def frame(table: str, data: dict[str, pd.Series]) -> pd.DataFrame:
    """The columns of `table`, in schema order (pattern columns last, as given); an
    AssertionError names a required column missing or a column the schema does not know."""
    named = columns(table)
    patterns = list(pattern_columns(table))
    missing = [c for c, required in named.items() if required and c not in data]
    unknown = [c for c in data if c not in named
               and not any(re.search(p, c) for p in patterns)]
    if missing or unknown:
        raise AssertionError(f"{table}: missing {missing}, unknown {unknown}")
    order = [c for c in named if c in data] + [c for c in data if c not in named]
    return pd.DataFrame({c: data[c] for c in order})
