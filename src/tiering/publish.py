"""The quarterly job, `tiering run`: rate, execute every report notebook, render, publish.

The run is built in a staging folder beside its destination and moved into place only when
every step succeeded. A failure leaves the previous output untouched, keeps the failed executed
notebook in `<out>/.failed/<period>/` for inspection, and says what failed in one paragraph.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from tiering import notebooks, site
from tiering.allocation import Allocation, allocate
from tiering.calendars import write_calendars
from tiering.classify import derived_fees
from tiering.cycle import parse_period, period_label
from tiering.history import History
from tiering.loading import file_sha256, find_table
from tiering.masking import mask_frame
from tiering.pipeline import RunError, rate_run, recording, write_tables
from tiering.workbook import write_workbook
from tiering.writing import write_csv, write_json

Progress = Callable[[str], None]
EXCEL_ROWS = 1_048_576 - 1  # a worksheet's rows, less the header
REPORT_WORKERS = 2  # report notebooks executed at once, each in its own kernel
PLAN_ORDER = {  # stable sorts: rows keep the order the library gives within a key
    "service_plan": ["client_id"],
    "manager_assignments": ["client_id"],
    "manager_load": ["manager_id"],
    "suitability_alerts": ["client_id", "product_id", "source", "date", "rule"],
    "product_shelf": None,  # category in band order, then risk
    "visit_obligations": ["client_id"],
    "visit_schedule": ["date", "manager_id", "client_id", "kind"],
    "visit_shortfalls": ["client_id", "reason"],
    "rfm": ["client_id"],
    "churn": ["client_id"],
    "scorecard": ["client_id"],
}
FILE_TITLES = {
    "classification.csv": "分类分级结果 (classification)",
    "excluded.csv": "未纳入客户及原因 (excluded clients)",
    "findings.csv": "一致性问题 (consistency findings)",
    "overrides_applied.csv": "特别调整 (level overrides in effect)",
    "quarantine.csv": "隔离的数据行 (quarantined rows)",
    "service_plan.csv": "服务分配方案 (service plan: client × service)",
    "manager_assignments.csv": "专属经理分配 (manager assignments)",
    "manager_load.csv": "经理负荷与容量 (manager load and capacity)",
    "suitability_alerts.csv": "适当性预警 (suitability alerts)",
    "product_shelf.csv": "各类别可售产品 (product shelf per category)",
    "visit_obligations.csv": "拜访义务 (visits due this year and this quarter)",
    "visit_schedule.csv": "下季度拜访与关怀计划 (visit and care schedule)",
    "visit_shortfalls.csv": "无法安排的拜访 (visits that could not be scheduled)",
    "rfm.csv": "客户活跃度 RFM (activity: recency, frequency, monetary)",
    "churn.csv": "流失预警 (churn warnings: core and VIP clients slipping away)",
    "fee_contribution.csv": "管理费与业绩报酬贡献 (fees derived from holdings and NAVs)",
    "scorecard.csv": "加权评分卡 A/B/C/D (weighted scorecard, beside the rule-based level)",
}


# When a report may start (its notebook's metadata "tiering": {"after": ...}): once the
# rating's tables are written (it runs beside the plan), once the services' tables are too
# (`SERVICE_TABLES`, written first of the plan's), or once every table and calendar is.
AFTER = ("rating", "services", "plan")
REPORT_PARAMETERS = ("run_dir", "data_dir", "mask", "list_cap")  # given to every report
SERVICE_TABLES = ("service_plan", "manager_assignments", "manager_load", "suitability_alerts",
                  "product_shelf")


@dataclass(frozen=True)
class Report:
    notebook: Path
    title: str
    after: str = "plan"  # what it reads: one of AFTER

    @property
    def name(self) -> str:
        return self.notebook.stem


def find_reports(folder: Path) -> list[Report]:
    """Every report notebook (NN-name.ipynb) in order, less those run on demand (`on_demand`);
    the title is its first heading."""
    if not folder.is_dir():
        raise RunError(f"notebook folder not found: {folder}")
    found = []
    for path in sorted(folder.resolve().glob("[0-9][0-9]-*.ipynb")):
        if not on_demand(path):
            found.append(Report(path, _title(path), _after(path)))
            # checked before the rating, which takes minutes at a million clients
            missing = sorted(set(REPORT_PARAMETERS) - notebooks.declared_parameters(path))
            if missing:
                raise RunError(f"{path.name}: its parameters cell (a code cell tagged "
                               f"'parameters') does not declare {', '.join(missing)}; every "
                               f"report declares {', '.join(REPORT_PARAMETERS)}")
    if not found:
        raise RunError(f"no report notebooks (NN-name.ipynb) in {folder}")
    return found


def _after(notebook: Path) -> str:
    """When a report can run: ``"tiering": {"after": "rating"}`` in its metadata says it reads
    only the rating's tables, so it runs beside the plan; ``"services"``, only those and the
    services' (`SERVICE_TABLES`); otherwise (``"plan"``) once every table is written."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    after = meta.get("tiering", {}).get("after", "plan")
    if after not in AFTER:
        raise RunError(f"{notebook.name}: metadata tiering.after must be one of "
                       f"{', '.join(repr(a) for a in AFTER)}, not {after!r}")
    return after


