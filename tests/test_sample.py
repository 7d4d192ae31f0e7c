"""The sample data set: deterministic, valid against every schema, consistent, realistic."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tiering.fee_sharing import derive_fees
from tiering.sample import (
    EDGE_CASES,
    MIN_CLIENTS,
    RISK_BANDS,
    SAMPLE_END,
    generate_sample,
    write_sample,
)
from tiering.sample.people import Clients, id_check_characters, id_numbers
from tiering.sample.trades import amount_for, size_redemptions
from tiering.schemas import TABLES, columns, pattern_columns

PARAMS = Path(__file__).resolve().parents[1] / "params"
REF = pd.Timestamp("2026-09-30")  # the last quarter end before SAMPLE_END
END = pd.Timestamp(SAMPLE_END)
Y2025 = (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))
YTD2026 = (pd.Timestamp("2026-01-01"), REF)


def _questionnaire() -> dict[str, dict[str, float]]:
    for path in sorted(PARAMS.glob("questionnaire*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and "questions" in raw:
            return {q["id"]: {k: o["points"] for k, o in q["options"].items()}
                    for q in raw["questions"]}
    raise AssertionError("no questionnaire in params/")


QUIZ = _questionnaire()


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate_sample(2000, questionnaire=QUIZ)


def one(name: str) -> str:
    (client,) = EDGE_CASES[name]
    return client


def step_average(tables, client: str, period: tuple[pd.Timestamp, pd.Timestamp]) -> float:
    """By hand, day by day: each row holds until the next; 0 before the first row and after
    the close date; divided by the days the account was open in the period."""
    info = tables["clients"].set_index("client_id").loc[client]
    rows = tables["daily_assets"].query("client_id == @client").sort_values("date")
    total, open_days = 0.0, 0
    for day in pd.date_range(*period):
        if day < info["open_date"] or (pd.notna(info["close_date"]) and day > info["close_date"]):
            continue
        open_days += 1
        held = rows[rows["date"] <= day]
        total += held["total_assets"].iloc[-1] if len(held) else 0.0
    return total / open_days


def averages(tables, period: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """Vectorised step-function average per client over the days each was open."""
    lo, hi = period
    clients = tables["clients"].set_index("client_id")
    rows = tables["daily_assets"].sort_values(["client_id", "date"])
    nxt = rows.groupby("client_id")["date"].shift(-1)
    close = rows["client_id"].map(clients["close_date"]) + pd.Timedelta(days=1)
    stop = nxt.fillna(hi + pd.Timedelta(days=1)).clip(upper=hi + pd.Timedelta(days=1))
    stop = stop.where(close.isna() | (close > stop), close)
    days = (stop - rows["date"].clip(lower=lo)).dt.days.clip(lower=0)
    total = (rows["total_assets"] * days).groupby(rows["client_id"]).sum()
    first = clients["open_date"].clip(lower=lo)
    last = clients["close_date"].fillna(hi).clip(upper=hi)
    open_days = ((last - first).dt.days + 1).clip(lower=0)
    return total.reindex(clients.index, fill_value=0.0) / open_days.where(open_days > 0)


def management_fees(tables, year: int) -> pd.Series:
    fees = tables["fees"]
    sel = (fees["fee_type"] == "management") & (fees["date"].dt.year == year)
    return fees[sel].groupby("client_id")["amount"].sum()


def scored(ra: pd.DataFrame) -> pd.Series:
    return sum(ra[q].map(QUIZ[q]) for q in QUIZ)


def band_of(score: pd.Series) -> pd.Series:
    out = pd.Series(pd.NA, index=score.index, dtype="object")
    for name, lo, hi in RISK_BANDS:
        out[(score >= lo) & (score <= hi)] = name
    return out


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_tables(sample):
    again = generate_sample(2000, questionnaire=QUIZ)
    assert list(again) == list(sample)
    for name in sample:
        pd.testing.assert_frame_equal(again[name], sample[name], check_exact=True)


def test_different_seed_gives_different_tables(sample):
    other = generate_sample(2000, seed=7, questionnaire=QUIZ)
    assert not other["daily_assets"].equals(sample["daily_assets"])
    assert not other["clients"]["name"].equals(sample["clients"]["name"])


def test_too_few_clients_is_refused():
    with pytest.raises(ValueError, match="at least"):
        generate_sample(MIN_CLIENTS - 1, questionnaire=QUIZ)


# --------------------------------------------------------------------------- schemas


def test_every_table_is_generated_and_passes_its_pandera_model(sample):
    assert set(sample) == set(TABLES)
    for name, df in sample.items():
        TABLES[name].model.validate(df, lazy=True)


def test_columns_are_the_schema_columns_in_schema_order(sample):
    for name, df in sample.items():
        named = columns(name)
        assert all(c in df for c, required in named.items() if required), name
        own = [c for c in df if c in named]
        assert own == [c for c in named if c in own], name
        extra = [c for c in df if c not in named]
        assert bool(extra) == bool(pattern_columns(name)), name
    assert [c for c in sample["risk_assessments"] if c not in columns("risk_assessments")] == \
        sorted(QUIZ)
    assert list(sample["client_metrics"]) == ["client_id", "satisfaction", "referrals"]


def test_columns_are_typed(sample):
    kinds = {"date": "datetime64[ns]", "number": "float64", "bool": "boolean", "text": "str"}
    from tiering.schemas import column_kinds

    for name, df in sample.items():
        for col, kind in column_kinds(name).items():
            if col in df:
                assert str(df[col].dtype) == kinds[kind], (name, col, df[col].dtype)
    assert str(sample["risk_assessments"]["q01"].dtype) == "str"
    assert str(sample["client_metrics"]["referrals"].dtype) == "float64"


# --------------------------------------------------------------------------- integrity


def test_every_referenced_id_exists(sample):
    for name, spec in TABLES.items():
        for column, target in spec.references:
            values = sample[name][column].dropna()
            known = sample[target][TABLES[target].key[0]]
            assert values.isin(known).all(), (name, column)


def test_keys_are_unique(sample):
    for name, spec in TABLES.items():
        if spec.key:
            assert not sample[name].duplicated(list(spec.key)).any(), name


def test_level_overrides_never_overlap_and_never_touch_the_category(sample):
    ov = sample["overrides"]
    assert (ov["field"] == "level").all()
    assert ov["value"].isin(["ordinary", "potential", "core", "vip"]).all()
    assert (ov["reason"].str.len() > 0).all()
    assert (ov["effective_to"] < REF).any()  # one has ended before the reference date
    far = pd.Timestamp("2100-01-01")
    for _, group in ov.sort_values("effective_from").groupby("client_id"):
        ends = group["effective_to"].fillna(far).to_numpy()
        starts = group["effective_from"].to_numpy()
        assert (starts[1:] > ends[:-1]).all()


def test_balances_are_change_only_nonnegative_and_within_the_account_life(sample):
    da = sample["daily_assets"]
    clients = sample["clients"].set_index("client_id")
    assert (da["total_assets"] >= 0).all()
    assert da["date"].min() == pd.Timestamp("2024-10-01")
    assert da["date"].max() <= END
    assert (da["date"] > REF).any() and (da["date"] < Y2025[0]).any()
    assert not (da["date"] < da["client_id"].map(clients["open_date"])).any()
    after_close = da["date"] > da["client_id"].map(clients["close_date"])
    assert set(da.loc[after_close, "client_id"]) == set(EDGE_CASES["balance_after_close"])
    same_client = da["client_id"].eq(da["client_id"].shift())
    assert not (same_client & da["total_assets"].eq(da["total_assets"].shift())).any()


def test_holdings_add_up_to_the_balance_at_each_quarter_end(sample):
    h = sample["holdings"]
    assert sorted(h["as_of_date"].unique()) == list(
        pd.to_datetime(["2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30"]))
    da = sample["daily_assets"].sort_values("date")
    total = h.groupby(["client_id", "as_of_date"])["market_value"].sum().reset_index()
    merged = pd.merge_asof(total.sort_values("as_of_date"), da, left_on="as_of_date",
                           right_on="date", by="client_id")
    assert np.allclose(merged["market_value"], merged["total_assets"], atol=0.011)


def dated_columns(tables) -> list[tuple[str, str]]:
    """Every date that must not lie after the export date (planned override ends may)."""
    out = [(name, spec.date_column) for name, spec in TABLES.items() if spec.date_column]
    return [*out, ("clients", "open_date"), ("clients", "close_date"),
            ("overrides", "effective_from")]


def test_every_dated_row_is_on_or_before_the_export_date(sample):
    for name, column in dated_columns(sample):
        assert sample[name][column].max() <= END, (name, column)


# --------------------------------------------------------------------------- edge cases


def test_edge_case_clients_exist(sample):
    ids = set(sample["clients"]["client_id"])
    assert all(c in ids for group in EDGE_CASES.values() for c in group)


@pytest.mark.parametrize(("case", "average"), [
    ("avg_last_year_exactly_5m", 5_000_000.0),
    ("avg_last_year_exactly_500k", 500_000.0),
    ("avg_last_year_exactly_100k", 100_000.0),
])
def test_boundary_clients_average_exactly_the_threshold_over_2025(sample, case, average):
    client = one(case)
    assert step_average(sample, client, Y2025) == average
    assert step_average(sample, client, YTD2026) <= average  # the boundary alone decides
    assert management_fees(sample, 2025)[client] < 10_000  # so the fee rules do not


def test_the_5m_client_holds_exactly_5m_from_before_2025_to_after(sample):
    rows = sample["daily_assets"].query("client_id == @one('avg_last_year_exactly_5m')")
    held = rows[rows["total_assets"] == 5_000_000]
    assert len(held) == 1
    since = held["date"].iloc[0]
    until = rows[rows["date"] > since]["date"].min()
    assert since < Y2025[0] and until > Y2025[1]


def test_vip_by_year_to_date_and_vip_by_last_year_only(sample):
    ytd = one("vip_by_ytd_only")
    assert step_average(sample, ytd, Y2025) < 5_000_000 < step_average(sample, ytd, YTD2026)
    last = one("vip_last_year_only")
    assert step_average(sample, last, Y2025) > 5_000_000 >= step_average(sample, last, YTD2026)
    fees = management_fees(sample, 2025)
    assert fees[ytd] < 10_000 and fees[last] < 10_000


def test_fee_edge_cases(sample):
    fees = management_fees(sample, 2025)
    avg = averages(sample, Y2025)
    for client in EDGE_CASES["core_a_by_fee_modest_assets"]:
        assert 10_000 <= fees[client] < 50_000
        assert avg[client] < 5_000_000
    assert min(avg[c] for c in EDGE_CASES["core_a_by_fee_modest_assets"]) < 500_000
    vip = one("vip_by_fee")
    assert fees[vip] >= 50_000 and avg[vip] < 5_000_000
    assert fees[one("fee_exactly_10k")] == 10_000
    exact = one("fee_exactly_50k_with_reversal")
    assert fees[exact] == 50_000
    mine = sample["fees"].query("client_id == @exact and fee_type == 'management'")
    assert (mine["amount"] < 0).any()


def test_reversals_follow_a_positive_management_charge(sample):
    fees = sample["fees"].query("fee_type == 'management'")
    negative = fees[fees["amount"] < 0]
    assert len(negative) >= 3
    for _, row in negative.iterrows():
        before = fees[(fees["client_id"] == row["client_id"]) & (fees["date"] <= row["date"])]
        assert before["amount"].max() >= -row["amount"]


def test_other_fee_types_occur(sample):
    assert set(sample["fees"]["fee_type"]) == {
        "management", "performance", "subscription", "redemption", "other"}


def test_management_fees_are_one_to_two_percent_of_assets(sample):
    fees = management_fees(sample, 2025)
    avg = averages(sample, Y2025)
    clients = sample["clients"].set_index("client_id")
    full_year = (clients["open_date"] < Y2025[0]) & clients["close_date"].isna()
    ordinary = ~clients.index.isin([c for g in EDGE_CASES.values() for c in g])
    who = clients.index[full_year & ordinary & (avg > 50_000)]
    who = who[~who.isin(sample["fees"].query("amount < 0")["client_id"])]
    ratio = fees.reindex(who) / avg[who]
    assert ratio.between(0.0099, 0.0201).mean() > 0.95


# --------------------------------------------------------------------------- proportions


def test_most_clients_are_ordinary_and_a_few_percent_vip(sample):
    clients = sample["clients"].set_index("client_id")
    full_year = (clients["open_date"] < Y2025[0]) & (
        clients["close_date"].isna() | (clients["close_date"] > Y2025[1]))
    avg = averages(sample, Y2025)[full_year]
    share = pd.cut(avg, [-1, 1e5, 5e5, 5e6 + 0.001, np.inf], right=False,
                   labels=["ordinary", "potential", "core", "vip"]).value_counts(normalize=True)
    assert share["ordinary"] > 0.5
    assert 0.1 < share["potential"] < 0.35
    assert 0.08 < share["core"] < 0.3
    assert 0.01 <= share["vip"] <= 0.08


def test_client_mix(sample):
    cl = sample["clients"]
    individual = cl["client_type"] == "individual"
    assert 0.8 < individual.mean() < 0.9
    assert cl.loc[individual, "birth_date"].notna().all()
    assert cl.loc[~individual, "birth_date"].isna().all()
    assert cl.loc[~individual, "name"].str.contains("公司|企业").all()
    assert cl.loc[individual, "name"].str.len().between(2, 3).all()
    assert cl.loc[individual, "phone"].dropna().str.fullmatch(r"1[3-9]\d{9}").all()
    assert set(cl["branch"]) == {"北京", "上海", "深圳", "广州", "杭州"}
    assert (cl["investor_type"] == "professional").mean() < 0.15
    closed = cl["close_date"].notna()
    assert 0.01 < closed.mean() < 0.06
    assert (cl["close_date"] > REF).any() and (cl["close_date"] < REF).any()
    new_2026 = cl["open_date"] >= pd.Timestamp("2026-01-01")
    assert (new_2026 & (cl["open_date"] <= REF)).any() and (cl["open_date"] > REF).any()
    assert cl["open_date"].min() < pd.Timestamp("2016-01-01")


def test_managers_serve_clients_of_their_own_branch(sample):
    cl = sample["clients"].dropna(subset=["manager_id"])
    mg = sample["managers"].set_index("manager_id")
    assert (cl["manager_id"].map(mg["branch"]) == cl["branch"]).all()
    assert (~mg["active"]).sum() >= 2
    assert set(mg["role"]) == {"account_manager", "sales_manager"}
    assert mg["capacity"].between(80, 160).all()
    assert mg["max_visits_per_day"].between(2, 4).all()
    avg = averages(sample, Y2025)
    core = sample["clients"].set_index("client_id").loc[avg[avg >= 500_000].index]
    assert core["manager_id"].notna().mean() > 0.8
    assert sample["clients"]["manager_id"].isna().mean() > 0.3


def test_visits_are_by_the_clients_manager_on_working_days(sample):
    v = sample["visits"]
    manager = v["client_id"].map(sample["clients"].set_index("client_id")["manager_id"])
    assert (v["manager_id"] == manager).all()
    assert (v["visit_date"].dt.day_of_week < 5).all()
    assert set(v["visit_type"]) == {"in_person", "phone", "online", "event"}
    assert v["visit_date"].min() >= REF - pd.Timedelta(days=364)



# --------------------------------------------------------------------------- ID numbers

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
REGION_PREFIX = {"北京": "1101", "上海": "3101", "深圳": "4403", "广州": "4401", "杭州": "3301"}


def check_character(body: str) -> str:
    """GB 11643-1999: the weighted sum of the 17 digits, mod 11, picks the character."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize(("body", "check"), [
    # the standard's example 11010519491231002X:
    #   digits   1 1  0 1 0  5 1 9  4  9 1  2  3 1 0 0 2
    #   weights  7 9 10 5 8  4 2 1  6  3 7  9 10 5 8 4 2
    #   products 7 9  0 5 0 20 2 9 24 27 7 18 30 5 0 0 4 = 167 = 15 * 11 + 2 -> "X"
    ("11010519491231002", "X"),
    # 440524188001010014: 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195 = 17 * 11 + 8 -> "4"
    ("44052418800101001", "4"),
])
def test_id_check_character_of_known_examples(body, check):
    assert id_check_characters(np.array([int(body)]))[0] == check
    assert check_character(body) == check


