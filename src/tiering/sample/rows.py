"""Per-client rows in flat arrays: groups of consecutive rows that share a client (or a key),
and ragged groups of given sizes laid end to end."""

from __future__ import annotations

import numpy as np


def group_starts(keys: np.ndarray) -> np.ndarray:
    """True on the first row of each run of equal keys."""
    if not keys.size:
        return keys.astype(bool)
    return np.concatenate([[True], keys[1:] != keys[:-1]])


def group_ends(keys: np.ndarray) -> np.ndarray:
    """True on the last row of each run of equal keys."""
    if not keys.size:
        return keys.astype(bool)
    return np.append(keys[1:] != keys[:-1], True)


def grouped_exclusive_cumsum(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Sum of the earlier values within each run of equal keys (0 on its first row)."""
    if not values.size:
        return values
    cs = np.cumsum(values)
    starts = np.flatnonzero(group_starts(keys))
    sizes = np.diff(np.append(starts, values.size))
    base = np.repeat(cs[starts] - values[starts], sizes)
    return cs - values - base


def ragged(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner and position of each element of concatenated groups of the given sizes."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]
