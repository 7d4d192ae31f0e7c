"""The service plan: the 对照表 filled in, and each client's services, counted by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tiering.params import load_parameters
from tiering.service_params import ServiceParams
from tiering.services import PLAN_COLUMNS, entitlement_matrix, service_plan

PARAMS = Path(__file__).resolve().parents[1] / "params"
LEVELS = ["ordinary", "potential", "core", "vip"]
CATEGORIES = ["conservative", "balanced", "aggressive", "unassessed"]
TRACKS = {
    "conservative": "市场风险教育、投资品种介绍",
    "balanced": "市场研究传导、投资产品分析",
    "aggressive": "高风险产品投资培训、投资组合指导",
    "unassessed": "风险测评提醒与基础投资者教育",
}


@pytest.fixture(scope="module")
def params() -> ServiceParams:
    return load_parameters(PARAMS, date(2026, 9, 30)).policy.services


def classification(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["client_id", "level", "category"])


def assignments(*rows: tuple[str, str | None, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["client_id", "manager_id", "role", "status", "reason"])


def tolerance(*rows: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["client_id", "max_risk"])


def services_of(plan: pd.DataFrame, client_id: str) -> dict[str, str | None]:
    rows = plan[plan["client_id"] == client_id]
    return dict(zip(rows["service_id"], rows["detail"], strict=True))


# --------------------------------------------------------------------------- each level


def test_ordinary_client_gets_fund_products_and_investor_education_only(params):
    plan = service_plan(classification(("c1", "ordinary", "balanced")), None,
                        tolerance(("c1", "R3")), params)
    assert services_of(plan, "c1") == {
        "fund_products": "产品风险 R1–R3；无管理费优惠",
        "investor_education": TRACKS["balanced"],
    }
    assert list(plan.columns) == PLAN_COLUMNS
    assert plan["service_label"].tolist() == ["基金产品服务", "投资者教育"]
    assert plan["resource_type"].tolist() == ["product", "information"]


def test_potential_client_with_a_sales_manager_gets_the_manager_and_a_visit(params):
    plan = service_plan(classification(("p1", "potential", "aggressive")),
                        assignments(("p1", "S01", "sales_manager", "assigned", "most free")),
                        tolerance(("p1", "R5")), params)
    assert services_of(plan, "p1") == {
        "fund_products": "产品风险 R1–R5；无管理费优惠",
        "investor_education": TRACKS["aggressive"],
        "sales_manager": "S01",
        "visits": "条件允许时当面拜访 (where capacity allows)",
    }


def test_potential_client_without_a_sales_manager_gets_what_ordinary_clients_get(params):
    unassigned = assignments(
        ("p1", None, "sales_manager", "unassigned",
         "capacity exhausted: every sales manager in 北京 is full"))
    for given in (unassigned, None):
        plan = service_plan(classification(("p1", "potential", "conservative")), given,
                            tolerance(("p1", "R1")), params)
        assert services_of(plan, "p1") == {
            "fund_products": "产品风险 R1；无管理费优惠",
            "investor_education": TRACKS["conservative"],
        }


def test_potential_client_who_kept_an_account_manager_has_that_manager_as_dedicated(params):
    plan = service_plan(classification(("p1", "potential", "balanced")),
                        assignments(("p1", "A07", "account_manager", "kept",
                                     "existing manager kept")), None, params)
    detail = services_of(plan, "p1")
    assert detail["sales_manager"] == "A07 (account_manager)"
    assert "account_manager" not in detail
    assert "visits" in detail


def test_core_client_gets_information_services_an_account_manager_and_one_visit(params):
    plan = service_plan(classification(("k1", "core", "balanced")),
                        assignments(("k1", "A01", "account_manager", "kept", "kept")),
                        tolerance(("k1", "R3")), params)
    assert services_of(plan, "k1") == {
        "fund_products": "产品风险 R1–R3；管理费优惠 5%",
        "research_reports": None,
        "periodicals": None,
        "investor_education": TRACKS["balanced"],
        "account_manager": "A01",
        "visits": "每年当面拜访不少于 1 次",
    }


def test_vip_client_gets_everything_but_a_sales_manager_and_two_visits(params):
    plan = service_plan(classification(("v1", "vip", "aggressive")),
                        assignments(("v1", "A02", "account_manager", "reassigned", "moved")),
                        tolerance(("v1", "R5")), params)
    assert plan["service_id"].tolist() == [
        "fund_products", "research_reports", "periodicals", "internal_briefings",
        "investor_education", "account_manager", "visits", "care", "client_events",
        "partner_services", "on_demand"]
    detail = services_of(plan, "v1")
    assert detail["fund_products"] == "产品风险 R1–R5；管理费优惠 10%"
    assert detail["account_manager"] == "A02"
    assert detail["visits"] == "每年当面拜访不少于 2 次"
    assert plan["resource_type"].value_counts().to_dict() == {
        "relationship": 6, "information": 4, "product": 1}


def test_core_client_without_an_account_manager_still_lists_the_mandatory_service(params):
    plan = service_plan(classification(("k1", "core", "conservative"), ("k2", "vip", "balanced")),
                        assignments(("k1", None, "account_manager", "unassigned",
                                     "no active account manager in 上海")), None, params)
    assert services_of(plan, "k1")["account_manager"] == (
        "未分配 (unassigned): no active account manager in 上海")
    assert services_of(plan, "k2")["account_manager"] == (
        "未分配 (unassigned): 未做客户经理分配 (no manager assignment)")
    assert services_of(plan, "k1")["visits"] == "每年当面拜访不少于 1 次"


# --------------------------------------------------------------------------- details


def test_investor_education_follows_the_category(params):
    frame = classification(*[(f"c{i}", "ordinary", cat) for i, cat in enumerate(CATEGORIES)])
    plan = service_plan(frame, None, None, params)
    education = plan[plan["service_id"] == "investor_education"]
    assert dict(zip(education["category"], education["detail"], strict=True)) == TRACKS


def test_fund_products_detail_names_the_highest_risk_and_the_tier_discount(params):
    frame = classification(("a", "ordinary", "conservative"), ("b", "potential", "balanced"),
                           ("c", "core", "unassessed"), ("d", "vip", "aggressive"),
                           ("e", "core", "balanced"))
    plan = service_plan(frame, None, tolerance(("a", "R1"), ("b", "R3"), ("c", None),
                                               ("d", "R5")), params)
    funds = plan[plan["service_id"] == "fund_products"].set_index("client_id")["detail"]
    assert funds.to_dict() == {
        "a": "产品风险 R1；无管理费优惠",
        "b": "产品风险 R1–R3；无管理费优惠",
        "c": "产品风险 无 (none): unassessed；管理费优惠 5%",
        "d": "产品风险 R1–R5；管理费优惠 10%",
        "e": "产品风险 无 (none)；管理费优惠 5%",  # missing from the tolerance table
    }


def test_discounts_come_from_the_pricing_parameters(params):
    cheaper = params.model_copy(update={"pricing_discounts": {"ordinary": 0.0, "core": 0.125}})
    plan = service_plan(classification(("k1", "core", "balanced"), ("v1", "vip", "balanced")),
                        None, None, cheaper)
    funds = plan[plan["service_id"] == "fund_products"].set_index("client_id")["detail"]
    assert funds.to_dict() == {"k1": "管理费优惠 12.5%", "v1": "无管理费优惠"}


def test_visit_quota_can_be_given(params):
    plan = service_plan(classification(("k1", "core", "balanced"), ("v1", "vip", "balanced")),
                        None, None, params, visits_per_year={"vip": 4, "core": 2})
    visits = plan[plan["service_id"] == "visits"].set_index("client_id")["detail"]
    assert visits.to_dict() == {"k1": "每年当面拜访不少于 2 次", "v1": "每年当面拜访不少于 4 次"}


# --------------------------------------------------------------------------- exceptions


def exception_params(params: ServiceParams) -> ServiceParams:
    """Research reports for aggressive ordinary clients, and for core clients except
    conservative ones (aggressive core clients are left unnamed: not granted)."""
    entitlements = dict(params.entitlements)
    entitlements["research_reports"] = {
        "ordinary": {"aggressive": True}, "potential": False,
        "core": {"conservative": False, "balanced": True}, "vip": True}
    return params.model_copy(update={"entitlements": entitlements})


def test_a_per_category_exception_grants_only_the_named_categories(params):
    changed = exception_params(params)
    frame = classification(("o1", "ordinary", "aggressive"), ("o2", "ordinary", "balanced"),
                           ("k1", "core", "conservative"), ("k2", "core", "balanced"),
                           ("k3", "core", "aggressive"))
    plan = service_plan(frame, None, None, changed)
    research = plan.loc[plan["service_id"] == "research_reports", "client_id"].tolist()
    assert research == ["k2", "o1"]


def test_the_matrix_shows_a_per_category_exception(params):
    matrix = entitlement_matrix(exception_params(params), LEVELS, CATEGORIES)
    assert matrix.loc["研究报告", ("ordinary", "aggressive")] == "是"
    assert matrix.loc["研究报告", ("ordinary", "balanced")] == "否"
    assert matrix.loc["研究报告", ("core", "conservative")] == "否"
    assert matrix.loc["研究报告", ("core", "aggressive")] == "否"
    assert matrix.loc["研究报告", ("vip", "conservative")] == "是"


# --------------------------------------------------------------------------- the matrix


def test_the_matrix_has_a_row_per_service_and_a_column_per_level_and_category(params):
    matrix = entitlement_matrix(params, LEVELS, CATEGORIES)
    assert matrix.shape == (12, 16)
    assert matrix.index.tolist()[:3] == ["基金产品服务", "研究报告", "研究资讯期刊"]
    assert matrix.columns.names == ["level", "category"]
    assert matrix.columns[0] == ("ordinary", "conservative")
    assert matrix.loc["专属销售经理", ("potential", "balanced")] == "视容量"
    assert matrix.loc["当面拜访", ("potential", "aggressive")] == "视容量"
    assert matrix.loc["投资内参", ("vip", "conservative")] == "是"
    assert matrix.loc["投资内参", ("core", "conservative")] == "否"
    assert matrix.loc["专属客户经理", ("core", "unassessed")] == "是"
    assert (matrix.loc["基金产品服务"] == "是").all()


def test_a_level_the_matrix_does_not_name_is_granted_nothing(params):
    matrix = entitlement_matrix(params, ["staff"], ["balanced"])
    assert (matrix["staff"] == "否").all().all()
    plan = service_plan(classification(("x", "staff", "balanced")), None, None, params)
    assert plan.empty and list(plan.columns) == PLAN_COLUMNS


# --------------------------------------------------------------------------- the frame


def test_rows_are_sorted_by_client_then_catalogue_order(params):
    frame = classification(("b", "core", "balanced"), ("a", "ordinary", "balanced"))
    plan = service_plan(frame, None, None, params)
    assert plan["client_id"].tolist() == ["a", "a", "b", "b", "b", "b", "b", "b"]
    assert plan["service_id"].tolist()[2:] == [
        "fund_products", "research_reports", "periodicals", "investor_education",
        "account_manager", "visits"]
    assert plan.index.tolist() == list(range(8))


def test_no_clients_give_an_empty_plan(params):
    plan = service_plan(classification(), assignments(), tolerance(), params)
    assert plan.empty and list(plan.columns) == PLAN_COLUMNS


def test_every_client_gets_each_granted_service_once(params):
    frame = classification(*[(f"{i:03d}", LEVELS[i % 4], CATEGORIES[i % 3]) for i in range(40)])
    given = assignments(*[(f"{i:03d}", f"M{i % 3}",
                           "sales_manager" if i % 4 == 1 else "account_manager",
                           "unassigned" if i % 5 == 0 else "kept", "")
                          for i in range(40) if i % 4])
    plan = service_plan(frame, given, None, params)
    assert not plan.duplicated(["client_id", "service_id"]).any()
    assert set(plan["client_id"]) == set(frame["client_id"])
    per_level = plan.groupby("client_id").size().groupby(frame.set_index("client_id")["level"])
    assert per_level.min().to_dict() == {"core": 6, "ordinary": 2, "potential": 2, "vip": 11}
    assert per_level.max().to_dict() == {"core": 6, "ordinary": 2, "potential": 4, "vip": 11}