def on_demand(notebook: Path) -> bool:
    """Whether a notebook is run by hand rather than by every run (the what-if notebook):
    its metadata says ``"tiering": {"on_demand": true}``."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return bool(meta.get("tiering", {}).get("on_demand", False))


def run_job(
    *,
    period: str,
    data: Path,
    params_path: Path,
    sets: Sequence[str] = (),
    out_root: Path,
    history_path: Path,
    notebook_dir: Path,
    run_date: date,
    force: bool = False,
    quarantine: bool = False,
    progress: Progress = lambda _msg: None,
    engine: str | None = None,
    catalog: Mapping[str, str] | None = None,
) -> tuple[Path, dict]:
    """Build `out_root/<period>/`; returns the folder and its manifest."""
    try:
        cycle, as_of = parse_period(period)
    except ValueError as err:
        raise RunError(str(err)) from None
    out = out_root / period_label(cycle, as_of)
    if out.exists() and not force:
        raise RunError(f"{out} exists: an official run is not overwritten; "
                       "add --force to replace it")
    reports = find_reports(notebook_dir)
    history = History(history_path)

    progress(f"rating the clients ({cycle}, as of {as_of})")
    run = rate_run(data=data, as_of=as_of, cycle=cycle, params_path=params_path, sets=sets,
                   history=history, quarantine=quarantine, run_date=run_date, engine=engine,
                   catalog=catalog)
    policy = run.params.policy
    out_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".staging-{out.name}-", dir=out_root))
    stage.chmod(0o755)  # mkdtemp makes it private; the published folder is not
    try:
        t = time.perf_counter()
        files = write_tables(run, stage, mask=policy.reports.mask_csv)
        write_json(run.manifest, stage / "manifest.json")  # the reports read it
        (stage / "reports").mkdir()
        t = run.timer.lap("write tables", t)
        # The reports run in their own kernels, REPORT_WORKERS at a time: those that read only
        # the rating's tables (`"after": "rating"`) beside the plan, those that read the
        # services' too (`"services"`) once these are written, beside the other tables, and
        # the others once every table is, beside the workbook (which no report reads).
        with (ThreadPoolExecutor(max_workers=REPORT_WORKERS) as pool,
              ThreadPoolExecutor(max_workers=1) as writer,
              ThreadPoolExecutor(max_workers=1) as fees, ExitStack() as history_write):
            def build(report: Report) -> Future:
                return pool.submit(_build_report, report, stage, data, out_root, out.name,
                                   policy.reports.list_cap, progress)

            built = {r.name: build(r) for r in reports if r.after == "rating"}
            # the history's rows are written beside the plan and the files (SQLite works
            # outside the GIL), committed only once everything has succeeded; the activity
            # rows join them once the plan has scored it
            history_rows: Future = writer.submit(
                _timed_result, history_write.enter_context, recording(run, history))
            # the derived fees (SPEC 2.7), which no report reads, beside the plan too
            contribution = (None if run.rating.fee_contribution is not None else fees.submit(
                _timed_result, derived_fees, run.tables, as_of, policy.fees))
            try:
                progress("planning services, managers and suitability")
                plan = allocate(run.rating.classification, run.tables, policy, as_of=as_of,
                                calendar=run.params.calendar, previous_r=run.previous_r)
                t = run.timer.lap("service plan", t)
                seconds, add_activity = history_rows.result()
                run.timer.record("history rating rows (beside the plan)", seconds)
                history_rows = writer.submit(_timed, add_activity, plan.rfm)
                files += _write_plan(run, plan, stage, as_of, SERVICE_TABLES)
                built |= {r.name: build(r) for r in reports if r.after == "services"}
                files += _write_plan(run, plan, stage, as_of, calendars=True)
                write_json(run.manifest, stage / "manifest.json")  # replaced whole, atomically
                t = run.timer.lap("write plan tables and calendars", t)
                built |= {r.name: build(r) for r in reports if r.name not in built}
                if contribution is not None:  # the derived fees: no report reads them
                    seconds, derived = contribution.result()
                    run.timer.record("derived fees (beside the plan)", seconds)
                    write_csv(derived, stage / "fee_contribution.csv",
                              sort_by=["client_id", "year"])
                    files.append("fee_contribution.csv")
                workbook = f"tiering_{out.name}.xlsx"
                write_workbook(stage / workbook, _workbook_sheets(
                    run, plan, policy.reports.mask_csv, policy.reports.workbook_max_rows))
                files.append(workbook)
                run.timer.record("workbook and fee contribution file (beside the reports)",
                                 time.perf_counter() - t)
                run.timer.record("history activity rows (beside the files)",
                                 history_rows.result())
                links = []
                for report in reports:
                    seconds = built[report.name].result()
                    for step, value in seconds.items():
                        run.timer.record(f"{step} {report.name} (beside the others)", value)
                    links.append((report.title, f"reports/{report.name}.html"))
            except BaseException:
                pool.shutdown(cancel_futures=True)
                # the history's transaction is then rolled back
                wait([history_rows] + ([contribution] if contribution is not None else []))
                raise
            t = run.timer.lap(f"reports and workbook (wall, {REPORT_WORKERS} at a time)", t)
            run.manifest["reports"] = [{"title": title, "html": href} for title, href in links]
            run.manifest["files"] = sorted(files)
            progress("writing index.html and manifest.json")
            site.write_index(stage, run.manifest, links,
                             [(_file_title(f), f) for f in sorted(files)])
            run.timer.lap("index", t)
            run.manifest["timings_seconds"] = run.timer.in_order()
            write_json(run.manifest, stage / "manifest.json")
        # the history's transaction is committed above, as the block ends; then the swap
        _swap_into_place(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    progress(f"done: open {out / 'index.html'}")
    return out, run.manifest


def verify_job(
    out: Path, *, data: Path | None, params_path: Path, history_path: Path
) -> list[str]:
    """Check a published run: input hashes against the data, and the tables re-computed.

    Returns the differences found (empty: verified). Nothing is written to the history.
    """
    manifest = _read_manifest(out)
    data = data or Path(manifest.get("data_dir", ""))
    problems = []
    for table, recorded in sorted(manifest["inputs"].items()):
        path = find_table(data, table)
        if path is None:
            problems.append(f"input {table}: {recorded['file']} is missing from {data}")
        elif file_sha256(path) != recorded["sha256"]:
            problems.append(f"input {table}: {path.name} has changed since the run "
                            "(SHA-256 differs)")
    for table in _tables_present(data):
        if table not in manifest["inputs"]:
            problems.append(f"input {table}: present now but not at the time of the run")
    if problems:
        return problems
    as_of = date.fromisoformat(manifest["as_of"])
    run = rate_run(data=data, as_of=as_of, cycle=manifest["cycle"], params_path=params_path,
                   sets=manifest["parameters"]["overrides"], history=History(history_path),
                   quarantine=(out / "quarantine.csv").exists(),
                   engine=manifest.get("engine"))
    if run.params.hash != manifest["parameters"]["hash"]:
        problems.append("parameters: the resolved parameters differ from the run's "
                        f"(hash {run.params.hash[:12]} now, "
                        f"{manifest['parameters']['hash'][:12]} then)")
    with tempfile.TemporaryDirectory() as tmp:
        names = write_tables(run, Path(tmp), mask=run.params.policy.reports.mask_csv)
        for name in names:
            recorded_file = out / name
            if not recorded_file.exists():
                problems.append(f"{name}: missing from {out}")
            elif recorded_file.read_bytes() != (Path(tmp) / name).read_bytes():
                problems.append(f"{name}: re-computed table differs from the published one")
    return problems


def _timed(call: Callable, *args: object) -> float:
    """Seconds `call(*args)` took."""
    return _timed_result(call, *args)[0]


def _timed_result(call: Callable, *args: object) -> tuple[float, Any]:
    """Seconds `call(*args)` took, and what it returned."""
    began = time.perf_counter()
    result = call(*args)
    return time.perf_counter() - began, result


def _write_plan(run, plan: Allocation, stage: Path, as_of: date,
                stems: Sequence[str] | None = None, *, calendars: bool = False) -> list[str]:
    """The plan's tables named in `stems` (None: those not yet written), then, with
    `calendars`, the managers' calendars (what the reports read); their names."""
    policy = run.params.policy
    files = []
    tables = plan.tables()
    done = run.manifest["rows"].setdefault("plan", {})
    for stem in stems if stems is not None else [s for s in tables if s not in done]:
        frame = tables[stem]
        write_csv(mask_frame(frame, enabled=policy.reports.mask_csv), stage / f"{stem}.csv",
                  sort_by=PLAN_ORDER[stem])
        files.append(f"{stem}.csv")
        done[stem] = len(frame)
    if not calendars:
        return files
    run.manifest["rows"]["plan"] = {stem: done[stem] for stem in tables}  # in the plan's order
    names = run.tables["clients"].set_index("client_id")["name"]
    ics = write_calendars(plan.visit_schedule, stage / "calendars",
                          managers=run.tables.get("managers"), names=names, as_of=as_of)
    files.extend(f"calendars/{path.name}" for path in ics)
    return files


