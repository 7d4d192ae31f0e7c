"""Input checks: every problem in every table, named by table, row, column and value.

Cells are parsed by the kind the pandera model gives each column (date, number, bool, text);
the pandera models then check values lazily (every failure collected); the checks across
tables follow (duplicate keys, unknown ids, overrides, questionnaire answers). Rows are the
numbers a person sees in a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_types
import pyarrow.compute as pc

from tiering.number_text import among
from tiering.params import Parameters
from tiering.schemas import TABLES, column_kinds, columns, pattern_columns

PROBLEM_COLUMNS = ["table", "row", "column", "value", "problem"]
DATE_RANGE = ("1677-09-22", "2262-04-11")
"""Whole days a pandas timestamp can hold; a date outside is reported as not a date."""
# ISO 8601 as pandas reads it (format="ISO8601") once / and . are read as -: a year, a month
# or a day (1 or 2 digits) or YYYYMMDD, then optionally T or a space and a time of day:
# H:M[:S] (1 or 2 digits each) or HH[MM[SS]]
DATE_PATTERN = (r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?|(\d{2})(\d{2}))?"
                r"(?:[T ](?:(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?|(\d{2})(\d{2})?(\d{2})?))?$")
TRUE = {"true", "t", "yes", "y", "1", "是", "真"}
FALSE = {"false", "f", "no", "n", "0", "否", "假"}
_CHECK_TEXT = [
    (re.compile(r"greater_than_or_equal_to\((.+)\)"), "must be ≥ {0}"),
    (re.compile(r"greater_than\((.+)\)"), "must be > {0}"),
    (re.compile(r"less_than_or_equal_to\((.+)\)"), "must be ≤ {0}"),
    (re.compile(r"less_than\((.+)\)"), "must be < {0}"),
    (re.compile(r"isin\((.+)\)"), "must be one of {0}"),
    (re.compile(r"str_length\(.*\)"), "must not be empty"),
    (re.compile(r"not_nullable"), "is empty but required"),
    (re.compile(r"field_uniqueness|unique"), "duplicate value"),
]


def problems_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows or [], columns=PROBLEM_COLUMNS)


def parse_tables(
    raw: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Columns checked and cells parsed to their kinds; returns (typed tables, problems)."""
    typed: dict[str, pd.DataFrame] = {}
    found: list[pd.DataFrame] = []
    for name, frame in raw.items():
        table_problems, parsed = _parse_table(name, frame)
        found.append(table_problems)
        if parsed is not None:
            typed[name] = parsed
    return typed, concat_problems(found)


def check_tables(
    typed: Mapping[str, pd.DataFrame], params: Parameters | None = None,
) -> pd.DataFrame:
    """Value checks (pandera, lazily) and the checks across tables."""
    found = [_schema_problems(name, frame) for name, frame in typed.items()]
    found.append(_duplicate_keys(typed))
    found.append(_unknown_ids(typed))
    if "overrides" in typed:
        found.append(_override_problems(typed["overrides"], params))
    if "risk_assessments" in typed and params is not None:
        found.append(_answer_problems(typed["risk_assessments"], params))
    return concat_problems(found)


