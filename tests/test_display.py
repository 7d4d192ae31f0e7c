"""Report helpers: charts drawn with the shipped CJK font, offline tables, cards, styled tables."""

from __future__ import annotations

import json
import re
import warnings
from io import BytesIO
from pathlib import Path

import IPython.display
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from tiering import display

# --------------------------------------------------------------------------- charts


def _matrix() -> pd.DataFrame:
    return pd.DataFrame(
        [[12, 1_500, np.nan], [3, 45_000, 7]],
        index=pd.Index(["进取型", "稳健型"], name="风险类别"),
        columns=pd.Index(["A级", "B级", "C级"], name="价值等级"),
    )


def _charts() -> list[Figure]:
    return [
        display.heatmap(_matrix(), title="客户分布（人数）"),
        display.bar(
            pd.Series([1_200.0, -350.5, 80_000.0], index=["张三", "李四", "王五"]),
            title="管理费贡献 − 按客户经理",
            xlabel="客户经理",
            ylabel="金额（元）",
        ),
    ]


def _glyph_warnings(fig: Figure) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_charts_with_chinese_labels_draw_every_glyph() -> None:
    for fig in _charts():
        assert _glyph_warnings(fig) == []


def test_the_glyph_check_would_catch_a_font_without_chinese() -> None:
    fig = display.bar(pd.Series([1.0], index=["张三"]), title="标题")
    fig.axes[0].set_title("标题", fontfamily="DejaVu Sans")
    assert _glyph_warnings(fig)


def test_chart_text_uses_the_font_file_shipped_by_mplfonts() -> None:
    shipped = display.font_path()
    assert shipped.name == "NotoSansCJKsc-Regular.otf"
    assert shipped.parent.parent.name == "mplfonts"
    for fig in _charts():
        ax = fig.axes[0]
        texts = [ax.title, *ax.get_xticklabels(), *ax.get_yticklabels(), *ax.texts]
        for text in texts:
            assert Path(font_manager.findfont(text.get_fontproperties())) == shipped
    assert mpl.rcParams["axes.unicode_minus"] is False


def test_charts_are_returned_closed_with_the_common_width() -> None:
    for fig in _charts():
        assert not plt.fignum_exists(fig.number)
        assert fig.get_size_inches()[0] == display.FIGURE_WIDTH
        assert fig.dpi == display.DPI


def test_heatmap_writes_each_value_in_its_cell() -> None:
    fig = display.heatmap(_matrix(), title="分布")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["12", "1,500", "3", "45,000", "7"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["进取型", "稳健型"]
    assert ax.get_xlabel() == "价值等级"
    assert ax.get_ylabel() == "风险类别"


def test_bar_labels_each_bar_with_thousands_separators() -> None:
    fig = display.bar(pd.Series([1_200.0, -350.5], index=["张三", "李四"]), title="费用")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["1,200", "-350.50"]


def test_bar_of_many_bars_names_every_nth_bar_only() -> None:
    names = [f"M{i:03d}" for i in range(100)]
    fig = display.bar(pd.Series(np.arange(100.0), index=names), title="负荷率")
    ax = fig.axes[0]
    # 100 bars, at most 30 names: every 4th bar (ceil(100 / 30) = 4), M000 … M096
    assert [t.get_text() for t in ax.get_xticklabels()] == names[::4]
    assert list(ax.get_xticks()) == list(range(0, 100, 4))
    assert ax.get_ylim()[0] == 0  # bars stand on 0, as with a few bars
    assert ax.get_ylim()[1] >= 99


def test_charts_of_nothing_say_none() -> None:
    empty = pd.DataFrame(index=pd.Index([], name="类别"))
    for fig in (display.heatmap(empty, title="空"), display.bar(pd.Series([]), title="空")):
        assert [t.get_text() for t in fig.axes[0].texts] == ["无 (none)"]
        assert _glyph_warnings(fig) == []


# --------------------------------------------------------------------------- interactive tables


def _clients(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": [f"C{i:05d}" for i in range(n)],
            "name": ["张*"] * n,
            "avg_assets": np.arange(n) * 1_000.5,
            "visits": np.arange(n),
        }
    )


