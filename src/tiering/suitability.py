"""Product suitability and monitoring (SPEC 2.5; seed 第十九条 2–3).

A core module: classification, client, product, holding and transaction frames in, new frames
out. It reads no files and calls no clock; the as-of date is an argument.

Tolerance (`max_risk`): the highest product risk level a client may be offered; the client may
be offered R1 up to that level.

- three-band scale: the longest run R1, R2, … whose bands (`product_bands`) are all in the
  category's `three_band_tolerance` (conservative → R1, balanced → R1–R3, aggressive → R1–R5
  by default). A band set with a hole never opens the levels beyond the hole.
- five-level scale: `five_level_max_risk` (Cn → Rn).
- `unassessed`: None — nothing may be offered until the client signs a valid questionnaire.
- the lowest category (最低类别): at most `lowest_category_max_risk` (R1), even when the client
  insists and signs a special risk warning.
- professional investors (`investor_type` professional, when `professional_unrestricted`):
  R5 whatever the category, assessed or not. The lowest category is a category of ordinary
  investors, so a professional is never held to it. With `professional_unrestricted` off, a
  professional is rated by the category like anyone else.

Alerts (`alerts`), one row per (client, product, source, date, rule), for the clients of the
classification only (excluded clients are not monitored):

- sources. `holding`: each client/product's latest holdings row dated on or before as_of, if
  its market value is above zero (a sold-out position must show as a zero row or disappear
  from every later date; the row is dated at that holdings date). `transaction`: purchases
  (sides subscribe and purchase) dated in the review window, by default the trailing 365 days
  ending at as_of (as_of − 364 days … as_of; `since` moves the start, e.g. to 1 January for
  the annual review). The same window applies to every transaction rule; frequent_high_risk
  looks for its `window_days` bursts inside it. Trades are judged against the category in the
  classification (the latest assessment on or before as_of), the only one it carries.
- `above_tolerance`: product risk above the client's max_risk (holdings and purchases).
  Professionals (unrestricted) and unassessed clients never get it (the latter get
  `unassessed`).
- `lowest_category`: a lowest-category client holding or buying anything above
  `lowest_category_max_risk`; it replaces above_tolerance for those clients.
- `unassessed`: a purchase by an unassessed client (holdings of unassessed clients raise
  nothing: the classification already lists them for assessment).
- `expired_assessment`: a purchase dated on or after the assessment's expiry. Given
  `assessment_valid_years` (policy.risk.assessment_valid_years), the expiry is assessment_date
  + that many years (29 February → 28 February), as in the classification; without it, every
  purchase in the window by a client whose assessment has expired at as_of
  (`assessment_expired`) counts.
- `frequent_high_risk`: a client in `low_tolerance_categories` (not a professional when
  `professional_unrestricted`: their tolerance is not low) with at least `min_trades`
  purchases of `high_risk_levels` products within any `window_days` consecutive days of the
  review window. One alert per client and product bought in such a burst, dated at the last
  purchase of that product in a burst.
- `informed`: the purchases behind the row all carried a signed special risk warning
  (`warning_signed` true; missing counts as not signed). For a holding: every purchase of that
  product on record up to as_of, at least one. Several purchases of one product on one day
  make one row. A rule with an `informed_severity` takes it on informed rows (an informed
  mismatch: reported at the lower severity), except `lowest_category`, which stays at its full
  severity whatever the warning and the parameters say. Severity and channel come from
  `suitability.rules`.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from tiering.number_text import positions
from tiering.schemas import RISK_LEVELS
from tiering.service_params import SuitabilityParams

UNASSESSED = "unassessed"
PROFESSIONAL = "professional"
PURCHASE_SIDES = ("subscribe", "purchase")
REVIEW_DAYS = 365
RISK_RANK = {level: rank for rank, level in enumerate(RISK_LEVELS, start=1)}
TOLERANCE_COLUMNS = ["client_id", "category", "professional", "lowest_category", "max_risk"]
SHELF_COLUMNS = ["category", "product_id", "name", "risk_level"]
ALERT_COLUMNS = [
    "client_id",
    "product_id",
    "source",
    "date",
    "client_category",
    "product_risk",
    "rule",
    "severity",
    "informed",
    "channel",
]
_TEXT = [col for col in ALERT_COLUMNS if col not in ("date", "informed")]


def max_risk(
    category: str, *, professional: bool, lowest: bool, params: SuitabilityParams
) -> str | None:
    """The highest product risk level (R1–R5) the client may be offered; None: nothing."""
    if professional and params.professional_unrestricted:
        return RISK_LEVELS[-1]
    cap = _category_max(category, params)
    if cap is None or not lowest:
        return cap
    return min(
        cap,
        _level(params.lowest_category_max_risk, "lowest_category_max_risk"),
        key=RISK_RANK.__getitem__,
    )


def _category_max(category: str, params: SuitabilityParams) -> str | None:
    if category == UNASSESSED:
        return None
    if category in params.five_level_max_risk:
        return _level(params.five_level_max_risk[category], f"five_level_max_risk.{category}")
    if category in params.three_band_tolerance:
        bands = set(params.three_band_tolerance[category])
        best = None
        for level in RISK_LEVELS:
            if params.product_bands.get(level) not in bands:
                break
            best = level
        return best
    raise ValueError(
        f"suitability: category {category!r} is in neither three_band_tolerance "
        "nor five_level_max_risk"
    )


def _level(level: str, where: str) -> str:
    if level not in RISK_RANK:
        raise ValueError(f"suitability.{where}: {level!r} is not one of {list(RISK_LEVELS)}")
    return level


def client_tolerance(
    classification: pd.DataFrame, clients: pd.DataFrame | None, params: SuitabilityParams
) -> pd.DataFrame:
    """Per classified client: category, professional, lowest_category and max_risk."""
    out = classification[["client_id", "category"]].reset_index(drop=True)
    lowest = classification.get("lowest_category")
    out["lowest_category"] = (
        False if lowest is None else lowest.fillna(False).astype(bool).to_numpy()
    )
    out["professional"] = out["client_id"].isin(_professional_ids(clients))
    combos = out[["category", "professional", "lowest_category"]].drop_duplicates()
    combos["max_risk"] = pd.Series(
        [
            max_risk(c, professional=p, lowest=low, params=params)
            for c, p, low in combos.itertuples(index=False)
        ],
        index=combos.index,
        dtype="str",
    )
    out = out.merge(combos, on=["category", "professional", "lowest_category"], how="left")
    return out[TOLERANCE_COLUMNS]


def _professional_ids(clients: pd.DataFrame | None) -> pd.Series:
    if clients is None or "investor_type" not in clients:
        return pd.Series([], dtype="str")
    return clients.loc[clients["investor_type"] == PROFESSIONAL, "client_id"]


def product_shelf(
    products: pd.DataFrame, categories: list[str], params: SuitabilityParams
) -> pd.DataFrame:
    """The products each category may be offered, then a `professional` group (all products,
    when professionals are unrestricted). `unassessed` gets no rows."""
    ordered = _by_risk(products)
    rank = ordered["risk_level"].map(RISK_RANK)
    groups = [(c, max_risk(c, professional=False, lowest=False, params=params)) for c in categories]
    if params.professional_unrestricted:
        groups.append((PROFESSIONAL, RISK_LEVELS[-1]))
    parts = [
        ordered.loc[rank <= RISK_RANK[cap], ["product_id", "name", "risk_level"]].assign(
            category=category
        )
        for category, cap in groups
        if cap is not None
    ]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in SHELF_COLUMNS})
    return pd.concat(parts, ignore_index=True)[SHELF_COLUMNS]


def _by_risk(products: pd.DataFrame) -> pd.DataFrame:
    rank = products["risk_level"].map(RISK_RANK).fillna(len(RISK_LEVELS) + 1)
    order = np.lexsort((products["product_id"].to_numpy(), rank.to_numpy()))
    return products.iloc[order].reset_index(drop=True)


def suitable(tolerance: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Every (client_id, product_id) pair the client may be offered (products within max_risk),
    by client in the tolerance's order, then by risk level and product id."""
    ordered = _by_risk(products)
    prank = ordered["risk_level"].map(RISK_RANK).fillna(len(RISK_LEVELS) + 1).to_numpy()
    cap = tolerance["max_risk"].map(RISK_RANK).fillna(0).to_numpy()
    counts = np.searchsorted(prank, cap, side="right")
    starts = np.cumsum(counts) - counts
    client = np.repeat(np.arange(len(tolerance)), counts)
    product = np.arange(counts.sum()) - np.repeat(starts, counts)
    return pd.DataFrame(
        {
            "client_id": tolerance["client_id"].to_numpy()[client],
            "product_id": ordered["product_id"].to_numpy()[product],
        }
    )