def validate(
    raw: Mapping[str, pd.DataFrame], params: Parameters | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Parse and check every table; return (typed tables, every problem found)."""
    typed, parse_problems = parse_tables(raw)
    problems = concat_problems([parse_problems, check_tables(typed, params)])
    # a cell that could not be parsed is reported once, not again by the value checks
    problems = problems.drop_duplicates(["table", "row", "column"], keep="first")
    order = {name: i for i, name in enumerate(TABLES)}
    problems = problems.assign(_t=problems["table"].map(order), _r=problems["row"].fillna(0))
    problems = problems.sort_values(["_t", "_r", "column", "problem"], kind="mergesort")
    return typed, problems.drop(columns=["_t", "_r"]).reset_index(drop=True)


def quarantine(
    typed: Mapping[str, pd.DataFrame], problems: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Set aside every row with a problem; returns (clean tables, quarantined rows).

    Problems without a row (a missing column, an unreadable file) cannot be set aside.
    """
    clean = {}
    bad_rows = problems.dropna(subset=["row"])
    for name, frame in typed.items():
        rows = set(bad_rows.loc[bad_rows["table"] == name, "row"].astype(int))
        clean[name] = frame[~frame.index.isin(rows)] if rows else frame
    held = bad_rows.copy()
    held["client_id"] = [
        _client_of(typed, t, int(r)) for t, r in zip(held["table"], held["row"], strict=True)
    ]
    return clean, held[["table", "row", "client_id", "column", "value", "problem"]]


def blocking(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems that no quarantine can fix (they concern a whole table or column)."""
    return problems[problems["row"].isna()]


def format_report(problems: pd.DataFrame, limit: int = 200) -> str:
    """One readable report: a line per problem, the first `limit` of them."""
    n = len(problems)
    lines = [f"The input data has {n} problem{'s' if n != 1 else ''}:"]
    for p in problems.head(limit).itertuples(index=False):
        where = f"{p.table}" + (f" row {int(p.row)}" if pd.notna(p.row) else "")
        col = f", column {p.column}" if isinstance(p.column, str) and p.column else ""
        val = "" if p.value is None or (isinstance(p.value, float) and np.isnan(p.value)) else (
            f", value {p.value!r}")
        lines.append(f"  {where}{col}{val}: {p.problem}")
    if n > limit:
        lines.append(f"  … and {n - limit} more (tiering validate --report FILE lists them all)")
    return "\n".join(lines)


# --- parsing ---------------------------------------------------------------------------

def _parse_table(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    spec_cols = columns(name)
    kinds = column_kinds(name)
    patterns = pattern_columns(name)
    out: list[dict] = []
    missing = [c for c, required in spec_cols.items() if required and c not in frame.columns]
    for col in missing:
        out.append(dict(table=name, row=None, column=col, value=None,
                        problem="required column is missing"))
    for col in frame.columns:
        if col in spec_cols:
            continue
        family = next((k for p, k in patterns.items() if re.match(p, str(col))), None)
        if family is None:
            out.append(dict(table=name, row=None, column=str(col), value=None,
                            problem="unknown column (expected "
                            + ", ".join(spec_cols) + ")"))
        else:
            kinds[col] = family
    if missing:
        return problems_frame(out), None
    parsed = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        if col not in kinds:
            continue
        values, bad = _parse_column(frame[col], kinds[col])
        parsed[col] = values
        if bad.any():
            shown = frame.loc[bad, col]
            expected = {"date": "not a date (expected YYYY-MM-DD)",
                        "number": "not a number", "bool": "not true/false"}[kinds[col]]
            out.extend(dict(table=name, row=int(r), column=col, value=str(v), problem=expected)
                       for r, v in shown.items())
    return problems_frame(out), parsed


def _parse_column(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Parsed values and a mask of cells that are present but cannot be parsed."""
    present = values.notna()
    nothing_bad = pd.Series(False, index=values.index)
    if kind == "text":
        if isinstance(values.dtype, pd.StringDtype):
            return values, nothing_bad  # the loader has stripped the cells already
        return values.astype("string").str.strip(), nothing_bad
    if kind == "number":
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            return values.astype("float64"), nothing_bad
        parsed = _arrow_parse(values, pa_types.float64())
        if parsed is None:  # some cell is not a plain number: parse cell by cell
            text = values.astype("string").str.strip().str.replace(",", "", regex=False)
            parsed = pd.to_numeric(text, errors="coerce").astype("float64")
        return parsed, present & parsed.isna()
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(values):
            parsed = _days(values)
            return parsed, present & parsed.isna()
        parsed = _arrow_dates(values)
        retry = present & parsed.isna()
        if retry.any():  # 2026/01/05, 2026.01.05, 20260105, or with a time of day
            parsed[retry] = _other_dates(values[retry])
        return parsed, present & parsed.isna()
    # bool
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), nothing_bad
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
    parsed[text.isin(TRUE).fillna(False).astype(bool)] = True
    parsed[text.isin(FALSE).fillna(False).astype(bool)] = False
    return parsed, present & parsed.isna()


def _isin(values: pd.Series, allowed) -> pd.Series:
    """`values.isin(allowed)` through Arrow: many times faster on Arrow-backed text."""
    allowed = pd.Series(allowed).dropna().astype("string")
    return pd.Series(among(values.astype("string"), allowed), index=values.index).fillna(False)


def _arrow_parse(values: pd.Series, to: pa_types.DataType) -> pd.Series | None:
    """Cast text to numbers in Arrow (fast); None when some cell does not cast."""
    try:
        array = pa_types.array(values.astype("string"), from_pandas=True)
        cast = pc.cast(array, to)
    except (pa_types.ArrowInvalid, pa_types.ArrowNotImplementedError):
        return None
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=values.index)


