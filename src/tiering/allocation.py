"""The service allocation plan of a rating (SPEC 2.5): managers, services, products, alerts,
and the coming quarter's visit and care schedule.

A core module: it takes the classification, the checked input tables and the policy, and
returns the plan's tables; the shell writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd

from tiering import managers, rfm, scorecard, services, suitability, visits
from tiering.calendar import WorkingCalendar
from tiering.params import Policy


@dataclass(frozen=True)
class Allocation:
    service_plan: pd.DataFrame
    manager_assignments: pd.DataFrame
    manager_load: pd.DataFrame
    suitability_alerts: pd.DataFrame
    product_shelf: pd.DataFrame
    visit_obligations: pd.DataFrame
    visit_schedule: pd.DataFrame
    visit_shortfalls: pd.DataFrame
    rfm: pd.DataFrame
    churn: pd.DataFrame
    scorecard: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """File stem -> frame, in the order the files are listed."""
        return {
            "service_plan": self.service_plan,
            "manager_assignments": self.manager_assignments,
            "manager_load": self.manager_load,
            "suitability_alerts": self.suitability_alerts,
            "product_shelf": self.product_shelf,
            "visit_obligations": self.visit_obligations,
            "visit_schedule": self.visit_schedule,
            "visit_shortfalls": self.visit_shortfalls,
            "rfm": self.rfm,
            "churn": self.churn,
            "scorecard": self.scorecard,
        }


def allocate(
    classification: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    policy: Policy,
    *,
    as_of: date,
    calendar: WorkingCalendar,
    previous_r: pd.Series | None = None,
) -> Allocation:
    """Dedicated managers first (capacity decides who gets the optional services), then the
    tolerance and the services, the product shelf, the suitability alerts, the coming
    quarter's visits and care on the working-day `calendar`, activity (RFM) with churn
    warnings against `previous_r` (each client's R in the previous official run, indexed by
    client_id), and the scorecard.

    What needs no manager (alerts, visit quotas, activity, scorecard), then the visit
    schedule once the managers are assigned, are worked out in a second thread beside the
    managers and services: pandas and Arrow leave the interpreter lock in much of their work,
    so the two halves share the machine's cores. Nothing changes its inputs; the result is
    the same as one after the other."""
    clients = tables["clients"]
    staff = tables.get("managers")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="allocate") as beside:
        unmanaged = beside.submit(_unmanaged, classification, tables, policy, as_of=as_of,
                                  previous_r=previous_r)
        assignments = managers.assign_managers(classification, clients, staff,
                                               policy.managers)
        visiting = beside.submit(  # after the unmanaged part, in the same thread
            visits.schedule, classification, clients, assignments, staff, tables.get("visits"),
            as_of=as_of, params=policy.visits, calendar=calendar)
        load = managers.manager_load(assignments, classification, staff, policy.managers)
        tolerance = suitability.client_tolerance(classification, clients, policy.suitability)
        plan = services.service_plan(classification, assignments, tolerance, policy.services)
        shelf, alerts, duties, activity, warnings, graded = unmanaged.result()
        schedule, shortfalls = visiting.result()
    return Allocation(plan, assignments, load, alerts, shelf, duties, schedule, shortfalls,
                      activity, warnings, graded)


def _unmanaged(classification: pd.DataFrame, tables: Mapping[str, pd.DataFrame],
               policy: Policy, *, as_of: date, previous_r: pd.Series | None,
               ) -> tuple[pd.DataFrame, ...]:
    """The product shelf, suitability alerts, visit obligations, RFM activity, churn warnings
    and graded scorecard: the part of the plan that needs no manager assignment."""
    clients = tables["clients"]
    products = tables.get("products")
    categories = [b.id for b in policy.risk.bands]
    if products is None or products.empty:
        shelf = pd.DataFrame(columns=suitability.SHELF_COLUMNS)
        alerts = pd.DataFrame(columns=suitability.ALERT_COLUMNS)
    else:
        shelf = suitability.product_shelf(products, categories, policy.suitability)
        alerts = suitability.alerts(
            classification, clients, products, tables.get("holdings"),
            tables.get("transactions"), as_of=as_of, params=policy.suitability,
            assessment_valid_years=policy.risk.assessment_valid_years)
    duties = visits.obligations(classification, tables.get("visits"), as_of=as_of,
                                params=policy.visits)
    activity = rfm.rfm(tables.get("transactions"), classification["client_id"], as_of=as_of,
                       params=policy.rfm)
    warnings = rfm.churn(activity, classification[["client_id", "level"]], previous_r,
                         levels_watched=policy.rfm.churn.levels, max_r=policy.rfm.churn.max_r)
    indicators = scorecard.indicator_frame(classification, activity, clients,
                                           tables.get("client_metrics"), as_of=as_of)
    graded = scorecard.score(indicators, policy.scorecard).merge(
        classification[["client_id", "level"]], on="client_id", how="left")
    return shelf, alerts, duties, activity, warnings, graded
