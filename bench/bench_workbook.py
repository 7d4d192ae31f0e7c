"""Benchmark `tiering.workbook.write_workbook` on frames shaped like a million-client run.

Builds eight seeded tables of 420,000 rows in all (the size of the staff workbook at a
million clients once tables over 200,000 rows are left to their CSV): text ids, Chinese names
and reasons, labels, dates, date-times, floats with gaps, integers, booleans, a nullable
integer and boolean column, a meaningful index and an object column of mixed values. Writes
them with the XlsxWriter writer and, as the baseline measured in the same run on the same
frames, with the former pandas ``to_excel`` + openpyxl writer (a copy of it is kept below).
Each writer runs in a child process of its own so the peak resident memory printed is its
own; the child builds the frames first and reports the resident memory before writing too.

    .venv/bin/python bench/bench_workbook.py [--scale 1.0] [--baseline-scale 1.0]
                                            [--seed 20260930] [--repeat 1] [--skip-baseline]

``--scale`` multiplies every table's rows; ``--baseline-scale`` lets the slow baseline run on
smaller tables (its rows/s is then the figure to compare). Also prints whether two writes of
the new writer give identical bytes. Figures are printed, never asserted: speed is measured,
not tested. Run one measurement at a time on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd

#: rows per table at scale 1: 420,000 in all
ROWS = {
    "classification": 180_000,
    "excluded": 60_000,
    "findings": 40_000,
    "overrides_applied": 10_000,
    "rfm": 100_000,
    "manager_load": 2_000,
    "visit_schedule": 25_000,
    "quarantine": 3_000,
}
AS_OF = np.datetime64("2026-09-30", "D")
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
COMPANY = np.array(["上海某某投资管理有限公司", "北京某某资产管理有限公司",
                    "深圳某某科技股份有限公司", "某某私募基金", "个人"])
REASONS = np.array(["资产不足", "问卷过期", "no assessment on file", "closed account",
                    "客户要求暂停服务", "duplicate of another client"])
LEVELS = np.array(["A1", "A2", "B1", "B2", "C1", "C2", "D"])
CYCLES = np.array(["annual", "quarterly", "monthly", "adhoc"])
CHANGES = np.array(["new", "upgrade", "downgrade", "held", "unchanged"])


def _ids(rng: np.random.Generator, n: int, prefix: str = "C") -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(rng.permutation(n * 5)[:n].astype(str), 7))


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    person = np.char.add(SURNAMES[rng.integers(0, len(SURNAMES), n)], "*")
    return np.where(rng.random(n) < 0.3, COMPANY[rng.integers(0, len(COMPANY), n)], person)


def _dates(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    return (AS_OF - rng.integers(0, days, n)).astype("datetime64[s]")


def build(scale: float, seed: int) -> dict[str, pd.DataFrame]:
    """The eight tables, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    n = {name: max(1, round(rows * scale)) for name, rows in ROWS.items()}

    k = n["classification"]
    level = LEVELS[rng.integers(0, len(LEVELS), k)]
    assessed = pd.Series(_dates(rng, k, 3 * 365)).where(rng.random(k) > 0.1)
    classification = pd.DataFrame({
        "client_id": pd.array(_ids(rng, k), dtype="str"),
        "name": pd.array(_names(rng, k), dtype="str"),
        "as_of": pd.Series(np.full(k, AS_OF).astype("datetime64[s]")),
        "cycle": pd.array(CYCLES[rng.integers(0, 4, k)], dtype="str"),
        "level": pd.array(level, dtype="str"),
        "level_label": pd.array(np.char.add("等级 ", level), dtype="str"),
        "tier": pd.array(np.char.add("T", rng.integers(1, 5, k).astype(str)), dtype="str"),
        "tier_label": pd.array(np.char.add("第", np.char.add(rng.integers(1, 5, k).astype(str),
                                                              "层")), dtype="str"),
        "category": pd.array(np.char.add("K", rng.integers(1, 6, k).astype(str)), dtype="str"),
        "class_code": pd.array(np.char.add("X", rng.integers(10, 40, k).astype(str)), dtype="str"),
        "avg_assets_last_year": np.round(rng.lognormal(13, 1.5, k), 2),
        "avg_assets_ytd": np.round(rng.lognormal(13, 1.5, k), 2),
        "mgmt_fee_last_year": np.round(rng.lognormal(8, 1.2, k), 2),
        "mgmt_fee_source": pd.array(np.where(rng.random(k) < 0.8, "ledger", "derived"),
                                    dtype="str"),
        "computed_level": pd.array(LEVELS[rng.integers(0, len(LEVELS), k)], dtype="str"),
        "previous_level": pd.Series(LEVELS[rng.integers(0, len(LEVELS), k)], dtype="str")
        .where(rng.random(k) > 0.2),
        "change": pd.array(CHANGES[rng.integers(0, 5, k)], dtype="str"),
        "override": rng.random(k) < 0.02,
        "assessment_date": assessed,
        "assessment_expired": rng.random(k) < 0.15,
        "score": pd.Series(np.round(rng.uniform(0, 100, k), 1)).where(rng.random(k) > 0.1),
        "lowest_category": rng.random(k) < 0.05,
        "visits": rng.integers(0, 40, k),
        "reasons": pd.array(REASONS[rng.integers(0, len(REASONS), k)], dtype="str"),
    })

    k = n["excluded"]
    excluded = pd.DataFrame({
        "client_id": pd.array(_ids(rng, k, "E"), dtype="str"),
        "reason": pd.array(np.char.add(REASONS[rng.integers(0, len(REASONS), k)],
                                       rng.integers(0, 500, k).astype(str)), dtype="str"),
    })

    k = n["findings"]
    findings = pd.DataFrame({
        "client_id": pd.array(_ids(rng, k, "F"), dtype="str"),
        "kind": pd.array(np.array(["missing", "stale", "conflict"])[rng.integers(0, 3, k)],
                         dtype="str"),
        "severity": pd.array(rng.integers(1, 4, k), dtype="Int64"),
        "detail": pd.array(np.char.add("字段缺失: ", _names(rng, k)), dtype="str"),
        "as_of": pd.Series(_dates(rng, k, 90)),
    })

    k = n["overrides_applied"]
    overrides = pd.DataFrame({
        "client_id": pd.array(_ids(rng, k, "O"), dtype="str"),
        "from_level": pd.array(LEVELS[rng.integers(0, len(LEVELS), k)], dtype="str"),
        "to_level": pd.array(LEVELS[rng.integers(0, len(LEVELS), k)], dtype="str"),
        "approved": pd.array(np.where(rng.random(k) < 0.1, None, rng.random(k) < 0.9),
                             dtype="boolean"),
        "approved_on": pd.Series(_dates(rng, k, 365)),
        "note": pd.array(np.char.add("经理批准 ", rng.integers(0, 10_000, k).astype(str)),
                         dtype="str"),
    })

    k = n["rfm"]
    rfm = pd.DataFrame({
        "client_id": pd.array(_ids(rng, k, "R"), dtype="str"),
        "recency_days": rng.integers(0, 1_000, k),
        "frequency": rng.integers(1, 200, k),
        "monetary": np.round(rng.lognormal(11, 1.2, k), 2),
        "r_score": rng.integers(1, 6, k),
        "f_score": rng.integers(1, 6, k),
        "m_score": rng.integers(1, 6, k),
        "rfm_score": rng.integers(3, 16, k),
        "segment": pd.array(np.array(["champions", "loyal", "at risk", "lost", "新客户"])[
            rng.integers(0, 5, k)], dtype="str"),
        "last_trade": pd.Series(_dates(rng, k, 1_000)),
    })

    k = n["manager_load"]
    manager_load = pd.DataFrame({
        "clients": rng.integers(50, 600, k),
        "capacity": np.full(k, 500),
        "visits_planned": rng.integers(0, 300, k),
        "utilisation": np.round(rng.uniform(0.1, 1.3, k), 4),
        "over_capacity": rng.random(k) < 0.1,
    }, index=pd.Index(np.char.add("M", np.arange(k).astype(str)), name="manager"))

    k = n["visit_schedule"]
    visits = pd.DataFrame({
        "client_id": pd.array(_ids(rng, k, "V"), dtype="str"),
        "manager": pd.array(np.char.add("M", rng.integers(0, 2_000, k).astype(str)), dtype="str"),
        "visit_at": pd.Series((AS_OF + rng.integers(1, 92, k)).astype("datetime64[s]")
                              + (rng.integers(18, 36, k) * 1_800).astype("timedelta64[s]")),
        "duration_min": rng.integers(30, 120, k),
        "service": pd.array(np.array(["季度回访", "产品说明", "风险测评", "annual review"])[
            rng.integers(0, 4, k)], dtype="str"),
        "confirmed": rng.random(k) < 0.7,
    })

    k = n["quarantine"]
    raw = np.empty(k, dtype=object)
    kinds = rng.integers(0, 5, k)
    raw[kinds == 0] = "n/a"
    raw[kinds == 1] = rng.integers(0, 1_000, (kinds == 1).sum()).tolist()
    raw[kinds == 2] = [dt.date(2026, 9, 1)] * int((kinds == 2).sum())
    raw[kinds == 3] = None
    raw[kinds == 4] = "=SUM(A1:A9)"
    quarantine = pd.DataFrame({
        "file": pd.array(np.full(k, "clients.csv"), dtype="str"),
        "line": rng.integers(2, 1_000_000, k),
        "column": pd.array(np.array(["assets", "birth_date", "name"])[rng.integers(0, 3, k)],
                           dtype="str"),
        "value": raw,
        "problem": pd.array(np.full(k, "无法解析 (cannot parse)"), dtype="str"),
    })

    return {"classification": classification, "excluded": excluded, "findings": findings,
            "overrides_applied": overrides, "rfm": rfm, "manager_load": manager_load,
            "visit_schedule": visits, "quarantine": quarantine}


