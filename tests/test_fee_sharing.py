"""Fee sharing (SPEC 2.7, issue 8): lots, daily management fee, high-water-mark performance fee.

Every expected figure is worked by hand in the comment above it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from tiering import fee_lots, fee_sharing
from tiering.fee_params import FeeParams
from tiering.fee_sharing import (
    CONTRIBUTION_COLUMNS,
    TIER_FEE_COLUMNS,
    build_lots,
    derive_fees,
    fee_contribution,
    tier_management_fee,
)
from tiering.params import load_parameters
from tiering.sample import generate_sample

PARAMS = Path(__file__).resolve().parents[1] / "params"
FAR = date(2030, 12, 31)


def trades(*rows: tuple) -> pd.DataFrame:
    """(client, date, product, side, amount, shares, unit_nav) rows; None for missing."""
    frame = pd.DataFrame(rows, columns=["client_id", "trade_date", "product_id", "side", "amount",
                                        "shares", "unit_nav"])
    frame["trade_date"] = pd.to_datetime(frame["trade_date"])
    return frame.astype({"amount": float, "shares": float, "unit_nav": float})


def navs(product: str, *rows: tuple) -> pd.DataFrame:
    """(date, unit_nav[, accumulated_nav]) rows; accumulated defaults to unit (no dividends)."""
    return pd.DataFrame({
        "product_id": product,
        "date": pd.to_datetime([r[0] for r in rows]),
        "unit_nav": [float(r[1]) for r in rows],
        "accumulated_nav": [float(r[2] if len(r) > 2 else r[1]) for r in rows],
    })


def product(mgmt: float | None = None, perf: float | None = None, pid: str = "P") -> pd.DataFrame:
    return pd.DataFrame({"product_id": [pid], "name": ["基金"], "risk_level": ["R3"],
                         "management_fee_rate": [mgmt], "performance_fee_rate": [perf]},
                        ).astype({"management_fee_rate": float, "performance_fee_rate": float})


def fees_of(frame: pd.DataFrame) -> dict[tuple[str, int], tuple[float, float]]:
    return {(r.client_id, int(r.year)): (r.management_fee, r.performance_fee)
            for r in frame.itertuples()}


# --------------------------------------------------------------------------- issue 8 examples


def test_ten_million_shares_from_1_0_to_1_2_at_20_percent_pay_400_000():
    # gain 1.2 − 1.0 = 0.2 a share; 20% of 0.2 × 10,000,000 shares = 400,000
    tx = trades(("A", "2025-01-02", "P", "subscribe", 10_000_000, 10_000_000, 1.0),
                ("A", "2026-01-05", "P", "redeem", 12_000_000, 10_000_000, 1.2))
    out = fee_contribution(tx, navs("P", ("2025-01-02", 1.0)), product(mgmt=None, perf=None),
                           as_of=FAR)
    assert list(out.columns) == CONTRIBUTION_COLUMNS
    assert fees_of(out) == {("A", 2026): (0.0, 400_000.0)}
    assert out["source"].tolist() == ["derived"]


def test_mark_moves_to_120_after_a_charge_so_120_90_120_charges_nothing_then_130_charges_2():
    # 1 share bought at 100 (fee per 100 invested); fixed charge days 1 January and 1 July.
    # 2020-01-01 opening day: under 6 months since opening, not due.
    # 2020-07-01 NAV 120: 20% × (120 − 100) = 4, the mark moves to 120.
    # 2021-01-01 NAV 90 and 2021-07-01 NAV 120: nothing above the mark 120, no fee.
    # 2022-01-01 NAV 130: 20% × (130 − 120) = 2.
    tx = trades(("A", "2020-01-01", "P", "subscribe", 100, 1, 100))
    nav = navs("P", ("2020-01-01", 100), ("2020-07-01", 120), ("2021-01-01", 90),
               ("2021-07-01", 120), ("2022-01-01", 130))
    params = FeeParams(charge_dates={"*": ("01-01", "07-01")})
    result = derive_fees(tx, nav, product(), as_of=date(2022, 3, 31), params=params)
    assert fees_of(result.contribution) == {("A", 2020): (0.0, 4.0), ("A", 2022): (0.0, 2.0)}
    charged = result.charges.loc[result.charges["charged"]]
    assert charged["mark"].tolist() == [100.0, 120.0, 120.0, 120.0]


def test_an_8_percent_hurdle_on_a_15_percent_return_leaves_investor_13_6_and_manager_1_4():
    # one year (2025-01-01 → 2026-01-01, 365 days): hurdle NAV 1.00 × (1 + 8% × 365/365) = 1.08;
    # fee 20% × (1.15 − 1.08) = 0.014 a share = 1.4% of 1.00 invested; investor 15% − 1.4%.
    tx = trades(("A", "2025-01-01", "P", "subscribe", 1_000_000, 1_000_000, 1.00),
                ("A", "2026-01-01", "P", "redeem", 1_150_000, 1_000_000, 1.15))
    out = fee_contribution(tx, navs("P", ("2025-01-01", 1.0)), product(),
                           as_of=FAR, params=FeeParams(hurdle_rate=0.08))
    fee = out["performance_fee"].sum()
    assert fee == pytest.approx(14_000.00)  # 1.4% of 1,000,000
    assert (150_000 - fee) / 1_000_000 == pytest.approx(0.136)


def test_no_hurdle_takes_the_whole_gain_above_the_mark():
    # same trade without a hurdle: 20% × 0.15 × 1,000,000 = 30,000
    tx = trades(("A", "2025-01-01", "P", "subscribe", 1_000_000, 1_000_000, 1.00),
                ("A", "2026-01-01", "P", "redeem", 1_150_000, 1_000_000, 1.15))
    out = fee_contribution(tx, navs("P", ("2025-01-01", 1.0)), product(), as_of=FAR)
    assert out["performance_fee"].sum() == pytest.approx(30_000.00)


# --------------------------------------------------------------------------- management fee


@pytest.mark.parametrize(("day_count", "expected_2024"), [
    (365, 15_041.10),  # 1,000,000 × 1.0 × 1.5% × 366 / 365 = 15,041.0959
    ("actual", 15_000.00),  # 1,000,000 × 1.5% × 366 / 366
    (360, 15_250.00),  # 1,000,000 × 1.5% × 366 / 360
])
def test_daily_accrual_across_the_leap_year_2024(day_count, expected_2024):
    # bought 2023-12-01: 1 December accrues nothing; 2–31 December 2023 is 30 days.
    # 2023: 1,000,000 × 1.5% × 30 / 365 = 1,232.8767 (365 and actual: 2023 is not leap),
    #       × 30 / 360 = 1,250.00 on the 360 basis. 2024: all 366 days, to as_of 2024-12-31.
    tx = trades(("A", "2023-12-01", "P", "subscribe", 1_000_000, 1_000_000, 1.0))
    out = fee_contribution(tx, navs("P", ("2023-12-01", 1.0)), product(mgmt=0.015),
                           as_of=date(2024, 12, 31), params=FeeParams(day_count=day_count))
    expected_2023 = 1_250.00 if day_count == 360 else 1_232.88
    assert fees_of(out) == {("A", 2023): (expected_2023, 0.0), ("A", 2024): (expected_2024, 0.0)}


def test_subscription_day_accrues_nothing_and_redemption_day_accrues_on_the_eve():
    # 1,000,000 shares at 3.65% / 365 = 100 a day per 1.0 of NAV. Held the evenings of 10–19
    # March: accrual days 11–20 March. NAV in force on the eve: 1.0 on 10–14 March, 2.0 from
    # the 15th, so days 11–15 accrue 5 × 100 and days 16–20 accrue 5 × 200: 1,500. (Using the
    # day's own NAV would give 4 × 100 + 6 × 200 = 1,600.) Nothing after the redemption.
    tx = trades(("A", "2025-03-10", "P", "subscribe", 1_000_000, 1_000_000, 1.0),
                ("A", "2025-03-20", "P", "redeem", 2_000_000, 1_000_000, 2.0))
    nav = navs("P", ("2025-03-10", 1.0), ("2025-03-15", 2.0))
    result = derive_fees(tx, nav, product(mgmt=0.0365, perf=0.0), as_of=FAR)
    assert fees_of(result.contribution) == {("A", 2025): (1_500.00, 0.0)}
    assert result.accruals["holding_days"].tolist() == [10]


def test_accrual_follows_the_holding_between_lot_events():
    # 1,000 shares from 1 June, 1,000 more on 11 June, all 2,000 redeemed on 21 June; NAV 1.0,
    # rate 36.5% / 365 = 0.1% a day. Eves 1–10 June hold 1,000 (days 2–11: 10 × 1 = 10),
    # eves 11–20 June hold 2,000 (days 12–21: 10 × 2 = 20): 30.00.
    tx = trades(("A", "2025-06-01", "P", "purchase", 1_000, 1_000, 1.0),
                ("A", "2025-06-11", "P", "purchase", 1_000, 1_000, 1.0),
                ("A", "2025-06-21", "P", "redeem", 2_000, 2_000, 1.0))
    out = fee_contribution(tx, navs("P", ("2025-05-30", 1.0)), product(mgmt=0.365, perf=0),
                           as_of=FAR)
    assert fees_of(out) == {("A", 2025): (30.00, 0.0)}


def test_product_without_a_rate_accrues_nothing_unless_a_default_is_given():
    # 365,000 shares at NAV 1.0 held the evenings of 1–10 January (days 2–11, 10 days).
    # default None: nothing at all, so no row. default 1%: 365,000 × 1% / 365 × 10 = 100.
    tx = trades(("A", "2025-01-01", "P", "subscribe", 365_000, 365_000, 1.0))
    nav = navs("P", ("2025-01-01", 1.0))
    as_of = date(2025, 1, 11)
    assert fee_contribution(tx, nav, product(), as_of=as_of).empty
    out = fee_contribution(tx, nav, product(), as_of=as_of,
                           params=FeeParams(default_management_rate=0.01))
    assert fees_of(out) == {("A", 2025): (100.00, 0.0)}


def test_days_without_any_nav_accrue_nothing_and_are_reported():
    # NAV known only from 6 January: eves 1–5 January have none. Days 2–6 (eves 1–5) accrue
    # nothing; days 7–11 accrue 365,000 × 1% / 365 × 5 = 50. 5 client-days reported.
    tx = trades(("A", "2025-01-01", "P", "subscribe", 365_000, 365_000, 1.0))
    result = derive_fees(tx, navs("P", ("2025-01-06", 1.0)), product(mgmt=0.01),
                         as_of=date(2025, 1, 11))
    assert fees_of(result.contribution) == {("A", 2025): (50.00, 0.0)}
    gap = result.findings.loc[result.findings["kind"] == "no_nav_for_accrual"]
    assert gap["product_id"].tolist() == ["P"]
    assert gap["detail"].iloc[0].startswith("5 client-days")


# --------------------------------------------------------------------------- lots


def test_redemptions_consume_lots_first_in_first_out():
    # lot 1: 100 shares at 1.0 (2 January); lot 2: 100 at 1.5 (1 April).
    # 1 October: 150 redeemed at 2.0 → 100 from lot 1, 50 from lot 2:
    #   20% × (2.0 − 1.0) × 100 + 20% × (2.0 − 1.5) × 50 = 20 + 5 = 25
    #   (last in, first out would give 20% × 0.5 × 100 + 20% × 1.0 × 50 = 20).
    # 5 January 2026: the last 50 at 1.2, below lot 2's mark 1.5: no fee.
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("A", "2025-04-01", "P", "purchase", 150, 100, 1.5),
                ("A", "2025-10-01", "P", "redeem", 300, 150, 2.0),
                ("A", "2026-01-05", "P", "redeem", 60, 50, 1.2))
    result = derive_fees(tx, navs("P", ("2025-01-02", 1.0)), product(), as_of=FAR)
    assert fees_of(result.contribution) == {("A", 2025): (0.0, 25.0)}
    fills = result.book.fills
    assert list(zip(fills["lot_id"], fills["shares"], strict=True)) == [
        (0, 100.0), (1, 50.0), (1, 50.0)]
    assert result.book.lots["remaining_shares"].tolist() == [0.0, 0.0]


def test_partial_redemption_leaves_the_rest_of_the_lot_with_its_mark():
    # 1,000 shares at 1.0; 400 redeemed at 1.5: 20% × 0.5 × 400 = 40. The other 600 keep the
    # mark 1.0, so 600 redeemed later at 1.5 pay 20% × 0.5 × 600 = 60 (not 0).
    tx = trades(("A", "2025-01-02", "P", "subscribe", 1_000, 1_000, 1.0),
                ("A", "2025-03-03", "P", "redeem", 600, 400, 1.5),
                ("A", "2025-05-05", "P", "redeem", 900, 600, 1.5))
    result = derive_fees(tx, None, product(), as_of=FAR)
    assert result.charges["fee"].tolist() == pytest.approx([40.0, 60.0])
    lots = build_lots(tx, as_of=date(2025, 4, 1)).lots
    assert lots[["redeemed_shares", "remaining_shares"]].values.tolist() == [[400.0, 600.0]]


def test_a_redemption_that_empties_a_lot_exactly_leaves_the_next_lot_whole():
    # lots of 100 (at 1.0) and 100 (at 1.5); 100 redeemed takes exactly lot 1, the next 100
    # exactly lot 2: one fill each, no empty fill in between.
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("A", "2025-02-03", "P", "purchase", 150, 100, 1.5),
                ("A", "2025-03-03", "P", "redeem", 100, 100, 1.0),
                ("A", "2025-04-01", "P", "redeem", 150, 100, 1.5))
    fills = build_lots(tx, as_of=FAR).fills
    assert list(zip(fills["lot_id"], fills["shares"], strict=True)) == [(0, 100.0), (1, 100.0)]


def test_lots_are_kept_apart_by_client_and_product():
    # A holds 100 P (at 1.0) and 100 Q (at 2.0); B holds 100 P (at 1.0).
    # A redeems 150 P at 1.5: only A's 100 P leave (20% × 0.5 × 100 = 10), 50 are reported;
    # neither A's Q nor B's P is touched. B redeems 100 P at 1.5: 20% × 0.5 × 100 = 10.
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("A", "2025-01-02", "Q", "subscribe", 200, 100, 2.0),
                ("B", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("B", "2025-02-03", "P", "redeem", 150, 100, 1.5),
                ("A", "2025-02-03", "P", "redeem", 225, 150, 1.5))
    result = derive_fees(tx, None, None, as_of=FAR)
    lots = result.book.lots
    assert list(zip(lots["client_id"], lots["product_id"], lots["remaining_shares"],
                    strict=True)) == [("A", "P", 0.0), ("A", "Q", 100.0), ("B", "P", 0.0)]
    assert fees_of(result.contribution) == {("A", 2025): (0.0, 10.0), ("B", 2025): (0.0, 10.0)}
    over = result.findings.loc[result.findings["kind"] == "redemption_exceeds_holding"]
    assert over[["client_id", "product_id"]].values.tolist() == [["A", "P"]]


def test_no_transactions_give_an_empty_contribution():
    out = fee_contribution(trades(), None, None, as_of=FAR)
    assert list(out.columns) == CONTRIBUTION_COLUMNS
    assert out.empty


def test_redemption_shares_default_to_amount_over_unit_nav():
    # no shares on the redemption: 300 / 1.5 = 200 of the 1,000 shares leave, 800 remain
    tx = trades(("A", "2025-01-02", "P", "subscribe", 1_000, 1_000, 1.0),
                ("A", "2025-03-03", "P", "redeem", 300, None, 1.5))
    assert build_lots(tx, as_of=FAR).lots["remaining_shares"].tolist() == [800.0]


def test_redemption_larger_than_the_holding_is_a_finding_not_a_crash():
    # 100 held, 300 redeemed: the 100 leave (fee 20% × (2 − 1) × 100 = 20), 200 reported.
    # A later lot of 50 is not consumed by the earlier excess.
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("A", "2025-02-03", "P", "redeem", 600, 300, 2.0),
                ("A", "2025-03-03", "P", "purchase", 100, 50, 2.0))
    result = derive_fees(tx, None, product(), as_of=FAR)
    assert result.charges["fee"].tolist() == pytest.approx([20.0])
    assert result.book.lots["remaining_shares"].tolist() == [0.0, 50.0]
    assert result.book.holdings["shares"].tolist() == [100.0, 0.0, 50.0]
    over = result.findings.loc[result.findings["kind"] == "redemption_exceeds_holding"]
    assert over["detail"].tolist() == ["redeems 200.0000 shares more than the 100.0000 held"]


def test_rows_without_shares_or_unit_nav_make_no_lot_and_no_fee_row():
    # B's purchase has no shares and no unit_nav: no lot, a finding, no fee row for B.
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("B", "2025-01-02", "P", "subscribe", 100, None, None),
                ("A", "2025-06-02", "P", "redeem", 200, 100, 2.0),
                ("B", "2025-06-02", "P", "redeem", 200, None, None))
    result = derive_fees(tx, None, product(), as_of=FAR)
    assert result.book.lots["client_id"].tolist() == ["A"]
    assert result.contribution["client_id"].tolist() == ["A"]
    b = result.findings.loc[result.findings["client_id"] == "B", "kind"].tolist()
    assert b == ["buy_not_a_lot", "redemption_unsized"]


def test_rows_after_as_of_are_left_out():
    # the redemption on 2026-01-05 is after as_of: no charge, the lot is still whole
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("A", "2026-01-05", "P", "redeem", 200, 100, 2.0))
    result = derive_fees(tx, None, product(), as_of=date(2025, 12, 31))
    assert result.contribution.empty
    assert result.book.lots["remaining_shares"].tolist() == [100.0]


# --------------------------------------------------------------------------- charge rules


def test_dividend_and_fixed_charges_wait_six_months_but_redemption_always_charges():
    # 1,000 shares at 1.0 on 2025-01-01; dividends (accumulated NAV):
    #   31 March 1.3 — under 6 months since opening: not due;
    #   15 July 1.1 — due: 20% × 0.1 × 1,000 = 20, mark 1.1, next due 15 January 2026;
    #   1 October 1.3 — not due;
    # redemption 1 November at 1.2: always due, 20% × (1.2 − 1.1) × 1,000 = 20. Total 40.
    # (Charging every dividend would give 20% × 0.3 × 1,000 = 60 on 31 March, then nothing.)
    tx = trades(("A", "2025-01-01", "P", "subscribe", 1_000, 1_000, 1.0),
                ("A", "2025-03-31", "P", "dividend", 10, None, None),
                ("A", "2025-07-15", "P", "dividend", 10, None, None),
                ("A", "2025-10-01", "P", "dividend", 10, None, None),
                ("A", "2025-11-01", "P", "redeem", 1_200, 1_000, 1.2))
    nav = navs("P", ("2025-01-01", 1.0), ("2025-03-31", 1.3), ("2025-07-15", 1.1),
               ("2025-10-01", 1.3), ("2025-11-01", 1.2))
    result = derive_fees(tx, nav, product(), as_of=FAR)
    c = result.charges
    assert c["trigger"].tolist() == ["dividend", "dividend", "dividend", "redeem"]
    assert c["charged"].tolist() == [False, True, False, True]
    assert c["fee"].tolist() == pytest.approx([0.0, 20.0, 0.0, 20.0])
    zero = derive_fees(tx, nav, product(), as_of=FAR,
                       params=FeeParams(min_charge_interval_months=0))
    assert zero.charges["fee"].sum() == pytest.approx(60.0)


def test_six_months_after_31_august_is_the_last_day_of_february():
    # opened 2025-08-31: due from 2026-02-28 (31 February does not exist), so the 02-28 charge
    # takes 20% × (1.5 − 1.0) × 100 = 10; a lot opened 2025-09-01 is due only from 1 March.
    tx = trades(("A", "2025-08-31", "P", "subscribe", 100, 100, 1.0),
                ("B", "2025-09-01", "P", "subscribe", 100, 100, 1.0))
    nav = navs("P", ("2025-08-31", 1.0), ("2026-02-28", 1.5))
    out = fee_contribution(tx, nav, product(), as_of=date(2026, 2, 28),
                           params=FeeParams(charge_dates={"P": ("02-28",)}))
    assert fees_of(out) == {("A", 2026): (0.0, 10.0)}


def test_a_dividend_is_not_a_loss_on_the_accumulated_nav():
    # 1,000 shares at unit 1.0 (accumulated 1.0). A 0.1 dividend: unit 1.2 → 1.1, accumulated
    # stays 1.2. Redeemed at unit 1.1 later: accumulated 1.1 + 0.1 = 1.2, fee
    # 20% × (1.2 − 1.0) × 1,000 = 40 (on unit NAV it would be 20% × 0.1 × 1,000 = 20).
    # The dividend itself (2 March, under 6 months) charges nothing.
    tx = trades(("A", "2025-01-02", "P", "subscribe", 1_000, 1_000, 1.0),
                ("A", "2025-03-02", "P", "dividend", 100, None, None),
                ("A", "2025-04-01", "P", "redeem", 1_100, 1_000, 1.1))
    nav = navs("P", ("2025-01-02", 1.0, 1.0), ("2025-03-01", 1.2, 1.2),
               ("2025-03-02", 1.1, 1.2))
    out = fee_contribution(tx, nav, product(), as_of=FAR)
    assert fees_of(out) == {("A", 2025): (0.0, 40.0)}


def test_a_lot_bought_after_earlier_dividends_is_marked_at_the_accumulated_nav():
    # the product paid 0.2 a unit before: bought at unit 1.0 = accumulated 1.2 (the mark);
    # redeemed at unit 1.1 with 0.2 paid = accumulated 1.3: 20% × (1.3 − 1.2) × 1,000 = 20
    # (marking at the unit NAV 1.0 would charge 20% × 0.3 × 1,000 = 60).
    tx = trades(("A", "2025-01-02", "P", "subscribe", 1_000, 1_000, 1.0),
                ("A", "2025-04-01", "P", "redeem", 1_100, 1_000, 1.1))
    nav = navs("P", ("2025-01-02", 1.0, 1.2), ("2025-04-01", 1.1, 1.3))
    out = fee_contribution(tx, nav, product(), as_of=FAR)
    assert fees_of(out) == {("A", 2025): (0.0, 20.0)}


def test_product_rate_wins_over_the_default_performance_rate():
    # product rate 10%: 10% × (1.2 − 1.0) × 1,000 = 20; with no product rate 20% gives 40
    tx = trades(("A", "2025-01-02", "P", "subscribe", 1_000, 1_000, 1.0),
                ("A", "2025-04-01", "P", "redeem", 1_200, 1_000, 1.2))
    assert fee_contribution(tx, None, product(perf=0.10), as_of=FAR)[
        "performance_fee"].tolist() == [20.0]
    assert fee_contribution(tx, None, None, as_of=FAR)["performance_fee"].tolist() == [40.0]


def test_the_lot_book_lives_in_fee_lots_and_is_re_exported_by_fee_sharing():
    # the split keeps `from tiering.fee_sharing import build_lots, LotBook` working
    assert fee_sharing.build_lots is fee_lots.build_lots
    assert fee_sharing.LotBook is fee_lots.LotBook
    tx = trades(("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0))
    assert isinstance(fee_lots.build_lots(tx, as_of=FAR), fee_sharing.LotBook)


# --------------------------------------------------------------------------- tier figure


def test_fee_source_picks_ledger_derived_or_the_larger_per_client():
    ledger = pd.Series({"A": 100.0, "B": 500.0, "C": 300.0})
    derived = pd.DataFrame({"client_id": ["A", "B", "C", "D", "A"], "year": [2025] * 4 + [2024],
                            "management_fee": [200.0, 400.0, 300.0, 50.0, 999.0],
                            "performance_fee": 0.0, "source": "derived"})
    led = tier_management_fee(ledger, derived, year=2025, fee_source="ledger")
    assert list(led.columns) == TIER_FEE_COLUMNS
    # D is absent from the ledger: 0 there
    assert led["mgmt_fee"].tolist() == [100.0, 500.0, 300.0, 0.0]
    assert set(led["mgmt_fee_source"]) == {"ledger"}
    der = tier_management_fee(ledger, derived, year=2025, fee_source="derived")
    assert der["mgmt_fee"].tolist() == [200.0, 400.0, 300.0, 50.0]  # A's 2024 row ignored
    # max: A derived 200 > 100; B ledger 500 > 400; C tie → ledger; D derived 50 > 0
    mx = tier_management_fee(ledger, derived, year=2025, fee_source="max", clients=["A", "B",
                                                                                    "C", "D", "E"])
    assert mx["client_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert mx["mgmt_fee"].tolist() == [200.0, 500.0, 300.0, 50.0, 0.0]
    assert mx["mgmt_fee_source"].tolist() == ["derived", "ledger", "ledger", "derived", "ledger"]


# --------------------------------------------------------------------------- parameters


def test_defaults_are_the_issue_s():
    p = FeeParams()
    assert (p.fee_source, p.day_count, p.default_management_rate, p.default_performance_rate,
            p.min_charge_interval_months, p.hurdle_rate, p.charge_dates) == (
        "ledger", 365, None, 0.20, 6, 0.0, {})


def test_day_count_written_as_text_is_accepted():
    assert FeeParams(day_count="360").day_count == 360
    assert FeeParams(day_count="actual").day_count == "actual"


@pytest.mark.parametrize(("values", "key"), [
    ({"fee_source": "ledgr"}, "fee_source"),
    ({"day_count": 300}, "day_count"),
    ({"default_management_rate": -0.01}, "default_management_rate"),
    ({"default_performance_rate": 1.5}, "default_performance_rate"),
    ({"min_charge_interval_months": -1}, "min_charge_interval_months"),
    ({"hurdle_rate": -0.08}, "hurdle_rate"),
    ({"charge_dates": {"P": ("13-01",)}}, "charge_dates.P"),
    ({"charge_dates": {"*": ("02-29",)}}, "charge_dates.*"),
    ({"charge_dates": {"P": ("6-30",)}}, "charge_dates.P"),
    ({"charge_dates": {"P": ("06-30", "06-30")}}, "charge_dates.P"),
    ({"charge_date": {}}, "charge_date"),
])
def test_invalid_parameters_name_the_key(values, key):
    with pytest.raises(ValidationError) as info:
        FeeParams(**values)
    assert key in str(info.value)


def test_parameters_are_frozen():
    with pytest.raises(ValidationError):
        FeeParams().hurdle_rate = 0.1  # type: ignore[misc]


def test_charge_dates_fall_back_to_star():
    p = FeeParams(charge_dates={"*": ("12-31",), "P1": ("06-30", "03-31")})
    assert p.charge_days_of("P1") == ("03-31", "06-30")
    assert p.charge_days_of("P2") == ("12-31",)


# --------------------------------------------------------------------------- sample data


def test_sample_fees_are_non_negative_and_only_for_clients_with_lots():
    tables = generate_sample(300, questionnaire=load_parameters(PARAMS).questionnaire.points)
    params = FeeParams(charge_dates={"*": ("06-30", "12-31")})
    result = derive_fees(tables["transactions"], tables["nav"], tables["products"],
                         as_of=date(2026, 9, 30), params=params)
    out = result.contribution
    assert len(out) > 0
    assert (out[["management_fee", "performance_fee"]] >= 0).all().all()
    assert not out.duplicated(["client_id", "year"]).any()
    assert out.equals(out.sort_values(["client_id", "year"]).reset_index(drop=True))
    with_lots = set(result.book.lots["client_id"])
    assert set(out["client_id"]) <= with_lots
    clients = set(tables["clients"]["client_id"])
    assert clients - with_lots  # some clients have no lot, and so no row


# --------------------------------------------------------------------------- array helpers


def test_number_text_writes_what_python_writes_ties_to_even():
    # 0.5, 1.5, 2.5 and -0.5 are exact ties: half to even gives 0, 2, 2 and -0
    assert fee_lots.number_text([0.5, 1.5, 2.5, -0.5], 0).tolist() == ["0", "2", "2", "-0"]
    # 1,234,567.125 is exact (…0.125 = 1/8): a tie at two decimals, rounded to even .12
    assert fee_lots.number_text([1_234_567.125, 1234.5, 1e7], 2).tolist() == [
        "1,234,567.12", "1,234.50", "10,000,000.00"]
    assert fee_lots.number_text([1234.5, float("nan"), float("-inf")], 4).tolist() == [
        "1,234.5000", "nan", "-inf"]
    assert fee_lots.number_text([], 4).tolist() == []


def test_sorted_codes_number_the_kept_ids_in_sorted_order_and_missing_as_minus_one():
    ids = pd.Series(["b", "a", None, "c", "a"], dtype=pd.StringDtype("pyarrow"))
    codes, names = fee_lots.sorted_codes(ids, np.array([0, 1, 2, 4]))  # "c" is not kept
    assert codes.tolist() == [1, 0, -1, 0]
    assert names.tolist() == ["a", "b"]
    codes, names = fee_lots.sorted_codes(pd.Series([10, 9, 10]))  # ids as text: "10" < "9"
    assert codes.tolist() == [0, 1, 0]
    assert names.tolist() == ["10", "9"]


def test_findings_sort_missing_client_first_then_client_product_date_kind_stably():
    def part(rows):
        return pd.DataFrame(rows, columns=fee_lots.FINDING_COLUMNS).astype(
            {"date": "datetime64[ns]"})
    out = fee_lots.concat_findings([
        part([("B", "P", "2025-01-02", "k", "1"), ("A", "Q", "2025-01-01", "k", "2")]),
        part([(None, "P", None, "gap", "3"), ("A", "P", "2025-01-03", "k", "4"),
              ("A", "P", "2025-01-03", "b", "5"), ("A", "P", "2025-01-03", "k", "6")]),
    ])
    assert out["detail"].tolist() == ["3", "5", "4", "6", "2", "1"]


def test_same_day_events_take_side_order_then_table_order():
    # on one day the table lists a redemption before the purchases: the purchases (subscribe,
    # then purchase) open lots first, then the redemption takes 150 from them first in, first
    # out; the two purchases keep their table order
    tx = trades(("A", "2025-01-02", "P", "redeem", 150, 150, 1.0),
                ("A", "2025-01-02", "P", "purchase", 100, 100, 1.0),
                ("A", "2025-01-02", "P", "subscribe", 100, 100, 1.0),
                ("A", "2025-01-02", "P", "purchase", 100, 100, 1.0))
    book = build_lots(tx, as_of=FAR)
    assert book.lots["remaining_shares"].tolist() == [0.0, 50.0, 100.0]
    assert book.findings.empty
