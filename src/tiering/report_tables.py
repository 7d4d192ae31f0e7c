"""The tables of the classification report, ready to show (SPEC 2.1–2.4, 4).

A core module: every function takes the tables of one run and returns a new DataFrame,
labelled in Chinese (with the English id where it helps to find a row in the CSV files). Rows
follow the policy's level order, high to low, and categories follow the band order. Each frame
carries its title in ``frame.attrs["title"]``. Only `load_run` reads files.

Names are returned raw in a column called ``name``: masking is the display layer's job.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from tiering.features import rating_periods
from tiering.loading import find_table, read_table
from tiering.number_text import STR
from tiering.schemas import TABLES

TOTAL = "合计"
NEW = "新客户 (new)"
NONE = "—"
UNITS = {"元": 1.0, "万元": 1e4, "亿元": 1e8}
PEOPLE = ("name", "phone", "id_number", "branch", "manager_id")
CHANGES = {"upgrade": "升级", "held": "保级", "downgrade": "降级", "new": "新客户",
           "unchanged": "不变"}
CHANGE_TITLES = {"upgrade": "升级客户", "held": "保级客户（就高不就低）", "downgrade": "降级客户",
                 "new": "新客户", "unchanged": "级别不变客户"}
OPEN_ENDED = "长期"
CYCLES = {"annual": "年度", "quarterly": "季度", "monthly": "月度", "adhoc": "临时评级"}
FINDINGS = {
    "score_mismatch": "问卷得分与填报分数不一致，以问卷答案为准",
    "incomplete_answers": "问卷答案不完整，采用填报分数",
    "unsigned": "问卷未经客户签署，不予采用",
    "no_score": "既无答案也无分数，不予采用",
    "recorded_category_mismatch": "系统登记类别与签署问卷不一致，以问卷为准",
}
TABLE_LABELS = {
    "clients": "客户", "risk_assessments": "风险测评", "daily_assets": "每日资产",
    "fees": "费用", "transactions": "交易", "products": "产品", "holdings": "持仓",
    "managers": "客户经理", "visits": "拜访", "overrides": "特别调整", "nav": "净值",
    "client_metrics": "客户指标",
}
COLUMNS = {
    "client_id": "客户编号", "branch": "营业部", "manager_id": "客户经理",
    "previous_level": "上期级别", "computed_level": "规则级别", "level": "本期级别",
    "category": "风险类别", "reasons": "依据", "reason": "调整原因", "approved_by": "审批人",
    "effective_from": "生效日期", "effective_to": "到期日期", "assessment_date": "测评日期",
    "status": "状态", "table": "数据表", "row": "行号", "finding": "问题类型",
    "description": "问题说明", "detail": "详情", "column": "列", "value": "值",
    "problem": "问题",
}
_BOOLS = ("override", "assessment_expired", "lowest_category")
_NUMBERS = ("avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year", "score")
#: The columns of classification.csv the report helpers use (`load_run` reads only these).
REPORT_COLUMNS = ("client_id", "level", "computed_level", "previous_level", "category",
                  "change", "avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year",
                  "mgmt_fee_source", "override", "assessment_date", "assessment_expired",
                  "reasons")
#: The columns every report needs: ids, and the levels and categories a run has.
LEVEL_COLUMNS = ("client_id", "level", "computed_level", "previous_level", "category")
_OVERRIDE = re.compile(r"override: level set to (?P<level>\S+) \((?P<reason>.*)\), approved by "
                       r"(?P<approved_by>.*), effective (?P<effective_from>\S+) to "
                       r"(?P<effective_to>\S+)$")


@dataclass(frozen=True)
class RunTables:
    """The files of one run folder, as frames (ids as text), and its manifest."""

    classification: pd.DataFrame
    excluded: pd.DataFrame
    findings: pd.DataFrame
    manifest: dict[str, Any]
    quarantine: pd.DataFrame | None = None
    overrides_applied: pd.DataFrame | None = None
    clients: pd.DataFrame | None = None  # client_id, name, phone, id_number, branch, manager_id
    # what the helpers derive from the tables once per run (levels, categories): see `_once`
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)


def load_run(run_dir: Path | str, data_dir: Path | str | None = None, *,
             columns: Sequence[str] | None = REPORT_COLUMNS) -> RunTables:
    """Read a run folder (and, when given, the clients table of the input folder).

    An empty `data_dir` ("" or None) means no names: the lists show client ids only.
    Of classification.csv, only `columns` are read (those the file has; None: all of them).
    """
    if not str(run_dir):
        raise ValueError("run_dir is empty: give the run folder written by `tiering classify`")
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    classification = _read_csv(run_dir / "classification.csv", columns=columns)
    for col in _NUMBERS:
        if col in classification:
            classification[col] = _numbers(classification[col])
    for col in _BOOLS:
        if col in classification:
            classification[col] = classification[col].str.lower().eq("true")
    clients = None
    if data_dir:
        path = find_table(Path(data_dir), "clients")
        if path is not None:
            raw = read_table(path, "clients").reset_index(drop=True)
            keep = ["client_id", *(c for c in PEOPLE if c in raw)]
            # text as read: `_people` takes the few rows a list shows (an id's first row)
            clients = raw[keep]
    return RunTables(
        classification=classification,
        excluded=_read_csv(run_dir / "excluded.csv"),
        findings=_read_csv(run_dir / "findings.csv"),
        manifest=manifest,
        quarantine=_read_csv(run_dir / "quarantine.csv", optional=True),
        overrides_applied=_read_csv(run_dir / "overrides_applied.csv", optional=True),
        clients=clients,
    )


def _read_csv(path: Path, optional: bool = False, *,
              columns: Sequence[str] | None = None) -> pd.DataFrame | None:
    """A CSV file the run wrote (UTF-8, BOM optional), every cell as text (pandas ``str``),
    empty cells missing; only `columns` (those the file has) when given, in the file's order.

    Read by pyarrow on all cores; a file with line breaks inside quoted values is read again
    with the slower parser that allows them."""
    if optional and not path.exists():
        return None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if not header:
        return pd.DataFrame()
    wanted = header if columns is None else [c for c in header if c in set(columns)]
    convert = pa_csv.ConvertOptions(
        column_types={c: pa.large_string() for c in header}, include_columns=wanted,
        null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True)
    try:
        table = pa_csv.read_csv(path, convert_options=convert)
    except pa.ArrowInvalid:  # e.g. a quoted value holding a line break
        table = pa_csv.read_csv(path, convert_options=convert,
                                parse_options=pa_csv.ParseOptions(newlines_in_values=True))
    # large_string: what pandas' ``str`` holds, so no copy
    return table.to_pandas(types_mapper={pa.large_string(): STR}.get)


def _numbers(column: pd.Series) -> pd.Series:
    """`pd.to_numeric` of a text column, parsed by pyarrow: whole numbers (digits only, none
    missing) as int64, anything else as float64 (missing NaN)."""
    if column.dtype != STR or not len(column):
        return pd.to_numeric(column)
    text = pa.chunked_array(pa.array(column))
    try:
        whole = text.null_count == 0 and pc.all(pc.match_substring_regex(
            text, r"^[+-]?[0-9]+$")).as_py()
        values = pc.cast(text, pa.int64() if whole else pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(column)
    return pd.Series(values.to_numpy(), index=column.index, name=column.name)


# --------------------------------------------------------------------------- the policy


def _policy(run: RunTables) -> dict[str, Any]:
    return run.manifest.get("parameters", {}).get("resolved", {}).get("policy", {})


def _once(run: RunTables, key: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, computed once per run (the helpers never change a run's tables)."""
    if key not in run._memo:
        run._memo[key] = compute()
    return run._memo[key]


