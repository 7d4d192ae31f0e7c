"""A rendered report and the index open in a real browser offline, without errors."""

from __future__ import annotations

import pytest

from browser import CHROMIUM, check_page
from test_notebooks import CHINESE, tiny_notebook
from tiering.notebooks import execute, render_html
from tiering.site import write_index

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"needs Debian's Chromium at {CHROMIUM} (apt install chromium)"),
]
pytest.importorskip("playwright", reason="needs the playwright Python package")

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder with one executed, rendered report and the index linking it."""
    run = tmp_path_factory.mktemp("2026Q3")
    notebook = tiny_notebook(run / "source.ipynb")
    execute(notebook, run / "10-report.ipynb", {"period": "2026Q3"}, cwd=run)
    render_html(run / "10-report.ipynb", run / "10-report.html", title="客户分级报告 — 2026Q3")
    manifest = {
        "period": "2026Q3", "as_of": "2026-09-30", "cycle": "quarterly",
        "due_date": "2026-10-23", "run_date": "2026-10-12", "due_met": True,
        "calendar_official": True,
        "inputs": {"clients": {"file": "clients.csv", "sha256": "0" * 64, "rows": 3}},
        "parameters": {"version": "2026.1", "hash": "1" * 64},
        "code_version": "0.1.0", "packages": {"pandas": "3.0.1"},
    }
    write_index(run, manifest, [("客户分级报告", "10-report.html")],
                [("分类结果", "classification.csv")])
    return run


def _assert_screenshot(path):
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 1000


def test_report_opens_offline_without_errors(run_dir):
    errors, screenshot = check_page((run_dir / "10-report.html").as_uri(),
                                    expect_text=[CHINESE, "period=2026Q3"], name="report")
    assert errors == []
    _assert_screenshot(screenshot)


def test_index_opens_offline_without_errors(run_dir):
    wanted = ["客户分类分级 — 2026Q3", "季度评级", "客户分级报告"]
    errors, screenshot = check_page((run_dir / "index.html").as_uri(), expect_text=wanted,
                                    name="index")
    assert errors == []
    _assert_screenshot(screenshot)


def test_check_page_reports_network_requests_and_script_errors(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8">'
                    '<script src="https://cdn.example.org/x.js"></script></head>'
                    "<body><p>分级</p><script>undefinedFunction()</script></body></html>",
                    encoding="utf-8")
    errors, _ = check_page(page.as_uri(), expect_text=["分级", "不存在"], name="bad")
    assert any(e.startswith("network request: https://cdn.example.org/x.js") for e in errors)
    assert any(e.startswith("page error:") and "undefinedFunction" in e for e in errors)
    assert "text missing: 不存在" in errors
    assert "text missing: 分级" not in errors
