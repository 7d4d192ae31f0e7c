"""Service: the managers of each branch and the clients they serve, their visits, and the
special level adjustments (overrides) approved for a few clients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tiering.sample.days import BIG, SampleCalendar, roll_forward, uniform_days
from tiering.sample.edges import EDGE_CLIENTS, HEAD, one
from tiering.sample.frames import STR, digits, join
from tiering.sample.people import BRANCHES, Clients, person_names
from tiering.sample.rows import ragged

LEVELS = ("ordinary", "potential", "core", "vip")
_APPROVERS = ("总经理 陈志远", "合规负责人 刘静", "财富管理部总监 赵磊", "分管副总 孙立群")
_REASONS_UP = (
    "战略合作客户，总经理特批提级", "家族关联账户合并计算资产，提级服务",
    "机构客户代销渠道合作，按核心客户服务", "高净值潜在客户，试行VIP服务一年",
    "客户投诉处理，临时提级以加强服务",
)
_REASONS_DOWN = ("客户书面要求降低服务频次", "长期联系不上，暂停专属服务")


@dataclass(frozen=True)
class Managers:
    branch: np.ndarray
    role: np.ndarray  # index into schemas.MANAGER_ROLES: account manager, sales manager
    capacity: np.ndarray
    per_day: np.ndarray
    active: np.ndarray
    names: np.ndarray
    emails: np.ndarray
    client_manager: np.ndarray  # per client, manager index or -1


def make_managers(rng: np.random.Generator, cl: Clients, cal: SampleCalendar) -> Managers:
    core_like = (cl.wealth >= 5e5) & cl.funded & (cl.close > cal.ref)
    per_branch = np.bincount(cl.branch[core_like], minlength=len(BRANCHES))
    n_am = np.maximum(2, np.ceil(per_branch / 60).astype(np.int64))
    n_sm = np.maximum(1, np.ceil(n_am / 4).astype(np.int64))
    branch = np.repeat(np.arange(len(BRANCHES)), n_am + n_sm)
    role = np.concatenate([np.repeat([0, 1], [a, s]) for a, s in zip(n_am, n_sm, strict=True)])
    m = branch.size
    am_off = np.cumsum(n_am + n_sm) - (n_am + n_sm)
    sm_off = am_off + n_am
    capacity = rng.integers(8, 17, m) * 10.0  # weighted clients: enough for most branches
    per_day = rng.integers(2, 5, m).astype(np.float64)
    active = np.ones(m, dtype=bool)
    ams = np.flatnonzero(role == 0)
    active[np.sort(rng.choice(ams, size=max(2, round(m * 0.02)), replace=False))] = False
    names, pinyin = person_names(rng, m)
    emails = join(pinyin, digits(np.arange(1, m + 1), 4), "@fund.example.com")

    n = cl.n
    b = cl.branch
    u = rng.random(n)
    to_am = am_off[b] + np.floor(rng.random(n) * n_am[b]).astype(np.int64)
    to_sm = sm_off[b] + np.floor(rng.random(n) * n_sm[b]).astype(np.int64)
    potential = (cl.wealth >= 1e5) & (cl.wealth < 5e5)
    manager = np.select(
        [cl.wealth >= 5e5, potential, cl.funded],
        [np.where(u < 0.92, to_am, -1),
         np.where(u < 0.45 * 0.3, to_am, np.where(u < 0.45, to_sm, -1)),
         np.where(u < 0.08, to_sm, -1)],
        -1,
    )
    edge = EDGE_CLIENTS
    manager[edge] = np.where(cl.wealth[edge] >= 1e5, to_am[edge], to_sm[edge])
    return Managers(branch, role, capacity, per_day, active, names, emails, manager)


def make_visits(
    rng: np.random.Generator, cl: Clients, mg: Managers, cal: SampleCalendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Client, manager, day and type (index into schemas.VISIT_TYPES) of every visit."""
    lo = np.maximum(cl.open, cal.ref - 364)
    hi = np.minimum(cl.close, cal.end)
    per_year = np.select([cl.wealth > 5e6, cl.wealth >= 5e5, cl.wealth >= 1e5], [6.0, 3.0, 1.2],
                         0.4)
    ok = (mg.client_manager >= 0) & (hi >= lo)
    count = np.where(ok, rng.poisson(per_year * np.maximum(hi - lo + 1, 0) / 365), 0)
    owner, _ = ragged(count)
    day = roll_forward(uniform_days(rng, lo[owner], hi[owner]))
    manager = mg.client_manager[owner]
    big = cl.wealth[owner] >= 5e5
    p = np.where(big[:, None], [[0.45, 0.35, 0.12, 0.08]], [[0.2, 0.5, 0.2, 0.1]])
    kind = np.minimum((rng.random(owner.size)[:, None] > np.cumsum(p, axis=1)).sum(axis=1), 3)
    keep = (day <= hi[owner]) & (mg.active[manager] | (day <= cal.ref - 90))
    order = np.lexsort((day[keep], owner[keep]))
    return owner[keep][order], manager[keep][order], day[keep][order], kind[keep][order]


def _level_of(wealth: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([1e5, 5e5, 5e6]), wealth, side="right")


def make_overrides(
    rng: np.random.Generator, cl: Clients, mg: Managers, cal: SampleCalendar
) -> dict[str, np.ndarray]:
    """Level overrides: an ended and an open-ended one for the edge case, then a few random
    ones (mostly up, some with an end date); "stop" is -BIG when open-ended."""
    can = (cl.open <= cal.ref - 120) & (cl.close > cal.ref) & (mg.client_manager >= 0)
    can[:HEAD] = False
    pool = np.flatnonzero(can)
    who = np.sort(rng.choice(pool, size=min(max(3, round(cl.n * 0.002)), pool.size),
                             replace=False))
    k = who.size
    level = _level_of(cl.wealth[who])
    up = ((rng.random(k) < 0.75) & (level < 3)) | (level == 0)
    value = np.where(up, np.minimum(level + rng.integers(1, 3, k), 3), level - 1)
    reason = np.where(up, np.array(_REASONS_UP, dtype=STR)[rng.integers(0, len(_REASONS_UP), k)],
                      np.array(_REASONS_DOWN, dtype=STR)[rng.integers(0, len(_REASONS_DOWN), k)])
    start = roll_forward(
        uniform_days(rng, np.maximum(cl.open[who] + 30, cal.on(0, 1, 15)),
                     np.full(k, cal.ref - 10)))
    ends = rng.random(k) < 0.35
    stop = np.where(ends, start + rng.integers(120, 500, k), -BIG)
    approver = np.array(_APPROVERS, dtype=STR)[rng.integers(0, len(_APPROVERS), k)]
    e = one("override_ended_then_new")
    return {
        "client": np.concatenate([[e, e], who]),
        "value": np.concatenate([np.array(["vip", "core"], dtype=STR),
                                 np.array(LEVELS, dtype=STR)[value]]),
        "reason": np.concatenate([np.array([_REASONS_UP[3], _REASONS_UP[0]], dtype=STR), reason]),
        "approved_by": np.concatenate([np.array(_APPROVERS[:2], dtype=STR), approver]),
        "start": np.concatenate([[cal.on(0, 2, 3), cal.on(1, 2, 2)], start]),
        "stop": np.concatenate([[cal.on(0, 12, 31), -BIG], stop]),
    }
