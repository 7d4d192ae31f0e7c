"""Writing the sample: one CSV (UTF-8 with BOM, dates YYYY-MM-DD, booleans true/false) or
Parquet file per table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd


def write_sample(tables: Mapping[str, pd.DataFrame], out: Path, fmt: str = "csv") -> list[Path]:
    """Write one file per table into `out`: <table>.csv (UTF-8 with BOM, dates YYYY-MM-DD,
    booleans true/false, money with 2 decimals) or <table>.parquet (pyarrow)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: csv or parquet")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path, engine="pyarrow", index=False)
        else:
            _csv_ready(frame).to_csv(path, index=False, encoding="utf-8-sig",
                                     date_format="%Y-%m-%d", float_format="%.2f")
        paths.append(path)
    return paths


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as true/false; floats that 2 decimals would round (NAVs, rates, shares) as text
    with just enough decimals, so the CSV keeps the values."""
    out = {}
    for name, col in frame.items():
        if isinstance(col.dtype, pd.BooleanDtype):
            out[name] = col.map({True: "true", False: "false"}, na_action="ignore")
        elif pd.api.types.is_float_dtype(col.dtype):
            out[name] = _decimals(col)
        else:
            out[name] = col
    return pd.DataFrame(out)


def _decimals(col: pd.Series) -> pd.Series:
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    for places in (2, 3, 4, 5, 6):
        if np.allclose(np.round(finite, places), finite, rtol=0, atol=1e-9):
            break
    if places == 2:
        return col
    text = pd.Series(np.char.mod(f"%.{places}f", values), index=col.index, dtype="str")
    return text.where(np.isfinite(values))
