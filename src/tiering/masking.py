"""Mask personal data for reports: names, phone numbers, ID numbers and e-mail addresses.

Reviewers read the rendered reports, so what identifies a client is shown only in part:
张三 → 张*, 13812341234 → 138****1234, 110105199001010023 → 110105********0023,
zhangsan@example.com → z*******@example.com. One ``*`` stands for each hidden character, so
masking is idempotent (masking a masked value changes nothing) and missing values stay missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "INSTITUTION_MARKERS",
    "is_institution_name",
    "mask_email",
    "mask_frame",
    "mask_id_number",
    "mask_name",
    "mask_phone",
]

#: Words that mark a name as an institution's (kept: the first 2 and last 4 characters).
INSTITUTION_MARKERS = (
    "公司",
    "有限",
    "合伙",
    "基金",
    "银行",
    "中心",
    "企业",
    "集团",
    "信托",
    "证券",
    "保险",
    "事务所",
)
#: Names longer than this are treated as institutions' too.
_PERSON_NAME_MAX = 6
#: ``client_type`` values whose names are masked as institutions'.
_INSTITUTION_TYPES = frozenset({"institution"})
_PERSON_TYPES = frozenset({"individual"})


def _keep(text: str, head: int, tail: int) -> str:
    """``text`` with all but its first ``head`` and last ``tail`` characters replaced by *."""
    hidden = len(text) - head - tail
    return text[:head] + "*" * hidden + (text[len(text) - tail :] if tail else "")


def _text(value: Any) -> str | None:
    """A value as stripped text, or None when missing. Integral floats lose their ``.0``.
    (Callers return an empty text as it is.)"""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    return str(value).strip()


def is_institution_name(name: str) -> bool:
    """Whether a name reads as an institution's: it contains a marker such as 公司 or 基金, or it
    is longer than 6 characters."""
    return len(name) > _PERSON_NAME_MAX or any(m in name for m in INSTITUTION_MARKERS)


def mask_name(value: Any, *, institution: bool | None = None) -> str | None:
    """Mask a name.

    A person keeps the first character: 张三 → 张*, 欧阳娜娜 → 欧***; a one-character name becomes
    ``*``. An institution keeps its first 2 and last 4 characters, 上海某某投资管理有限公司 →
    上海******有限公司; a short one keeps less so that at least half is hidden (招商银行 → 招商*行).
    ``institution=None`` decides by :func:`is_institution_name`.
    """
    text = _text(value)
    if not text:
        return text
    if institution is None:
        institution = is_institution_name(text)
    n = len(text)
    if institution:
        tail = min(4, (n - 1) // 2)
        head = max(0, min(2, n - tail - 1))
        return _keep(text, head, tail)
    return _keep(text, min(1, n - 1), 0)


def mask_phone(value: Any) -> str | None:
    """Mask a phone number: keep the first 3 and last 4 characters when at least 8 long
    (13812341234 → 138****1234, 010-12345678 → 010*****5678), else all but the last 2
    (1234567 → *****67); 2 characters or fewer are hidden entirely."""
    text = _text(value)
    if not text:
        return text
    n = len(text)
    if n >= 8:
        return _keep(text, 3, 4)
    if n > 2:
        return _keep(text, 0, 2)
    return "*" * n


def mask_id_number(value: Any) -> str | None:
    """Mask an ID number, hiding the birth date of a resident ID.

    18 characters keep the first 6 and last 4 (110105199001010023 → 110105********0023);
    15 characters (the old resident ID) keep the first 6 and last 3 (110105900101123 →
    110105******123); other lengths keep the first 2 and last 2 when at least 6 long
    (E12345678 → E1*****78), else are hidden entirely.
    """
    text = _text(value)
    if not text:
        return text
    n = len(text)
    if n == 18:
        return _keep(text, 6, 4)
    if n == 15:
        return _keep(text, 6, 3)
    if n >= 6:
        return _keep(text, 2, 2)
    return "*" * n


def mask_email(value: Any) -> str | None:
    """Mask an e-mail address: the local part keeps its first character, the domain is kept
    (zhangsan@example.com → z*******@example.com, a@example.com → *@example.com)."""
    text = _text(value)
    if not text:
        return text
    local, at, domain = text.rpartition("@")
    if not at:
        local, domain = text, ""
    return _keep(local, max(0, min(1, len(local) - 1)), 0) + at + domain


_MASKS: dict[str, Callable[[Any], str | None]] = {
    "name": mask_name,
    "phone": mask_phone,
    "id_number": mask_id_number,
    "email": mask_email,
}


def mask_frame(df: pd.DataFrame, enabled: bool = True) -> pd.DataFrame:
    """A copy of ``df`` with its ``name``, ``phone``, ``id_number`` and ``email`` columns masked.

    Missing values stay missing and other columns are untouched. When the frame has a
    ``client_type`` column, names of ``institution`` rows are masked as institutions' and of
    ``individual`` rows as people's; otherwise each name decides (see
    :func:`is_institution_name`).
    With ``enabled=False`` the copy is unmasked.
    """
    out = df.copy()
    if not enabled:
        return out
    for column, mask in _MASKS.items():
        if column not in out.columns:
            continue
        if column == "name" and "client_type" in out.columns:
            out[column] = _map_names(out[column], out["client_type"])
        else:
            out[column] = _map(out[column], mask)
    return out


def _map(column: pd.Series, mask: Callable[[Any], str | None]) -> pd.Series:
    return _like(column, _mask_values(column.to_numpy(dtype=object), mask))


def _map_names(column: pd.Series, client_type: pd.Series) -> pd.Series:
    """Names masked by ``client_type``: institution, individual, or (other) by the name."""
    values = column.to_numpy(dtype=object)
    institution = client_type.isin(_INSTITUTION_TYPES).to_numpy(dtype=bool)
    person = client_type.isin(_PERSON_TYPES).to_numpy(dtype=bool)
    out = np.full(len(values), None, dtype=object)
    for rows, flag in ((institution, True), (person, False), (~institution & ~person, None)):
        out[rows] = _mask_values(values[rows], partial(mask_name, institution=flag))
    return _like(column, out)


def _mask_values(values: np.ndarray, mask: Callable[[Any], str | None]) -> np.ndarray:
    """Apply ``mask`` once per distinct value (100,000 rows take a fraction of a second);
    missing stays missing (None)."""
    out = np.full(len(values), None, dtype=object)
    present = ~pd.isna(values)
    if present.any():
        codes, uniques = pd.factorize(values[present])
        masked = np.array([mask(v) for v in uniques], dtype=object)
        out[present] = masked[codes]
    return out


def _like(column: pd.Series, values: np.ndarray) -> pd.Series:
    """Masked values as a column like ``column``: a string dtype is kept, else object."""
    dtype = column.dtype if isinstance(column.dtype, pd.StringDtype) else object
    return pd.Series(values, index=column.index, name=column.name, dtype=dtype)
