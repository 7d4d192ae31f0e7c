"""The tables of the service-plan report, ready to show (SPEC 2.5).

Like `report_tables` (whose helpers and run loader it reuses): every function takes the tables
of one run and returns a new DataFrame, labelled in Chinese, with its title in
``frame.attrs["title"]``; only `load_service_run` reads files. Rows follow the policy's level
order high to low, except the 对照表, which keeps the 附件's order (levels low to high) so it
can be laid beside the policy.

Client names come raw in a column called ``name`` (masking is the display layer's job).
Managers' and products' names are not personal data of clients: they are shown in columns of
their own (经理姓名, 产品名称) that masking leaves alone.

A run folder without the service files (a run of `tiering classify` alone) still loads: each
missing table is empty, the lists say 无 (none), and `headline` names the missing files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tiering.report_tables import (
    LEVEL_COLUMNS,
    NONE,
    TOTAL,
    RunTables,
    _by_level,
    _categories,
    _crosstab,
    _distinct,
    _first,
    _level_labels,
    _level_tags,
    _levels,
    _listed,
    _lookup,
    _numbers,
    _once,
    _policy,
    _read_csv,
    _tag,
    _titled,
    _with_people,
    _with_totals,
    load_run,
)
from tiering.schemas import RISK_LEVELS
from tiering.service_params import ServiceParams
from tiering.services import PLAN_COLUMNS, VISITS_PER_YEAR, entitlement_matrix

ASSIGNMENT_COLUMNS = ["client_id", "manager_id", "role", "status", "reason"]
LOAD_COLUMNS = ["manager_id", "name", "role", "branch", "active", "capacity", "load", "clients",
                "free", "overloaded"]
ALERT_COLUMNS = ["client_id", "product_id", "source", "date", "client_category",
                 "product_risk", "rule", "severity", "informed", "channel"]
SHELF_COLUMNS = ["category", "product_id", "name", "risk_level"]
FILES = {"service_plan": ("service_plan.csv", PLAN_COLUMNS),
         "manager_assignments": ("manager_assignments.csv", ASSIGNMENT_COLUMNS),
         "manager_load": ("manager_load.csv", LOAD_COLUMNS),
         "suitability_alerts": ("suitability_alerts.csv", ALERT_COLUMNS),
         "product_shelf": ("product_shelf.csv", SHELF_COLUMNS)}

RESOURCE_TYPES = {"product": "产品类服务", "information": "资讯类服务",
                  "relationship": "关系类服务"}
ROLES = {"account_manager": "客户经理", "sales_manager": "销售经理"}
STATUSES = {"kept": "保留原经理", "assigned": "新分配", "reassigned": "重新分配",
            "unassigned": "未分配"}
RULES = {
    "above_tolerance": "超出风险承受能力",
    "lowest_category": "最低类别超出 R1",
    "unassessed": "未评估即购买",
    "expired_assessment": "测评过期后购买",
    "frequent_high_risk": "频繁购买高风险产品",
}
SEVERITIES = {"high": "高", "medium": "中", "low": "低"}
CHANNELS = {"phone": "电话", "sms": "短信", "email": "邮件"}
SOURCES = {"holding": "持仓", "transaction": "交易"}
PROFESSIONAL = ("professional", "专业投资者")
LABELS = {
    "client_id": "客户编号", "branch": "营业部", "level": "客户级别", "category": "风险类别",
    "role": "经理类型", "reason": "原因", "mandatory": "配备要求", "manager_id": "经理编号",
    "manager_name": "经理姓名", "active": "在职", "capacity": "容量", "load": "负荷",
    "free": "剩余容量", "rate": "负荷率 (%)", "clients": "客户数", "overloaded": "超负荷",
    "product_id": "产品编号", "product_name": "产品名称", "risk_level": "产品风险等级",
    "source": "来源", "date": "日期", "product_risk": "产品风险", "rule": "预警规则",
    "severity": "严重程度", "informed": "已签署风险警示", "channel": "通知渠道",
}
MANDATORY = "必须配备 (mandatory)"
OPTIONAL = "视容量 (where capacity allows)"


@dataclass(frozen=True)
class ServiceRun(RunTables):
    """A run folder's tables (`report_tables.RunTables`) and its service-plan files.

    `missing` names the service files the folder lacks (their frames are empty)."""

    service_plan: pd.DataFrame | None = None
    manager_assignments: pd.DataFrame | None = None
    manager_load: pd.DataFrame | None = None
    suitability_alerts: pd.DataFrame | None = None
    product_shelf: pd.DataFrame | None = None
    missing: tuple[str, ...] = ()


def load_service_run(run_dir: Path | str, data_dir: Path | str | None = None) -> ServiceRun:
    """Read a run folder as `report_tables.load_run` does, plus the service-plan files."""
    base = load_run(run_dir, data_dir, columns=LEVEL_COLUMNS)
    tables: dict[str, pd.DataFrame] = {}
    missing = []
    for key, (name, cols) in FILES.items():
        frame = _read_csv(Path(run_dir) / name, optional=True)
        if frame is None:
            missing.append(name)
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        tables[key] = frame
    load = tables["manager_load"]
    for col in ("capacity", "load", "free"):
        load[col] = _numbers(load[col]).astype("float64")
    counts = [c for c in load.columns if c not in LOAD_COLUMNS or c == "clients"]
    for col in counts:
        load[col] = _numbers(load[col]).fillna(0).astype("int64")
    for frame, col in ((load, "active"), (load, "overloaded"),
                       (tables["suitability_alerts"], "informed")):
        frame[col] = frame[col].astype(str).str.lower().eq("true")
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    return ServiceRun(**fields, **tables, missing=tuple(missing))


# --------------------------------------------------------------------------- the policy


def _services(run: ServiceRun) -> ServiceParams | None:
    raw = _policy(run).get("services")
    return None if raw is None else ServiceParams.model_validate(raw)


def _catalogue(run: ServiceRun) -> list[tuple[str, str]]:
    """(id, label) of every service, catalogue order; services seen but not in it last."""
    def compute() -> list[tuple[str, str]]:
        params = _services(run)
        known = [] if params is None else [(s.id, s.label) for s in params.catalogue]
        plan = run.service_plan
        seen = plan.iloc[plan["service_id"].drop_duplicates().index]
        ids = {sid for sid, _ in known}
        extra = [(sid, label) for sid, label in zip(seen["service_id"], seen["service_label"],
                                                    strict=True) if sid not in ids]
        return known + sorted(extra)
    return list(_once(run, "catalogue", compute))


def _assigned_levels(run: ServiceRun) -> pd.DataFrame:
    """Level and category (from classification.csv) of each row of manager_assignments.csv
    (same index), missing for a client the classification lacks. Computed once per run."""
    def compute() -> pd.DataFrame:
        c = run.classification
        if not c["client_id"].is_unique:  # an id twice: its first row
            c = c.drop_duplicates("client_id")
        ids = run.manager_assignments["client_id"]
        where = pd.Index(c["client_id"]).get_indexer(ids)
        found = where >= 0
        out = pd.DataFrame(index=ids.index)
        for col in ("level", "category"):
            if not len(c):
                out[col] = pd.Series(np.nan, index=ids.index, dtype=c[col].dtype)
                continue
            values = c[col].iloc[np.where(found, where, 0)].where(found)
            out[col] = values.set_axis(ids.index)
        return out
    return _once(run, "assigned_levels", compute)


def _category_labels(run: ServiceRun) -> dict[str, str]:
    return {**dict(_categories(run)), PROFESSIONAL[0]: PROFESSIONAL[1]}


def _mandatory_levels(run: ServiceRun) -> set[str]:
    return set(_policy(run).get("managers", {}).get("mandatory_levels", ("core", "vip")))


# --------------------------------------------------------------------------- headline


def headline(run: ServiceRun) -> dict[str, str]:
    """The figures of the first screen, as text."""
    plan, assigned = run.service_plan, run.manager_assignments
    unassigned = assigned["status"] == "unassigned"
    mandatory = _assigned_levels(run)["level"].isin(_mandatory_levels(run)).to_numpy()
    alerts = run.suitability_alerts
    return {
        "服务客户 (clients)": f"{plan['client_id'].nunique():,}",
        "服务项目 (services granted)": f"{len(plan):,}",
        "已配备专属经理 (with a manager)": f"{int((~unassigned).sum()):,}",
        "须配备而未分配 (mandatory, unassigned)": f"{int((unassigned & mandatory).sum()):,}",
        "视容量未分配 (optional, unassigned)": f"{int((unassigned & ~mandatory).sum()):,}",
        "超负荷经理 (overloaded)": f"{int(run.manager_load['overloaded'].sum()):,}",
        "适当性预警 (alerts)": f"{len(alerts):,}",
        "高严重度预警 (high)": f"{int((alerts['severity'] == 'high').sum()):,}",
        "缺少的表 (missing files)": "、".join(run.missing) or NONE,
    }


# --------------------------------------------------------------------------- entitlements


def entitlement_table(run: ServiceRun) -> pd.DataFrame:
    """The filled-in 对照表: a row per service under its resource type (catalogue order), a
    column per level (low to high, as in the 附件) and category; cells 是 / 否 / 视容量."""
    params = _services(run)
    title = "客户分级分类服务对照表 (entitlements)"
    if params is None:
        return _titled(pd.DataFrame(), title)
    levels = [lid for lid, _ in reversed(_levels(run))]
    cats = _categories(run)
    matrix = entitlement_matrix(params, levels, [cid for cid, _ in cats])
    labels = _level_labels(run)
    cat_labels = dict(cats)
    matrix.columns = pd.MultiIndex.from_tuples(
        [(labels[lv], cat_labels[cat]) for lv, cat in matrix.columns],
        names=["客户级别 (level)", "风险类别 (category)"])
    matrix.index = pd.MultiIndex.from_tuples(
        [(RESOURCE_TYPES.get(s.resource_type, s.resource_type), s.label)
         for s in params.catalogue], names=["服务资源类别", "服务资源"])
    return _titled(matrix, title)


def education_tracks(run: ServiceRun) -> pd.DataFrame:
    """The investor-education track of each category (第十九条 1)."""
    params = _services(run)
    tracks = {} if params is None else params.education_tracks
    rows = [(_tag(label, cid), tracks.get(cid, NONE)) for cid, label in _categories(run)]
    out = pd.DataFrame(rows, columns=["风险类别 (category)", "投资者教育重点"])
    return _titled(out, "投资者教育：按风险类别 (investor education)")


def level_terms(run: ServiceRun) -> pd.DataFrame:
    """Per level (high to low): the management-fee discount and the in-person visit quota."""
    params = _services(run)
    discounts = {} if params is None else params.pricing_discounts
    rows = []
    for lid, tag in _level_tags(run).items():
        share = discounts.get(lid, 0.0)
        visits = VISITS_PER_YEAR.get(lid)
        rows.append((tag, f"{share * 100:g}%" if share else NONE,
                     f"不少于 {visits} 次" if visits else NONE))
    out = pd.DataFrame(rows, columns=["客户级别 (level)", "管理费优惠 (discount)",
                                      "每年当面拜访 (visits a year)"])
    return _titled(out, "分级定价与拜访要求 (pricing and visits by level)")


def clients_per_service(run: ServiceRun, *, totals: bool = True) -> pd.DataFrame:
    """Service (rows, catalogue order) × level (columns, high to low): clients served."""
    plan = run.service_plan
    catalogue = _catalogue(run)
    tags = _level_tags(run)
    counts = _once(run, "services_by_level", lambda: _crosstab(plan["service_id"], plan["level"]))
    table = counts.reindex(
        index=[sid for sid, _ in catalogue], columns=list(tags), fill_value=0)
    table = table.astype("int64").rename(index=dict(catalogue), columns=tags)
    table.index.name, table.columns.name = "服务资源 (service)", "客户级别 (level)"
    if totals:
        table = table.copy()
        table[TOTAL] = table.sum(axis=1)
    return _titled(table, "各项服务的客户数 (clients per service)")


def plan_list(run: ServiceRun, *, cap: int | None = None) -> pd.DataFrame:
    """Each client's services (the plan), by level high to low, client_id, catalogue order;
    with `cap`, the first `cap` rows only and their number in ``attrs["total_rows"]``."""
    plan = run.service_plan
    order = {sid: i for i, (sid, _) in enumerate(_catalogue(run))}
    rows = _by_level(plan.assign(_o=_lookup(plan["service_id"], order)), run, "client_id", "_o",
                     cap=cap)
    rows = _with_people(run, rows)
    out = pd.DataFrame({
        LABELS["client_id"]: rows["client_id"],
        "name": rows["name"],
        LABELS["level"]: rows["level"].map(_level_labels(run)).fillna(rows["level"]),
        LABELS["category"]: rows["category"].map(dict(_categories(run))).fillna(rows["category"]),
        "服务资源": rows["service_label"],
        "资源类别": rows["resource_type"].map(RESOURCE_TYPES).fillna(rows["resource_type"]),
        "服务内容": rows["detail"].fillna(""),
    })
    return _listed(out, "客户服务分配明细 (service plan)", len(plan), cap)


# --------------------------------------------------------------------------- managers


def assignment_summary(run: ServiceRun, *, totals: bool = True) -> pd.DataFrame:
    """Level (rows, high to low) × assignment status (columns): clients."""
    a = run.manager_assignments.assign(level=_assigned_levels(run)["level"])
    present = set(a["level"].dropna().unique())
    tags = {lid: tag for lid, tag in _level_tags(run).items() if lid in present}
    table = _crosstab(a["level"], a["status"]).reindex(
        index=list(tags), columns=list(STATUSES), fill_value=0).astype("int64")
    table = table.rename(index=tags, columns={k: _tag(v, k) for k, v in STATUSES.items()})
    table.index.name, table.columns.name = "客户级别 (level)", "分配状态 (status)"
    return _titled(_with_totals(table) if totals else table,
                   "专属经理分配情况 (manager assignments)")


def manager_load(run: ServiceRun) -> pd.DataFrame:
    """Every manager, by role and id: capacity, weighted load, free capacity, load rate, clients
    by level, overloaded."""
    load = run.manager_load.sort_values(["role", "manager_id"], kind="mergesort")
    tags = _level_tags(run)
    per_level = [c for c in tags if c in load.columns]
    capacity = load["capacity"].where(load["capacity"] > 0)
    out = pd.DataFrame({
        LABELS["manager_id"]: load["manager_id"],
        LABELS["manager_name"]: load["name"],
        LABELS["role"]: load["role"].map(ROLES).fillna(load["role"]),
        LABELS["branch"]: load["branch"],
        LABELS["active"]: load["active"].map({True: "是", False: "否"}),
        LABELS["capacity"]: load["capacity"],
        LABELS["load"]: load["load"],
        LABELS["free"]: load["free"],
        LABELS["rate"]: (load["load"] / capacity * 100).round(1),
        LABELS["clients"]: load["clients"],
        **{tags[lv]: load[lv] for lv in per_level},
        LABELS["overloaded"]: load["overloaded"].map({True: "是", False: "否"}),
    }).reset_index(drop=True)
    return _titled(out, "客户经理负荷与容量 (manager load)")


def busiest_first(load: pd.DataFrame) -> pd.DataFrame:
    """`manager_load`'s table with the highest load rate first (those without a capacity
    last), then by role and id: what a capped list of many managers shows."""
    rate = load[LABELS["rate"]]
    # lexsort's last key sorts first: missing rates last, then the rate (descending), then
    # the table's own order (role, id)
    order = np.lexsort((np.arange(len(load)), -rate.fillna(0).to_numpy(),
                        rate.isna().to_numpy()))
    return _titled(load.iloc[order].reset_index(drop=True), load.attrs.get("title", ""))


def load_vs_capacity(run: ServiceRun) -> pd.DataFrame:
    """Active managers (by role, id), indexed by manager_id: load, capacity and load as a
    percentage of capacity (empty when the capacity is 0), for a bar chart of the rate."""
    load = run.manager_load[run.manager_load["active"]].sort_values(
        ["role", "manager_id"], kind="mergesort")
    capacity = load["capacity"].where(load["capacity"] > 0)
    out = pd.DataFrame({LABELS["load"]: load["load"].to_numpy(),
                        LABELS["capacity"]: load["capacity"].to_numpy(),
                        LABELS["rate"]: (load["load"] / capacity * 100).round(1).to_numpy()},
                       index=pd.Index(load["manager_id"], name=LABELS["manager_id"]))
    return _titled(out, "在职经理负荷率（负荷 ÷ 容量）(load against capacity)")


def overloaded_managers(run: ServiceRun) -> pd.DataFrame:
    """The managers whose load is above their capacity."""
    table = manager_load(run)
    out = table[table[LABELS["overloaded"]] == "是"].reset_index(drop=True)
    return _titled(out, "超负荷的客户经理 (overloaded managers)")


def unassigned_clients(run: ServiceRun, *, cap: int | None = None) -> pd.DataFrame:
    """Clients without the dedicated manager they must (a compliance gap) or may have, by
    level high to low, then client_id; with `cap`, the first `cap` only and their number in
    ``attrs["total_rows"]``."""
    a = run.manager_assignments
    unassigned = (a["status"] == "unassigned").to_numpy()
    rows = a[unassigned].join(_assigned_levels(run)[unassigned])
    total = len(rows)
    rows = _by_level(rows, run, "client_id", cap=cap)
    mandatory = rows["level"].isin(_mandatory_levels(run))
    rows = rows.assign(mandatory=mandatory.map({True: MANDATORY, False: OPTIONAL}))
    rows = _with_people(run, rows)
    rows["level"] = rows["level"].map(_level_labels(run))
    rows["category"] = rows["category"].map(dict(_categories(run)))
    rows["role"] = rows["role"].map(ROLES).fillna(rows["role"])
    out = rows[["client_id", "name", "branch", "level", "category", "role", "mandatory",
                "reason"]]
    return _listed(out.rename(columns=LABELS), "未分配专属经理的客户 (unassigned clients)",
                   total, cap)


# --------------------------------------------------------------------------- suitability


def alerts_by_rule(run: ServiceRun, *, totals: bool = True) -> pd.DataFrame:
    """Alert rule (rows) × severity (columns, high to low): alerts."""
    alerts = run.suitability_alerts
    rules = list(RULES) + sorted(_distinct(alerts, "rule") - set(RULES))
    table = _crosstab(alerts["rule"], alerts["severity"]).reindex(
        index=rules, columns=list(SEVERITIES), fill_value=0).astype("int64")
    table = table.rename(index={r: _tag(RULES.get(r, r), r) for r in rules},
                         columns={k: _tag(v, k) for k, v in SEVERITIES.items()})
    table.index.name, table.columns.name = "预警规则 (rule)", "严重程度 (severity)"
    return _titled(_with_totals(table) if totals else table,
                   "适当性预警：规则 × 严重程度 (alerts by rule and severity)")


def alert_list(run: ServiceRun, *, cap: int | None = None) -> pd.DataFrame:
    """Every alert, high severity first, then by rule, client, date and product; with `cap`,
    the first `cap` only and their number in ``attrs["total_rows"]``."""
    alerts = run.suitability_alerts
    rank = {k: i for i, k in enumerate(SEVERITIES)}
    rule_rank = {k: i for i, k in enumerate(RULES)}
    rows = _first(alerts.assign(_r=_lookup(alerts["rule"], rule_rank)),
                  _lookup(alerts["severity"], rank),
                  ["_r", "rule", "client_id", "date", "product_id"], cap=cap)
    rows = _with_people(run, rows.drop(columns=["_r"]))
    cats = _category_labels(run)
    out = pd.DataFrame({
        LABELS["client_id"]: rows["client_id"],
        "name": rows["name"],
        LABELS["category"]: rows["client_category"].map(cats).fillna(rows["client_category"]),
        LABELS["product_id"]: rows["product_id"],
        LABELS["product_risk"]: rows["product_risk"],
        LABELS["source"]: rows["source"].map(SOURCES).fillna(rows["source"]),
        LABELS["date"]: rows["date"],
        LABELS["rule"]: rows["rule"].map(RULES).fillna(rows["rule"]),
        LABELS["severity"]: rows["severity"].map(SEVERITIES).fillna(rows["severity"]),
        LABELS["informed"]: rows["informed"].map({True: "是", False: "否"}),
        LABELS["channel"]: rows["channel"].map(CHANNELS).fillna(rows["channel"]),
    })
    return _listed(out, "适当性预警清单 (alerts)", len(alerts), cap)


def shelf_matrix(run: ServiceRun, *, totals: bool = True) -> pd.DataFrame:
    """Category (rows: band order, unassessed, professional) × product risk level R1–R5
    (columns): the products that may be offered."""
    shelf = run.product_shelf
    cats = _category_labels(run)
    order = list(cats) + sorted(_distinct(shelf, "category") - set(cats))
    table = pd.crosstab(shelf["category"], shelf["risk_level"]).reindex(
        index=order, columns=list(RISK_LEVELS), fill_value=0).astype("int64")
    table = table.rename(index={c: _tag(cats.get(c, c), c) for c in order})
    table.index.name, table.columns.name = "风险类别 (category)", "产品风险等级 (risk)"
    if totals:
        table = table.copy()
        table[TOTAL] = table.sum(axis=1)
    return _titled(table, "各风险类别可提供的产品数 (product shelf)")


def shelf(run: ServiceRun) -> pd.DataFrame:
    """The products each category may be offered, in category order, then by risk and id."""
    s = run.product_shelf
    cats = _category_labels(run)
    rank = {c: i for i, c in enumerate(cats)}
    rows = s.assign(_c=s["category"].map(rank)).sort_values(
        ["_c", "category", "risk_level", "product_id"], kind="mergesort", na_position="last")
    out = pd.DataFrame({
        LABELS["category"]: rows["category"].map(lambda c: _tag(cats.get(c, c), c)),
        LABELS["product_id"]: rows["product_id"],
        LABELS["product_name"]: rows["name"],
        LABELS["risk_level"]: rows["risk_level"],
    }).reset_index(drop=True)
    return _titled(out, "产品货架：按风险类别 (products by category)")
