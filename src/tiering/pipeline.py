"""The classify job: load, validate, rate, record, write — the shell around the core.

Only this module and the command line know about folders. The outputs of a run are staged in
a temporary folder and moved into place only when everything succeeded.
"""

from __future__ import annotations

import platform
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

import pandas as pd

import tiering
from tiering import calendar, classify, engines, sessions, validation
from tiering.cycle import active_overrides, period_label
from tiering.history import History
from tiering.loading import InputFileError, file_sha256, find_table, read_table
from tiering.masking import mask_frame
from tiering.number_text import among
from tiering.params import Parameters, load_parameters
from tiering.schemas import TABLES
from tiering.writing import staged_output, write_csv, write_json

PACKAGES = ("pandas", "numpy", "pandera", "narwhals", "pydantic", "holidays", "pyarrow")


class RunError(Exception):
    """A run that cannot go on; the message is for the user, no traceback."""


class InvalidInput(RunError):
    def __init__(self, problems: pd.DataFrame):
        self.problems = problems
        super().__init__(validation.format_report(problems))


@dataclass
class Inputs:
    raw: dict[str, pd.DataFrame]
    files: dict[str, Path]
    hashes: dict[str, str]


@dataclass
class Timer:
    steps: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.steps[name] = round(now - since, 3)
        return now

    def record(self, name: str, seconds: float) -> None:
        """A step timed elsewhere (one that ran beside others)."""
        self.steps[name] = round(seconds, 3)

    def in_order(self) -> list[dict]:
        """The steps as they ran (a JSON object's keys would be sorted)."""
        return [{"step": name, "seconds": seconds} for name, seconds in self.steps.items()]


def load_inputs(folder: Path, skip: Sequence[str] = ()) -> Inputs:
    """Every table of SPEC 3 present in `folder` (only `clients` is required), but those in
    `skip` (read by an engine instead: only their files and hashes are taken)."""
    if not folder.is_dir():
        raise RunError(f"data folder not found: {folder}")
    raw, files, hashes = {}, {}, {}
    problems = []
    for name, spec in TABLES.items():
        try:
            if name in skip:
                path = find_table(folder, name)
                if path is not None:
                    files[name], hashes[name] = path, file_sha256(path)
                continue
            path = find_table(folder, name)
            if path is None:
                if spec.required:
                    problems.append(dict(table=name, row=None, column=None, value=None,
                                         problem=f"required table missing: no {name}.csv, "
                                         f"{name}.parquet or {name}.xlsx in the data folder"))
                continue
            raw[name] = read_table(path, name)
            files[name] = path
            hashes[name] = file_sha256(path)
        except InputFileError as err:
            problems.append(dict(table=name, row=None, column=None, value=None,
                                 problem=str(err)))
    if problems:
        raise InvalidInput(validation.problems_frame(problems))
    return Inputs(raw, files, hashes)


