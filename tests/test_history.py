"""The official rating history (SPEC 2.3): runs are appended, a re-run replaces, ad hoc never.

Every test writes a fresh SQLite file under tmp_path and reads it back.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tiering.history import History

META = {"params_version": "2017.1", "params_hash": "abc123"}


def ratings(*rows: tuple[str, str] | tuple[str, str, str]) -> pd.DataFrame:
    """(client_id, level[, base_level]) rows; tier and category are filled in plausibly."""
    tier = {"vip": "vip", "core": "core_b", "potential": "potential", "ordinary": "ordinary"}
    return pd.DataFrame(
        {
            "client_id": [r[0] for r in rows],
            "level": [r[1] for r in rows],
            "base_level": [r[2] if len(r) == 3 else r[1] for r in rows],
            "tier": [tier[r[2] if len(r) == 3 else r[1]] for r in rows],
            "category": ["balanced"] * len(rows),
        }
    )


def levels(frame: pd.DataFrame, column: str = "level") -> dict[str, str]:
    return dict(zip(frame["client_id"], frame[column], strict=True))


@pytest.fixture
def history(tmp_path) -> History:
    return History(tmp_path / "outputs" / "history.sqlite")


def test_empty_history_has_nothing_in_force_and_no_annual(history):
    assert history.in_force(date(2026, 3, 31)).empty
    assert history.last_annual(date(2026, 3, 31)) is None
    assert history.runs().empty


def test_recorded_levels_are_in_force_at_a_later_date(history):
    history.record("annual", date(2025, 12, 31), ratings(("A", "vip"), ("B", "core")), META)
    force = history.in_force(date(2026, 3, 31))
    assert levels(force) == {"A": "vip", "B": "core"}
    assert levels(force, "base_level") == {"A": "vip", "B": "core"}


def test_in_force_keeps_the_rule_based_level_beside_an_overridden_level(history):
    # A was set to vip by a special adjustment over a rule-based core: both are kept.
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "vip", "core")), META)
    force = history.in_force(date(2026, 6, 30))
    assert levels(force) == {"A": "vip"}
    assert levels(force, "base_level") == {"A": "core"}


def test_in_force_uses_only_runs_strictly_before_the_as_of_date(history):
    history.record("annual", date(2025, 12, 31), ratings(("A", "potential")), META)
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "vip")), META)
    # Re-running 2026-03-31 must not see its own earlier result as the level in force.
    assert levels(history.in_force(date(2026, 3, 31))) == {"A": "potential"}
    assert levels(history.in_force(date(2026, 4, 1))) == {"A": "vip"}
    # Nothing before the first run.
    assert history.in_force(date(2025, 12, 31)).empty


def test_rerunning_the_same_cycle_and_as_of_date_replaces_the_run(history):
    day = date(2026, 3, 31)
    history.record("quarterly", day, ratings(("A", "core"), ("B", "core")), META)
    history.record(
        "quarterly",
        day,
        ratings(("A", "vip")),
        {"params_version": "2017.1", "params_hash": "def456"},
    )
    runs = history.runs()
    assert len(runs) == 1
    assert runs.loc[0, "cycle"] == "quarterly"
    assert runs.loc[0, "as_of"] == "2026-03-31"
    assert runs.loc[0, "params_hash"] == "def456"
    assert runs.loc[0, "clients"] == 1
    # B was only in the replaced run: it is gone, and A is not duplicated.
    force = history.in_force(date(2026, 4, 1))
    assert levels(force) == {"A": "vip"}
    assert len(force) == 1


def test_same_as_of_date_in_another_cycle_is_a_separate_run(history):
    history.record("quarterly", date(2025, 12, 31), ratings(("A", "vip")), META)
    history.record("annual", date(2025, 12, 31), ratings(("A", "core")), META)
    assert sorted(history.runs()["cycle"]) == ["annual", "quarterly"]


def test_annual_run_wins_over_a_quarterly_run_of_the_same_day(history):
    # 31 December is both a quarter end and the year end. The annual rating is the one that
    # re-rates everyone (levels may go down), so its level is the one in force afterwards.
    history.record("annual", date(2025, 12, 31), ratings(("A", "core")), META)
    history.record("quarterly", date(2025, 12, 31), ratings(("A", "vip")), META)
    assert levels(history.in_force(date(2026, 1, 31))) == {"A": "core"}


def test_latest_run_wins_per_client(history):
    # A is re-rated in each run, B only in the annual one (e.g. rated but out of scope later):
    # A takes the March level, B keeps the annual level.
    history.record("annual", date(2025, 12, 31), ratings(("A", "potential"), ("B", "core")), META)
    history.record("monthly", date(2026, 1, 31), ratings(("A", "core")), META)
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "vip")), META)
    assert levels(history.in_force(date(2026, 4, 30))) == {"A": "vip", "B": "core"}
    # In February only the annual and January runs count.
    assert levels(history.in_force(date(2026, 2, 28))) == {"A": "core", "B": "core"}


def test_last_annual_is_the_latest_annual_run_strictly_before_the_date(history):
    history.record("annual", date(2024, 12, 31), ratings(("A", "core")), META)
    history.record("annual", date(2025, 12, 31), ratings(("A", "core")), META)
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "core")), META)
    assert history.last_annual(date(2026, 5, 31)) == date(2025, 12, 31)
    assert history.last_annual(date(2025, 12, 31)) == date(2024, 12, 31)
    assert history.last_annual(date(2024, 12, 31)) is None


def test_last_annual_ignores_quarterly_and_monthly_runs(history):
    history.record("quarterly", date(2025, 12, 31), ratings(("A", "core")), META)
    history.record("monthly", date(2026, 1, 31), ratings(("A", "core")), META)
    assert history.last_annual(date(2026, 2, 28)) is None


def test_recording_an_adhoc_run_is_refused(history):
    with pytest.raises(ValueError, match="ad hoc"):
        history.record("adhoc", date(2026, 5, 20), ratings(("A", "vip")), META)
    assert history.runs().empty
    assert history.in_force(date(2026, 6, 1)).empty


def test_runs_lists_each_run_with_its_parameters_and_client_count(history):
    history.record("annual", date(2025, 12, 31), ratings(("A", "vip"), ("B", "core")), META)
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "vip")), META)
    runs = history.runs()
    assert list(runs["as_of"]) == ["2025-12-31", "2026-03-31"]
    assert list(runs["cycle"]) == ["annual", "quarterly"]
    assert list(runs["clients"]) == [2, 1]
    assert set(runs["params_version"]) == {"2017.1"}


def test_history_survives_reopening_the_file(tmp_path):
    path = tmp_path / "history.sqlite"
    History(path).record("annual", date(2025, 12, 31), ratings(("A", "vip")), META)
    assert levels(History(path).in_force(date(2026, 1, 1))) == {"A": "vip"}


def activity(*rows: tuple[str, int | None]) -> pd.DataFrame:
    return pd.DataFrame({"client_id": [r[0] for r in rows],
                         "r": pd.array([r[1] for r in rows], dtype="Int64")})


def test_previous_r_is_empty_without_a_history(history):
    assert history.previous_r(date(2026, 9, 30)).empty


def test_previous_r_comes_from_the_latest_run_before_the_date(history):
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "vip"), ("B", "core")), META,
                   activity(("A", 5), ("B", 2)))
    history.record("quarterly", date(2026, 6, 30), ratings(("A", "vip"), ("B", "core")), META,
                   activity(("A", 4), ("B", None)))
    # as of Q3: Q2's scores (B had no counted trade then); as of Q2: Q1's
    q3 = history.previous_r(date(2026, 9, 30))
    assert q3["A"] == 4 and q3["B"] is pd.NA
    assert history.previous_r(date(2026, 6, 30)).to_dict() == {"A": 5, "B": 2}


def test_rerun_replaces_activity_and_a_run_without_activity_keeps_older_scores(history):
    history.record("quarterly", date(2026, 3, 31), ratings(("A", "vip")), META,
                   activity(("A", 5)))
    history.record("quarterly", date(2026, 6, 30), ratings(("A", "vip")), META,
                   activity(("A", 1)))
    history.record("quarterly", date(2026, 6, 30), ratings(("A", "vip")), META)  # classify only
    # the Q2 re-run recorded no activity: Q1's score is the latest before Q3
    assert history.previous_r(date(2026, 9, 30)).to_dict() == {"A": 5}


def test_a_pending_run_counts_only_when_its_block_succeeds(tmp_path):
    h = History(tmp_path / "h.sqlite")
    ratings = pd.DataFrame({"client_id": ["C1"], "level": ["vip"], "base_level": ["vip"],
                            "tier": ["vip"], "category": ["balanced"]})
    with pytest.raises(RuntimeError), h.pending("quarterly", date(2026, 9, 30), ratings, {}):
        raise RuntimeError("a report failed")
    assert h.runs().empty and h.in_force(date(2026, 12, 31)).empty
    with h.pending("quarterly", date(2026, 9, 30), ratings, {}):
        pass
    assert h.in_force(date(2026, 12, 31))["level"].tolist() == ["vip"]


def test_activity_scored_after_the_ratings_joins_the_pending_run(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    h = History(tmp_path / "h.sqlite")
    rated = ratings(("A", "vip"), ("B", "core"))
    # entered in one thread, the activity added in it later, the block left in another
    with ThreadPoolExecutor(max_workers=1) as writer:
        block = h.pending("quarterly", date(2026, 9, 30), rated, META)
        add = writer.submit(block.__enter__).result()
        assert h.previous_r(date(2026, 12, 31)).empty  # nothing counts before the commit
        writer.submit(add, activity(("A", 3), ("B", None))).result()
    block.__exit__(None, None, None)
    scores = h.previous_r(date(2026, 12, 31))
    assert scores["A"] == 3 and scores["B"] is pd.NA
    # and a block left on an error takes the added activity back with the ratings
    block = h.pending("quarterly", date(2026, 12, 31), rated, META)
    block.__enter__()(activity(("A", 1)))
    block.__exit__(RuntimeError, RuntimeError("a report failed"), None)
    assert h.previous_r(date(2027, 3, 31))["A"] == 3
    assert h.runs()["as_of"].tolist() == ["2026-09-30"]
