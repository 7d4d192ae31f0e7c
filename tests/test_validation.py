"""Bad input: every defect is named by table, row, column and value; several at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tiering import validation
from tiering.params import load_parameters

PARAMS = Path(__file__).parents[1] / "params"


@pytest.fixture(scope="module")
def params():
    return load_parameters(PARAMS, date(2026, 9, 30))


def raw(rows: list[dict]) -> pd.DataFrame:
    """A table as the loader gives it: strings, indexed by spreadsheet row (header = 1)."""
    frame = pd.DataFrame(rows, dtype=object)
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="row")
    return frame.where(frame.notna(), None)


def clients(*extra: dict) -> pd.DataFrame:
    base = [
        dict(client_id="C1", name="张三", client_type="individual", open_date="2020-01-01"),
        dict(client_id="C2", name="李四", client_type="institution", open_date="2021/03/04"),
    ]
    return raw(base + list(extra))


def problems_of(tables: dict, params=None) -> pd.DataFrame:
    _, problems = validation.validate(tables, params)
    return problems


def one(problems: pd.DataFrame, **where) -> pd.Series:
    hit = problems
    for key, value in where.items():
        hit = hit[hit[key] == value]
    assert len(hit) == 1, f"expected one problem {where}, got:\n{problems.to_string()}"
    return hit.iloc[0]


def test_clean_tables_have_no_problems_and_are_typed(params):
    typed, problems = validation.validate({"clients": clients()}, params)
    assert problems.empty
    assert typed["clients"]["open_date"].tolist() == [pd.Timestamp("2020-01-01"),
                                                      pd.Timestamp("2021-03-04")]


def test_unparseable_date_is_named_by_row_column_and_value():
    bad = clients(dict(client_id="C3", name="王五", client_type="individual",
                       open_date="2026-13-01"))
    p = one(problems_of({"clients": bad}), column="open_date")
    # C3 is the third data row: spreadsheet row 4 (header is row 1)
    assert (p.table, p.row, p.value) == ("clients", 4, "2026-13-01")
    assert "not a date" in p.problem


def test_negative_assets_and_non_numbers_are_reported():
    assets = raw([
        dict(client_id="C1", date="2026-01-05", total_assets="100.5"),
        dict(client_id="C1", date="2026-01-06", total_assets="-1"),
        dict(client_id="C2", date="2026-01-06", total_assets="abc"),
    ])
    problems = problems_of({"clients": clients(), "daily_assets": assets})
    neg = one(problems, column="total_assets", row=3)
    assert neg.value == "-1" and "≥ 0" in neg.problem
    nan = one(problems, column="total_assets", row=4)
    assert nan.value == "abc" and nan.problem == "not a number"


def test_value_outside_its_list_names_the_allowed_values():
    bad = clients(dict(client_id="C3", name="王五", client_type="person", open_date="2020-01-01"))
    p = one(problems_of({"clients": bad}), column="client_type")
    assert p.row == 4 and p.value == "person"
    assert "individual" in p.problem and "institution" in p.problem


def test_missing_required_column_and_unknown_column_are_table_level():
    frame = clients().drop(columns=["open_date"]).assign(clientid="x")
    problems = problems_of({"clients": frame})
    missing = one(problems, column="open_date")
    assert pd.isna(missing.row) and "missing" in missing.problem
    unknown = one(problems, column="clientid")
    assert "unknown column" in unknown.problem
    assert not validation.blocking(problems).empty


def test_duplicate_key_points_at_the_first_occurrence():
    bad = clients(dict(client_id="C1", name="张三", client_type="individual",
                       open_date="2020-01-01"))
    p = one(problems_of({"clients": bad}), column="client_id")
    assert p.row == 4 and "first at row 2" in p.problem


def test_unknown_client_and_product_ids_are_reported():
    products = raw([dict(product_id="P1", name="稳健一号", risk_level="R2")])
    trades = raw([
        dict(client_id="C9", trade_date="2026-02-01", product_id="P1", side="purchase",
             amount="1000"),
        dict(client_id="C1", trade_date="2026-02-01", product_id="P7", side="purchase",
             amount="1000"),
    ])
    problems = problems_of({"clients": clients(), "products": products, "transactions": trades})
    assert one(problems, column="client_id", table="transactions").value == "C9"
    assert one(problems, column="product_id", table="transactions").value == "P7"


def test_category_override_is_refused_with_the_reason(params):
    overrides = raw([dict(client_id="C1", field="category", value="aggressive",
                          reason="客户要求", approved_by="王经理", effective_from="2026-01-01")])
    p = one(problems_of({"clients": clients(), "overrides": overrides}, params),
            table="overrides")
    assert p.row == 2 and p.column == "field"
    assert "cannot be overridden" in p.problem and "questionnaire" in p.problem


def test_overlapping_overrides_of_one_client_are_reported(params):
    overrides = raw([
        dict(client_id="C1", field="level", value="vip", reason="战略客户", approved_by="王",
             effective_from="2026-01-01", effective_to="2026-06-30"),
        dict(client_id="C1", field="level", value="core", reason="调整", approved_by="李",
             effective_from="2026-06-30"),
        dict(client_id="C2", field="level", value="core", reason="调整", approved_by="李",
             effective_from="2026-06-30"),
    ])
    p = one(problems_of({"clients": clients(), "overrides": overrides}, params),
            table="overrides")
    # row 3 starts on 30 June, the last day of row 2's override
    assert p.row == 3 and "overlaps the override at row 2" in p.problem


def test_override_to_an_unknown_level_is_reported(params):
    overrides = raw([dict(client_id="C1", field="level", value="gold", reason="x",
                          approved_by="王", effective_from="2026-01-01")])
    p = one(problems_of({"clients": clients(), "overrides": overrides}, params),
            table="overrides")
    assert p.column == "value" and p.value == "gold"


def test_answer_that_is_not_an_option_and_score_out_of_range(params):
    assessments = raw([
        dict(client_id="C1", assessment_date="2025-05-01", score="101"),
        dict(client_id="C2", assessment_date="2025-05-01", q01="Z"),
    ])
    problems = problems_of({"clients": clients(), "risk_assessments": assessments}, params)
    assert "range 9–100" in one(problems, column="score").problem
    assert one(problems, column="q01").value == "Z"


def test_booleans_accept_common_spellings_and_reject_others():
    assessments = raw([
        dict(client_id="C1", assessment_date="2025-05-01", score="50", signed="是"),
        dict(client_id="C2", assessment_date="2025-05-01", score="50", signed="FALSE"),
        dict(client_id="C2", assessment_date="2025-06-01", score="50", signed="maybe"),
    ])
    typed, problems = validation.validate({"clients": clients(),
                                           "risk_assessments": assessments})
    p = one(problems, column="signed")
    assert p.row == 4 and p.value == "maybe"
    assert typed["risk_assessments"]["signed"].iloc[:2].tolist() == [True, False]


def test_several_defects_at_once_are_all_reported_in_table_then_row_order():
    bad = clients(
        dict(client_id="C3", name="王五", client_type="person", open_date="2020-01-01"),
        dict(client_id="C4", name="赵六", client_type="individual", open_date="yesterday"),
    )
    assets = raw([dict(client_id="C5", date="2026-01-05", total_assets="-3")])
    problems = problems_of({"clients": bad, "daily_assets": assets})
    listed = list(zip(problems["table"], problems["row"], problems["column"], strict=True))
    assert listed == [
        ("clients", 4, "client_type"),
        ("clients", 5, "open_date"),
        ("daily_assets", 2, "client_id"),
        ("daily_assets", 2, "total_assets"),
    ]
    report = validation.format_report(problems)
    assert report.startswith("The input data has 4 problems:")
    assert "clients row 5, column open_date, value 'yesterday': not a date" in report


def test_quarantine_sets_bad_rows_aside_and_keeps_the_rest():
    bad = clients(dict(client_id="C3", name="王五", client_type="person",
                       open_date="2020-01-01"))
    assets = raw([
        dict(client_id="C1", date="2026-01-05", total_assets="10"),
        dict(client_id="C1", date="2026-01-06", total_assets="-1"),
    ])
    typed, problems = validation.validate({"clients": bad, "daily_assets": assets})
    clean, held = validation.quarantine(typed, problems)
    assert clean["clients"]["client_id"].tolist() == ["C1", "C2"]
    assert clean["daily_assets"].index.tolist() == [2]
    assert sorted(zip(held["table"], held["row"], held["client_id"], strict=True)) == [
        ("clients", 4, "C3"), ("daily_assets", 3, "C1")]


def test_impossible_calendar_days_are_not_dates_and_common_forms_are():
    assets = raw([
        dict(client_id="C1", date="2026-02-30", total_assets="1"),   # no 30 February
        dict(client_id="C1", date="2025-02-29", total_assets="1"),   # 2025 is no leap year
        dict(client_id="C1", date="2024-02-29", total_assets="1"),   # 2024 is
        dict(client_id="C1", date="2026/03/04", total_assets="1"),   # as Excel may write it
        dict(client_id="C2", date="20260305", total_assets="1"),
    ])
    typed, problems = validation.validate({"clients": clients(), "daily_assets": assets})
    assert problems[["row", "column", "value"]].values.tolist() == [
        [2, "date", "2026-02-30"], [3, "date", "2025-02-29"]]
    assert typed["daily_assets"]["date"].iloc[2:].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-29", "2026-03-04", "2026-03-05"]


def test_days_pandas_cannot_hold_and_times_beyond_seconds_are_not_dates():
    assets = raw([
        dict(client_id="C1", date="1600-01-01", total_assets="1"),   # before 1677-09-22
        dict(client_id="C1", date="2262-04-12", total_assets="1"),   # after 2262-04-11
        dict(client_id="C1", date="2262-04-11 23:59:59", total_assets="1"),  # the last day
        dict(client_id="C1", date="2026-03-04 10:00:00.5", total_assets="1"),
        dict(client_id="C1", date="2026-03-05T00:30:00+08:00", total_assets="1"),
        dict(client_id="C2", date="2026-03-06 23:00-05:00", total_assets="1"),  # another offset
        dict(client_id="C2", date="2026-03-07Z", total_assets="1"),  # no time, then Z
    ])
    typed, problems = validation.validate({"clients": clients(), "daily_assets": assets})
    # a time of day is read to the second, without a time zone (as the DuckDB engine reads)
    assert problems[["row", "column", "value"]].values.tolist() == [
        [2, "date", "1600-01-01"], [3, "date", "2262-04-12"], [5, "date", "2026-03-04 10:00:00.5"],
        [6, "date", "2026-03-05T00:30:00+08:00"], [7, "date", "2026-03-06 23:00-05:00"],
        [8, "date", "2026-03-07Z"]]
    assert set(problems["problem"]) == {"not a date (expected YYYY-MM-DD)"}
    assert typed["daily_assets"]["date"].iloc[2] == pd.Timestamp("2262-04-11")


def test_typed_dates_pandas_cannot_hold_are_reported_too():
    assets = pd.DataFrame({
        "client_id": ["C1", "C1", "C2"],
        "date": pd.to_datetime(["1600-01-01", "2026-03-04", "2026-03-05 12:00"],
                               format="ISO8601").astype("datetime64[s]").to_numpy(),
        "total_assets": [1.0, 2.0, 3.0]}, index=pd.RangeIndex(2, 5, name="row"))
    typed, problems = validation.validate({"clients": clients(), "daily_assets": assets})
    assert problems[["row", "column", "value"]].values.tolist() == [
        [2, "date", "1600-01-01 00:00:00"]]
    assert typed["daily_assets"]["date"].iloc[1:].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-03-04", "2026-03-05"]
