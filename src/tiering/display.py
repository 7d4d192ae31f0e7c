"""Report helpers that the notebooks call: set-up, headline figures, tables and charts.

Reports are read offline by reviewers, so everything they show is embedded: charts are inline
PNG drawn with the CJK font shipped by the ``mplfonts`` package (no system font needed), and
interactive tables use itables in offline mode (its JavaScript and CSS are embedded once, by
:func:`setup`). Personal data is masked with :func:`masked` before it is displayed.
"""

from __future__ import annotations

import html
import importlib.util
import itertools
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import itables
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML
from matplotlib import font_manager
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from pandas.io.formats.style import Styler

from tiering.masking import mask_frame

__all__ = [
    "CJK_FONT_FILE",
    "DPI",
    "FIGURE_WIDTH",
    "bar",
    "font_path",
    "headline",
    "heatmap",
    "masked",
    "setup",
    "styled",
    "table",
    "use_cjk_font",
]

#: The font file, inside the ``mplfonts`` package, that draws every chart.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
#: Every chart is this wide (inches) at this resolution; bar charts are 4.5 inches high.
FIGURE_WIDTH = 8.0
DPI = 110
_BAR_HEIGHT = 4.5
STYLED_MAX_ROWS = 50  # a longer table is shown as an interactive list (`table`), not styled
_MAX_BAR_LABELS = 30  # at most this many labels under the bars of a chart
_CMAP = "Blues"
_BAR_COLOR = "#3b6ea8"
_TEXT_DARK = "#1f2328"
_MUTED = "#57606a"
_NONE = "无 (none)"

_PANDAS_OPTIONS = {
    "display.max_columns": 50,
    "display.max_rows": 60,
    "display.max_colwidth": 80,
    "display.width": 160,
    "display.precision": 2,
}

_TABLE_LANGUAGE = {
    "search": "搜索：",
    "lengthMenu": "每页 _MENU_ 行",
    "info": "第 _START_–_END_ 行，共 _TOTAL_ 行",
    "infoEmpty": "共 0 行",
    "infoFiltered": "（从 _MAX_ 行中筛选）",
    "zeroRecords": "无匹配记录",
    "emptyTable": _NONE,
}
# Integers are shown with thousands separators and still sorted as numbers.
_INTEGER_RENDER = (
    "function (data, type) {"
    " return type === 'display' && typeof data === 'number'"
    " ? data.toLocaleString('en-US') : data; }"
)

_ids = itertools.count(1)


# --------------------------------------------------------------------------- set-up


def font_path() -> Path:
    """The CJK font file shipped inside the ``mplfonts`` package."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the mplfonts package (which ships the CJK font) is missing")
    path = Path(spec.origin).parent / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"mplfonts does not ship {CJK_FONT_FILE}")
    return path


def use_cjk_font() -> str:
    """Register the mplfonts CJK font with matplotlib and draw all text with it.

    The shipped file is put ahead of any installed font of the same family, so the charts look
    the same on every machine. Returns the font's family name. Safe to call repeatedly.
    """
    path = str(font_path())
    manager = font_manager.fontManager
    if not any(entry.fname == path for entry in manager.ttflist):
        manager.addfont(path)  # (clears the lookup cache)
        # findfont keeps the first of equally good matches: let the shipped file be first
        manager.ttflist.sort(key=lambda entry: entry.fname != path)
    name = font_manager.FontProperties(fname=path).get_name()
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    return name


def setup() -> None:
    """Prepare a report notebook: the CJK font, inline PNG charts, pandas display options and
    itables in offline mode (its JavaScript is embedded in this cell's output, once)."""
    use_cjk_font()
    mpl.rcParams.update({"figure.dpi": DPI, "savefig.dpi": DPI})
    for option, value in _PANDAS_OPTIONS.items():
        pd.set_option(option, value)
    if _in_notebook():
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    itables.options.display_logo_when_loading = False
    itables.init_notebook_mode(all_interactive=False, connected=False)


def _in_notebook() -> bool:
    from IPython import get_ipython

    return get_ipython() is not None


def masked(df: pd.DataFrame, enabled: bool = True) -> pd.DataFrame:
    """``df`` with names, phone numbers, ID numbers and e-mail addresses masked
    (see :func:`tiering.masking.mask_frame`)."""
    return mask_frame(df, enabled=enabled)


# --------------------------------------------------------------------------- HTML


def headline(figures: dict[str, str]) -> HTML:
    """Headline figures as a row of cards, label above value (inline styles only)."""
    cards = "".join(
        '<div style="flex:1 1 150px;max-width:260px;padding:10px 16px;'
        'border:1px solid #d0d7de;border-radius:8px;background:#f6f8fa">'
        f'<div style="font-size:13px;color:{_MUTED}">{html.escape(str(label))}</div>'
        f'<div style="font-size:22px;font-weight:600;color:{_TEXT_DARK};margin-top:4px">'
        f"{html.escape(str(value))}</div></div>"
        for label, value in figures.items()
    )
    return HTML(
        f'<div style="display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px">{cards}</div>'
    )


def styled(
    df: pd.DataFrame,
    *,
    money: Iterable[str] = (),
    gradient: Iterable[str] = (),
    caption: str = "",
) -> Styler:
    """A static table: numbers with thousands separators (money and other decimals with 2
    places), dates as ``YYYY-MM-DD``, a colour gradient on the ``gradient`` columns, the caption
    above, and no index when it is an unnamed one of integers (such as a ``RangeIndex``). Text
    is HTML-escaped."""
    money, gradient = list(money), list(gradient)
    unknown = [c for c in [*money, *gradient] if c not in df.columns]
    if unknown:
        raise KeyError(f"columns not in the table: {unknown}")
    styler = df.style
    styler.set_uuid(f"tiering{next(_ids)}")
    styler.format(escape="html", na_rep="")
    styler.format_index(escape="html", axis=1)
    integers = [c for c in df.columns if _is_integer(df[c]) and c not in money]
    decimals = [c for c in df.columns if pd.api.types.is_float_dtype(df[c].dtype)]
    if integers:
        styler.format("{:,.0f}", subset=integers, na_rep="")
    if decimals or money:
        styler.format("{:,.2f}", subset=list(dict.fromkeys([*decimals, *money])), na_rep="")
    for column in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[column].dtype):
            styler.format(_date_text(df[column]), subset=[column], na_rep="")
    if gradient:
        styler.background_gradient(cmap=_CMAP, subset=gradient)
    if caption:
        styler.set_caption(html.escape(caption))
    styler.set_table_styles(
        [
            {
                "selector": "caption",
                "props": f"caption-side:top;text-align:left;font-weight:600;color:{_TEXT_DARK};"
                "padding:4px 0",
            },
            {"selector": "th", "props": "background:#f6f8fa;text-align:center;padding:4px 8px"},
            {"selector": "td", "props": "padding:4px 8px"},
        ],
        overwrite=False,
    )
    if not _shows_index(df):
        styler.hide(axis="index")
    return styler