def alerts(
    classification: pd.DataFrame,
    clients: pd.DataFrame | None,
    products: pd.DataFrame,
    holdings: pd.DataFrame | None,
    transactions: pd.DataFrame | None,
    *,
    as_of: date,
    params: SuitabilityParams,
    assessment_valid_years: int | None = None,
    since: date | None = None,
) -> pd.DataFrame:
    """Suitability alerts at `as_of` (rules in the module docstring), sorted by client,
    product, source, date and rule."""
    tol = client_tolerance(classification, clients, params)
    cat = tol["category"].to_numpy()
    cap = tol["max_risk"].map(RISK_RANK).fillna(0).to_numpy()
    assessed = cat != UNASSESSED
    lowest = tol["lowest_category"].to_numpy(bool)
    exempt = tol["professional"].to_numpy(bool) & params.professional_unrestricted
    clients_at = pd.Index(tol["client_id"])
    products_at = pd.Index(products["product_id"])
    prisk = products["risk_level"].to_numpy()
    prank = products["risk_level"].map(RISK_RANK).fillna(len(RISK_LEVELS) + 1).to_numpy()
    end = pd.Timestamp(as_of)

    bought = _purchases(transactions, end, clients_at, products_at)
    start = pd.Timestamp(since if since is not None else as_of - timedelta(days=REVIEW_DAYS - 1))
    window = bought[bought["date"] >= start]
    parts = []

    held = _positions(holdings, end, clients_at, products_at)
    over = assessed[held["client"]] & (prank[held["product"]] > cap[held["client"]])
    held = held[over]
    held = held.assign(
        source="holding",
        rule=_mismatch_rule(lowest[held["client"]]),
        informed=_covered(held, bought),
    )
    parts.append(held)

    c, p = window["client"].to_numpy(), window["product"].to_numpy()
    over = assessed[c] & (prank[p] > cap[c])
    parts.append(window[over].assign(rule=_mismatch_rule(lowest[c[over]])))
    parts.append(window[~assessed[c]].assign(rule="unassessed"))
    parts.append(
        window[_expired(window, classification, assessment_valid_years)].assign(
            rule="expired_assessment"
        )
    )
    frequent = params.rules.frequent_high_risk
    risky = (
        np.isin(cat[c], frequent.low_tolerance_categories)
        & ~exempt[c]
        & np.isin(prisk[p], frequent.high_risk_levels)
    )
    parts.append(_bursts(window[risky], frequent.window_days, frequent.min_trades))

    rows = pd.concat(
        [
            part[["client", "product", "date", "rule", "informed"]].assign(
                source=part.get("source", "transaction")
            )
            for part in parts
        ],
        ignore_index=True,
    )
    return _finish(rows, tol, products, params)


