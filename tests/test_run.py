"""`tiering run` end to end on the sample: reports, HTML, index, safety, verify (slow)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from tiering.calendar import WorkingCalendar
from tiering.cli import main
from tiering.notebooks import external_references

ROOT = Path(__file__).parents[1]
PARAMS = str(ROOT / "params")
NOTEBOOKS = ROOT / "notebooks"
PARAMETERS = 'run_dir = ""\ndata_dir = ""\nmask = True\nlist_cap = 500'  # a report's

pytestmark = pytest.mark.slow


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run(data: Path, out: Path, *extra: str, notebooks: Path = NOTEBOOKS, period="2026Q3"):
    return invoke("run", "--period", period, "--data", str(data), "--out", str(out),
                  "--params", PARAMS, "--history", str(out / "history.sqlite"),
                  "--notebooks", str(notebooks), "--run-date", "2026-10-09", *extra)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path, object]:
    base = tmp_path_factory.mktemp("run")
    data, out = base / "data", base / "outputs"
    assert invoke("sample", "--out", str(data), "--clients", "300",
                  "--params", PARAMS).exit_code == 0
    result = run(data, out)
    assert result.exit_code == 0, result.output
    return data, out / "2026Q3", result


def test_run_publishes_tables_reports_index_and_manifest(published):
    _, folder, result = published
    for name in ("classification.csv", "excluded.csv", "findings.csv", "manifest.json",
                 "fee_contribution.csv", "churn.csv", "rfm.csv", "scorecard.csv",
                 "index.html", "tiering_2026Q3.xlsx", "reports/10-classification.html",
                 "reports/10-classification.ipynb"):
        assert (folder / name).is_file(), name
    assert f"Open {folder / 'index.html'}" in result.output
    assert "executing 10-classification.ipynb" in result.output  # progress per step
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2026Q3" and manifest["cycle"] == "quarterly"
    # due on the make-up Saturday 10 October; the run date 9 October met it
    assert manifest["due_date"] == "2026-10-10" and manifest["due_met"] is True
    assert manifest["reports"] == [
        {"title": "客户分类分级报告 (Client classification report)",
         "html": "reports/10-classification.html"},
        {"title": "服务分配方案 (Service allocation plan)",
         "html": "reports/20-service-plan.html"},
        {"title": "拜访与关怀计划 (Visit and care schedule)",
         "html": "reports/30-visit-schedule.html"},
        {"title": "客户活跃度 (Client activity, RFM)", "html": "reports/40-activity.html"},
    ]
    assert not list(folder.parent.glob(".staging-*"))


def test_run_writes_the_service_plan_files_and_keeps_managers_within_capacity(published):
    _, folder, _ = published
    for name in ("service_plan.csv", "manager_assignments.csv", "manager_load.csv",
                 "suitability_alerts.csv", "product_shelf.csv"):
        assert (folder / name).is_file(), name
    classification = read(folder / "classification.csv")
    assignments = read(folder / "manager_assignments.csv")
    load = read(folder / "manager_load.csv")
    assert (load["load"].astype(float) <= load["capacity"].astype(float) + 1e-9).all()
    served = classification[classification["level"].isin(["core", "vip"])]["client_id"]
    rows = assignments[assignments["client_id"].isin(served)]
    assert sorted(rows["client_id"]) == sorted(served)
    unassigned = rows[rows["status"] == "unassigned"]
    assert (unassigned["reason"].str.len() > 0).all()
    plan = read(folder / "service_plan.csv")
    assert set(plan["client_id"]) == set(classification["client_id"])
    activity = read(folder / "rfm.csv")  # exactly one row and one segment per client
    assert sorted(activity["client_id"]) == sorted(classification["client_id"])
    assert (activity["segment"].str.len() > 0).all()
    graded = read(folder / "scorecard.csv")  # exactly one grade per client
    assert sorted(graded["client_id"]) == sorted(classification["client_id"])
    assert set(graded["grade"]) <= {"A", "B", "C", "D"}


def test_run_writes_the_visit_schedule_and_a_calendar_per_manager(published):
    _, folder, _ = published
    schedule = read(folder / "visit_schedule.csv")
    assert len(schedule) > 0 and (folder / "visit_shortfalls.csv").is_file()
    # the quarter after 30 September 2026, working days only (1-7 October are off)
    days = sorted(set(schedule["date"]))
    assert days[0] >= "2026-10-08" and days[-1] <= "2026-12-31"
    calendar = WorkingCalendar()
    assert all(calendar.is_working_day(date.fromisoformat(d)) for d in days)
    managers = set(schedule["manager_id"])
    assert {p.stem for p in (folder / "calendars").glob("*.ics")} >= managers


def read(path: Path):
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_report_html_has_no_code_and_loads_nothing_from_the_network(published):
    _, folder, _ = published
    plan_html = (folder / "reports" / "20-service-plan.html").read_text(encoding="utf-8")
    assert external_references(plan_html) == [] and "客户分级分类服务对照表" in plan_html
    html = (folder / "reports" / "10-classification.html").read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "report_tables.load_run" not in html and "display.setup()" not in html
    assert "级别 × 类别" in html and "客户分类分级报告" in html
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
    assert "<script src=" not in html


@pytest.mark.parametrize("report", ["10-classification", "20-service-plan",
                                    "30-visit-schedule", "40-activity"])
def test_executed_notebook_has_no_missing_glyph_warning_and_masks_names(published, report):
    data, folder, _ = published
    nb = nbformat.read(folder / "reports" / f"{report}.ipynb", as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.extend(str(v) for v in output.get("data", {}).values())
    joined = "\n".join(texts)
    assert "missing from font" not in joined.lower() and "findfont" not in joined.lower()
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    # a name from the data never appears unmasked in the HTML
    clients = (data / "clients.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    names = [line.split(",")[1] for line in clients if len(line.split(",")[1]) >= 2]
    html = (folder / "reports" / f"{report}.html").read_text(encoding="utf-8")
    assert not [n for n in names if n in html]


def test_index_links_every_report_and_file_with_hashes(published):
    _, folder, _ = published
    index = (folder / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert 'href="reports/10-classification.html"' in index
    for name in manifest["files"]:
        assert f'href="{name}"' in index
    assert manifest["inputs"]["clients"]["sha256"] in index
    assert manifest["parameters"]["hash"][:12] in index
    assert external_references(index) == []


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium absent")
def test_index_and_report_open_in_a_real_browser_without_errors(published):
    from browser import check_page

    _, folder, _ = published
    errors, shot = check_page((folder / "index.html").as_uri(), expect_text=["2026Q3"],
                              name="run-index")
    assert errors == [] and shot.stat().st_size > 0
    errors, shot = check_page((folder / "reports" / "10-classification.html").as_uri(),
                              expect_text=["级别迁移"], name="run-10-classification")
    assert errors == [] and shot.stat().st_size > 0
    errors, shot = check_page((folder / "reports" / "20-service-plan.html").as_uri(),
                              expect_text=["专属客户经理"], name="run-20-service-plan")
    assert errors == [] and shot.stat().st_size > 0
    errors, shot = check_page((folder / "reports" / "30-visit-schedule.html").as_uri(),
                              expect_text=["拜访"], name="run-30-visit-schedule")
    assert errors == [] and shot.stat().st_size > 0


def test_an_official_period_is_not_overwritten_without_force(published):
    data, folder, _ = published
    result = run(data, folder.parent)
    assert result.exit_code == 2 and "--force" in result.output


def test_a_failing_notebook_leaves_the_previous_output_intact(published, tmp_path):
    data, folder, _ = published
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    broken = tmp_path / "notebooks"
    broken.mkdir()
    shutil.copy(NOTEBOOKS / "10-classification.ipynb", broken)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 坏报告 (Broken report)"),
        nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('raise KeyError("level")'),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, broken / "20-broken.ipynb")
    fresh = tmp_path / "history.sqlite"  # the failed run must leave no trace in it either
    result = run(data, folder.parent, "--force", "--history", str(fresh), notebooks=broken)
    assert result.exit_code == 2
    assert "20-broken.ipynb failed in cell" in result.output and "KeyError" in result.output
    kept = folder.parent / ".failed" / "2026Q3" / "20-broken.ipynb"
    assert kept.is_file()
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    from tiering.history import History

    # its rows were written while the reports ran, then rolled back
    assert History(fresh).runs().empty and History(fresh).in_force(date(2027, 1, 1)).empty
    assert not list(folder.parent.glob(".staging-*"))


def test_verify_confirms_the_run_and_notices_a_changed_input(published, tmp_path):
    data, folder, _ = published
    history = str(folder.parent / "history.sqlite")
    ok = invoke("verify", str(folder), "--data", str(data), "--params", PARAMS,
                "--history", history)
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output
    changed = tmp_path / "data"
    shutil.copytree(data, changed)
    with (changed / "fees.csv").open("a", encoding="utf-8") as fh:
        fh.write("C000001,2025-06-30,management,1.00\n")
    bad = invoke("verify", str(folder), "--data", str(changed), "--params", PARAMS,
                 "--history", history)
    assert bad.exit_code == 1
    assert "fees" in bad.output and "changed" in bad.output


def test_the_next_run_warns_of_core_and_vip_clients_whose_recency_fell(published, tmp_path):
    import pandas as pd

    data, folder, _ = published
    out = tmp_path / "outputs"
    out.mkdir()
    shutil.copy(folder.parent / "history.sqlite", out / "history.sqlite")  # Q3 recorded
    reports = tmp_path / "notebooks"
    reports.mkdir()
    shutil.copy(NOTEBOOKS / "40-activity.ipynb", reports)
    result = run(data, out, notebooks=reports, period="2026Q4")
    assert result.exit_code == 0, result.output

    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, dtype={"client_id": str}, encoding="utf-8-sig")

    q3 = read(folder / "rfm.csv").set_index("client_id")["r"]
    q4 = read(out / "2026Q4" / "rfm.csv").set_index("client_id")["r"]
    levels = read(out / "2026Q4" / "classification.csv").set_index("client_id")["level"]
    churn = read(out / "2026Q4" / "churn.csv").set_index("client_id")
    # the rule, applied to the two runs' files: a watched client with a Q3 score whose Q4
    # score is lower or gone
    watched = levels[levels.isin(["core", "vip"])].index
    fell = {c for c in watched if c in q3.index and pd.notna(q3[c])
            and (pd.isna(q4.get(c)) or q4[c] < q3[c])}
    assert fell, "three months on, some watched client's R must have fallen"
    assert set(churn.index[churn["reason"] == "r_fell"]) == fell
    assert (churn.loc[sorted(fell), "previous_r"] == q3[sorted(fell)]).all()
    html = (out / "2026Q4" / "reports" / "40-activity.html").read_text(encoding="utf-8")
    assert "(R fell)" in html  # the interactive table's data (its Chinese is JSON-escaped)


def test_tables_longer_than_workbook_max_rows_stay_in_their_csv_files(published, tmp_path):
    import openpyxl
    import pandas as pd

    data, _, _ = published
    reports = tmp_path / "notebooks"
    reports.mkdir()
    shutil.copy(NOTEBOOKS / "40-activity.ipynb", reports)  # one report is enough here
    out = tmp_path / "outputs"
    result = run(data, out, "--set", "reports.workbook_max_rows=40", notebooks=reports)
    assert result.exit_code == 0, result.output
    folder = out / "2026Q3"
    book = openpyxl.load_workbook(folder / "tiering_2026Q3.xlsx", read_only=True)
    for stem in ("classification", "manager_load", "product_shelf", "churn"):
        rows = len(pd.read_csv(folder / f"{stem}.csv", encoding="utf-8-sig"))
        # in the workbook exactly when the CSV has at most 40 rows
        assert (stem in book.sheetnames) == (rows <= 40), (stem, rows)
    assert "classification" not in book.sheetnames  # 300 clients


def test_a_report_after_the_rating_runs_beside_the_plan(tmp_path):
    from tiering.publish import RunError, find_reports

    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name, meta in (("10-a", {"after": "rating"}), ("20-b", {}), ("30-c", {"after": "x"}),
                       ("40-d", {"after": "services"})):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), nbformat.v4.new_code_cell(
            PARAMETERS, metadata={"tags": ["parameters"]})]
        nb.metadata["tiering"] = meta
        nbformat.write(nb, folder / f"{name}.ipynb")
    with pytest.raises(RunError, match="30-c.ipynb: metadata tiering.after"):
        find_reports(folder)
    (folder / "30-c.ipynb").unlink()
    # a report that does not declare every parameter a run gives is refused before the run
    lacking = nbformat.read(folder / "20-b.ipynb", as_version=4)
    lacking.cells[1].source = 'run_dir = ""\nmask = True'
    nbformat.write(lacking, folder / "25-x.ipynb")
    with pytest.raises(RunError, match="25-x.ipynb: its parameters cell .* does not declare "
                                       "data_dir, list_cap"):
        find_reports(folder)
    (folder / "25-x.ipynb").unlink()
    assert [(r.name, r.after) for r in find_reports(folder)] == [
        ("10-a", "rating"), ("20-b", "plan"), ("40-d", "services")]
    shipped = {r.name: r.after for r in find_reports(NOTEBOOKS)}
    assert shipped["10-classification"] == "rating"  # reads only the rating's tables
    assert shipped["20-service-plan"] == "services"  # and the services' tables
    assert shipped["30-visit-schedule"] == shipped["40-activity"] == "plan"


def test_the_services_report_needs_only_the_rating_and_the_services_tables(published,
                                                                           tmp_path):
    from tiering import notebooks
    from tiering.publish import SERVICE_TABLES

    data, folder, _ = published
    early = tmp_path / "early"
    early.mkdir()
    # what is on disk when the services report starts: the rating's tables and manifest,
    # the services' tables; no visit, activity or scorecard table, no calendar yet
    rating = ["classification.csv", "excluded.csv", "findings.csv", "overrides_applied.csv",
              "manifest.json"]
    for name in rating + [f"{stem}.csv" for stem in SERVICE_TABLES]:
        if (folder / name).exists():
            shutil.copy(folder / name, early / name)
    executed = tmp_path / "20-service-plan.ipynb"
    notebooks.execute(NOTEBOOKS / "20-service-plan.ipynb", executed,
                      {"run_dir": str(early), "data_dir": str(data)}, cwd=early)
    # every output as in the published run's report (a missing table would show: the
    # headline names missing files, lists and counts come out empty)
    def outputs(path: Path) -> list:  # what the page shows (text/plain holds addresses)
        return [[{k: v for k, v in out.get("data", {}).items() if k != "text/plain"}
                 or out.get("text") for out in cell.outputs]
                for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]

    assert outputs(executed) == outputs(folder / "reports" / "20-service-plan.ipynb")


def test_clients_listed_in_another_order_give_byte_identical_tables(published, tmp_path):
    data, folder, _ = published
    shuffled = tmp_path / "data"
    shutil.copytree(data, shuffled)
    clients = next(p for p in shuffled.iterdir() if p.stem == "clients")
    assert clients.suffix == ".csv"
    header, *rows = clients.read_bytes().splitlines(keepends=True)
    clients.write_bytes(header + b"".join(reversed(rows)))
    notebooks = tmp_path / "notebooks"  # one empty report: the tables are what is compared
    notebooks.mkdir()
    empty = nbformat.v4.new_notebook()
    empty.cells = [nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]})]
    nbformat.write(empty, notebooks / "10-empty.ipynb")
    result = run(shuffled, tmp_path / "out", notebooks=notebooks)
    assert result.exit_code == 0, result.output
    again = tmp_path / "out" / "2026Q3"
    written = sorted(p.relative_to(folder) for p in folder.rglob("*")
                     if p.suffix in (".csv", ".ics"))
    assert len(written) > 15
    assert sorted(p.relative_to(again) for p in again.rglob("*")
                  if p.suffix in (".csv", ".ics")) == written
    for name in written:  # findings name the row of the clients table: that has moved
        if name.name != "findings.csv":
            assert (again / name).read_bytes() == (folder / name).read_bytes(), name