def test_individuals_have_valid_resident_id_numbers_and_institutions_none(sample):
    cl = sample["clients"]
    individual = cl["client_type"] == "individual"
    assert cl.loc[~individual, "id_number"].isna().all()
    ids = cl.loc[individual, "id_number"]
    assert ids.notna().all() and ids.is_unique
    assert ids.str.fullmatch(r"\d{17}[\dX]").all()
    assert all(number[17] == check_character(number[:17]) for number in ids)
    born = pd.to_datetime(ids.str[6:14], format="%Y%m%d")
    assert (born == cl.loc[individual, "birth_date"]).all()
    assert (ids.str[:4] == cl.loc[individual, "branch"].map(REGION_PREFIX)).all()
    sequence = ids.str[14:17].astype(int)
    assert sequence.between(1, 999).all()
    assert 0.4 < (sequence % 2).mean() < 0.6  # odd for men, even for women


def test_id_numbers_stay_unique_when_many_share_a_birth_date_and_branch():
    n = 3000  # about 300 of each sex per district code: sequences must be moved on
    rng = np.random.default_rng(1)
    ones = np.ones(n)
    same = Clients(n, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), ones, ones,
                   ones.astype(bool), ones, np.full(n, 3652), ones, ones.astype(bool))
    ids = id_numbers(rng, same)
    assert ids.is_unique
    assert (ids.str[6:14] == "19800101").all()
    assert all(number[17] == check_character(number[:17]) for number in ids)


