"""The official rating history: an embedded SQLite store (`outputs/history.sqlite`).

Every official run (annual, quarterly, monthly) is appended; re-running the same cycle and
as-of date replaces that run in one transaction, never duplicates it. Ad hoc runs are never
written. No clock: a run is identified by its cycle and as-of date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import date
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
    PRIMARY KEY (cycle, as_of, client_id));
"""
RATING_COLUMNS = ["client_id", "level", "base_level", "tier", "category"]


class History:
    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path)
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
               meta: Mapping[str, object]) -> None:
        """Write one run, replacing an earlier run of the same cycle and as-of date."""
        if cycle == "adhoc":
            raise ValueError("ad hoc runs are never written to the official history")
        key = (cycle, as_of.isoformat())
        rows = ratings[RATING_COLUMNS].astype(object).where(ratings[RATING_COLUMNS].notna(), "")
        with closing(self._connect()) as con, con:
            con.execute("DELETE FROM ratings WHERE cycle = ? AND as_of = ?", key)
            con.execute("DELETE FROM runs WHERE cycle = ? AND as_of = ?", key)
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                (*key, meta.get("params_version"), meta.get("params_hash"), len(ratings)),
            )
            con.executemany(
                "INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((*key, *r) for r in rows.itertuples(index=False, name=None)),
            )

    def runs(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=["cycle", "as_of", "params_version", "params_hash",
                                         "clients"])
        with closing(self._connect()) as con:
            return pd.read_sql_query("SELECT * FROM runs ORDER BY as_of, cycle", con)
