"""Dedicated managers (SPEC 2.5, 第十七、十八条): who serves which client, and each manager's load.

A core module: it takes the classification, the clients and the managers tables and the
manager parameters, and returns new frames. It reads no files and calls no clock.

Who gets a row
  One row per client whose level is in `mandatory_levels` (default core, vip: a dedicated
  account manager is mandatory) or `optional_levels` (default potential: a sales manager while
  capacity remains). A level in both lists counts as mandatory. Everyone else gets no row.

Load and capacity
  A client weighs `load_weights[level]` (default vip 2.0, core 1.0, potential 0.5); a manager's
  load is the sum of the weights of their clients and never exceeds `capacity` (compared with a
  tolerance of 1e-9, so that 0.1 + 0.2 fits in 0.3). A served level without a weight is an error.

Order (deterministic: the row order of the inputs never matters)
  1. mandatory clients who keep their manager,   2. mandatory clients who need one,
  3. optional clients who keep their manager,    4. optional clients who need one.
  Within each step, heavier levels first (VIP before core), then by client_id. Optional clients
  are served only after every mandatory client, so a potential client never takes the capacity
  a core or VIP client needs: "while capacity remains" means what the mandatory levels leave.

Keeping (status `kept`)
  A client keeps `clients.manager_id` when that manager is in the managers table, active
  (`active` missing or empty means active), of the right role, in the client's branch, and has
  room for the client's weight. The right role is account_manager for a mandatory level; for an
  optional level either role keeps (a client moved down from core keeps their account manager).
  A client with no branch keeps a manager who passes the other checks (nothing contradicts it).

Choosing (status `assigned`, or `reassigned` when the previous manager could not be kept)
  Among the active managers of the client's branch with the role sought (account_manager for a
  mandatory level, sales_manager for an optional one), the one with the most remaining capacity
  (capacity - load), ties by manager_id, provided the client's weight fits. One max-heap per
  (branch, role): O(log managers) per client, never a scan of every manager.
  For `reassigned`, the reason says why the previous manager could not be kept, every check that
  failed, e.g. "manager M012 inactive", "manager M003 is in 上海, client in 北京",
  "manager M004 has no capacity left".

Nobody (status `unassigned`, manager_id empty)
  The reason says why: "no managers table"; "client has no branch"; "no active account manager
  in 北京"; "every account manager in 北京 is full" (for an optional level: "capacity exhausted:
  every sales manager in 北京 is full"), after the reason the previous manager could not be
  kept, if there was one. An unassigned client of a mandatory level is a compliance gap.

`role` is the role of the manager in the row, or for an unassigned client the role sought.
Rows come out sorted by client_id.
"""

from __future__ import annotations

import heapq

import pandas as pd

from tiering.service_params import ManagerParams

ASSIGNMENT_COLUMNS = ["client_id", "manager_id", "role", "status", "reason"]
STATUSES = ("kept", "reassigned", "assigned", "unassigned")
ACCOUNT, SALES = "account_manager", "sales_manager"
TOLERANCE = 1e-9

_ROLE_WORDS = {ACCOUNT: "account manager", SALES: "sales manager"}
_NO_TABLE = "no managers table"
_STAFF_COLUMNS = ["manager_id", "name", "role", "branch", "active", "capacity"]


def served_levels(params: ManagerParams) -> list[str]:
    """The levels that get a manager row, in the order they are served (VIP before core)."""
    mandatory = set(params.mandatory_levels)
    levels = list(dict.fromkeys([*params.mandatory_levels, *params.optional_levels]))
    missing = [lv for lv in levels if lv not in params.load_weights]
    if missing:
        raise ValueError(f"managers.load_weights: no weight for level(s) {missing}")
    return sorted(levels, key=lambda lv: (lv not in mandatory, -params.load_weights[lv], lv))


