"""Benchmark `calendars.write_calendars` on a generated visit schedule like the quarterly one.

Generates (seeded numpy) a schedule of Q4 2026 shaped like the one of a million clients: about
210,000 rows over 3,100 managers, about 97.5% visits (reasons such as
``VIP 2/年，已访 0，本季需 2``), 2% birthday greetings and 0.5% festival greetings, with
masked client names (people and institutions) and a managers table naming every calendar.
Prints, for each repeat, the wall seconds and events per second of the writer, then, measured
once each in the same run:

- the peak traced memory (tracemalloc) of the writer;
- the floor of the disk: writing the same bytes into the same number of files;
- the baseline, a copy of the writer as it was before (one `icalendar.Event` per row and
  `Calendar.to_ical` per file), on every ``--slice``-th manager only (it takes about a
  millisecond an event), with the new writer timed on that slice too; the two sets of files are
  compared byte for byte.

    .venv/bin/python bench/bench_calendars.py [--managers 3100] [--rows 210000] [--repeat 2]
        [--slice 10] [--schedule visit_schedule.csv]

``--schedule`` times a real ``visit_schedule.csv`` (read with dtype=str, date parsed) instead of
the generated one; its client names are generated. Files are written into a temporary folder.

Figures are printed, never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from icalendar import Event

from tiering.calendars import (
    SLOTS,
    SUMMARY_WORDS,
    TZID,
    VISIT_HOURS,
    _titles,  # the titles are unchanged too
    write_calendars,
)
from tiering.calendars import _calendar as calendar_header  # the header is unchanged
from tiering.masking import mask_name

AS_OF = date(2026, 9, 30)
SURNAMES = [*"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾", "欧阳", "司马"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰")
FIRMS = ["上海某某投资管理有限公司", "北京某某资产管理合伙企业（有限合伙）",
         "深圳某某科技股份有限公司", "某某银行股份有限公司", "杭州某某私募基金管理有限公司"]
LEVEL_WORDS = {"vip": ("VIP", 4), "core": ("核心", 2), "potential": ("潜力", 1)}


def generate(managers: int, rows: int, seed: int = 20260930):
    """A schedule (date, manager_id, client_id, kind, level, reason), the managers table and
    the client names (a Series by client_id, as `publish` passes them)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2026-10-08", "2026-12-31")
    m_ids = np.array([f"M{i:04d}" for i in range(1, managers + 1)], dtype=object)
    n_clients = rows * 3 // 4
    c_ids = np.array([f"C{i:07d}" for i in range(n_clients)], dtype=object)
    kind = rng.choice(["visit", "birthday_greeting", "festival_greeting"], rows,
                      p=[0.975, 0.02, 0.005])
    level = rng.choice(list(LEVEL_WORDS), rows, p=[0.1, 0.6, 0.3])
    word = np.array([LEVEL_WORDS[v][0] for v in level], dtype=object)
    per_year = np.array([LEVEL_WORDS[v][1] for v in level])
    done = rng.integers(0, per_year)
    visit_reason = (word + " " + per_year.astype(str).astype(object) + "/年，已访 "
                    + done.astype(str).astype(object) + "，本季需 "
                    + (per_year - done).astype(str).astype(object))
    day = days[rng.integers(0, len(days), rows)]
    birthday = "生日 " + (day + pd.to_timedelta(rng.integers(0, 3, rows), unit="D")).strftime(
        "%m-%d").to_numpy(dtype=object)
    festival = np.where(day < pd.Timestamp("2026-10-19"), "重阳节问候（2026-10-18）",
                        "元旦问候（2027-01-01）")
    reason = np.select([kind == "visit", kind == "birthday_greeting"],
                       [visit_reason, birthday], festival)
    schedule = pd.DataFrame({
        "date": day, "manager_id": m_ids[rng.integers(0, managers, rows)],
        "client_id": c_ids[rng.integers(0, n_clients, rows)], "kind": kind, "level": level,
        "reason": reason})
    return schedule, staff_of(m_ids), names_of(c_ids, rng)


