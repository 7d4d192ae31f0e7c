"""Large input tables in an engine: open them and check them there, never in pandas.

The pandas engine (``loading`` + ``validation``) reads every table into memory. For
``daily_assets``, ``fees`` and ``transactions`` — billions of rows at a brokerage — this module
opens the file as a DuckDB relation and runs the same checks as SQL, so only the problems (a
few thousand rows at most) and the per-client results ever reach pandas.

The checks and their wording are those of ``validation`` for the same cell: a missing required
column, a cell that does not parse to its kind, an empty required cell, the value checks the
pandera model states (read from the model, not repeated here), duplicate keys and unknown ids.
Each check lists at most ``limit`` rows, then one line saying how many more there are.

Rows are numbered as ``loading`` numbers them: a CSV's header is row 1, its first record row 2
(blank lines are not records); a Parquet file's first row is row 2 too. When a Parquet folder
holds several files, each file is numbered on its own and the problem text names the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd
import pyarrow as pa

from tiering.features import span_label
from tiering.loading import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    InputFileError,
    dataset_files,
    find_table,
    header_name,
    read_table,
)
from tiering.schemas import TABLES, column_kinds, columns, pattern_columns
from tiering.validation import (
    DATE_PATTERN,
    DATE_RANGE,
    FALSE,
    TRUE,
    check_text,
    problems_frame,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    import duckdb

    IdSource: TypeAlias = duckdb.DuckDBPyRelation | Sequence[str] | pd.Series
    """Known ids: a relation (its key column, or its only column) or a list of ids."""

__all__ = ["ENGINES", "CheckedTable", "check_big_table", "default_engine", "open_path",
           "open_table"]

ENGINES = ("pandas", "duckdb", "spark")
DEFAULT_LIMIT = 1000
"""Rows listed per check; the rest are counted in one line."""

FIRST_DATA_ROW = 2
"""The row number of a file's first data row, as ``loading`` numbers it (CSV header = row 1)."""

WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
"""What ``str.strip`` and Arrow's ``utf8_trim_whitespace`` remove (none is above U+3000)."""

PARSE_PROBLEM = {"date": "not a date (expected YYYY-MM-DD)", "number": "not a number",
                 "bool": "not true/false"}  # the wording of validation._parse_table
EMPTY_PROBLEM = check_text("not_nullable")

_SNIFF_BYTES = 1 << 20
_DAY_BLOCK = 1024
_ROW, _FILE = "_row", "_file"
_NO_LIST = "[]::INTEGER[]"
_DATE_GROUPS = ["y", "m", "d", "cm", "cd", "h", "mi", "s", "ch", "cmi", "cs"]
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|"
                      r"UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$")
_INTEGER = re.compile(r"^U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?$")
_INDEX_COLUMN = re.compile(r"__index_level_\d+__")


# --------------------------------------------------------------------------- choosing


def default_engine(folder: Path) -> str:
    """``duckdb`` when ``daily_assets`` is a Parquet file or folder, else ``pandas``.

    An absent or ambiguous ``daily_assets`` gives ``pandas``: the loader then reports it.
    """
    try:
        path = find_table(Path(folder), "daily_assets")
    except InputFileError:
        return "pandas"
    if path is None:
        return "pandas"
    return "duckdb" if path.is_dir() or path.suffix.casefold() in PARQUET_SUFFIXES else "pandas"


# --------------------------------------------------------------------------- opening


def open_table(con: duckdb.DuckDBPyConnection, folder: Path,
               table: str) -> duckdb.DuckDBPyRelation | None:
    """Table ``table`` of ``folder`` as a lazy relation (see ``open_path``); None if absent."""
    path = find_table(Path(folder), table)
    return None if path is None else open_path(con, path, table)


def open_path(con: duckdb.DuckDBPyConnection, path: Path,
              table: str) -> duckdb.DuckDBPyRelation:
    """The file (or Parquet folder) of ``table`` as a lazy relation, the rows numbered.

    Columns: ``_row`` (the row number ``loading`` gives), ``_file`` (the file's path inside
    the folder; only when a Parquet folder holds several files), then the file's columns.
    CSV: every cell as text, stripped, empty cells NULL, empty records dropped (their numbers
    kept), UTF-8 only; read once into the temporary table ``tiering_csv_<table>`` of ``con``
    (opening the same table again replaces it). Parquet: lazy; its own types, but the columns
    the schema calls text become text as ``loading`` makes them, and text columns are
    stripped with empty cells NULL (the pandas engine leaves text in a number or date column
    as it is, so it reports a Parquet "" there as not a number where this reports an empty
    cell). Excel (at most a million rows) goes through ``loading``.
    Raises InputFileError when the file cannot be read this way.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    path = Path(path)
    suffix = path.suffix.casefold()
    if path.is_dir() or suffix in PARQUET_SUFFIXES:
        return _open_parquet(con, path, table)
    if suffix in CSV_SUFFIXES:
        return _open_csv(con, path, table)
    if suffix in EXCEL_SUFFIXES:
        frame = read_table(path, table)
        data = pa.Table.from_pandas(frame.reset_index().rename(columns={"row": _ROW}),
                                    preserve_index=False)
        return con.from_arrow(data)
    raise InputFileError(f"{path}: unsupported file type {path.suffix!r} for table {table!r}",
                         path=path, table=table)


def _open_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> duckdb.DuckDBPyRelation:
    _require_utf8(path, table)
    names = [header_name(value) for value in _csv_header(path, table)]
    named = [n for n in names if n]
    if len(set(named)) < len(named):
        twice = sorted({n for n in named if named.count(n) > 1})
        raise InputFileError(f"{path}: column {', '.join(twice)} appears more than once in "
                             "the header", path=path, table=table)
    if any("\n" in n or "\r" in n for n in names):
        raise InputFileError(f"{path}: a header cell holds a line break; the header must be "
                             "one line", path=path, table=table)
    raw = [f"c{i}" for i in range(len(names))]
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in raw)
    scan = (f"read_csv({_literal(str(path))}, header = false, skip = 1, delim = ',', "
            f"quote = '\"', escape = '\"', auto_detect = false, encoding = 'utf-8', "
            f"columns = {{{spec}}})")
    cleaned = [f"nullif({_trim_guarded(c)}, '') AS {_ident(_csv_name(n, i))}"
               for i, (c, n) in enumerate(zip(raw, names, strict=True))]
    present = " OR ".join(f"{_ident(_csv_name(n, i))} IS NOT NULL" for i, n in enumerate(names))
    # The reader returns records in file order (blank lines are not records), so
    # row_number() OVER () numbers them; that keeps the read on one thread, and every check
    # would parse the file again: the stripped text is read once into a temporary table.
    query = (f"SELECT * FROM (SELECT row_number() OVER () + 1 AS {_ROW}, {', '.join(cleaned)} "
             f"FROM {scan}) WHERE {present}")
    name = _ident(f"tiering_csv_{table}")
    import duckdb

    try:
        con.sql(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
    except duckdb.Error as exc:
        if not _reading_error(exc):
            raise
        raise InputFileError(f"cannot read {path} as CSV: {_first_lines(exc)}"
                             if "unicode" not in str(exc).casefold()
                             else _not_utf8(f"{path}: {_first_lines(exc)}"),
                             path=path, table=table) from exc
    return con.table(f"tiering_csv_{table}")


def _csv_name(name: str, position: int) -> str:
    """A header name, or ``_unnamed_<position>`` for a blank header cell."""
    return name or f"_unnamed_{position}"


def _require_utf8(path: Path, table: str) -> None:
    """Refuse a CSV whose first MiB is not UTF-8 (DuckDB reads UTF-8 only)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}", path=path,
                             table=table) from exc
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise InputFileError(_not_utf8(f"{path}: byte 0x{head[exc.start]:02x} at offset "
                                       f"{exc.start} is not valid UTF-8"),
                             path=path, table=table) from exc