def assign_managers(
    classification: pd.DataFrame,
    clients: pd.DataFrame,
    managers: pd.DataFrame | None,
    params: ManagerParams,
) -> pd.DataFrame:
    """One row per client of a served level: client_id, manager_id, role, status, reason."""
    scope = _scope(classification, clients, params)
    n = len(scope)
    if managers is None or managers.empty:
        out = pd.DataFrame(
            {
                "client_id": scope["client_id"],
                "manager_id": [None] * n,
                "role": scope["need"],
                "status": "unassigned",
                "reason": _NO_TABLE,
            }
        )
        return _finish(out)

    staff = _staff(managers)
    capacity = dict(zip(staff["manager_id"], staff["capacity"], strict=True))
    role_of = dict(zip(staff["manager_id"], staff["role"], strict=True))
    branch_of = dict(zip(staff["manager_id"], staff["branch"], strict=True))
    active = dict(zip(staff["manager_id"], staff["active"], strict=True))
    load = dict.fromkeys(capacity, 0.0)

    ids = scope["client_id"].tolist()
    need = scope["need"].tolist()
    mandatory = scope["mandatory"].tolist()
    weight = scope["weight"].tolist()
    branch = _values(scope["branch"])
    previous = _values(scope["previous"])
    level = scope["level"].tolist()

    manager: list[str | None] = [None] * n
    role: list[str] = list(need)
    status: list[str] = [""] * n
    reason: list[str] = [""] * n

    def fits(m: str, w: float) -> bool:
        return load[m] + w <= capacity[m] + TOLERANCE

    def why_not(i: int) -> str:
        """Every check the previous manager fails, capacity aside; "" if none."""
        m = previous[i]
        if m not in capacity:
            return f"manager {m} is not in the managers table"
        problems = []
        if not active[m]:
            problems.append(f"manager {m} inactive")
        if mandatory[i] and role_of[m] != ACCOUNT:
            problems.append(
                f"manager {m} is a {_ROLE_WORDS[role_of[m]]}, "
                f"a {level[i]} client needs an account manager"
            )
        if branch[i] is not None and branch_of[m] != branch[i]:
            problems.append(f"manager {m} is in {branch_of[m]}, client in {branch[i]}")
        return "; ".join(problems)

    # rows are in service order: mandatory first, heavier first, then client_id
    for group in (True, False):
        rows = [i for i in range(n) if mandatory[i] is group]
        waiting = []
        for i in rows:
            m = previous[i]
            if m is None:
                waiting.append(i)
                continue
            problem = why_not(i)
            if not problem and not fits(m, weight[i]):
                problem = f"manager {m} has no capacity left"
            if problem:
                reason[i] = problem
                waiting.append(i)
                continue
            load[m] += weight[i]
            manager[i], role[i], status[i] = m, role_of[m], "kept"
            reason[i] = "existing manager kept"

        pools = _pools(staff, load, {need[i] for i in waiting})
        for i in waiting:
            had = previous[i] is not None
            where = branch[i]
            found, gap = None, ""
            if where is None:
                gap = "client has no branch"
            else:
                heap = pools.get((where, need[i]))
                words = _ROLE_WORDS[need[i]]
                if not heap:
                    gap = f"no active {words} in {where}"
                else:
                    _, m = heap[0]
                    if fits(m, weight[i]):
                        found = m
                        load[m] += weight[i]
                        heapq.heapreplace(heap, (_key(capacity[m] - load[m]), m))
                    elif group:
                        gap = f"every {words} in {where} is full"
                    else:
                        gap = f"capacity exhausted: every {words} in {where} is full"
            if found is not None:
                manager[i], role[i] = found, role_of[found]
                status[i] = "reassigned" if had else "assigned"
                if not had:
                    reason[i] = f"no previous manager; most free capacity in {where}"
            else:
                status[i] = "unassigned"
                reason[i] = f"{reason[i]}; {gap}" if had else gap

    out = pd.DataFrame(
        {"client_id": ids, "manager_id": manager, "role": role, "status": status, "reason": reason}
    )
    return _finish(out)


