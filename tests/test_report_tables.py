"""Report tables: small literal run folders, written by hand, and tables counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from report_helpers import write_text
from tiering import report_tables as rt

CLASSIFICATION_HEADER = (
    "client_id,as_of,cycle,level,level_label,tier,tier_label,category,category_label,"
    "class_code,class_label,avg_assets_last_year,avg_assets_ytd,mgmt_fee_last_year,"
    "computed_level,previous_level,change,override,assessment_date,assessment_expired,score,"
    "lowest_category,reasons"
)
OVERRIDE_NOTE = ("ordinary: no other tier applies | override: level set to potential "
                 "(渠道合作（试行），按潜力客户服务), approved by 总经理 陈志远, "
                 "effective 2026-01-05 to open")

# id, level, computed, previous, change, category, last year, ytd, fee, override, expired, date
CLIENTS = [
    ("00001", "vip", "vip", "vip", "unchanged", "aggressive", 6_000_000, 6_500_000, 60_000,
     False, False, "2025-01-10"),
    ("00002", "vip", "vip", "core", "upgrade", "balanced", 3_000_000, 5_500_000, 20_000,
     False, False, "2025-03-01"),
    ("00003", "core", "core", "core", "unchanged", "balanced", 1_000_000, 900_000, 5_000,
     False, True, "2023-01-05"),
    ("00004", "core", "potential", "core", "held", "conservative", 400_000, 300_000, 2_000,
     False, False, "2025-06-01"),
    ("00005", "core", "core", "", "new", "unassessed", 700_000, 800_000, 4_000,
     False, False, ""),
    ("00006", "potential", "ordinary", "potential", "unchanged", "conservative", 50_000,
     60_000, 500, True, False, "2025-08-08"),
    ("00007", "ordinary", "ordinary", "potential", "downgrade", "balanced", 80_000, 70_000,
     800, False, False, "2024-12-01"),
    ("00008", "ordinary", "ordinary", "", "new", "unassessed", 10_000, 20_000, 0,
     False, False, ""),
]
LABELS = {"vip": "VIP客户", "core": "核心客户", "potential": "潜力客户", "ordinary": "普通客户",
          "conservative": "保守型", "balanced": "稳健型", "aggressive": "积极型",
          "unassessed": "未评估"}
LEVEL_ROWS = ["VIP客户 (vip)", "核心客户 (core)", "潜力客户 (potential)", "普通客户 (ordinary)"]
CATEGORY_COLUMNS = ["保守型 (conservative)", "稳健型 (balanced)", "积极型 (aggressive)",
                    "未评估 (unassessed)"]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _classification_csv() -> str:
    lines = [CLASSIFICATION_HEADER]
    for (cid, level, computed, previous, change, cat, last, ytd, fee, override, expired,
         day) in CLIENTS:
        reasons = OVERRIDE_NOTE if override else f"{computed}: rule"
        code = "unassessed" if cat == "unassessed" else f"{level}/{cat}"
        lines.append(",".join([
            cid, "2026-09-30", "quarterly", level, LABELS[level], computed, LABELS[computed],
            cat, LABELS[cat], code, f"{LABELS[level]}-{LABELS[cat]}", f"{last:.2f}",
            f"{ytd:.2f}", f"{fee:.2f}", computed, previous, change, _bool(override), day,
            _bool(expired), "" if cat == "unassessed" else "50", "false", f"\"{reasons}\"",
        ]))
    return "\n".join(lines) + "\n"


def _manifest(**changes: object) -> dict:
    manifest = {
        "as_of": "2026-09-30",
        "cycle": "quarterly",
        "due_date": "2026-10-10",
        "calendar_official": True,
        "official": True,
        "code_version": "0.1.0 (abcdef123456)",
        "parameters": {
            "file": "policy-2017.yaml",
            "version": "2017.1",
            "hash": "0123456789abcdef0123",
            "warnings": [],
            "resolved": {"policy": {
                "levels": [{"id": "ordinary", "label": "普通客户"},
                           {"id": "potential", "label": "潜力客户"},
                           {"id": "core", "label": "核心客户"},
                           {"id": "vip", "label": "VIP客户"}],
                "risk": {"scale": "three_band", "unassessed_label": "未评估",
                         "three_band": [{"id": "conservative", "label": "保守型"},
                                        {"id": "balanced", "label": "稳健型"},
                                        {"id": "aggressive", "label": "积极型"}]},
            }},
        },
        "inputs": {"clients": {"file": "clients.csv", "sha256": "x", "rows": 12},
                   "daily_assets": {"file": "daily_assets.parquet", "sha256": "y", "rows": 100}},
        "rows": {"left_out_after_as_of": {"daily_assets": 10}, "quarantined": {"clients": 1},
                 "classified": 8, "excluded": 3, "findings": 3},
    }
    manifest.update(changes)
    return manifest


def write_run(folder: Path, *, manifest: dict | None = None,
              overrides_applied: str | None = None, quarantine: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "classification.csv", _classification_csv())
    write_text(folder / "excluded.csv",
           "client_id,reason\n"
           "00009,closed on 2026-03-01\n"
           "00010,opened after the as-of date (2026-10-08)\n"
           "00011,quarantined: open_date not a date\n")
    write_text(folder / "findings.csv",
           "client_id,table,row,finding,detail\n"
           "00001,clients,2,recorded_category_mismatch,recorded conservative but aggressive\n"
           "00003,risk_assessments,10,score_mismatch,given score 50 but the answers score 48\n"
           "00007,risk_assessments,12,unsigned,questionnaire not signed by the client\n")
    if overrides_applied is not None:
        write_text(folder / "overrides_applied.csv", overrides_applied)
    if quarantine is not None:
        write_text(folder / "quarantine.csv", quarantine)
    (folder / "manifest.json").write_text(json.dumps(manifest or _manifest(), ensure_ascii=False),
                                          encoding="utf-8")
    return folder


def write_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["client_id,name,client_type,open_date,branch,manager_id,phone,id_number"]
    for i in range(1, 9):
        rows.append(f"0000{i},客户{i},individual,2020-01-01,上海,M00{i % 2 + 1},"
                    f"1380000000{i},11010119800101000{i}")
    write_text(folder / "clients.csv", "\n".join(rows) + "\n")
    return folder


@pytest.fixture
def run(tmp_path: Path) -> rt.RunTables:
    return rt.load_run(write_run(tmp_path / "run"), write_data(tmp_path / "data"))


# --------------------------------------------------------------------------- loading


def test_load_run_reads_ids_as_text_and_flags_as_booleans(run: rt.RunTables) -> None:
    c = run.classification
    assert c["client_id"].tolist()[:2] == ["00001", "00002"]
    assert c["override"].tolist() == [False] * 5 + [True, False, False]
    assert c["avg_assets_last_year"].sum() == 11_240_000
    assert c["previous_level"].isna().sum() == 2
    assert run.overrides_applied is None and run.quarantine is None


def test_load_run_takes_names_from_the_clients_table_only_when_given(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run")
    assert rt.load_run(folder).clients is None
    people = rt.load_run(folder, write_data(tmp_path / "data")).clients
    assert list(people.columns) == ["client_id", "name", "phone", "id_number", "branch",
                                    "manager_id"]
    assert people.loc[people["client_id"] == "00002", "name"].item() == "客户2"


def test_load_run_refuses_an_empty_run_folder_name() -> None:
    with pytest.raises(ValueError, match="run_dir"):
        rt.load_run("")


def test_load_run_reads_only_the_report_columns_unless_asked_for_all(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run")
    assert list(rt.load_run(folder).classification.columns) == [
        "client_id", "level", "category", "avg_assets_last_year", "avg_assets_ytd",
        "mgmt_fee_last_year", "computed_level", "previous_level", "change", "override",
        "assessment_date", "assessment_expired", "reasons"]  # in the file's order
    every = rt.load_run(folder, columns=None).classification
    assert len(every.columns) == 23 and every["tier_label"].iloc[0] == "VIP客户"
    # scores: 50 for the six assessed clients, none for the two unassessed (a float column)
    assert every["score"].tolist()[:2] == [50.0, 50.0] and every["score"].isna().sum() == 2


def test_load_run_reads_a_value_with_a_line_break_inside_quotes(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run")
    write_text(folder / "findings.csv", 'client_id,table,row,finding,detail\n'
               '00001,clients,2,unsigned,"line one\nline two"\n')
    assert rt.load_run(folder).findings["detail"].tolist() == ["line one\nline two"]


def test_numbers_are_whole_when_every_value_is_and_decimal_otherwise() -> None:
    whole = rt._numbers(pd.Series(["1", "-2", "30"], dtype="str"))
    assert whole.dtype == "int64" and whole.tolist() == [1, -2, 30]
    decimal = rt._numbers(pd.Series(["1.50", None, "2"], dtype="str"))
    assert decimal.dtype == "float64" and decimal.tolist()[::2] == [1.5, 2.0]
    assert pd.isna(decimal.iloc[1])


# --------------------------------------------------------------------------- headline


@pytest.mark.parametrize(("cycle", "as_of", "title"), [
    ("quarterly", "2026-09-30", "2026年第三季度（2026Q3）季度评级，基准日 2026-09-30"),
    ("annual", "2025-12-31", "2025年度（2025Q4）年度评级，基准日 2025-12-31"),
    ("monthly", "2026-08-31", "2026年8月月度评级，基准日 2026-08-31"),
    ("adhoc", "2026-09-15", "临时评级，基准日 2026-09-15"),
])
def test_period_title_names_the_period_of_each_cycle(
        tmp_path: Path, cycle: str, as_of: str, title: str) -> None:
    run = rt.load_run(write_run(tmp_path / "run", manifest=_manifest(cycle=cycle, as_of=as_of)))
    assert rt.period_title(run) == title


def test_headline_counts_every_figure_and_says_whether_the_due_date_was_met(
        tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run", manifest=_manifest(run_date="2026-10-09"))
    figures = rt.headline(rt.load_run(folder))
    assert figures == {
        "已分类客户 (classified)": "8", "未纳入客户 (excluded)": "3",
        "VIP客户 (vip)": "2", "核心客户 (core)": "3", "潜力客户 (potential)": "1",
        "普通客户 (ordinary)": "2", "日均资产合计 (2025年, 万元)": "1,124",
        "升级 (upgrade)": "1", "保级 (held)": "1", "降级 (downgrade)": "1", "新客户 (new)": "2",
        "管理费来源 (fee source)": "台账 (ledger)",
        "一致性问题 (findings)": "3", "测评已过期 (expired)": "1", "未评估 (unassessed)": "2",
        "截止日期 (due)": "2026-10-10", "按期完成 (met)": "是",
    }


def test_headline_says_how_many_fees_came_from_each_source_under_max(tmp_path: Path) -> None:
    manifest = _manifest()
    manifest["parameters"]["resolved"]["policy"]["fees"] = {"fee_source": "max"}
    folder = write_run(tmp_path / "run", manifest=manifest)
    table = pd.read_csv(folder / "classification.csv", dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    # eight classified clients: the first three took the derived fee, five the ledger's
    table["mgmt_fee_source"] = ["derived"] * 3 + ["ledger"] * 5
    table.to_csv(folder / "classification.csv", index=False, encoding="utf-8-sig")
    figures = rt.headline(rt.load_run(folder))
    assert figures["管理费来源 (fee source)"] == "取较大者 (max): 台账 5, 推算 3"


@pytest.mark.parametrize(("extra", "met"), [
    ({"run_date": "2026-10-12"}, "否"),
    ({"run_date": "2026-10-12", "due_met": True}, "是"),
    ({"due_met": False}, "否"),
    ({"due_met": None}, "—"),
    ({}, "—"),
])
def test_due_date_met_comes_from_the_manifest_or_from_the_run_date(
        tmp_path: Path, extra: dict, met: str) -> None:
    run = rt.load_run(write_run(tmp_path / "run", manifest=_manifest(**extra)))
    assert rt.headline(run)["按期完成 (met)"] == met
    assert rt.cycle_summary(run).loc["按期完成 (met)", "内容"] == met


# --------------------------------------------------------------------------- matrices


def test_class_matrix_counts_levels_high_to_low_by_categories_in_band_order(
        run: rt.RunTables) -> None:
    expected = pd.DataFrame(
        [[0, 1, 1, 0, 2],
         [1, 1, 0, 1, 3],
         [1, 0, 0, 0, 1],
         [0, 1, 0, 1, 2],
         [2, 3, 1, 2, 8]],
        index=[*LEVEL_ROWS, "合计"], columns=[*CATEGORY_COLUMNS, "合计"])
    got = rt.class_matrix(run)
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_dtype=False)
    assert got.attrs["title"] == "级别 × 类别：客户数"


def test_class_matrix_of_assets_sums_last_years_daily_average_and_says_so(
        run: rt.RunTables) -> None:
    expected = pd.DataFrame(
        [[0, 3_000_000, 6_000_000, 0, 9_000_000],
         [400_000, 1_000_000, 0, 700_000, 2_100_000],
         [50_000, 0, 0, 0, 50_000],
         [0, 80_000, 0, 10_000, 90_000],
         [450_000, 4_080_000, 6_000_000, 710_000, 11_240_000]],
        index=[*LEVEL_ROWS, "合计"], columns=[*CATEGORY_COLUMNS, "合计"], dtype=float)
    got = rt.class_matrix(run, "assets")
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    assert "上一完整年度 2025 年" in got.attrs["title"]


def test_class_matrix_of_year_to_date_assets_without_totals(run: rt.RunTables) -> None:
    got = rt.class_matrix(run, "assets", period="ytd", totals=False)
    assert list(got.index) == LEVEL_ROWS and list(got.columns) == CATEGORY_COLUMNS
    assert got.loc["VIP客户 (vip)", "积极型 (aggressive)"] == 6_500_000
    assert got.to_numpy().sum() == 6_500_000 + 5_500_000 + 900_000 + 300_000 + 800_000 \
        + 60_000 + 70_000 + 20_000
    assert "2026 年初至 2026-09-30" in got.attrs["title"]


def test_class_matrix_of_assets_in_ten_thousands_divides_and_names_the_unit(
        run: rt.RunTables) -> None:
    got = rt.class_matrix(run, "assets", unit="万元")
    assert got.loc["合计", "合计"] == 1_124
    assert got.loc["普通客户 (ordinary)", "未评估 (unassessed)"] == 1
    assert got.attrs["title"].endswith("，万元）")
    with pytest.raises(ValueError, match="万元"):
        rt.class_matrix(run, "assets", unit="USD")


def test_class_matrix_refuses_an_unknown_value(run: rt.RunTables) -> None:
    with pytest.raises(ValueError, match="count"):
        rt.class_matrix(run, "fees")


def test_class_matrix_follows_the_five_level_scale_when_the_policy_uses_it(
        tmp_path: Path) -> None:
    manifest = _manifest()
    risk = manifest["parameters"]["resolved"]["policy"]["risk"]
    risk["scale"] = "five_level"
    risk["five_level"] = [{"id": f"C{i}", "label": f"C{i}级"} for i in range(1, 6)]
    got = rt.class_matrix(rt.load_run(write_run(tmp_path / "run", manifest=manifest)))
    # the categories of the data that the scale does not know are kept, never dropped
    assert list(got.columns) == ["C1级 (C1)", "C2级 (C2)", "C3级 (C3)", "C4级 (C4)",
                                 "C5级 (C5)", "aggressive", "balanced", "conservative",
                                 "未评估 (unassessed)", "合计"]
    assert got.loc["合计", "合计"] == 8


def test_assets_by_level_totals_and_means_per_level(run: rt.RunTables) -> None:
    expected = pd.DataFrame(
        {"客户数": [2, 3, 1, 2, 8],
         "日均资产合计": [9_000_000, 2_100_000, 50_000, 90_000, 11_240_000],
         "日均资产均值": [4_500_000, 700_000, 50_000, 45_000, 1_405_000],
         "管理费合计": [80_000, 11_000, 500, 800, 92_300]},
        index=[*LEVEL_ROWS, "合计"])
    got = rt.assets_by_level(run)
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_dtype=False)
    assert list(rt.assets_by_level(run, totals=False).index) == LEVEL_ROWS


def test_assets_by_level_in_ten_thousands(run: rt.RunTables) -> None:
    got = rt.assets_by_level(run, unit="万元")
    assert got.loc["合计"].tolist() == pytest.approx([8, 1_124, 140.5, 9.23])
    assert got.attrs["title"] == "各级别日均资产与管理费（上一完整年度 2025 年，万元）"


def test_assets_by_level_lists_a_level_nobody_holds_with_zero(tmp_path: Path) -> None:
    manifest = _manifest()
    levels = manifest["parameters"]["resolved"]["policy"]["levels"]
    levels.append({"id": "diamond", "label": "钻石客户"})
    got = rt.assets_by_level(rt.load_run(write_run(tmp_path / "run", manifest=manifest)))
    assert got.index[0] == "钻石客户 (diamond)"
    assert got.loc["钻石客户 (diamond)", "客户数"] == 0
    assert got.loc["钻石客户 (diamond)", "日均资产合计"] == 0


def test_migration_matrix_puts_clients_without_a_previous_level_in_a_new_row(
        run: rt.RunTables) -> None:
    expected = pd.DataFrame(
        [[1, 0, 0, 0, 1],
         [1, 2, 0, 0, 3],
         [0, 0, 1, 1, 2],
         [0, 0, 0, 0, 0],
         [0, 1, 0, 1, 2],
         [2, 3, 1, 2, 8]],
        index=[*LEVEL_ROWS, "新客户 (new)", "合计"], columns=[*LEVEL_ROWS, "合计"])
    pd.testing.assert_frame_equal(rt.migration_matrix(run), expected, check_names=False,
                                  check_dtype=False)


# --------------------------------------------------------------------------- lists


def test_changes_lists_upgrades_with_raw_names_for_the_display_to_mask(
        run: rt.RunTables) -> None:
    got = rt.changes(run, "upgrade")
    assert list(got.columns) == ["客户编号", "name", "营业部", "客户经理", "上期级别", "规则级别",
                                 "本期级别", "依据"]
    assert got.iloc[0].tolist() == ["00002", "客户2", "上海", "M001", "核心客户", "VIP客户",
                                    "VIP客户", "vip: rule"]


def test_changes_lists_held_clients_with_the_level_the_rules_give(run: rt.RunTables) -> None:
    got = rt.changes(run, "held")
    assert got[["客户编号", "规则级别", "本期级别"]].values.tolist() == [
        ["00004", "潜力客户", "核心客户"]]


def test_changes_orders_new_clients_by_level_high_to_low(run: rt.RunTables) -> None:
    got = rt.changes(run, "new")
    assert got["客户编号"].tolist() == ["00005", "00008"]
    assert got["上期级别"].tolist() == ["—", "—"]
    assert rt.changes(run, "downgrade")["客户编号"].tolist() == ["00007"]


def test_changes_with_a_cap_keep_the_highest_level_and_count_them_all(
        run: rt.RunTables) -> None:
    got = rt.changes(run, "new", cap=1)
    assert got["客户编号"].tolist() == ["00005"]  # core before ordinary 00008
    assert got["name"].tolist() == ["客户5"]
    assert got.attrs["total_rows"] == 2
    assert "total_rows" not in rt.changes(run, "new").attrs


def test_changes_without_the_clients_table_leaves_names_empty(tmp_path: Path) -> None:
    got = rt.changes(rt.load_run(write_run(tmp_path / "run")), "upgrade")
    assert got["name"].isna().all() and got["客户编号"].tolist() == ["00002"]


def test_changes_refuses_an_unknown_kind(run: rt.RunTables) -> None:
    with pytest.raises(ValueError, match="upgrade"):
        rt.changes(run, "promoted")


def test_overrides_are_read_back_from_the_reasons_when_no_file_lists_them(
        run: rt.RunTables) -> None:
    got = rt.overrides(run)
    assert got.values.tolist() == [["00006", "客户6", "潜力客户", "普通客户",
                                    "渠道合作（试行），按潜力客户服务", "总经理 陈志远",
                                    "2026-01-05", "长期"]]


def test_overrides_come_from_overrides_applied_when_the_run_wrote_it(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run", overrides_applied=(
        "client_id,level,reason,approved_by,effective_from,effective_to\n"
        "00008,potential,投诉处理,合规负责人 刘静,2026-08-31,2027-08-31\n"
        "00006,potential,渠道合作,总经理 陈志远,2026-01-05,\n"))
    got = rt.overrides(rt.load_run(folder))
    assert got[["客户编号", "本期级别", "规则级别", "调整原因", "到期日期"]].values.tolist() == [
        ["00006", "潜力客户", "普通客户", "渠道合作", "长期"],
        ["00008", "潜力客户", "普通客户", "投诉处理", "2027-08-31"],
    ]


def test_overrides_with_a_cap_keep_the_first_by_client_id(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run", overrides_applied=(
        "client_id,level,reason,approved_by,effective_from,effective_to\n"
        "00008,potential,投诉处理,合规负责人 刘静,2026-08-31,2027-08-31\n"
        "00006,potential,渠道合作,总经理 陈志远,2026-01-05,\n"))
    got = rt.overrides(rt.load_run(folder), cap=1)
    assert got[["客户编号", "规则级别", "调整原因"]].values.tolist() == [
        ["00006", "普通客户", "渠道合作"]]
    assert got.attrs["total_rows"] == 2


def test_assessments_due_lists_expired_and_unassessed_clients(run: rt.RunTables) -> None:
    got = rt.assessments_due(run)
    assert got[["客户编号", "本期级别", "风险类别", "测评日期", "状态"]].values.tolist() == [
        ["00003", "核心客户", "稳健型", "2023-01-05", "已过期"],
        ["00005", "核心客户", "未评估", "—", "未评估"],
        ["00008", "普通客户", "未评估", "—", "未评估"],
    ]


def test_assessments_due_with_a_cap_cut_inside_a_level_by_status(run: rt.RunTables) -> None:
    got = rt.assessments_due(run, cap=1)
    # core: 00003 已过期 sorts before 00005 未评估 (已 U+5DF2 before 未 U+672A)
    assert got[["客户编号", "状态", "name"]].values.tolist() == [["00003", "已过期", "客户3"]]
    assert got.attrs["total_rows"] == 3


def test_findings_carry_names_and_a_chinese_description(run: rt.RunTables) -> None:
    got = rt.findings(run)
    assert got["客户编号"].tolist() == ["00003", "00007", "00001"]
    assert got["name"].tolist() == ["客户3", "客户7", "客户1"]
    assert got["行号"].tolist() == [10, 12, 2]
    assert got["问题说明"].iloc[1] == rt.FINDINGS["unsigned"]


def test_findings_with_a_cap_keep_the_first_kinds(run: rt.RunTables) -> None:
    got = rt.findings(run, cap=2)
    assert got["客户编号"].tolist() == ["00003", "00007"]
    assert got.attrs["total_rows"] == 3


def test_findings_summary_counts_each_kind_and_totals(run: rt.RunTables) -> None:
    got = rt.findings_summary(run)
    assert got[["问题类型", "数量"]].values.tolist() == [
        ["score_mismatch", 1], ["unsigned", 1], ["recorded_category_mismatch", 1],
        ["合计", 3]]


# --------------------------------------------------------------------------- data and cycle


def test_data_quality_lists_every_input_table_with_rows_read_left_out_and_quarantined(
        run: rt.RunTables) -> None:
    got = rt.data_quality(run).set_index("数据表")
    assert got.loc["客户 (clients)"].tolist() == ["clients.csv", 12, 0, 1, 11]
    assert got.loc["每日资产 (daily_assets)"].tolist() == ["daily_assets.parquet", 100, 10, 0, 90]
    assert got.loc["费用 (fees)"].tolist() == ["未提供 (none)", 0, 0, 0, 0]
    assert len(got) == 12


def test_excluded_by_reason_counts_closed_late_and_quarantined_clients(
        run: rt.RunTables) -> None:
    assert rt.excluded_by_reason(run).values.tolist() == [
        ["已销户 (closed)", 1], ["基准日后开户 (opened after as-of)", 1],
        ["数据隔离 (quarantined)", 1], ["合计", 3]]


def test_quarantined_rows_are_listed_by_table_and_row(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run", quarantine=(
        "table,row,client_id,column,value,problem\n"
        "clients,12,00011,open_date,2026-13-01,not a date\n"
        "clients,3,00002,phone,x,not a phone\n"))
    got = rt.quarantined(rt.load_run(folder))
    assert got["行号"].tolist() == [3, 12]
    assert rt.quarantined(rt.load_run(write_run(tmp_path / "none"))).empty


def test_quarantined_reads_an_empty_quarantine_file_without_a_client_column(
        tmp_path: Path) -> None:
    folder = write_run(tmp_path / "run", quarantine="table,row,column,value,problem\n")
    got = rt.quarantined(rt.load_run(folder))
    assert got.empty and list(got.columns) == ["数据表", "行号", "客户编号", "列", "值", "问题"]


def test_cycle_summary_names_the_cycle_in_chinese_and_shortens_the_hash(
        tmp_path: Path) -> None:
    run = rt.load_run(write_run(tmp_path / "run", manifest=_manifest(run_date="2026-10-09")))
    got = rt.cycle_summary(run)["内容"]
    assert got["评级周期 (cycle)"] == "季度 (quarterly)"
    assert got["截止日期 (due date)"] == "2026-10-10"
    assert got["运行日期 (run date)"] == "2026-10-09"
    assert got["参数哈希 (hash)"] == "0123456789ab"
    assert got["代码版本 (code version)"] == "0.1.0 (abcdef123456)"


def test_cycle_summary_of_an_adhoc_run_has_no_due_date(tmp_path: Path) -> None:
    manifest = _manifest(cycle="adhoc", due_date=None, official=False, due_met=None)
    got = rt.cycle_summary(rt.load_run(write_run(tmp_path / "run", manifest=manifest)))["内容"]
    assert got["评级周期 (cycle)"] == "临时评级 (adhoc)"
    assert got["截止日期 (due date)"] == "—"
    assert got["按期完成 (met)"] == "—"
    assert got["正式评级 (official)"] == "否"


def test_cycle_summary_warns_when_the_calendar_is_not_official(tmp_path: Path) -> None:
    manifest = _manifest(calendar_official=False)
    got = rt.cycle_summary(rt.load_run(write_run(tmp_path / "run", manifest=manifest)))["内容"]
    assert "非官方日历" in got["截止日期 (due date)"]