def table(
    df: pd.DataFrame,
    *,
    title: str = "",
    cap: int = 500,
    full_file: str | Sequence[str] | None = None,
    total: int | None = None,
) -> HTML:
    """An interactive table (sortable, searchable, paged) of at most ``cap`` rows.

    When rows are left out, a note under the table says how many and where the full list is
    (``full_file``: a file name, or several). ``df`` may be the head of a longer list: the
    list's length is ``total``, else ``df.attrs["total_rows"]`` (which the report helpers set
    when they cut a list at its cap), else ``len(df)``. An empty table shows "无 (none)". The
    rows are shown in the order given, the index only when it is named or not of integers;
    mask personal data first with :func:`masked`.
    """
    parts = []
    if title:
        parts.append(
            f'<div style="font-weight:600;color:{_TEXT_DARK};margin:8px 0 4px">'
            f"{html.escape(title)}</div>"
        )
    if df.empty:
        parts.append(f'<p style="color:{_MUTED};margin:4px 0 12px">{_NONE}</p>')
        return HTML("".join(parts))
    shown = df.head(cap)
    integer_columns = [i for i, c in enumerate(shown.columns) if _is_integer(shown[c])]
    if _shows_index(shown):
        integer_columns = [i + shown.index.nlevels for i in integer_columns]
    options: dict = {
        "connected": False,
        "display_logo_when_loading": False,
        "maxBytes": 0,
        "maxRows": 0,
        "maxColumns": 0,
        "showIndex": _shows_index(shown),
        "classes": "display nowrap compact cell-border",
        "style": "table-layout:auto;width:auto;margin:0;caption-side:bottom",
        "lengthMenu": [10, 25, 50, 100],
        "pageLength": 10,
        "language": _TABLE_LANGUAGE,
    }
    if integer_columns:
        options["columnDefs"] = [
            {"targets": integer_columns, "render": itables.JavascriptFunction(_INTEGER_RENDER)}
        ]
    with pd.option_context("display.float_format", "{:,.2f}".format):
        parts.append(
            itables.to_html_datatable(shown, table_id=f"tiering_table_{next(_ids)}", **options)
        )
    if total is None:
        total = df.attrs.get("total_rows", len(df))
    total = max(int(total), len(df))
    if total > len(shown):
        note = f"显示前 {len(shown):,} 行，共 {total:,} 行"
        if full_file:
            files = [full_file] if isinstance(full_file, str) else list(full_file)
            note += f"；完整列表见 {' / '.join(html.escape(str(f)) for f in files)}"
        parts.append(f'<p style="color:{_MUTED};font-size:13px;margin:4px 0 12px">{note}</p>')
    return HTML("".join(parts))