def _distinct(frame: pd.DataFrame, *columns: str) -> set[str]:
    """The values present in `columns` of `frame` (those it has)."""
    return {v for c in columns if c in frame for v in frame[c].dropna().unique()}


def _levels(run: RunTables) -> list[tuple[str, str]]:
    """(id, label) of every level, high to low; levels seen but not in the policy last."""
    def compute() -> list[tuple[str, str]]:
        levels = [(lv["id"], lv.get("label", lv["id"])) for lv in _policy(run).get("levels", [])]
        levels.reverse()
        known = {lid for lid, _ in levels}
        seen = _distinct(run.classification, "level", "computed_level", "previous_level")
        return levels + [(lid, lid) for lid in sorted(seen - known)]
    return list(_once(run, "levels", compute))


def _categories(run: RunTables) -> list[tuple[str, str]]:
    """(id, label) of every category in band order, then unassessed."""
    def compute() -> list[tuple[str, str]]:
        risk = _policy(run).get("risk", {})
        bands = risk.get(risk.get("scale", "three_band"), [])
        cats = [(b["id"], b.get("label", b["id"])) for b in bands]
        known = {cid for cid, _ in cats} | {"unassessed"}
        extra = sorted(_distinct(run.classification, "category") - known)
        return cats + [(c, c) for c in extra] + [("unassessed", risk.get("unassessed_label",
                                                                         "未评估"))]
    return list(_once(run, "categories", compute))