# --------------------------------------------------------------------------- risk


def test_scores_match_the_answers_except_the_deliberate_few(sample):
    ra = sample["risk_assessments"]
    off = ra.loc[scored(ra) != ra["score"], "client_id"]
    assert sorted(off) == sorted(EDGE_CASES["score_off"])


def test_assessments_cover_every_band_and_the_awkward_cases(sample):
    ra = sample["risk_assessments"]
    latest = ra.sort_values("assessment_date").groupby("client_id").tail(1)
    bands = band_of(scored(latest)).value_counts(normalize=True)
    assert set(bands.index) == {name for name, _, _ in RISK_BANDS}
    assert bands.min() > 0.05
    clients = sample["clients"]["client_id"]
    missing = ~clients.isin(ra["client_id"])
    assert 0.03 < missing.mean() < 0.08
    assert ra["client_id"].duplicated().any()
    assert 0 < (~ra["signed"]).sum() < 0.05 * len(ra)
    expired = latest["assessment_date"] < REF - pd.DateOffset(years=2)
    assert 0.05 < expired.mean() < 0.3
    assert one("no_assessment") in set(clients[missing])
    assert not ra.query("client_id == @one('unsigned_latest_assessment')")["signed"].iloc[-1]
    two = ra.query("client_id == @one('two_assessments_category_changed')")
    assert list(band_of(scored(two))) == ["aggressive", "conservative"]


