"""A realistic, deterministic sample of every input table (SPEC 3), built with numpy.

`generate_sample(n, seed, questionnaire=...)` returns one DataFrame per table of
`schemas.TABLES`, with exactly the schema's columns (the answer columns q01… come from the
questionnaire, the metric columns are `satisfaction` and `referrals`). The same seed gives the
same tables: the only source of randomness is `numpy.random.default_rng(seed)`, drawn in a
fixed order. No clock is read: the data runs up to `end` (the export date, `SAMPLE_END`).

Dates are relative to `end`: the reference quarter end is the last one before `end`
(2026-09-30 for the default), the "last complete year" is the calendar year before it (2025),
and balances start on 1 October of the year before that (2024-10-01), so some rows carry into
the last complete year. Rows after the reference quarter end exist on purpose.

Deliberate edge cases sit at fixed client ids (`EDGE_CASES`); every other client is drawn at
random. Everything is vectorised: no Python loop runs over clients or balance rows.

Modules: `days` (the sample calendar), `people` (clients, names, phones, ID numbers),
`assessments` (questionnaire answers, recorded categories), `products` (line-up, NAVs,
portfolios, holdings), `balances` (change-only daily assets), `trades`, `fees`, `service`
(managers, visits, overrides), `edges` (the deliberate edge cases), `rows` and `frames` (array
helpers); `tables` draws and assembles every table, `write` writes them.
"""

from tiering.sample.assessments import RISK_BANDS
from tiering.sample.daily import write_daily_sample
from tiering.sample.edges import EDGE_CASES
from tiering.sample.people import BRANCHES
from tiering.sample.service import LEVELS
from tiering.sample.tables import (
    DEFAULT_SEED,
    METRICS,
    MIN_CLIENTS,
    SAMPLE_END,
    generate_sample,
)
from tiering.sample.write import write_sample

__all__ = [
    "BRANCHES",
    "DEFAULT_SEED",
    "EDGE_CASES",
    "LEVELS",
    "METRICS",
    "MIN_CLIENTS",
    "RISK_BANDS",
    "SAMPLE_END",
    "generate_sample",
    "write_daily_sample",
    "write_sample",
]
