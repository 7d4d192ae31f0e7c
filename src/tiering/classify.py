"""Rate every client in scope: tier, level, category, class and reasons (SPEC 2.1–2.4).

A core module: it takes validated tables, the parameters, the as-of date and the levels in
force, and returns new frames. It reads no files and calls no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tiering import cycle as cycles
from tiering import features, fee_sharing, questionnaire, rfm, tiers
from tiering.fee_params import FeeParams, FeeSource
from tiering.number_text import among, look_up
from tiering.params import Parameters, Policy
from tiering.schemas import Classification, Excluded, output_columns
from tiering.sessions import Session

CLASSIFICATION_COLUMNS = output_columns(Classification)
EXCLUDED_COLUMNS = output_columns(Excluded)


@dataclass(frozen=True)
class Rating:
    classification: pd.DataFrame
    excluded: pd.DataFrame
    findings: pd.DataFrame
    base_level: np.ndarray  # the level by rules and cycle, before overrides, row for row
    fee_contribution: pd.DataFrame | None = None  # derived fees, when the tier rules read them

    def for_history(self) -> pd.DataFrame:
        return self.classification.assign(base_level=self.base_level)


def rate(
    tables: Mapping[str, pd.DataFrame],
    params: Parameters,
    *,
    as_of: date,
    cycle: str,
    in_force: pd.DataFrame,
    last_annual: date | None,
    set_aside: Mapping[str, str] | None = None,
    session: Session | None = None,
) -> Rating:
    """Rate the clients open at `as_of`; everyone else goes to `excluded` with a reason.

    `set_aside` maps client ids whose client row was quarantined to the reason. `session` is
    the engine holding the big tables (`sessions`; pandas when not given).
    """
    policy = params.policy
    clients = tables["clients"]
    scope, excluded = split_scope(clients, as_of, set_aside or {})

    contribution = (None if policy.fees.fee_source == "ledger"
                    else derived_fees(tables, as_of, policy.fees))
    indicators = client_indicators(tables, scope, as_of, policy.daily_average.denominator,
                                   contribution=contribution, fee_source=policy.fees.fee_source,
                                   session=session)
    if tiers.used_columns(policy) & tiers.SCORE_COLUMNS:
        indicators = indicators.merge(activity_scores(tables, scope, as_of, policy),
                                      on="client_id", how="left")
    tiered = tiers.assign_tiers(indicators, policy)

    categories, findings = client_categories(tables, clients, scope, params, as_of)

    rated = scope[["client_id", "open_date"]].merge(indicators, on="client_id").merge(
        tiered, on="client_id")
    del scope, indicators, tiered  # a million rows each: gone before the next copies
    rated = cycles.apply_cycle(rated, in_force, cycle=cycle, last_annual=last_annual,
                               policy=policy)
    rated = cycles.apply_overrides(rated, tables.get("overrides"), as_of)
    rated["change"] = cycles.change_kind(rated, policy)

    rated = rated.merge(categories, left_on="client_id", right_index=True, how="left")
    del categories
    rated["category"] = rated["category"].fillna("unassessed")
    rated["assessment_expired"] = rated["assessment_expired"].fillna(False).astype(bool)
    rated["lowest_category"] = rated["lowest_category"].fillna(False).astype(bool)
    labels = questionnaire.category_labels(params.policy.risk)
    level_labels = policy.level_labels
    tier_labels = {tid: rule.label for tid, rule in policy.tiers.items()}
    for column, names in (("level", level_labels), ("tier", tier_labels),
                          ("category", labels)):
        rated[f"{column}_label"] = look_up(rated[column], pd.Index(list(names)),
                                           np.array(list(names.values()), dtype=object))
    assessed = rated["category"] != "unassessed"
    rated["class_code"] = (rated["level"] + "/" + rated["category"]).where(assessed, "unassessed")
    rated["class_label"] = (rated["level_label"] + "-" + rated["category_label"]).where(
        assessed, labels["unassessed"])
    rated["reasons"] = _reasons(rated, findings)
    rated["as_of"] = pd.Timestamp(as_of)
    rated["cycle"] = cycle
    classification = _by_client(rated[CLASSIFICATION_COLUMNS])
    base = rated.set_index("client_id")["base_level"].reindex(classification["client_id"])
    del rated
    Classification.validate(classification)  # the output contract (SPEC 4) holds
    Excluded.validate(excluded)
    return Rating(classification, excluded, findings, base.to_numpy(), contribution)


def _by_client(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` in client_id order (ids are unique: one row per client), without copying it
    when it is in that order already (as the clients table usually is)."""
    ids = pa.array(frame["client_id"], from_pandas=True)
    order = pc.sort_indices(ids).to_numpy()
    if not np.array_equal(order, np.arange(len(order))):
        frame = frame.take(order)
    return frame.reset_index(drop=True)