def _build_report(report: Report, stage: Path, data: Path, out_root: Path, period: str,
                  cap: int, progress: Progress) -> dict[str, float]:
    """Execute one report notebook and render its page; the seconds each took."""
    progress(f"executing {report.notebook.name}")
    start = time.perf_counter()
    executed = stage / "reports" / report.notebook.name
    _execute(report, executed, stage, data, out_root, period, cap)
    middle = time.perf_counter()
    progress(f"rendering {report.name}.html")
    notebooks.render_html(executed, stage / "reports" / f"{report.name}.html",
                          title=f"{report.title} — {period}")
    return {"execute": round(middle - start, 3),
            "render": round(time.perf_counter() - middle, 3)}


def _execute(report: Report, executed: Path, stage: Path, data: Path, out_root: Path,
             period: str, cap: int) -> None:
    # every report notebook declares these in its `parameters` cell (`find_reports` checks)
    parameters = {"run_dir": str(stage.resolve()), "data_dir": str(data.resolve()),
                  "mask": True, "list_cap": cap}
    try:
        notebooks.execute(report.notebook, executed, parameters, cwd=stage)
    except notebooks.NotebookFailed as err:
        kept = out_root / ".failed" / period / report.notebook.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        if err.executed.exists():
            shutil.copy2(err.executed, kept)
        raise RunError(f"{err} The executed notebook is kept for inspection: {kept}") from None