def _not_utf8(problem: str) -> str:
    return (f"{problem}. The DuckDB engine reads CSV in UTF-8 only: save the table as UTF-8 "
            "(Excel: 'CSV UTF-8') or as Parquet, or use the pandas engine (--engine pandas), "
            "which also reads GBK/GB18030")


def _csv_header(path: Path, table: str) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}", path=path, table=table) from exc
    if not header:
        raise InputFileError(
            f"{path} is empty or its first line is blank: the header must be on row 1",
            path=path, table=table,
        )
    return header


_BOUND_SQL = {"greater_than_or_equal_to": ("min_value", "<"),
              "greater_than": ("min_value", "<="),
              "less_than_or_equal_to": ("max_value", ">"),
              "less_than": ("max_value", ">=")}


@dataclass(frozen=True)
class QuickClean:
    """What `quick_clean`'s one scan proved: a clean table's row counts and, when spans were
    asked for, per id and span the rows' count, the sums of the number columns and the first
    and last date (a relation over a table kept on the connection)."""

    rows: int
    late: int  # rows after the as-of date
    span_sums: duckdb.DuckDBPyRelation | None = None


@dataclass(frozen=True)
class _QuickScan:
    """`_quick_scan`'s per (id, group) counts, kept on the connection for `_quick_judge`."""

    kept: str  # the table holding them
    key: list[str]
    verdicts: list[str]  # counts of groups showing a problem; all 0 when clean
    late_from: int  # groups from this one on are the blocks after the as-of date
    span_sums: str | None  # the query of the per id and span sums (`_span_sums`)


def quick_clean(con: duckdb.DuckDBPyConnection, path: Path, table: str, *,
                client_ids: IdSource, as_of: date,
                spans: Sequence[tuple[date, date]] = ()) -> QuickClean | None:
    """The one aggregating scan (`_quick_scan`), then what it proves (`_quick_judge`): see
    there."""
    scan = _quick_scan(con, path, table, as_of=as_of, spans=spans)
    return None if scan is None else _quick_judge(con, scan, client_ids)