def test_recorded_category_disagrees_only_on_purpose(sample):
    ra = sample["risk_assessments"].query("signed").sort_values("assessment_date")
    ra = ra[(ra["assessment_date"] <= REF) | ~ra["client_id"].isin(
        ra.loc[ra["assessment_date"] <= REF, "client_id"])]  # as of REF where possible
    latest = ra.groupby("client_id").tail(1)
    category = band_of(scored(latest)).set_axis(latest["client_id"])
    cl = sample["clients"].dropna(subset=["recorded_category"])
    assert len(cl) > 0.8 * len(sample["clients"])
    wrong = cl.loc[cl["recorded_category"] != cl["client_id"].map(category), "client_id"]
    assert sorted(wrong) == sorted(EDGE_CASES["recorded_category_disagrees"])


def test_high_risk_purchases_by_low_scorers(sample):
    tx = sample["transactions"]
    risk = tx["product_id"].map(sample["products"].set_index("product_id")["risk_level"])
    ra = sample["risk_assessments"]
    latest = ra.sort_values("assessment_date").groupby("client_id").tail(1)
    score = scored(latest).set_axis(latest["client_id"])
    low = tx["client_id"].map(score) <= 40
    mismatch = tx[risk.isin(["R4", "R5"]) & low & tx["side"].isin(["subscribe", "purchase"])]
    assert len(mismatch) >= 3
    assert mismatch["warning_signed"].notna().all()
    flags = mismatch.groupby("client_id")["warning_signed"]
    assert not flags.any()[one("mismatch_purchase_warning_unsigned")]
    assert flags.all()[one("mismatch_purchase_warning_signed")]
    lowest = one("lowest_category_purchase_warning_signed")
    assert flags.all()[lowest] and score[lowest] <= 16
    assert tx["warning_signed"].isna().mean() > 0.9


