"""A large sample with one balance row per day (issue 7): the normal sample written as Parquet,
with `daily_assets` expanded from change-only rows to daily rows in a Parquet folder.

The daily rows are the change-only step function of SPEC 2.2 written out day by day: a client's
rows start on the date of its first change-only row and run through the last day its account is
open, each day carrying the balance of the latest change-only row dated on or before it. Rows
of a day after that last day are dropped. So every daily average (last complete year, year to
date, any as-of date up to the sample's end) is the same from either table.

The last day open is the close date itself when the account closes by the sample's end
(SPEC 2.2: the balance is 0 *after* the close date, and `features.client_windows` counts the
close date as a day open), otherwise the sample's end date (`SAMPLE_END`).

The expansion runs per chunk of clients (`np.repeat`, no loop over rows or clients), so memory
is bounded by a chunk, and writes one Parquet file per chunk: `daily_assets/part-NNNN.parquet`,
columns client_id (string), date (date32), total_assets (float64), sorted by client_id and
date, zstd-compressed. The same arguments give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tiering.sample.tables import DEFAULT_SEED, SAMPLE_END, generate_sample
from tiering.sample.write import write_sample

DAILY_TABLE = "daily_assets"
DAILY_SCHEMA = pa.schema([
    ("client_id", pa.string()),
    ("date", pa.date32()),
    ("total_assets", pa.float64()),
])
CHUNK_CLIENTS = 50_000  # about 32 million daily rows (~1 GB in memory) per part file
ROW_GROUP_ROWS = 1 << 20
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class StepRows:
    """Change-only balance rows ready to expand, clients numbered in client_id order.

    ids: every client_id, sorted (the zero-padded ids of the sample sort as their numbers).
    code, day, balance: one entry per change-only row that holds at least one day, sorted by
    (code, day); day is days since 1970-01-01. length: the number of days (>= 1) the row holds
    within the client's open span.
    """

    ids: np.ndarray
    code: np.ndarray
    day: np.ndarray
    balance: np.ndarray
    length: np.ndarray

    @classmethod
    def of(cls, change_only: pd.DataFrame, clients: pd.DataFrame, end: date) -> StepRows:
        """Prepare `change_only` (client_id, date, total_assets; any order) for expansion.

        A row holds from its date until the client's next row, or through the client's last
        day open: `last_open_day(clients, end)`. Of two rows on one day, the later one in
        `change_only` holds. Rows of clients absent from `clients`, and rows that hold no day
        (dated after the client's last day open), are dropped.
        """
        ids, last = last_open_day(clients, end)
        code = pd.Index(ids).get_indexer(change_only["client_id"]).astype(np.int64)
        day = _day_numbers(change_only["date"])
        balance = change_only["total_assets"].to_numpy(dtype=np.float64)
        known = code >= 0
        code, day, balance = code[known], day[known], balance[known]
        order = np.lexsort((day, code))  # stable: equal (code, day) keep the input order
        code, day, balance = code[order], day[order], balance[order]
        last_of_day = np.append((code[1:] != code[:-1]) | (day[1:] != day[:-1]), True)
        code, day, balance = code[last_of_day], day[last_of_day], balance[last_of_day]
        length = hold_lengths(code, day, last[code] + 1)
        held = length > 0
        return cls(ids, code[held], day[held], balance[held], length[held])

    def row_range(self, lo: int, hi: int) -> tuple[int, int]:
        """The change-only rows of the clients numbered lo .. hi - 1."""
        a, b = np.searchsorted(self.code, [lo, hi], side="left")
        return int(a), int(b)

    def expand(self, lo: int, hi: int) -> pa.Table:
        """The daily rows of the clients numbered lo .. hi - 1: DAILY_SCHEMA's columns, with
        client_id dictionary-encoded (the chunk's ids; `cast(DAILY_SCHEMA)` gives plain text).

        Each row holds `length` days from its day; a row's days follow on the previous row's
        (same client) or jump to its own day, so the dates are a cumulative sum of steps of 1
        with a jump at each row's first day.
        """
        a, b = self.row_range(lo, hi)
        length = self.length[a:b]
        total = int(length.sum())
        step = np.ones(total, dtype=np.int32)
        if total:
            first = np.cumsum(length) - length  # each row's first position in the output
            day = self.day[a:b]
            step[first[1:]] = day[1:] - (day[:-1] + length[:-1] - 1)
            step[0] = day[0]
        np.cumsum(step, out=step)
        balance = np.repeat(self.balance[a:b], length)
        index = pa.array(np.repeat((self.code[a:b] - lo).astype(np.int32), length))
        names = pa.array(np.asarray(self.ids[lo:hi], dtype=object), type=pa.string())
        return pa.Table.from_arrays(
            [pa.DictionaryArray.from_arrays(index, names),
             pa.array(step, type=pa.int32()).view(pa.date32()),
             pa.array(balance)],
            names=DAILY_SCHEMA.names,
        )


def last_open_day(clients: pd.DataFrame, end: date) -> tuple[np.ndarray, np.ndarray]:
    """Sorted client ids and, per id, the last day (days since 1970-01-01) the account is open
    within the data: its close date if that is on or before `end`, else `end`."""
    ordered = clients.sort_values("client_id", kind="mergesort")
    ids = ordered["client_id"].to_numpy(dtype=object)
    end_day = int((np.datetime64(end, "D") - _EPOCH).astype(np.int64))
    if "close_date" in ordered:
        close = _day_numbers(ordered["close_date"], missing=end_day)
    else:
        close = np.full(ids.size, end_day, dtype=np.int64)
    return ids, np.minimum(close, end_day)


def hold_lengths(code: np.ndarray, day: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Days each row holds: from its day until the client's next row's day or `stop` (the
    day after the client's last day open), whichever comes first; never negative.

    code, day: sorted by (code, day), one row per client and day; stop: per row.
    """
    nxt = np.append(day[1:], 0)
    same = np.append(code[1:] == code[:-1], False)
    until = np.where(same, np.minimum(nxt, stop), stop)
    return np.maximum(until - day, 0)


def daily_rows(change_only: pd.DataFrame, clients: pd.DataFrame, end: date) -> pa.Table:
    """Every client's daily rows at once (small data; `write_daily_sample` goes by chunks)."""
    steps = StepRows.of(change_only, clients, end)
    return steps.expand(0, steps.ids.size).cast(DAILY_SCHEMA)


def write_daily_sample(
    out: Path,
    *,
    clients: int,
    questionnaire: Mapping[str, Mapping[str, float]],
    seed: int = DEFAULT_SEED,
    chunk_clients: int = CHUNK_CLIENTS,
    end: date = SAMPLE_END,
) -> dict[str, int]:
    """Write the sample of `clients` clients into `out` as Parquet; return rows per table.

    Every table but daily_assets goes to `<table>.parquet` (as `write_sample`); daily_assets
    goes to `out/daily_assets/part-NNNN.parquet`, one file per `chunk_clients` clients, one
    row per client and day (see the module docstring). Earlier part files in that folder are
    removed; a daily_assets file next to the folder raises FileExistsError (the loader would
    not know which to read).
    """
    if chunk_clients < 1:
        raise ValueError("chunk_clients must be at least 1")
    out = Path(out)
    folder = out / DAILY_TABLE
    clash = [p for p in out.glob(f"{DAILY_TABLE}.*") if p.is_file()] if out.is_dir() else []
    if clash:
        raise FileExistsError(f"{clash[0]} would sit next to the folder {folder}: remove it")
    tables = generate_sample(clients, seed, questionnaire=questionnaire, end=end)
    change_only = tables.pop(DAILY_TABLE)
    write_sample(tables, out, "parquet")
    counts = {name: len(frame) for name, frame in tables.items()}
    steps = StepRows.of(change_only, tables["clients"], end)
    del tables, change_only
    counts[DAILY_TABLE] = write_parts(steps, folder, chunk_clients)
    return counts


def write_parts(steps: StepRows, folder: Path, chunk_clients: int) -> int:
    """Write the daily rows into `folder`, one part file per chunk of clients; return the
    number of rows written.

    client_id is written from its dictionary (no hashing of every value) and the file keeps
    no Arrow schema, so readers see plain strings. One thread writes a part while the next is
    expanded; at most two parts are in memory.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    n = steps.ids.size
    rows = 0
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for part, lo in enumerate(range(0, n, chunk_clients)):
            table = steps.expand(lo, min(lo + chunk_clients, n))
            rows += table.num_rows
            if pending is not None:
                pending.result()
            pending = writer.submit(_write_part, table, folder / f"part-{part:04d}.parquet")
            del table
        if pending is not None:
            pending.result()
    return rows


def _write_part(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP_ROWS,
                   use_dictionary=["client_id", "date"], store_schema=False)


def _day_numbers(column: pd.Series, missing: int | None = None) -> np.ndarray:
    """Dates as days since 1970-01-01 (int64); missing dates become `missing`."""
    values = pd.to_datetime(column).to_numpy(dtype="datetime64[D]")
    days = (values - _EPOCH).astype(np.int64)
    if missing is not None:
        days = np.where(np.isnat(values), missing, days)
    return days
