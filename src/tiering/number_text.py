"""Numbers and text for whole columns at once: exact fixed-point text, Arrow text as pandas',
membership and look-up of ids by Arrow's hash look-up.

Used where a reason or a finding spells out a figure for every one of a million clients, or a
million ids are looked up: a Python call per value would cost seconds.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["STR", "among", "decimal_text", "look_up", "positions", "str_array"]

STR = pd.StringDtype(na_value=np.nan)  # pandas' `str`


def decimal_text(values: np.ndarray, decimals: int) -> pa.Array:
    """Numbers exactly as Python's f"{v:,.{decimals}f}" writes them (-1234.5, 2 → "-1,234.50"),
    whole columns at a time.

    v·10**decimals is within |v·10**decimals|·2⁻⁵³ of the exact product, so rounding it half
    to even (as Python rounds the exact binary value) is exact unless it lies that close to a
    half unit. Those rare values, nan, inf and anything of 10**15 units or more are written by
    Python itself.
    """
    values = np.asarray(values, np.float64)
    scaled = values * 10**decimals
    rounded = np.rint(scaled)
    with np.errstate(invalid="ignore"):
        safe = (np.abs(scaled) < 1e15) & (
            0.5 - np.abs(scaled - rounded) > np.abs(scaled) * 2.0**-50)
    units = np.where(safe, np.abs(rounded), 0).astype(np.int64)
    whole = units // 10**decimals
    groups, fractions, signs = _text_pieces(decimals)
    parts = [signs.take(np.signbit(values).astype(np.int8))]
    count = 1 + sum((whole >= 1000**j).astype(np.int64) for j in range(1, 5))  # ≤ 5 groups
    for j in reversed(range(int(count.max(initial=1)))):
        group = whole // 1000**j % 1000  # "" beyond the count, unpadded leading, ",ddd" after
        parts.append(groups.take(np.where(j >= count, 0, group + np.where(
            j == count - 1, 1, 1001))))
    if decimals:
        parts.append(fractions.take(units % 10**decimals))
    text = pc.binary_join_element_wise(*parts, "")
    if safe.all():
        return text
    by_python = [f"{v:,.{decimals}f}" for v in values[~safe].tolist()]
    return pc.replace_with_mask(text, pa.array(~safe), pa.array(by_python, pa.string()))


@cache
def _text_pieces(decimals: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Digit groups ("", "0".."999", ",000"..",999"), fractions (".00"..) and signs."""
    groups = [""] + [str(i) for i in range(1000)] + [f",{i:03d}" for i in range(1000)]
    fractions = [f".{i:0{decimals}d}" for i in range(10**decimals)] if decimals else []
    return pa.array(groups), pa.array(fractions, pa.string()), pa.array(["", "-"])


def str_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Arrow text as pandas' `str` array (the type pandas infers for Python strings)."""
    return values.to_pandas(types_mapper={pa.string(): STR}.get).array


def among(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """`values.isin(pool)` as a boolean array, a missing value never among; text by Arrow's
    hash look-up (pandas' `isin` on Arrow-backed text can take seconds for a few thousand
    values in a million)."""
    return positions(values, pool) >= 0


def positions(values: pd.Series, keys: pd.Series | pd.Index) -> np.ndarray:
    """Where each of `values` first occurs in `keys` (int64), -1 when it does not (a missing
    value is not found): for text, Arrow's hash look-up, several times faster than pandas'
    `map` or `get_indexer` on a million ids."""
    wanted, pool = _text(values), _text(keys)
    if wanted is not None and pool is not None:
        found = pc.index_in(wanted, value_set=pool.cast(wanted.type), skip_nulls=True)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    index = pd.Index(keys)
    first = ~index.duplicated()
    at = index[first].get_indexer(values)
    at = np.where(at >= 0, np.flatnonzero(first)[np.maximum(at, 0)], -1) if len(index) else at
    at[pd.isna(np.asarray(values, dtype=object))] = -1
    return at.astype(np.int64)


def look_up(values: pd.Series, keys: pd.Series | pd.Index, targets: object,
            default: object = np.nan) -> np.ndarray:
    """`targets` (aligned with `keys`) at the position of each of `values` in `keys`, `default`
    where it is not there: `values.map(dict(zip(keys, targets))).fillna(default)` by
    `positions`."""
    targets = np.asarray(targets)
    at = positions(values, keys)
    found = at >= 0
    if found.all():
        return targets[at]
    kind = (object if targets.dtype == np.dtype(object)
            else np.result_type(targets.dtype, np.asarray(default).dtype))
    out = np.full(len(at), default, dtype=kind)
    out[found] = targets[at[found]]
    return out


def _text(values: object) -> pa.Array | None:
    """`values` as an Arrow text array, or None when they are not all text (or missing)."""
    if isinstance(values, pd.Index):
        values = values.to_series()
    dtype = getattr(values, "dtype", None)
    if not isinstance(dtype, pd.StringDtype) and dtype != np.dtype(object):
        return None
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    return None