def _none(clients_at: pd.Index, products_at: pd.Index) -> pd.DataFrame:
    """No positions: the empty frame `_coded` would give."""
    no_text = pd.Series([], dtype="str")
    return _coded(no_text, no_text, pd.Series([], dtype="datetime64[ns]"), np.zeros(0, bool),
                  clients_at, products_at)


def _purchases(
    transactions: pd.DataFrame | None,
    end: pd.Timestamp,
    clients_at: pd.Index,
    products_at: pd.Index,
) -> pd.DataFrame:
    """Purchases dated on or before `end` by classified clients, as positions: client, product,
    date, informed (a signed special risk warning)."""
    if transactions is None or transactions.empty:
        return _none(clients_at, products_at)
    t = transactions[
        transactions["side"].isin(PURCHASE_SIDES) & (transactions["trade_date"] <= end)
    ]
    signed = (
        t["warning_signed"].fillna(False).to_numpy(bool)
        if "warning_signed" in t
        else np.zeros(len(t), bool)
    )
    return _coded(t["client_id"], t["product_id"], t["trade_date"], signed, clients_at, products_at)


def _positions(
    holdings: pd.DataFrame | None,
    end: pd.Timestamp,
    clients_at: pd.Index,
    products_at: pd.Index,
) -> pd.DataFrame:
    """Each client/product's latest holdings row dated on or before `end`, if worth > 0."""
    if holdings is None or holdings.empty:
        return _none(clients_at, products_at)
    h = holdings[holdings["as_of_date"] <= end]
    coded = _coded(
        h["client_id"],
        h["product_id"],
        h["as_of_date"],
        np.zeros(len(h), bool),
        clients_at,
        products_at,
        value=h["market_value"],
    )
    # the latest row per client and product: sorted by pair then date (stably: of two rows of
    # a day the later one), the last of each pair
    pair = coded["client"].to_numpy(np.int64) * len(products_at) + coded["product"].to_numpy()
    order = np.lexsort((coded["date"].to_numpy(), pair))
    ordered = pair[order]
    latest = order[np.append(ordered[1:] != ordered[:-1], True)] if len(order) else order
    coded = coded.take(latest[coded["value"].to_numpy()[latest] > 0])
    return coded.drop(columns="value").reset_index(drop=True)