def test_transactions_look_like_trades(sample):
    tx = sample["transactions"]
    assert set(tx["side"]) == {"subscribe", "purchase", "redeem", "dividend"}
    assert tx["trade_date"].min() >= Y2025[0]
    trades = tx[tx["side"] != "dividend"]
    assert trades["unit_nav"].notna().all() and (trades["shares"] > 0).all()
    assert tx.loc[tx["side"] == "dividend", "unit_nav"].isna().all()
    nav = sample["nav"]
    assert nav.groupby("product_id").size().nunique() == 1
    assert (nav["accumulated_nav"] >= nav["unit_nav"] - 1e-9).all()


def test_products(sample):
    p = sample["products"]
    assert 25 <= len(p) <= 35
    assert set(p["risk_level"]) == {"R1", "R2", "R3", "R4", "R5"}
    assert p["management_fee_rate"].between(0.01, 0.02).all()
    assert (p["performance_fee_rate"] == 0.2).mean() > 0.6


# --------------------------------------------------------------------------- investor lots


@pytest.fixture(scope="module")
def sample_500() -> dict[str, pd.DataFrame]:
    return generate_sample(500, questionnaire=QUIZ)


@pytest.fixture(scope="module")
def derived_500(sample_500):
    tx = sample_500["transactions"]
    return derive_fees(tx, sample_500["nav"], sample_500["products"], as_of=REF.date())