def check_inputs(
    inputs: Inputs, params: Parameters | None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    return validation.validate(inputs.raw, params)


def leave_out_future(
    tables: dict[str, pd.DataFrame], as_of: date
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Rows dated after the as-of date are left out of the run, and counted."""
    day = pd.Timestamp(as_of)
    kept, counts = {}, {}
    for name, frame in tables.items():
        col = TABLES[name].date_column
        if col is None or col not in frame:
            kept[name] = frame
            continue
        late = frame[col] > day
        counts[name] = int(late.sum())
        kept[name] = frame[~late]
    return kept, counts


@dataclass
class RatedRun:
    """Everything one rating produced, before anything is written."""

    as_of: date
    cycle: str
    params: Parameters
    rating: classify.Rating
    tables: dict[str, pd.DataFrame]  # the checked inputs, rows after the as-of date left out
    overrides_applied: pd.DataFrame
    quarantined: pd.DataFrame | None  # None: no --quarantine
    manifest: dict
    timer: Timer
    previous_r: pd.Series  # RFM recency per client in the previous official run (churn)


def rate_run(
    *,
    data: Path,
    as_of: date,
    cycle: str,
    params_path: Path,
    sets: Sequence[str] = (),
    history: History,
    quarantine: bool = False,
    run_date: date | None = None,
    engine: str | None = None,
    spark: object | None = None,
    catalog: Mapping[str, str] | None = None,
) -> RatedRun:
    """Load, check and rate; nothing is written. `run_date` (the day of the run, from the
    shell) says whether the cycle's due date was met. `engine` (pandas, duckdb, spark; by
    default duckdb for Parquet balances) reads and checks the big tables (`sessions`);
    `spark` is a SparkSession to use, `catalog` maps big tables to Spark catalog tables."""
    timer = Timer()
    t0 = time.perf_counter()
    wrong_day = calendar.period_end_ok(cycle, as_of)
    if wrong_day:
        raise RunError(wrong_day)
    params = load_parameters(params_path, as_of, sets)
    t = timer.lap("parameters", t0)
    engine = engine or engines.default_engine(data)
    big_tables = sessions.BIG_TABLES.get(engine, ())
    inputs = load_inputs(data, skip=big_tables)
    t = timer.lap("load", t)
    session = sessions.Session.start(engine, spark=spark)
    try:
        return _rate_in(session, inputs, params, timer, t, data=data, as_of=as_of, cycle=cycle,
                        history=history, quarantine=quarantine, run_date=run_date,
                        catalog=catalog)
    finally:
        session.close()


def _rate_in(session: sessions.Session, inputs: Inputs, params: Parameters, timer: Timer,
             t: float, *, data: Path, as_of: date, cycle: str, history: History,
             quarantine: bool, run_date: date | None, catalog: Mapping[str, str] | None,
             ) -> RatedRun:
    typed, problems = check_inputs(inputs, params)
    big = None
    if session.name != "pandas" and "clients" in typed:
        others = {name: typed[name][TABLES[name].key[0]] for name in ("products", "managers")
                  if name in typed}
        big = sessions.open_big_tables(session, data, typed["clients"]["client_id"], as_of,
                                       others, catalog)
        problems = validation.concat_problems([problems, big.problems])
        if quarantine and not big.problems.empty:
            raise RunError(
                f"--quarantine cannot set rows of {', '.join(sorted(big.frames))} aside when "
                f"the {session.name} engine reads them; correct them (listed with --engine "
                "pandas or by tiering validate) or use --engine pandas")
    blocking = validation.blocking(problems)
    if not problems.empty and (not quarantine or not blocking.empty):
        raise InvalidInput(blocking if quarantine else problems)
    set_aside: dict[str, str] = {}
    typed, set_aside_rows = validation.quarantine(typed, problems)
    if not problems.empty:
        kept = typed["clients"]["client_id"]
        bad_clients = set_aside_rows[(set_aside_rows["table"] == "clients")
                                     & ~among(set_aside_rows["client_id"], kept)]
        for cid, grp in bad_clients.groupby("client_id", sort=True):
            set_aside[cid] = "; ".join(f"{c} {p}" for c, p in zip(grp["column"], grp["problem"],
                                                                 strict=True))
    t = timer.lap("validate", t)
    tables, left_out = leave_out_future(typed, as_of)
    if big is not None:
        tables.update(big.frames)
        left_out.update({name: n for name, n in big.left_out.items() if n or name in tables})

    in_force = history.in_force(as_of)
    last_annual = history.last_annual(as_of)
    previous_r = history.previous_r(as_of)
    rating = classify.rate(tables, params, as_of=as_of, cycle=cycle, in_force=in_force,
                           last_annual=last_annual, set_aside=set_aside, session=session)
    for name in big.frames if big is not None else ():
        del tables[name]  # the engine's frames end with its session; the rating is done
    timer.lap("rate", t)
    _check_every_client(tables["clients"], rating, set_aside)
    applied = active_overrides(tables.get("overrides"), as_of)
    applied = applied[among(applied["client_id"], rating.classification["client_id"])].rename(
        columns={"value": "level"})

    due = calendar.due_date(cycle, as_of, params.calendar, params.policy.cycle.due_working_days)
    manifest = {
        "tiering_version": tiering.__version__,
        "code_version": _code_version(),
        "period": period_label(cycle, as_of),
        "as_of": as_of.isoformat(),
        "cycle": cycle,
        "due_date": due.isoformat() if due else None,
        "calendar_official": (params.calendar.is_official(due.year) if due else None),
        "run_date": run_date.isoformat() if run_date else None,
        "due_met": (run_date <= due) if (due and run_date) else None,
        "official": cycle != "adhoc",
        "data_dir": str(data),
        "parameters": {
            "file": params.source,
            "version": params.policy.version,
            "effective_from": params.policy.effective_from.isoformat(),
            "overrides": list(params.overrides),
            "hash": params.hash,
            "warnings": params.warnings(),
            "resolved": params.resolved,
        },
        "engine": session.name,
        "inputs": {
            name: {"file": inputs.files[name].name, "sha256": inputs.hashes[name],
                   "rows": int(len(inputs.raw[name])) if name in inputs.raw
                   else (big.rows.get(name, 0) if big is not None else 0)}
            for name in sorted(inputs.files, key=list(TABLES).index)
        },
        "rows": {
            "left_out_after_as_of": left_out,
            "quarantined": _count_by_table(set_aside_rows),
            "classified": int(len(rating.classification)),
            "excluded": int(len(rating.excluded)),
            "findings": int(len(rating.findings)),
        },
        "levels": rating.classification["level"].value_counts().sort_index().to_dict(),
        "packages": _versions(),
        "python": platform.python_version(),
        "history": None if cycle == "adhoc" else "recorded",
        "timings_seconds": timer.in_order(),
    }
    return RatedRun(as_of, cycle, params, rating, tables, applied.reset_index(drop=True),
                    set_aside_rows if quarantine else None, manifest, timer, previous_r)


def write_tables(run: RatedRun, folder: Path, *, mask: bool = False) -> list[str]:
    """The run's CSV tables (UTF-8 with BOM, sorted, stable formats); returns the file names.

    `mask` masks names, phone numbers, ID numbers and e-mails in every table that has them.
    """
    table = run.rating.classification.copy()
    table["score"] = table["score"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    tables = {
        "classification.csv": (table, ["client_id"], "%.2f"),
        "excluded.csv": (run.rating.excluded, ["client_id"], "%.2f"),
        "findings.csv": (run.rating.findings, ["client_id", "table", "row", "finding"], "%.0f"),
        "overrides_applied.csv": (run.overrides_applied, ["client_id"], "%.2f"),
    }
    if run.quarantined is not None:
        tables["quarantine.csv"] = (run.quarantined, ["table", "row", "column"], "%.0f")
    if run.rating.fee_contribution is not None:  # the tier rules read derived fees
        tables["fee_contribution.csv"] = (run.rating.fee_contribution, ["client_id", "year"],
                                          "%.2f")
    for name, (frame, order, number) in tables.items():
        write_csv(mask_frame(frame, enabled=mask), folder / name, sort_by=order,
                  float_format=number)
    return list(tables)


def record(run: RatedRun, history: History, activity: pd.DataFrame | None = None) -> None:
    """Write an official run to the rating history (never an ad hoc one), with the RFM
    recency scores (`activity`: client_id, r) when the run scored activity."""
    with recording(run, history, activity):
        pass


def recording(run: RatedRun, history: History,
              activity: pd.DataFrame | None = None) -> AbstractContextManager:
    """`record` as a block: the rows are written on entering, committed when the block ends
    without an error (nothing for an ad hoc run). Entering gives a function that adds
    activity rows scored later to the same run (`History.pending`)."""
    if run.cycle == "adhoc":
        return nullcontext(lambda _activity: None)
    return history.pending(run.cycle, run.as_of, run.rating.for_history(),
                           {"params_version": run.params.policy.version,
                            "params_hash": run.params.hash}, activity)


def classify_job(
    *,
    data: Path,
    as_of: date,
    cycle: str,
    out: Path,
    params_path: Path,
    sets: Sequence[str] = (),
    history_path: Path,
    quarantine: bool = False,
    run_date: date | None = None,
    engine: str | None = None,
    catalog: Mapping[str, str] | None = None,
) -> dict:
    """`tiering classify`: returns the manifest written to `out/manifest.json`."""
    history = History(history_path)
    run = rate_run(data=data, as_of=as_of, cycle=cycle, params_path=params_path, sets=sets,
                   history=history, quarantine=quarantine, run_date=run_date, engine=engine,
                   catalog=catalog)
    run.tables.clear()  # the inputs are not written: their memory goes before the tables'
    t = time.perf_counter()
    with staged_output(out) as stage:
        write_tables(run, stage, mask=run.params.policy.reports.mask_csv)
        run.timer.lap("write", t)
        run.manifest["timings_seconds"] = run.timer.in_order()
        write_json(run.manifest, stage / "manifest.json")
        record(run, history)  # last inside the stage: if it fails, no output is moved
    return run.manifest


def validate_job(data: Path, params: Parameters | None, report: Path | None) -> pd.DataFrame:
    """`tiering validate`: every problem, also written to `report` as CSV when asked."""
    try:
        inputs = load_inputs(data)
        _, problems = check_inputs(inputs, params)
    except InvalidInput as err:
        problems = err.problems
    if report is not None:
        write_csv(problems, report, float_format="%.0f")
    return problems


def _check_every_client(clients: pd.DataFrame, rating: classify.Rating,
                        set_aside: dict[str, str]) -> None:
    """Every client ends up classified or excluded with a reason, exactly once."""
    seen = pd.concat([rating.classification["client_id"], rating.excluded["client_id"]])
    expected = set(clients["client_id"]) | set(set_aside)
    if seen.duplicated().any() or set(seen) != expected:
        raise RunError("internal check failed: a client is missing or appears twice "
                       "in classification.csv and excluded.csv")


def _count_by_table(rows: pd.DataFrame) -> dict[str, int]:
    if rows.empty:
        return {}
    return {t: int(n) for t, n in rows.groupby("table")["row"].nunique().items()}


def _code_version() -> str:
    """The package version, and the commit when running from a git checkout."""
    root = Path(tiering.__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return tiering.__version__
    suffix = "+dirty" if dirty.stdout.strip() else ""
    return f"{tiering.__version__} ({commit.stdout.strip()}{suffix})"


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
