"""Writing outputs: exact CSV and JSON bytes, and publishing through a staging folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.loading import read_table
from tiering.writing import staged_output, write_csv, write_json

# --------------------------------------------------------------------------- write_csv


def _tiny_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": ["C002", "C001", "C003"],
            "as_of": pd.to_datetime(["2024-03-31", "2024-03-31", None]),
            "override": [True, False, True],
            "assets": [1234.5, -0.001, np.nan],
            "name": ["李四", "a,b", None],
            "count": [2, 1, 3],
        },
        index=[10, 11, 12],
    )


def test_write_csv_exact_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(_tiny_frame(), path, sort_by=["client_id"])
    expected = (
        "\ufeffclient_id,as_of,override,assets,name,count\n"
        'C001,2024-03-31,false,0.00,"a,b",1\n'
        "C002,2024-03-31,true,1234.50,李四,2\n"
        "C003,,true,,,3\n"
    ).encode()
    assert path.read_bytes() == expected


def test_write_csv_is_byte_identical_on_a_second_write(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(_tiny_frame(), first, sort_by=["client_id"])
    write_csv(_tiny_frame().sample(frac=1, random_state=1), second, sort_by=["client_id"])
    assert first.read_bytes() == second.read_bytes()
    write_csv(_tiny_frame(), first, sort_by=["client_id"])
    assert first.read_bytes() == second.read_bytes()


def test_write_csv_never_writes_negative_zero(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    frame = pd.DataFrame({"x": [-0.0, -0.004, -0.005001, 0.004],
                          "y": pd.array([-0.0, None, 1.0, -1e-9], dtype="Float64")})
    write_csv(frame, path)
    assert path.read_bytes() == b"\xef\xbb\xbfx,y\n0.00,0.00\n0.00,\n-0.01,1.00\n0.00,0.00\n"
    write_csv(frame, path, float_format="%.4f")
    assert b"-0.0000" not in path.read_bytes()


def test_write_csv_sort_is_stable_and_index_dropped(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    frame = pd.DataFrame({"k": ["b", "a", "b", "a"], "v": [1, 2, 3, 4]}, index=[9, 8, 7, 6])
    write_csv(frame, path, sort_by=["k"])
    assert path.read_text(encoding="utf-8-sig") == "k,v\na,2\na,4\nb,1\nb,3\n"


def test_write_csv_nullable_and_object_columns(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    frame = pd.DataFrame({
        "flag": pd.array([True, None], dtype="boolean"),
        "n": pd.array([1, None], dtype="Int64"),
        "mixed": [True, dt.date(2024, 1, 2)],
        "text": pd.array(["x", None], dtype="string"),
    })
    write_csv(frame, path)
    expected = "flag,n,mixed,text\ntrue,1,true,x\n,,2024-01-02,\n"
    assert path.read_text(encoding="utf-8-sig") == expected


def test_write_csv_keeps_the_time_of_day_when_there_is_one(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"at": pd.to_datetime(["2024-01-02 10:30", "2024-01-03 00:00"])}), path)
    assert path.read_text(encoding="utf-8-sig") == "at\n2024-01-02T10:30:00\n2024-01-03T00:00:00\n"


def test_write_csv_rounds_like_printf_and_quotes_what_needs_it(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    frame = pd.DataFrame({
        # 0.125 and 0.375 are exact binary ties: half to even gives 0.12 and 0.38; 2.675 is
        # stored as 2.67499999…, so 2.67; 1e15 + 0.125 keeps its eighth (2**-3 ≥ one ulp)
        "x": [0.125, 0.375, 2.675, 1e15 + 0.125, float("inf")],
        # "#" is quoted too (DuckDB's writer treats it as a comment mark); a carriage return
        # is a line break; empty text is written as nothing, like a missing value
        "t": pd.array(["a#b", "", "c\rd", 'say "hi"', None], dtype="str"),
    })
    write_csv(frame, path)
    assert path.read_bytes().decode("utf-8-sig") == (
        'x,t\n0.12,"a#b"\n0.38,\n2.67,"c\rd"\n1000000000000000.12,"say ""hi"""\ninf,\n')


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12,
                          max_value=1e12), min_size=1, max_size=20))
def test_write_csv_floats_are_pythons_fixed_point_text(tmp_path_factory, values) -> None:
    path = tmp_path_factory.mktemp("floats") / "x.csv"
    write_csv(pd.DataFrame({"x": values}), path)
    expected = ["0.00" if f"{v:.2f}" == "-0.00" else f"{v:.2f}" for v in values]  # printf %.2f
    assert path.read_text(encoding="utf-8-sig").splitlines()[1:] == expected