def _tag(label: str, ident: str) -> str:
    return label if label == ident else f"{label} ({ident})"


def _level_tags(run: RunTables) -> dict[str, str]:
    return {lid: _tag(label, lid) for lid, label in _levels(run)}


def _level_labels(run: RunTables) -> dict[str, str]:
    return dict(_levels(run))


def _by_level(frame: pd.DataFrame, run: RunTables, *more: str,
              cap: int | None = None) -> pd.DataFrame:
    """Rows ordered by level high to low, then by `more` columns (stable); with `cap`, only
    the first `cap` of them."""
    rank = {lid: i for i, (lid, _) in enumerate(_levels(run))}
    return _first(frame, _lookup(frame["level"], rank), list(more), cap=cap)


def _lookup(column: pd.Series, mapping: dict[Any, float]) -> np.ndarray:
    """`column.map(mapping)` as floats (NaN where missing or not in `mapping`), one look-up per
    distinct value."""
    codes, uniques = pd.factorize(column)
    table = np.array([mapping.get(v, np.nan) for v in uniques] + [np.nan], dtype="float64")
    return table[codes]  # code -1 (missing) takes the trailing NaN


def _text_rank(column: pd.Series) -> np.ndarray:
    """The place of each value of a text column in sorted order (as floats, NaN missing): a
    rank for `_first` that sorts as the text does."""
    codes, _ = pd.factorize(column, sort=True)
    return np.where(codes >= 0, codes, np.nan).astype("float64")


def _first(frame: pd.DataFrame, rank: np.ndarray, more: list[str], *, cap: int | None = None,
           ascending: list[bool] | None = None) -> pd.DataFrame:
    """`frame` sorted by `rank` (ascending, NaN last), then by the columns `more` (`ascending`
    each, NaN last), stable; with `cap`, only the first `cap` rows. The index is reset.

    With `cap`, the rows whose rank comes after the cap-th smallest are set aside before the
    sort: they could not be among the first `cap`, and the rows kept keep their order."""
    keys = frame[more].reset_index(drop=True).assign(_rank=rank)
    if cap is not None and len(keys) > cap:
        filled = np.where(np.isnan(rank), np.inf, rank)
        limit = np.partition(filled, cap - 1)[cap - 1] if cap > 0 else -np.inf
        if limit != np.inf:
            keys = keys[filled <= limit]
    order = keys.sort_values(["_rank", *more], ascending=[True, *(ascending or [True] * len(more))],
                             kind="mergesort", na_position="last").index
    if cap is not None:
        order = order[:cap]
    return frame.iloc[order].reset_index(drop=True)