def _shows_index(df: pd.DataFrame) -> bool:
    """Whether a table shows its index: not when it is unnamed and of integers (a RangeIndex,
    or what is left of one after filtering rows)."""
    named = any(name is not None for name in df.index.names)
    return named or not pd.api.types.is_integer_dtype(df.index.dtype)


def _is_integer(column: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
        column.dtype
    )


def _date_text(column: pd.Series):
    """Format function: a date, or a date and time when the column has times of day."""
    present = column.dropna()
    with_time = bool(len(present)) and bool((present != present.dt.normalize()).any())
    pattern = "%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d"
    return lambda value: value.strftime(pattern)


# --------------------------------------------------------------------------- charts


def heatmap(matrix: pd.DataFrame, *, title: str, fmt: str = "{:,.0f}") -> Figure:
    """A heat map of ``matrix`` with each cell's value written in it (``fmt``), row and
    column labels from its index and columns, and axis titles from their names."""
    use_cjk_font()
    values = matrix.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    rows, columns = values.shape
    fig, ax = _figure(min(max(3.0, 0.45 * rows + 1.6), 10.0))
    ax.set_title(title)
    if not np.isfinite(values).any():
        return _empty(fig, ax)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=_CMAP, aspect="auto")
    ax.set_xticks(range(columns), labels=[str(c) for c in matrix.columns])
    ax.set_yticks(range(rows), labels=[str(i) for i in matrix.index])
    if any(len(str(c)) > 4 for c in matrix.columns) and columns > 6:
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel("" if matrix.columns.name is None else str(matrix.columns.name))
    ax.set_ylabel("" if matrix.index.name is None else str(matrix.index.name))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    low, high = np.nanmin(values), np.nanmax(values)
    for (i, j), value in np.ndenumerate(values):
        if not math.isfinite(value):
            continue
        share = 0.0 if high == low else (value - low) / (high - low)
        ax.text(
            j,
            i,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize=9,
            color="white" if share > 0.6 else _TEXT_DARK,
        )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.85)
    if fmt.format(0.5) == fmt.format(0):  # whole numbers: ticks on whole numbers only
        colorbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    colorbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt.format(x)))
    colorbar.outline.set_visible(False)
    plt.close(fig)
    return fig


def bar(series: pd.Series, *, title: str, xlabel: str = "", ylabel: str = "") -> Figure:
    """A bar per entry of ``series`` (labels from its index), each labelled with its value
    (up to 24 bars). Of more than 30 bars, only every n-th is named (at most 30 names)."""
    use_cjk_font()
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    labels = [str(i) for i in series.index]
    fig, ax = _figure(_BAR_HEIGHT)
    ax.set_title(title)
    if not np.isfinite(values).any():
        return _empty(fig, ax)
    if len(values) <= _MAX_BAR_LABELS:
        bars = ax.bar(range(len(values)), values, color=_BAR_COLOR, width=0.65)
    else:  # the same bars as one shape: thousands of single bars take long to draw
        _bars_at_once(ax, values)
    # every bar labelled while the labels can be read; beyond that every n-th bar, since
    # thousands of overlapping labels show nothing and take minutes to draw
    step = math.ceil(len(labels) / _MAX_BAR_LABELS)
    ax.set_xticks(range(0, len(values), step), labels=labels[::step])
    if len(labels) > 8 or any(len(label) > 6 for label in labels):
        ax.tick_params(axis="x", labelrotation=35)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    if len(values) <= 24:
        ax.bar_label(bars, labels=[_number(v) for v in values], padding=2, fontsize=9)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: _number(x)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#d0d7de", linewidth=0.6)
    ax.set_axisbelow(True)
    plt.close(fig)
    return fig


def _bars_at_once(ax: plt.Axes, values: np.ndarray, width: float = 0.65) -> None:
    """Bars from 0 to each finite value at 0, 1, 2 … as one collection (what ``ax.bar`` draws,
    without an artist per bar)."""
    x = np.flatnonzero(np.isfinite(values)).astype(float)
    heights = values[np.isfinite(values)]
    left, right = x - width / 2, x + width / 2
    zero = np.zeros_like(heights)
    verts = np.stack([np.column_stack(pair) for pair in
                      ((left, zero), (left, heights), (right, heights), (right, zero))], axis=1)
    shapes = PolyCollection(verts, facecolors=_BAR_COLOR, edgecolors="none")
    shapes.sticky_edges.y.append(0)  # as ax.bar: the axis starts at 0
    ax.add_collection(shapes)  # widens the data limits, as the bars of ax.bar do
    ax.autoscale_view()


def _figure(height: float) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH, height), dpi=DPI, layout="constrained")
    return fig, ax


def _empty(fig: Figure, ax: plt.Axes) -> Figure:
    ax.text(0.5, 0.5, _NONE, ha="center", va="center", color=_MUTED, transform=ax.transAxes)
    ax.set_axis_off()
    plt.close(fig)
    return fig


def _number(value: float) -> str:
    """A chart label: thousands separators, decimals only when the value has them."""
    if not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"
