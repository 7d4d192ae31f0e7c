"""What-if runs: overrides compared with the official run, the history left untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tiering.cli import main
from tiering.pipeline import RunError
from tiering.whatif import runs_table, what_if

PARAMS = Path(__file__).parents[1] / "params"
LOWER_VIP = "tiers.vip.min_avg_assets=3000000"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def official(tmp_path_factory) -> dict[str, Path]:
    """A sample data folder, the official quarterly run of 2026-09-30 and its history."""
    root = tmp_path_factory.mktemp("whatif")
    data, run, history = root / "data", root / "2026Q3", root / "history.sqlite"
    result = invoke("sample", "--out", str(data), "--clients", "300", "--params", str(PARAMS))
    assert result.exit_code == 0, result.output
    result = invoke("classify", "--data", str(data), "--as-of", "2026-09-30", "--cycle",
                    "quarterly", "--out", str(run), "--params", str(PARAMS), "--history",
                    str(history))
    assert result.exit_code == 0, result.output
    return {"root": root, "data": data, "run": run, "history": history}


def run_what_if(official: dict[str, Path], sets: list[str], name: str):
    return what_if(official["run"], data=official["data"], params_path=PARAMS, sets=sets,
                   out=official["root"] / name, history_path=official["history"])


@pytest.mark.slow
def test_lower_vip_threshold_only_upgrades_clients_to_vip(official):
    result = run_what_if(official, [LOWER_VIP], "lower-vip")
    assert result.counts["upgrade"] > 0
    assert sum(result.counts.values()) == result.counts["upgrade"]
    assert (result.changes["movement"] == "upgrade").all()
    assert (result.changes["level_b"] == "vip").all()
    assert result.manifest_a["cycle"] == result.manifest_b["cycle"] == "quarterly"
    assert result.manifest_b["parameters"]["overrides"] == [LOWER_VIP]


@pytest.mark.slow
def test_what_if_never_writes_the_history(official):
    before = official["history"].read_bytes()
    run_what_if(official, [LOWER_VIP], "history-check")
    assert official["history"].read_bytes() == before


@pytest.mark.slow
def test_what_if_writes_its_tables_and_manifest_into_the_folder_given(official):
    out = official["root"] / "tables"
    run_what_if(official, [LOWER_VIP], "tables")
    assert (out / "classification.csv").is_file()
    assert (out / "manifest.json").is_file()


@pytest.mark.slow
def test_no_overrides_means_nobody_moved(official):
    result = run_what_if(official, [], "same")
    assert sum(result.counts.values()) == 0
    assert result.changes.empty


def test_official_folder_without_a_manifest_is_a_run_error(tmp_path):
    with pytest.raises(RunError, match="no manifest.json"):
        what_if(tmp_path, data=tmp_path, params_path=PARAMS, sets=[], out=tmp_path / "w",
                history_path=tmp_path / "history.sqlite")
    assert not (tmp_path / "history.sqlite").exists()


@pytest.mark.slow
def test_runs_table_shows_both_runs_with_their_overrides(official):
    table = runs_table(run_what_if(official, [LOWER_VIP], "runs-table"))
    assert list(table["overrides"]) == ["无 (none)", LOWER_VIP]
    assert set(table["period"]) == {"2026Q3"}


NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


def test_the_what_if_notebook_is_on_demand_and_left_out_of_every_run():
    from tiering.publish import find_reports, on_demand

    assert on_demand(NOTEBOOKS / "40-what-if.ipynb")
    assert not on_demand(NOTEBOOKS / "40-activity.ipynb")
    names = [r.notebook.name for r in find_reports(NOTEBOOKS)]
    assert "40-what-if.ipynb" not in names
    assert names[0] == "10-classification.ipynb" and "40-activity.ipynb" in names


@pytest.mark.slow
def test_what_if_notebook_executes_against_the_official_run(official, tmp_path):
    import json

    import nbformat

    from tiering.notebooks import execute

    executed = tmp_path / "what-if.ipynb"
    out = tmp_path / "tables"
    execute(NOTEBOOKS / "40-what-if.ipynb", executed,
            {"official_dir": str(official["run"]), "data_dir": str(official["data"]),
             "params_dir": str(PARAMS), "sets": [LOWER_VIP], "out_dir": str(out),
             "history": str(official["history"]), "mask": True, "list_cap": 10},
            cwd=tmp_path)
    nb = nbformat.read(executed, as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert '"output_type": "error"' not in outputs
    assert (out / "classification.csv").is_file()
    assert LOWER_VIP in outputs  # the runs table names the override
