"""The deliberate edge cases: which clients they are and the values set by hand for them.

Every edge case sits at a fixed client number among the first `HEAD` clients (C000005 is
number 5); random features skip those clients. Dates are relative to the sample calendar:
"last year" is the last complete year at the reference quarter end (2025 for the default end
date).
"""

from __future__ import annotations

import numpy as np

from tiering.sample.days import SampleCalendar

# name -> client numbers
EDGE: dict[str, tuple[int, ...]] = {
    # daily_assets: step-function averages over last year exactly on a threshold
    "avg_last_year_exactly_5m": (5,),  # institution; 5,000,000 all year, fee 8,000: core B
    "avg_last_year_exactly_500k": (10,),  # 500,000 all year, below it this year
    "avg_last_year_exactly_100k": (15,),  # 100,000 all year, below it this year
    "vip_by_ytd_only": (20,),  # ~2.95M last year, ~6.8M this year to date, fee < 10,000
    "vip_last_year_only": (25,),  # ~7.2M last year, ~1.8M this year to date, fee < 10,000
    # fees: last year's management fee decides
    "core_a_by_fee_modest_assets": (30, 31, 32),  # 12,000 / 25,000 / 49,999.99
    "vip_by_fee": (35,),  # ~3.8M assets, fee ~68,000
    "fee_exactly_10k": (40,),  # 4 x 2,500 on ~650k
    "fee_exactly_50k_with_reversal": (45,),  # 13,000 - 500 + 3 x 12,500 on ~3M
    # balance rows after the close date (data errors a run must handle)
    "balance_after_close": (50, 51),
    # risk assessments and recorded categories
    "score_off": (55, 56, 57),  # given score = scored answers +3, -2, +5
    "recorded_category_disagrees": (60, 61, 62),
    "unsigned_latest_assessment": (70,),
    "expired_assessment_only": (71,),  # one assessment, 800 days before the reference date
    "no_assessment": (72,),
    "two_assessments_category_changed": (73,),  # aggressive earlier, conservative latest
    # suitability: high-risk (R4/R5) purchases last year by low scorers
    "mismatch_purchase_warning_unsigned": (75,),
    "mismatch_purchase_warning_signed": (76,),
    "lowest_category_purchase_warning_signed": (77,),  # score 9: still a violation
    # account lifecycle
    "opened_after_reference_date": (80,),
    "opened_this_year_before_reference_date": (81,),
    "closed_after_reference_date": (82,),
    # level overrides: one ended last year, then an open-ended one this year
    "override_ended_then_new": (65,),
}
HEAD = 100  # every edge case is among the first HEAD clients; random features skip them

EDGE_CASES: dict[str, tuple[str, ...]] = {
    name: tuple(f"C{k:06d}" for k in numbers) for name, numbers in EDGE.items()
}


def edge_index(*names: str) -> np.ndarray:
    """0-based positions of the clients of the named edge cases, ascending."""
    return np.array(sorted(k - 1 for name in names for k in EDGE[name]), dtype=np.int64)


def one(name: str) -> int:
    """0-based position of the one client of an edge case."""
    (number,) = EDGE[name]
    return number - 1


# the edge cases whose balance rows are set by hand (edge_balances)
ASSET_EDGES = (
    "avg_last_year_exactly_5m", "avg_last_year_exactly_500k", "avg_last_year_exactly_100k",
    "vip_by_ytd_only", "vip_last_year_only", "core_a_by_fee_modest_assets", "vip_by_fee",
    "fee_exactly_10k", "fee_exactly_50k_with_reversal", "balance_after_close",
)
# client number -> balance level, for every client an edge case names: long-standing, funded
# individuals (the 5m one an institution) with a set level of wealth
EDGE_WEALTH = {
    5: 5e6, 10: 5e5, 15: 1e5, 20: 4.5e6, 25: 6e6, 30: 3e5, 31: 4.5e5, 32: 2.6e6, 35: 3.8e6,
    40: 6.5e5, 45: 3e6, 50: 8.2e5, 51: 1.5e5, 55: 6e5, 56: 2.5e5, 57: 4e4, 60: 1.2e6,
    61: 3e5, 62: 8e4, 65: 2e6, 70: 9e5, 71: 7e5, 72: 2e5, 73: 1.5e6, 75: 3.5e5, 76: 8e5,
    77: 1.2e5, 80: 8e5, 81: 3e5, 82: 6e5,
}
EDGE_CLIENTS = np.array(sorted(EDGE_WEALTH)) - 1  # their 0-based positions, ascending
EDGE_CLIENTS.setflags(write=False)


