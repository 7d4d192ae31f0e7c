"""The tables of the activity (RFM) report, ready to show (SPEC 2.6).

Like `report_tables` and `visit_report` (whose helpers and run loader it reuses): every function
takes the tables of one run and returns a new DataFrame, labelled in Chinese with the English in
brackets, with its title in ``frame.attrs["title"]``; only `load_activity_run` reads files.

The run folder holds ``rfm.csv`` (written by `rfm.rfm`): one row per classified client with
recency_days, frequency, monetary, the scores r, f, m (empty for clients without a counted
transaction), rfm_code and segment. Its two uses (SPEC 2.6):

- `churn_list`: the run's ``churn.csv`` (`rfm.churn` against the previous official run's R:
  R fell; with no previous R, R ≤ `rfm.churn.max_r` or no counted transaction at all);
- `potential_candidates`: ordinary clients in an important segment (重要…, M high) or with
  r ≥ 4 and f ≥ 4, by monetary, largest first — candidates for the potential level.

Client names come raw in a column called ``name``, present only when the input folder was
given (masking is the display layer's job). A run folder without ``rfm.csv`` (written before
activity was scored) still loads: the table is empty, the lists say 无 (none), and `headline`
names the missing file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tiering import rfm, scorecard
from tiering.report_tables import (
    LEVEL_COLUMNS,
    NONE,
    TOTAL,
    RunTables,
    _distinct,
    _first,
    _levels,
    _listed,
    _lookup,
    _numbers,
    _once,
    _people,
    _policy,
    _read_csv,
    _tag,
    _titled,
    load_run,
)
from tiering.rfm_params import RfmParams

FILE = "rfm.csv"
CANDIDATE_FROM = "ordinary"
CANDIDATE_MIN = 4  # potential: r and f both at or above this (or an important segment)
SCORES = {"r": "R (recency)", "f": "F (frequency)", "m": "M (monetary)"}
REASONS = {"r_low": "近度得分低 (R low)", "r_fell": "近度得分下降 (R fell)",
           "no_transactions": "无交易记录 (no transactions)"}
LABELS = {
    "client_id": "客户编号", "level": "客户级别", "r": "R 得分", "previous_r": "上次 R 得分",
    "f": "F 得分", "m": "M 得分",
    "recency_days": "距上次交易天数", "last_trade_date": "上次交易日期",
    "frequency": "交易次数", "monetary": "交易金额 (元)", "rfm_code": "RFM 代码",
    "segment": "客户分群", "reason": "预警原因", "detail": "说明",
}
SEGMENT = "客户分群 (segment)"
LEVEL = "客户级别 (level)"
SCORE = "得分 (score)"
_INTS = ("recency_days", "frequency", "r", "f", "m")
SCORECARD_COLUMNS = ("client_id", "grade")  # what the report reads of scorecard.csv


@dataclass(frozen=True)
class ActivityRun(RunTables):
    """A run folder's tables (`report_tables.RunTables`) and its ``rfm.csv``.

    In `rfm`, ids and dates stay text, recency_days, frequency and the scores are nullable
    integers, monetary is a float. `missing` names ``rfm.csv`` when the folder lacks it."""

    rfm: pd.DataFrame | None = None
    missing: tuple[str, ...] = ()
    scorecard: pd.DataFrame | None = None  # scorecard.csv: client_id, grade
    churn: pd.DataFrame | None = None  # churn.csv (None: a run written before it existed)


def load_activity_run(run_dir: Path | str, data_dir: Path | str | None = None) -> ActivityRun:
    """Read a run folder as `report_tables.load_run` does, plus ``rfm.csv``."""
    base = load_run(run_dir, data_dir, columns=LEVEL_COLUMNS)
    frame = _read_csv(Path(run_dir) / FILE, optional=True)
    missing = () if frame is not None else (FILE,)
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in rfm.COLUMNS})
    for col in _INTS:
        frame[col] = _numbers(frame[col]).astype("Int64")
    frame["monetary"] = _numbers(frame["monetary"]).astype("float64")
    graded = _read_csv(Path(run_dir) / "scorecard.csv", optional=True,  # optional: a section
                       columns=SCORECARD_COLUMNS)
    warned = _read_csv(Path(run_dir) / "churn.csv", optional=True)
    if warned is not None:
        for col in ("r", "previous_r", "recency_days"):
            warned[col] = _numbers(warned[col]).astype("Int64")
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    return ActivityRun(**fields, rfm=frame, missing=missing, scorecard=graded, churn=warned)


def scorecard_agreement(run: ActivityRun) -> pd.DataFrame:
    """Scorecard grade (rows, A to D) × rule-based level (columns, high to low), with the share
    of clients whose grade maps to their level (A vip, B core, C potential, D ordinary) in the
    title. Empty when the run has no scorecard.csv."""
    levels = _levels(run)
    columns = [_tag(label, lid) for lid, label in levels]
    if run.scorecard is None or run.scorecard.empty:
        return _titled(pd.DataFrame(columns=columns), "评分卡与规则分级 (scorecard vs levels)")
    graded = run.scorecard[["client_id", "grade"]]
    table, share = scorecard.agreement(graded, run.classification)
    grades = sorted(table.index)
    table = table.reindex(index=grades, columns=[lid for lid, _ in levels], fill_value=0)
    table = table.fillna(0).astype("int64")
    table.columns = columns
    table.index.name, table.columns.name = "评分卡等级 (grade)", LEVEL
    return _titled(table, f"评分卡等级 × 规则级别：一致率 {share:.1%} "
                          "(scorecard grade vs rule-based level; agreement)")


# --------------------------------------------------------------------------- helpers


def _params(run: RunTables) -> RfmParams:
    raw = _policy(run).get("rfm")
    return RfmParams() if raw is None else RfmParams.model_validate(raw)


def segment_order(run: RunTables) -> list[str]:
    """The segment labels in the scheme's order (重要价值 … 一般挽留, then 无交易)."""
    labels = _params(run).segments
    return [getattr(labels, key) for key in ("hhh", "hlh", "lhh", "llh", "hhl", "hll", "lhl",
                                             "lll", "none")]