_EXTERNAL_SOURCE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//"
    r"|\bimport\b[^;]*?from\s*[\"']https?://"
    r"|@import\s+(?:url\()?[\"']?https?://",
    re.IGNORECASE,
)


def _option(html: str, key: str) -> object:
    """A DataTables option of the table (itables writes one option a line)."""
    match = re.search(rf'^\s*"{key}": (.*?),?$', html, re.MULTILINE)
    assert match, f"no {key} in the table"
    return json.loads(match.group(1))


def _rows(html: str) -> list[list[object]]:
    return json.loads(_option(html, "data_json"))


def test_table_loads_nothing_from_the_network() -> None:
    html = display.table(_clients(30), title="客户清单").data
    assert not _EXTERNAL_SOURCE.search(html)
    assert "unpkg" not in html
    assert "window._itables_" in html  # uses the library embedded by setup()


def test_table_caps_the_rows_and_says_where_the_rest_is() -> None:
    html = display.table(
        _clients(12_345),
        cap=500,
        full_file=["classification.csv", "tiering_2026Q3.xlsx"],
    ).data
    assert len(_rows(html)) == 500
    assert (
        "显示前 500 行，共 12,345 行；完整列表见 classification.csv / tiering_2026Q3.xlsx" in html
    )


def test_table_note_names_a_single_file() -> None:
    html = display.table(_clients(3), cap=2, full_file="classification.csv").data
    assert "显示前 2 行，共 3 行；完整列表见 classification.csv</p>" in html


def test_table_within_the_cap_has_no_note_and_all_rows() -> None:
    html = display.table(_clients(20), cap=500).data
    assert len(_rows(html)) == 20
    assert "显示前" not in html


def test_table_of_the_head_of_a_longer_list_counts_the_whole_list() -> None:
    head = _clients(3)
    head.attrs["total_rows"] = 1_234  # as a report helper leaves it after cutting at the cap
    html = display.table(display.masked(head), cap=500, full_file="classification.csv").data
    assert "显示前 3 行，共 1,234 行；完整列表见 classification.csv</p>" in html
    assert "C00002" in html


def test_table_takes_an_explicit_total_over_the_attribute() -> None:
    head = _clients(2)
    head.attrs["total_rows"] = 9
    assert "显示前 2 行，共 40 行" in display.table(head, cap=2, total=40).data
    assert "显示前" not in display.table(_clients(2), cap=2, total=2).data


def test_table_is_sortable_searchable_and_paged() -> None:
    html = display.table(_clients(20), title="清单").data
    assert _option(html, "lengthMenu") == [10, 25, 50, 100]
    assert _option(html, "language")["search"] == "搜索："
    assert '"paging": false' not in html and '"ordering": false' not in html
    assert '"searching": false' not in html


def test_table_formats_decimals_and_keeps_them_sortable() -> None:
    rows = _rows(display.table(_clients(3)).data)
    assert rows[2] == ["C00002", "张*", ["2,001.00", 2001.0], 2]


def test_empty_table_says_none() -> None:
    html = display.table(_clients(0), title="降级客户").data
    assert "降级客户" in html
    assert "无 (none)" in html
    assert "<script" not in html


def test_table_escapes_the_title() -> None:
    html = display.table(_clients(1), title="<b>清单</b>").data
    assert "&lt;b&gt;清单&lt;/b&gt;" in html


# --------------------------------------------------------------------------- headline, styled


def test_headline_shows_each_label_and_value_and_escapes_html() -> None:
    html = display.headline({"客户数": "12,345", "<script>x</script>": "A & B <i>"}).data
    assert "客户数" in html and "12,345" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "A &amp; B &lt;i&gt;" in html
    assert "<script" not in html and "<i>" not in html
    assert "<style" not in html and "class=" not in html  # inline styles only


def test_styled_formats_money_numbers_and_dates() -> None:
    df = pd.DataFrame(
        {
            "name": ["张*", "<b>李*</b>"],
            "avg_assets": [12_345_678.9, np.nan],
            "mgmt_fee": [5_000, 120],
            "clients": [1_234, 5],
            "as_of": pd.to_datetime(["2026-09-30", None]),
        }
    )
    html = display.styled(
        df, money=["avg_assets", "mgmt_fee"], gradient=["clients"], caption="前 <2> 名"
    ).to_html()
    for text in ("12,345,678.90", "5,000.00", "120.00", "1,234", "2026-09-30"):
        assert f">{text}</td>" in html
    assert "&lt;b&gt;李*&lt;/b&gt;" in html
    assert "<caption>前 &lt;2&gt; 名</caption>" in html
    assert "background-color" in html  # the gradient
    assert "row_heading" not in html  # a RangeIndex is hidden