def edge_balances(cal: SampleCalendar) -> dict[int, list[tuple[int, float, int]]]:
    """Client number -> balance rows (day, balance, kind: 0 valuation, 1 flow, 2 redeemed)."""
    s, on = cal.start, cal.on
    return {
        5: [(s, 4_600_000, 0), (on(-1, 11, 15), 5_000_000, 1), (on(1, 2, 10), 4_800_000, 1),
            (on(1, 6, 30), 4_750_000, 0)],
        10: [(s, 480_000, 0), (on(-1, 12, 2), 500_000, 1), (on(1, 4, 20), 495_000, 1)],
        15: [(s, 95_000, 0), (on(-1, 11, 29), 100_000, 1), (on(1, 5, 6), 98_000, 1)],
        20: [(s, 2_800_000, 0), (on(0, 6, 30), 3_100_000, 0), (on(1, 1, 8), 6_800_000, 1),
             (on(1, 6, 30), 7_050_000, 0)],
        25: [(s, 7_200_000, 0), (on(0, 4, 30), 7_400_000, 0), (on(0, 10, 31), 6_900_000, 0),
             (on(1, 1, 15), 1_500_000, 1), (on(1, 7, 31), 1_520_000, 0)],
        30: [(s, 295_000, 0), (on(0, 3, 31), 300_000, 0), (on(0, 9, 30), 310_000, 0),
             (on(1, 3, 31), 305_000, 0)],
        31: [(s, 440_000, 0), (on(0, 6, 30), 455_000, 0), (on(1, 6, 30), 460_000, 0)],
        32: [(s, 2_550_000, 0), (on(0, 5, 31), 2_620_000, 0), (on(1, 2, 27), 2_580_000, 0)],
        35: [(s, 3_700_000, 0), (on(0, 3, 31), 3_800_000, 0), (on(0, 9, 30), 3_850_000, 0),
             (on(1, 3, 31), 3_900_000, 0)],
        40: [(s, 640_000, 0), (on(0, 6, 30), 655_000, 0), (on(1, 6, 30), 660_000, 0)],
        45: [(s, 2_950_000, 0), (on(0, 6, 30), 3_050_000, 0), (on(1, 6, 30), 3_020_000, 0)],
        50: [(s, 820_000, 0), (on(0, 6, 30), 845_000, 0), (on(1, 3, 13), 0, 2),
             (on(1, 4, 10), 1_234.56, 0)],
        51: [(s, 150_000, 0), (on(0, 6, 30), 0, 2), (on(0, 7, 15), 86.20, 0)],
    }


# management fees set by hand: client number -> (the quarterly charge, charges that differ by
# (year offset, month, day), extra rows ((year offset, month, day), amount))
FEE_EDGES: dict[int, tuple[float, dict[tuple[int, int, int], float],
                           list[tuple[tuple[int, int, int], float]]]] = {
    30: (3_000.0, {}, []),
    31: (6_250.0, {}, []),
    32: (12_500.0, {(0, 3, 31): 12_499.99}, []),
    40: (2_500.0, {}, []),
    45: (12_500.0, {(0, 3, 31): 13_000.0}, [((0, 4, 15), -500.0)]),
}
RATE_EDGES = {5: 0.0016, 20: 0.003, 25: 0.0012, 35: 0.018, 10: 0.01, 15: 0.01}  # fee rates
