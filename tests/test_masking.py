"""Masking personal data: names, phone numbers, ID numbers, e-mail addresses, whole frames."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiering.masking import (
    mask_email,
    mask_frame,
    mask_id_number,
    mask_name,
    mask_phone,
)

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧***"),
        ("张", "*"),
        (" 王五 ", "王*"),
        ("", ""),
    ],
)
def test_person_name_keeps_only_the_first_character(name: str, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("上海某某投资管理有限公司", "上海******有限公司"),
        ("深圳前海某某基金管理合伙企业", "深圳********合伙企业"),
        ("北京某某科技中心", "北京***技中心"),  # 8 characters: keeps the last 3
        ("招商银行", "招商*行"),  # short: at least half hidden
        ("某基金", "某*金"),
    ],
)
def test_institution_name_keeps_the_first_two_and_last_four(name: str, expected: str) -> None:
    assert mask_name(name) == expected


def test_name_longer_than_six_characters_is_masked_as_an_institution() -> None:
    assert mask_name("阿卜杜热合曼") == "阿*****"  # 6: a person
    assert mask_name("阿卜杜热合曼买") == "阿卜**合曼买"  # 7: an institution


def test_name_kind_can_be_forced() -> None:
    assert mask_name("招商银行", institution=False) == "招***"
    assert mask_name("张三丰", institution=True) == "张*丰"


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_values_stay_missing(missing: object) -> None:
    assert mask_name(missing) is None
    assert mask_phone(missing) is None
    assert mask_id_number(missing) is None
    assert mask_email(missing) is None


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812341234", "138****1234"),
        (13812341234, "138****1234"),
        (13812341234.0, "138****1234"),  # a phone column read as float
        ("010-12345678", "010*****5678"),
        ("+8613812341234", "+86*******1234"),
        ("12345678", "123*5678"),
        ("1234567", "*****67"),
        ("123", "*23"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_phone_keeps_first_three_and_last_four(phone: object, expected: str) -> None:
    assert mask_phone(phone) == expected


# --------------------------------------------------------------------------- ID numbers


@pytest.mark.parametrize(
    ("id_number", "expected"),
    [
        ("11010519491231002X", "110105********002X"),
        ("110105491231002", "110105******002"),  # the 15-digit ID: birth date hidden
        ("91310000MA1FL1234X", "913100********234X"),  # a credit code has 18 characters too
        ("E12345678", "E1*****78"),
        ("12345", "*****"),
    ],
)
def test_id_number_hides_the_birth_date(id_number: str, expected: str) -> None:
    assert mask_id_number(id_number) == expected


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("zhangsan@example.com", "z*******@example.com"),
        ("ab@example.com", "a*@example.com"),
        ("a@example.com", "*@example.com"),
        ("no-at-sign", "n*********"),
    ],
)
def test_email_keeps_first_character_and_domain(email: str, expected: str) -> None:
    assert mask_email(email) == expected


# --------------------------------------------------------------------------- invariants


_TEXT = st.text(alphabet=st.sampled_from("张三李四公司基金0123456789abcX@.-"), max_size=24)


_MASKS = (
    partial(mask_name, institution=False),
    partial(mask_name, institution=True),
    mask_phone,
    mask_id_number,
    mask_email,
)


@given(_TEXT)
def test_masking_is_idempotent_and_keeps_the_length(text: str) -> None:
    # (a name left to detection may read differently once masked: 某公司 → 某*司 → 某**)
    for mask in _MASKS:
        once = mask(text)
        assert mask(once) == once
        assert len(once) == len(text.strip())


# --------------------------------------------------------------------------- frames


def _clients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_id": ["C1", "C2", "C3", "C4"],
            "name": ["张三", "上海某某投资管理有限公司", "招商银行", None],
            "client_type": ["individual", "institution", "institution", "individual"],
            "phone": ["13812341234", "021-12345678", None, "13900001111"],
            "id_number": ["11010519491231002X", None, "91310000MA1FL1234X", "110105491231002"],
            "email": ["zhangsan@example.com", None, "ir@bank.cn", None],
            "assets": [1.0, 2.0, np.nan, 4.0],
        },
        index=[10, 11, 12, 13],
    )


def test_mask_frame_masks_the_personal_columns_and_keeps_missing_values() -> None:
    df = _clients()
    masked = mask_frame(df)
    expected = pd.DataFrame(
        {
            "client_id": ["C1", "C2", "C3", "C4"],
            "name": ["张*", "上海******有限公司", "招商*行", None],
            "client_type": ["individual", "institution", "institution", "individual"],
            "phone": ["138****1234", "021*****5678", None, "139****1111"],
            "id_number": ["110105********002X", None, "913100********234X", "110105******002"],
            "email": ["z*******@example.com", None, "i*@bank.cn", None],
            "assets": [1.0, 2.0, np.nan, 4.0],
        },
        index=[10, 11, 12, 13],
    )
    pd.testing.assert_frame_equal(masked, expected)
    assert df.loc[10, "name"] == "张三"  # the input is not modified


def test_mask_frame_uses_client_type_over_the_name() -> None:
    df = pd.DataFrame({"name": ["招商银行", "张三丰"], "client_type": ["individual", None]})
    assert mask_frame(df)["name"].tolist() == ["招***", "张**"]


def test_mask_frame_disabled_returns_an_unmasked_copy() -> None:
    df = _clients()
    out = mask_frame(df, enabled=False)
    pd.testing.assert_frame_equal(out, df)
    assert out is not df


def test_mask_frame_without_personal_columns_is_unchanged() -> None:
    df = pd.DataFrame({"client_id": ["C1"], "tier": ["A"]})
    pd.testing.assert_frame_equal(mask_frame(df), df)


def test_mask_frame_handles_object_columns_of_numbers() -> None:
    df = pd.DataFrame({"phone": pd.Series([13812341234, None], dtype=object)})
    assert mask_frame(df)["phone"].tolist() == ["138****1234", None]


def test_mask_frame_masks_100_000_rows() -> None:
    n = 100_000
    df = pd.DataFrame(
        {
            "name": [f"张{i}" for i in range(n)],
            "phone": [str(13800000000 + i) for i in range(n)],
            "email": [None] * n,
        }
    )
    masked = mask_frame(df)
    assert masked.loc[n - 1, "phone"] == "138****9999"
    assert masked["name"].str.startswith("张*").all()
    assert masked["email"].isna().all()