def manager_load(
    assignments: pd.DataFrame,
    classification: pd.DataFrame,
    managers: pd.DataFrame | None,
    params: ManagerParams,
) -> pd.DataFrame:
    """One row per manager in the table, by manager_id: who they are and what they carry.

    Columns: manager_id, name, role, branch, active, capacity, load (weighted), clients, one
    count per served level (vip, core, potential by default), free (capacity - load) and
    overloaded (load above capacity: never after `assign_managers`, kept to show it).
    """
    levels = served_levels(params)
    columns = [*_STAFF_COLUMNS, "load", "clients", *levels, "free", "overloaded"]
    if managers is None or managers.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})

    staff = _staff(managers)
    served = assignments.loc[assignments["manager_id"].notna(), ["client_id", "manager_id"]]
    served = served.merge(classification[["client_id", "level"]], on="client_id", how="left")
    served["weight"] = served["level"].map(params.load_weights).astype("float64").fillna(0.0)
    by = served.groupby("manager_id")
    out = staff.set_index("manager_id")
    out["load"] = by["weight"].sum().reindex(out.index, fill_value=0.0).astype("float64")
    out["clients"] = by.size().reindex(out.index, fill_value=0).astype("int64")
    for lv in levels:
        of_level = served.loc[served["level"] == lv].groupby("manager_id").size()
        out[lv] = of_level.reindex(out.index, fill_value=0).astype("int64")
    out["free"] = out["capacity"] - out["load"]
    out["overloaded"] = (out["load"] > out["capacity"] + TOLERANCE).astype(bool)
    return out.reset_index()[columns]


# --- helpers --------------------------------------------------------------------------------


def _scope(
    classification: pd.DataFrame, clients: pd.DataFrame, params: ManagerParams
) -> pd.DataFrame:
    """The served clients in service order, with level, need, weight, branch, previous."""
    levels = served_levels(params)
    rank = {lv: k for k, lv in enumerate(levels)}
    mandatory = set(params.mandatory_levels)
    scope = classification.loc[classification["level"].isin(levels), ["client_id", "level"]]
    extra = clients[["client_id"]].copy()
    for col, src in (("branch", "branch"), ("previous", "manager_id")):
        extra[col] = _blank_to_na(clients[src]) if src in clients else None
    scope = scope.merge(extra, on="client_id", how="left")
    scope["mandatory"] = scope["level"].isin(mandatory)
    scope["need"] = scope["mandatory"].map({True: ACCOUNT, False: SALES})
    scope["weight"] = scope["level"].map(params.load_weights).astype("float64")
    scope["rank"] = scope["level"].map(rank)
    return scope.sort_values(["rank", "client_id"], kind="stable").reset_index(drop=True)


def _staff(managers: pd.DataFrame) -> pd.DataFrame:
    staff = managers.copy()
    if "active" in staff:
        staff["active"] = staff["active"].astype("boolean").fillna(True).astype(bool)
    else:
        staff["active"] = True
    staff["capacity"] = staff["capacity"].astype("float64")
    staff["branch"] = _blank_to_na(staff["branch"])
    return staff[_STAFF_COLUMNS].sort_values("manager_id", kind="stable").reset_index(drop=True)


def _pools(
    staff: pd.DataFrame, load: dict[str, float], roles: set[str]
) -> dict[tuple[str, str], list[tuple[float, str]]]:
    """A max-heap of remaining capacity per (branch, role), of the active managers only."""
    pools: dict[tuple[str, str], list[tuple[float, str]]] = {}
    live = staff[staff["active"] & staff["role"].isin(roles) & staff["branch"].notna()]
    for m, r, b, cap in zip(
        live["manager_id"], live["role"], live["branch"], live["capacity"], strict=True
    ):
        pools.setdefault((b, r), []).append((_key(cap - load[m]), m))
    for heap in pools.values():
        heapq.heapify(heap)
    return pools


def _key(remaining: float) -> float:
    """Heap key: the most remaining capacity first; rounded so ties fall to manager_id."""
    return -round(remaining, 9) + 0.0


def _values(series: pd.Series) -> list:
    """The values as a list, with None for every missing one."""
    return series.astype(object).where(series.notna(), None).tolist()


def _blank_to_na(series: pd.Series) -> pd.Series:
    text = series.astype("str").str.strip()
    return text.mask(text == "")


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out = out.sort_values("client_id", kind="stable").reset_index(drop=True)
    return out[ASSIGNMENT_COLUMNS].astype("str")


def _dtype(column: str) -> str:
    if column in ("capacity", "load", "free"):
        return "float64"
    if column == "active" or column == "overloaded":
        return "bool"
    if column in ("manager_id", "name", "role", "branch"):
        return "str"
    return "int64"