def _important(run: RunTables) -> list[str]:
    """The segments with M high (重要…)."""
    return segment_order(run)[:4]


def _with_levels(run: ActivityRun) -> pd.DataFrame:
    """`rfm` with each client's level (from classification.csv); computed once per run."""
    def compute() -> pd.DataFrame:
        levels = run.classification[["client_id", "level"]].drop_duplicates("client_id")
        return run.rfm.merge(levels, on="client_id", how="left")
    return _once(run, "rfm_levels", compute)


def _with_names(run: RunTables, frame: pd.DataFrame) -> pd.DataFrame:
    people = _people(run, frame)
    if people is None:
        return frame
    return frame.merge(people[["client_id", "name"]], on="client_id", how="left")


def _level_names(run: RunTables) -> dict[str, str]:
    return dict(_levels(run))


def _list(run: ActivityRun, rows: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    """A client list: id, name (when known), level, then the `extra` columns, labelled."""
    rows = _with_names(run, rows.reset_index(drop=True))
    names = _level_names(run)
    out = {LABELS["client_id"]: rows["client_id"]}
    if "name" in rows:
        out["name"] = rows["name"]
    out[LABELS["level"]] = rows["level"].map(lambda v: names.get(v, v))
    for col in extra:
        out[LABELS[col]] = rows[col]
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- the tables


def headline(run: ActivityRun) -> dict[str, str]:
    """The figures of the first screen, as text."""
    a = run.rfm
    none = _params(run).segments.none
    median = a["recency_days"].dropna()
    return {
        "客户数 (clients)": f"{len(a):,}",
        "窗口内有交易 (traded in the window)": f"{int((a['frequency'] > 0).sum()):,}",
        "无交易客户 (no transactions)": f"{int((a['segment'] == none).sum()):,}",
        "距上次交易天数中位数 (median recency, days)": (
            f"{median.median():,.0f}" if len(median) else NONE),
        "流失预警 (churn warnings)": f"{len(_churned(run)):,}",
        "潜力客户候选 (potential candidates)": f"{len(_candidates(run)):,}",
        "缺少的表 (missing files)": "、".join(run.missing) or NONE,
    }


def segments(run: ActivityRun, *, totals: bool = True) -> pd.DataFrame:
    """Segment (rows, in the scheme's order) × level (columns, high to low): client counts,
    with a total row and column. Segments and levels with no client still show (0)."""
    a = _with_levels(run)
    order = segment_order(run)
    rows = order + sorted(_distinct(a, "segment") - set(order))
    levels = _levels(run)
    counts = a.groupby(["segment", "level"]).size()
    table = counts.unstack(fill_value=0) if len(counts) else pd.DataFrame()
    table = table.reindex(index=rows, columns=[lid for lid, _ in levels], fill_value=0)
    table = table.fillna(0).astype("int64")
    table.columns = [_tag(label, lid) for lid, label in levels]
    table.index.name, table.columns.name = SEGMENT, LEVEL
    if totals:
        table[TOTAL] = table.sum(axis=1)
        table.loc[TOTAL] = table.sum(axis=0)
    return _titled(table, "客户分群 × 客户级别 (segments by level)")


def score_distribution(run: ActivityRun) -> pd.DataFrame:
    """Score (rows 1..5) × R, F, M (columns ``R (recency)`` …): clients with that score.
    Clients without a counted transaction have no scores and are not counted."""
    a = run.rfm
    table = pd.DataFrame({label: a[col].value_counts().reindex(range(1, 6), fill_value=0)
                          for col, label in SCORES.items()}).astype("int64")
    table.index = pd.Index(range(1, 6), name=SCORE)
    return _titled(table, "R、F、M 得分分布 (score distribution, clients)")


def _churned(run: ActivityRun) -> pd.DataFrame:
    """The run's churn warnings, unsorted (``churn.csv``; for an older run without it,
    `rfm.churn` with no previous run); computed once per run."""
    def compute() -> pd.DataFrame:
        if run.churn is not None:
            return run.churn
        watch = _params(run).churn
        return rfm.churn(run.rfm, run.classification[["client_id", "level"]],
                         levels_watched=watch.levels, max_r=watch.max_r)
    return _once(run, "churned", compute)


def churn_list(run: ActivityRun, *, cap: int | None = None) -> pd.DataFrame:
    """The run's churn warnings (``churn.csv``; for an older run without it, `rfm.churn` with
    no previous run), by level high to low, then the longest since the last trade first,
    then client_id. With `cap`, the first `cap` only and their number in
    ``attrs["total_rows"]``."""
    flagged = _churned(run)
    rank = {lid: i for i, (lid, _) in enumerate(_levels(run))}
    flagged = _first(flagged.assign(_days=flagged["recency_days"].fillna(10**9)),
                     _lookup(flagged["level"], rank), ["_days", "client_id"], cap=cap,
                     ascending=[False, True])
    flagged["reason"] = flagged["reason"].map(lambda v: REASONS.get(v, v))
    out = _list(run, flagged, ["r", "previous_r", "recency_days", "last_trade_date",
                               "rfm_code", "segment", "reason", "detail"])
    out[LABELS["last_trade_date"]] = out[LABELS["last_trade_date"]].fillna(NONE)
    return _listed(out, "流失预警：核心与 VIP 客户 (churn warnings, core and VIP)",
                   len(_churned(run)), cap)


def _candidates(run: ActivityRun) -> pd.DataFrame:
    """The candidates for the potential level, unsorted; computed once per run."""
    def compute() -> pd.DataFrame:
        a = _with_levels(run)
        active = (a["r"].fillna(0) >= CANDIDATE_MIN) & (a["f"].fillna(0) >= CANDIDATE_MIN)
        picked = (a["level"] == CANDIDATE_FROM) & (a["segment"].isin(_important(run)) | active)
        return a[picked.to_numpy(dtype=bool)]
    return _once(run, "candidates", compute)


def potential_candidates(run: ActivityRun, *, cap: int | None = None) -> pd.DataFrame:
    """Ordinary clients in an important segment (重要…) or with r ≥ 4 and f ≥ 4, by monetary
    largest first, then client_id: candidates for the potential level. With `cap`, the first
    `cap` only and their number in ``attrs["total_rows"]``."""
    picked = _candidates(run)
    rows = _first(picked, -picked["monetary"].to_numpy(dtype="float64", na_value=np.nan),
                  ["client_id"], cap=cap)
    out = _list(run, rows, ["segment", "rfm_code", "r", "f", "m", "recency_days",
                            "frequency", "monetary"])
    return _listed(out, "潜力客户候选：普通客户中的活跃客户 (candidates for potential)",
                   len(picked), cap)