# ---- the former writer (pandas to_excel + openpyxl), kept as the baseline -------------------

_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def old_write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame],
                       timestamp: dt.datetime = dt.datetime(2000, 1, 1)) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring

    from tiering.workbook import _DATE, _MAX_WIDTH, _MIN_WIDTH, sheet_names
    from tiering.workbook import _content_width as content_width
    from tiering.workbook import _text_width as text_width

    def number_format_of(values: pd.Series) -> str | None:
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return None
        if pd.api.types.is_datetime64_any_dtype(dtype):
            present = values.dropna()
            has_time = bool(len(present)) and bool((present != present.dt.normalize()).any())
            return "yyyy-mm-dd hh:mm:ss" if has_time else _DATE
        if pd.api.types.is_integer_dtype(dtype):
            return "#,##0"
        if pd.api.types.is_float_dtype(dtype):
            return "#,##0.00"
        return None

    def prepared(df: pd.DataFrame) -> pd.DataFrame:
        table = df if type(df.index) is pd.RangeIndex else df.reset_index()
        table = table.copy()
        table.columns = [str(c) for c in table.columns]
        for column in table.columns:
            if isinstance(table[column].dtype, pd.DatetimeTZDtype):
                table[column] = table[column].dt.tz_localize(None)
        return table

    def layout(sheet, table: pd.DataFrame) -> None:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        last_row = len(table) + 1
        for j, column in enumerate(table.columns, start=1):
            values = table[column]
            number_format = number_format_of(values)
            if number_format and last_row > 1:
                for (cell,) in sheet.iter_rows(min_row=2, max_row=last_row, min_col=j, max_col=j):
                    cell.number_format = number_format
            width = max(text_width(pd.Series([column])), content_width(values, number_format))
            sheet.column_dimensions[get_column_letter(j)].width = min(
                max(width + 2, _MIN_WIDTH), _MAX_WIDTH)

    names = sheet_names(list(sheets))
    buffer = BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format=_DATE,
                        datetime_format=_DATE) as writer:
        for name, df in zip(names, sheets.values(), strict=True):
            table = prepared(df)
            table.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            layout(writer.sheets[name], table)
        properties = writer.book.properties
        properties.creator = "tiering"
        properties.created = timestamp
    properties.modified = timestamp
    replace = {"docProps/core.xml": tostring(properties.to_tree())}
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, replace.get(entry.filename, source.read(entry.filename)))
    Path(path).write_bytes(out.getvalue())