def test_styled_keeps_a_meaningful_index() -> None:
    df = pd.DataFrame({"clients": [3, 4]}, index=pd.Index(["A级", "B级"], name="等级"))
    html = display.styled(df).to_html()
    assert ">A级</th>" in html


def test_styled_hides_the_row_numbers_left_after_filtering() -> None:
    df = pd.DataFrame({"clients": [3, 4, 5]})
    assert "row_heading" not in display.styled(df[df["clients"] > 3]).to_html()


def test_table_shows_a_named_index_and_hides_row_numbers() -> None:
    by_tier = pd.DataFrame({"clients": [3, 4]}, index=pd.Index(["A", "B"], name="tier"))
    assert _rows(display.table(by_tier).data) == [["A", 3], ["B", 4]]
    filtered = _clients(5).iloc[[1, 3]]
    assert _rows(display.table(filtered).data)[0][0] == "C00001"


def test_styled_rejects_unknown_columns() -> None:
    with pytest.raises(KeyError, match="fee"):
        display.styled(pd.DataFrame({"a": [1]}), money=["fee"])


def test_masked_masks_personal_columns() -> None:
    df = pd.DataFrame({"name": ["张三"], "phone": ["13812341234"]})
    assert display.masked(df).iloc[0].tolist() == ["张*", "138****1234"]
    assert display.masked(df, enabled=False).iloc[0].tolist() == ["张三", "13812341234"]


# --------------------------------------------------------------------------- setup


def test_setup_embeds_itables_and_sets_the_font(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_: shown.extend(objs))
    with mpl.rc_context(), pd.option_context("display.max_columns", None):
        display.setup()
        assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
        assert mpl.rcParams["axes.unicode_minus"] is False
        assert pd.get_option("display.max_columns") == 50
    html = "".join(getattr(obj, "data", "") for obj in shown)
    assert "injectModule" in html  # the DataTables bundle, base64-encoded in the output
    assert not _EXTERNAL_SOURCE.search(html)
    assert "unpkg" not in html


# --------------------------------------------------------------------------- a notebook


@pytest.mark.slow
def test_notebook_shows_each_chart_once_and_warns_of_nothing(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [
        "import warnings\nwarnings.simplefilter('always')\n"
        "import numpy as np\nimport pandas as pd\nfrom tiering import display as d\nd.setup()",
        "m = pd.DataFrame([[1, 2], [3, 4]], index=['进取型', '稳健型'], columns=['A级', 'B级'])\n"
        "d.heatmap(m, title='客户分布（人数）')",
        "d.bar(pd.Series([1.5, -2.0], index=['张三', '李四']), title='费用 −')",
        "df = pd.DataFrame({'name': ['张三'] * 600, 'phone': ['13812341234'] * 600})\n"
        "d.table(d.masked(df), title='客户', full_file='classification.csv')",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbclient.NotebookClient(
        nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    streams = [o for c in nb.cells for o in c.outputs if o.output_type == "stream"]
    assert streams == []  # no warning of any kind, missing glyphs included
    for chart in nb.cells[1:3]:
        assert [o.output_type for o in chart.outputs] == ["execute_result"]
        assert "image/png" in chart.outputs[0].data
    table_html = nb.cells[3].outputs[0].data["text/html"]
    assert "138****1234" in table_html and "13812341234" not in table_html
    assert "显示前 500 行，共 600 行" in table_html
    nbformat.validate(nb)


def test_heatmap_of_small_counts_labels_its_colour_bar_with_whole_numbers_once() -> None:
    counts = pd.DataFrame([[0, 1], [2, 1]], index=["甲", "乙"], columns=["x", "y"])
    fig = display.heatmap(counts, title="计数")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels() if t.get_text()]
    assert labels == sorted(set(labels), key=int)  # no repeated 0, 0, 1, 1, 2, 2
    assert set(labels) <= {"0", "1", "2"}