def test_opening_subscriptions_hold_the_balance_at_the_start_of_the_trade_history(sample_500):
    # every client with balance rows before 2025 and a balance above 0 on the evening of
    # 2024-12-31 subscribes, on 2025-01-01, amounts that add up to that balance (each row rounded
    # to the cent, so within 0.01 a row), at the NAV in force that day: the latest weekly NAV on
    # or before it (Friday 2024-12-27; 2025-01-01 is a Wednesday)
    da = sample_500["daily_assets"].sort_values(["client_id", "date"])
    before = da[da["date"] <= "2024-12-31"].groupby("client_id")["total_assets"].last()
    held = before[before > 0]
    tx = sample_500["transactions"]
    opening = tx[(tx["trade_date"] == "2025-01-01") & (tx["side"] == "subscribe")
                 & tx["client_id"].isin(before.index)]
    assert set(opening["client_id"]) == set(held.index)
    total = opening.groupby("client_id")["amount"].sum().reindex(held.index)
    rows = opening.groupby("client_id").size().reindex(held.index)
    assert ((total - held).abs() <= 0.01 * rows + 1e-6).all()
    nav = sample_500["nav"]
    nav = nav[nav["date"] == pd.Timestamp("2024-12-27")].set_index("product_id")["unit_nav"]
    assert (opening["unit_nav"] == opening["product_id"].map(nav)).all()


def test_redemptions_rarely_exceed_the_investor_lots(sample_500, derived_500):
    # the opening positions give every balance its lots, and a redemption is cut to the shares
    # held: at most 2% of the redemptions may still ask for more than the lots hold (before the
    # opening positions about 80% did)
    tx = sample_500["transactions"]
    redemptions = ((tx["side"] == "redeem") & (tx["trade_date"] <= REF)).sum()
    findings = derived_500.findings
    over = (findings["kind"] == "redemption_exceeds_holding").sum()
    assert redemptions > 50
    assert over <= 0.02 * redemptions
    assert not findings["kind"].isin(["buy_not_a_lot", "redemption_unsized"]).any()


def test_derived_management_fee_of_2025_agrees_with_the_ledger(sample_500, derived_500):
    # the ledger charges the blended rate on the day's balance, the derivation each product's
    # rate on the lots' value: for the clients with a 2025 ledger charge the ratio derived /
    # ledger is near 1 (median within 0.8–1.25, and most clients within that band); before
    # the opening positions the median was 0 (most clients had no lot in 2025)
    ledger = management_fees(sample_500, 2025)
    ledger = ledger[ledger > 0]
    out = derived_500.contribution
    derived = out[out["year"] == 2025].set_index("client_id")["management_fee"]
    ratio = derived.reindex(ledger.index, fill_value=0.0) / ledger
    assert len(ratio) > 300
    assert 0.8 <= ratio.median() <= 1.25
    assert ratio.between(0.8, 1.25).mean() > 0.75


