"""`tiering diff`: who moved between two runs (SPEC 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tiering.cli import main
from tiering.diff import (
    DEFAULT_LEVELS,
    changes,
    diff_runs,
    format_report,
    format_table,
    level_order,
    load_classification,
    migration,
    movement_counts,
)
from tiering.loading import InputFileError

PARAMS = str(Path(__file__).parents[1] / "params")
HEADER = "client_id,as_of,level,tier,category,class_code,reasons\n"
LEVELS = [{"id": "ordinary", "label": "普通客户"}, {"id": "potential", "label": "潜力客户"},
          {"id": "core", "label": "核心客户"}, {"id": "vip", "label": "VIP客户"}]

# Hand-written runs. 0001 upgrade, 0002 downgrade, 0003 category only, 0004 only in A,
# 0005 only in B, 0006 unchanged, 0007 tier only (core_a -> core_b: not a change).
RUN_A_ROWS = (
    "0001,2026-09-30,ordinary,ordinary,balanced,ordinary/balanced,ordinary: no other tier\n"
    "0002,2026-09-30,vip,vip,aggressive,vip/aggressive,vip: avg_assets 4500000 > 3000000\n"
    "0003,2026-09-30,core,core_b,conservative,core/conservative,core_b: assets\n"
    "0004,2026-09-30,potential,potential,balanced,potential/balanced,potential: assets\n"
    "0006,2026-09-30,core,core_a,balanced,core/balanced,core_a: fee\n"
    "0007,2026-09-30,core,core_a,balanced,core/balanced,core_a: fee\n"
)
RUN_B_ROWS = (
    "0001,2026-09-30,potential,potential,balanced,potential/balanced,potential: assets\n"
    "0002,2026-09-30,core,core_b,aggressive,core/aggressive,core_b: assets\n"
    "0003,2026-09-30,core,core_b,balanced,core/balanced,core_b: assets\n"
    "0005,2026-09-30,ordinary,ordinary,conservative,ordinary/conservative,ordinary: new\n"
    "0006,2026-09-30,core,core_a,balanced,core/balanced,core_a: fee\n"
    "0007,2026-09-30,core,core_b,balanced,core/balanced,core_b: assets\n"
)


def manifest(period: str, cycle: str, version: str, digest: str, overrides: list[str],
             levels: list | None = LEVELS) -> dict:
    parameters = {"version": version, "hash": digest, "overrides": overrides}
    if levels is not None:
        parameters["resolved"] = {"policy": {"levels": levels}}
    return {"period": period, "as_of": "2026-09-30", "cycle": cycle, "parameters": parameters}


def write_run(folder: Path, rows: str, meta: dict, header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "classification.csv").write_bytes((header + rows).encode("utf-8-sig"))
    (folder / "manifest.json").write_text(json.dumps(meta, ensure_ascii=False),
                                          encoding="utf-8")
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    official = write_run(tmp_path / "2026Q3", RUN_A_ROWS,
                         manifest("2026Q3", "quarterly", "2017.1", "e1b763f163f2" + "a" * 52, []))
    whatif = write_run(tmp_path / "whatif", RUN_B_ROWS,
                       manifest("adhoc-2026-09-30", "adhoc", "2017.1", "019c06bdb2ae" + "b" * 52,
                                ["tiers.vip.min_avg_assets=3000000"]))
    return official, whatif


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


# --------------------------------------------------------------------------- core


def test_migration_counts_each_client_once_by_level_in_a_and_b(runs):
    (a, _), (b, _) = load_classification(runs[0]), load_classification(runs[1])
    matrix = migration(a, b, DEFAULT_LEVELS)
    labels = ["ordinary", "potential", "core", "vip", "absent", "total"]
    assert list(matrix.index) == labels
    assert list(matrix.columns) == labels
    expected = [  # ordinary potential core vip absent total
        [0, 1, 0, 0, 0, 1],  # ordinary: 0001 -> potential
        [0, 0, 0, 0, 1, 1],  # potential: 0004 only in A
        [0, 0, 3, 0, 0, 3],  # core: 0003, 0006, 0007 stay core
        [0, 0, 1, 0, 0, 1],  # vip: 0002 -> core
        [1, 0, 0, 0, 0, 1],  # absent: 0005 only in B
        [1, 1, 4, 0, 1, 7],
    ]
    assert matrix.to_numpy().tolist() == expected


def test_changes_lists_level_and_category_moves_and_clients_in_one_run_only(runs):
    (a, _), (b, _) = load_classification(runs[0]), load_classification(runs[1])
    changed = changes(a, b, DEFAULT_LEVELS)
    assert list(changed.columns) == ["client_id", "level_a", "level_b", "category_a",
                                     "category_b", "tier_a", "tier_b", "movement",
                                     "reasons_a", "reasons_b"]
    rows = changed[["client_id", "level_a", "level_b", "category_a", "category_b",
                    "movement"]].to_numpy().tolist()
    assert rows == [
        ["0001", "ordinary", "potential", "balanced", "balanced", "upgrade"],
        ["0002", "vip", "core", "aggressive", "aggressive", "downgrade"],
        ["0003", "core", "core", "conservative", "balanced", "category"],
        ["0004", "potential", None, "balanced", None, "only_in_a"],
        ["0005", None, "ordinary", None, "conservative", "only_in_b"],
    ]
    assert changed.loc[1, "reasons_a"] == "vip: avg_assets 4500000 > 3000000"
    assert changed.loc[1, "tier_b"] == "core_b"
    assert movement_counts(changed) == {"upgrade": 1, "downgrade": 1, "category": 1,
                                        "only_in_a": 1, "only_in_b": 1}


def test_changes_ranks_levels_by_the_given_order_not_the_default():
    a = pd.DataFrame({"client_id": ["1"], "level": ["vip"], "category": ["x"], "tier": ["vip"],
                      "reasons": [""]})
    b = a.assign(level="core", tier="core")
    assert changes(a, b, ["vip", "core"])["movement"].tolist() == ["upgrade"]
    assert changes(a, b)["movement"].tolist() == ["downgrade"]


def test_identical_runs_have_no_changes_and_a_diagonal_matrix(runs):
    a, _ = load_classification(runs[0])
    assert changes(a, a).empty
    matrix = migration(a, a, DEFAULT_LEVELS)
    assert matrix.loc["absent", "total"] == 0
    assert matrix.loc["core", "core"] == 3 and matrix.loc["total", "total"] == 6


def test_migration_refuses_a_level_outside_the_order(runs):
    a, _ = load_classification(runs[0])
    with pytest.raises(ValueError, match="vip"):
        migration(a, a, ["ordinary", "potential", "core"])


def test_level_order_comes_from_the_resolved_policy_else_the_default():
    custom = manifest("p", "adhoc", "1", "h", [], levels=[{"id": "basic"}, {"id": "gold"}])
    assert level_order(custom) == ["basic", "gold"]
    assert level_order(manifest("p", "adhoc", "1", "h", [], levels=["a", "b"])) == ["a", "b"]
    assert level_order(manifest("p", "adhoc", "1", "h", [], levels=None)) == list(DEFAULT_LEVELS)
    assert level_order({}, custom) == ["basic", "gold"]


def test_load_classification_keeps_ids_as_text_and_reads_the_manifest(runs):
    frame, meta = load_classification(runs[1])
    assert frame["client_id"].tolist()[:2] == ["0001", "0002"]
    assert meta["parameters"]["overrides"] == ["tiers.vip.min_avg_assets=3000000"]


def test_load_classification_names_the_folder_when_a_file_is_missing(tmp_path):
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"half.*classification\.csv"):
        load_classification(folder)


def test_format_table_right_aligns_numbers_and_left_aligns_text():
    text = format_table(pd.DataFrame({"level": ["core", "vip"], "n": [3, 12]}))
    assert text.splitlines() == ["level   n", "core    3", "vip    12"]


def test_report_shows_only_the_first_changes_up_to_the_limit(runs):
    text = format_report(diff_runs(*runs), limit=2)
    assert "First 2 of 5 changed clients:" in text
    assert "0002" in text and "0003" not in text


# --------------------------------------------------------------------------- command line


def test_diff_prints_both_runs_the_matrix_and_the_changes_and_exits_0(runs):
    official, whatif = runs
    result = invoke("diff", str(official), str(whatif))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "period 2026Q3, cycle quarterly" in out
    assert "period adhoc-2026-09-30, cycle adhoc" in out
    assert "parameters 2017.1 (e1b763f163f2)" in out and "e1b763f163f2a" not in out
    assert "(019c06bdb2ae), overrides: tiers.vip.min_avg_assets=3000000" in out
    assert "overrides: none" in out
    assert "A \\ B      ordinary  potential  core  vip  absent  total" in out
    assert "\nvip               0          0     1    0       0      1\n" in out
    assert "\n0004       only_in_a  potential  -" in out
    assert ("Movements: upgrade 1, downgrade 1, category 1, only_in_a 1, only_in_b 1 "
            "(5 changed)") in out
    assert "0007" not in out  # a tier change within the same level is not a move
    assert f"Written to {whatif / 'diff-2026Q3'}/" in out


def test_diff_writes_the_matrix_and_the_changes_as_csv_with_bom(runs):
    official, whatif = runs
    assert invoke("diff", str(official), str(whatif)).exit_code == 0
    folder = whatif / "diff-2026Q3"
    raw = (folder / "diff_migration.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == (
        "level_a,ordinary,potential,core,vip,absent,total\n"
        "ordinary,0,1,0,0,0,1\n"
        "potential,0,0,0,0,1,1\n"
        "core,0,0,3,0,0,3\n"
        "vip,0,0,1,0,0,1\n"
        "absent,1,0,0,0,0,1\n"
        "total,1,1,4,0,1,7\n")
    changed = read(folder / "diff_changes.csv")
    assert changed["client_id"].tolist() == ["0001", "0002", "0003", "0004", "0005"]
    assert changed["movement"].tolist() == ["upgrade", "downgrade", "category", "only_in_a",
                                            "only_in_b"]
    assert changed.loc[3, "level_b"] == "" and changed.loc[4, "reasons_b"] == "ordinary: new"


def test_diff_writes_to_the_folder_given_by_out(runs, tmp_path):
    out = tmp_path / "elsewhere"
    assert invoke("diff", str(runs[0]), str(runs[1]), "--out", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["diff_changes.csv", "diff_migration.csv"]
    assert not (runs[1] / "diff-2026Q3").exists()


def test_diff_of_a_run_with_itself_says_nobody_moved(runs):
    result = invoke("diff", str(runs[0]), str(runs[0]), "--out", str(runs[0] / "self"))
    assert result.exit_code == 0
    assert "No client moved." in result.output
    assert read(runs[0] / "self" / "diff_changes.csv").empty


def test_diff_of_a_missing_folder_exits_2_naming_it(runs, tmp_path):
    missing = tmp_path / "no-such-run"
    result = invoke("diff", str(runs[0]), str(missing))
    assert result.exit_code == 2
    assert str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_diff_of_a_folder_without_a_manifest_exits_2_naming_it(runs):
    (runs[1] / "manifest.json").unlink()
    result = invoke("diff", str(runs[0]), str(runs[1]))
    assert result.exit_code == 2
    assert str(runs[1]) in result.stderr and "manifest.json" in result.stderr


@pytest.mark.parametrize("damage", ["bad_json", "no_level_column", "unknown_level",
                                    "duplicate_id"])
def test_diff_of_a_malformed_run_exits_2_with_a_message(runs, damage):
    official = runs[0]
    if damage == "bad_json":
        (official / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "no_level_column":
        write_run(official, "0001,ordinary,balanced,x\n", {},
                  header="client_id,tier,category,reasons\n")
    elif damage == "unknown_level":
        write_run(official, "0001,2026-09-30,gold,gold,balanced,gold/balanced,x\n", {})
    else:
        write_run(official, RUN_A_ROWS + RUN_A_ROWS.splitlines(keepends=True)[0], {})
    result = invoke("diff", str(official), str(runs[1]))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and str(official) in result.stderr


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_lower_vip_threshold_only_upgrades_clients_between_the_two_thresholds(tmp_path):
    data = tmp_path / "data"
    assert invoke("sample", "--out", str(data), "--clients", "300",
                  "--params", PARAMS).exit_code == 0
    run_a, run_b = tmp_path / "official", tmp_path / "whatif"
    for out, extra in ((run_a, []), (run_b, ["--set", "tiers.vip.min_avg_assets=3000000"])):
        result = invoke("classify", "--data", str(data), "--as-of", "2026-09-30", "--cycle",
                        "adhoc", "--out", str(out), "--params", PARAMS, "--history",
                        str(tmp_path / "history.sqlite"), *extra)
        assert result.exit_code == 0, result.output
    result = invoke("diff", str(run_a), str(run_b))
    assert result.exit_code == 0, result.output
    assert "overrides: tiers.vip.min_avg_assets=3000000" in result.output

    changed = read(run_b / "diff-official" / "diff_changes.csv")
    assert set(changed["movement"]) <= {"upgrade"}
    assert (changed["level_b"] == "vip").all()
    matrix = read(run_b / "diff-official" / "diff_migration.csv").set_index("level_a")
    for i, level in enumerate(["ordinary", "potential", "core", "vip"]):
        below = matrix.loc[level, ["ordinary", "potential", "core", "vip"][:i]]
        assert (below.astype(int) == 0).all(), f"someone moved down from {level}"

    a = read(run_a / "classification.csv")
    assets = a[["avg_assets_last_year", "avg_assets_ytd"]].astype(float).max(axis=1)
    between = (assets > 3_000_000) & (assets <= 5_000_000) & (a["level"] != "vip")
    # A manual override (classification.csv `override`) pins the level whatever the tiers say.
    pinned = a["override"] == "true"
    assert len(changed) == int((between & ~pinned).sum())
    assert set(changed["client_id"]) == set(a.loc[between & ~pinned, "client_id"])
    b = read(run_b / "classification.csv").set_index("client_id")
    assert (b.loc[a.loc[between & pinned, "client_id"], "computed_level"] == "vip").all()
