"""The command line end to end: classify, validate, sample (SPEC 4, 5)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tiering.cli import main

PARAMS = str(Path(__file__).parents[1] / "params")


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_bytes(text.encode(encoding))


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def classify(data: Path, out: Path, *extra: str, as_of="2026-09-30", cycle="quarterly"):
    return run("classify", "--data", str(data), "--as-of", as_of, "--cycle", cycle,
               "--out", str(out), "--params", PARAMS, "--history",
               str(out.parent / "history.sqlite"), *extra)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Three open clients, one closed, one opened later; balances worked out by hand."""
    data = tmp_path / "data"
    write(data, "clients",
          "client_id,name,client_type,open_date,close_date\n"
          "A,张三,individual,2020-01-01,\n"
          "B,李四,individual,2020-01-01,\n"
          "C,某某投资有限公司,institution,2026-07-01,\n"
          "D,王五,individual,2020-01-01,2026-03-31\n"
          "E,赵六,individual,2026-10-08,\n", encoding="gbk")
    # A: 6,000,000 from 2024 on -> VIP on both years.
    # B: 400,000 all of 2025 -> potential; a row after the as-of date must be left out.
    # C: opened 1 Jul 2026 with 1,000,000 from 1 Aug: YTD open days 1 Jul..30 Sep = 92,
    #    held 1 Aug..30 Sep = 61 days -> 61,000,000 / 92 = 663,043.48 -> core_b.
    write(data, "daily_assets",
          "client_id,date,total_assets\n"
          "A,2024-06-01,6000000\n"
          "B,2024-12-31,400000\n"
          "B,2026-10-01,90000000\n"
          "C,2026-08-01,1000000\n")
    write(data, "risk_assessments",
          "client_id,assessment_date,score,signed\n"
          "A,2025-03-01,80,true\n"
          "B,2024-09-30,30,true\n")
    return data


def test_classify_rates_the_small_set_as_worked_out_by_hand(small: Path, tmp_path: Path):
    out = tmp_path / "out" / "q3"
    result = classify(small, out)
    assert result.exit_code == 0, result.output
    table = read(out / "classification.csv").set_index("client_id")
    assert list(table.index) == ["A", "B", "C"]
    assert table.loc["A", "level"] == "vip" and table.loc["A", "class_code"] == "vip/aggressive"
    assert table.loc["A", "class_label"] == "VIP客户-积极型"
    assert table.loc["A", "score"] == "80"
    assert table.loc["B", "tier"] == "potential"
    assert table.loc["B", "avg_assets_ytd"] == "400000.00"  # the 1 Oct row is left out
    # B assessed 2024-09-30: two years later, on the as-of date, it has expired
    assert table.loc["B", "assessment_expired"] == "true"
    assert table.loc["C", "avg_assets_ytd"] == "663043.48"
    assert table.loc["C", "tier"] == "core_b" and table.loc["C", "category"] == "unassessed"
    assert table.loc["C", "class_code"] == "unassessed"
    excluded = read(out / "excluded.csv")
    assert excluded.values.tolist() == [["D", "closed on 2026-03-31"],
                                        ["E", "opened after the as-of date (2026-10-08)"]]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["due_date"] == "2026-10-10"  # the make-up Saturday after National Day
    assert manifest["rows"]["left_out_after_as_of"]["daily_assets"] == 1
    assert manifest["inputs"]["clients"]["rows"] == 5
    assert len(manifest["inputs"]["clients"]["sha256"]) == 64


def test_clients_listed_out_of_order_give_the_same_bytes_in_client_id_order(small: Path,
                                                                             tmp_path: Path):
    assert classify(small, tmp_path / "o" / "sorted", cycle="adhoc").exit_code == 0
    lines = (small / "clients.csv").read_bytes().decode("gbk").splitlines()
    shuffled = [lines[0], lines[5], lines[3], lines[1], lines[4], lines[2]]  # E D A C B
    write(small, "clients", "\n".join(shuffled) + "\n", encoding="gbk")
    assert classify(small, tmp_path / "o" / "shuffled", cycle="adhoc").exit_code == 0
    for name in ("classification.csv", "excluded.csv"):
        data = (tmp_path / "o" / "shuffled" / name).read_bytes()
        assert data == (tmp_path / "o" / "sorted" / name).read_bytes()
    assert list(read(tmp_path / "o" / "shuffled" / "classification.csv")["client_id"]) == [
        "A", "B", "C"]