def split_scope(
    clients: pd.DataFrame, as_of: date, set_aside: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clients open at `as_of` (in scope) and the rest with the reason they are left out."""
    day = pd.Timestamp(as_of)
    reason = pd.Series(pd.NA, index=clients.index, dtype="object")
    if "close_date" in clients:
        closed = clients["close_date"].notna() & (clients["close_date"] <= day)
        reason[closed] = "closed on " + clients.loc[closed, "close_date"].dt.strftime("%Y-%m-%d")
    late = clients["open_date"] > day
    reason[late] = ("opened after the as-of date (" +
                    clients.loc[late, "open_date"].dt.strftime("%Y-%m-%d") + ")")
    scope = clients[reason.isna()]
    excluded = pd.DataFrame({"client_id": clients.loc[reason.notna(), "client_id"],
                             "reason": reason[reason.notna()]})
    if set_aside:
        extra = pd.DataFrame({"client_id": list(set_aside),
                              "reason": [f"quarantined: {r}" for r in set_aside.values()]})
        excluded = pd.concat([excluded, extra], ignore_index=True)
    excluded = excluded.astype({"client_id": "str", "reason": "str"})  # typed when empty too
    excluded = excluded.sort_values("client_id", kind="mergesort").reset_index(drop=True)
    return scope.reset_index(drop=True), excluded[EXCLUDED_COLUMNS]


def derived_fees(tables: Mapping[str, pd.DataFrame], as_of: date, params: FeeParams
                 ) -> pd.DataFrame:
    """fee_contribution.csv (SPEC 2.7): management and performance fees per client and year,
    derived from the investor lots of `transactions` and the `nav` table."""
    trades = tables.get("transactions")
    if trades is None:
        return pd.DataFrame(columns=fee_sharing.CONTRIBUTION_COLUMNS)
    return fee_sharing.fee_contribution(trades, tables.get("nav"), tables.get("products"),
                                        as_of=as_of, params=params)


def client_indicators(
    tables: Mapping[str, pd.DataFrame], scope: pd.DataFrame, as_of: date, denominator: str,
    *, contribution: pd.DataFrame | None = None, fee_source: FeeSource = "ledger",
    session: Session | None = None,
) -> pd.DataFrame:
    """avg_assets_last_year, avg_assets_ytd, mgmt_fee_last_year and mgmt_fee_source per client
    in scope. The fee is the ledger's unless `fee_source` says derived (from `contribution`)
    or max (the larger of the two per client, the ledger on a tie)."""
    last_year, ytd = features.rating_periods(as_of)
    cols = ["client_id", "open_date"] + (["close_date"] if "close_date" in scope else [])
    windows = features.client_windows(scope[cols], (last_year, ytd))
    out = scope[["client_id"]].copy()
    balances = tables.get("daily_assets")
    session = session or Session("pandas")
    if balances is not None and not (isinstance(balances, pd.DataFrame) and balances.empty):
        # the window frame goes to the balances' engine; per-client averages come back
        averages = session.collect(features.daily_average_assets(
            balances, session.lift(windows), denominator=denominator, keep=session.keep,
            sums=session.sums.get("daily_assets")))
        for period in (last_year, ytd):
            part = averages[averages["period"] == period.name]
            out[f"avg_assets_{period.name}"] = look_up(
                out["client_id"], part["client_id"], part["avg_assets"].to_numpy(), 0.0)
    else:
        out["avg_assets_last_year"] = 0.0
        out["avg_assets_ytd"] = 0.0
    fees = tables.get("fees")
    if fees is not None and not (isinstance(fees, pd.DataFrame) and fees.empty):
        fee = session.collect(features.fee_sum(fees, last_year)).set_index("client_id")["fee"]
        out["mgmt_fee_last_year"] = look_up(out["client_id"], fee.index, fee.to_numpy(), 0.0)
    else:
        fee = pd.Series(dtype="float64")
        out["mgmt_fee_last_year"] = 0.0
    out["mgmt_fee_source"] = "ledger"
    if contribution is not None and fee_source != "ledger":
        picked = fee_sharing.tier_management_fee(
            fee, contribution, year=last_year.start.year, fee_source=fee_source,
            clients=out["client_id"]).set_index("client_id")
        for target, column in (("mgmt_fee_last_year", "mgmt_fee"),
                               ("mgmt_fee_source", "mgmt_fee_source")):
            out[target] = look_up(out["client_id"], picked.index, picked[column].to_numpy())
    out["mgmt_fee_source"] = out["mgmt_fee_source"].astype("str")
    for col in ("avg_assets_last_year", "avg_assets_ytd", "mgmt_fee_last_year"):
        out[col] = out[col].astype("float64")
    return out.reset_index(drop=True)


def activity_scores(
    tables: Mapping[str, pd.DataFrame], scope: pd.DataFrame, as_of: date, policy: Policy
) -> pd.DataFrame:
    """rfm_r, rfm_f, rfm_m per client in scope (floats; empty without a counted trade), for
    tier rules that read activity (SPEC 2.2 potential criteria, 2.6)."""
    scores = rfm.rfm(tables.get("transactions"), scope["client_id"], as_of=as_of,
                     params=policy.rfm)
    return pd.DataFrame({
        "client_id": scores["client_id"].to_numpy(),
        **{f"rfm_{s}": pd.to_numeric(scores[s]).astype("float64").to_numpy() for s in "rfm"},
    })


def client_categories(
    tables: Mapping[str, pd.DataFrame], clients: pd.DataFrame, scope: pd.DataFrame,
    params: Parameters, as_of: date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latest valid category per client (indexed by client_id) and the findings."""
    risk = params.policy.risk
    assessments = tables.get("risk_assessments")
    if assessments is None or assessments.empty:
        empty = pd.DataFrame({
            "assessment_date": pd.Series(dtype="datetime64[ns]"),
            "score": pd.Series(dtype="float64"),
            "category": pd.Series(dtype="object"),
            "assessment_expires": pd.Series(dtype="datetime64[ns]"),
            "assessment_expired": pd.Series(dtype="bool"),
            "lowest_category": pd.Series(dtype="bool"),
        })
        return empty, pd.DataFrame(columns=questionnaire.FINDING_COLUMNS)
    scored, findings = questionnaire.score_assessments(assessments, params.questionnaire, risk)
    latest = questionnaire.latest_categories(scored, as_of, risk)
    recorded = questionnaire.recorded_category_findings(clients, latest["category"], risk)
    findings = pd.concat([f for f in (findings, recorded) if not f.empty]
                         or [findings], ignore_index=True)
    findings = findings[among(findings["client_id"], scope["client_id"])]
    findings = findings.sort_values(["client_id", "table", "row", "finding"], kind="mergesort")
    return latest, findings.reset_index(drop=True)


def _reasons(rated: pd.DataFrame, findings: pd.DataFrame) -> pd.Series:
    parts = [rated["tier_reason"]]
    derived = rated["mgmt_fee_source"] == "derived"
    parts.append(pd.Series("", index=rated.index).mask(
        derived, "management fee derived from holdings and NAVs, not the fee ledger"))
    parts += [rated["cycle_note"], rated["override_note"]]
    unassessed = rated["category"] == "unassessed"
    parts.append(pd.Series("", index=rated.index).mask(
        unassessed, "no valid signed questionnaire: unassessed"))
    expired = rated["assessment_expired"]
    parts.append(pd.Series("", index=rated.index).mask(
        expired, "assessment of " + rated["assessment_date"].dt.strftime("%Y-%m-%d").fillna("")
        + " has expired: re-assess"))
    if not findings.empty:
        per_client = findings.groupby("client_id")["finding"].agg(
            lambda s: "finding: " + ", ".join(sorted(set(s))))
        parts.append(rated["client_id"].map(per_client).fillna(""))
    columns = [p.astype(object).where(p.notna(), "").tolist() for p in parts]
    return pd.Series([" | ".join(filter(None, row)) for row in zip(*columns, strict=True)],
                     index=rated.index, dtype=object)