def test_write_csv_object_columns_of_text_and_of_mixed_values(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    frame = pd.DataFrame({
        "text": pd.Series(["a", None, np.nan, "", "b"], dtype=object),  # text passed through
        "mixed": pd.Series(["a", 1.5, True, None, dt.date(2024, 1, 2)], dtype=object),
        "empty": pd.Series([None] * 5, dtype=object),
    })
    write_csv(frame, path)
    assert path.read_text(encoding="utf-8-sig") == (
        "text,mixed,empty\na,a,\n,1.50,\n,true,\n,,\nb,2024-01-02,\n")


def test_write_csv_writes_only_the_header_for_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"a b": pd.Series([], dtype=float), "c,d": []}), path)
    assert path.read_bytes() == b'\xef\xbb\xbfa b,"c,d"\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no working file left


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")) | st.sampled_from(
        [" ", ",", '"', "\n", "0"]),
    min_size=1, max_size=12,
).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cell, _cell), min_size=1, max_size=8))
def test_text_written_by_write_csv_reads_back_unchanged(tmp_path_factory, rows) -> None:
    path = tmp_path_factory.mktemp("roundtrip") / "clients.csv"
    frame = pd.DataFrame(rows, columns=["client_id", "name"])
    write_csv(frame, path)
    back = read_table(path, "clients")
    assert back["client_id"].tolist() == frame["client_id"].tolist()
    assert back["name"].tolist() == frame["name"].tolist()
    assert back.index.tolist() == list(range(2, len(rows) + 2))


# --------------------------------------------------------------------------- write_json


@dataclasses.dataclass
class _Run:
    when: dt.date
    where: Path


def test_write_json_layout(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    write_json({
        "name": "分类",
        "count": np.int64(3),
        "share": np.float64(0.25),
        "missing": float("nan"),
        "as_of": pd.Timestamp("2024-03-31"),
        "started": dt.datetime(2024, 4, 1, 9, 30),
        "input": Path("data") / "clients.csv",
        "flags": {np.bool_(True), False},
        "run": _Run(dt.date(2024, 1, 2), Path("out")),
        "b": [1, 2],
    }, path)
    text = path.read_bytes().decode("utf-8")
    assert text.endswith("}\n") and "\r" not in text
    assert '"name": "分类"' in text
    assert text.startswith('{\n  "as_of": "2024-03-31",\n  "b": [\n    1,\n    2\n  ],')
    assert json.loads(text) == {
        "as_of": "2024-03-31", "b": [1, 2], "count": 3, "flags": [False, True],
        "input": "data/clients.csv", "missing": None, "name": "分类",
        "run": {"when": "2024-01-02", "where": "out"}, "share": 0.25,
        "started": "2024-04-01T09:30:00",
    }


def test_write_json_is_byte_identical_and_rejects_unknown_objects(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_json({"z": 1, "a": {"y": 2, "x": 3}}, a)
    write_json({"a": {"x": 3, "y": 2}, "z": 1}, b)
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(TypeError, match="object"):
        write_json({"x": object()}, a)


# --------------------------------------------------------------------------- staged_output


def _seed(out_dir: Path) -> None:
    out_dir.mkdir()
    (out_dir / "classification.csv").write_text("old")
    (out_dir / "keep.txt").write_text("kept")


def test_staged_output_replaces_files_when_the_block_succeeds(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    _seed(out_dir)
    with staged_output(out_dir) as staging:
        assert staging.parent == out_dir.parent and staging.is_dir()
        assert not any(staging.iterdir())
        (staging / "classification.csv").write_text("new")
        (staging / "reports").mkdir()
        (staging / "reports" / "q1.csv").write_text("report")
        assert (out_dir / "classification.csv").read_text() == "old"  # not yet published
    assert (out_dir / "classification.csv").read_text() == "new"
    assert (out_dir / "keep.txt").read_text() == "kept"
    assert (out_dir / "reports" / "q1.csv").read_text() == "report"
    assert not staging.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staged_output_leaves_the_old_folder_intact_when_the_block_raises(
        tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    _seed(out_dir)
    with pytest.raises(RuntimeError, match="boom"), staged_output(out_dir) as staging:
        (staging / "classification.csv").write_text("half")
        raise RuntimeError("boom")
    assert (out_dir / "classification.csv").read_text() == "old"
    assert sorted(p.name for p in out_dir.iterdir()) == ["classification.csv", "keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_staged_output_creates_the_output_folder(tmp_path: Path) -> None:
    out_dir = tmp_path / "new" / "out"
    with staged_output(out_dir) as staging:
        write_csv(pd.DataFrame({"a": [1]}), staging / "a.csv")
    assert (out_dir / "a.csv").read_text(encoding="utf-8-sig") == "a\n1\n"


def test_staged_output_does_not_create_the_folder_on_error(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    with pytest.raises(KeyError), staged_output(out_dir):
        raise KeyError("x")
    assert not out_dir.exists()
    assert list(tmp_path.iterdir()) == []


def test_write_csv_sorts_by_one_key_with_ties_and_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    # already in order (ties keep their order), then out of order, then a missing key last
    write_csv(pd.DataFrame({"k": ["a", "a", "b"], "v": [2, 1, 3]}), path, sort_by=["k"])
    assert path.read_text(encoding="utf-8-sig") == "k,v\na,2\na,1\nb,3\n"
    write_csv(pd.DataFrame({"k": ["b", None, "a"], "v": [1, 2, 3]}), path, sort_by=["k"])
    assert path.read_text(encoding="utf-8-sig") == "k,v\na,3\nb,1\n,2\n"
