"""Running report notebooks (papermill) and rendering them to offline HTML without code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from tiering.notebooks import NotebookFailed, execute, external_references, render_html

CHINESE = "季度客户分级报告：资产与风险等级"
PRINT_SOURCE = 'print(f"period={period}, rows={rows}")'
PLOT_SOURCE = "\n".join([
    "import matplotlib.pyplot as plt",
    "fig, ax = plt.subplots(figsize=(3, 2))",
    "ax.bar(['A1', 'A2', 'A3'], [3, 5, 2])",
    "plt.show()",
])


def tiny_notebook(path: Path, *extra_cells: str) -> Path:
    """A title cell, a `parameters` cell, a cell printing them, a matplotlib PNG, then extras."""
    parameters = nbformat.v4.new_code_cell(
        'period = "2026Q3"  # the rating period\nrows = 10  # rows to show')
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# 客户分类分级\n\n{CHINESE}"),
        parameters,
        nbformat.v4.new_code_cell(PRINT_SOURCE),
        nbformat.v4.new_code_cell(PLOT_SOURCE),
        *(nbformat.v4.new_code_cell(source) for source in extra_cells),
    ]
    nbformat.write(nb, path)
    return path


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny notebook executed with period=2026Q4, and its HTML."""
    folder = tmp_path_factory.mktemp("report")
    notebook = tiny_notebook(folder / "10-report.ipynb", "import sys\nprint(sys.executable)")
    executed = folder / "out" / "10-report.ipynb"
    execute(notebook, executed, {"period": "2026Q4"}, cwd=folder)
    html = folder / "out" / "10-report.html"
    render_html(executed, html, title="客户分级 <2026Q4> & 报告")
    return executed, html


# --------------------------------------------------------------------------- execute


def test_execute_injects_the_parameters_and_keeps_the_defaults_of_the_others(report):
    executed, _ = report
    out = _stdout(nbformat.read(executed, as_version=4))
    assert "period=2026Q4, rows=10" in out


def test_execute_runs_in_the_current_interpreter(report):
    executed, _ = report
    printed = _stdout(nbformat.read(executed, as_version=4)).splitlines()
    assert Path(printed[-1]).resolve() == Path(sys.executable).resolve()


def test_execute_refuses_a_parameter_the_notebook_does_not_declare(tmp_path):
    notebook = tiny_notebook(tmp_path / "10-report.ipynb")
    with pytest.raises(ValueError, match=r"10-report\.ipynb .*\blevel, tier\b"):
        execute(notebook, tmp_path / "out.ipynb", {"period": "2026Q4", "tier": 1, "level": 2},
                cwd=tmp_path)
    assert not (tmp_path / "out.ipynb").exists()


def test_a_failing_cell_raises_one_paragraph_naming_the_cell_and_keeps_the_executed_notebook(
        tmp_path):
    notebook = tiny_notebook(tmp_path / "20-failing.ipynb",
                             'table = {"tier": "A1"}\ntable["level"]')
    executed = tmp_path / "run" / "20-failing.ipynb"
    with pytest.raises(NotebookFailed) as caught:
        execute(notebook, executed, {"period": "2026Q4"}, cwd=tmp_path)
    failure = caught.value
    message = str(failure)
    # In [1] parameters, [2] injected parameters, [3] print, [4] plot, [5] the failing cell
    assert message == ("20-failing.ipynb failed in cell 5: KeyError: 'level' — "
                       'table = {"tier": "A1"}')
    assert "\n" not in message
    assert failure.notebook == "20-failing.ipynb"
    assert failure.cell == 5
    assert failure.executed == executed.resolve()
    kept = nbformat.read(executed, as_version=4)
    errors = [o for c in kept.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert [e["ename"] for e in errors] == ["KeyError"]


def test_a_cell_running_past_the_timeout_raises_notebook_failed(tmp_path):
    nb = nbformat.v4.new_notebook()  # saved without kernel metadata: python3 is assumed
    parameters = nbformat.v4.new_code_cell("seconds = 1  # how long to sleep")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("import time\ntime.sleep(seconds)")]
    nbformat.write(nb, tmp_path / "30-slow.ipynb")
    executed = tmp_path / "30-slow.out.ipynb"
    with pytest.raises(NotebookFailed) as caught:
        execute(tmp_path / "30-slow.ipynb", executed, {"seconds": 60}, cwd=tmp_path, timeout=1)
    assert str(caught.value) == ("30-slow.ipynb timed out after 1 s in cell 3: "
                                 "CellTimeoutError — import time")
    assert executed.exists()