def _quick_scan(con: duckdb.DuckDBPyConnection, path: Path, table: str, *, as_of: date,
                spans: Sequence[tuple[date, date]] = ()) -> _QuickScan | None:
    """The one aggregating scan of `quick_clean` (it needs no known ids); None when the table
    is not one it can judge, or cannot be read (the detailed check then says why).

    ``_quick_judge`` then gives the row counts when the scan proves a typed Parquet table
    clean of everything ``check_big_table`` looks for; None when it cannot (then run
    ``check_big_table``, which lists the problems with their rows).

    For a table keyed by ids and a date (daily_assets) whose Parquet columns already have the
    schema's kinds and whose only value checks are bounds: the rows are grouped by id and a
    block of 1,024 days, counting rows, distinct days (a bitmap), filled cells and each
    column's least and greatest value. The few million groups then show empty required cells,
    NaN (the greatest of a column holding one), values out of bounds or dates pandas cannot
    hold (the least and the greatest), duplicates (more rows than days), unknown ids (an
    anti-join of the distinct ids) and ids that would need stripping. Blocks end on the as-of
    date, so the rows after it are whole blocks. Problems are rare, so the detailed checks
    (several passes with row numbers) run only when this one finds something.

    ``spans`` (disjoint [start, stop) day ranges of at most 1,024 days, ending by the day after
    the as-of date) are grouped on their own instead: with the same scan, ``span_sums`` gives
    per id and span (named by `features.span_label`) the rows (``n``), ``sum_<column>`` of
    each number column in whole cents (each value rounded half away from zero, as
    `features.to_cents`), and the ``first`` and ``last`` date — what the averages would
    otherwise read the table again for.
    """
    spec, kinds = columns(table), column_kinds(table)
    key = list(TABLES[table].key)
    model = TABLES[table].model.to_schema()
    if (len(key) < 2 or kinds.get(key[-1]) != "date" or model.checks
            or any(t != "clients" for _, t in TABLES[table].references)):
        return None
    spans = sorted(spans)
    after = as_of + timedelta(days=1)
    if any(stop > after or stop <= start or (stop - start).days > _DAY_BLOCK
           for start, stop in spans) or any(
            a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        raise ValueError(f"spans must be disjoint, of at most {_DAY_BLOCK} days and end by "
                         f"{after}: {spans}")
    import duckdb

    listed = _parquet_list(_parquet_files(Path(path)))
    try:
        scan = con.sql(f"SELECT * FROM read_parquet({listed}, union_by_name = true, "
                       "can_have_nan = true)")
    except duckdb.Error:  # unreadable: the detailed check reports it
        return None
    types = dict(zip(scan.columns, (str(t) for t in scan.types), strict=True))
    if set(types) - set(spec) or any(r and c not in types for c, r in spec.items()):
        return None  # unknown or missing columns: the detailed check words them
    aggregates, verdicts, sums, dates = [], [], [], ("", "")
    for name, kind in types.items():
        family, column = kinds[name], _ident(name)
        wanted = {"text": kind == "VARCHAR", "date": kind == "DATE",
                  "number": bool(_NUMERIC.match(kind))}.get(family, False)
        if not wanted:
            return None
        i = len(aggregates)
        aggregates.append(f"count({column}) AS c{i}")
        if spec[name]:
            verdicts.append(f"count(*) FILTER (WHERE c{i} < n)")
        if family == "text":
            continue
        aggregates += [f"min({column}) AS lo{i}", f"max({column}) AS hi{i}"]
        if family == "date":
            if name == key[-1]:
                dates = (f"lo{i}", f"hi{i}")
            verdicts.append(f"count(*) FILTER (WHERE lo{i} < DATE '{DATE_RANGE[0]}' "
                            f"OR hi{i} > DATE '{DATE_RANGE[1]}')")
            continue
        # NaN is the greatest of all doubles: a column holding one has it as its greatest
        verdicts.append(f"count(*) FILTER (WHERE isnan(CAST(hi{i} AS DOUBLE)))")
        for check in model.columns[name].checks:
            if check.name not in _BOUND_SQL:
                return None
            stat, op = _BOUND_SQL[check.name]
            side = "lo" if stat == "min_value" else "hi"
            verdicts.append(f"count(*) FILTER (WHERE {side}{i} {op} "
                            f"{float(check.statistics[stat])!r})")
        if spans:  # in whole cents, half away from zero, as features.to_cents; and the
            # value on the group's last day (kept as it is: rounded once it is picked)
            aggregates += [f"sum(CAST({_cents(column)} AS BIGINT)) AS {_ident('sum_' + name)}",
                           f"arg_max({column}, {_ident(key[-1])}) AS {_ident('tail_' + name)}"]
            sums.append(name)
    ids = ", ".join(_ident(k) for k in key[:-1])
    dated = _ident(key[-1])
    # days counted from a day 1,024 × k before the as-of date's next day, so that blocks of
    # 1,024 days end on the as-of date; clamped to the dates pandas can hold (a date outside
    # is reported by the least and greatest date, and must not break the bitmap's range)
    blocks = (after - date.fromisoformat(DATE_RANGE[0])).days // _DAY_BLOCK + 1
    base = after - timedelta(days=_DAY_BLOCK * blocks)
    clamped = (f"greatest(least({dated}, DATE '{DATE_RANGE[1]}'), "
               f"DATE '{DATE_RANGE[0]}')")
    day = f"CAST({clamped} - DATE '{base.isoformat()}' AS BIGINT)"
    group = f"{day} // {_DAY_BLOCK}"
    if spans:  # span i is group -1 - i; the other days' groups are their blocks
        cases = " ".join(f"WHEN {dated} >= DATE '{start.isoformat()}' AND {dated} < DATE "
                         f"'{stop.isoformat()}' THEN {-1 - i}"
                         for i, (start, stop) in enumerate(spans))
        group = f"CASE {cases} ELSE {group} END"
    grouped = scan.aggregate(
        f"{ids}, {group} AS g, count(*) AS n, bit_count(bitstring_agg(CAST({day} % "
        f"{_DAY_BLOCK} AS INTEGER), 0, {_DAY_BLOCK - 1})) AS m, {', '.join(aggregates)}",
        f"{ids}, g")
    # the one scan: a few rows per id, kept for the questions asked of it
    kept = f"tiering_quick_{table}"
    try:
        con.execute(f"DROP TABLE IF EXISTS {kept}")
        grouped.create(kept)
    except duckdb.Error:  # unreadable, or interrupted: the detailed check reports it
        return None
    # the date's least and greatest are a span's first and last day
    span_sums = _span_sums(kept, key, spans, sums, *dates) if spans else None
    return _QuickScan(kept, key, verdicts, blocks, span_sums)


def _span_sums(kept: str, key: list[str], spans: Sequence[tuple[date, date]],
               numbers: list[str], first: str, last: str) -> str:
    """The query giving `_quick_scan`'s per id and span sums from its kept groups (`kept`;
    span i is group -1 - i, the dates' least and greatest are `first` and `last`): a row for
    every id holding any row and every span, n = 0 when none is in the span.

    Besides the rows (n), the sums and the first and last date: per number column, ``tail_``
    the value on the span's last row and ``carry_`` the value of the id's last row before the
    span, both in whole cents: the balance that holds from the span's start until its first
    row. That is the latest of the groups ending before the span's start (0 when there is
    none) unless a block of rows outside every span straddles the start (then NULL: the
    block's last row is not the one before the span)."""
    ids = ", ".join(_ident(k) for k in key[:-1])
    labels = " ".join(f"WHEN {-1 - i} THEN {_literal(span_label(start, stop))}"
                      for i, (start, stop) in enumerate(spans))
    before = []
    picked = [f"{ids}, CASE g {labels} END AS span, coalesce(n, 0) AS n",
              *(f"coalesce({_ident('sum_' + name)}, 0) AS {_ident('sum_' + name)}"
                for name in numbers),
              f"{first} AS first", f"{last} AS last"]
    for i, (start, _) in enumerate(spans):  # groups straddling span i's start
        day = f"DATE '{start.isoformat()}'"
        before.append(f"count(*) FILTER (WHERE g >= 0 AND {first} < {day} AND {last} >= {day})"
                      f" AS x{i}")
    for j, name in enumerate(numbers):
        tail, carry = _ident("tail_" + name), []
        picked.append(f"CAST({_cents(tail)} AS BIGINT) AS {tail}")
        for i, (start, _) in enumerate(spans):
            before.append(f"arg_max({tail}, {last}) FILTER (WHERE {last} < DATE "
                          f"'{start.isoformat()}') AS b{i}_{j}")
            carry.append(f"WHEN {-1 - i} THEN CASE WHEN x{i} > 0 THEN NULL "
                         f"ELSE coalesce(CAST({_cents(f'b{i}_{j}')} AS BIGINT), 0) END")
        picked.append(f"CASE g {' '.join(carry)} END AS {_ident('carry_' + name)}")
    groups = ", ".join(f"({-1 - i})" for i in range(len(spans)))
    return (f"WITH before AS (SELECT {ids}, {', '.join(before)} FROM {kept} GROUP BY {ids}), "
            f"spans AS (SELECT * FROM (VALUES {groups}) AS s(g)) "
            f"SELECT {', '.join(picked)} FROM before CROSS JOIN spans "
            f"LEFT JOIN (SELECT * FROM {kept} WHERE g < 0) USING ({ids}, g)")


def _cents(value: str) -> str:
    """SQL: `value` in whole cents, half away from zero (a double), as `features.to_cents`."""
    scaled = f"(CAST({value} AS DOUBLE) * 100)"
    return f"CASE WHEN {scaled} < 0 THEN -floor(-{scaled} + 0.5) ELSE floor({scaled} + 0.5) END"


def _quick_judge(con: duckdb.DuckDBPyConnection, scan: _QuickScan,
                 client_ids: IdSource) -> QuickClean | None:
    """What `_quick_scan`'s counts prove: the rows, the rows after the as-of date and the
    span sums when the table is clean, None when it may not be (then run
    ``check_big_table``). The counts are dropped unless their span sums are returned."""
    found = _quick_verdict(con, con.table(scan.kept), scan.key, client_ids, scan.verdicts,
                           late_from=scan.late_from)
    if found is None or scan.span_sums is None:
        con.execute(f"DROP TABLE IF EXISTS {scan.kept}")
        return found
    return QuickClean(found.rows, found.late, con.sql(scan.span_sums))


def _quick_verdict(con: duckdb.DuckDBPyConnection, grouped: duckdb.DuckDBPyRelation,
                   key: list[str], client_ids: IdSource, verdicts: list[str], *,
                   late_from: int) -> QuickClean | None:
    """What `quick_clean` concludes from its per (id, group) counts: groups from ``late_from``
    on are the blocks after the as-of date."""
    totals = grouped.aggregate(
        f"sum(n), sum(n) FILTER (WHERE g >= {late_from}), count(*) FILTER (WHERE n > m), "
        + ", ".join(verdicts or ["0"])).fetchall()[0]
    rows, late, *found = (int(v or 0) for v in totals)
    if any(found):
        return None
    if "client_id" in key:
        distinct = grouped.aggregate("client_id", "client_id").set_alias("d")
        known = _known_ids(con, client_ids, "client_id").set_alias("k")
        strange = distinct.join(known, "d.client_id = k.id", how="anti").aggregate(
            "count(*)").fetchall()[0][0]
        needs_strip = distinct.filter(
            f"client_id IS DISTINCT FROM nullif({_trim_guarded('client_id')}, '')"
        ).aggregate("count(*)").fetchall()[0][0]
        if strange or needs_strip:
            return None
    return QuickClean(rows, late)


def lean_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str, as_of: date,
                 *, stripped: Sequence[str] = ()) -> duckdb.DuckDBPyRelation | None:
    """The known columns of a checked Parquet table, typed, rows after ``as_of`` left out —
    for computing, once ``check_big_table`` found no problem: no row numbers, file names,
    range or NaN guards, so DuckDB scans it in parallel at full speed. None when a column's
    Parquet type is not the kind the schema wants (then use ``CheckedTable.typed``).
    ``stripped`` names text columns already known to need no stripping (``quick_clean``
    proves it for the ids), which spares a scan each."""
    scan = con.sql(f"SELECT * FROM read_parquet({_parquet_list(_parquet_files(Path(path)))}, "
                   "union_by_name = true)")
    kinds = column_kinds(table)
    picked = []
    for name, kind in zip(scan.columns, scan.types, strict=True):
        family, kind = kinds.get(name), str(kind)
        if family is None:
            continue
        column = _ident(name)
        if family == "text" and kind == "VARCHAR":
            cleaned = f"nullif({_trim_guarded(column)}, '')"
            # stripping costs as much as the averaging: only when some value needs it
            needs = name not in stripped and scan.aggregate(
                f"count(DISTINCT {column}) FILTER (WHERE {column} IS DISTINCT FROM {cleaned})"
            ).fetchall()[0][0]
            picked.append(f"{cleaned} AS {column}" if needs else column)
        elif family == "date" and kind == "DATE":
            picked.append(column)
        elif family == "number" and _NUMERIC.match(kind):
            picked.append(f"CAST({column} AS DOUBLE) AS {column}")
        else:
            return None
    dated = TABLES[table].date_column
    lean = scan.project(", ".join(picked))
    return lean.filter(f"{_ident(dated)} <= DATE '{as_of.isoformat()}'") if dated else lean


