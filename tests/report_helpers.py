"""Helpers shared by the report tests: hand-written run folders and thin report notebooks."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat

from tiering.notebooks import declared_parameters, execute

BOM = "\ufeff"
REPORT_PARAMETERS = {"run_dir", "data_dir", "mask", "list_cap"}


def write_text(path: Path, text: str) -> None:
    """A CSV file as the run writes it: UTF-8 with BOM."""
    path.write_text(BOM + text, encoding="utf-8")


def write_clients(folder: Path, clients_csv: str) -> Path:
    """An input folder holding only the clients table (names for the masked lists)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "clients.csv", clients_csv)
    return folder


def assert_thin_report(notebook: Path, title: str) -> None:
    """A title cell, the four report parameters, code cells without outputs and without
    functions or loops (the library computes; the notebook displays)."""
    nb = nbformat.read(notebook, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.startswith(title)
    assert declared_parameters(notebook) == REPORT_PARAMETERS
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None
        nodes = list(ast.walk(ast.parse(cell.source)))
        assert not any(isinstance(n, ast.FunctionDef | ast.For | ast.While | ast.Lambda)
                       for n in nodes), cell.source


def executed_outputs(notebook: Path, run_dir: Path, data_dir: Path, work: Path) -> str:
    """Execute a report notebook on a run folder; assert no cell failed; return its outputs
    as one JSON text to search."""
    executed = work / "out" / notebook.name
    execute(notebook, executed, {"run_dir": str(run_dir), "data_dir": str(data_dir),
                                 "mask": True, "list_cap": 10}, cwd=work)
    nb = nbformat.read(executed, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.get("output_type") == "error"]
    return json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
