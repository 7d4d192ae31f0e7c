"""What-if runs: re-rate an official run's period with parameter overrides and compare.

Staff give ``--set``-style overrides (``tiers.vip.min_avg_assets=3000000``); the period, the
cycle and the official run's own overrides come from the official run's ``manifest.json``. The
rating history is read (the levels in force) but never written. The what-if tables and manifest
go into the folder given, and the comparison with the official run is returned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from tiering import diff, pipeline
from tiering.history import History
from tiering.writing import write_json

__all__ = ["official_manifest", "runs_table", "what_if"]


def official_manifest(official: Path) -> dict:
    """The official run's ``manifest.json``; RunError when it is missing or unreadable."""
    path = Path(official) / "manifest.json"
    if not path.is_file():
        raise pipeline.RunError(f"{official}: no manifest.json in this folder (is it a run "
                                "written by `tiering classify` or `tiering run`?)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise pipeline.RunError(f"{path}: not readable JSON ({err})") from None
    if not isinstance(manifest, dict) or "as_of" not in manifest or "cycle" not in manifest:
        raise pipeline.RunError(f"{path}: not a run manifest (no as_of or cycle)")
    return manifest


def what_if(
    official: Path,
    *,
    data: Path,
    params_path: Path,
    sets: Sequence[str],
    out: Path,
    history_path: Path,
) -> diff.RunDiff:
    """Re-rate the official run's period with ``sets`` added to its overrides; write the
    what-if tables and ``manifest.json`` into ``out``; return the diff official → what-if.

    The history at ``history_path`` is only read. RunError when the official folder has no
    manifest or ``out`` is the official folder itself.
    """
    official, out = Path(official), Path(out)
    manifest = official_manifest(official)
    if out.resolve() == official.resolve():
        raise pipeline.RunError(f"{out}: the what-if folder must not be the official run")
    overrides = list((manifest.get("parameters") or {}).get("overrides") or [])
    run = pipeline.rate_run(data=Path(data), as_of=date.fromisoformat(manifest["as_of"]),
                            cycle=manifest["cycle"], params_path=Path(params_path),
                            sets=[*overrides, *sets], history=History(Path(history_path)))
    run.manifest.update({"official": False, "history": None, "what_if_of": str(official),
                         "what_if_sets": list(sets)})
    out.mkdir(parents=True, exist_ok=True)
    pipeline.write_tables(run, out, mask=run.params.policy.reports.mask_csv)
    write_json(run.manifest, out / "manifest.json")
    return diff.diff_runs(official, out)


def runs_table(result: diff.RunDiff) -> pd.DataFrame:
    """One row per run (A the official, B the what-if): folder, period, cycle, as-of date,
    parameter version, the first 12 characters of its hash, and its overrides."""
    rows = []
    for name, folder, manifest in (("A 正式 (official)", result.run_a, result.manifest_a),
                                   ("B 假设 (what-if)", result.run_b, result.manifest_b)):
        params = manifest.get("parameters") or {}
        overrides = params.get("overrides") or []
        rows.append({"run": name, "folder": str(folder), "period": manifest.get("period"),
                     "cycle": manifest.get("cycle"), "as_of": manifest.get("as_of"),
                     "parameters": params.get("version"),
                     "hash": str(params.get("hash") or "")[:12],
                     "overrides": "; ".join(map(str, overrides)) or "无 (none)"})
    return pd.DataFrame(rows)
