"""Where the big tables of a run live: pandas (in memory), DuckDB or Spark (issue 7).

The rules never change with the engine: the feature layer (`features`) is written once against
narwhals and runs on whichever frame it is given; the per-client results come back to pandas,
where the tier, cycle and category rules run. A `Session` holds the engine's connection (a
DuckDB connection or a SparkSession) and moves small frames in (`lift`) and results out
(`collect`). `open_big_tables` opens `BIG_TABLES` in the engine and checks them there
(DuckDB: `engines.check_big_table`, the same problems as `validation`; Spark: `spark_checks`),
so a table of billions of rows never reaches pandas.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import narwhals as nw
import pandas as pd
import pyarrow as pa

from tiering import engines, features
from tiering.loading import InputFileError, find_table
from tiering.schemas import TABLES, columns
from tiering.validation import concat_problems, problems_frame

SPARK_LISTED = 20  # problem rows listed per check on Spark
# read by the engine (only the tier rules use them); the others are small enough for pandas.
# Spark reads daily_assets only: the fee ledger may be a CSV, which Spark is not given.
BIG_TABLES = {"duckdb": ("daily_assets", "fees"), "spark": ("daily_assets",)}
DUCKDB_MEMORY = "1536MB"  # DuckDB's buffer limit: it spills to disk beyond it


@dataclass
class Session:
    """An engine and its connection; `close` releases it and its spill folder."""

    name: str  # pandas, duckdb or spark
    con: Any = None  # duckdb.DuckDBPyConnection or pyspark.sql.SparkSession
    spill: Path | None = None
    owned: bool = True  # a SparkSession given by the caller is not stopped here
    notes: list[str] = field(default_factory=list)
    # per big table, its rows' sums per client and rating period, found while checking it
    sums: dict[str, features.SpanSums] = field(default_factory=dict)
    _kept: int = 0  # tables made by `keep`

    @classmethod
    def start(cls, name: str, *, memory: str = DUCKDB_MEMORY, threads: int | None = None,
              spark: Any = None) -> Session:
        if name not in engines.ENGINES:
            raise ValueError(f"unknown engine {name!r}: one of {', '.join(engines.ENGINES)}")
        if name == "pandas":
            return cls(name)
        if name == "duckdb":
            import duckdb

            spill = Path(tempfile.mkdtemp(prefix="tiering-duckdb-"))
            con = duckdb.connect(config={"memory_limit": memory,
                                         "temp_directory": str(spill),
                                         "preserve_insertion_order": False})
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            return cls(name, con, spill)
        if spark is not None:
            return cls(name, spark, owned=False)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise InputFileError("the Spark engine needs PySpark: pip install "
                                 "'tiering[spark]'") from None
        active = SparkSession.getActiveSession()
        if active is not None:  # e.g. a notebook's or a test's session: used, not stopped
            return cls(name, active, owned=False)
        # spark-submit, SPARK_REMOTE or spark-defaults.conf decide the master (a cluster);
        # otherwise a local session on this machine's cores
        session = (SparkSession.builder.appName("tiering")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.log.level", "ERROR")
                   .getOrCreate())
        return cls(name, session)

    def lift(self, frame: pd.DataFrame) -> Any:
        """A small pandas frame as a frame of this engine (the same connection)."""
        if self.name == "pandas":
            return frame
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.name == "duckdb":
            return self.con.from_arrow(table)
        return self.con.createDataFrame(table)  # PySpark 4 takes Arrow tables directly

    def collect(self, native: Any) -> pd.DataFrame:
        """An engine's (small, per-client) result as pandas, datetimes at nanoseconds."""
        if isinstance(native, pd.DataFrame):
            return native
        frame = nw.from_native(native)
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect(backend="pyarrow")
        out = frame.to_arrow().to_pandas()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].astype("datetime64[ns]")
        return out

    def keep(self, frame: Any) -> Any:
        """A narwhals frame computed once and kept for the queries that read it again: a table
        on DuckDB, a cached frame on Spark; pandas frames are already computed."""
        if self.name == "duckdb":
            self._kept += 1
            name = f"tiering_kept_{self._kept}"
            nw.to_native(frame).create(name)
            return nw.from_native(self.con.table(name))
        if self.name == "spark":
            return nw.from_native(nw.to_native(frame).cache())
        return frame

    def close(self) -> None:
        if self.name == "duckdb" and self.con is not None:
            self.con.close()
        if self.name == "spark" and self.owned and self.con is not None:
            self.con.stop()
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)
        self.con = None


@dataclass
class BigTables:
    """The engine's tables and what reading them found."""

    frames: dict[str, Any]  # table -> native frame, typed, rows after the as-of date left out
    problems: pd.DataFrame
    left_out: dict[str, int]
    rows: dict[str, int]
    files: dict[str, Path]