def _days(stamps: pd.Series) -> pd.Series:
    """Timestamps of any unit as days at nanoseconds (the time of day and a time zone's offset
    dropped: the day as written); a day pandas cannot hold at nanoseconds (DATE_RANGE) is
    missing, reported as not a date."""
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    days = stamps.dt.normalize()
    held = (days >= pd.Timestamp(DATE_RANGE[0])) & (days <= pd.Timestamp(DATE_RANGE[1]))
    return days.where(held).astype("datetime64[ns]")


def _other_dates(values: pd.Series) -> pd.Series:
    """Dates in the other forms `DATE_PATTERN` allows once / and . are read as - (a year, a
    month, YYYYMMDD, a time of day), as pandas reads them; days at nanoseconds, missing where a
    cell is not such a date (a fraction of a second, a time zone: as the DuckDB engine)."""
    text = values.astype("string").str.strip().str.replace(r"[/.]", "-", regex=True)
    plain = text.str.fullmatch(DATE_PATTERN).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(plain), format="ISO8601", errors="coerce")
    return _days(parsed)


def _arrow_dates(values: pd.Series) -> pd.Series:
    """YYYY-MM-DD text to timestamps in Arrow; cells in other forms come back missing."""
    array = pa_types.array(values.astype("string"), from_pandas=True)
    plain = pc.fill_null(pc.match_substring_regex(array, r"^\d{4}-\d{2}-\d{2}$"), False)
    array = pc.if_else(plain, array, pa_types.scalar(None, array.type))
    parsed = pc.strptime(array, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls impossible days over (30 February becomes 2 March): keep only dates
    # whose day reads back as written; the others are parsed again, strictly, by the caller
    day = pc.cast(pc.utf8_slice_codeunits(array, 8, 10), pa_types.int64())
    same = pc.fill_null(pc.equal(pc.day(parsed), day), False)
    parsed = pc.if_else(same, parsed, pa_types.scalar(None, parsed.type))
    return _days(pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index))


# --- value checks ------------------------------------------------------------------------