# ---- measuring ------------------------------------------------------------------------------

def peak_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def current_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def child(writer: str, scale: float, seed: int, repeat: int, out: Path) -> None:
    """Build the frames, write them `repeat` times, print one JSON line of figures."""
    from tiering.workbook import write_workbook

    sheets = build(scale, seed)
    rows = sum(len(df) for df in sheets.values())
    cells = sum(len(df) * (df.shape[1] + (type(df.index) is not pd.RangeIndex))
                for df in sheets.values())
    before = current_mib()
    write = write_workbook if writer == "new" else old_write_workbook
    seconds, cpu, digests = [], [], []
    for i in range(repeat):
        path = out / f"{writer}-{i}.xlsx"
        start, start_cpu = time.perf_counter(), time.process_time()
        write(path, sheets)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    print(json.dumps({"writer": writer, "rows": rows, "cells": cells, "seconds": seconds,
                      "cpu": cpu, "rss_before_mib": before, "peak_rss_mib": peak_mib(),
                      "bytes": path.stat().st_size, "digests": digests}))


def run_child(writer: str, scale: float, args: argparse.Namespace, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", writer, "--scale", str(scale),
               "--seed", str(args.seed), "--repeat", str(args.repeat), "--out", str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, figures: dict) -> None:
    best = min(figures["seconds"])
    print(f"{label}: {figures['rows']:,} rows, {figures['cells']:,} cells; "
          f"seconds {', '.join(f'{s:.2f}' for s in figures['seconds'])} "
          f"(best {best:.2f}, CPU {min(figures['cpu']):.2f}); "
          f"{figures['rows'] / best:,.0f} rows/s, "
          f"{figures['cells'] / best:,.0f} cells/s; RSS {figures['rss_before_mib']:,.0f} MiB "
          f"with the frames, peak {figures['peak_rss_mib']:,.0f} MiB "
          f"(+{figures['peak_rss_mib'] - figures['rss_before_mib']:,.0f} writing); "
          f"file {figures['bytes'] / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--baseline-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child", choices=("new", "old"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.scale, args.seed, args.repeat, args.out)
        return

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        new = run_child("new", args.scale, args, out)
        report(f"new (XlsxWriter, scale {args.scale:g})", new)
        if args.repeat > 1:
            print(f"  identical bytes across {args.repeat} writes: "
                  f"{len(set(new['digests'])) == 1}")
        if not args.skip_baseline:
            old = run_child("old", args.baseline_scale, args, out)
            report(f"old (pandas to_excel + openpyxl, scale {args.baseline_scale:g})", old)
            ratio = (old["rows"] / min(old["seconds"])) and (
                (new["rows"] / min(new["seconds"])) / (old["rows"] / min(old["seconds"])))
            print(f"speed-up in rows/s: {ratio:.1f}x")


if __name__ == "__main__":
    main()