def open_big_tables(
    session: Session, data: Path, clients: pd.Series, as_of: date,
    other_ids: Mapping[str, pd.Series] | None = None,
    catalog: Mapping[str, str] | None = None,
) -> BigTables:
    """Open and check `BIG_TABLES` of `data` in the session's engine (absent tables: none).

    `catalog` maps a table to a Spark catalog table that holds it instead of a file
    (`--spark-table daily_assets=warehouse.daily_balances`)."""
    frames, left_out, rows, files, found = {}, {}, {}, {}, []
    for table in BIG_TABLES[session.name]:
        if session.name == "spark":
            native, path = _spark_open(session, data, (catalog or {}).get(table), table)
            if native is None:
                continue
            typed, problems, late, count = spark_checks(session, native, table, clients, as_of)
        else:
            path = find_table(data, table)
            if path is None:
                continue
            parquet = path.is_dir() or path.suffix.casefold() in (".parquet", ".pq")
            # the balances' sums per client and rating period come with the same scan
            spans = features.rating_spans(as_of) if table == "daily_assets" else []
            quick = (engines.quick_clean(session.con, path, table, client_ids=clients,
                                         as_of=as_of, spans=spans) if parquet else None)
            lean = (engines.lean_parquet(session.con, path, table, as_of,
                                         stripped=("client_id",))
                    if quick is not None else None)
            if lean is not None:  # proven clean in one scan: compute on a plain scan
                typed, problems, count, late = lean, problems_frame(), quick.rows, quick.late
                if quick.span_sums is not None:
                    session.sums[table] = features.SpanSums.of_scan(frozenset(spans),
                                                                    quick.span_sums)
            else:  # the detailed checks, which list every problem with its row
                relation = engines.open_path(session.con, path, table)
                checked = engines.check_big_table(
                    session.con, relation, table, client_ids=clients, as_of=as_of,
                    other_ids=dict(other_ids or {}))
                typed, problems, late, count = (checked.typed, checked.problems,
                                                checked.left_out, checked.rows)
                if problems.empty and parquet:  # clean: compute on a plain scan
                    typed = engines.lean_parquet(session.con, path, table, as_of) or typed
        found.append(problems)
        if typed is not None:
            frames[table] = typed
        left_out[table], rows[table] = late, count
        if path is not None:
            files[table] = path
    return BigTables(frames, concat_problems(found), left_out, rows, files)


def _spark_open(session: Session, data: Path, name: str | None,
                table: str) -> tuple[Any, Path | None]:
    spark = session.con
    if name is not None:
        if not spark.catalog.tableExists(name):
            raise InputFileError(f"{table}: no table {name} in the Spark catalog", table=table)
        return spark.table(name), None
    path = find_table(data, table)
    if path is None:
        return None, None
    if not (path.is_dir() or path.suffix.casefold() in (".parquet", ".pq")):
        raise InputFileError(f"{path}: the Spark engine reads {table} from Parquet (a file or "
                             "a folder) or a catalog table (--spark-table); convert it, or use "
                             "--engine duckdb or pandas", path=path, table=table)
    return spark.read.parquet(str(path)), path


def spark_checks(
    session: Session, frame: Any, table: str, clients: pd.Series, as_of: date,
) -> tuple[Any, pd.DataFrame, int, int]:
    """The checks of a typed (Parquet or catalog) table, run in the engine with narwhals:
    missing columns, empty required cells, negative amounts where the model says ≥ 0,
    duplicate keys, unknown client ids. Spark has no spreadsheet rows: a problem names the
    table, column, value and the row's key instead. Returns (typed frame with rows after
    `as_of` left out, problems, rows left out, rows read)."""
    spec = columns(table)
    lf = nw.from_native(frame)
    present = lf.collect_schema().names()
    missing = [c for c, required in spec.items() if required and c not in present]
    if missing:
        return None, problems_frame([dict(table=table, row=None, column=c, value=None,
                                          problem="required column is missing")
                                     for c in missing]), 0, 0
    keys = list(TABLES[table].key)
    known = [c for c in spec if c in present]
    lf = lf.select(known)
    found: list[dict] = []

    def listed(filtered: nw.LazyFrame, column: str, problem: str, shown: str) -> None:
        rows = filtered.select(*keys, nw.col(shown).alias("shown_value")).head(
            SPARK_LISTED).collect(backend="pyarrow").to_arrow().to_pylist()
        for row in rows:
            key = ", ".join(f"{k} {_text(row[k])}" for k in keys)
            found.append(dict(table=table, row=None, column=column,
                              value=_text(row["shown_value"]), problem=f"{problem} ({key})"))

    for column in known:
        if spec[column]:
            listed(lf.filter(nw.col(column).is_null()), column, "is empty but required",
                   column)
    if "total_assets" in known:
        listed(lf.filter(nw.col("total_assets") < 0), "total_assets", "must be ≥ 0",
               "total_assets")
    if keys:
        dup = lf.group_by(keys).agg(nw.len().alias("times")).filter(nw.col("times") > 1)
        listed(dup, keys[-1], "duplicate key: rows with this key (value)", "times")
    ids = nw.from_native(session.lift(pd.DataFrame({"client_id": clients.astype(str)})))
    unknown = lf.join(ids, on="client_id", how="anti")
    listed(unknown, "client_id", "unknown client_id (not in clients)", "client_id")

    date_col = TABLES[table].date_column
    day = datetime(as_of.year, as_of.month, as_of.day)
    counts = lf.select(nw.len().alias("rows"),
                       (nw.col(date_col) > day).cast(nw.Int64).sum().alias("late")).collect(
        backend="pyarrow").to_pandas()
    rows, late = int(counts["rows"].iloc[0]), int(counts["late"].fillna(0).iloc[0])
    typed = lf.filter(nw.col(date_col) <= day).to_native()
    return typed, problems_frame(found), late, rows


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
