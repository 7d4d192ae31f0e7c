"""`allocation.allocate` works out the part of the plan that needs no manager in a second
thread: the plan must be what the rules give one after the other, and an error there must
reach the caller."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tiering import allocation, managers, rfm, scorecard, services, suitability, visits
from tiering.cli import main
from tiering.history import History
from tiering.pipeline import rate_run

ROOT = Path(__file__).parents[1]
AS_OF = date(2026, 9, 30)


@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    base = tmp_path_factory.mktemp("allocation")
    data = base / "data"
    result = CliRunner().invoke(main, ["sample", "--out", str(data), "--clients", "300",
                                       "--params", str(ROOT / "params")])
    assert result.exit_code == 0, result.output
    return rate_run(data=data, as_of=AS_OF, cycle="quarterly",
                    params_path=ROOT / "params" / "policy-2017.yaml", sets=(),
                    history=History(base / "history.sqlite"), quarantine=False,
                    run_date=date(2026, 10, 9), engine="pandas", catalog=None)


def one_after_the_other(run) -> dict[str, pd.DataFrame]:
    """The plan's tables by calling each rule in turn, in one thread."""
    policy, tables = run.params.policy, run.tables
    classification, clients = run.rating.classification, tables["clients"]
    staff, products, logged = tables.get("managers"), tables["products"], tables.get("visits")
    assignments = managers.assign_managers(classification, clients, staff, policy.managers)
    tolerance = suitability.client_tolerance(classification, clients, policy.suitability)
    schedule, shortfalls = visits.schedule(
        classification, clients, assignments, staff, logged, as_of=AS_OF,
        params=policy.visits, calendar=run.params.calendar)
    activity = rfm.rfm(tables.get("transactions"), classification["client_id"], as_of=AS_OF,
                       params=policy.rfm)
    indicators = scorecard.indicator_frame(classification, activity, clients,
                                           tables.get("client_metrics"), as_of=AS_OF)
    return {
        "service_plan": services.service_plan(classification, assignments, tolerance,
                                              policy.services),
        "manager_assignments": assignments,
        "manager_load": managers.manager_load(assignments, classification, staff,
                                              policy.managers),
        "suitability_alerts": suitability.alerts(
            classification, clients, products, tables.get("holdings"),
            tables.get("transactions"), as_of=AS_OF, params=policy.suitability,
            assessment_valid_years=policy.risk.assessment_valid_years),
        "product_shelf": suitability.product_shelf(
            products, [b.id for b in policy.risk.bands], policy.suitability),
        "visit_obligations": visits.obligations(classification, logged, as_of=AS_OF,
                                                params=policy.visits),
        "visit_schedule": schedule,
        "visit_shortfalls": shortfalls,
        "rfm": activity,
        "churn": rfm.churn(activity, classification[["client_id", "level"]], run.previous_r,
                           levels_watched=policy.rfm.churn.levels,
                           max_r=policy.rfm.churn.max_r),
        "scorecard": scorecard.score(indicators, policy.scorecard).merge(
            classification[["client_id", "level"]], on="client_id", how="left"),
    }


def test_the_plan_is_what_the_rules_give_one_after_the_other(rated):
    plan = allocation.allocate(rated.rating.classification, rated.tables, rated.params.policy,
                               as_of=AS_OF, calendar=rated.params.calendar,
                               previous_r=rated.previous_r).tables()
    expected = one_after_the_other(rated)
    assert list(plan) == list(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(plan[name], frame, obj=name)
    # the sample exercises both halves: some alerts, some visits, some graded clients
    assert min(len(plan[n]) for n in ("suitability_alerts", "visit_schedule", "scorecard")) > 0


def test_an_error_beside_the_managers_reaches_the_caller(rated, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("rfm failed")

    monkeypatch.setattr(rfm, "rfm", broken)
    with pytest.raises(RuntimeError, match="rfm failed"):
        allocation.allocate(rated.rating.classification, rated.tables, rated.params.policy,
                            as_of=AS_OF, calendar=rated.params.calendar,
                            previous_r=rated.previous_r)
