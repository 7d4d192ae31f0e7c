"""The official rating history: an embedded SQLite store (`outputs/history.sqlite`).

Every official run (annual, quarterly, monthly) is appended; re-running the same cycle and
as-of date replaces that run in one transaction, never duplicates it. Ad hoc runs are never
written. No clock: a run is identified by its cycle and as-of date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import date
from itertools import repeat
from pathlib import Path

import pandas as pd

_CYCLE_ORDER = {"monthly": 0, "quarterly": 1, "annual": 2}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    cycle TEXT NOT NULL, as_of TEXT NOT NULL, params_version TEXT, params_hash TEXT,
    clients INTEGER, PRIMARY KEY (cycle, as_of));
CREATE TABLE IF NOT EXISTS ratings (
    cycle TEXT NOT NULL, as_of TEXT NOT NULL, client_id TEXT NOT NULL, level TEXT NOT NULL,
    base_level TEXT NOT NULL, tier TEXT NOT NULL, category TEXT NOT NULL,
    PRIMARY KEY (cycle, as_of, client_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activity (
    cycle TEXT NOT NULL, as_of TEXT NOT NULL, client_id TEXT NOT NULL, r INTEGER,
    PRIMARY KEY (cycle, as_of, client_id)) WITHOUT ROWID;
"""
RATING_COLUMNS = ["client_id", "level", "base_level", "tier", "category"]


class History:
    def __init__(self, path: Path):
        self.path = path

    def _connect(self, *, any_thread: bool = False) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # any_thread: opened in one thread, committed in another (never at the same time)
        con = sqlite3.connect(self.path, check_same_thread=not any_thread)
        con.execute("PRAGMA cache_size = -262144")  # 256 MiB: a million-row index stays cached
        con.executescript(_SCHEMA)
        return con

    def in_force(self, as_of: date) -> pd.DataFrame:
        """Each client's rating from the latest official run strictly before `as_of`."""
        if not self.path.exists():
            return pd.DataFrame(columns=["client_id", "level", "base_level", "as_of", "cycle"])
        with closing(self._connect()) as con:
            df = pd.read_sql_query(
                "SELECT client_id, level, base_level, as_of, cycle FROM ratings WHERE as_of < ?",
                con, params=(as_of.isoformat(),),
            )
        df["order"] = df["cycle"].map(_CYCLE_ORDER)
        df = df.sort_values(["client_id", "as_of", "order"], kind="mergesort")
        return df.drop_duplicates("client_id", keep="last").drop(columns="order")

    def previous_r(self, as_of: date) -> pd.Series:
        """Each client's RFM recency score (r) in the latest official run strictly before
        `as_of` that recorded activity, indexed by client_id (nullable: no counted trade)."""
        empty = pd.Series(dtype="Int64", index=pd.Index([], dtype=object, name="client_id"))
        if not self.path.exists():
            return empty.rename("r")
        with closing(self._connect()) as con:
            df = pd.read_sql_query(
                "SELECT client_id, r, as_of, cycle FROM activity WHERE as_of < ?",
                con, params=(as_of.isoformat(),),
            )
        if df.empty:
            return empty.rename("r")
        df["order"] = df["cycle"].map(_CYCLE_ORDER)
        df = df.sort_values(["client_id", "as_of", "order"], kind="mergesort")
        latest = df.drop_duplicates("client_id", keep="last").set_index("client_id")["r"]
        return latest.astype("Int64")

    def last_annual(self, as_of: date) -> date | None:
        if not self.path.exists():
            return None
        with closing(self._connect()) as con:
            row = con.execute(
                "SELECT max(as_of) FROM runs WHERE cycle = 'annual' AND as_of < ?",
                (as_of.isoformat(),),
            ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def record(self, cycle: str, as_of: date, ratings: pd.DataFrame,
               meta: Mapping[str, object], activity: pd.DataFrame | None = None) -> None:
        """Write one run, replacing an earlier run of the same cycle and as-of date.

        `activity` (client_id, r), when given, is kept for the next run's churn warnings."""
        with self.pending(cycle, as_of, ratings, meta, activity):
            pass

    @contextmanager
    def pending(self, cycle: str, as_of: date, ratings: pd.DataFrame,
                meta: Mapping[str, object], activity: pd.DataFrame | None = None,
                ) -> Iterator[Callable[[pd.DataFrame], None]]:
        """Write one run as `record` does, in a transaction committed when the block ends
        without an error and rolled back otherwise: the rows are written on entering (while
        other work goes on, at a million clients), the run counts only once all succeeded.
        The block may be entered in one thread and left in another.

        It yields a function that adds the run's `activity` rows to the same transaction, for
        activity scored after the ratings were written (called once, never at the same time
        as the block is left)."""
        if cycle == "adhoc":
            raise ValueError("ad hoc runs are never written to the official history")
        key = (cycle, as_of.isoformat())
        columns = [ratings[c].astype(object).where(ratings[c].notna(), "").tolist()
                   for c in RATING_COLUMNS]
        with closing(self._connect(any_thread=True)) as con, con:  # commit, or roll back
            con.execute("DELETE FROM ratings WHERE cycle = ? AND as_of = ?", key)
            con.execute("DELETE FROM runs WHERE cycle = ? AND as_of = ?", key)
            con.execute("DELETE FROM activity WHERE cycle = ? AND as_of = ?", key)
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                (*key, meta.get("params_version"), meta.get("params_hash"), len(ratings)),
            )
            con.executemany("INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?)",
                            zip(repeat(key[0]), repeat(key[1]), *columns))

            def add_activity(frame: pd.DataFrame) -> None:
                scores = frame["r"].astype("Int64").astype(object)
                scores = scores.where(scores.notna(), None).tolist()
                con.executemany("INSERT INTO activity VALUES (?, ?, ?, ?)",
                                zip(repeat(key[0]), repeat(key[1]),
                                    frame["client_id"].astype(str).tolist(), scores))

            if activity is not None:
                add_activity(activity)
            yield add_activity

    def runs(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=["cycle", "as_of", "params_version", "params_hash",
                                         "clients"])
        with closing(self._connect()) as con:
            return pd.read_sql_query("SELECT * FROM runs ORDER BY as_of, cycle", con)