def _people(run: RunTables, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The clients table's rows of the clients in `frame` (the first row of an id), missing
    values as None; None without the clients table. A list joins its shown rows only."""
    if run.clients is None:
        return None
    people = run.clients[run.clients["client_id"].isin(frame["client_id"].dropna().unique())
                         .to_numpy()]
    people = people.drop_duplicates("client_id")
    return people.astype(object).where(people.notna(), None).reset_index(drop=True)


def _with_people(run: RunTables, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with name, branch and manager_id from the clients table (empty without it)."""
    people = _people(run, frame)
    if people is None:
        people = pd.DataFrame(columns=["client_id", *PEOPLE])
    out = frame.merge(people, on="client_id", how="left")
    for col in ("name", "branch", "manager_id"):
        if col not in out:
            out[col] = None
    return out


def _crosstab(rows: pd.Series | np.ndarray, columns: pd.Series | np.ndarray) -> pd.DataFrame:
    """`pd.crosstab(rows, columns)` (pairs with a missing value left out), counted on the
    codes of the distinct values: rows and columns in order of appearance."""
    row_codes, row_values = pd.factorize(rows)
    col_codes, col_values = pd.factorize(columns)
    both = (row_codes >= 0) & (col_codes >= 0)
    width = len(col_values)
    counts = np.bincount(row_codes[both] * width + col_codes[both],
                         minlength=len(row_values) * width)
    return pd.DataFrame(counts.reshape(len(row_values), width).astype("int64"),
                        index=pd.Index(row_values), columns=pd.Index(col_values))


def _relabel(column: pd.Series, mapping: dict[Any, Any], missing: Any = np.nan) -> np.ndarray:
    """`column.map(mapping)` as an object array, `missing` where the value is missing or not in
    `mapping`; one look-up per distinct value."""
    codes, uniques = pd.factorize(column)
    table = np.array([mapping.get(v, missing) for v in uniques] + [missing], dtype=object)
    return table[codes]


def _titled(frame: pd.DataFrame, title: str) -> pd.DataFrame:
    frame.attrs["title"] = title
    return frame


def _listed(frame: pd.DataFrame, title: str, total: int, cap: int | None) -> pd.DataFrame:
    """A list titled `title`; when it was cut at `cap` rows, ``attrs["total_rows"]`` says how
    many rows the whole list has (`display.table` tells the reader how many are left out)."""
    if cap is not None:
        frame.attrs["total_rows"] = int(total)
    return _titled(frame, title)


def _as_of(run: RunTables) -> date:
    return date.fromisoformat(run.manifest["as_of"])


def _period_words(run: RunTables, period: str) -> str:
    last_year, ytd = rating_periods(_as_of(run))
    if period == "last_year":
        return f"上一完整年度 {last_year.start.year} 年"
    if period == "ytd":
        return f"{ytd.start.year} 年初至 {ytd.end.isoformat()}"
    raise ValueError(f"period must be 'last_year' or 'ytd', not {period!r}")


def _scale(unit: str) -> float:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    return UNITS[unit]


def _yes_no(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return NONE
    return "是" if value else "否"


# --------------------------------------------------------------------------- the tables


def period_title(run: RunTables) -> str:
    """The rating period in words, e.g. "2026年第三季度（2026Q3）季度评级，基准日 2026-09-30"."""
    day = _as_of(run)
    cycle = run.manifest.get("cycle", "")
    quarter = (day.month - 1) // 3 + 1
    if cycle == "annual":
        period = f"{day.year}年度（{day.year}Q{quarter}）"
    elif cycle == "quarterly":
        period = f"{day.year}年第{'一二三四'[quarter - 1]}季度（{day.year}Q{quarter}）"
    elif cycle == "monthly":
        period = f"{day.year}年{day.month}月"
    else:
        period = ""
    word = CYCLES.get(cycle, cycle)
    word = word if word.endswith("评级") else f"{word}评级"
    return f"{period}{word}，基准日 {day.isoformat()}"


def headline(run: RunTables) -> dict[str, str]:
    """The figures of the first screen, as text."""
    c = run.classification
    labels = _level_labels(run)
    change = c["change"].value_counts()
    last_year = rating_periods(_as_of(run))[0].start.year
    figures = {"已分类客户 (classified)": f"{len(c):,}",
               "未纳入客户 (excluded)": f"{len(run.excluded):,}"}
    for lid, _ in _levels(run):
        figures[_tag(labels[lid], lid)] = f"{int((c['level'] == lid).sum()):,}"
    figures[f"日均资产合计 ({last_year}年, 万元)"] = (
        f"{c['avg_assets_last_year'].sum() / UNITS['万元']:,.0f}")
    for kind in ("upgrade", "held", "downgrade", "new"):
        figures[f"{CHANGES[kind]} ({kind})"] = f"{int(change.get(kind, 0)):,}"
    figures["管理费来源 (fee source)"] = _fee_source(run)
    figures["一致性问题 (findings)"] = f"{len(run.findings):,}"
    figures["测评已过期 (expired)"] = f"{int(_expired(c).sum()):,}"
    figures["未评估 (unassessed)"] = f"{int((c['category'] == 'unassessed').sum()):,}"
    figures["截止日期 (due)"] = run.manifest.get("due_date") or NONE
    figures["按期完成 (met)"] = _yes_no(_due_met(run))
    return figures


def _fee_source(run: RunTables) -> str:
    """Where the tier rules took the management fee from (SPEC 2.7): the parameter, and with
    `max` how many clients each source gave."""
    source = _policy(run).get("fees", {}).get("fee_source", "ledger")
    words = {"ledger": "台账 (ledger)", "derived": "持仓推算 (derived)",
             "max": "取较大者 (max)"}
    text = words.get(source, source)
    c = run.classification
    if source == "max" and "mgmt_fee_source" in c:
        counts = c["mgmt_fee_source"].value_counts()
        text += (f": 台账 {int(counts.get('ledger', 0)):,}, "
                 f"推算 {int(counts.get('derived', 0)):,}")
    return text


def _expired(c: pd.DataFrame) -> pd.Series:
    return c["assessment_expired"] & (c["category"] != "unassessed")


def class_matrix(run: RunTables, value: str = "count", *, period: str = "last_year",
                 unit: str = "元", totals: bool = True) -> pd.DataFrame:
    """Level (rows, high to low) × category (columns, band order, then unassessed).

    `value` is "count" (clients) or "assets" (sum of the daily-average assets of `period`,
    "last_year" or "ytd", in `unit`: 元, 万元 or 亿元).
    """
    c = run.classification
    rows, cols = _level_tags(run), {cid: _tag(lb, cid) for cid, lb in _categories(run)}
    words, scale = _period_words(run, period), _scale(unit)
    if value == "count":
        table = _crosstab(c["level"], c["category"])
        title = "级别 × 类别：客户数"
    elif value == "assets":
        table = c.pivot_table(index="level", columns="category", aggfunc="sum", observed=True,
                              values=f"avg_assets_{period}") / scale
        title = f"级别 × 类别：日均资产合计（{words}，{unit}）"
    else:
        raise ValueError(f"value must be 'count' or 'assets', not {value!r}")
    table = table.reindex(index=list(rows), columns=list(cols), fill_value=0).fillna(0)
    table = table.rename(index=rows, columns=cols)
    if value == "count":
        table = table.astype("int64")
    table.index.name, table.columns.name = "级别 (level)", "类别 (category)"
    return _titled(_with_totals(table) if totals else table, title)


def _with_totals(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out[TOTAL] = out.sum(axis=1)
    out.loc[TOTAL] = out.sum(axis=0)
    return out


def assets_by_level(run: RunTables, *, unit: str = "元", totals: bool = True) -> pd.DataFrame:
    """Per level: clients, total and mean daily-average assets (last complete year) and total
    management fee (last complete year), the amounts in `unit` (元, 万元 or 亿元)."""
    scale = _scale(unit)
    c = run.classification.assign(
        avg_assets_last_year=lambda f: f["avg_assets_last_year"] / scale,
        mgmt_fee_last_year=lambda f: f["mgmt_fee_last_year"] / scale)
    tags = _level_tags(run)
    grouped = c.groupby("level")
    table = pd.DataFrame({
        "客户数": grouped.size(),
        "日均资产合计": grouped["avg_assets_last_year"].sum(),
        "日均资产均值": grouped["avg_assets_last_year"].mean(),
        "管理费合计": grouped["mgmt_fee_last_year"].sum(),
    }).reindex(list(tags))
    table["客户数"] = table["客户数"].fillna(0).astype("int64")
    table[["日均资产合计", "管理费合计"]] = table[["日均资产合计", "管理费合计"]].fillna(0.0)
    table = table.rename(index=tags)
    table.index.name = "级别 (level)"
    if totals:
        table.loc[TOTAL] = [len(c), c["avg_assets_last_year"].sum(),
                            c["avg_assets_last_year"].mean() if len(c) else float("nan"),
                            c["mgmt_fee_last_year"].sum()]
        table["客户数"] = table["客户数"].astype("int64")
    return _titled(table, f"各级别日均资产与管理费（{_period_words(run, 'last_year')}，{unit}）")


def migration_matrix(run: RunTables, *, totals: bool = True) -> pd.DataFrame:
    """Previous level (rows, 新客户 for none) × level of this run (columns): clients."""
    c = run.classification
    tags = _level_tags(run)
    before = _relabel(c["previous_level"], tags, NEW)
    after = _relabel(c["level"], tags)
    table = _crosstab(before, after).reindex(index=[*tags.values(), NEW],
                                             columns=list(tags.values()), fill_value=0)
    table = table.astype("int64")
    table.index.name, table.columns.name = "上期级别 (previous)", "本期级别 (level)"
    return _titled(_with_totals(table) if totals else table, "级别迁移：上期 → 本期（客户数）")


def changes(run: RunTables, kind: str, *, cap: int | None = None) -> pd.DataFrame:
    """Clients whose change is `kind` (upgrade, held, downgrade, new, unchanged); with `cap`,
    the first `cap` only and their number in ``attrs["total_rows"]``."""
    if kind not in CHANGES:
        raise ValueError(f"kind must be one of {', '.join(CHANGES)}, not {kind!r}")
    c = run.classification
    rows = c.loc[(c["change"] == kind).to_numpy(),
                 ["client_id", "previous_level", "computed_level", "level", "reasons"]]
    total = len(rows)
    out = _with_people(run, _by_level(rows, run, "client_id", cap=cap))
    labels = _level_labels(run)
    for col in ("previous_level", "computed_level", "level"):
        out[col] = out[col].map(labels)
    out["previous_level"] = out["previous_level"].fillna(NONE)
    out = out[["client_id", "name", "branch", "manager_id", "previous_level",
               "computed_level", "level", "reasons"]]
    return _listed(out.rename(columns=COLUMNS), f"{CHANGE_TITLES[kind]} ({kind})", total, cap)


def overrides(run: RunTables, *, cap: int | None = None) -> pd.DataFrame:
    """Special adjustments (特别调整) in effect: level, the rules' level, reason, approver; with
    `cap`, the first `cap` only and their number in ``attrs["total_rows"]``."""
    c = run.classification
    applied = run.overrides_applied
    if applied is None:
        parsed = [_parse_override(text) for text in c.loc[c["override"], "reasons"]]
        applied = pd.DataFrame(parsed, columns=["level", "reason", "approved_by",
                                                "effective_from", "effective_to"])
        applied.insert(0, "client_id", c.loc[c["override"], "client_id"].to_numpy())
    rows = _by_level(applied, run, "client_id", cap=cap)
    computed = c.loc[c["client_id"].isin(rows["client_id"].dropna().unique()).to_numpy(),
                     ["client_id", "computed_level"]]
    rows = _with_people(run, rows.merge(computed, on="client_id", how="left"))
    labels = _level_labels(run)
    for col in ("level", "computed_level"):
        rows[col] = rows[col].map(lambda v: labels.get(v, v))
    rows["effective_to"] = rows["effective_to"].fillna(OPEN_ENDED)
    out = rows[["client_id", "name", "level", "computed_level", "reason", "approved_by",
                "effective_from", "effective_to"]]
    return _listed(out.rename(columns=COLUMNS), "特别调整 (overrides)", len(applied), cap)


def _parse_override(reasons: str) -> list[object]:
    for part in str(reasons).split(" | "):
        found = _OVERRIDE.match(part)
        if found:
            to = found["effective_to"]
            return [found["level"], found["reason"], found["approved_by"],
                    found["effective_from"], None if to == "open" else to]
    return [None] * 5


def assessments_due(run: RunTables, *, cap: int | None = None) -> pd.DataFrame:
    """Clients to (re-)assess: expired questionnaire (已过期) or none valid (未评估); with
    `cap`, the first `cap` only and their number in ``attrs["total_rows"]``."""
    c = run.classification
    unassessed = c["category"] == "unassessed"
    rows = c.loc[(unassessed | _expired(c)).to_numpy(),
                 ["client_id", "level", "category", "assessment_date"]]
    rows = rows.assign(status=np.where(rows["category"].eq("unassessed").to_numpy(),
                                       "未评估", "已过期"))
    total = len(rows)
    rows = _with_people(run, _by_level(rows, run, "status", "client_id", cap=cap))
    rows["level"] = rows["level"].map(_level_labels(run))
    rows["category"] = rows["category"].map(dict(_categories(run)))
    rows["assessment_date"] = rows["assessment_date"].fillna(NONE)
    out = rows[["client_id", "name", "branch", "manager_id", "level", "category",
                "assessment_date", "status"]]
    return _listed(out.rename(columns=COLUMNS), "测评过期与未评估客户 (assessments due)",
                   total, cap)


def findings(run: RunTables, *, cap: int | None = None) -> pd.DataFrame:
    """Consistency findings (第十二条) with the client's name and a Chinese description; with
    `cap`, the first `cap` only and their number in ``attrs["total_rows"]``."""
    kinds = {k: i for i, k in enumerate(FINDINGS)}
    found = run.findings.assign(row=pd.to_numeric(run.findings["row"]).astype("Int64"))
    ordered = _first(found, _lookup(found["finding"], kinds),
                     ["finding", "client_id", "table", "row"], cap=cap)
    rows = _with_people(run, ordered)
    rows["description"] = rows["finding"].map(FINDINGS).fillna(NONE)
    out = rows[["client_id", "name", "table", "row", "finding", "description", "detail"]]
    return _listed(out.reset_index(drop=True).rename(columns=COLUMNS),
                   "一致性问题 (findings)", len(found), cap)


def findings_summary(run: RunTables) -> pd.DataFrame:
    """Findings per kind: how many, and what they mean."""
    counts = run.findings["finding"].value_counts()
    kinds = [k for k in FINDINGS if k in counts] + sorted(set(counts.index) - set(FINDINGS))
    out = pd.DataFrame({"问题类型": kinds,
                        "问题说明": [FINDINGS.get(k, NONE) for k in kinds],
                        "数量": [int(counts[k]) for k in kinds]})
    out.loc[len(out)] = [TOTAL, "", int(counts.sum())]
    out["数量"] = out["数量"].astype("int64")
    return _titled(out, "一致性问题汇总 (findings by kind)")


def data_quality(run: RunTables) -> pd.DataFrame:
    """Per input table: the file, rows read, left out after the as-of date, quarantined."""
    inputs = run.manifest.get("inputs", {})
    counts = run.manifest.get("rows", {})
    late = counts.get("left_out_after_as_of", {})
    bad = counts.get("quarantined", {})
    rows = []
    for name in [*TABLES, *sorted(set(inputs) - set(TABLES))]:
        info = inputs.get(name)
        read = int(info["rows"]) if info else 0
        left, held = int(late.get(name, 0)), int(bad.get(name, 0))
        rows.append([_tag(TABLE_LABELS.get(name, name), name),
                     info["file"] if info else "未提供 (none)",
                     read, left, held, read - left - held])
    out = pd.DataFrame(rows, columns=["数据表", "文件", "读入行数", "基准日后剔除行数",
                                      "隔离行数", "采用行数"])
    return _titled(out, "数据质量：输入表 (inputs)")


def excluded_by_reason(run: RunTables) -> pd.DataFrame:
    """Clients left out of the rating, by kind of reason."""
    reason = run.excluded["reason"].fillna("")
    kind = pd.Series("其他 (other)", index=reason.index)
    kind[reason.str.startswith("closed")] = "已销户 (closed)"
    kind[reason.str.startswith("opened after")] = "基准日后开户 (opened after as-of)"
    kind[reason.str.startswith("quarantined")] = "数据隔离 (quarantined)"
    order = ["已销户 (closed)", "基准日后开户 (opened after as-of)", "数据隔离 (quarantined)"]
    counts = kind.value_counts()
    order += [k for k in counts.index if k not in order]
    out = pd.DataFrame({"原因": order, "客户数": [int(counts.get(k, 0)) for k in order]})
    out.loc[len(out)] = [TOTAL, int(len(reason))]
    out["客户数"] = out["客户数"].astype("int64")
    return _titled(out, "未纳入评级的客户 (excluded)")


def quarantined(run: RunTables) -> pd.DataFrame:
    """Input rows set aside with the reason (empty when the run quarantined nothing)."""
    cols = ["table", "row", "client_id", "column", "value", "problem"]
    rows = run.quarantine if run.quarantine is not None else pd.DataFrame(columns=cols)
    # an empty quarantine.csv may lack client_id: every column is optional here
    rows = rows.reindex(columns=cols)
    rows = rows.assign(row=pd.to_numeric(rows["row"]).astype("Int64"))
    rows = rows.sort_values(["table", "row", "column"], kind="mergesort")
    out = rows.rename(columns=COLUMNS).reset_index(drop=True)
    return _titled(out, "隔离的数据行 (quarantine)")


def cycle_summary(run: RunTables) -> pd.DataFrame:
    """The cycle, its dates, whether the due date was met, parameters and code versions."""
    m = run.manifest
    params = m.get("parameters", {})
    cycle = m.get("cycle", "")
    due = m.get("due_date") or NONE
    if m.get("due_date") and m.get("calendar_official") is False:
        due += "（非官方日历 calendar not official）"
    items = {
        "评级周期 (cycle)": _tag(CYCLES.get(cycle, cycle), cycle),
        "评级基准日 (as-of)": m.get("as_of", NONE),
        "截止日期 (due date)": due,
        "运行日期 (run date)": m.get("run_date") or NONE,
        "按期完成 (met)": _yes_no(_due_met(run)),
        "正式评级 (official)": _yes_no(m.get("official", cycle != "adhoc")),
        "参数文件 (parameters)": params.get("file") or NONE,
        "参数版本 (version)": str(params.get("version") or NONE),
        "参数哈希 (hash)": (params.get("hash") or NONE)[:12],
        "代码版本 (code version)": m.get("code_version") or NONE,
    }
    if params.get("warnings"):
        items["参数提示 (warnings)"] = "；".join(params["warnings"])
    out = pd.DataFrame({"内容": list(items.values())}, index=pd.Index(list(items), name="项目"))
    return _titled(out, "评级周期与时限 (cycle and due date)")


def _due_met(run: RunTables) -> bool | None:
    """The manifest's due_met; else run date ≤ due date when both are known."""
    m = run.manifest
    if "due_met" in m:
        return m["due_met"]
    if m.get("run_date") and m.get("due_date"):
        return m["run_date"] <= m["due_date"]
    return None