def _parquet_files(path: Path) -> list[Path]:
    """The Parquet files of a table: the file, or a folder's part files as ``loading`` lists
    them."""
    return list(dataset_files(path)) if path.is_dir() else [path]


def _parquet_list(files: list[Path]) -> str:
    """The files as a DuckDB list literal for ``read_parquet``."""
    return "[" + ", ".join(_literal(str(f)) for f in files) + "]"


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path,
                  table: str) -> duckdb.DuckDBPyRelation:
    files = _parquet_files(path)
    if not files:
        raise InputFileError(f"{path} holds no Parquet files", path=path, table=table)
    listed = _parquet_list(files)
    import duckdb

    try:
        # can_have_nan: Parquet min/max statistics leave NaN out, and without this DuckDB
        # takes them to mean "no NaN here" and folds isnan() to false (duckdb issue 25521)
        scan = con.sql(f"SELECT * FROM read_parquet({listed}, union_by_name = true, "
                       "file_row_number = true, filename = true, can_have_nan = true)")
    except duckdb.Error as exc:
        raise InputFileError(f"cannot read {path} as Parquet: {_first_lines(exc)}",
                             path=path, table=table) from exc
    kinds = column_kinds(table)
    patterns = pattern_columns(table)
    picked = [f"file_row_number + {FIRST_DATA_ROW} AS {_ROW}"]
    if len(files) > 1:
        prefix = len(str(path)) + 2  # the path inside the folder, without the separator
        picked.append(f"substr(filename, {prefix}) AS {_FILE}")
    for name, kind in zip(scan.columns, scan.types, strict=True):
        if name in ("filename", "file_row_number") or _INDEX_COLUMN.fullmatch(name):
            continue
        family = kinds.get(name) or next(
            (k for p, k in patterns.items() if re.match(p, name)), None)
        column = _ident(name)
        if family == "text" or str(kind) == "VARCHAR":  # text as loading makes it
            picked.append(f"{_as_text(column, str(kind))} AS {column}")
        else:
            picked.append(column)
    return scan.project(", ".join(picked))