def _coded(
    client_id: pd.Series,
    product_id: pd.Series,
    day: pd.Series,
    informed: np.ndarray,
    clients_at: pd.Index,
    products_at: pd.Index,
    value: pd.Series | None = None,
) -> pd.DataFrame:
    """Rows as integer positions into the tolerance and product frames; unknown ids dropped."""
    frame = pd.DataFrame(
        {
            "client": positions(client_id, clients_at),
            "product": positions(product_id, products_at),
            "date": pd.to_datetime(day.to_numpy()),
            "informed": informed,
        }
    )
    if value is not None:
        frame["value"] = value.to_numpy()
    known = (frame["client"].to_numpy() >= 0) & (frame["product"].to_numpy() >= 0)
    return frame if known.all() else frame[known].reset_index(drop=True)


def _mismatch_rule(lowest: np.ndarray) -> np.ndarray:
    return np.where(lowest, "lowest_category", "above_tolerance")


def _covered(held: pd.DataFrame, bought: pd.DataFrame) -> np.ndarray:
    """Per holding: every purchase of it on record carried a signed warning (at least one)."""
    if held.empty:
        return np.zeros(0, bool)
    signed = bought.groupby(["client", "product"])["informed"].all().rename("signed")
    joined = held[["client", "product"]].merge(
        signed, left_on=["client", "product"], right_index=True, how="left"
    )
    return joined["signed"].fillna(False).to_numpy(bool)


def _expired(
    window: pd.DataFrame, classification: pd.DataFrame, valid_years: int | None
) -> np.ndarray:
    c = window["client"].to_numpy()
    if valid_years is None:
        flag = classification["assessment_expired"].fillna(False).to_numpy(bool)
        return flag[c]
    assessed_on = pd.to_datetime(classification["assessment_date"]).reset_index(drop=True)
    expires = (assessed_on + pd.DateOffset(years=valid_years)).to_numpy()[c]
    return ~pd.isna(expires) & (window["date"].to_numpy() >= expires)


