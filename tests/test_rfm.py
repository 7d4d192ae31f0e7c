"""Activity (RFM, SPEC 2.6): bin edges, window edges, quintile ties, segments, churn.

Every expected score below is worked out by hand from the rules in `tiering.rfm`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tiering.rfm import COLUMNS, aggregate_pandas, churn, rfm
from tiering.rfm_params import RfmParams, ScoreMethod, SegmentLabels

AS_OF = date(2026, 9, 30)
LABELS = SegmentLabels()


def trades(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    """(client_id, days before AS_OF, side, amount) rows as a transactions frame."""
    return pd.DataFrame({
        "client_id": [r[0] for r in rows],
        "trade_date": pd.to_datetime([AS_OF - timedelta(days=r[1]) for r in rows]),
        "side": [r[2] for r in rows],
        "amount": [float(r[3]) for r in rows],
    })


def by_client(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("client_id")


def test_output_has_exactly_the_documented_columns():
    out = rfm(trades([("a", 0, "subscribe", 1)]), pd.Series(["a"]), as_of=AS_OF)
    assert list(out.columns) == COLUMNS


@pytest.mark.parametrize(("days", "expected_r"), [
    (0, 5), (7, 5), (8, 4), (30, 4), (31, 3), (60, 3), (61, 2), (120, 2), (121, 1), (400, 1),
])
def test_recency_score_at_every_bin_edge(days, expected_r):
    out = by_client(rfm(trades([("a", days, "purchase", 10)]), pd.Series(["a"]), as_of=AS_OF))
    assert out.loc["a", "recency_days"] == days
    assert out.loc["a", "r"] == expected_r


def test_recency_counts_from_the_last_trade_even_outside_the_window():
    out = by_client(rfm(trades([("a", 500, "purchase", 10), ("a", 800, "purchase", 5)]),
                        pd.Series(["a"]), as_of=AS_OF))
    assert out.loc["a", "recency_days"] == 500
    assert out.loc["a", "last_trade_date"] == pd.Timestamp(AS_OF - timedelta(days=500))
    # no trade in the window: F = M = 0, both scored 1
    assert (out.loc["a", "frequency"], out.loc["a", "monetary"]) == (0, 0.0)
    assert (out.loc["a", "r"], out.loc["a", "f"], out.loc["a", "m"]) == (1, 1, 1)
    assert out.loc["a", "rfm_code"] == "111"


def test_trades_after_as_of_are_ignored():
    out = by_client(rfm(trades([("a", 10, "purchase", 10), ("a", -1, "purchase", 99)]),
                        pd.Series(["a"]), as_of=AS_OF))
    assert out.loc["a", "recency_days"] == 10
    assert (out.loc["a", "frequency"], out.loc["a", "monetary"]) == (1, 10.0)


def test_window_includes_window_days_minus_one_before_as_of_and_not_window_days():
    rows = [("in", 364, "purchase", 7), ("out", 365, "purchase", 7)]
    out = by_client(rfm(trades(rows), pd.Series(["in", "out"]), as_of=AS_OF))
    assert (out.loc["in", "frequency"], out.loc["in", "monetary"]) == (1, 7.0)
    assert (out.loc["out", "frequency"], out.loc["out", "monetary"]) == (0, 0.0)


def test_window_edge_follows_window_days():
    params = RfmParams(window_days=30)
    rows = [("a", 29, "purchase", 1), ("a", 30, "purchase", 2), ("a", 0, "purchase", 4)]
    out = by_client(rfm(trades(rows), pd.Series(["a"]), as_of=AS_OF, params=params))
    assert (out.loc["a", "frequency"], out.loc["a", "monetary"]) == (2, 5.0)


def test_redeem_and_dividend_are_not_counted():
    rows = [("a", 3, "redeem", 1000), ("a", 50, "purchase", 10), ("a", 1, "dividend", 5),
            ("b", 2, "redeem", 1000)]
    out = by_client(rfm(trades(rows), pd.Series(["a", "b"]), as_of=AS_OF))
    assert out.loc["a", "recency_days"] == 50
    assert (out.loc["a", "frequency"], out.loc["a", "monetary"]) == (1, 10.0)
    # a client who only redeemed has no counted transaction at all
    assert out.loc["b", "segment"] == LABELS.none


def test_counted_sides_can_include_redeem():
    params = RfmParams(counted_sides=("subscribe", "purchase", "redeem"))
    out = by_client(rfm(trades([("a", 3, "redeem", 1000)]), pd.Series(["a"]), as_of=AS_OF,
                        params=params))
    assert (out.loc["a", "recency_days"], out.loc["a", "frequency"]) == (3, 1)


def test_quintile_ties_share_a_score():
    # frequencies 1,1,1,2,2,3,4,5,5,9: min-ranks 1,1,1,4,4,6,7,8,8,10 and n = 10, so
    # score = 1 + floor(5 (rank - 1) / 10) = 1,1,1,2,2,3,4,4,4,5
    freqs = [1, 1, 1, 2, 2, 3, 4, 5, 5, 9]
    rows = [(f"c{i}", 0, "purchase", 1) for i, k in enumerate(freqs) for _ in range(k)]
    # one client with trades only before the window, one with none: neither is ranked
    rows.append(("old", 400, "purchase", 1_000))
    scope = pd.Series([f"c{i}" for i in range(10)] + ["old", "none"])
    out = by_client(rfm(trades(rows), scope, as_of=AS_OF))
    expected = [1, 1, 1, 2, 2, 3, 4, 4, 4, 5]
    assert [out.loc[f"c{i}", "frequency"] for i in range(10)] == freqs
    assert [out.loc[f"c{i}", "f"] for i in range(10)] == expected
    # amount 1 per trade: monetary equals frequency, so the same scores
    assert [out.loc[f"c{i}", "m"] for i in range(10)] == expected
    assert (out.loc["old", "f"], out.loc["old", "m"]) == (1, 1)


def test_quintiles_of_distinct_values_split_into_fifths():
    # 5 clients with amounts 10..50: ranks 1..5, n = 5, score = rank
    rows = [(f"c{i}", 0, "purchase", 10 * (i + 1)) for i in range(5)]
    out = by_client(rfm(trades(rows), pd.Series([f"c{i}" for i in range(5)]), as_of=AS_OF))
    assert [out.loc[f"c{i}", "m"] for i in range(5)] == [1, 2, 3, 4, 5]
    # all have frequency 1: a single tie, everybody rank 1, score 1
    assert [out.loc[f"c{i}", "f"] for i in range(5)] == [1, 1, 1, 1, 1]


def test_fixed_bins_are_inclusive_upper_bounds():
    params = RfmParams(
        frequency=ScoreMethod(method="bins", bins=(1, 3, 6, 12)),
        monetary=ScoreMethod(method="bins", bins=(100, 200, 300, 400)),
    )
    freqs = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 6, "f": 7, "g": 12, "h": 13}
    rows = [(c, 0, "subscribe", 1) for c, k in freqs.items() for _ in range(k)]
    amounts = {"m1": 100, "m2": 100.01, "m3": 300, "m4": 400, "m5": 400.5}
    rows += [(c, 5, "purchase", a) for c, a in amounts.items()]
    out = by_client(rfm(trades(rows), pd.Series([*freqs, *amounts]), as_of=AS_OF,
                        params=params))
    assert [out.loc[c, "f"] for c in freqs] == [1, 2, 2, 3, 3, 4, 4, 5]
    assert [out.loc[c, "m"] for c in amounts] == [1, 2, 3, 4, 5]


def test_clients_without_transactions_get_their_own_segment_and_empty_scores():
    out = by_client(rfm(trades([("a", 1, "purchase", 5)]), pd.Series(["a", "z"]), as_of=AS_OF))
    z = out.loc["z"]
    assert z["segment"] == "无交易客户"
    assert z["rfm_code"] == "000"
    assert pd.isna(z["r"]) and pd.isna(z["f"]) and pd.isna(z["m"])
    assert pd.isna(z["last_trade_date"]) and pd.isna(z["recency_days"])
    assert (z["frequency"], z["monetary"]) == (0, 0.0)


def test_empty_transactions_give_every_client_the_no_transaction_segment():
    empty = trades([]).astype({"trade_date": "datetime64[ns]", "client_id": str, "side": str})
    out = rfm(empty, pd.Series(["a", "b"]), as_of=AS_OF)
    assert list(out["client_id"]) == ["a", "b"]
    assert set(out["segment"]) == {LABELS.none}


def test_scope_decides_the_rows_once_each_and_sorted():
    rows = [("a", 1, "purchase", 5), ("x", 1, "purchase", 5)]
    out = rfm(trades(rows), pd.Series(["b", "a", "a"]), as_of=AS_OF)
    assert list(out["client_id"]) == ["a", "b"]


# Each segment reached by one hand-made client, with fixed bins so the scores are known:
# R: 45 days → 3 (high, the edge), 100 days → 2 (low); F bins (1, 2, 3, 4): 3 trades → 3
# (high), 2 trades → 2 (low); M bins (100, 200, 300, 400): 300 → 3 (high), 200 → 2 (low).
SEGMENT_CASES = {
    "重要价值客户": (45, 3, 300, "333"),
    "重要发展客户": (45, 2, 300, "323"),
    "重要保持客户": (100, 3, 300, "233"),
    "重要挽留客户": (100, 2, 300, "223"),
    "一般价值客户": (45, 3, 200, "332"),
    "一般发展客户": (45, 2, 200, "322"),
    "一般保持客户": (100, 3, 200, "232"),
    "一般挽留客户": (100, 2, 200, "222"),
}


def test_each_of_the_eight_segments_is_reached_by_a_hand_made_client():
    params = RfmParams(
        frequency=ScoreMethod(method="bins", bins=(1, 2, 3, 4)),
        monetary=ScoreMethod(method="bins", bins=(100, 200, 300, 400)),
    )
    rows = []
    for label, (days, n, total, _) in SEGMENT_CASES.items():
        rows += [(label, days, "purchase", total / n)] * n
    out = by_client(rfm(trades(rows), pd.Series(list(SEGMENT_CASES)), as_of=AS_OF,
                        params=params))
    for label, (_, _, _, code) in SEGMENT_CASES.items():
        assert (out.loc[label, "rfm_code"], out.loc[label, "segment"]) == (code, label)


def test_rfm_code_concatenates_the_scores():
    rows = [("a", 3, "purchase", 50), ("b", 40, "purchase", 10), ("b", 41, "purchase", 10)]
    out = by_client(rfm(trades(rows), pd.Series(["a", "b"]), as_of=AS_OF))
    # a: r 5; F 1 vs 2 → ranks 1, 2 of n = 2 → f 1, 3; M 50 vs 20 → m 3, 1
    assert out.loc["a", "rfm_code"] == "513"
    assert out.loc["b", "rfm_code"] == "331"


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(-5, 900),
                  st.sampled_from(["subscribe", "purchase", "redeem", "dividend"]),
                  st.integers(0, 1_000)),
        max_size=40),
    scope=st.lists(st.sampled_from("abcdefghijk"), min_size=1, max_size=15),
    quintile=st.booleans(),
)
def test_every_client_in_scope_gets_exactly_one_row_and_one_segment(rows, scope, quintile):
    method = "quintile" if quintile else "bins"
    params = RfmParams(frequency=ScoreMethod(method=method, bins=(1, 2, 3, 4)),
                       monetary=ScoreMethod(method=method, bins=(10, 100, 300, 600)))
    frame = trades(rows).astype({"client_id": str, "side": str,
                                 "trade_date": "datetime64[ns]"})
    out = rfm(frame, pd.Series(scope), as_of=AS_OF, params=params)
    assert sorted(out["client_id"]) == sorted(set(scope))
    assert out["client_id"].is_unique
    labels = set(LABELS.model_dump().values())
    assert out["segment"].isin(labels).all()
    counted = {r[0] for r in rows if r[1] >= 0 and r[2] in ("subscribe", "purchase")}
    for _, row in out.iterrows():
        scores = [row["r"], row["f"], row["m"]]
        if row["client_id"] in counted:
            assert all(1 <= s <= 5 for s in scores)
            assert row["rfm_code"] == "".join(str(s) for s in scores)
            assert row["segment"] != LABELS.none
        else:
            assert all(pd.isna(s) for s in scores)
            assert (row["rfm_code"], row["segment"]) == ("000", LABELS.none)


def test_duckdb_gives_the_same_aggregation_and_scores_as_pandas():
    duckdb = pytest.importorskip("duckdb")
    rows = [("a", 0, "purchase", 10.5), ("a", 364, "subscribe", 1.25), ("a", 365, "purchase", 9),
            ("b", 8, "redeem", 100), ("b", 200, "purchase", 3), ("c", 700, "subscribe", 4),
            ("d", 31, "purchase", 0.1), ("d", 31, "purchase", 0.2), ("e", -3, "purchase", 1)]
    frame = trades(rows)
    con = duckdb.connect()
    pandas_agg = aggregate_pandas(frame, as_of=AS_OF, params=RfmParams())
    duck_agg = aggregate_pandas(con.from_df(frame), as_of=AS_OF, params=RfmParams())
    pd.testing.assert_frame_equal(duck_agg, pandas_agg)
    assert list(pandas_agg["client_id"]) == ["a", "b", "c", "d"]
    assert list(pandas_agg["frequency"]) == [2, 1, 0, 2]
    assert list(pandas_agg["monetary"]) == [11.75, 3.0, 0.0, 0.3]
    scope = pd.Series(["a", "b", "c", "d", "e", "f"])
    pd.testing.assert_frame_equal(rfm(con.from_df(frame), scope, as_of=AS_OF),
                                  rfm(frame, scope, as_of=AS_OF))


# churn ---------------------------------------------------------------------------------------

def churn_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [("v1", 100, "purchase", 5), ("v2", 3, "purchase", 5), ("c1", 200, "purchase", 5),
            ("s1", 300, "purchase", 5), ("c2", 40, "purchase", 5)]
    now = rfm(trades(rows), pd.Series(["v1", "v2", "c1", "s1", "c2", "v0"]), as_of=AS_OF)
    levels = pd.DataFrame({"client_id": ["v1", "v2", "c1", "s1", "c2", "v0"],
                           "level": ["vip", "vip", "core", "standard", "core", "vip"]})
    return now, levels


def test_churn_without_a_previous_run_flags_watched_clients_with_low_recency():
    now, levels = churn_case()
    out = churn(now, levels)
    # v1 r 2, c1 r 1: flagged; v2 r 5, c2 r 3: not; s1 not watched; v0 never traded
    assert list(out["client_id"]) == ["c1", "v0", "v1"]
    assert list(out["reason"]) == ["r_low", "no_transactions", "r_low"]
    # v1 last traded 100 days before as_of: R 2 (bins 7, 30, 60, 120)
    assert list(out["detail"]) == ["R 1 ≤ 2, 200 days since the last trade",
                                   "no counted transaction",
                                   "R 2 ≤ 2, 100 days since the last trade"]


def test_churn_against_a_previous_run_flags_a_fallen_recency_score():
    now, levels = churn_case()
    previous = pd.Series({"v1": 2, "v2": 5, "c1": 2, "s1": 5, "c2": 4})
    out = churn(now, levels, previous)
    # v1 2 → 2 and v2 5 → 5 unchanged; c1 2 → 1 and c2 4 → 3 fell; v0 not in the previous
    # run and never traded
    assert list(out["client_id"]) == ["c1", "c2", "v0"]
    assert list(out["reason"]) == ["r_fell", "r_fell", "no_transactions"]
    assert list(out["detail"]) == ["R 2 → 1", "R 4 → 3", "no counted transaction"]


def test_churn_says_a_score_that_is_gone():
    now, levels = churn_case()
    # v0 had R 4 last time and has no counted trade now: its R fell to none
    out = churn(now, levels, pd.Series({"v0": 4}), levels_watched=("vip",))
    assert out.set_index("client_id").loc["v0", ["reason", "detail"]].tolist() == [
        "r_fell", "R 4 → —"]


def test_churn_watches_only_the_given_levels():
    now, levels = churn_case()
    out = churn(now, levels, levels_watched=("standard",))
    assert list(out["client_id"]) == ["s1"]


# parameters ----------------------------------------------------------------------------------

def test_default_recency_bins_resolve_the_seed_overlap():
    assert RfmParams().recency_bins == (7, 30, 60, 120)
    assert RfmParams().counted_sides == ("subscribe", "purchase")


def test_params_forbid_unknown_keys_and_are_frozen():
    with pytest.raises(ValidationError, match="extra"):
        RfmParams(window=30)
    params = RfmParams()
    with pytest.raises(ValidationError):
        params.window_days = 30


@pytest.mark.parametrize("bins", [(1, 2, 3), (1, 3, 2, 4), (1, 1, 2, 3)])
def test_bins_must_be_four_ascending_bounds(bins):
    with pytest.raises(ValidationError, match="bins"):
        ScoreMethod(method="bins", bins=bins)
    with pytest.raises(ValidationError, match="recency_bins"):
        RfmParams(recency_bins=bins)


def test_unknown_side_is_rejected():
    with pytest.raises(ValidationError, match="counted_sides"):
        RfmParams(counted_sides=("transfer",))
