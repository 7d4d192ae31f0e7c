"""The run folder's ``index.html``: one offline page linking the reports and data files of a run,
with the provenance from its manifest (inputs and their hashes, parameters, code and packages).

Chinese first, English in brackets; inline CSS, no scripts, nothing from the network. The page
depends only on its arguments, so the same run gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["CYCLE_LABELS", "write_index"]

CYCLE_LABELS = {
    "annual": "年度评级（annual）",
    "quarterly": "季度评级（quarterly）",
    "monthly": "月度评级（monthly）",
    "adhoc": "临时评级（ad hoc）",
}
FILE_KINDS = {".csv": "CSV", ".xlsx": "Excel", ".ics": "日历（iCalendar）", ".json": "JSON",
              ".ipynb": "Notebook"}
MISSING = "—"

CSS = """
:root { color-scheme: light; }
body {
  font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  line-height: 1.7; color: #1f2328; background: #fff;
  max-width: 60rem; margin: 0 auto; padding: 1.5rem 2rem 3rem;
}
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
     border-bottom: 1px solid #d0d7de; }
.subtitle { color: #57606a; margin: 0 0 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.5rem; margin: 0; }
dt { color: #57606a; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #eaeef2;
         vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.number { text-align: right; }
code { font-family: "Noto Sans Mono CJK SC", Consolas, "Courier New", monospace;
       font-size: .85em; word-break: break-all; }
ul.reports { padding-left: 1.2rem; }
ul.reports li { margin: .25rem 0; }
.ok { color: #1a7f37; font-weight: 600; }
.late { color: #cf222e; font-weight: 600; }
.note { color: #57606a; font-size: .9em; }
"""


def write_index(run_dir: Path, manifest: Mapping[str, Any],
                reports: Sequence[tuple[str, str]], files: Sequence[tuple[str, str]]) -> None:
    """Write ``run_dir/index.html``.

    ``reports`` and ``files`` are ``(title, href)`` pairs, ``href`` relative to ``run_dir``
    (the HTML reports; the CSV and Excel files). ``manifest`` is the run's manifest.json:
    period, cycle, as_of, due_date, run_date, due_met, calendar_official, inputs
    ``{table: {file, sha256, rows}}``, parameters ``{version, hash}``, code_version, packages.
    Raises ValueError for a link that leaves the run folder for the network.
    """
    for _, href in [*reports, *files]:
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//)", href, re.IGNORECASE):
            raise ValueError(f"index.html links only files of the run, not {href!r}")
    period = manifest.get("period") or MISSING
    title = f"客户分类分级 — {period}"
    body = [
        f"<h1>{_e(title)}</h1>",
        '<p class="subtitle">客户分类分级报告（Client classification and tiering）</p>',
        _rating(manifest),
        "<h2>报告（Reports）</h2>",
        _report_list(reports),
        "<h2>数据文件（Data files）</h2>",
        _file_table(files),
        "<h2>输入数据（Inputs）</h2>",
        _inputs_table(manifest.get("inputs") or {}),
        "<h2>版本（Versions）</h2>",
        _versions(manifest),
    ]
    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="zh">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        *body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "index.html").write_text(page, encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------- sections


def _rating(manifest: Mapping[str, Any]) -> str:
    cycle = manifest.get("cycle")
    cycle_text = CYCLE_LABELS.get(cycle, cycle) if cycle else MISSING
    due = _e(manifest.get("due_date") or MISSING)
    if manifest.get("due_date") and manifest.get("calendar_official") is False:
        due += ' <span class="note">（节假日安排未公布，按估算日历计算 estimated calendar）</span>'
    met = manifest.get("due_met")
    if met is True:
        met_html = '<span class="ok">是，按期完成（yes, on time）</span>'
    elif met is False:
        met_html = '<span class="late">否，已逾期（no, late）</span>'
    else:
        met_html = "未知（unknown）"
    rows = [
        ("评级周期（Cycle）", _e(cycle_text)),
        ("评级基准日（As of）", _e(manifest.get("as_of") or MISSING)),
        ("截止日期（Due date）", due),
        ("运行日期（Run date）", _e(manifest.get("run_date") or MISSING)),
        ("是否按期（Due date met）", met_html),
    ]
    items = "\n".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f"<dl>\n{items}\n</dl>"


def _report_list(reports: Sequence[tuple[str, str]]) -> str:
    if not reports:
        return '<p class="note">无（none）</p>'
    items = "\n".join(f'<li><a href="{_e(href)}">{_e(title)}</a></li>'
                      for title, href in reports)
    return f'<ul class="reports">\n{items}\n</ul>'


def _file_table(files: Sequence[tuple[str, str]]) -> str:
    if not files:
        return '<p class="note">无（none）</p>'
    rows = []
    for title, href in files:
        name = PurePosixPath(href).name
        kind = FILE_KINDS.get(PurePosixPath(href).suffix.lower(), MISSING)
        rows.append(f'<tr><td>{_e(title)}</td><td><a href="{_e(href)}">{_e(name)}</a></td>'
                    f"<td>{_e(kind)}</td></tr>")
    return _table(["内容（Contents）", "文件（File）", "类型（Type）"], rows)


def _inputs_table(inputs: Mapping[str, Mapping[str, Any]]) -> str:
    if not inputs:
        return '<p class="note">无（none）</p>'
    rows = [
        f"<tr><td>{_e(table)}</td><td>{_e(info.get('file', MISSING))}</td>"
        f'<td class="number">{_e(_count(info.get("rows")))}</td>'
        f"<td><code>{_e(info.get('sha256', MISSING))}</code></td></tr>"
        for table, info in inputs.items()
    ]
    return _table(["表（Table）", "文件（File）", "行数（Rows）", "SHA-256"], rows)


def _versions(manifest: Mapping[str, Any]) -> str:
    parameters = manifest.get("parameters") or {}
    rows = [
        ("参数版本（Parameters version）", _e(parameters.get("version") or MISSING)),
        ("参数哈希（Parameters hash）", f"<code>{_e(parameters.get('hash') or MISSING)}</code>"),
        ("代码版本（Code version）", _e(manifest.get("code_version") or MISSING)),
    ]
    if manifest.get("python"):
        rows.append(("Python", _e(manifest["python"])))
    items = "\n".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    packages = manifest.get("packages") or {}
    table = _table(["软件包（Package）", "版本（Version）"],
                   [f"<tr><td>{_e(name)}</td><td>{_e(version)}</td></tr>"
                    for name, version in packages.items()]) if packages else ""
    return f"<dl>\n{items}\n</dl>\n{table}"


# --------------------------------------------------------------------------- helpers


def _table(headers: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    return "<table>\n<thead><tr>" + head + "</tr></thead>\n<tbody>\n" + "\n".join(rows) + \
        "\n</tbody>\n</table>"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else \
        str(value if value is not None else MISSING)


def _e(value: Any) -> str:
    """Any value as escaped HTML text (quotes too, so it is safe inside attributes)."""
    return escape(str(value), quote=True)