def _swap_into_place(stage: Path, out: Path) -> None:
    """Replace `out` by `stage` with two renames; the old output is removed only after."""
    old = None
    if out.exists():
        old = out.with_name(f".old-{out.name}-{stage.name}")
        out.rename(old)
    try:
        stage.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _workbook_sheets(run, plan: Allocation, mask: bool,
                     max_rows: int = EXCEL_ROWS) -> dict[str, pd.DataFrame]:
    """The main tables for staff, typed (numbers stay numbers in Excel). A table longer than
    `max_rows` (`reports.workbook_max_rows`; at most what a worksheet holds) is left to its
    CSV file."""
    sheets = {
        "classification": run.rating.classification,
        "excluded": run.rating.excluded,
        "findings": run.rating.findings,
        "overrides_applied": run.overrides_applied,
        **plan.tables(),
    }
    del sheets["service_plan"]  # client × service, long: its CSV is the place for it
    if run.quarantined is not None:
        sheets["quarantine"] = run.quarantined
    return {name: mask_frame(frame, enabled=mask) for name, frame in sheets.items()
            if len(frame) <= min(max_rows, EXCEL_ROWS)}


def _file_title(name: str) -> str:
    if name.startswith("calendars/"):
        return f"经理日历 (calendar) {Path(name).stem}"
    if name.endswith(".xlsx"):
        return "全部主表 Excel 工作簿 (all main tables, Excel)"
    return FILE_TITLES.get(name, name)


def _title(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def _read_manifest(out: Path) -> dict:
    import json

    path = out / "manifest.json"
    if not path.exists():
        raise RunError(f"{out} is not a run folder: no manifest.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _tables_present(data: Path) -> list[str]:
    from tiering.schemas import TABLES

    return [name for name in TABLES if find_table(data, name) is not None]