def test_outputs_are_utf8_with_bom_and_byte_identical_on_a_rerun(small: Path, tmp_path: Path):
    first, second = tmp_path / "o" / "a", tmp_path / "o" / "b"
    assert classify(small, first, cycle="adhoc").exit_code == 0
    assert classify(small, second, cycle="adhoc").exit_code == 0
    for name in ("classification.csv", "excluded.csv", "findings.csv"):
        data = (first / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data == (second / name).read_bytes()


def runs_in(history: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(history) as con:
        return con.execute("SELECT cycle, as_of FROM runs ORDER BY as_of").fetchall()


def test_history_replaces_a_rerun_and_never_records_adhoc(small: Path, tmp_path: Path):
    out = tmp_path / "o"
    assert classify(small, out / "q3").exit_code == 0
    assert classify(small, out / "q3", cycle="quarterly").exit_code == 0
    assert classify(small, out / "adhoc", cycle="adhoc").exit_code == 0
    assert runs_in(out / "history.sqlite") == [("quarterly", "2026-09-30")]


def test_quarterly_after_annual_holds_a_client_who_qualifies_lower(small: Path,
                                                                    tmp_path: Path):
    out = tmp_path / "o"
    # as of 2025-12-31 A averages 6,000,000 over 2025: vip at the annual rating
    assert classify(small, out / "y2025", as_of="2025-12-31", cycle="annual").exit_code == 0
    # With the VIP bar raised to 7,000,000 (and core B's ceiling with it) A's 6,000,000 now
    # qualifies only for core B; the quarterly rating keeps the vip in force (就高不就低).
    result = classify(small, out / "q3", "--set", "tiers.vip.min_avg_assets=7000000",
                      "--set", "tiers.core_b.max_avg_assets=7000000")
    assert result.exit_code == 0, result.output
    table = read(out / "q3" / "classification.csv").set_index("client_id")
    assert table.loc["A", "computed_level"] == "core"
    assert table.loc["A", "level"] == "vip" and table.loc["A", "change"] == "held"
    assert table.loc["A", "previous_level"] == "vip"
    # C opened in 2026 and was not rated at the annual rating: new
    assert table.loc["C", "change"] == "new"


def test_bad_input_exits_2_names_every_problem_and_writes_nothing(small: Path, tmp_path: Path):
    write(small, "clients",
          "client_id,name,client_type,open_date\n"
          "A,张三,individual,2020-01-01\n"
          "B,李四,person,2020-01-01\n"
          "C,王五,individual,2026-02-30\n")
    out = tmp_path / "o" / "q3"
    result = classify(small, out)
    assert result.exit_code == 2
    assert "clients row 3, column client_type, value 'person'" in result.output
    assert "clients row 4, column open_date, value '2026-02-30': not a date" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not (out.parent / "history.sqlite").exists()


def test_quarantine_sets_bad_rows_aside_and_excludes_their_clients(small: Path,
                                                                   tmp_path: Path):
    write(small, "clients",
          "client_id,name,client_type,open_date\n"
          "A,张三,individual,2020-01-01\n"
          "B,李四,person,2020-01-01\n")
    write(small, "daily_assets",
          "client_id,date,total_assets\nA,2024-06-01,6000000\nA,2024-07-01,-5\n")
    out = tmp_path / "o" / "q3"
    result = classify(small, out, "--quarantine")
    assert result.exit_code == 0, result.output
    held = read(out / "quarantine.csv")
    assert held[["table", "row", "client_id", "column"]].values.tolist() == [
        ["clients", "3", "B", "client_type"],
        ["daily_assets", "3", "A", "total_assets"],
    ]
    excluded = read(out / "excluded.csv")
    assert excluded.loc[0, "client_id"] == "B"
    assert excluded.loc[0, "reason"].startswith("quarantined: client_type")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["quarantined"]["clients"] == 1
    assert manifest["rows"]["quarantined"]["daily_assets"] == 1
    table = read(out / "classification.csv")
    assert table["client_id"].tolist() == ["A"]


def test_as_of_that_does_not_end_the_period_is_refused(small: Path, tmp_path: Path):
    result = classify(small, tmp_path / "o", as_of="2026-09-29")
    assert result.exit_code == 2
    assert "quarter end" in result.output


def test_unknown_parameter_key_is_refused_by_name(small: Path, tmp_path: Path):
    result = classify(small, tmp_path / "o", "--set", "tiers.vip.min_avg_asets=1")
    assert result.exit_code == 2
    assert "min_avg_asets" in result.output and "unknown key" in result.output


def test_missing_clients_table_is_reported(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = classify(tmp_path / "empty", tmp_path / "o")
    assert result.exit_code == 2
    assert "required table missing" in result.output


def test_validate_reports_every_problem_to_a_file(small: Path, tmp_path: Path):
    write(small, "daily_assets",
          "client_id,date,total_assets\nA,2024-06-01,-1\nZ,2024-06-01,5\n")
    report = tmp_path / "problems.csv"
    result = run("validate", "--data", str(small), "--params", PARAMS, "--report", str(report))
    assert result.exit_code == 2
    listed = read(report)[["table", "row", "column", "value"]].values.tolist()
    assert listed == [["daily_assets", "2", "total_assets", "-1"],
                      ["daily_assets", "3", "client_id", "Z"]]


def test_validate_passes_clean_data(small: Path):
    result = run("validate", "--data", str(small), "--params", PARAMS)
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output


@pytest.mark.slow
def test_sample_is_classified_with_every_client_once(tmp_path: Path):
    data, out = tmp_path / "data", tmp_path / "o" / "q3"
    assert run("sample", "--out", str(data), "--clients", "400", "--params",
               PARAMS).exit_code == 0
    result = classify(data, out)
    assert result.exit_code == 0, result.output
    clients = read(data / "clients.csv")["client_id"]
    rated = read(out / "classification.csv")["client_id"]
    excluded = read(out / "excluded.csv")["client_id"]
    both = pd.concat([rated, excluded])
    assert not both.duplicated().any()
    assert set(both) == set(clients)
    levels = set(read(out / "classification.csv")["level"])
    assert levels == {"ordinary", "potential", "core", "vip"}


def test_classify_with_a_recency_score_as_a_potential_criterion(tmp_path: Path):
    data = tmp_path / "data"
    write(data, "clients", "client_id,name,client_type,open_date\n"
                           "X,甲,individual,2020-01-01\n"
                           "Y,乙,individual,2020-01-01\n"
                           "Z,丙,individual,2020-01-01\n")
    write(data, "products", "product_id,name,risk_level\nP1,稳健一号,R2\n")
    # as of 2026-09-30: X's last purchase 2 days before (R 5), Y's 258 days before (R 1),
    # Z never traded (no score); nobody has assets, so only the score can make a potential
    write(data, "transactions", "client_id,trade_date,product_id,side,amount\n"
                                "X,2026-09-28,P1,purchase,10000\n"
                                "Y,2026-01-15,P1,purchase,10000\n")
    out = tmp_path / "out" / "q3"
    result = classify(data, out, "--set", "tiers.potential.min_rfm_r=5")
    assert result.exit_code == 0, result.output
    table = read(out / "classification.csv").set_index("client_id")
    assert table["tier"].to_dict() == {"X": "potential", "Y": "ordinary", "Z": "ordinary"}
    assert table.loc["X", "reasons"].startswith("potential: rfm_r 5 ≥ 5")
    assert "rfm_r 1" in table.loc["Y", "reasons"] and "rfm_r none" in table.loc["Z", "reasons"]


@pytest.fixture
def lots(tmp_path: Path) -> Path:
    """X holds 1,000,000 shares of P (management fee 1.5% a year, NAV 1.0 throughout) from
    31 Dec 2024; the ledger records 9,000 of management fee for X in 2025 and 12,000 for Y,
    who holds no lot."""
    data = tmp_path / "data"
    write(data, "clients", "client_id,name,client_type,open_date\n"
                           "X,甲,individual,2020-01-01\nY,乙,individual,2020-01-01\n")
    write(data, "products", "product_id,name,risk_level,management_fee_rate\n"
                            "P,稳健一号,R3,0.015\n")
    write(data, "nav", "product_id,date,unit_nav,accumulated_nav\nP,2024-12-31,1.0,1.0\n")
    write(data, "transactions", "client_id,trade_date,product_id,side,amount,shares,unit_nav\n"
                                "X,2024-12-31,P,subscribe,1000000,1000000,1.0\n")
    write(data, "fees", "client_id,date,fee_type,amount\n"
                        "X,2025-06-30,management,9000\nY,2025-06-30,management,12000\n")
    return data


# Derived for X: every day of 2025 accrues 1,000,000 x 1.0 x 0.015 / 365 on the previous day's
# holding (the subscription day itself accrues nothing): 365 days -> 15,000.00; 2026 to the
# as-of date, 273 days -> 11,219.18. Core A needs a fee in [10,000, 50,000).
@pytest.mark.parametrize(("source", "fees", "sources", "tiers"), [
    ("ledger", {"X": "9000.00", "Y": "12000.00"}, {"X": "ledger", "Y": "ledger"},
     {"X": "ordinary", "Y": "core_a"}),
    ("derived", {"X": "15000.00", "Y": "0.00"}, {"X": "derived", "Y": "derived"},
     {"X": "core_a", "Y": "ordinary"}),
    ("max", {"X": "15000.00", "Y": "12000.00"}, {"X": "derived", "Y": "ledger"},
     {"X": "core_a", "Y": "core_a"}),
])
def test_fee_source_picks_the_ledger_the_derivation_or_the_larger(
        lots: Path, tmp_path: Path, source: str, fees: dict, sources: dict, tiers: dict):
    out = tmp_path / "out" / source
    result = classify(lots, out, "--set", f"fees.fee_source={source}")
    assert result.exit_code == 0, result.output
    table = read(out / "classification.csv").set_index("client_id")
    assert table["mgmt_fee_last_year"].to_dict() == fees
    assert table["mgmt_fee_source"].to_dict() == sources
    assert table["tier"].to_dict() == tiers
    if source == "ledger":
        assert not (out / "fee_contribution.csv").exists()
    else:
        contribution = read(out / "fee_contribution.csv")
        assert contribution.values.tolist() == [
            ["X", "2025", "15000.00", "0.00", "derived"],
            ["X", "2026", "11219.18", "0.00", "derived"]]
        assert "derived from holdings" in table.loc["X", "reasons"]