def _bursts(trades: pd.DataFrame, window_days: int, min_trades: int) -> pd.DataFrame:
    """The trades that fall in a run of >= min_trades within window_days days (per client),
    reduced to the last such trade per client and product; `informed` is all of them."""
    if trades.empty:
        return trades.assign(rule=pd.Series([], dtype="str"))
    days = trades["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    span = int(days.max() - days.min()) + window_days + 1
    key = trades["client"].to_numpy().astype(np.int64) * span + (days - days.min())
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.searchsorted(key, key - (window_days - 1), side="left")  # window start per trade
    index = np.arange(key.size)
    ends_burst = index - first + 1 >= min_trades
    # a trade is in a burst when some later-or-equal trade ending a burst reaches back to it
    reach = np.where(ends_burst, first, key.size)
    reach = np.minimum.accumulate(reach[::-1])[::-1]
    member = trades.iloc[order[reach <= index]]
    out = member.groupby(["client", "product"], as_index=False).agg(
        date=("date", "max"), informed=("informed", "all")
    )
    return out.assign(rule="frequent_high_risk")


def _finish(
    rows: pd.DataFrame, tol: pd.DataFrame, products: pd.DataFrame, params: SuitabilityParams
) -> pd.DataFrame:
    """Sort by client id, product id, source, date and rule (on integer codes), merge the rows
    sharing that key (informed only if all of them are), then name and grade them."""
    names = sorted(type(params.rules).model_fields)
    c, p = rows["client"].to_numpy(), rows["product"].to_numpy()
    keys = [
        _ranks(tol["client_id"])[c],
        _ranks(products["product_id"])[p],
        (rows["source"].to_numpy() == "transaction").astype(np.int64),
        rows["date"].to_numpy().astype("datetime64[ns]").astype(np.int64),
        pd.Categorical(rows["rule"], categories=names).codes.astype(np.int64),
    ]
    order = np.lexsort(keys[::-1])
    keys = [k[order] for k in keys]
    first = np.ones(order.size, bool)
    for k in keys:
        first[1:] &= k[1:] == k[:-1]
    first = ~first
    first[:1] = True
    starts = np.flatnonzero(first)
    informed = rows["informed"].to_numpy(bool)[order]
    informed = np.logical_and.reduceat(informed, starts) if starts.size else informed
    at = order[starts]
    rule = keys[4][starts]
    settings = [getattr(params.rules, name) for name in names]
    full = np.array([s.severity for s in settings] + [""], dtype=object)
    lower = np.array([s.informed_severity or s.severity for s in settings] + [""], dtype=object)
    lower[names.index("lowest_category")] = params.rules.lowest_category.severity  # never lowered
    channel = np.array([s.channel for s in settings] + [""], dtype=object)
    return pd.DataFrame(
        {
            "client_id": tol["client_id"].to_numpy()[c[at]],
            "product_id": products["product_id"].to_numpy()[p[at]],
            "source": np.array(["holding", "transaction"], dtype=object)[keys[2][starts]],
            "date": pd.to_datetime(rows["date"].to_numpy()[at]),
            "client_category": tol["category"].to_numpy()[c[at]],
            "product_risk": products["risk_level"].to_numpy()[p[at]],
            "rule": np.array(names, dtype=object)[rule],
            "severity": np.where(informed, lower[rule], full[rule]),
            "informed": informed,
            "channel": channel[rule],
        }
    ).astype({col: "str" for col in _TEXT})


def _ranks(ids: pd.Series) -> np.ndarray:
    """Each id's position in sorted order."""
    order = np.argsort(ids.to_numpy(), kind="stable")
    ranks = np.empty(order.size, np.int64)
    ranks[order] = np.arange(order.size)
    return ranks