def _as_text(column: str, kind: str) -> str:
    """A Parquet column as the text ``loading._arrow_text`` makes of it: stripped, "" NULL."""
    if _INTEGER.match(kind) or kind in ("VARCHAR", "BOOLEAN", "DATE", '"NULL"'):
        text = f"CAST({column} AS VARCHAR)"
    elif _NUMERIC.match(kind):  # whole numbers without ".0", others with Excel's 15 digits
        number = f"CAST({column} AS DOUBLE)"
        text = (f"CASE WHEN isnan({number}) THEN NULL WHEN NOT isinf({number}) AND "
                f"{number} = trunc({number}) THEN CAST(CAST({number} AS HUGEINT) AS VARCHAR) "
                f"ELSE printf('%.15g', {number}) END")
    elif kind.startswith("TIMESTAMP"):
        text = (f"CASE WHEN {column} = date_trunc('day', {column}) THEN "
                f"CAST(CAST({column} AS DATE) AS VARCHAR) "
                f"ELSE replace(CAST({column} AS VARCHAR), ' ', 'T') END")
    else:
        text = f"CAST({column} AS VARCHAR)"
    return f"nullif({_trim_guarded(text)}, '')"


# --------------------------------------------------------------------------- checking


class CheckedTable(NamedTuple):
    """What ``check_big_table`` found.

    ``typed``: the table's known columns typed (text VARCHAR, dates DATE, numbers DOUBLE,
    flags BOOLEAN; cells that did not parse are NULL), rows dated after the as-of date left
    out; None when a required column is missing. ``problems``: validation's problem frame.
    ``left_out``: rows dated after the as-of date. ``rows``: data rows read.
    """

    typed: duckdb.DuckDBPyRelation | None
    problems: pd.DataFrame
    left_out: int
    rows: int


@dataclass(frozen=True)
class _Check:
    """One rule a cell can break: ``where`` is its SQL predicate over the prepared relation."""

    column: str
    problem: str
    where: str
    value: str  # SQL for the value shown: text, or a number to format as validation does
    number: bool = False


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # date, number, bool, text
    raw: str  # the column in the opened relation (SQL identifier)
    parsed: str  # SQL identifier of the parsed column in the prepared relation
    bad: str | None  # SQL predicate: present but does not parse (None: cannot happen)
    native: bool  # the file holds the kind itself (a Parquet DATE, DOUBLE ...), not text


