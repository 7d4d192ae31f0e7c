"""Risk assessments: questionnaire answers drawn from each client's latent risk appetite, the
given scores (a few deliberately off), and the risk category each client has on record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tiering.sample.days import SampleCalendar, roll_back, uniform_days
from tiering.sample.edges import EDGE_CLIENTS, edge_index, one
from tiering.sample.frames import STR
from tiering.sample.people import Clients
from tiering.sample.rows import group_ends
from tiering.schemas import ANSWER_PATTERN

RISK_BANDS = (("conservative", 9, 40), ("balanced", 41, 75), ("aggressive", 76, 100))


@dataclass(frozen=True)
class Quiz:
    ids: tuple[str, ...]
    letters: tuple[np.ndarray, ...]  # per question, option letters by ascending points
    points: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, questionnaire: Mapping[str, Mapping[str, float]]) -> Quiz:
        ids = tuple(sorted(questionnaire))
        if not ids:
            raise ValueError("the questionnaire has no questions")
        letters, points = [], []
        for qid in ids:
            if not re.fullmatch(ANSWER_PATTERN, qid):
                raise ValueError(f"question id {qid!r} does not match {ANSWER_PATTERN}")
            options = sorted(questionnaire[qid].items(), key=lambda kv: (kv[1], kv[0]))
            if len(options) < 2:
                raise ValueError(f"question {qid} has fewer than two options")
            letters.append(np.array([k for k, _ in options], dtype=STR))
            points.append(np.array([v for _, v in options], dtype=np.float64))
        return cls(ids, tuple(letters), tuple(points))

    def options(self, appetite: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Option index per (row, question) from a latent appetite in [0, 1] plus noise."""
        out = np.empty((appetite.size, len(self.ids)), dtype=np.int64)
        for j, pts in enumerate(self.points):
            top = pts.size - 1
            out[:, j] = np.clip(np.rint(appetite * top + noise[:, j]), 0, top)
        return out

    def score(self, options: np.ndarray) -> np.ndarray:
        return sum(pts[options[:, j]] for j, pts in enumerate(self.points))


def band(score: np.ndarray) -> np.ndarray:
    """Index into RISK_BANDS of each score (the default three-band scale of SPEC 2.1)."""
    return np.searchsorted(np.array([hi for _, _, hi in RISK_BANDS[:-1]]), score, side="left")


@dataclass(frozen=True)
class Assessments:
    client: np.ndarray
    day: np.ndarray
    options: np.ndarray  # (rows, questions)
    score: np.ndarray  # the given score
    signed: np.ndarray
    has: np.ndarray  # per client
    latest_score: np.ndarray  # per client, scored answers of the latest assessment (NaN: none)
    signed_score: np.ndarray  # per client, of the latest signed one up to the reference date,
    # else of the latest signed one (clients assessed after it)


def make_assessments(
    rng: np.random.Generator, cl: Clients, cal: SampleCalendar, quiz: Quiz
) -> Assessments:
    n = cl.n
    has = rng.random(n) >= 0.05
    at_open = cl.open - rng.integers(0, 6, n)
    r_lo = np.maximum(cl.open - 5, cal.ref - 700)
    recent = uniform_days(rng, r_lo, cal.end)
    o_lo = np.maximum(cl.open - 5, cal.ref - 2230)
    old = uniform_days(rng, o_lo, np.maximum(cal.ref - 731, o_lo))
    u = rng.random(n)
    latest = np.where(
        cl.open >= cal.ref - 700,
        np.where(u < 0.75, at_open, recent),
        np.where((u < 0.2) & (o_lo <= cal.ref - 731), old, recent),
    )
    earlier = latest - rng.integers(400, 1100, n)
    two = has & (rng.random(n) < 0.12) & (earlier >= cl.open - 10)
    signed_latest = rng.random(n) >= 0.015
    signed_earlier = rng.random(n) >= 0.015
    drift = rng.normal(0, 0.12, n)

    edge = EDGE_CLIENTS
    has[edge] = True
    two[edge] = False
    signed_latest[edge] = True
    latest[edge] = cal.ref - rng.integers(30, 600, edge.size)
    has[one("no_assessment")] = False
    signed_latest[one("unsigned_latest_assessment")] = False
    latest[one("expired_assessment_only")] = cal.ref - 800
    changed = one("two_assessments_category_changed")
    latest[changed], earlier[changed], two[changed] = cal.ref - 60, cal.ref - 500, True
    signed_earlier[changed] = True
    for name in ("opened_after_reference_date", "opened_this_year_before_reference_date"):
        latest[one(name)] = cl.open[one(name)] - 2  # assessed when opening the account
    latest = np.minimum(roll_back(latest), cal.end)
    earlier = roll_back(earlier)

    lc = np.flatnonzero(has)
    ec = np.flatnonzero(two)
    client = np.concatenate([lc, ec])
    day = np.concatenate([latest[lc], earlier[ec]])
    appetite = np.concatenate([cl.appetite[lc], np.clip(cl.appetite[ec] + drift[ec], 0.01, 0.99)])
    noise = rng.normal(0, 0.6, (client.size, len(quiz.ids)))
    # deliberate answers: no noise, a set appetite (0: every lowest option)
    fixed = {
        "two_assessments_category_changed": 0.2, "mismatch_purchase_warning_unsigned": 0.25,
        "mismatch_purchase_warning_signed": 0.3, "lowest_category_purchase_warning_signed": 0.0,
    }
    rows = [(int(np.searchsorted(lc, one(k))), a) for k, a in fixed.items()]
    rows.append((lc.size + int(np.searchsorted(ec, changed)), 0.85))  # its earlier one
    for row, a in rows:
        appetite[row], noise[row] = a, 0.0
    options = quiz.options(appetite, noise)
    true = quiz.score(options)
    lowest = float(sum(p[0] for p in quiz.points))
    highest = float(sum(p[-1] for p in quiz.points))
    given = true.copy()
    for k, delta in zip(edge_index("score_off"), (3, -2, 5), strict=True):
        row = int(np.searchsorted(lc, k))
        shifted = given[row] + delta
        given[row] = shifted if lowest <= shifted <= highest else given[row] - delta
    signed = np.concatenate([signed_latest[lc], signed_earlier[ec]])
    latest_score = np.full(n, np.nan)
    latest_score[lc] = true[: lc.size]
    order = np.lexsort((day, client))
    client, day, signed, true = client[order], day[order], signed[order], true[order]
    signed_score = np.full(n, np.nan)
    for ok in (np.flatnonzero(signed), np.flatnonzero(signed & (day <= cal.ref))):
        last = ok[group_ends(client[ok])]
        signed_score[client[last]] = true[last]  # the second pass wins where it has a row
    return Assessments(client, day, options[order], given[order], signed, has, latest_score,
                       signed_score)


def recorded_categories(
    rng: np.random.Generator, ra: Assessments
) -> tuple[np.ndarray, np.ndarray]:
    """Index into RISK_BANDS of each client's recorded category, and where there is none.

    For most assessed clients: the band of the latest signed assessment up to the reference
    date (so a run as of that date finds only the deliberate mismatches), or after it for
    clients first assessed since."""
    recorded_band = band(np.nan_to_num(ra.signed_score))
    assessed = ~np.isnan(ra.signed_score)
    recorded = assessed & (rng.random(assessed.size) < 0.92)
    recorded[EDGE_CLIENTS] = assessed[EDGE_CLIENTS]
    wrong = edge_index("recorded_category_disagrees")
    recorded_band[wrong] = (recorded_band[wrong] + 1) % len(RISK_BANDS)
    return recorded_band, ~recorded
