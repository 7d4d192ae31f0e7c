"""Activity (RFM) report tables: a small literal run folder, written by hand, counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from report_helpers import assert_thin_report, executed_outputs, write_clients, write_text
from tiering import activity_report as ar

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "40-activity.ipynb"

MANIFEST = {
    "as_of": "2026-09-30",
    "cycle": "quarterly",
    "period": "2026Q3",
    "parameters": {"resolved": {"policy": {
        "levels": [{"id": "ordinary", "label": "普通客户"},
                   {"id": "potential", "label": "潜力客户"},
                   {"id": "core", "label": "核心客户"}, {"id": "vip", "label": "VIP客户"}],
    }}},
}
CLASSIFICATION = """client_id,level,computed_level,previous_level,category
001,vip,vip,vip,aggressive
002,vip,vip,vip,balanced
003,core,core,core,balanced
004,core,core,,conservative
005,potential,potential,potential,balanced
006,ordinary,ordinary,ordinary,unassessed
007,ordinary,ordinary,ordinary,balanced
008,ordinary,ordinary,ordinary,balanced
009,ordinary,ordinary,ordinary,balanced
010,ordinary,ordinary,ordinary,balanced
"""
# as of 2026-09-30; 003 and 010 never traded; 008 traded, but not in the window
RFM = """client_id,last_trade_date,recency_days,frequency,monetary,r,f,m,rfm_code,segment
001,2026-03-14,200,1,300000.0,1,1,3,113,重要挽留客户
002,2026-09-28,2,6,2000000.0,5,5,5,555,重要价值客户
003,,,0,0.0,,,,000,无交易客户
004,2026-07-02,90,2,150000.0,2,2,2,222,一般挽留客户
005,2026-01-01,272,1,50000.0,1,1,1,111,一般挽留客户
006,2026-09-01,29,4,500000.0,4,4,4,444,重要价值客户
007,2026-09-25,5,8,20000.0,5,5,1,551,一般价值客户
008,2025-06-30,457,0,0.0,1,1,1,111,一般挽留客户
009,2026-05-03,150,1,900000.0,1,1,5,115,重要挽留客户
010,,,0,0.0,,,,000,无交易客户
"""
CLIENTS = """client_id,name,client_type,open_date
001,张三丰,individual,2020-01-01
002,李四海,individual,2021-01-01
003,王五岳,individual,2022-01-01
004,赵六合,individual,2023-01-01
005,钱七星,individual,2024-01-01
006,孙八方,individual,2025-01-01
007,周九州,individual,2025-02-01
008,吴十全,individual,2025-03-01
009,郑百川,individual,2025-04-01
010,冯千里,individual,2025-05-01
"""
LEVELS = ["VIP客户 (vip)", "核心客户 (core)", "潜力客户 (potential)", "普通客户 (ordinary)"]


def write_run(folder: Path, *, rfm: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST, ensure_ascii=False),
                                          encoding="utf-8")
    write_text(folder / "classification.csv", CLASSIFICATION)
    write_text(folder / "excluded.csv", "client_id,reason\n")
    write_text(folder / "findings.csv", "client_id,table,row,finding,detail\n")
    if rfm:
        write_text(folder / "rfm.csv", RFM)
    return folder


def write_data(folder: Path) -> Path:
    return write_clients(folder, CLIENTS)


@pytest.fixture
def run(tmp_path) -> ar.ActivityRun:
    return ar.load_activity_run(write_run(tmp_path / "run"), write_data(tmp_path / "data"))


@pytest.fixture
def bare(tmp_path) -> ar.ActivityRun:
    """A folder written before activity was scored: no rfm.csv, no input folder."""
    return ar.load_activity_run(write_run(tmp_path / "bare", rfm=False), "")


def test_load_reads_rfm_with_integer_scores(run):
    assert run.missing == ()
    assert len(run.rfm) == 10
    assert str(run.rfm["r"].dtype) == "Int64"
    assert run.rfm.loc[2, "r"] is pd.NA
    assert run.rfm.loc[8, "monetary"] == 900000.0
    assert run.clients is not None


def test_headline(run):
    assert ar.headline(run) == {
        "客户数 (clients)": "10",
        "窗口内有交易 (traded in the window)": "7",
        "无交易客户 (no transactions)": "2",
        "距上次交易天数中位数 (median recency, days)": "120",  # (90 + 150) / 2
        "流失预警 (churn warnings)": "3",
        "潜力客户候选 (potential candidates)": "3",
        "缺少的表 (missing files)": "—",
    }


def test_segments_by_level_in_the_scheme_order_with_totals(run):
    table = ar.segments(run)
    assert table.attrs["title"] == "客户分群 × 客户级别 (segments by level)"
    expected = pd.DataFrame(
        [[1, 0, 0, 1, 2],  # 重要价值: 002 vip, 006 ordinary
         [0, 0, 0, 0, 0],
         [0, 0, 0, 0, 0],
         [1, 0, 0, 1, 2],  # 重要挽留: 001 vip, 009 ordinary
         [0, 0, 0, 1, 1],  # 一般价值: 007
         [0, 0, 0, 0, 0],
         [0, 0, 0, 0, 0],
         [0, 1, 1, 1, 3],  # 一般挽留: 004 core, 005 potential, 008 ordinary
         [0, 1, 0, 1, 2],  # 无交易: 003 core, 010 ordinary
         [2, 2, 1, 5, 10]],
        index=pd.Index(["重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户",
                        "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户",
                        "无交易客户", "合计"], name=ar.SEGMENT),
        columns=pd.Index([*LEVELS, "合计"], name=ar.LEVEL),
    )
    pd.testing.assert_frame_equal(table, expected)
    assert "合计" not in ar.segments(run, totals=False).columns


def test_score_distribution_counts_clients_with_scores(run):
    table = ar.score_distribution(run)
    expected = pd.DataFrame(
        {"R (recency)": [4, 1, 0, 1, 2], "F (frequency)": [4, 1, 0, 1, 2],
         "M (monetary)": [3, 1, 1, 1, 2]},
        index=pd.Index([1, 2, 3, 4, 5], name=ar.SCORE),
    )
    pd.testing.assert_frame_equal(table, expected)
    assert table.attrs["title"].startswith("R、F、M 得分分布")


def test_churn_list_core_and_vip_with_low_r_or_no_transactions(run):
    table = ar.churn_list(run)
    assert table.attrs["title"] == "流失预警：核心与 VIP 客户 (churn warnings, core and VIP)"
    assert list(table.columns) == ["客户编号", "name", "客户级别", "R 得分", "上次 R 得分",
                                   "距上次交易天数", "上次交易日期", "RFM 代码", "客户分群",
                                   "预警原因", "说明"]
    # vip first; within core, never traded (003) before 90 days (004); 002 (R5) and 005
    # (potential) are not listed
    assert table["客户编号"].tolist() == ["001", "003", "004"]
    assert table["name"].tolist() == ["张三丰", "王五岳", "赵六合"]
    assert table["客户级别"].tolist() == ["VIP客户", "核心客户", "核心客户"]
    assert table["R 得分"].tolist() == [1, pd.NA, 2]
    assert table["上次交易日期"].tolist() == ["2026-03-14", "—", "2026-07-02"]
    assert table["预警原因"].tolist() == ["近度得分低 (R low)", "无交易记录 (no transactions)",
                                      "近度得分低 (R low)"]


def test_churn_list_with_a_cap_keeps_the_vip_then_the_core_client_never_traded(run):
    table = ar.churn_list(run, cap=2)
    assert table["客户编号"].tolist() == ["001", "003"]
    assert table["name"].tolist() == ["张三丰", "王五岳"]
    assert table.attrs["total_rows"] == 3


# churn.csv as a run writes it when the previous official run scored 002 at R 5 and 003 at R 3:
# 002 (now R 5) did not fall, 003 (now no trade) fell; 001 and 004 had no previous score.
CHURN = """client_id,level,r,previous_r,recency_days,last_trade_date,rfm_code,segment,reason,detail
001,vip,1,,200,2026-03-14,113,重要挽留客户,r_low,"R 1 ≤ 2, 200 days since the last trade"
003,core,,3,,,000,无交易客户,r_fell,R 3 → —
004,core,2,,90,2026-07-02,222,一般挽留客户,r_low,"R 2 ≤ 2, 90 days since the last trade"
"""


def test_churn_list_reads_the_runs_churn_file_with_the_previous_score(tmp_path):
    folder = write_run(tmp_path / "run")
    write_text(folder / "churn.csv", CHURN)
    run = ar.load_activity_run(folder, write_data(tmp_path / "data"))
    table = ar.churn_list(run)
    assert table["客户编号"].tolist() == ["001", "003", "004"]
    assert table["上次 R 得分"].tolist() == [pd.NA, 3, pd.NA]
    assert table["预警原因"].tolist() == ["近度得分低 (R low)", "近度得分下降 (R fell)",
                                      "近度得分低 (R low)"]
    assert table["说明"].tolist()[1] == "R 3 → —"


def test_potential_candidates_ordinary_important_or_active_by_monetary(run):
    table = ar.potential_candidates(run)
    assert table.attrs["title"].startswith("潜力客户候选")
    # 009 重要挽留 (900,000), 006 重要价值 (500,000), 007 一般价值 with R5 F5 (20,000);
    # 008 一般挽留 R1 F1 and 010 无交易 are not candidates, nor 002 (vip)
    assert table["客户编号"].tolist() == ["009", "006", "007"]
    assert table["交易金额 (元)"].tolist() == [900000.0, 500000.0, 20000.0]
    assert table["客户分群"].tolist() == ["重要挽留客户", "重要价值客户", "一般价值客户"]
    assert set(table["客户级别"]) == {"普通客户"}
    assert "name" in table


def test_potential_candidates_with_a_cap_keep_the_largest_amount(run):
    table = ar.potential_candidates(run, cap=1)
    assert table["客户编号"].tolist() == ["009"]
    assert table["交易金额 (元)"].tolist() == [900000.0]
    assert table.attrs["total_rows"] == 3
    assert ar.headline(run)["潜力客户候选 (potential candidates)"] == "3"


def test_without_names_the_lists_have_no_name_column(tmp_path):
    run = ar.load_activity_run(write_run(tmp_path / "run"), "")
    assert "name" not in ar.churn_list(run)
    assert "name" not in ar.potential_candidates(run)


def test_a_folder_without_rfm_still_loads(bare):
    assert bare.missing == ("rfm.csv",)
    figures = ar.headline(bare)
    assert figures["客户数 (clients)"] == "0"
    assert figures["距上次交易天数中位数 (median recency, days)"] == "—"
    assert figures["缺少的表 (missing files)"] == "rfm.csv"
    assert ar.churn_list(bare).empty and ar.potential_candidates(bare).empty
    assert int(ar.segments(bare).loc["合计", "合计"]) == 0
    assert int(ar.score_distribution(bare).to_numpy().sum()) == 0


def test_the_notebook_is_a_thin_report_with_the_four_parameters_and_no_outputs():
    assert_thin_report(NOTEBOOK, "# 客户活跃度 (Client activity, RFM)")


@pytest.mark.slow
@pytest.mark.parametrize("with_rfm", [True, False])
def test_the_notebook_runs_on_a_run_folder(tmp_path, with_rfm):
    folder = write_run(tmp_path / "run", rfm=with_rfm)
    data = write_data(tmp_path / "data")
    text = executed_outputs(NOTEBOOK, folder, data, tmp_path)
    assert "流失预警" in text
    assert "张三丰" not in text and "郑百川" not in text  # names masked
    if with_rfm:
        assert "张**" in text or "张*" in text
    else:
        assert "rfm.csv" in text  # the headline names the missing file


def test_scorecard_agreement_counts_grades_by_level_and_states_the_share(tmp_path):
    folder = write_run(tmp_path / "run")
    # grades for the ten clients: 001 A (vip: agrees), 002 B (vip: no), 003 B (core: agrees),
    # 004 C (core: no), 005 C (potential: agrees), 006-010 D (ordinary: all five agree)
    grades = ["A", "B", "B", "C", "C", "D", "D", "D", "D", "D"]
    rows = "".join(f"{i:03d},{g}\n" for i, g in enumerate(grades, start=1))
    write_text(folder / "scorecard.csv", "client_id,grade\n" + rows)
    table = ar.scorecard_agreement(ar.load_activity_run(folder))
    assert list(table.index) == ["A", "B", "C", "D"]
    assert table.to_numpy().tolist() == [  # columns: vip, core, potential, ordinary
        [1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 5]]
    assert "一致率 80.0%" in table.attrs["title"]  # 8 of 10 agree


def test_scorecard_agreement_is_empty_without_a_scorecard(run):
    assert ar.scorecard_agreement(run).empty