def check_big_table(
    con: duckdb.DuckDBPyConnection,
    relation: duckdb.DuckDBPyRelation,
    table: str,
    *,
    client_ids: IdSource | None,
    as_of: date,
    other_ids: dict[str, IdSource] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> CheckedTable:
    """Check ``relation`` (from ``open_path``) as ``validation.validate`` checks ``table``.

    Finds, in the engine: missing required and unknown columns; cells that do not parse to
    their kind; empty required cells; the pandera model's value checks (ge, gt, le, lt, isin,
    str_length); duplicate keys (``TABLES[table].key``, first occurrence in row order kept);
    ids not in the referenced table (``client_ids`` for ``clients``, ``other_ids`` for the
    others, e.g. ``{"products": ids}``; a referenced table given as None or not given is
    absent, as in validation). Each check lists its first ``limit`` rows in row order and
    adds a line counting the rest. Rows dated after ``as_of`` are counted in ``left_out`` and
    left out of ``typed``, as ``pipeline.leave_out_future`` does (rows whose date did not
    parse stay). Raises InputFileError when the engine cannot read the file, ValueError for
    a table whose model has checks across columns (clients, overrides).
    """
    import duckdb

    model = TABLES[table].model.to_schema()
    if model.checks:
        raise ValueError(f"{table}: checks across columns are not translated to SQL; "
                         "use the pandas engine for this table")
    try:
        return _check(con, relation, table, model, client_ids, other_ids or {}, as_of, limit)
    except duckdb.Error as exc:  # DuckDB finds a bad file (CSV) only when it reads it
        if not _reading_error(exc):
            raise
        raise _read_error(table, exc) from exc


def _check(con, relation, table, model, client_ids, other_ids, as_of, limit) -> CheckedTable:
    spec = columns(table)
    kinds = column_kinds(table)
    patterns = pattern_columns(table)
    present = [c for c in relation.columns if c not in (_ROW, _FILE)]
    unnamed = [c for c in present if c.startswith("_unnamed_")]
    found: list[dict] = []
    for name in present:
        family = next((k for p, k in patterns.items() if re.match(p, name)), None)
        if name not in spec and name not in unnamed and family is None:
            found.append(_unknown_column(table, name, spec))
        elif name not in spec and family is not None:
            kinds[name] = family
    missing = [dict(table=table, row=None, column=c, value=None,
                    problem="required column is missing")
               for c, required in spec.items() if required and c not in present]
    if missing:
        filled = _counts(relation, [f"count({_ident(c)})" for c in unnamed])
        found += [_unknown_column(table, "", spec) for n in filled if n]
        return CheckedTable(None, _sorted(missing + found), 0, 0)

    cols = _columns(relation, [c for c in present if c in kinds], kinds)
    parsed = _parse(relation, cols, keep=unnamed)
    joined = _join_known(con, parsed, cols, table, client_ids, other_ids)
    checks = _cell_checks(table, cols, model, set(joined.columns))
    by_name = {c.name: c for c in cols}
    dated = by_name.get(TABLES[table].date_column)
    day = f"DATE '{as_of.isoformat()}'"
    references = [(c, t) for c, t in TABLES[table].references if c in by_name]
    totals = [f"count(*) FILTER (WHERE {check.where})" for check in checks]
    totals += ["count(*)", f"count(*) FILTER (WHERE {dated.parsed} > {day})" if dated else "0"]
    totals += [f"count({by_name[c].parsed})" for c, _ in references]
    totals += [f"count({_ident(c)})" for c in unnamed]
    counts = _counts(joined, totals)
    failing = [(c, n) for c, n in zip(checks, counts, strict=False) if n]
    rows, left_out = counts[len(checks):len(checks) + 2]
    targets = counts[len(checks) + 2:len(checks) + 2 + len(references)]
    for (column, target), n in zip(references, targets, strict=True):
        if n and (client_ids if target == "clients" else other_ids.get(target)) is None:
            found.append(dict(table=table, row=None, column=column, value=None,
                              problem=f"refers to {target}, but there is no {target} table"))
    found += [_unknown_column(table, "", spec) for n in counts[len(totals) - len(unnamed):]
              if n]
    files = _FILE in relation.columns
    found += _first_rows(joined, table, failing, files, limit)
    found += _duplicate_keys(parsed, table, cols, files, limit)
    typed = parsed.project(", ".join(f"{c.parsed} AS {_ident(c.name)}" for c in cols))
    if dated:
        name = _ident(dated.name)
        typed = typed.filter(f"{name} IS NULL OR {name} <= {day}")
    return CheckedTable(typed, _sorted(found), int(left_out), int(rows))


def _unknown_column(table: str, name: str, spec: dict[str, bool]) -> dict:
    return dict(table=table, row=None, column=name, value=None,
                problem="unknown column (expected " + ", ".join(spec) + ")")


def _counts(relation: duckdb.DuckDBPyRelation, aggregates: list[str]) -> list[int]:
    """Several aggregates of one relation in one scan."""
    if not aggregates:
        return []
    return list(relation.aggregate(", ".join(aggregates)).fetchall()[0])


# --- parsing, in SQL


def _columns(relation: duckdb.DuckDBPyRelation, names: list[str],
             kinds: dict[str, str]) -> list[_Column]:
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    out = []
    for i, name in enumerate(names):
        kind, raw = kinds[name], _ident(name)
        native = types[name] != "VARCHAR" and _native(kind, types[name])
        # a number column of numbers cannot fail to parse (NaN counts as empty); a date
        # column of dates can, when the date is beyond what pandas holds
        cannot_fail = kind == "text" or (native and kind != "date")
        bad = None if cannot_fail else f"(r{i} IS NOT NULL AND p{i} IS NULL)"
        out.append(_Column(name, kind, raw, f"p{i}", bad, native))
    return out


def _native(kind: str, duck_type: str) -> bool:
    """Whether a column of this DuckDB type holds its kind already (no text to parse)."""
    if kind == "number":
        return bool(_NUMERIC.match(duck_type))
    if kind == "date":
        return duck_type == "DATE" or duck_type.startswith("TIMESTAMP")
    if kind == "bool":
        return duck_type == "BOOLEAN"
    return True


def _parsed(column: _Column, duck_type: str, i: int) -> str:
    """SQL for the parsed value of column ``i`` (its raw value is ``r{i}``)."""
    raw = f"r{i}"
    if column.kind == "text":
        return raw if duck_type == "VARCHAR" else f"CAST({raw} AS VARCHAR)"
    if column.kind == "number":
        if column.native:
            number = f"CAST({raw} AS DOUBLE)"
            return f"CASE WHEN isnan({number}) THEN NULL ELSE {number} END"
        return _number_sql(_text(raw, duck_type))
    if column.kind == "date":
        if column.native:
            day = (f"CAST(timezone('UTC', {raw}) AS DATE)" if "TIME ZONE" in duck_type
                   else f"CAST({raw} AS DATE)")
        else:
            day = _date_sql(_text(raw, duck_type), i)
        return f"CASE WHEN {day} BETWEEN DATE '{DATE_RANGE[0]}' AND DATE '{DATE_RANGE[1]}' " \
               f"THEN {day} END"
    if column.native:
        return raw
    lowered = f"lower({_text(raw, duck_type)})"
    return (f"CASE WHEN {lowered} IN ({_list(TRUE)}) THEN true "
            f"WHEN {lowered} IN ({_list(FALSE)}) THEN false END")


def _text(raw: str, duck_type: str) -> str:
    return raw if duck_type == "VARCHAR" else f"CAST({raw} AS VARCHAR)"


def _number_sql(text: str) -> str:
    """Text to a number as validation reads it: thousands commas dropped, no NaN.

    DuckDB also reads ``1_000`` and ``+-1``, which pandas does not: those stay unparsed.
    """
    t = f"replace({text}, ',', '')"
    value = f"TRY_CAST({t} AS DOUBLE)"
    return (f"CASE WHEN contains({t}, '_') OR left({t}, 2) IN ('+-', '-+') THEN NULL "
            f"WHEN isnan({value}) THEN NULL ELSE {value} END")


def _date_sql(text: str, i: int) -> str:
    """Text to a date as validation reads it (see ``DATE_PATTERN``), time of day dropped.

    YYYY-M-D (after / and . become -) is cast directly; other forms go through the pattern,
    whose groups ``g{i}`` the prepared relation computes once per row.
    """
    g = f"g{i}"

    def part(name: str) -> str:
        return f"nullif({g}.{name}, '')"

    def below(name: str, bound: int) -> str:
        return f"coalesce(CAST({part(name)} AS INTEGER) < {bound}, true)"

    has_day = f"({g}.d <> '' OR {g}.cd <> '')"
    has_time = f"({g}.h <> '' OR {g}.ch <> '')"
    valid = (f"{g}.y <> '' AND (NOT {has_time} OR {has_day}) AND {below('h', 24)} AND "
             f"{below('ch', 24)} AND {below('mi', 60)} AND {below('cmi', 60)} AND "
             f"{below('s', 60)} AND {below('cs', 60)}")
    built = (f"{g}.y || '-' || coalesce({part('m')}, {part('cm')}, '1') || '-' || "
             f"coalesce({part('d')}, {part('cd')}, '1')")
    return (f"CASE WHEN {g} IS NULL THEN TRY_CAST(t{i} AS DATE) "
            f"WHEN {valid} THEN TRY_CAST({built} AS DATE) END")


def _parse(relation: duckdb.DuckDBPyRelation, cols: list[_Column],
           keep: list[str]) -> duckdb.DuckDBPyRelation:
    """The relation with ``_row`` (``_file``), ``r{i}`` (raw) and ``p{i}`` (parsed) columns.

    Built in steps so that each expression is computed once per row: raw values and the
    normalised date text ``t{i}`` with its pattern groups ``g{i}``, then the parsed values.
    ``keep``: more columns to carry along as they are.
    """
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    carried = [_ROW] + ([_FILE] if _FILE in relation.columns else []) + [_ident(c) for c in keep]
    texts = {i: c for i, c in enumerate(cols) if c.kind == "date" and not c.native}
    step = [*carried] + [f"{c.raw} AS r{i}" for i, c in enumerate(cols)] + [
        f"regexp_replace({_text(c.raw, types[c.name])}, "
        f"'[/.]', '-', 'g') AS t{i}" for i, c in texts.items()]
    staged = relation.project(", ".join(step))
    if texts:
        staged = staged.project("*, " + ", ".join(
            f"CASE WHEN regexp_full_match(t{i}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN NULL "
            f"ELSE regexp_extract(t{i}, {_literal(DATE_PATTERN)}, {_DATE_GROUPS}) END AS g{i}"
            for i in texts))
    parsed = [f"{_parsed(c, types[c.name], i)} AS p{i}" for i, c in enumerate(cols)]
    return staged.project(", ".join([*carried] + [f"r{i}" for i in range(len(cols))] + parsed))


def _join_known(con: duckdb.DuckDBPyConnection, parsed: duckdb.DuckDBPyRelation,
                cols: list[_Column], table: str, client_ids: object,
                other_ids: dict) -> duckdb.DuckDBPyRelation:
    """``parsed`` with a column ``k_<column>`` per reference: the id if known, else NULL."""
    by_name = {c.name: c for c in cols}
    for column, target in TABLES[table].references:
        source = client_ids if target == "clients" else other_ids.get(target)
        if column not in by_name or source is None:
            continue
        known = _known_ids(con, source, TABLES[target].key[0]).set_alias(f"known_{column}")
        parsed = parsed.set_alias("t").join(
            known, f"t.{by_name[column].parsed} = known_{column}.id", how="left"
        ).project(f"t.*, known_{column}.id AS {_ident('k_' + column)}")
    return parsed


def _known_ids(con: duckdb.DuckDBPyConnection, source: object,
               key: str) -> duckdb.DuckDBPyRelation:
    """The distinct ids of a referenced table, as a relation with one column ``id``."""
    if hasattr(source, "project") and hasattr(source, "columns"):
        names = list(source.columns)
        column = key if key in names else names[0]
        return source.project(f"CAST({_ident(column)} AS VARCHAR) AS id").distinct()
    ids = pa.array(pd.Series(source, dtype="string").dropna(), type=pa.string())
    return con.from_arrow(pa.table({"id": ids})).distinct()


# --- the checks


def _cell_checks(table: str, cols: list[_Column], model, prepared: set[str]) -> list[_Check]:
    """Every per-cell check of ``table``, in validation's terms (``prepared``: its columns)."""
    checks = []
    for i, c in enumerate(cols):
        shown_number = c.kind == "number"
        if c.bad is not None:
            checks.append(_Check(c.name, PARSE_PROBLEM[c.kind], c.bad, f"CAST(r{i} AS VARCHAR)"))
        schema = model.columns.get(c.name) or next(
            (s for n, s in model.columns.items() if s.regex and re.match(n, c.name)), None)
        if schema is None:
            continue
        if not schema.nullable:
            empty = f"p{i} IS NULL" + (f" AND NOT {c.bad}" if c.bad else "")
            checks.append(_Check(c.name, EMPTY_PROBLEM, f"({empty})", "''"))
        for check in schema.checks:
            rule = _check_sql(f"p{i}", check)
            value = f"p{i}" if shown_number else f"CAST(p{i} AS VARCHAR)"
            checks.append(_Check(c.name, check_text(check.error or check.name),
                                 f"(p{i} IS NOT NULL AND NOT ({rule}))", value, shown_number))
    for column, target in TABLES[table].references:
        c = next((c for c in cols if c.name == column), None)
        if c is None or f"k_{column}" not in prepared:
            continue
        key = TABLES[target].key[0]
        checks.append(_Check(column, f"unknown {key} (not in {target})",
                             f"({c.parsed} IS NOT NULL AND {_ident('k_' + column)} IS NULL)",
                             c.parsed))
    return checks


def _check_sql(value: str, check) -> str:
    """A pandera column check as a SQL predicate on ``value`` (true: the cell passes)."""
    stats = check.statistics
    if check.name == "greater_than_or_equal_to":
        return f"{value} >= {float(stats['min_value'])!r}"
    if check.name == "greater_than":
        return f"{value} > {float(stats['min_value'])!r}"
    if check.name == "less_than_or_equal_to":
        return f"{value} <= {float(stats['max_value'])!r}"
    if check.name == "less_than":
        return f"{value} < {float(stats['max_value'])!r}"
    if check.name == "isin":
        return f"{value} IN ({_list(stats['allowed_values'])})"
    if check.name == "str_length":
        low, high = stats.get("min_value"), stats.get("max_value")
        parts = ([f"length({value}) >= {int(low)}"] if low is not None else []) + (
            [f"length({value}) <= {int(high)}"] if high is not None else [])
        return " AND ".join(parts) or "true"
    raise ValueError(f"the pandera check {check.name!r} has no SQL translation; "
                     "use the pandas engine for this table")


def _first_rows(joined: duckdb.DuckDBPyRelation, table: str, failing: list[tuple],
                files: bool, limit: int) -> list[dict]:
    """The first ``limit`` rows of every failing check, in one scan, and a line for the rest.

    Each failing row yields one row per check it fails (``k``); ``arg_min(…, n)`` keeps the
    ``n`` first of each check in row order without sorting the rest.
    """
    if not failing:
        return []
    ids = ", ".join(f"CASE WHEN {c.where} THEN [{k}] ELSE {_NO_LIST} END"
                    for k, (c, _) in enumerate(failing))
    text = _pick([(k, f"CAST({c.value} AS VARCHAR)") for k, (c, _) in enumerate(failing)
                  if not c.number], "VARCHAR")
    number = _pick([(k, f"CAST({c.value} AS DOUBLE)") for k, (c, _) in enumerate(failing)
                    if c.number], "DOUBLE")
    file = _FILE if files else "NULL::VARCHAR"
    order = f"{{'f': f, 'r': {_ROW}}}" if files else _ROW
    hits = (joined.filter(" OR ".join(c.where for c, _ in failing))
            .project(f"*, unnest(flatten([{ids}])) AS k")
            .project(f"k, {_ROW}, {file} AS f, {text} AS v, {number} AS x")
            .aggregate(f"k, arg_min({{'row': {_ROW}, 'file': f, 'v': v, 'x': x}}, {order}, "
                       f"{int(limit)}) AS first", "k")
            .fetchall())
    out = []
    for k, first in hits:
        check, n = failing[k]
        out += [dict(table=table, row=int(cell["row"]), column=check.column,
                     value=f"{cell['x']:g}" if check.number else cell["v"],
                     problem=_in_file(check.problem, cell["file"]), _file=cell["file"])
                for cell in first]
        if n > len(first):
            out.append(_more(table, check.column, check.problem, n - len(first), limit))
    return out


def _pick(cases: list[tuple[int, str]], kind: str) -> str:
    """SQL choosing the value of check ``k`` (NULL for checks not in ``cases``)."""
    if not cases:
        return f"NULL::{kind}"
    return "CASE k " + " ".join(f"WHEN {k} THEN {sql}" for k, sql in cases) + " END"


def _duplicate_keys(parsed: duckdb.DuckDBPyRelation, table: str, cols: list[_Column],
                    files: bool, limit: int) -> list[dict]:
    """Rows whose key repeats an earlier row's, as validation reports them.

    A first scan finds the groups of rows that may hold a duplicate: when the key ends with a
    date (daily_assets: client_id, date), rows are grouped by a hash of the other parts and a
    block of 1,024 days, and a group holds a duplicate exactly when it has more rows than
    distinct days (a bitmap of the days in the block counts them); other keys are grouped by
    a hash of the whole key. Few groups, small states: no sort and no spill. A table without
    duplicates ends there. Only the rows of suspect groups are then ranked by the key itself
    (a hash collision makes a suspect, never a false report).
    """
    by_name = {c.name: c for c in cols}
    key = TABLES[table].key
    if not key or not set(key) <= set(by_name):
        return []
    parts = [by_name[k].parsed for k in key]
    if by_name[key[-1]].kind == "date" and len(key) > 1:
        day = f"CAST({parts[-1]} - DATE '{DATE_RANGE[0]}' AS BIGINT)"  # never negative
        grouped = f"hash({', '.join(parts[:-1])}) AS h, {day} // {_DAY_BLOCK} AS b, " \
                  f"CAST({day} % {_DAY_BLOCK} AS INTEGER) AS d"
        distinct = f"bit_count(bitstring_agg(d, 0, {_DAY_BLOCK - 1}))"
    else:
        grouped, distinct = f"hash({', '.join(parts)}) AS h, 0 AS b, 0 AS d", "1"
    files_or_null = _FILE if files else "NULL::VARCHAR"
    whole = parsed.filter(" AND ".join(f"{p} IS NOT NULL" for p in parts)).project(
        f"{_ROW}, {files_or_null} AS f, {', '.join(parts)}, {grouped}")
    repeated = (whole.aggregate(f"h, b, count(*) AS n, {distinct} AS m", "h, b")
                .filter("n > m").project("h AS rh, b AS rb"))
    if not _counts(repeated, ["count(*)"])[0]:
        return []
    suspects = whole.set_alias("w").join(repeated.set_alias("r"), "w.h = r.rh AND w.b = r.rb",
                                         how="semi")
    window = f"PARTITION BY {', '.join(parts)} ORDER BY f, {_ROW}"
    shown = " || ', ' || ".join(
        f"'{k}=' || " + (f"strftime({p}, '%Y-%m-%d')" if by_name[k].kind == "date"
                         else f"CAST({p} AS VARCHAR)")
        for k, p in zip(key, parts, strict=True))
    listed = suspects.query("s", (
        f"SELECT {_ROW}, f, v, first_row, first_file, count(*) OVER () AS total FROM ("
        f"SELECT {_ROW}, f, {shown} AS v, row_number() OVER ({window}) AS rank, "
        f"first_value({_ROW}) OVER ({window}) AS first_row, "
        f"first_value(f) OVER ({window}) AS first_file FROM s) WHERE rank > 1 "
        f"ORDER BY f, {_ROW} LIMIT {int(limit)}"
    )).fetchall()
    column = ",".join(key)
    out = []
    for row, file, shown_key, first_row, first_file, _ in listed:
        first = f"first at row {first_row}" + (f" of {first_file}" if first_file != file else "")
        out.append(dict(table=table, row=int(row), column=column, value=shown_key,
                        problem=_in_file(f"duplicate key ({first})", file), _file=file))
    total = listed[0][-1] if listed else 0
    if total > len(listed):
        out.append(_more(table, column, "duplicate key", total - len(listed), limit))
    return out


def _more(table: str, column: str, problem: str, extra: int, limit: int) -> dict:
    return dict(table=table, row=None, column=column, value=None,
                problem=f"{problem}: {extra:,} more rows like this are not listed "
                f"(only the first {limit:,} are)")


def _in_file(problem: str, file: str | None) -> str:
    return problem if file is None else f"{problem} (in {file})"


def _sorted(found: list[dict]) -> pd.DataFrame:
    """Problems in validation's order (row, column, problem), file by file (key ``_file``)."""
    found = sorted(found, key=lambda p: (p.get("_file") or "", p["row"] or 0,
                                         p["column"] or "", p["problem"]))
    return problems_frame(found)


# --- SQL text


def _trim(text: str) -> str:
    """SQL stripping ``WHITESPACE`` from both ends of ``text``, as ``str.strip`` does."""
    return f"trim({text}, {_literal(WHITESPACE)})"


def _trim_guarded(text: str) -> str:
    """``_trim``, run only on cells whose first or last character is not printable ASCII.

    DuckDB's ``trim`` with a set of characters costs about 1.5 µs a cell: five times reading
    a CSV cell. Byte-wise comparisons pass the other cells through. (A Parquet column is
    usually dictionary-encoded, where ``trim`` runs once per distinct value and the guard
    would only get in the way.)
    """
    last = f"right({text}, 1)"
    return (f"CASE WHEN {text} < '!' OR {text} >= chr(127) OR {last} < '!' OR "
            f"{last} >= chr(127) THEN {_trim(text)} ELSE {text} END")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(values: object) -> str:
    return ", ".join(_literal(str(v)) for v in values)


def _first_lines(exc: Exception, n: int = 3) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    kept = []
    for line in lines[:n]:
        if line.startswith("Possible"):
            break
        kept.append(line.strip())
    return " ".join(kept)


def _reading_error(exc: Exception) -> bool:
    """Whether a DuckDB error is about the input file rather than the query."""
    text = str(exc).casefold()
    return any(word in text for word in ("csv error", "unicode", "parquet", "no files found"))


def _read_error(table: str, exc: Exception) -> InputFileError:
    message = _first_lines(exc)
    if "unicode" in message.casefold() or "utf-8" in message.casefold():
        message = _not_utf8(message)
    return InputFileError(f"cannot read table {table!r}: {message}", table=table)
