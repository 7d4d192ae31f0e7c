"""The input tables of SPEC 3 and the classification output, as pandera models.

These models are the single source of every table's columns: the loader, the validator, the
sample generator and the documentation all derive column lists from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

CLIENT_TYPES = ("individual", "institution")
INVESTOR_TYPES = ("ordinary", "professional")
FEE_TYPES = ("management", "performance", "subscription", "redemption", "other")
SIDES = ("subscribe", "purchase", "redeem", "dividend")
RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
MANAGER_ROLES = ("account_manager", "sales_manager")
VISIT_TYPES = ("in_person", "phone", "online", "event")
OVERRIDE_FIELDS = ("level", "category")
ANSWER_PATTERN = r"^q\d{2,}$"

Bool = pd.BooleanDtype


class _Input(pa.DataFrameModel):
    """Every input table: the columns are exactly those below (answers q01… excepted)."""

    class Config:
        strict = True
        coerce = True


class Clients(_Input):
    client_id: Series[str] = pa.Field(str_length={"min_value": 1})
    name: Series[str]
    client_type: Series[str] = pa.Field(isin=CLIENT_TYPES)
    open_date: Series[pa.DateTime]
    close_date: Series[pa.DateTime] | None = pa.Field(nullable=True)
    birth_date: Series[pa.DateTime] | None = pa.Field(nullable=True)
    branch: Series[str] | None = pa.Field(nullable=True)
    manager_id: Series[str] | None = pa.Field(nullable=True)
    investor_type: Series[str] | None = pa.Field(nullable=True, isin=INVESTOR_TYPES)
    phone: Series[str] | None = pa.Field(nullable=True)
    id_number: Series[str] | None = pa.Field(nullable=True)
    email: Series[str] | None = pa.Field(nullable=True)
    recorded_category: Series[str] | None = pa.Field(nullable=True)

    @pa.dataframe_check(error="close_date is before open_date")
    def closed_after_opening(cls, df: pd.DataFrame) -> Series[bool]:
        if "close_date" not in df:
            return pd.Series(True, index=df.index)
        return df["close_date"].isna() | (df["close_date"] >= df["open_date"])


class RiskAssessments(_Input):
    client_id: Series[str]
    assessment_date: Series[pa.DateTime]
    score: Series[float] | None = pa.Field(nullable=True)
    signed: Series[Bool] | None = pa.Field(nullable=True)
    answers: Series[str] | None = pa.Field(nullable=True, alias=ANSWER_PATTERN, regex=True)


class DailyAssets(_Input):
    client_id: Series[str]
    date: Series[pa.DateTime]
    total_assets: Series[float] = pa.Field(ge=0)


class Fees(_Input):
    client_id: Series[str]
    date: Series[pa.DateTime]
    fee_type: Series[str] = pa.Field(isin=FEE_TYPES)
    amount: Series[float]


class Transactions(_Input):
    client_id: Series[str]
    trade_date: Series[pa.DateTime]
    product_id: Series[str]
    side: Series[str] = pa.Field(isin=SIDES)
    amount: Series[float] = pa.Field(ge=0)
    warning_signed: Series[Bool] | None = pa.Field(nullable=True)
    shares: Series[float] | None = pa.Field(nullable=True, ge=0)
    unit_nav: Series[float] | None = pa.Field(nullable=True, gt=0)


class Products(_Input):
    product_id: Series[str] = pa.Field(str_length={"min_value": 1})
    name: Series[str]
    risk_level: Series[str] = pa.Field(isin=RISK_LEVELS)
    product_type: Series[str] | None = pa.Field(nullable=True)
    management_fee_rate: Series[float] | None = pa.Field(nullable=True, ge=0, le=1)
    performance_fee_rate: Series[float] | None = pa.Field(nullable=True, ge=0, le=1)


class Holdings(_Input):
    client_id: Series[str]
    product_id: Series[str]
    as_of_date: Series[pa.DateTime]
    market_value: Series[float] = pa.Field(ge=0)


class Managers(_Input):
    manager_id: Series[str] = pa.Field(str_length={"min_value": 1})
    name: Series[str]
    role: Series[str] = pa.Field(isin=MANAGER_ROLES)
    branch: Series[str]
    capacity: Series[float] = pa.Field(ge=0)
    max_visits_per_day: Series[float] | None = pa.Field(nullable=True, ge=0)
    active: Series[Bool] | None = pa.Field(nullable=True)
    email: Series[str] | None = pa.Field(nullable=True)


class Visits(_Input):
    client_id: Series[str]
    manager_id: Series[str]
    visit_date: Series[pa.DateTime]
    visit_type: Series[str] = pa.Field(isin=VISIT_TYPES)


class Overrides(_Input):
    client_id: Series[str]
    field: Series[str] = pa.Field(isin=OVERRIDE_FIELDS)
    value: Series[str]
    reason: Series[str] = pa.Field(str_length={"min_value": 1})
    approved_by: Series[str] = pa.Field(str_length={"min_value": 1})
    effective_from: Series[pa.DateTime]
    effective_to: Series[pa.DateTime] | None = pa.Field(nullable=True)

    @pa.dataframe_check(error="effective_to is before effective_from")
    def ends_after_start(cls, df: pd.DataFrame) -> Series[bool]:
        if "effective_to" not in df:
            return pd.Series(True, index=df.index)
        return df["effective_to"].isna() | (df["effective_to"] >= df["effective_from"])


class Nav(_Input):
    product_id: Series[str]
    date: Series[pa.DateTime]
    unit_nav: Series[float] = pa.Field(gt=0)
    accumulated_nav: Series[float] = pa.Field(gt=0)


class ClientMetrics(_Input):
    client_id: Series[str]
    metric: Series[float] | None = pa.Field(nullable=True, alias=r"^(?!client_id$).+", regex=True)


@dataclass(frozen=True)
class TableSpec:
    """How a table relates to the others: its key, its row date, its references."""

    name: str
    model: type[_Input]
    required: bool = False
    key: tuple[str, ...] = ()
    date_column: str | None = None
    references: tuple[tuple[str, str], ...] = ()  # (column, referenced table)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("clients", Clients, required=True, key=("client_id",),
                  references=(("manager_id", "managers"),)),
        TableSpec("risk_assessments", RiskAssessments, key=("client_id", "assessment_date"),
                  date_column="assessment_date", references=(("client_id", "clients"),)),
        TableSpec("daily_assets", DailyAssets, key=("client_id", "date"), date_column="date",
                  references=(("client_id", "clients"),)),
        TableSpec("fees", Fees, date_column="date", references=(("client_id", "clients"),)),
        TableSpec("transactions", Transactions, date_column="trade_date",
                  references=(("client_id", "clients"), ("product_id", "products"))),
        TableSpec("products", Products, key=("product_id",)),
        TableSpec("holdings", Holdings, key=("client_id", "product_id", "as_of_date"),
                  date_column="as_of_date",
                  references=(("client_id", "clients"), ("product_id", "products"))),
        TableSpec("managers", Managers, key=("manager_id",)),
        TableSpec("visits", Visits, date_column="visit_date",
                  references=(("client_id", "clients"), ("manager_id", "managers"))),
        TableSpec("overrides", Overrides, references=(("client_id", "clients"),)),
        TableSpec("nav", Nav, key=("product_id", "date"), date_column="date",
                  references=(("product_id", "products"),)),
        TableSpec("client_metrics", ClientMetrics, key=("client_id",),
                  references=(("client_id", "clients"),)),
    )
}


def columns(table: str) -> dict[str, bool]:
    """Named columns of an input table, mapped to whether each is required."""
    schema = TABLES[table].model.to_schema()
    return {
        name: col.required
        for name, col in schema.columns.items()
        if not col.regex
    }


def column_kinds(table: str) -> dict[str, str]:
    """The parse kind (date, number, bool, text) of each named column of a table."""
    schema = TABLES[table].model.to_schema()
    return {name: _kind(col.dtype) for name, col in schema.columns.items() if not col.regex}


def pattern_columns(table: str) -> dict[str, str]:
    """Regex-named column families (answers q01…, metrics) mapped to their parse kind."""
    schema = TABLES[table].model.to_schema()
    return {name: _kind(col.dtype) for name, col in schema.columns.items() if col.regex}


def _kind(dtype: object) -> str:
    text = str(dtype).lower()
    if "datetime" in text:
        return "date"
    if "float" in text or "int" in text:
        return "number"
    if "bool" in text:
        return "bool"
    return "text"


class Classification(pa.DataFrameModel):
    """classification.csv (SPEC 4): one row per client in scope, columns in this order."""

    client_id: Series[str] = pa.Field(unique=True)
    as_of: Series[pa.DateTime]
    cycle: Series[str] = pa.Field(isin=("annual", "quarterly", "monthly", "adhoc"))
    level: Series[str]
    level_label: Series[str]
    tier: Series[str]
    tier_label: Series[str]
    category: Series[str]
    category_label: Series[str]
    class_code: Series[str]
    class_label: Series[str]
    avg_assets_last_year: Series[float] = pa.Field(ge=0)
    avg_assets_ytd: Series[float] = pa.Field(ge=0)
    mgmt_fee_last_year: Series[float]
    mgmt_fee_source: Series[str] = pa.Field(isin=("ledger", "derived"))
    computed_level: Series[str]
    previous_level: Series[str] = pa.Field(nullable=True)
    change: Series[str] = pa.Field(isin=("new", "upgrade", "downgrade", "held", "unchanged"))
    override: Series[bool]
    assessment_date: Series[pa.DateTime] = pa.Field(nullable=True)
    assessment_expired: Series[bool]
    score: Series[float] = pa.Field(nullable=True)
    lowest_category: Series[bool]
    reasons: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True
        ordered = True


class Excluded(pa.DataFrameModel):
    """excluded.csv (SPEC 4): every client not in classification.csv, with the reason."""

    client_id: Series[str] = pa.Field(unique=True)
    reason: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        ordered = True


def output_columns(model: type[pa.DataFrameModel]) -> list[str]:
    """The columns of an output table, in order."""
    return list(model.to_schema().columns)
