"""Service-plan report tables: a small literal run folder, written by hand, counted by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from report_helpers import assert_thin_report, executed_outputs, write_clients, write_text
from tiering import service_report as sr

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "20-service-plan.ipynb"

SERVICES = {
    "catalogue": [
        {"id": "fund_products", "label": "基金产品服务", "resource_type": "product"},
        {"id": "research_reports", "label": "研究报告", "resource_type": "information"},
        {"id": "sales_manager", "label": "专属销售经理", "resource_type": "relationship"},
        {"id": "account_manager", "label": "专属客户经理", "resource_type": "relationship"},
        {"id": "visits", "label": "当面拜访", "resource_type": "relationship"},
    ],
    "entitlements": {
        "fund_products": {"ordinary": True, "potential": True, "core": True, "vip": True},
        "research_reports": {"ordinary": {"aggressive": True}, "potential": False,
                             "core": True, "vip": True},
        "sales_manager": {"potential": "capacity"},
        "account_manager": {"core": True, "vip": True},
        "visits": {"potential": "capacity", "core": True, "vip": True},
    },
    "education_tracks": {"conservative": "市场风险教育", "balanced": "市场研究传导",
                         "aggressive": "高风险产品投资培训"},
    "pricing_discounts": {"core": 0.05, "vip": 0.1},
}
MANIFEST = {
    "as_of": "2026-09-30",
    "cycle": "quarterly",
    "parameters": {"resolved": {"policy": {
        "levels": [{"id": "ordinary", "label": "普通客户"},
                   {"id": "potential", "label": "潜力客户"},
                   {"id": "core", "label": "核心客户"}, {"id": "vip", "label": "VIP客户"}],
        "risk": {"scale": "three_band", "unassessed_label": "未评估",
                 "three_band": [{"id": "conservative", "label": "保守型"},
                                {"id": "balanced", "label": "稳健型"},
                                {"id": "aggressive", "label": "积极型"}]},
        "services": SERVICES,
        "managers": {"mandatory_levels": ["core", "vip"], "optional_levels": ["potential"]},
    }}},
}
CLASSIFICATION = """client_id,level,computed_level,previous_level,category
001,vip,vip,vip,aggressive
002,core,core,,balanced
003,potential,potential,potential,conservative
004,potential,potential,ordinary,balanced
005,ordinary,ordinary,ordinary,aggressive
006,ordinary,ordinary,,unassessed
"""
PLAN = """client_id,level,category,service_id,service_label,resource_type,detail
001,vip,aggressive,fund_products,基金产品服务,product,产品风险 R1–R5；管理费优惠 10%
001,vip,aggressive,research_reports,研究报告,information,
001,vip,aggressive,account_manager,专属客户经理,relationship,A1
001,vip,aggressive,visits,当面拜访,relationship,每年当面拜访不少于 2 次
002,core,balanced,fund_products,基金产品服务,product,产品风险 R1–R3；管理费优惠 5%
002,core,balanced,research_reports,研究报告,information,
002,core,balanced,account_manager,专属客户经理,relationship,未分配 (unassigned): full
002,core,balanced,visits,当面拜访,relationship,每年当面拜访不少于 1 次
003,potential,conservative,fund_products,基金产品服务,product,产品风险 R1；无管理费优惠
003,potential,conservative,sales_manager,专属销售经理,relationship,S1
003,potential,conservative,visits,当面拜访,relationship,条件允许时当面拜访 (where capacity allows)
004,potential,balanced,fund_products,基金产品服务,product,产品风险 R1–R3；无管理费优惠
005,ordinary,aggressive,fund_products,基金产品服务,product,产品风险 R1–R5；无管理费优惠
005,ordinary,aggressive,research_reports,研究报告,information,
006,ordinary,unassessed,fund_products,基金产品服务,product,\
产品风险 无 (none): unassessed；无管理费优惠
"""
ASSIGNMENTS = """client_id,manager_id,role,status,reason
001,A1,account_manager,kept,existing manager kept
002,,account_manager,unassigned,every account manager in 北京 is full
003,S1,sales_manager,assigned,no previous manager; most free capacity in 北京
004,,sales_manager,unassigned,capacity exhausted: every sales manager in 北京 is full
"""
LOAD = """manager_id,name,role,branch,active,capacity,load,clients,vip,core,potential,free,\
overloaded
S2,钱经理,sales_manager,上海,true,1.00,1.50,3,0,0,3,-0.50,true
A1,王经理,account_manager,北京,true,2.00,2.00,1,1,0,0,0.00,false
A2,李经理,account_manager,上海,false,10.00,0.00,0,0,0,0,10.00,false
A3,孙经理,account_manager,广州,true,0.00,0.00,0,0,0,0,0.00,false
S1,赵经理,sales_manager,北京,true,0.50,0.50,1,0,0,1,0.00,false
"""
ALERTS = """client_id,product_id,source,date,client_category,product_risk,rule,severity,\
informed,channel
003,P2,holding,2026-09-30,conservative,R2,above_tolerance,high,false,phone
003,P2,transaction,2026-07-01,conservative,R2,above_tolerance,medium,true,phone
003,P3,holding,2026-09-30,conservative,R3,lowest_category,high,true,phone
004,P5,transaction,2026-09-01,balanced,R5,expired_assessment,medium,false,sms
006,P1,transaction,2026-05-05,unassessed,R1,unassessed,medium,false,sms
"""
SHELF = """category,product_id,name,risk_level
conservative,P1,现金增利1号,R1
balanced,P1,现金增利1号,R1
balanced,P2,稳健收益1号,R2
aggressive,P1,现金增利1号,R1
aggressive,P2,稳健收益1号,R2
aggressive,P5,进取成长1号,R5
professional,P1,现金增利1号,R1
professional,P2,稳健收益1号,R2
professional,P5,进取成长1号,R5
"""
CLIENTS = """client_id,name,client_type,open_date,branch
001,张三丰,individual,2020-01-01,北京
002,李四海,individual,2021-01-01,北京
003,王五岳,individual,2022-01-01,北京
004,赵六合,individual,2023-01-01,北京
005,钱七星,individual,2024-01-01,上海
006,孙八方,individual,2025-01-01,上海
"""
SERVICE_FILES = {"service_plan.csv": PLAN, "manager_assignments.csv": ASSIGNMENTS,
                 "manager_load.csv": LOAD, "suitability_alerts.csv": ALERTS,
                 "product_shelf.csv": SHELF}


def write_run(folder: Path, *, services: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST, ensure_ascii=False),
                                          encoding="utf-8")
    write_text(folder / "classification.csv", CLASSIFICATION)
    write_text(folder / "excluded.csv", "client_id,reason\n")
    write_text(folder / "findings.csv", "client_id,table,row,finding,detail\n")
    if services:
        for name, text in SERVICE_FILES.items():
            write_text(folder / name, text)
    return folder


def write_data(folder: Path) -> Path:
    return write_clients(folder, CLIENTS)


@pytest.fixture
def run(tmp_path) -> sr.ServiceRun:
    return sr.load_service_run(write_run(tmp_path / "run"), write_data(tmp_path / "data"))


@pytest.fixture
def bare(tmp_path) -> sr.ServiceRun:
    """A folder written by `tiering classify` alone: no service files."""
    return sr.load_service_run(write_run(tmp_path / "bare", services=False), None)


LEVEL_TAGS = ["VIP客户 (vip)", "核心客户 (core)", "潜力客户 (potential)", "普通客户 (ordinary)"]


# --------------------------------------------------------------------------- loading


def test_the_service_run_keeps_the_rating_tables_and_types_the_service_files(run):
    assert run.classification["client_id"].tolist() == ["001", "002", "003", "004", "005", "006"]
    assert run.clients is not None and run.clients["name"].iloc[0] == "张三丰"
    assert run.missing == ()
    assert run.manager_load["capacity"].dtype == "float64"
    assert run.manager_load["vip"].tolist() == [0, 1, 0, 0, 0]
    assert run.manager_load["overloaded"].tolist() == [True, False, False, False, False]
    assert run.manager_load["active"].tolist() == [True, True, False, True, True]
    assert run.suitability_alerts["informed"].tolist() == [False, True, True, False, False]
    assert len(run.service_plan) == 15


def test_a_folder_without_the_service_files_loads_with_empty_tables(bare):
    assert bare.missing == ("service_plan.csv", "manager_assignments.csv", "manager_load.csv",
                            "suitability_alerts.csv", "product_shelf.csv")
    assert bare.service_plan.empty and list(bare.service_plan.columns)[:2] == ["client_id",
                                                                               "level"]
    figures = sr.headline(bare)
    assert figures["服务客户 (clients)"] == "0"
    assert figures["缺少的表 (missing files)"].startswith("service_plan.csv、")
    assert int(sr.clients_per_service(bare)["合计"].sum()) == 0
    assert int(sr.alerts_by_rule(bare).loc["合计", "合计"]) == 0
    for table in (sr.unassigned_clients(bare), sr.alert_list(bare), sr.shelf(bare),
                  sr.manager_load(bare), sr.load_vs_capacity(bare), sr.plan_list(bare)):
        assert table.empty


# --------------------------------------------------------------------------- headline


def test_headline_counts_clients_services_gaps_and_alerts(run):
    assert sr.headline(run) == {
        "服务客户 (clients)": "6",
        "服务项目 (services granted)": "15",
        "已配备专属经理 (with a manager)": "2",
        "须配备而未分配 (mandatory, unassigned)": "1",
        "视容量未分配 (optional, unassigned)": "1",
        "超负荷经理 (overloaded)": "1",
        "适当性预警 (alerts)": "5",
        "高严重度预警 (high)": "2",
        "缺少的表 (missing files)": "—",
    }


# --------------------------------------------------------------------------- entitlements


def test_entitlement_table_is_the_filled_in_attachment_levels_low_to_high(run):
    table = sr.entitlement_table(run)
    assert table.shape == (5, 16)
    assert table.columns[0] == ("普通客户", "保守型")
    assert table.columns[-1] == ("VIP客户", "未评估")
    assert table.index[0] == ("产品类服务", "基金产品服务")
    assert table.loc[("资讯类服务", "研究报告"), ("普通客户", "积极型")] == "是"
    assert table.loc[("资讯类服务", "研究报告"), ("普通客户", "稳健型")] == "否"
    assert table.loc[("关系类服务", "专属销售经理"), ("潜力客户", "保守型")] == "视容量"
    assert table.loc[("关系类服务", "专属客户经理"), ("核心客户", "未评估")] == "是"
    assert (table.loc[("产品类服务", "基金产品服务")] == "是").all()
    assert table.attrs["title"].startswith("客户分级分类服务对照表")


def test_level_terms_show_the_discount_and_the_visit_quota(run):
    terms = sr.level_terms(run)
    assert terms.values.tolist() == [["VIP客户 (vip)", "10%", "不少于 2 次"],
                                     ["核心客户 (core)", "5%", "不少于 1 次"],
                                     ["潜力客户 (potential)", "—", "—"],
                                     ["普通客户 (ordinary)", "—", "—"]]


def test_education_tracks_by_category_with_none_for_a_category_without_one(run):
    tracks = sr.education_tracks(run)
    assert tracks.values.tolist() == [["保守型 (conservative)", "市场风险教育"],
                                      ["稳健型 (balanced)", "市场研究传导"],
                                      ["积极型 (aggressive)", "高风险产品投资培训"],
                                      ["未评估 (unassessed)", "—"]]


def test_clients_per_service_by_level_high_to_low(run):
    table = sr.clients_per_service(run)
    assert table.index.tolist() == ["基金产品服务", "研究报告", "专属销售经理", "专属客户经理",
                                    "当面拜访"]
    assert table.columns.tolist() == [*LEVEL_TAGS, "合计"]
    assert table.values.tolist() == [[1, 1, 2, 2, 6],
                                      [1, 1, 0, 1, 3],
                                      [0, 0, 1, 0, 1],
                                      [1, 1, 0, 0, 2],
                                      [1, 1, 1, 0, 3]]
    assert sr.clients_per_service(run, totals=False).shape == (5, 4)


def test_plan_list_by_level_then_client_then_catalogue_with_names(run):
    plan = sr.plan_list(run)
    assert plan["客户编号"].tolist() == ["001"] * 4 + ["002"] * 4 + ["003"] * 3 + [
        "004", "005", "005", "006"]
    assert plan["服务资源"].tolist()[:4] == ["基金产品服务", "研究报告", "专属客户经理", "当面拜访"]
    assert plan["name"].iloc[0] == "张三丰"
    assert plan["客户级别"].iloc[0] == "VIP客户"
    assert plan["服务内容"].iloc[6] == "未分配 (unassigned): full"
    assert plan["服务内容"].iloc[1] == ""


def test_plan_list_with_a_cap_keeps_the_first_rows_and_counts_all_fifteen(run):
    plan = sr.plan_list(run, cap=6)
    # 001 has 4 services, 002 the first two of its 4 in catalogue order; 4+4+3+1+2+1 = 15
    assert plan["客户编号"].tolist() == ["001"] * 4 + ["002"] * 2
    assert plan["服务资源"].tolist()[4:] == ["基金产品服务", "研究报告"]
    assert plan["name"].tolist()[4:] == ["李四海", "李四海"]
    assert plan.attrs["total_rows"] == 15
    assert "total_rows" not in sr.plan_list(run).attrs  # no cap: the frame is the whole list


# --------------------------------------------------------------------------- managers


def test_assignment_summary_counts_levels_by_status(run):
    table = sr.assignment_summary(run)
    assert table.index.tolist() == ["VIP客户 (vip)", "核心客户 (core)", "潜力客户 (potential)",
                                    "合计"]
    assert table.columns.tolist() == ["保留原经理 (kept)", "新分配 (assigned)",
                                      "重新分配 (reassigned)", "未分配 (unassigned)", "合计"]
    assert table.values.tolist() == [[1, 0, 0, 0, 1], [0, 0, 0, 1, 1], [0, 1, 0, 1, 2],
                                     [1, 1, 0, 2, 4]]


def test_manager_load_by_role_and_id_with_the_load_rate(run):
    table = sr.manager_load(run)
    assert table["经理编号"].tolist() == ["A1", "A2", "A3", "S1", "S2"]
    assert table["经理类型"].tolist() == ["客户经理"] * 3 + ["销售经理"] * 2
    assert table["经理姓名"].tolist() == ["王经理", "李经理", "孙经理", "赵经理", "钱经理"]
    rates = table["负荷率 (%)"].tolist()
    assert rates[:2] == [100.0, 0.0] and math.isnan(rates[2]) and rates[3:] == [100.0, 150.0]
    assert table["超负荷"].tolist() == ["否", "否", "否", "否", "是"]
    assert table["在职"].tolist() == ["是", "否", "是", "是", "是"]
    assert table["潜力客户 (potential)"].tolist() == [0, 0, 0, 1, 3]
    assert "name" not in table  # staff names are not masked as clients' are


def test_busiest_first_orders_by_load_rate_with_no_capacity_last(run):
    # rates: A1 100, A2 0, A3 none (capacity 0), S1 100, S2 150; ties keep role, id order
    table = sr.busiest_first(sr.manager_load(run))
    assert table["经理编号"].tolist() == ["S2", "A1", "S1", "A2", "A3"]
    assert table.attrs["title"] == "客户经理负荷与容量 (manager load)"


def test_load_against_capacity_covers_active_managers_only(run):
    frame = sr.load_vs_capacity(run)
    assert frame.index.tolist() == ["A1", "A3", "S1", "S2"]
    assert frame["负荷"].tolist() == [2.0, 0.0, 0.5, 1.5]
    assert frame["容量"].tolist() == [2.0, 0.0, 0.5, 1.0]
    rate = frame["负荷率 (%)"].tolist()
    assert rate[0] == 100.0 and math.isnan(rate[1]) and rate[2:] == [100.0, 150.0]


def test_overloaded_managers_are_those_above_capacity(run):
    assert sr.overloaded_managers(run)["经理编号"].tolist() == ["S2"]


def test_unassigned_clients_mandatory_level_first_with_the_reason(run):
    table = sr.unassigned_clients(run)
    assert table.columns.tolist() == ["客户编号", "name", "营业部", "客户级别", "风险类别",
                                      "经理类型", "配备要求", "原因"]
    assert table.values.tolist() == [
        ["002", "李四海", "北京", "核心客户", "稳健型", "客户经理", "必须配备 (mandatory)",
         "every account manager in 北京 is full"],
        ["004", "赵六合", "北京", "潜力客户", "稳健型", "销售经理",
         "视容量 (where capacity allows)",
         "capacity exhausted: every sales manager in 北京 is full"],
    ]


def test_unassigned_clients_with_a_cap_of_one_keeps_the_mandatory_client(run):
    table = sr.unassigned_clients(run, cap=1)
    assert table[["客户编号", "name", "配备要求"]].values.tolist() == [
        ["002", "李四海", "必须配备 (mandatory)"]]
    assert table.attrs["total_rows"] == 2


# --------------------------------------------------------------------------- suitability


def test_alerts_by_rule_and_severity(run):
    table = sr.alerts_by_rule(run)
    assert table.index.tolist() == [
        "超出风险承受能力 (above_tolerance)", "最低类别超出 R1 (lowest_category)",
        "未评估即购买 (unassessed)", "测评过期后购买 (expired_assessment)",
        "频繁购买高风险产品 (frequent_high_risk)", "合计"]
    assert table.columns.tolist() == ["高 (high)", "中 (medium)", "低 (low)", "合计"]
    assert table.values.tolist() == [[1, 1, 0, 2], [1, 0, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1],
                                     [0, 0, 0, 0], [2, 3, 0, 5]]


def test_alert_list_puts_high_severity_first_then_rule_order(run):
    table = sr.alert_list(run)
    assert table[["客户编号", "产品编号", "预警规则", "严重程度", "来源"]].values.tolist() == [
        ["003", "P2", "超出风险承受能力", "高", "持仓"],
        ["003", "P3", "最低类别超出 R1", "高", "持仓"],
        ["003", "P2", "超出风险承受能力", "中", "交易"],
        ["006", "P1", "未评估即购买", "中", "交易"],
        ["004", "P5", "测评过期后购买", "中", "交易"],
    ]
    assert table["已签署风险警示"].tolist() == ["否", "是", "是", "否", "否"]
    assert table["通知渠道"].tolist() == ["电话", "电话", "电话", "短信", "短信"]
    assert table["风险类别"].tolist()[3] == "未评估"
    assert table["name"].tolist()[0] == "王五岳"


def test_alert_list_with_a_cap_keeps_the_high_severity_alerts(run):
    table = sr.alert_list(run, cap=2)
    assert table[["客户编号", "产品编号", "严重程度"]].values.tolist() == [
        ["003", "P2", "高"], ["003", "P3", "高"]]
    assert table["name"].tolist() == ["王五岳", "王五岳"]
    assert table.attrs["total_rows"] == 5


def test_shelf_matrix_counts_products_by_category_and_risk(run):
    table = sr.shelf_matrix(run)
    assert table.index.tolist() == ["保守型 (conservative)", "稳健型 (balanced)",
                                    "积极型 (aggressive)", "未评估 (unassessed)",
                                    "专业投资者 (professional)"]
    assert table.columns.tolist() == ["R1", "R2", "R3", "R4", "R5", "合计"]
    assert table.values.tolist() == [[1, 0, 0, 0, 0, 1], [1, 1, 0, 0, 0, 2],
                                     [1, 1, 0, 0, 1, 3], [0, 0, 0, 0, 0, 0],
                                     [1, 1, 0, 0, 1, 3]]


def test_shelf_lists_products_per_category_in_category_order(run):
    table = sr.shelf(run)
    assert table.columns.tolist() == ["风险类别", "产品编号", "产品名称", "产品风险等级"]
    assert table["风险类别"].tolist()[:3] == ["保守型 (conservative)", "稳健型 (balanced)",
                                          "稳健型 (balanced)"]
    assert table["产品编号"].tolist()[-3:] == ["P1", "P2", "P5"]
    assert len(table) == 9


# --------------------------------------------------------------------------- the notebook


def test_the_notebook_is_a_thin_report_with_the_four_parameters_and_no_outputs():
    assert_thin_report(NOTEBOOK, "# 服务分配方案 (Service allocation plan)")


@pytest.mark.slow
def test_the_notebook_runs_on_a_run_folder(tmp_path):
    folder = write_run(tmp_path / "run")
    data = write_data(tmp_path / "data")
    text = executed_outputs(NOTEBOOK, folder, data, tmp_path)
    assert "未分配专属经理的客户" in text and "李四海" not in text  # names masked
