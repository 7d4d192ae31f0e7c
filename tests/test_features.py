"""Per-client indicators (SPEC 2.2): rating periods, daily-average assets and the fee sum.

Every expected figure is worked out by hand in the comment next to it, as
(days x balance + ...) / days. Most step-function tests use a ten-day period, 1-10 January
2025, so the arithmetic stays short; the full-year cases use `rating_periods`.

Reading of the SPEC taken here: "after the account's close date, the balance is 0" means the
close date itself is still an open day (the balance held that day counts, and the day is in
the open-days denominator); the day after it is the first day at 0.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tiering.features import (
    Period,
    client_windows,
    daily_average_assets,
    fee_sum,
    rating_periods,
)

TEN_DAYS = Period("p", date(2025, 1, 1), date(2025, 1, 10))


def clients(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, open_date, close_date or None)."""
    frame = pd.DataFrame(rows, columns=["client_id", "open_date", "close_date"])
    frame["open_date"] = pd.to_datetime(frame["open_date"])
    frame["close_date"] = pd.to_datetime(frame["close_date"])
    return frame


def balances(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, date, total_assets)."""
    frame = pd.DataFrame(rows, columns=["client_id", "date", "total_assets"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["total_assets"] = frame["total_assets"].astype("float64")
    return frame


def fees(*rows: tuple) -> pd.DataFrame:
    """Rows of (client_id, date, fee_type, amount)."""
    frame = pd.DataFrame(rows, columns=["client_id", "date", "fee_type", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def averages(
    client_rows: pd.DataFrame,
    balance_rows: pd.DataFrame,
    periods: tuple[Period, ...] = (TEN_DAYS,),
    denominator: str = "open_days",
) -> dict[tuple[str, str], float]:
    """{(client_id, period name): avg_assets}, failing on a duplicated key."""
    windows = client_windows(client_rows, periods)
    out = daily_average_assets(balance_rows, windows, denominator=denominator)
    keys = list(zip(out["client_id"], out["period"], strict=True))
    assert len(keys) == len(set(keys)), f"duplicate (client, period) rows: {keys}"
    return dict(zip(keys, out["avg_assets"].astype(float), strict=True))


def fee_by_client(frame: pd.DataFrame, period: Period) -> dict[str, float]:
    out = fee_sum(frame, period)
    return dict(zip(out["client_id"], out["fee"].astype(float), strict=True))


# --- rating periods -------------------------------------------------------------------------


def test_last_complete_year_before_31_december_is_the_previous_calendar_year():
    last_year, ytd = rating_periods(date(2026, 9, 30))
    assert (last_year.start, last_year.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert last_year.days == 365
    # ytd: 1 Jan -> 30 Sep 2026 = 31+28+31+30+31+30+31+31+30 = 273 days
    assert (ytd.start, ytd.end) == (date(2026, 1, 1), date(2026, 9, 30))
    assert ytd.days == 273


def test_last_complete_year_on_31_december_is_that_year_itself():
    last_year, ytd = rating_periods(date(2026, 12, 31))
    assert (last_year.start, last_year.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert (ytd.start, ytd.end) == (date(2026, 1, 1), date(2026, 12, 31))


def test_last_complete_year_on_30_december_is_still_the_previous_year():
    last_year, _ = rating_periods(date(2026, 12, 30))
    assert (last_year.start, last_year.end) == (date(2025, 1, 1), date(2025, 12, 31))


def test_year_to_date_on_1_january_is_that_single_day():
    last_year, ytd = rating_periods(date(2026, 1, 1))
    assert last_year.end == date(2025, 12, 31)
    assert (ytd.start, ytd.end, ytd.days) == (date(2026, 1, 1), date(2026, 1, 1), 1)


def test_leap_year_2024_has_366_days():
    last_year, ytd = rating_periods(date(2024, 12, 31))
    assert last_year.days == 366
    assert ytd.days == 366


# --- open days ------------------------------------------------------------------------------


def test_close_date_itself_counts_as_an_open_day():
    # opened before the period, closed 4 Jan: open on 1, 2, 3, 4 Jan = 4 days of 10
    windows = client_windows(clients(("A", "2024-06-01", "2025-01-04")), (TEN_DAYS,))
    row = windows.iloc[0]
    assert row["open_days"] == 4
    assert row["period_days"] == 10


def test_account_closed_before_the_period_has_no_open_days():
    windows = client_windows(clients(("A", "2024-06-01", "2024-12-15")), (TEN_DAYS,))
    assert windows.iloc[0]["open_days"] == 0


def test_client_table_without_close_date_column_means_all_accounts_open():
    frame = pd.DataFrame({"client_id": ["A"], "open_date": pd.to_datetime(["2025-01-07"])})
    windows = client_windows(frame, (TEN_DAYS,))
    # opened 7 Jan: open on 7, 8, 9, 10 Jan = 4 days
    assert windows.iloc[0]["open_days"] == 4


# --- daily average: the step function ---------------------------------------------------------


def test_change_only_rows_and_daily_rows_give_the_same_average():
    people = clients(("A", "2024-06-01", None))
    change_only = balances(
        ("A", "2025-01-01", 100), ("A", "2025-01-04", 400), ("A", "2025-01-08", 1000)
    )
    daily = balances(
        *[("A", f"2025-01-0{d}", 100) for d in (1, 2, 3)],
        *[("A", f"2025-01-0{d}", 400) for d in (4, 5, 6, 7)],
        ("A", "2025-01-08", 1000),
        ("A", "2025-01-09", 1000),
        ("A", "2025-01-10", 1000),
    )
    # (3 x 100 + 4 x 400 + 3 x 1000) / 10 = (300 + 1600 + 3000) / 10 = 490
    assert averages(people, change_only)[("A", "p")] == pytest.approx(490.0)
    assert averages(people, daily)[("A", "p")] == pytest.approx(490.0)


def test_balance_row_before_the_period_carries_in_from_the_first_day():
    people = clients(("A", "2024-06-01", None))
    rows = balances(
        ("A", "2024-12-01", 999_999),  # superseded on 20 Dec, before the period: counts 0 days
        ("A", "2024-12-20", 200),
        ("A", "2025-01-06", 700),
    )
    # 1-5 Jan at 200, 6-10 Jan at 700: (5 x 200 + 5 x 700) / 10 = (1000 + 3500) / 10 = 450
    assert averages(people, rows)[("A", "p")] == pytest.approx(450.0)


def test_no_row_before_the_period_means_zero_until_the_first_row():
    people = clients(("A", "2024-06-01", None))  # open the whole period
    rows = balances(("A", "2025-01-05", 1000))
    # 1-4 Jan at 0, 5-10 Jan at 1000: (4 x 0 + 6 x 1000) / 10 = 600
    assert averages(people, rows)[("A", "p")] == pytest.approx(600.0)


def test_rows_after_the_close_date_count_zero_and_the_denominator_is_the_open_days():
    people = clients(("A", "2024-06-01", "2025-01-04"))
    rows = balances(("A", "2024-12-31", 800), ("A", "2025-01-08", 500))
    # open 1-4 Jan at 800; 5-10 Jan closed (the 8 Jan row is ignored): 4 x 800 / 4 = 800
    assert averages(people, rows)[("A", "p")] == pytest.approx(800.0)


def test_all_days_denominator_divides_by_every_day_of_the_period():
    people = clients(("A", "2024-06-01", "2025-01-04"))
    rows = balances(("A", "2024-12-31", 800), ("A", "2025-01-08", 500))
    # 4 x 800 / 10 = 3200 / 10 = 320 (with the close date as an open day; 240 if it were not)
    got = averages(people, rows, denominator="all_days")
    assert got[("A", "p")] == pytest.approx(320.0)


def test_client_opened_mid_period_is_averaged_over_the_days_open():
    people = clients(("A", "2025-01-07", None))
    rows = balances(("A", "2025-01-07", 300))
    # open 7-10 Jan = 4 days: 4 x 300 / 4 = 300
    assert averages(people, rows)[("A", "p")] == pytest.approx(300.0)
    # all days: 4 x 300 / 10 = 120
    assert averages(people, rows, denominator="all_days")[("A", "p")] == pytest.approx(120.0)


def test_client_opened_mid_year_is_averaged_over_the_days_open_in_the_last_year():
    last_year, ytd = rating_periods(date(2026, 3, 31))  # last year = 2025, 365 days
    people = clients(("A", "2025-10-01", None))
    rows = balances(("A", "2025-10-01", 600_000), ("A", "2025-12-01", 1_200_000))
    got = averages(people, rows, (last_year, ytd))
    # open 1 Oct - 31 Dec 2025 = 31 + 30 + 31 = 92 days
    # Oct + Nov = 61 days x 600,000 = 36,600,000; Dec = 31 days x 1,200,000 = 37,200,000
    # (36,600,000 + 37,200,000) / 92 = 73,800,000 / 92 = 802,173.913... -> 802,173.91
    assert got[("A", "last_year")] == pytest.approx(802_173.91, abs=0.005)
    # ytd 1 Jan - 31 Mar 2026 = 31 + 28 + 31 = 90 days, all at 1,200,000: 1,200,000
    assert got[("A", "ytd")] == pytest.approx(1_200_000.0)
    got_all = averages(people, rows, (last_year, ytd), denominator="all_days")
    # 73,800,000 / 365 = 202,191.780... -> 202,191.78
    assert got_all[("A", "last_year")] == pytest.approx(202_191.78, abs=0.005)


def test_balance_row_dated_before_the_opening_counts_only_from_the_open_date():
    people = clients(("A", "2025-01-07", None))
    rows = balances(("A", "2025-01-03", 300))
    # closed until 7 Jan; open 7-10 Jan = 4 days at 300: 4 x 300 / 4 = 300
    assert averages(people, rows)[("A", "p")] == pytest.approx(300.0)
    # all days: 4 x 300 / 10 = 120 (not 8 x 300 / 10 = 240 from 3 Jan)
    assert averages(people, rows, denominator="all_days")[("A", "p")] == pytest.approx(120.0)


def test_account_not_open_in_the_period_averages_zero_not_a_division_by_zero():
    last_year, ytd = rating_periods(date(2026, 9, 30))
    people = clients(("A", "2026-03-01", None))  # opened after the last complete year (2025)
    rows = balances(("A", "2026-03-01", 1_000_000))
    got = averages(people, rows, (last_year, ytd))
    # 2025: 0 open days -> 0
    assert got[("A", "last_year")] == 0.0
    # ytd: open 1 Mar - 30 Sep = 31+30+31+30+31+31+30 = 214 days: 214 x 1,000,000 / 214
    assert got[("A", "ytd")] == pytest.approx(1_000_000.0)


def test_client_with_no_balance_rows_is_in_the_output_with_zero():
    people = clients(("A", "2024-06-01", None), ("Z", "2024-06-01", None))
    rows = balances(("A", "2025-01-01", 100))
    got = averages(people, rows)
    # A: 10 x 100 / 10 = 100; Z: no rows, 0 every day -> 0
    assert got[("A", "p")] == pytest.approx(100.0)
    assert ("Z", "p") in got
    assert got[("Z", "p")] == 0.0


def test_client_with_no_balance_rows_appears_in_every_period():
    last_year, ytd = rating_periods(date(2026, 9, 30))
    people = clients(("A", "2024-06-01", None), ("Z", "2024-06-01", None))
    rows = balances(("A", "2025-01-01", 100))
    got = averages(people, rows, (last_year, ytd))
    assert got[("Z", "last_year")] == 0.0
    assert got[("Z", "ytd")] == 0.0


def test_interleaved_unsorted_rows_of_several_clients_are_kept_apart():
    people = clients(("A", "2024-06-01", None), ("B", "2024-06-01", None))
    rows = balances(
        ("B", "2025-01-09", 500),
        ("A", "2025-01-06", 300),
        ("B", "2025-01-01", 1000),
        ("A", "2025-01-01", 100),
        ("B", "2025-01-03", 0),
    )
    rows.index = [7, 3, 11, 2, 40]  # as left by filtering rows out of a bigger table
    got = averages(people, rows)
    # A: 1-5 Jan at 100, 6-10 Jan at 300: (5 x 100 + 5 x 300) / 10 = 2000 / 10 = 200
    assert got[("A", "p")] == pytest.approx(200.0)
    # B: 1-2 Jan at 1000, 3-8 Jan at 0, 9-10 Jan at 500: (2000 + 0 + 1000) / 10 = 300
    assert got[("B", "p")] == pytest.approx(300.0)


def test_balance_rows_of_clients_outside_the_windows_are_ignored():
    people = clients(("A", "2024-06-01", None))
    rows = balances(("A", "2025-01-01", 100), ("X", "2025-01-01", 1_000_000))
    got = averages(people, rows)
    # A: 10 x 100 / 10 = 100; X has no window, so no row
    assert got == {("A", "p"): pytest.approx(100.0)}


def test_leap_day_counts_in_a_2024_year_of_366_days():
    last_year, _ = rating_periods(date(2024, 12, 31))
    people = clients(("A", "2020-01-01", None))
    rows = balances(("A", "2023-06-30", 0), ("A", "2024-02-29", 36_600), ("A", "2024-03-01", 0))
    # only 29 Feb at 36,600: 1 x 36,600 / 366 = 100 (it would be 100.27 over 365 days)
    assert averages(people, rows, (last_year,))[("A", "last_year")] == pytest.approx(100.0)


def test_leap_year_denominator_is_366_for_a_constant_balance_under_all_days():
    last_year, _ = rating_periods(date(2024, 12, 31))
    people = clients(("A", "2024-07-01", None))
    rows = balances(("A", "2024-07-01", 366_000))
    # open 1 Jul - 31 Dec = 31+31+30+31+30+31 = 184 days: 184 x 366,000 / 366 = 184,000
    got = averages(people, rows, (last_year,), denominator="all_days")
    assert got[("A", "last_year")] == pytest.approx(184_000.0)


# --- management fees ------------------------------------------------------------------------


def test_fee_sum_counts_only_management_fees():
    rows = fees(
        ("A", "2025-03-01", "management", 1000),
        ("A", "2025-03-01", "performance", 5000),
        ("A", "2025-04-01", "subscription", 300),
        ("A", "2025-05-01", "management", 250.5),
    )
    last_year, _ = rating_periods(date(2026, 9, 30))
    # 1000 + 250.50 = 1250.50 (performance and subscription left out)
    assert fee_by_client(rows, last_year) == {"A": pytest.approx(1250.5)}


def test_fee_sum_counts_31_december_in_and_1_january_of_the_next_year_out():
    rows = fees(
        ("A", "2024-12-31", "management", 1),
        ("A", "2025-01-01", "management", 10),
        ("A", "2025-12-31", "management", 100),
        ("A", "2026-01-01", "management", 1000),
    )
    last_year, _ = rating_periods(date(2026, 9, 30))  # 2025
    # in 2025: 10 (1 Jan) + 100 (31 Dec) = 110
    assert fee_by_client(rows, last_year) == {"A": pytest.approx(110.0)}


def test_fee_reversals_net_off_against_charges():
    rows = fees(
        ("A", "2025-03-31", "management", 4000),
        ("A", "2025-04-15", "management", -1500),  # reversal
        ("B", "2025-06-30", "management", 2000),
        ("B", "2025-07-02", "management", -2000),  # fully reversed
    )
    last_year, _ = rating_periods(date(2026, 9, 30))
    got = fee_by_client(rows, last_year)
    # A: 4000 - 1500 = 2500; B: 2000 - 2000 = 0
    assert got == {"A": pytest.approx(2500.0), "B": pytest.approx(0.0)}


def test_fee_sum_keeps_clients_apart():
    rows = fees(
        ("B", "2025-02-01", "management", 70),
        ("A", "2025-02-01", "management", 5),
        ("B", "2025-08-01", "management", 30),
    )
    last_year, _ = rating_periods(date(2026, 9, 30))
    # A: 5; B: 70 + 30 = 100
    assert fee_by_client(rows, last_year) == {"A": pytest.approx(5.0), "B": pytest.approx(100.0)}