@pytest.mark.parametrize(("rows", "expected"), [
    # (group, day, side, amount, unit, full): buy 100.00 shares at 1.0, ask 300 / 2.0 = 150 with
    # 100 held: takes 100, worth 100 × 2.0 = 200.00; buy 50 / 2.0 = 25; a full redemption at
    # 2.5 takes the 25 held: 62.50 (the 999 asked is ignored)
    ([(7, 1, 0, 100.0, 1.0, False), (7, 2, 2, 300.0, 2.0, False), (7, 3, 1, 50.0, 2.0, False),
      (7, 4, 2, 999.0, 2.5, True)], [100.0, 200.0, 50.0, 62.5]),
    # a redemption within the holding keeps its amount (60 / 1.5 = 40 of 100 shares); a
    # dividend (side 3, no NAV) is left alone
    ([(9, 1, 0, 100.0, 1.0, False), (9, 2, 2, 60.0, 1.5, False), (9, 3, 3, 5.0, np.nan, False)],
     [100.0, 60.0, 5.0]),
    # the same day, the purchase counts first even when listed after the redemption: 10 held,
    # 10 asked; another product's redemption with nothing held takes nothing
    ([(10, 5, 2, 10.0, 1.0, False), (10, 5, 1, 10.0, 1.0, False), (11, 5, 2, 30.0, 1.0, False)],
     [10.0, 10.0, 0.0]),
])
def test_redemptions_are_cut_to_the_shares_held(rows, expected):
    group, day, side, amount, unit, full = (np.array(c) for c in zip(*rows, strict=True))
    out = size_redemptions(group, day, side, amount.astype(float), unit.astype(float),
                           full.astype(bool))
    assert out.tolist() == expected


def test_amount_for_gives_the_shares_or_the_nearest_below():
    # 123.45 shares at 1.2345: 152.399025 → 152.40, and 152.40 / 1.2345 = 123.4508 → 123.45.
    # 10.01 shares at 0.3: 3.003 → 3.00 gives 10.00 and 3.01 gives 10.0333 → 10.03; no cent
    # gives 10.01, so the nearest below, 3.00 (never more shares than held).
    out = amount_for(np.array([12_345, 1_001]), np.array([1.2345, 0.3]))
    assert out.tolist() == [152.40, 3.00]


# --------------------------------------------------------------------------- other dates


def test_an_earlier_end_date_moves_every_date(sample):
    early = generate_sample(300, questionnaire=QUIZ, end=date(2026, 5, 20))
    for name in TABLES:
        TABLES[name].model.validate(early[name], lazy=True)
    for name, column in dated_columns(early):
        assert early[name][column].max() <= pd.Timestamp("2026-05-20"), (name, column)
    assert early["daily_assets"]["date"].min() == pd.Timestamp("2024-10-01")


# --------------------------------------------------------------------------- writing


def test_csv_files_are_utf8_with_bom_iso_dates_and_true_false(tmp_path):
    tables = generate_sample(MIN_CLIENTS, questionnaire=QUIZ)
    paths = write_sample(tables, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{name}.csv" for name in tables)
    raw = (tmp_path / "clients.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(tables["clients"].columns)
    assert "2026-" in text and "00:00:00" not in text
    ra = (tmp_path / "risk_assessments.csv").read_text(encoding="utf-8-sig")
    assert ",true," in ra and ",false," in ra
    da = pd.read_csv(tmp_path / "daily_assets.csv", dtype=str, encoding="utf-8-sig")
    assert da["total_assets"].str.fullmatch(r"\d+\.\d{2}").all()
    nav = pd.read_csv(tmp_path / "nav.csv", encoding="utf-8-sig")
    assert np.allclose(nav["unit_nav"], tables["nav"]["unit_nav"], atol=1e-9)
    products = pd.read_csv(tmp_path / "products.csv", encoding="utf-8-sig")
    assert np.allclose(products["management_fee_rate"], tables["products"]["management_fee_rate"])


def test_parquet_round_trips(tmp_path):
    tables = generate_sample(MIN_CLIENTS, questionnaire=QUIZ)
    write_sample(tables, tmp_path, fmt="parquet")
    for name, df in tables.items():
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, df, check_dtype=False)


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format"):
        write_sample({}, tmp_path, fmt="xlsx")


@pytest.mark.slow
def test_generation_time_for_100k_clients_is_printed():
    start = time.perf_counter()
    tables = generate_sample(100_000, questionnaire=QUIZ)
    seconds = time.perf_counter() - start
    rows = sum(len(df) for df in tables.values())
    print(f"\n100,000 clients: {rows:,} rows in {seconds:.1f} s")
    assert len(tables["clients"]) == 100_000
