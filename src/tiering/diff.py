"""Who moved between two runs: the level migration matrix and the list of changed clients.

Typical use: a what-if run with other thresholds against the official run of the same period.
`migration` and `changes` take the two classification frames; `load_classification` and
`diff_runs` read run folders (written by `tiering classify` or `tiering run`), `write_diff`
writes the two CSV files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tiering.loading import InputFileError
from tiering.writing import staged_output, write_csv

__all__ = [
    "ABSENT",
    "DEFAULT_LEVELS",
    "MOVEMENTS",
    "RunDiff",
    "changes",
    "describe_run",
    "diff_runs",
    "format_report",
    "format_table",
    "level_order",
    "load_classification",
    "migration",
    "movement_counts",
    "write_diff",
]

DEFAULT_LEVELS = ("ordinary", "potential", "core", "vip")  # low to high
ABSENT = "absent"
TOTAL = "total"
MOVEMENTS = ("upgrade", "downgrade", "category", "only_in_a", "only_in_b")
REQUIRED_COLUMNS = ("client_id", "level", "tier", "category", "reasons")
CHANGE_COLUMNS = ["client_id", "level_a", "level_b", "category_a", "category_b", "tier_a",
                  "tier_b", "movement", "reasons_a", "reasons_b"]


# --------------------------------------------------------------------------- core


def migration(a: pd.DataFrame, b: pd.DataFrame, level_order: Sequence[str]) -> pd.DataFrame:
    """The level migration matrix: rows the level in A, columns the level in B.

    Every level of ``level_order`` (low to high) has a row and a column, then ``absent`` (the
    client is not in that run) and ``total``. Cells are client counts; the index is named
    ``level_a``. A level not in ``level_order`` raises ValueError.
    """
    order = list(level_order)
    for name, frame in (("A", a), ("B", b)):
        unknown = _unknown_levels(frame, order)
        if unknown:
            raise ValueError(f"run {name} has levels not in the level order {order}: {unknown}")
    merged = a[["client_id", "level"]].merge(b[["client_id", "level"]], on="client_id",
                                             how="outer", suffixes=("_a", "_b"))
    labels = [*order, ABSENT]
    matrix = pd.DataFrame(0, index=labels, columns=labels, dtype="int64")
    pairs = pd.DataFrame({"a": merged["level_a"].fillna(ABSENT),
                          "b": merged["level_b"].fillna(ABSENT)})
    for (level_a, level_b), n in pairs.value_counts().items():
        matrix.loc[level_a, level_b] = int(n)
    matrix[TOTAL] = matrix.sum(axis=1)
    matrix.loc[TOTAL] = matrix.sum(axis=0)
    matrix.index.name = "level_a"
    matrix.columns.name = "level_b"
    return matrix


def changes(a: pd.DataFrame, b: pd.DataFrame,
            level_order: Sequence[str] = DEFAULT_LEVELS) -> pd.DataFrame:
    """Clients whose level or category differs between A and B, or who are in one run only.

    Columns: client_id, level_a, level_b, category_a, category_b, tier_a, tier_b, movement
    (upgrade / downgrade / category / only_in_a / only_in_b), reasons_a, reasons_b; sorted by
    client_id. A level change wins over a category change in ``movement``. A change of tier
    within the same level and category is not listed.
    """
    rank = {level: i for i, level in enumerate(level_order)}
    for name, frame in (("A", a), ("B", b)):
        unknown = _unknown_levels(frame, list(level_order))
        if unknown:
            raise ValueError(f"run {name} has levels not in the level order "
                             f"{list(level_order)}: {unknown}")
    keep = ["client_id", "level", "category", "tier", "reasons"]
    merged = a[keep].merge(b[keep], on="client_id", how="outer", suffixes=("_a", "_b"),
                           indicator=True)
    rank_a = merged["level_a"].map(rank)
    rank_b = merged["level_b"].map(rank)
    same_category = merged["category_a"].fillna("") == merged["category_b"].fillna("")
    movement = pd.Series(pd.NA, index=merged.index, dtype="object")
    movement[(rank_a == rank_b) & ~same_category] = "category"
    movement[rank_b < rank_a] = "downgrade"
    movement[rank_b > rank_a] = "upgrade"
    movement[merged["_merge"] == "left_only"] = "only_in_a"
    movement[merged["_merge"] == "right_only"] = "only_in_b"
    merged["movement"] = movement
    out = merged.loc[movement.notna(), CHANGE_COLUMNS]
    out = out.sort_values("client_id", kind="mergesort").reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


def movement_counts(changed: pd.DataFrame) -> dict[str, int]:
    """The number of changed clients per movement, every movement listed in a fixed order."""
    counts = changed["movement"].value_counts()
    return {m: int(counts.get(m, 0)) for m in MOVEMENTS}


def level_order(*manifests: Mapping) -> list[str]:
    """The levels low to high, from the first manifest's resolved policy that gives them.

    Levels only another manifest names are appended in its order; without any, the default
    ordinary < potential < core < vip.
    """
    order: list[str] = []
    for manifest in manifests:
        for level in _manifest_levels(manifest):
            if level not in order:
                order.append(level)
    return order or list(DEFAULT_LEVELS)


def format_table(df: pd.DataFrame) -> str:
    """A frame as plain text: text columns left-aligned, numbers right-aligned, no index."""
    columns = [str(c) for c in df.columns]
    cells = [["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
              for v in df.iloc[:, i]] for i in range(df.shape[1])]
    numeric = [pd.api.types.is_numeric_dtype(df.iloc[:, i]) for i in range(df.shape[1])]
    widths = [max([len(c), *map(len, col)]) for c, col in zip(columns, cells, strict=True)]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w)
                 for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    rows = [line(columns)]
    rows += [line([col[r] for col in cells]) for r in range(df.shape[0])]
    return "\n".join(rows)


def _manifest_levels(manifest: Mapping) -> list[str]:
    try:
        levels = manifest["parameters"]["resolved"]["policy"]["levels"]
    except (KeyError, TypeError):
        return []
    if not isinstance(levels, list):
        return []
    out = []
    for level in levels:
        if isinstance(level, Mapping) and "id" in level:
            out.append(str(level["id"]))
        elif isinstance(level, str):
            out.append(level)
    return out


def _unknown_levels(frame: pd.DataFrame, order: list[str]) -> list[str]:
    return sorted(set(frame["level"].dropna()) - set(order))


# --------------------------------------------------------------------------- report


def describe_run(name: str, run_dir: Path, manifest: Mapping) -> str:
    """One line on a run: folder, period, cycle, parameter version and hash, --set overrides."""
    params = manifest.get("parameters") or {}
    digest = str(params.get("hash") or "?")[:12]
    overrides = params.get("overrides") or []
    shown = "; ".join(map(str, overrides)) if overrides else "none"
    return (f"{name}: {run_dir}  period {manifest.get('period', '?')}, "
            f"cycle {manifest.get('cycle', '?')}, as of {manifest.get('as_of', '?')}, "
            f"parameters {params.get('version', '?')} ({digest}), overrides: {shown}")


def format_report(result: RunDiff, limit: int = 20) -> str:
    """The text `tiering diff` prints: the runs, the matrix, counts and the first changes."""
    a, b = result.manifest_a, result.manifest_b
    lines = [describe_run("A", result.run_a, a), describe_run("B", result.run_b, b)]
    if a.get("as_of") != b.get("as_of"):
        lines.append("note: the runs are not as of the same date; moves may reflect new data")
    matrix = result.migration.reset_index().rename(columns={"level_a": "A \\ B"})
    lines += ["", "Level migration (rows: level in A, columns: level in B):",
              format_table(matrix), ""]
    counts = result.counts
    n_changed = sum(counts.values())
    lines.append("Movements: " + ", ".join(f"{m} {n}" for m, n in counts.items())
                 + f" ({n_changed} changed)")
    if n_changed == 0:
        lines.append("No client moved.")
        return "\n".join(lines)
    shown = result.changes.head(limit)[["client_id", "movement", "level_a", "level_b",
                                        "category_a", "category_b", "tier_a", "tier_b"]]
    shown = shown.where(shown.notna(), "-")  # not in that run
    head = (f"First {len(shown)} of {n_changed} changed clients:" if n_changed > limit
            else f"Changed clients ({n_changed}):")
    lines += ["", head, format_table(shown)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class RunDiff:
    """Two runs compared: their manifests, the level order, the matrix and the changes."""

    run_a: Path
    run_b: Path
    manifest_a: dict
    manifest_b: dict
    levels: list[str]
    migration: pd.DataFrame
    changes: pd.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return movement_counts(self.changes)


def load_classification(run_dir: Path) -> tuple[pd.DataFrame, dict]:
    """Read ``classification.csv`` (UTF-8 with BOM, every column as text) and ``manifest.json``.

    Raises InputFileError naming the folder when either file is missing or unreadable, a
    needed column is missing, or a client appears twice.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputFileError(f"{run_dir}: no such run folder", path=run_dir)
    csv_path = run_dir / "classification.csv"
    manifest_path = run_dir / "manifest.json"
    for path in (csv_path, manifest_path):
        if not path.is_file():
            raise InputFileError(f"{run_dir}: no {path.name} in this folder (is it a run "
                                 "written by `tiering classify` or `tiering run`?)", path=path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputFileError(f"{manifest_path}: not readable JSON ({err})",
                             path=manifest_path) from None
    if not isinstance(manifest, dict):
        raise InputFileError(f"{manifest_path}: not a JSON object", path=manifest_path)
    try:
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputFileError(f"{csv_path}: not a readable CSV file ({err})",
                             path=csv_path) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{csv_path}: missing column(s) {', '.join(missing)}",
                             path=csv_path)
    duplicated = sorted(set(frame.loc[frame["client_id"].duplicated(), "client_id"]))
    if duplicated:
        shown = ", ".join(duplicated[:5]) + (" …" if len(duplicated) > 5 else "")
        raise InputFileError(f"{csv_path}: client_id appears more than once: {shown}",
                             path=csv_path)
    return frame, manifest


