"""`generate_sample`: every input table of SPEC 3, assembled from the parts drawn in the other
modules, in a fixed order from one `numpy.random.default_rng(seed)`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from tiering.sample.assessments import RISK_BANDS, Quiz, make_assessments, recorded_categories
from tiering.sample.balances import make_balances
from tiering.sample.days import BIG, SampleCalendar
from tiering.sample.fees import make_fees
from tiering.sample.frames import STR, bools, dates, digits, floats, frame, ids, join, text
from tiering.sample.people import BRANCHES, client_details, id_numbers, make_clients
from tiering.sample.products import holdings, make_portfolio, make_products
from tiering.sample.service import make_managers, make_overrides, make_visits
from tiering.sample.trades import make_trades
from tiering.schemas import (
    CLIENT_TYPES,
    FEE_TYPES,
    INVESTOR_TYPES,
    MANAGER_ROLES,
    RISK_LEVELS,
    SIDES,
    VISIT_TYPES,
)

SAMPLE_END = date(2026, 11, 27)
DEFAULT_SEED = 20260930
MIN_CLIENTS = 100
METRICS = ("satisfaction", "referrals")


def generate_sample(
    n_clients: int = 2000,
    seed: int = DEFAULT_SEED,
    *,
    questionnaire: Mapping[str, Mapping[str, float]],
    end: date = SAMPLE_END,
) -> dict[str, pd.DataFrame]:
    """Every input table of SPEC 3 for `n_clients` clients, the same for the same seed.

    questionnaire: question id -> {option letter: points}, as in the questionnaire file.
    end: the export date; every dated row is on or before it. The deliberate edge cases
    (EDGE_CASES) are dated relative to the last quarter end before it.
    """
    if n_clients < MIN_CLIENTS:
        raise ValueError(f"n_clients must be at least {MIN_CLIENTS}")
    rng = np.random.default_rng(seed)
    cal = SampleCalendar.at(end)
    quiz = Quiz.of(questionnaire)
    prod = make_products(rng, cal)
    cl = make_clients(rng, n_clients, cal)
    details = client_details(rng, cl)
    ra = make_assessments(rng, cl, cal, quiz)
    port = make_portfolio(rng, cl, ra, prod, cal)
    bal = make_balances(rng, cl, port, cal)
    tx = make_trades(rng, cl, port, bal, prod, cal)
    fc, fd, ft, fa = make_fees(rng, cl, port, bal, tx, prod, cal)
    mg = make_managers(rng, cl, cal)
    vc, vm, vd, vk = make_visits(rng, cl, mg, cal)
    ov = make_overrides(rng, cl, mg, cal)
    category, no_category = recorded_categories(rng, ra)
    n = n_clients
    surveyed = rng.random(n) < 0.75
    satisfaction = np.round(np.clip(rng.normal(4.1, 0.7, n), 1, 5), 1)
    referrals = rng.poisson(0.2 + 0.6 * (cl.wealth >= 5e5))
    id_number = id_numbers(rng, cl)  # drawn last: added later, it changes nothing else

    client_ids = join("C", digits(np.arange(1, n + 1), max(6, len(str(n)))))
    manager_ids = join("M", digits(np.arange(1, mg.branch.size + 1), 4))
    branches = np.array(BRANCHES, dtype=STR)
    has_manager = mg.client_manager >= 0
    tables: dict[str, pd.DataFrame] = {}
    tables["clients"] = frame("clients", {
        "client_id": text(client_ids),
        "name": details["name"],
        "client_type": ids(CLIENT_TYPES, cl.inst),
        "open_date": dates(cl.open),
        "close_date": dates(cl.close, cl.close < BIG),
        "birth_date": dates(cl.birth, ~cl.inst),
        "branch": ids(branches, cl.branch),
        "manager_id": ids(manager_ids, np.maximum(mg.client_manager, 0), ~has_manager),
        "investor_type": ids(INVESTOR_TYPES, cl.professional),
        "phone": details["phone"],
        "id_number": id_number,
        "email": details["email"],
        "recorded_category": ids([b[0] for b in RISK_BANDS], category, no_category),
    })
    answers = {qid: ids(quiz.letters[j], ra.options[:, j]) for j, qid in enumerate(quiz.ids)}
    tables["risk_assessments"] = frame("risk_assessments", {
        "client_id": ids(client_ids, ra.client),
        "assessment_date": dates(ra.day),
        "score": floats(ra.score),
        "signed": bools(ra.signed),
        **answers,
    })
    tables["daily_assets"] = frame("daily_assets", {
        "client_id": ids(client_ids, bal.client),
        "date": dates(bal.day),
        "total_assets": floats(bal.balance),
    })
    tables["fees"] = frame("fees", {
        "client_id": ids(client_ids, fc),
        "date": dates(fd),
        "fee_type": ids(FEE_TYPES, ft),
        "amount": floats(fa),
    })
    tables["transactions"] = frame("transactions", {
        "client_id": ids(client_ids, tx.client),
        "trade_date": dates(tx.day),
        "product_id": ids(prod.ids, tx.product),
        "side": ids(SIDES, tx.side),
        "amount": floats(tx.amount),
        "warning_signed": bools(tx.warning, tx.warning_known),
        "shares": floats(np.round(tx.amount / tx.unit_nav, 2)),
        "unit_nav": floats(tx.unit_nav),
    })
    tables["products"] = frame("products", {
        "product_id": text(prod.ids),
        "name": text(prod.names),
        "risk_level": text(np.array(RISK_LEVELS, dtype=STR)[prod.risk]),
        "product_type": text(prod.types),
        "management_fee_rate": floats(prod.mgmt),
        "performance_fee_rate": floats(prod.perf),
    })
    tables["holdings"] = frame("holdings", holdings(port, bal, cal, client_ids, prod))
    tables["managers"] = frame("managers", {
        "manager_id": text(manager_ids),
        "name": text(mg.names),
        "role": text(np.array(MANAGER_ROLES, dtype=STR)[mg.role]),
        "branch": text(branches[mg.branch]),
        "capacity": floats(mg.capacity),
        "max_visits_per_day": floats(mg.per_day),
        "active": bools(mg.active),
        "email": text(mg.emails),
    })
    tables["visits"] = frame("visits", {
        "client_id": ids(client_ids, vc),
        "manager_id": ids(manager_ids, vm),
        "visit_date": dates(vd),
        "visit_type": ids(VISIT_TYPES, vk),
    })
    k = ov["client"].size
    tables["overrides"] = frame("overrides", {
        "client_id": ids(client_ids, ov["client"]),
        "field": text(np.full(k, "level", dtype=STR)),
        "value": text(ov["value"]),
        "reason": text(ov["reason"]),
        "approved_by": text(ov["approved_by"]),
        "effective_from": dates(ov["start"]),
        "effective_to": dates(ov["stop"], ov["stop"] > -BIG),
    })
    p, weeks = prod.nav.shape
    tables["nav"] = frame("nav", {
        "product_id": ids(prod.ids, np.repeat(np.arange(p), weeks)),
        "date": dates(np.tile(cal.fridays, p)),
        "unit_nav": floats(prod.nav.ravel()),
        "accumulated_nav": floats(prod.acc.ravel()),
    })
    metrics = (floats(np.where(surveyed, satisfaction, np.nan)), floats(referrals))
    tables["client_metrics"] = frame("client_metrics", {
        "client_id": text(client_ids),
        **dict(zip(METRICS, metrics, strict=True)),
    })
    return tables