def staff_of(m_ids: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"manager_id": m_ids, "name": "经理" + m_ids,
                         "active": pd.array(np.ones(len(m_ids), bool), dtype="boolean")})


def names_of(c_ids: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """Chinese names, 3% institutions' and 2% missing."""
    n = len(c_ids)
    person = (np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
              + np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), n)]
              + np.where(rng.random(n) < 0.6, np.array(GIVEN, dtype=object)[
                  rng.integers(0, len(GIVEN), n)], ""))
    firm = np.array(FIRMS, dtype=object)[rng.integers(0, len(FIRMS), n)]
    pick = rng.random(n)
    name = np.where(pick < 0.03, firm, person).astype(object)
    name[pick > 0.98] = None
    return pd.Series(name, index=c_ids, name="name")


# -- baseline: the writer as it was before, one icalendar.Event per row ------------------------

def old_write_calendars(schedule, folder, *, managers=None, names=None, as_of=None):
    folder = Path(folder)
    rows = old_rows(schedule)
    titles = _titles(managers)  # unchanged by the new writer: shared
    ids = sorted(set(rows["manager_id"]) | set(titles))
    stamp_day = as_of if as_of is not None else (
        rows["date"].min() if not rows.empty else None)
    stamp = None if stamp_day is None else datetime.combine(stamp_day, datetime.min.time(), UTC)
    folder.mkdir(parents=True, exist_ok=True)
    grouped = {m: list(g.itertuples(index=False)) for m, g in rows.groupby("manager_id")}
    paths = []
    for manager in ids:
        cal = calendar_header(manager, titles.get(manager))
        for row in grouped.get(manager, []):
            cal.add_component(old_event(manager, row, names, stamp))
        path = folder / f"{manager}.ics"
        path.write_bytes(cal.to_ical())
        paths.append(path)
    return paths


def old_uid(manager_id, client_id, day, kind, reason=""):
    key = [manager_id, client_id, day.isoformat(), kind]
    if kind != "visit":
        key.append(reason)
    return hashlib.sha256("|".join(key).encode("utf-8")).hexdigest()[:32] + "@tiering"


def old_rows(schedule):
    out = schedule[["date", "manager_id", "client_id", "kind", "level", "reason"]].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.date
    for column in ("manager_id", "client_id", "kind", "level", "reason"):
        out[column] = out[column].astype("str")
    out["rank"] = out["kind"].map({k: i for i, k in enumerate(SUMMARY_WORDS)})
    out = out.sort_values(["manager_id", "date", "rank", "client_id", "reason"], kind="stable")
    visits = out["kind"] == "visit"
    out["slot"] = 0
    out.loc[visits, "slot"] = out.loc[visits].groupby(["manager_id", "date"]).cumcount()
    return out.reset_index(drop=True)


def old_event(manager, row, names: Mapping[str, str] | None, stamp):
    day: date = row.date
    event = Event()
    event.add("uid", old_uid(manager, row.client_id, day, row.kind, row.reason))
    event.add("dtstamp", stamp)
    if row.kind == "visit":
        zone = ZoneInfo(TZID)
        hour = SLOTS[row.slot % len(SLOTS)]
        begin = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        event.add("dtstart", begin)
        event.add("dtend", begin + timedelta(hours=VISIT_HOURS))
        event.add("transp", "OPAQUE")
    else:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    parts = [SUMMARY_WORDS[row.kind], row.client_id]
    if names is not None:
        masked = mask_name(names.get(row.client_id))
        if masked:
            parts.append(masked)
    event.add("summary", " ".join(parts))
    event.add("description", row.reason)
    event.add("categories", [SUMMARY_WORDS[row.kind]])
    return event


# -- measuring ----------------------------------------------------------------------------------

def timed(write: Callable, schedule, folder: Path, staff, names) -> tuple[float, float]:
    """Wall and CPU seconds (the machine may be shared: CPU time says what the code costs)."""
    t, cpu = time.perf_counter(), time.process_time()
    write(schedule, folder, managers=staff, names=names, as_of=AS_OF)
    return time.perf_counter() - t, time.process_time() - cpu


