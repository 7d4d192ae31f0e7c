"""Visit and care report tables: a small literal run folder, written by hand, counted by hand."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from report_helpers import assert_thin_report, executed_outputs, write_clients, write_text
from tiering import visit_report as vr

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "30-visit-schedule.ipynb"

MANIFEST = {
    "as_of": "2026-09-30",
    "cycle": "quarterly",
    "period": "2026Q3",
    "parameters": {"resolved": {"policy": {
        "levels": [{"id": "ordinary", "label": "普通客户"},
                   {"id": "potential", "label": "潜力客户"},
                   {"id": "core", "label": "核心客户"}, {"id": "vip", "label": "VIP客户"}],
        "risk": {"scale": "three_band", "unassessed_label": "未评估",
                 "three_band": [{"id": "conservative", "label": "保守型"},
                                {"id": "balanced", "label": "稳健型"},
                                {"id": "aggressive", "label": "积极型"}]},
    }}},
}
CLASSIFICATION = """client_id,level,computed_level,previous_level,category
001,vip,vip,vip,aggressive
002,vip,vip,vip,balanced
003,core,core,core,balanced
004,core,core,,conservative
005,potential,potential,potential,balanced
006,ordinary,ordinary,ordinary,unassessed
007,core,core,core,aggressive
008,vip,vip,core,balanced
"""
# the coming quarter is 2026-10-01 – 2026-12-31; its weeks start on Monday 2026-09-28
SCHEDULE = """date,manager_id,client_id,kind,level,reason
2026-10-09,A1,001,visit,vip,2nd in-person visit of 2026
2026-10-12,A1,002,visit,vip,1st in-person visit of 2026
2026-10-12,A1,005,visit,potential,where capacity allows
2026-10-16,A1,001,birthday_greeting,vip,生日 1971-10-17
2026-11-03,A2,004,visit,core,1st in-person visit of 2026
2026-11-20,A2,003,visit,core,courtesy visit beyond the quota
2026-12-11,A1,001,event,vip,年度客户交流会
2026-12-31,A1,001,festival_greeting,vip,元旦
2026-12-31,A1,002,festival_greeting,vip,元旦
"""
# as `visits.schedule` words them; the care row counts greetings, not visits
SHORTFALLS = """client_id,manager_id,level,missing,reason
002,A1,vip,1,"not enough working days left for the 60-day gap: 2 due, 1 fit"
007,A3,core,1,"no capacity: manager A3 is full (3 a day, 10 a week)"
008,,vip,2,no manager (unassigned)
008,,vip,1,no manager (unassigned): care not scheduled: 2026-12-31 元旦问候（2027-01-01）
"""
OBLIGATIONS = """client_id,level,per_year,done,remaining,due_this_quarter,last_visit
001,vip,2,1,1,1,2026-05-12
002,vip,2,0,2,2,
003,core,1,1,0,0,2026-03-03
004,core,1,0,1,1,
005,potential,1,0,1,1,
007,core,1,0,1,1,2025-11-20
008,vip,2,0,2,2,
"""
LOAD = """manager_id,name,role,branch,active,capacity,load,clients,free,overloaded
A1,王经理,account_manager,北京,true,10,5,3,5,false
A2,李经理,account_manager,北京,true,10,2,2,8,false
A3,孙经理,account_manager,上海,true,1,1,1,0,false
"""
CLIENTS = """client_id,name,client_type,open_date,branch
001,张三丰,individual,2020-01-01,北京
002,李四海,individual,2021-01-01,北京
003,王五岳,individual,2022-01-01,北京
004,赵六合,individual,2023-01-01,北京
005,钱七星,individual,2024-01-01,上海
006,孙八方,individual,2025-01-01,上海
007,周九州,individual,2025-02-01,上海
008,吴十全,individual,2025-03-01,北京
"""
VISIT_FILES = {"visit_schedule.csv": SCHEDULE, "visit_shortfalls.csv": SHORTFALLS,
               "visit_obligations.csv": OBLIGATIONS}
WEEKS = ["2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02",
         "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30", "2026-12-07", "2026-12-14",
         "2026-12-21", "2026-12-28"]


def write_run(folder: Path, *, visits: bool = True, calendars: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST, ensure_ascii=False),
                                          encoding="utf-8")
    write_text(folder / "classification.csv", CLASSIFICATION)
    write_text(folder / "excluded.csv", "client_id,reason\n")
    write_text(folder / "findings.csv", "client_id,table,row,finding,detail\n")
    write_text(folder / "manager_load.csv", LOAD)
    if visits:
        for name, text in VISIT_FILES.items():
            write_text(folder / name, text)
    if calendars:
        (folder / "calendars").mkdir()
        for manager in ("A1", "A2"):  # A3 has nothing scheduled: no calendar
            (folder / "calendars" / f"{manager}.ics").write_text(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    return folder


def write_data(folder: Path) -> Path:
    return write_clients(folder, CLIENTS)


@pytest.fixture
def run(tmp_path) -> vr.VisitRun:
    return vr.load_visit_run(write_run(tmp_path / "run"), write_data(tmp_path / "data"))


@pytest.fixture
def nameless(tmp_path) -> vr.VisitRun:
    return vr.load_visit_run(write_run(tmp_path / "run"), "")


@pytest.fixture
def bare(tmp_path) -> vr.VisitRun:
    """A folder written before visits were planned: no visit files, no calendars."""
    return vr.load_visit_run(write_run(tmp_path / "bare", visits=False, calendars=False), None)


# --------------------------------------------------------------------------- loading


def test_the_visit_run_keeps_the_rating_tables_and_types_the_visit_files(run):
    assert run.classification["client_id"].tolist()[:2] == ["001", "002"]
    assert run.clients is not None and run.clients["name"].iloc[0] == "张三丰"
    assert run.missing == ()
    assert run.calendars == ("A1.ics", "A2.ics")
    assert run.visit_schedule["date"].iloc[0] == "2026-10-09"  # dates stay text
    assert run.visit_shortfalls["missing"].tolist() == [1, 1, 2, 1]
    assert run.visit_obligations["per_year"].dtype == "int64"
    assert run.visit_obligations["last_visit"].isna().tolist() == [False, True, False, True,
                                                                  True, False, True]
    assert run.manager_load.columns.tolist() == ["manager_id", "name"]


def test_a_folder_without_the_visit_files_loads_with_empty_tables(bare):
    assert bare.missing == ("visit_schedule.csv", "visit_shortfalls.csv",
                            "visit_obligations.csv")
    assert bare.calendars == ()
    figures = vr.headline(bare)
    assert figures["已排拜访 (visits)"] == "0"
    assert figures["缺少的表 (missing files)"] == ("visit_schedule.csv、visit_shortfalls.csv、"
                                                  "visit_obligations.csv")
    load = vr.week_load(bare, totals=False)
    assert load.columns.tolist() == WEEKS and load.index.tolist() == []
    quota = vr.quota_by_level(bare)
    assert quota.index.tolist() == ["合计"] and quota["年度要求"].tolist() == [0]
    assert math.isnan(quota.loc["合计", "季末完成率 (%)"])
    for table in (vr.shortfalls(bare), vr.greetings(bare), vr.manager_summary(bare),
                  vr.quota_met(bare)):
        assert table.empty


def test_a_schedule_without_its_calendars_folder_is_reported_missing(tmp_path):
    folder = write_run(tmp_path / "run", calendars=False)
    loaded = vr.load_visit_run(folder)
    assert loaded.missing == ("calendars/",)
    assert vr.manager_summary(loaded)["日历文件"].tolist() == ["—", "—", "—"]


# --------------------------------------------------------------------------- the quarter


def test_the_quarter_is_the_calendar_quarter_after_the_as_of_date(run):
    assert vr.quarter(run) == (date(2026, 10, 1), date(2026, 12, 31))


def test_schedule_title_names_the_quarter_and_the_as_of_date(run):
    assert vr.schedule_title(run) == ("拜访计划期：2026年第四季度（2026-10-01 至 2026-12-31），"
                                      "基准日 2026-09-30")


# --------------------------------------------------------------------------- headline


def test_headline_counts_visits_greetings_events_clients_and_shortfalls(run):
    assert vr.headline(run) == {
        "计划期 (quarter)": "2026-10-01 至 2026-12-31",
        "已排拜访 (visits)": "5",
        "生日与节日问候 (greetings)": "3",
        "客户活动 (events)": "1",
        "覆盖客户 (clients covered)": "5",
        "未能安排的拜访 (visits short)": "4",
        "未能安排的问候与活动 (care short)": "1",
        "缺口客户 (clients short)": "3",
        "有日程的经理 (managers)": "2",
        "缺少的表 (missing files)": "—",
    }


# --------------------------------------------------------------------------- week load


def test_week_load_counts_visits_per_manager_and_monday_over_the_whole_quarter(run):
    table = vr.week_load(run)
    assert table.index.tolist() == ["A1", "A2", "合计"]
    assert table.columns.tolist() == [*WEEKS, "合计"]
    assert table.index.name == "客户经理 (manager)"
    assert table.columns.name == "周（周一）(week of)"
    busy = {"2026-10-05": [1, 0, 1], "2026-10-12": [2, 0, 2], "2026-11-02": [0, 1, 1],
            "2026-11-16": [0, 1, 1], "合计": [3, 2, 5]}
    for week in [*WEEKS, "合计"]:
        assert table[week].tolist() == busy.get(week, [0, 0, 0]), week
    assert "(visits per manager and week)" in table.attrs["title"]


def test_week_load_keeps_the_busiest_managers_and_says_so_in_the_title(run):
    table = vr.week_load(run, top=1, totals=False)
    assert table.index.tolist() == ["A1"]
    assert int(table.to_numpy().sum()) == 3  # greetings and events are not visits
    assert table.attrs["title"].endswith("（拜访最多的 1 位经理，共 2 位）")


def test_week_load_shows_a_visit_outside_the_quarter_in_its_own_week(tmp_path):
    folder = write_run(tmp_path / "run")
    write_text(folder / "visit_schedule.csv", SCHEDULE + "2027-01-04,A2,004,visit,core,late\n")
    table = vr.week_load(vr.load_visit_run(folder), totals=False)
    assert table.columns.tolist() == [*WEEKS, "2027-01-04"]
    assert table.loc["A2", "2027-01-04"] == 1


# --------------------------------------------------------------------------- the quota


def test_quota_by_level_caps_each_client_at_their_quota(run):
    table = vr.quota_by_level(run)
    assert table.index.tolist() == ["VIP客户 (vip)", "核心客户 (core)", "潜力客户 (potential)",
                                    "合计"]
    assert table.columns.tolist() == ["要求", "客户数", "年度要求", "已拜访", "尚需",
                                      "本季应拜访", "本季已排", "未能安排", "季末完成率 (%)"]
    assert table["要求"].tolist() == ["每年不少于 2 次", "每年不少于 1 次",
                                     "视容量 1 次 (where capacity allows)", ""]
    assert table.drop(columns=["要求", "季末完成率 (%)"]).values.tolist() == [
        [3, 6, 1, 5, 5, 2, 3],  # the care shortfall of 008 is not a visit
        [3, 3, 1, 2, 2, 2, 1],  # 003's visit beyond its quota does not count for 007
        [1, 1, 0, 1, 1, 1, 0],
        [7, 10, 2, 8, 8, 5, 4],
    ]
    assert table["季末完成率 (%)"].tolist() == [50.0, 66.7, 100.0, 60.0]
    assert table.attrs["title"].startswith("2026 年度拜访要求完成情况（已拜访截至 2026-09-30）")


def test_quota_by_level_takes_the_quota_from_the_policy_of_the_run(tmp_path):
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["parameters"]["resolved"]["policy"]["visits"] = {
        "per_year": {"vip": 4, "core": 2}, "optional_levels": []}
    folder = write_run(tmp_path / "run")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    table = vr.quota_by_level(vr.load_visit_run(folder), totals=False)
    assert table["要求"].tolist() == ["每年不少于 4 次", "每年不少于 2 次", "—"]


def test_a_year_end_run_plans_the_first_quarter_of_the_next_year(tmp_path):
    manifest = {**MANIFEST, "as_of": "2026-12-31", "cycle": "annual"}
    folder = write_run(tmp_path / "run", visits=False, calendars=False)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded = vr.load_visit_run(folder)
    assert vr.headline(loaded)["计划期 (quarter)"] == "2027-01-01 至 2027-03-31"
    assert vr.quota_by_level(loaded).attrs["title"].startswith("2027 年度")
    assert vr.week_load(loaded).columns[0] == "2026-12-28"  # the week of 1 January


def test_quota_met_is_the_rate_per_level_for_a_bar_chart(run):
    rate = vr.quota_met(run)
    assert rate.index.tolist() == ["VIP客户 (vip)", "核心客户 (core)", "潜力客户 (potential)"]
    assert rate.tolist() == [50.0, 66.7, 100.0]
    assert rate.attrs["title"].startswith("季末拜访要求完成率")


# --------------------------------------------------------------------------- lists


def test_shortfalls_list_visits_then_care_by_level_then_most_missing_with_names(run):
    table = vr.shortfalls(run)
    assert table.columns.tolist() == ["客户编号", "name", "客户级别", "类型", "经理编号",
                                      "年度要求", "已拜访", "未能安排", "上次拜访", "原因"]
    assert table.drop(columns="原因").values.tolist() == [
        ["008", "吴十全", "VIP客户", "拜访 (visit)", "—", 2, 0, 2, "—"],
        ["002", "李四海", "VIP客户", "拜访 (visit)", "A1", 2, 0, 1, "—"],
        ["007", "周九州", "核心客户", "拜访 (visit)", "A3", 1, 0, 1, "2025-11-20"],
        ["008", "吴十全", "VIP客户", "关怀 (care)", "—", 2, 0, 1, "—"],
    ]
    assert table["原因"].iloc[0] == "no manager (unassigned)"
    assert table.attrs["title"] == "未能安排的拜访与关怀 (shortfalls)"


def test_shortfalls_with_a_cap_keep_the_visits_first_and_count_the_care_row(run):
    table = vr.shortfalls(run, cap=2)
    assert table[["客户编号", "name", "类型", "未能安排"]].values.tolist() == [
        ["008", "吴十全", "拜访 (visit)", 2], ["002", "李四海", "拜访 (visit)", 1]]
    assert table.attrs["total_rows"] == 4  # 3 visits short and 1 care row


def test_shortfalls_with_a_cap_cut_after_the_visits_show_the_care_row_last(run):
    table = vr.shortfalls(run, cap=4)
    assert table["类型"].tolist() == ["拜访 (visit)"] * 3 + ["关怀 (care)"]
    assert table.attrs["total_rows"] == 4


def test_a_shortfalls_file_with_a_kind_column_says_which_rows_are_care(tmp_path):
    folder = write_run(tmp_path / "run")
    write_text(folder / "visit_shortfalls.csv", "client_id,manager_id,level,missing,reason,kind\n"
           "002,A1,vip,1,gap,visit\n008,,vip,1,no manager,birthday_greeting\n")
    loaded = vr.load_visit_run(folder)
    assert vr.shortfalls(loaded)["类型"].tolist() == ["拜访 (visit)", "关怀 (care)"]
    assert vr.headline(loaded)["未能安排的问候与活动 (care short)"] == "1"


def test_lists_have_no_name_column_without_the_input_folder(nameless):
    assert "name" not in vr.shortfalls(nameless)
    assert "name" not in vr.greetings(nameless)
    assert vr.shortfalls(nameless)["客户编号"].tolist() == ["008", "002", "007", "008"]


def test_greetings_by_date_with_the_client_and_manager_and_no_year_of_birth(run):
    table = vr.greetings(run)
    assert table.columns.tolist() == ["日期", "类型", "客户编号", "name", "客户级别", "经理编号",
                                      "事由"]
    assert table.values.tolist() == [
        ["2026-10-16", "生日祝福", "001", "张三丰", "VIP客户", "A1", "生日 10-17"],  # no year
        ["2026-12-31", "节日问候", "001", "张三丰", "VIP客户", "A1", "元旦"],
        ["2026-12-31", "节日问候", "002", "李四海", "VIP客户", "A1", "元旦"],
    ]


def test_greetings_with_events_put_the_event_on_its_date(run):
    table = vr.greetings(run, events=True)
    assert table["类型"].tolist() == ["生日祝福", "客户活动", "节日问候", "节日问候"]
    assert table["事由"].iloc[1] == "年度客户交流会"


def test_greetings_with_a_cap_keep_the_earliest_and_count_all_four(run):
    table = vr.greetings(run, events=True, cap=2)
    assert table["类型"].tolist() == ["生日祝福", "客户活动"]
    assert table["事由"].iloc[0] == "生日 10-17"
    assert table["name"].iloc[0] == "张三丰"
    assert table.attrs["total_rows"] == 4


def test_manager_summary_counts_each_managers_schedule_and_names_the_calendar(run):
    table = vr.manager_summary(run)
    assert table.columns.tolist() == ["经理编号", "经理姓名", "拜访", "问候", "活动", "覆盖客户",
                                      "单日最多拜访", "最忙日期", "未能安排", "日历文件"]
    assert table.values.tolist() == [
        ["A1", "王经理", 3, 3, 1, 3, 2, "2026-10-12", 1, "calendars/A1.ics"],
        ["A2", "李经理", 2, 0, 0, 2, 1, "2026-11-03", 0, "calendars/A2.ics"],
        ["A3", "孙经理", 0, 0, 0, 0, 0, "—", 1, "—"],  # only a shortfall, no calendar
    ]
    assert "name" not in table  # staff names are not masked as clients' are


# --------------------------------------------------------------------------- the notebook


def test_the_notebook_is_a_thin_report_with_the_four_parameters_and_no_outputs():
    assert_thin_report(NOTEBOOK, "# 拜访与关怀计划 (Visit and care schedule)")


@pytest.mark.slow
@pytest.mark.parametrize("visits", [True, False])
def test_the_notebook_runs_on_a_run_folder(tmp_path, visits):
    folder = write_run(tmp_path / "run", visits=visits, calendars=visits)
    data = write_data(tmp_path / "data")
    text = executed_outputs(NOTEBOOK, folder, data, tmp_path)
    assert "未能安排的拜访与关怀" in text
    assert "吴十全" not in text and "张三丰" not in text  # names masked
    if visits:
        assert "吴**" in text and "calendars/A1.ics" in text
    else:
        assert "visit_schedule.csv" in text  # the headline names the missing files
