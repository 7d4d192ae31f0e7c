"""Column-wise number text: exactly what Python's format writes, a whole column at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tiering.number_text import decimal_text, str_array


def test_decimal_text_groups_thousands_and_rounds_the_binary_value_half_to_even():
    values = np.array([1234.5, -1234.5, 1234567.891, 0.125, 0.375, 2.675, -0.001, 0.0, 999.999,
                       1e15, float("nan"), float("inf")])
    # 0.125 and 0.375 are exact binary halves: to even, 0.12 and 0.38; 2.675 is stored just
    # below (2.67499…), so 2.67; -0.001 keeps its sign as Python does; 999.999 carries to
    # 1,000.00; 1e15 and nan/inf are left to Python itself
    assert decimal_text(values, 2).to_pylist() == [
        "1,234.50", "-1,234.50", "1,234,567.89", "0.12", "0.38", "2.67", "-0.00", "0.00",
        "1,000.00", "1,000,000,000,000,000.00", "nan", "inf"]


def test_decimal_text_without_decimals_and_with_four():
    assert decimal_text(np.array([0.5, 1.5, 2.5, 1234567.0]), 0).to_pylist() == [
        "0", "2", "2", "1,234,567"]
    # 0.00005 is stored just above (5.0000000000000004e-05): it rounds up
    assert decimal_text(np.array([1234.5, 0.00005]), 4).to_pylist() == ["1,234.5000", "0.0001"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e13,
                          max_value=1e13), min_size=1, max_size=30),
       st.sampled_from([0, 2, 4]))
def test_decimal_text_is_pythons_format(values, decimals):
    got = decimal_text(np.array(values), decimals).to_pylist()
    assert got == [f"{v:,.{decimals}f}" for v in values]


def test_str_array_is_pandas_str():
    import pyarrow as pa

    out = pd.Series(str_array(pa.array(["a", None, "丙"])))
    assert out.dtype == pd.StringDtype(na_value=np.nan)
    assert out.tolist()[0] == "a" and pd.isna(out.tolist()[1]) and out.tolist()[2] == "丙"


def test_among_looks_text_up_in_a_pool_and_falls_back_to_isin():
    from tiering.number_text import among

    values = pd.Series(["C1", "C2", None, "C9"], dtype="str")
    pool = pd.Series(["C9", "C1", "C5"], dtype="str")
    assert among(values, pool).tolist() == [True, False, False, True]  # missing: not among
    assert among(pd.Series([1, 2, 3]), pd.Series([3, 1])).tolist() == [True, False, True]


def test_among_takes_an_object_pool_of_text_through_arrow_and_a_mixed_one_through_isin():
    from tiering.number_text import among

    values = pd.Series(["C1", "C2", "C9"], dtype="str")
    # a merged frame's ids come back as object: the same answer as a text pool
    assert among(values, pd.Series(["C9", "C1", None], dtype=object)).tolist() == [
        True, False, True]
    assert among(values, pd.Series([], dtype=object)).tolist() == [False, False, False]
    # a pool holding a number is not text: pandas' isin decides (1 is not "C1")
    assert among(values, pd.Series([1, "C2"], dtype=object)).tolist() == [False, True, False]


def test_positions_finds_each_value_first_occurrence_in_the_keys():
    from tiering.number_text import positions

    keys = pd.Series(["C7", "C1", "C7", None], dtype="str")
    values = pd.Series(["C1", "C7", "C2", None], dtype="str")
    # C1 at 1, C7 first at 0, C2 nowhere, and a missing value matches not even a missing key
    assert positions(values, keys).tolist() == [1, 0, -1, -1]
    assert positions(values, pd.Index(["C7", "C1"], dtype=object)).tolist() == [1, 0, -1, -1]
    assert positions(values, pd.Index([], dtype=object)).tolist() == [-1, -1, -1, -1]
    # not text: pandas' index look-up gives the same answers
    assert positions(pd.Series([3, 1, 2, np.nan]), pd.Index([1.0, 3.0, 1.0, np.nan])).tolist() \
        == [1, 0, -1, -1]


def test_look_up_is_map_with_a_default():
    from tiering.number_text import look_up

    values = pd.Series(["b", "x", None, "a"], dtype="str")
    assert look_up(values, pd.Index(["a", "b"]), np.array([1.5, 2.5]), 0.0).tolist() == [
        2.5, 0.0, 0.0, 1.5]
    labels = look_up(values, pd.Series(["a", "b"]), np.array(["甲", "乙"], dtype=object))
    assert labels[[0, 3]].tolist() == ["乙", "甲"] and pd.isna(labels[1]) and pd.isna(labels[2])
    # every value found: the targets' own dtype (whole numbers stay whole)
    assert look_up(values[[0, 3]], pd.Index(["a", "b"]), np.array([1, 2])).tolist() == [2, 1]