def traced_peak_mib(write: Callable, schedule, folder: Path, staff, names) -> float:
    tracemalloc.start()
    write(schedule, folder, managers=staff, names=names, as_of=AS_OF)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def disk_floor(files: list[Path], folder: Path) -> float:
    """Seconds to write the same bytes into as many new files."""
    data = [p.read_bytes() for p in files]
    folder.mkdir()
    t = time.perf_counter()
    for i, raw in enumerate(data):
        (folder / f"{i}.ics").write_bytes(raw)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=3100)
    parser.add_argument("--rows", type=int, default=210_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--slice", type=int, default=10, help="baseline on every n-th manager")
    parser.add_argument("--schedule", type=Path, help="a visit_schedule.csv to time instead")
    args = parser.parse_args()

    if args.schedule:
        schedule = pd.read_csv(args.schedule, dtype=str, encoding="utf-8-sig")
        schedule["date"] = pd.to_datetime(schedule["date"])
        staff = staff_of(np.array(sorted(schedule["manager_id"].unique()), dtype=object))
        names = names_of(np.array(sorted(schedule["client_id"].unique()), dtype=object),
                         np.random.default_rng(7))
    else:
        schedule, staff, names = generate(args.managers, args.rows)
    n = len(schedule)
    print(f"schedule: {n} rows, {schedule['manager_id'].nunique()} managers, kinds "
          f"{schedule['kind'].value_counts().to_dict()}")
    with tempfile.TemporaryDirectory(prefix="bench-calendars-") as tmp:
        root = Path(tmp)
        for i in range(args.repeat):
            s, cpu = timed(write_calendars, schedule, root / f"new{i}", staff, names)
            print(f"new writer, repeat {i + 1}: {s:6.2f} s ({cpu:.2f} s CPU)  "
                  f"{n / s:9,.0f} events/s")
        files = sorted((root / "new0").iterdir())
        print(f"files: {len(files)}, {sum(p.stat().st_size for p in files) / 2**20:.1f} MiB; "
              f"disk floor (same bytes, same number of files): "
              f"{disk_floor(files, root / 'floor'):.2f} s")
        print(f"new writer peak traced memory: "
              f"{traced_peak_mib(write_calendars, schedule, root / 'traced', staff, names):.0f}"
              " MiB")

        every = sorted(schedule["manager_id"].unique())[:: args.slice]
        part = schedule.loc[schedule["manager_id"].isin(every)]
        some = staff.loc[staff["manager_id"].isin(every)]
        k = len(part)
        print(f"slice: every {args.slice}th manager, {len(every)} managers, {k} rows")
        s_old, cpu_old = timed(old_write_calendars, part, root / "old", some, names)
        s_new, cpu_new = timed(write_calendars, part, root / "new-slice", some, names)
        print(f"old writer: {s_old:6.2f} s ({cpu_old:.2f} s CPU)  {k / s_old:9,.0f} events/s "
              f"(about {n / (k / s_old):.0f} s for all {n} rows)")
        print(f"new writer: {s_new:6.2f} s ({cpu_new:.2f} s CPU)  {k / s_new:9,.0f} events/s")
        print(f"old writer peak traced memory on the slice: "
              f"{traced_peak_mib(old_write_calendars, part, root / 'old-traced', some, names):.0f}"
              f" MiB; new on the slice: "
              f"{traced_peak_mib(write_calendars, part, root / 'new-traced', some, names):.0f}"
              " MiB")
        old = sorted((root / "old").iterdir())
        same = [p.name for p in old] == [p.name for p in sorted((root / "new-slice").iterdir())]
        differ = [p.name for p in old if p.read_bytes() != (root / "new-slice" / p.name)
                  .read_bytes()] if same else ["(file lists differ)"]
        print(f"byte-identical files: {len(old) - len(differ)} of {len(old)}"
              + (f"; differ: {differ[:5]}" if differ else ""))
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
