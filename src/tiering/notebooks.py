"""Run report notebooks with papermill and render them to offline HTML without code.

A report run is: :func:`execute` (parameters checked, then injected and run in the current
interpreter's kernel; the executed notebook is always kept), :func:`render_html` (no code cells,
images embedded, nothing fetched from the network) and :func:`external_references` as the guard
that the page really is offline.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["NotebookFailed", "declared_parameters", "execute", "external_references", "render_html"]

KERNEL = "python3"  # ipykernel's own kernel: jupyter_client starts it with sys.executable
TEMPLATE = "tiering"  # src/tiering/templates/tiering: the lab template with no network access
LANGUAGE = "zh"  # <html lang="zh">: browsers pick Chinese glyphs for shared CJK code points


class NotebookFailed(Exception):
    """A notebook raised while it ran. The executed notebook, with the traceback, is kept.

    ``cell`` is the execution count (``In [n]`` in the executed notebook), or None when the
    failing cell is not known.
    """

    def __init__(self, notebook: str, executed: Path, message: str, *,
                 cell: int | None = None, error: str = "") -> None:
        super().__init__(message)
        self.notebook = notebook
        self.executed = executed
        self.cell = cell
        self.error = error


# --------------------------------------------------------------------------- execute


def execute(notebook: Path, executed: Path, parameters: Mapping[str, Any], *, cwd: Path,
            timeout: int = 600) -> None:
    """Run ``notebook`` with ``parameters`` injected and save the result at ``executed``.

    Raises ValueError, before anything runs, for a parameter the notebook's ``parameters`` cell
    does not declare (papermill itself only warns). Raises :class:`NotebookFailed` when a cell
    raises, runs longer than ``timeout`` seconds, or the kernel dies; ``executed`` is kept.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notebook, executed = Path(notebook).resolve(), Path(executed).resolve()
    unknown = sorted(set(parameters) - declared_parameters(notebook))
    if unknown:
        raise ValueError(f"{notebook.name} does not declare the parameter(s) "
                         f"{', '.join(unknown)} in its parameters cell")
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            notebook, executed, parameters=dict(parameters), kernel_name=KERNEL, language="python",
            progress_bar=False, log_output=False, execution_timeout=timeout,
            # The kernel starts in `cwd` (nbclient's resources path). Not papermill's own `cwd`,
            # which changes the whole process's working directory while the notebook runs:
            # reports run side by side in threads, and one would move the others.
            resources={"metadata": {"path": str(Path(cwd).resolve())}},
            # The kernel's own log is noise here: a warning on every start that its local TCP
            # sockets are unencrypted, and an error whenever jupyter_client's interrupt-before-
            # shutdown lands mid-message. Cell errors are in the executed notebook regardless.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except papermill.PapermillExecutionError as error:
        cell = error.exec_count if error.exec_count is not None else error.cell_index
        raise NotebookFailed(
            notebook.name, executed,
            _paragraph(f"{notebook.name} failed in cell {cell}: {error.ename}: {error.evalue}"
                       f" — {_first_line(error.source)}"),
            cell=cell, error=error.ename,
        ) from error
    except (CellTimeoutError, DeadKernelError) as error:
        what = (f"timed out after {timeout} s" if isinstance(error, CellTimeoutError)
                else "lost its kernel (it died or ran out of memory)")
        cell, source = _last_started_cell(executed)
        where = f" in cell {cell}" if cell is not None else ""
        raise NotebookFailed(
            notebook.name, executed,
            _paragraph(f"{notebook.name} {what}{where}: {type(error).__name__}"
                       + (f" — {_first_line(source)}" if source else "")),
            cell=cell, error=type(error).__name__,
        ) from error


def declared_parameters(notebook: Path) -> set[str]:
    """The names assigned in the notebook's cell tagged ``parameters`` (none if it has none).

    The same inspection as ``papermill.inspect_notebook`` (and ``papermill --help-notebook``),
    but for our kernel, so a notebook saved without kernel metadata can still be inspected.
    """
    import nbformat
    from papermill.translators import papermill_translators

    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return set()
    translator = papermill_translators.find_translator(KERNEL, "python")
    return {parameter.name for parameter in translator.inspect(cells[0])}


def _last_started_cell(executed: Path) -> tuple[int | None, str]:
    """The execution count and source of the last cell papermill started, from the saved copy."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return None, ""
    started = [c for c in nb.cells if c.cell_type == "code"
               and c.get("metadata", {}).get("papermill", {}).get("start_time")]
    if not started:
        return None, ""
    cell = started[-1]
    return cell.get("execution_count"), cell.source


def _first_line(source: str) -> str:
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    return lines[0] if lines else "(empty cell)"


def _paragraph(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- render


def render_html(executed: Path, html: Path, *, title: str) -> None:
    """Write ``executed`` as one self-contained HTML page titled ``title``.

    Code cells and prompts are left out, images are embedded as ``data:`` URLs and the page
    loads nothing from the network (see templates/tiering/index.html.j2). Raises ValueError,
    after writing the page so it can be inspected, if it still references the network (an
    output that links to a web page, say).
    """
    import nbformat
    from nbconvert import HTMLExporter

    executed, html = Path(executed), Path(html)
    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title  # the lab template's <title>, escaped by the template
    with resources.as_file(resources.files("tiering") / "templates") as templates:
        exporter = HTMLExporter(
            template_name=TEMPLATE,
            extra_template_basedirs=[str(templates)],
            theme="light",
            language_code=LANGUAGE,
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            # Unused once the template drops their blocks; empty so no CDN default can return.
            mathjax_url="",
            require_js_url="",
            jquery_url="",
            mermaid_js_url="",
            mermaid_layout_elk_js_url="",
            jupyter_widgets_base_url="",
            html_manager_semver_range="",
        )
        modified = dt.datetime.fromtimestamp(executed.stat().st_mtime)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {
            "name": executed.stem, "path": str(executed.parent.resolve()),
            "modified_date": modified.strftime("%B %d, %Y"),
        }})
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body, encoding="utf-8")
    found = external_references(body)
    if found:
        raise ValueError(f"{html.name} references the network (kept to inspect): "
                         f"{', '.join(found[:5])}")


# --------------------------------------------------------------------------- guard

_REMOTE = r"(?:https?:)?//"
_PATTERNS = [
    # src="…", href='…', srcset=…, xlink:href="…"  (quoted or bare attribute values), in any
    # tag but <a>: a link the reader may follow loads nothing by itself
    re.compile(r"""<(?!a[\s>])[^>]*?\b(?:src|href|srcset)\s*=\s*["']?\s*("""
               + _REMOTE + r"""[^"'\s>]*)""", re.IGNORECASE),
    # url(…) in CSS, quoted or not
    re.compile(r"""\burl\(\s*["']?\s*(""" + _REMOTE + r"""[^"')\s]*)""", re.IGNORECASE),
    # @import "…";  @import url(…);
    re.compile(r"""@import\s+(?:url\(\s*)?["']?\s*(""" + _REMOTE + r"""[^"')\s;]*)""",
               re.IGNORECASE),
]


def external_references(html_text: str) -> list[str]:
    """Every resource the page would load from the network: ``src``/``href``/``srcset`` (not
    of an ``<a>`` link), ``url(…)`` and ``@import`` targets that are ``http://``, ``https://``
    or protocol-relative ``//``, in order of appearance (each occurrence once)."""
    found: dict[int, str] = {}
    for pattern in _PATTERNS:
        for match in pattern.finditer(html_text):
            found.setdefault(match.start(1), match.group(1))
    return [found[start] for start in sorted(found)]
