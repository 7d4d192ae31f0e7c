"""Dedicated managers (SPEC 2.5): keeping, reassigning and assigning, under capacity.

Default weights (params/policy-2017.yaml): vip 2.0, core 1.0, potential 0.5. Core and VIP
clients need an active account manager; potential clients get a sales manager while capacity
remains. Every expected outcome is worked out in the comment next to it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.managers import (
    ASSIGNMENT_COLUMNS,
    TOLERANCE,
    assign_managers,
    manager_load,
    served_levels,
)
from tiering.params import load_parameters
from tiering.service_params import ManagerParams

PARAMS = load_parameters(Path(__file__).parents[1] / "params", date(2026, 9, 30)).policy.managers
AM, SM = "account_manager", "sales_manager"
BJ, SH = "北京", "上海"


def classification(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, level)."""
    frame = pd.DataFrame(rows, columns=["client_id", "level"])
    frame["tier"] = frame["level"]
    frame["category"] = "balanced"
    return frame


def clients(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, branch, manager_id): the level comes from `classification`."""
    frame = pd.DataFrame(rows, columns=["client_id", "branch", "manager_id"])
    frame["name"] = "客户" + frame["client_id"]
    frame["client_type"] = "individual"
    frame["open_date"] = pd.Timestamp("2020-01-01")
    return frame


def managers(*rows: tuple) -> pd.DataFrame:
    """Rows of (manager_id, role, branch, capacity, active)."""
    frame = pd.DataFrame(rows, columns=["manager_id", "role", "branch", "capacity", "active"])
    frame["name"] = "经理" + frame["manager_id"]
    frame["capacity"] = frame["capacity"].astype("float64")
    frame["active"] = frame["active"].astype("boolean")
    return frame


def run(cls: pd.DataFrame, cl: pd.DataFrame, mg: pd.DataFrame | None) -> pd.DataFrame:
    out = assign_managers(cls, cl, mg, PARAMS)
    assert list(out.columns) == ASSIGNMENT_COLUMNS
    return out.set_index("client_id")


def row(out: pd.DataFrame, client_id: str) -> tuple:
    r = out.loc[client_id]
    manager = None if pd.isna(r["manager_id"]) else r["manager_id"]
    return manager, r["role"], r["status"], r["reason"]


def test_default_policy_weights_and_service_order():
    assert dict(PARAMS.load_weights) == {"vip": 2.0, "core": 1.0, "potential": 0.5}
    assert served_levels(PARAMS) == ["vip", "core", "potential"]


def test_client_keeps_an_active_account_manager_of_their_branch():
    out = run(
        classification(("C1", "vip"), ("C2", "ordinary")),
        clients(("C1", BJ, "A1"), ("C2", BJ, "A1")),
        managers(("A1", AM, BJ, 10, True)),
    )
    assert row(out, "C1") == ("A1", AM, "kept", "existing manager kept")
    assert "C2" not in out.index  # ordinary clients get no row


def test_inactive_manager_is_replaced_by_an_active_one():
    out = run(
        classification(("C1", "vip")),
        clients(("C1", BJ, "A1")),
        managers(("A1", AM, BJ, 10, False), ("A2", AM, BJ, 10, True)),
    )
    assert row(out, "C1") == ("A2", AM, "reassigned", "manager A1 inactive")


def test_missing_active_flag_means_active():
    cl = clients(("C1", BJ, "A1"))
    mg = managers(("A1", AM, BJ, 10, None))
    assert row(run(classification(("C1", "core")), cl, mg), "C1")[2] == "kept"
    assert (
        row(run(classification(("C1", "core")), cl, mg.drop(columns="active")), "C1")[2] == "kept"
    )


def test_manager_in_another_branch_is_replaced_by_one_of_the_clients_branch():
    out = run(
        classification(("C1", "core")),
        clients(("C1", BJ, "A3")),
        managers(("A3", AM, SH, 10, True), ("A2", AM, BJ, 10, True)),
    )
    assert row(out, "C1") == ("A2", AM, "reassigned", "manager A3 is in 上海, client in 北京")


def test_core_client_with_a_sales_manager_gets_an_account_manager():
    out = run(
        classification(("C1", "core")),
        clients(("C1", BJ, "S1")),
        managers(("S1", SM, BJ, 10, True), ("A1", AM, BJ, 10, True)),
    )
    assert row(out, "C1") == (
        "A1",
        AM,
        "reassigned",
        "manager S1 is a sales manager, a core client needs an account manager",
    )


def test_potential_client_keeps_an_account_manager():
    # a client moved down from core keeps their account manager; the row shows that role
    out = run(
        classification(("P1", "potential")),
        clients(("P1", BJ, "A1")),
        managers(("A1", AM, BJ, 10, True), ("S1", SM, BJ, 10, True)),
    )
    assert row(out, "P1") == ("A1", AM, "kept", "existing manager kept")


def test_unknown_manager_id_is_named_in_the_reason():
    out = run(
        classification(("C1", "core")),
        clients(("C1", BJ, "A99")),
        managers(("A1", AM, BJ, 10, True)),
    )
    assert row(out, "C1") == ("A1", AM, "reassigned", "manager A99 is not in the managers table")


def test_every_failed_check_is_listed():
    out = run(
        classification(("C1", "vip")),
        clients(("C1", BJ, "S7")),
        managers(("S7", SM, SH, 10, False), ("A1", AM, BJ, 10, True)),
    )
    assert row(out, "C1")[3] == (
        "manager S7 inactive; manager S7 is a sales manager, a vip client needs an account "
        "manager; manager S7 is in 上海, client in 北京"
    )


def test_two_vips_on_a_capacity_of_two_the_second_goes_to_another_manager():
    # A1 holds 2.0 = one VIP. V1 is kept (client_id order); V2 goes to A2.
    out = run(
        classification(("V2", "vip"), ("V1", "vip")),
        clients(("V1", BJ, "A1"), ("V2", BJ, "A1")),
        managers(("A1", AM, BJ, 2.0, True), ("A2", AM, BJ, 3.0, True)),
    )
    assert row(out, "V1") == ("A1", AM, "kept", "existing manager kept")
    assert row(out, "V2") == ("A2", AM, "reassigned", "manager A1 has no capacity left")


def test_two_vips_on_a_capacity_of_two_and_nobody_else_the_second_is_unassigned():
    out = run(
        classification(("V1", "vip"), ("V2", "vip")),
        clients(("V1", BJ, None), ("V2", BJ, None)),
        managers(("A1", AM, BJ, 2.0, True)),
    )
    assert row(out, "V1") == (
        "A1",
        AM,
        "assigned",
        "no previous manager; most free capacity in 北京",
    )
    assert row(out, "V2") == (None, AM, "unassigned", "every account manager in 北京 is full")


def test_capacity_two_and_a_half_holds_a_vip_and_a_potential_but_not_a_vip_and_a_core():
    # A1 (2.5) was everyone's manager. Step 1 keeps V1 (load 2.0); K1 would make 3.0 > 2.5, so it
    # goes elsewhere, and there is nowhere else. Step 3 keeps P1: 2.0 + 0.5 = 2.5 <= 2.5.
    cls = classification(("V1", "vip"), ("K1", "core"), ("P1", "potential"))
    cl = clients(("V1", BJ, "A1"), ("K1", BJ, "A1"), ("P1", BJ, "A1"))
    mg = managers(("A1", AM, BJ, 2.5, True))
    out = run(cls, cl, mg)
    assert row(out, "V1")[2] == "kept"
    assert row(out, "K1") == (
        None,
        AM,
        "unassigned",
        "manager A1 has no capacity left; every account manager in 北京 is full",
    )
    assert row(out, "P1") == ("A1", AM, "kept", "existing manager kept")
    load = manager_load(out.reset_index(), cls, mg, PARAMS).iloc[0]
    assert (load["load"], load["free"], load["clients"]) == (2.5, 0.0, 2)
    assert (load["vip"], load["core"], load["potential"]) == (1, 0, 1)
    assert not load["overloaded"]


def test_potential_clients_get_a_sales_manager_only_while_capacity_remains():
    # S1 holds 1.0 = two potential clients at 0.5 each; the third finds nobody.
    out = run(
        classification(("P1", "potential"), ("P2", "potential"), ("P3", "potential")),
        clients(("P1", BJ, None), ("P2", BJ, None), ("P3", BJ, None)),
        managers(("S1", SM, BJ, 1.0, True), ("A1", AM, BJ, 10, True)),
    )
    assert out["manager_id"].tolist()[:2] == ["S1", "S1"]
    assert row(out, "P3") == (
        None,
        SM,
        "unassigned",
        "capacity exhausted: every sales manager in 北京 is full",
    )


def test_mandatory_clients_come_before_a_potential_client_keeping_their_manager():
    # A1 (2.0) had potential P1; new VIP V1 is served first and fills A1, so P1 loses A1 and
    # there is no sales manager in 北京.
    out = run(
        classification(("P1", "potential"), ("V1", "vip")),
        clients(("P1", BJ, "A1"), ("V1", BJ, None)),
        managers(("A1", AM, BJ, 2.0, True)),
    )
    assert row(out, "V1")[:3] == ("A1", AM, "assigned")
    assert row(out, "P1") == (
        None,
        SM,
        "unassigned",
        "manager A1 has no capacity left; no active sales manager in 北京",
    )


def test_vip_before_core_whatever_the_client_ids():
    out = run(
        classification(("C0", "core"), ("V9", "vip")),
        clients(("C0", BJ, None), ("V9", BJ, None)),
        managers(("A1", AM, BJ, 2.0, True)),
    )
    assert row(out, "V9")[:3] == ("A1", AM, "assigned")
    assert row(out, "C0")[2] == "unassigned"


def test_new_clients_go_to_the_manager_with_most_room_ties_by_manager_id():
    # room A1 5, A2 5, A3 3: C1 -> A1 (tie, lower id); C2 -> A2 (5 > 4); C3 -> A1 (4 = 4 > 3)
    out = run(
        classification(("C1", "core"), ("C2", "core"), ("C3", "core")),
        clients(("C1", BJ, None), ("C2", BJ, None), ("C3", BJ, None)),
        managers(("A3", AM, BJ, 3, True), ("A2", AM, BJ, 5, True), ("A1", AM, BJ, 5, True)),
    )
    assert out["manager_id"].tolist() == ["A1", "A2", "A1"]


def test_no_active_manager_of_the_role_in_the_branch():
    out = run(
        classification(("C1", "core")),
        clients(("C1", BJ, None)),
        managers(("A1", AM, SH, 10, True), ("A2", AM, BJ, 10, False), ("S1", SM, BJ, 10, True)),
    )
    assert row(out, "C1") == (None, AM, "unassigned", "no active account manager in 北京")


def test_client_without_a_branch_keeps_a_good_manager_but_gets_no_new_one():
    out = run(
        classification(("C1", "core"), ("C2", "core")),
        clients(("C1", None, "A1"), ("C2", " ", None)),
        managers(("A1", AM, BJ, 10, True)),
    )
    assert row(out, "C1")[2] == "kept"
    assert row(out, "C2") == (None, AM, "unassigned", "client has no branch")


@pytest.mark.parametrize("table", [None, managers()])
def test_no_managers_table_leaves_every_served_client_unassigned(table):
    out = run(
        classification(("V1", "vip"), ("K1", "core"), ("P1", "potential"), ("O1", "ordinary")),
        clients(("V1", BJ, "A1"), ("K1", BJ, None), ("P1", BJ, None), ("O1", BJ, None)),
        table,
    )
    assert out.index.tolist() == ["K1", "P1", "V1"]
    assert out["manager_id"].isna().all()
    assert out["role"].tolist() == [AM, SM, AM]
    assert set(out["status"]) == {"unassigned"}
    assert set(out["reason"]) == {"no managers table"}
    assert manager_load(out.reset_index(), classification(), table, PARAMS).empty


def test_clients_table_without_branch_or_manager_columns():
    cl = clients(("C1", BJ, None)).drop(columns=["branch", "manager_id"])
    out = run(classification(("C1", "core")), cl, managers(("A1", AM, BJ, 10, True)))
    assert row(out, "C1") == (None, AM, "unassigned", "client has no branch")


def test_same_input_in_another_row_order_gives_the_same_output():
    cls = classification(
        *[(f"C{k:02d}", lv) for k, lv in enumerate(["vip", "core", "potential", "ordinary"] * 6)]
    )
    cl = clients(
        *[(f"C{k:02d}", (BJ, SH)[k % 2], (None, "A1", "A2", "S1", "A9")[k % 5]) for k in range(24)]
    )
    mg = managers(
        ("A1", AM, BJ, 4, True),
        ("A2", AM, SH, 3.5, True),
        ("A3", AM, BJ, 2, True),
        ("S1", SM, BJ, 1, True),
        ("S2", SM, SH, 1.5, None),
    )
    first = assign_managers(cls, cl, mg, PARAMS)
    again = assign_managers(
        cls.sample(frac=1, random_state=1),
        cl.sample(frac=1, random_state=2),
        mg.sample(frac=1, random_state=3),
        PARAMS,
    )
    pd.testing.assert_frame_equal(first, again)
    load = manager_load(first, cls, mg, PARAMS)
    pd.testing.assert_frame_equal(
        load,
        manager_load(
            again.sample(frac=1, random_state=4), cls, mg.sample(frac=1, random_state=5), PARAMS
        ),
    )


def test_manager_load_lists_every_manager_with_counts_and_free_capacity():
    cls = classification(("V1", "vip"), ("K1", "core"), ("P1", "potential"))
    cl = clients(("V1", BJ, None), ("K1", BJ, None), ("P1", BJ, None))
    mg = managers(("S1", SM, BJ, 1.5, True), ("A1", AM, BJ, 4, True), ("A2", AM, BJ, 9, False))
    load = manager_load(assign_managers(cls, cl, mg, PARAMS), cls, mg, PARAMS)
    assert list(load.columns) == [
        "manager_id",
        "name",
        "role",
        "branch",
        "active",
        "capacity",
        "load",
        "clients",
        "vip",
        "core",
        "potential",
        "free",
        "overloaded",
    ]
    got = load.set_index("manager_id")[
        ["active", "load", "clients", "vip", "core", "potential", "free", "overloaded"]
    ]
    assert got.loc["A1"].tolist() == [True, 3.0, 2, 1, 1, 0, 1.0, False]
    assert got.loc["A2"].tolist() == [False, 0.0, 0, 0, 0, 0, 9.0, False]
    assert got.loc["S1"].tolist() == [True, 0.5, 1, 0, 0, 1, 1.0, False]


def test_manager_load_reports_an_overload_it_is_given():
    cls = classification(("V1", "vip"), ("V2", "vip"))
    done = pd.DataFrame(
        {
            "client_id": ["V1", "V2"],
            "manager_id": ["A1", "A1"],
            "role": AM,
            "status": "kept",
            "reason": "x",
        }
    )
    load = manager_load(done, cls, managers(("A1", AM, BJ, 3, True)), PARAMS).iloc[0]
    assert (load["load"], load["free"], load["overloaded"]) == (4.0, -1.0, True)


def test_a_served_level_without_a_weight_is_an_error():
    params = ManagerParams(optional_levels=("potential", "rising"))
    with pytest.raises(ValueError, match="rising"):
        assign_managers(classification(("C1", "core")), clients(("C1", BJ, None)), None, params)


def test_weights_that_do_not_add_up_exactly_still_fit():
    # 0.1 + 0.2 > 0.3 in binary floating point; the tolerance lets three clients fit in 0.6
    params = ManagerParams(load_weights={"vip": 0.2, "core": 0.1, "potential": 0.3})
    out = assign_managers(
        classification(("C1", "core"), ("C2", "vip"), ("C3", "potential")),
        clients(("C1", BJ, "A1"), ("C2", BJ, "A1"), ("C3", BJ, "A1")),
        managers(("A1", AM, BJ, 0.6, True)),
        params,
    )
    assert set(out["status"]) == {"kept"}


# --- properties -----------------------------------------------------------------------------

LEVELS = ("ordinary", "potential", "core", "vip")


@st.composite
def situations(draw):
    n_managers = draw(st.integers(0, 6))
    mg = managers(
        *[
            (
                f"M{k}",
                draw(st.sampled_from([AM, SM])),
                draw(st.sampled_from([BJ, SH])),
                draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.3])),
                draw(st.sampled_from([True, False, None])),
            )
            for k in range(n_managers)
        ]
    )
    ids = [f"M{k}" for k in range(n_managers)] + ["M99", None]
    n_clients = draw(st.integers(0, 25))
    rows = [
        (
            f"C{k:02d}",
            draw(st.sampled_from(LEVELS)),
            draw(st.sampled_from([BJ, SH, None])),
            draw(st.sampled_from(ids)),
        )
        for k in range(n_clients)
    ]
    cls = classification(*[(c, lv) for c, lv, _, _ in rows])
    cl = clients(*[(c, b, m) for c, _, b, m in rows])
    return cls, cl, mg


@settings(max_examples=200, deadline=None)
@given(situations())
def test_properties_of_any_assignment(situation):
    cls, cl, mg = situation
    out = assign_managers(cls, cl, mg, PARAMS)
    level = cls.set_index("client_id")["level"]
    client = cl.set_index("client_id")
    staff = mg.set_index("manager_id")
    active = staff["active"].fillna(True).astype(bool)

    # every core/VIP/potential client has exactly one row, nobody else has one
    served = sorted(level[level.isin(["vip", "core", "potential"])].index)
    assert out["client_id"].tolist() == served
    assert (out["reason"].str.len() > 0).all()
    assert out["status"].isin(["kept", "reassigned", "assigned", "unassigned"]).all()
    assert (out["manager_id"].isna() == (out["status"] == "unassigned")).all()

    # no manager's load ever exceeds capacity
    load = manager_load(out, cls, mg, PARAMS)
    assert not load["overloaded"].any()
    assert (load["load"] <= load["capacity"] + TOLERANCE).all()

    for r in out.itertuples():
        lv, prev = level[r.client_id], client.loc[r.client_id, "manager_id"]
        prev = None if pd.isna(prev) else prev
        branch = client.loc[r.client_id, "branch"]
        mandatory = lv in ("vip", "core")
        if r.status == "unassigned":
            # nobody of the role sought in the branch had room left
            assert r.role == (AM if mandatory else SM)
            if not pd.isna(branch):
                pool = load[(load["role"] == r.role) & (load["branch"] == branch) & load["active"]]
                assert (pool["free"] < PARAMS.load_weights[lv] - TOLERANCE).all()
            continue
        # every manager assigned is active, of the client's branch, with the right role
        m = r.manager_id
        assert active[m]
        assert r.role == staff.loc[m, "role"]
        if mandatory:
            assert r.role == AM
        elif r.status != "kept":
            assert r.role == SM
        if pd.isna(branch):
            assert r.status == "kept"
        else:
            assert staff.loc[m, "branch"] == branch
        # the status says what happened to the previous manager
        assert (r.status == "assigned") == (prev is None)
        assert (r.status == "kept") == (prev == m)
