"""The run folder's index.html: links, provenance, escaping, offline."""

from __future__ import annotations

import re

import pytest

from tiering.notebooks import external_references
from tiering.site import write_index

SHA_CLIENTS = "a" * 63 + "1"
SHA_BALANCES = "b" * 63 + "2"


def manifest(**changes) -> dict:
    base = {
        "period": "2026Q3",
        "as_of": "2026-09-30",
        "cycle": "quarterly",
        "due_date": "2026-10-23",
        "run_date": "2026-10-12",
        "due_met": True,
        "calendar_official": True,
        "inputs": {
            "clients": {"file": "clients.csv", "sha256": SHA_CLIENTS, "rows": 12500},
            "balances": {"file": "余额<2026>.xlsx", "sha256": SHA_BALANCES, "rows": 3},
        },
        "parameters": {"version": "2026.1 <draft>", "hash": "c0ffee" * 10 + "beef"},
        "code_version": "0.1.0 (abc123def456+dirty)",
        "packages": {"pandas": "3.0.1", "papermill": "2.7.0"},
        "python": "3.11.9",
    }
    return base | changes


REPORTS = [("客户分类（Classification）", "10-classification.html"),
           ("服务计划 & 走访", "20-services.html")]
FILES = [("分类结果", "classification.csv"), ("员工工作簿", "tiering-2026Q3.xlsx")]


def page(tmp_path, **changes) -> str:
    write_index(tmp_path, manifest(**changes), REPORTS, FILES)
    return (tmp_path / "index.html").read_text(encoding="utf-8")


def test_index_is_titled_by_the_period_and_names_the_cycle_in_chinese(tmp_path):
    text = page(tmp_path)
    assert "<title>客户分类分级 — 2026Q3</title>" in text
    assert "<h1>客户分类分级 — 2026Q3</h1>" in text
    assert "季度评级（quarterly）" in text
    assert "2026-09-30" in text and "2026-10-23" in text and "2026-10-12" in text
    assert "是，按期完成（yes, on time）" in text


@pytest.mark.parametrize(("cycle", "label"), [("annual", "年度评级"), ("monthly", "月度评级"),
                                              ("adhoc", "临时评级")])
def test_index_names_every_cycle(tmp_path, cycle, label):
    assert label in page(tmp_path, cycle=cycle)


def test_index_says_when_the_due_date_was_missed_or_is_unknown_or_estimated(tmp_path):
    assert "否，已逾期（no, late）" in page(tmp_path, due_met=False)
    assert "未知（unknown）" in page(tmp_path, due_met=None, run_date=None)
    assert "estimated calendar" in page(tmp_path, calendar_official=False)
    assert "estimated calendar" not in page(tmp_path)


def test_index_links_every_report_and_data_file(tmp_path):
    text = page(tmp_path)
    assert '<a href="10-classification.html">客户分类（Classification）</a>' in text
    assert '<a href="20-services.html">服务计划 &amp; 走访</a>' in text
    assert '<a href="classification.csv">classification.csv</a>' in text
    assert '<a href="tiering-2026Q3.xlsx">tiering-2026Q3.xlsx</a>' in text
    hrefs = re.findall(r'href="([^"]*)"', text)
    assert hrefs == ["10-classification.html", "20-services.html", "classification.csv",
                     "tiering-2026Q3.xlsx"]


def test_index_lists_inputs_with_rows_and_hashes_and_the_versions(tmp_path):
    text = page(tmp_path)
    assert SHA_CLIENTS in text and SHA_BALANCES in text
    assert "clients.csv" in text and "12,500" in text
    assert "c0ffee" * 10 + "beef" in text
    assert "0.1.0 (abc123def456+dirty)" in text
    assert "<td>pandas</td><td>3.0.1</td>" in text
    assert "<td>papermill</td><td>2.7.0</td>" in text


def test_index_escapes_every_value(tmp_path):
    text = page(tmp_path, period='Q"3<b>', code_version="<script>alert(1)</script>")
    assert "余额&lt;2026&gt;.xlsx" in text
    assert "2026.1 &lt;draft&gt;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "客户分类分级 — Q&quot;3&lt;b&gt;" in text
    assert "<script" not in text and "<b>" not in text


def test_index_is_self_contained(tmp_path):
    text = page(tmp_path)
    assert external_references(text) == []
    assert "<script" not in text and "<link" not in text
    assert '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif' in text


def test_index_refuses_a_link_to_the_network(tmp_path):
    with pytest.raises(ValueError, match="example.org"):
        write_index(tmp_path, manifest(), [("外部", "https://example.org/r.html")], [])
    assert not (tmp_path / "index.html").exists()


def test_index_is_the_same_bytes_for_the_same_run(tmp_path):
    first = page(tmp_path / "a")
    assert page(tmp_path / "b") == first