def diff_runs(run_a: Path, run_b: Path) -> RunDiff:
    """Load two run folders and compare them (InputFileError on a missing or bad folder)."""
    a, manifest_a = load_classification(run_a)
    b, manifest_b = load_classification(run_b)
    levels = level_order(manifest_a, manifest_b)
    for run_dir, frame in ((run_a, a), (run_b, b)):
        unknown = _unknown_levels(frame, levels)
        if unknown:
            raise InputFileError(f"{Path(run_dir) / 'classification.csv'}: level(s) "
                                 f"{', '.join(map(repr, unknown))} not in the level order "
                                 f"{' < '.join(levels)}", path=Path(run_dir))
    return RunDiff(run_a=Path(run_a), run_b=Path(run_b), manifest_a=manifest_a,
                   manifest_b=manifest_b, levels=levels, migration=migration(a, b, levels),
                   changes=changes(a, b, levels))


def write_diff(result: RunDiff, out: Path) -> list[Path]:
    """Write ``diff_migration.csv`` (levels low to high) and ``diff_changes.csv`` into ``out``."""
    with staged_output(out) as stage:
        write_csv(result.migration.reset_index(), stage / "diff_migration.csv")
        write_csv(result.changes, stage / "diff_changes.csv", sort_by=["client_id"])
    return [Path(out) / "diff_migration.csv", Path(out) / "diff_changes.csv"]