# --------------------------------------------------------------------------- render


def test_render_html_leaves_out_every_code_cell(report):
    _, html = report
    text = html.read_text(encoding="utf-8")
    body = text[text.index("<body"):]
    for source in [PRINT_SOURCE, "plt.subplots", 'period = "2026Q3"', "import sys"]:
        assert source not in text
    for input_part in ["jp-InputArea-editor", "jp-InputPrompt", "jp-OutputPrompt",
                       "highlight hl-ipython3"]:
        assert input_part not in body


def test_render_html_keeps_the_chinese_text_outputs_and_title(report):
    _, html = report
    text = html.read_text(encoding="utf-8")
    assert CHINESE in text
    assert "period=2026Q4, rows=10" in text
    assert "<title>客户分级 &lt;2026Q4&gt; &amp; 报告</title>" in text
    assert '<html lang="zh">' in text
    assert '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif' in text


def test_render_html_embeds_the_figure_and_references_nothing_on_the_network(report):
    _, html = report
    text = html.read_text(encoding="utf-8")
    images = re.findall(r"<img\b[^>]*>", text)
    assert len(images) == 1 and 'src="data:image/png;base64,iVBORw0KGgo' in images[0]
    assert external_references(text) == []
    assert "<script" not in text
    for cdn in ["mathjax", "require.js", "require.min.js", "unpkg", "cdnjs", "fonts.googleapis"]:
        assert cdn not in text.lower()


def test_render_html_raises_after_writing_a_page_that_loads_from_the_network(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("见 ![图](https://example.org/chart.png)")]
    executed = tmp_path / "remote.ipynb"
    nbformat.write(nb, executed)
    with pytest.raises(ValueError, match="https://example.org/chart.png"):
        render_html(executed, tmp_path / "remote.html", title="remote")
    assert (tmp_path / "remote.html").exists()


def test_render_html_accepts_a_link_the_reader_may_follow(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("见 [说明](https://example.org/rules)")]
    executed = tmp_path / "links.ipynb"
    nbformat.write(nb, executed)
    render_html(executed, tmp_path / "links.html", title="links")
    assert "https://example.org/rules" in (tmp_path / "links.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- guard


def test_external_references_finds_remote_src_href_url_and_import():
    page = """
    <script src="https://cdn.example.org/a.js"></script>
    <img src='http://img.example.org/b.png'>
    <link rel="stylesheet" href=//css.example.org/c.css>
    <svg><image xlink:href="https://example.org/e.svg"/></svg>
    <style>
      @import "https://fonts.example.org/f.css";
      @import url(//fonts.example.org/g.css);
      body { background: url( 'http://example.org/h.png' ); }
      .i { background: url(https://example.org/i.png) }
    </style>
    """
    assert external_references(page) == [
        "https://cdn.example.org/a.js",
        "http://img.example.org/b.png",
        "//css.example.org/c.css",
        "https://example.org/e.svg",
        "https://fonts.example.org/f.css",
        "//fonts.example.org/g.css",
        "http://example.org/h.png",
        "https://example.org/i.png",
    ]


def test_external_references_ignores_local_data_and_anchor_references_and_plain_text():
    page = """
    <a href="10-classification.html">report</a> <a href="#top">top</a>
    <a href="data/classification.csv">csv</a> <link rel="stylesheet" href="style.css">
    <a HREF = "HTTPS://itables.org/help">a link to follow loads nothing</a>
    <a class="x" href=https://example.org/d>d</a>
    <img src="data:image/png;base64,iVBORw0KGgo=">
    <svg xmlns="http://www.w3.org/2000/svg"></svg>
    <style>.a { background: url(data:image/svg+xml;base64,PHN2Zz4=) }</style>
    <p>See https://example.org in the text; a comment /* http://example.org */</p>
    """
    assert external_references(page) == []


def test_notebooks_side_by_side_each_run_in_their_folder_and_leave_ours_alone(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    here = Path.cwd()
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        # the cell sleeps so that both kernels run at once
        tiny_notebook(folder / "10-cwd.ipynb",
                      "import os, time\ntime.sleep(1)\nprint('cwd=' + os.getcwd())")

    def run(folder: Path) -> str:
        executed = folder / "out.ipynb"
        execute(folder / "10-cwd.ipynb", executed, {}, cwd=folder)
        return _stdout(nbformat.read(executed, as_version=4))

    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(run, folders))
    for folder, out in zip(folders, outputs, strict=True):
        assert f"cwd={folder.resolve()}" in out
    assert Path.cwd() == here  # papermill's own cwd= would have moved this process
