"""The service plan: which services each client is entitled to, and with what (SPEC 2.5).

A core module: it takes the classification, the manager assignments, the clients' risk
tolerance and the service parameters, and returns new frames. It reads no files.

The entitlement matrix (附件 客户分级分类服务对照表) gives, per service, level and category,
one of true (granted), false (not granted) or "capacity" (granted where capacity allows). A
level may map to a category → entitlement dict for a per-category exception; a category not
named there, a level not named under a service, and a service not named at all are not
granted. "capacity" is granted only to clients whose manager assignment (one row per client
from `tiering.managers.assign_managers`) has a status other than ``unassigned``. For a service
named like a manager role (``sales_manager``, ``account_manager``) the client's row of that role
is the one that counts when there is one; otherwise (``visits``, or a potential client who kept
the account manager they had as a core client) the client's row, whatever its role. A manager
service's detail is the manager_id, followed by the manager's role when it differs from the
service: "M012 (account_manager)" under 专属销售经理 for that potential client.

A service granted outright stays in the plan even when the manager it needs is missing: a
core or VIP client's dedicated account manager is mandatory (第十八条), so the plan lists it
with the detail "未分配 (unassigned): <reason>" and the report shows the gap, rather than
hiding an entitlement the policy grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tiering.schemas import MANAGER_ROLES
from tiering.service_params import ServiceParams

PLAN_COLUMNS = ["client_id", "level", "category", "service_id", "service_label",
                "resource_type", "detail"]
# 第十八条 (SPEC 2.5): core clients are visited in person at least once a year, VIP clients at
# least twice. The policy file has no visit quota yet; `service_plan` takes one to override this.
VISITS_PER_YEAR: Mapping[str, int] = {"vip": 2, "core": 1}

YES, NO, CAPACITY = "是", "否", "视容量"
UNASSIGNED = "未分配 (unassigned)"
NO_ASSIGNMENT = "未做客户经理分配 (no manager assignment)"
NO_RISK = "无 (none)"
NO_DISCOUNT = "无管理费优惠"
MAY_VISIT = "条件允许时当面拜访 (where capacity allows)"
_WORDS = {True: YES, False: NO, "capacity": CAPACITY}


def entitlement(params: ServiceParams, service_id: str, level: str,
                category: str) -> bool | str:
    """True, False or "capacity" for one cell of the matrix (False when not stated)."""
    value = params.entitlements.get(service_id, {}).get(level, False)
    if isinstance(value, dict):
        value = value.get(category, False)
    return value


def entitlement_matrix(params: ServiceParams, levels: Sequence[str],
                       categories: Sequence[str]) -> pd.DataFrame:
    """The filled-in 对照表: a row per service (its label, catalogue order), a column per
    (level, category), each cell 是, 否 or 视容量 (yes, no, where capacity allows)."""
    columns = pd.MultiIndex.from_product([list(levels), list(categories)],
                                         names=["level", "category"])
    rows = [[_WORDS[entitlement(params, s.id, lv, cat)] for lv, cat in columns]
            for s in params.catalogue]
    index = pd.Index([s.label for s in params.catalogue], name="service")
    return pd.DataFrame(rows, index=index, columns=columns, dtype=object)


def _grid(params: ServiceParams, pairs: pd.DataFrame) -> pd.DataFrame:
    """Every service not refused to a (level, category) pair present, with its entitlement."""
    rows = [(s.id, s.label, s.resource_type, order, lv, cat, entitlement(params, s.id, lv, cat))
            for order, s in enumerate(params.catalogue)
            for lv, cat in pairs.itertuples(index=False)]
    grid = pd.DataFrame(rows, columns=["service_id", "service_label", "resource_type", "_order",
                                       "level", "category", "entitlement"])
    granted = grid["entitlement"].map(lambda v: v is not False).astype(bool)
    grid = grid[granted].copy()
    grid["capacity"] = grid["entitlement"].eq("capacity")
    return grid.drop(columns="entitlement")


def _assigned(assignments: pd.DataFrame | None) -> pd.DataFrame:
    """Assignment rows, assigned ones first, then by client and role; `assigned` a bool."""
    cols = ["client_id", "role", "manager_id", "assigned", "reason"]
    if assignments is None or assignments.empty:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "assigned" else object)
                             for c in cols})
    a = assignments.assign(assigned=assignments["status"].ne("unassigned").astype(bool))
    if "reason" not in a:
        a["reason"] = None
    return a.sort_values(["assigned", "client_id", "role"], ascending=[False, True, True],
                         kind="mergesort")[cols]


def _managers(plan: pd.DataFrame, assignments: pd.DataFrame | None) -> pd.DataFrame:
    """For each row of `plan`, the client's assignment row that bears on the service: the one
    of the service's role when the service is a manager role and there is one, else the
    client's first row (an assigned one when there is one). Columns role, manager_id,
    assigned, reason and found (whether the client has any row), aligned with `plan`.

    Looked up by position (hash lookups of the ids), not merged: the plan has a few rows per
    client, millions at a million clients."""
    rows = _assigned(assignments).reset_index(drop=True)
    first = rows.drop_duplicates("client_id")
    # each distinct client is looked up once (Arrow's dictionary encoding codes the rows)
    codes, ids = pd.factorize(plan["client_id"])
    at = pd.Index(first["client_id"]).get_indexer(ids)[codes]
    at[codes < 0] = -1
    pick = np.full(len(plan), -1, dtype=np.int64)
    pick[at >= 0] = first.index.to_numpy()[at[at >= 0]]
    by_role = rows.drop_duplicates(["client_id", "role"])
    maybe = np.flatnonzero(plan["service_id"].isin(by_role["role"].dropna().unique()).to_numpy())
    if len(maybe) and len(by_role):
        keys = pd.MultiIndex.from_arrays([by_role["client_id"], by_role["role"]])
        hit = keys.get_indexer(pd.MultiIndex.from_arrays(
            [plan["client_id"].to_numpy()[maybe], plan["service_id"].to_numpy()[maybe]]))
        pick[maybe[hit >= 0]] = by_role.index.to_numpy()[hit[hit >= 0]]
    found = pick >= 0
    out = pd.DataFrame(index=plan.index)
    for column in ("role", "manager_id", "reason"):
        values = np.asarray(rows[column].to_numpy(dtype=object), dtype=object)
        taken = np.full(len(plan), None, dtype=object)
        taken[found] = values[pick[found]]
        out[column] = taken
    assigned = rows["assigned"].eq(True).to_numpy()
    out["assigned"] = found & assigned[pick] if len(rows) else False
    out["found"] = out["role"].notna()
    return out


def service_plan(
    classification: pd.DataFrame,
    assignments: pd.DataFrame | None,
    tolerance: pd.DataFrame | None,
    params: ServiceParams,
    *,
    visits_per_year: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """One row per client and granted service (PLAN_COLUMNS), by client_id then catalogue order.

    `assignments` (client_id, manager_id, role, status, reason) decides the "capacity"
    services and names the managers (see the module's doc); None means no assignment was
    made, so no "capacity" service is granted. `tolerance` (client_id, max_risk) gives the
    highest product risk in ``fund_products``' detail; None leaves the risk out (a client
    missing from a given table counts as having no tolerance). The detail:

    - ``account_manager`` / ``sales_manager``: the manager_id, or "未分配 (unassigned): reason";
    - ``fund_products``: "产品风险 R1–R3；管理费优惠 5%" (risk from tolerance, discount from
      ``pricing_discounts``; "无管理费优惠" when the level has none);
    - ``investor_education``: the category's track;
    - ``visits``: "每年当面拜访不少于 N 次" from `visits_per_year` (default VISITS_PER_YEAR),
      or "条件允许时当面拜访" for a level without a quota;
    - other services: empty.
    """
    quota = VISITS_PER_YEAR if visits_per_year is None else visits_per_year
    plan = _granted(classification[["client_id", "level", "category"]], params)

    manager = _managers(plan, assignments)
    plan = plan[~plan["capacity"] | manager["assigned"]]
    manager = manager.loc[plan.index]

    detail = pd.Series(None, index=plan.index, dtype=object)
    roles = plan["service_id"].isin(MANAGER_ROLES)
    role_rows = manager.loc[roles]  # only the manager services' rows have a manager detail
    reason = role_rows["reason"].where(role_rows["found"], NO_ASSIGNMENT).fillna("").astype(str)
    unassigned = (UNASSIGNED + ": " + reason).where(reason.ne(""), UNASSIGNED)
    other_role = role_rows["role"].ne(plan.loc[roles, "service_id"].astype(object))
    named = role_rows["manager_id"].astype(object).where(
        ~other_role,
        role_rows["manager_id"].astype(str) + " (" + role_rows["role"].astype(str) + ")")
    detail[roles] = named.where(role_rows["assigned"], unassigned)

    funds = plan["service_id"].eq("fund_products")
    detail[funds] = _fund_detail(plan[funds], tolerance, params)

    education = plan["service_id"].eq("investor_education")
    detail[education] = plan.loc[education, "category"].map(params.education_tracks)

    visits = plan["service_id"].eq("visits")
    times = plan.loc[visits, "level"].map(quota)
    detail[visits] = ("每年当面拜访不少于 " + times.astype("Int64").astype(str) + " 次").where(
        times.notna(), MAY_VISIT)

    plan = plan.assign(detail=detail.astype(object).where(detail.notna(), None))
    return plan[PLAN_COLUMNS].reset_index(drop=True)


def _granted(clients: pd.DataFrame, params: ServiceParams) -> pd.DataFrame:
    """Every (client, service) the matrix does not refuse, by client_id then catalogue order,
    with the service's columns, `_order` and `capacity`.

    Built by position, not by a merge: the clients' (level, category) pairs are coded, each
    pair's services are a block of the grid, and each client's rows repeat its block."""
    clients = clients.sort_values("client_id", kind="mergesort").reset_index(drop=True)
    codes, pairs = pd.MultiIndex.from_arrays([clients["level"], clients["category"]]).factorize()
    pairs = pairs.to_frame(index=False, name=["level", "category"])
    grid = _grid(params, pairs)
    grid["_pair"] = pd.MultiIndex.from_frame(pairs).get_indexer(
        pd.MultiIndex.from_frame(grid[["level", "category"]]))
    grid = grid.sort_values(["_pair", "_order"], kind="mergesort").reset_index(drop=True)
    counts = np.bincount(grid["_pair"].to_numpy(), minlength=len(pairs))
    starts = np.cumsum(counts) - counts
    each = counts[codes]
    who = np.repeat(np.arange(len(clients)), each)
    which = np.repeat(starts[codes], each) + (np.arange(each.sum()) - np.repeat(
        np.cumsum(each) - each, each))
    services = grid.drop(columns=["level", "category", "_pair"]).take(which)
    return pd.concat([clients.take(who).reset_index(drop=True),
                      services.reset_index(drop=True)], axis=1)


def _fund_detail(rows: pd.DataFrame, tolerance: pd.DataFrame | None,
                 params: ServiceParams) -> pd.Series:
    """"产品风险 R1–R3；管理费优惠 5%" for each row of `rows`."""
    words = {lv: f"管理费优惠 {d * 100:g}%" if d > 0 else NO_DISCOUNT
             for lv, d in params.pricing_discounts.items()}
    pricing = rows["level"].map(words).fillna(NO_DISCOUNT).astype(str)
    if tolerance is None:
        return pricing
    top = rows[["client_id"]].merge(tolerance[["client_id", "max_risk"]], on="client_id",
                                    how="left")["max_risk"]
    top = pd.Series(top.to_numpy(dtype=object), index=rows.index, dtype=object)
    span = ("R1–" + top.astype(str)).where(top.ne("R1"), "R1")
    none = pd.Series(np.where(rows["category"].eq("unassessed"), f"{NO_RISK}: unassessed",
                              NO_RISK), index=rows.index, dtype=str)
    risk = "产品风险 " + span.where(top.notna(), none).astype(str)
    return risk + "；" + pricing