def _schema_problems(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    model = TABLES[name].model
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        out = []
        for c in cases.itertuples(index=False):
            check = str(c.check)
            if check.startswith(("coerce_dtype", "dtype", "column_in_")):
                continue  # parsing and column checks are reported by _parse_table
            row = None if c.index is None or pd.isna(c.index) else int(c.index)
            column = None if c.column == model.__name__ or pd.isna(c.column) else str(c.column)
            value = None if row is None or column is None else _shown(frame, row, column)
            out.append(dict(table=name, row=row, column=column, value=value,
                            problem=check_text(check)))
        return problems_frame(out)
    return problems_frame()


def check_text(check: str) -> str:
    """A pandera check's name in the words of a problem report ("must be ≥ 0")."""
    for pattern, text in _CHECK_TEXT:
        found = pattern.search(check)
        if found:
            return text.format(*found.groups())
    return check


def _shown(frame: pd.DataFrame, row: int, column: str) -> str | None:
    try:
        value = frame.at[row, column]
    except KeyError:
        return None
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- checks across tables ---------------------------------------------------------------

def _duplicate_keys(typed: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    out = []
    for name, frame in typed.items():
        key = list(TABLES[name].key)
        if not key or not set(key) <= set(frame.columns):
            continue
        frame = frame.dropna(subset=key)  # a missing or unparseable key part is reported already
        dup = frame.duplicated(key, keep="first")
        if not dup.any():
            continue
        first_row = (frame.reset_index().drop_duplicates(key).set_index(key)["row"]
                     if frame.index.name == "row" else None)
        for r, values in frame.loc[dup, key].iterrows():
            shown = ", ".join(f"{k}={_fmt(v)}" for k, v in zip(key, values, strict=True))
            first = ""
            if first_row is not None:
                lookup = tuple(values) if len(key) > 1 else values.iloc[0]
                first = f" (first at row {int(first_row.loc[lookup])})"
            out.append(dict(table=name, row=int(r), column=",".join(key), value=shown,
                            problem=f"duplicate key{first}"))
    return problems_frame(out)


def _unknown_ids(typed: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    out = []
    for name, frame in typed.items():
        for column, target in TABLES[name].references:
            if column not in frame.columns or target not in typed:
                if column in frame.columns and target not in typed and frame[column].notna().any():
                    out.append(dict(table=name, row=None, column=column, value=None,
                                    problem=f"refers to {target}, but there is no {target} table"))
                continue
            target_key = TABLES[target].key[0]
            known = typed[target][target_key]
            values = frame[column]
            bad = values.notna() & ~_isin(values, known)
            out.extend(
                dict(table=name, row=int(r), column=column, value=str(v),
                     problem=f"unknown {target_key} (not in {target})")
                for r, v in values[bad].items()
            )
    return problems_frame(out)


def _override_problems(overrides: pd.DataFrame, params: Parameters | None) -> pd.DataFrame:
    out = []
    category = overrides["field"] == "category"
    for r, v in overrides.loc[category, "value"].items():
        out.append(dict(
            table="overrides", row=int(r), column="field", value="category",
            problem=(f"the category cannot be overridden (requested {v!r}): it must agree "
                     "with the client-signed questionnaire (实施细则 第十二条); record a new "
                     "signed risk assessment instead"),
        ))
    if params is not None:
        levels = [lv.id for lv in params.policy.levels]
        level_rows = overrides[overrides["field"] == "level"]
        bad = level_rows["value"].notna() & ~level_rows["value"].isin(levels)
        out.extend(dict(table="overrides", row=int(r), column="value", value=str(v),
                        problem=f"not a level (one of {', '.join(levels)})")
                   for r, v in level_rows.loc[bad, "value"].items())
    # two overrides of the same client and field that are in effect on the same day
    frame = overrides.dropna(subset=["client_id", "field", "effective_from"])
    if "effective_to" in frame:
        ends = frame["effective_to"].fillna(pd.Timestamp.max)
    else:
        ends = pd.Series(pd.Timestamp.max, index=frame.index)
    frame = frame.assign(_end=ends, _row=frame.index).sort_values(
        ["client_id", "field", "effective_from", "_row"], kind="mergesort")
    prev_end = frame.groupby(["client_id", "field"])["_end"].shift()
    prev_row = frame.groupby(["client_id", "field"])["_row"].shift()
    clash = prev_end.notna() & (frame["effective_from"] <= prev_end)
    for r, other in zip(frame.loc[clash, "_row"], prev_row[clash], strict=True):
        out.append(dict(table="overrides", row=int(r), column="effective_from",
                        value=_fmt(overrides.at[r, "effective_from"]),
                        problem=f"overlaps the override at row {int(other)} for the same "
                        "client and field"))
    return problems_frame(out)


def _answer_problems(assessments: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    q = params.questionnaire
    out = []
    options = q.points
    for col in [c for c in assessments.columns if re.match(r"^q\d{2,}$", c)]:
        if col not in options:
            out.append(dict(table="risk_assessments", row=None, column=col, value=None,
                            problem=f"no question {col} in questionnaire {q.version}"))
            continue
        values = assessments[col]
        bad = values.notna() & ~_isin(values, list(options[col]))
        out.extend(dict(table="risk_assessments", row=int(r), column=col, value=str(v),
                        problem=f"not an option of {col} ({', '.join(options[col])})")
                   for r, v in values[bad].items())
    if "score" in assessments:
        score = assessments["score"]
        bad = score.notna() & ((score < q.min_total) | (score > q.max_total))
        out.extend(dict(table="risk_assessments", row=int(r), column="score", value=f"{v:g}",
                        problem=f"outside the questionnaire's range {q.min_total:g}–"
                        f"{q.max_total:g}")
                   for r, v in score[bad].items())
    return problems_frame(out)


def _client_of(typed: Mapping[str, pd.DataFrame], table: str, row: int) -> str | None:
    frame = typed.get(table)
    if frame is None or "client_id" not in frame.columns or row not in frame.index:
        return None
    value = frame.at[row, "client_id"]
    return value if isinstance(value, str) else None


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def concat_problems(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Problem frames one after the other (the empty ones left out)."""
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else problems_frame()
