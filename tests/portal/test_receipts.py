"""Receipt codes: format, tolerant parsing, and deterministic derivation."""

from __future__ import annotations

import base64
import re

import pytest

from portal.receipts import ReceiptCodeInvalid, ReceiptDeriver, new_code, normalize_code

CODE = "4821-0937-5512-0046-7720-3391-0158"


@pytest.fixture
def deriver() -> ReceiptDeriver:
    return ReceiptDeriver(b"pepper-for-tests", memory_kib=64, iterations=1)


def test_new_codes_are_seven_groups_of_four_digits_and_differ():
    codes = {new_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(re.fullmatch(r"\d{4}(-\d{4}){6}", code) for code in codes)


@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        CODE.replace("-", " "),
        CODE.replace("-", ""),
        f"  {CODE}\n",
        "4821 0937-5512  0046 7720\u20133391 0158",
    ],
)
def test_codes_are_read_however_they_are_spaced(typed: str):
    assert normalize_code(typed) == CODE.replace("-", "")


@pytest.mark.parametrize(
    "typed", ["", "4821-0937", CODE + "-1", CODE.replace("4821", "48a1"), "٤٨٢١" * 7]
)
def test_malformed_codes_are_refused_without_echoing_them(typed: str):
    with pytest.raises(ReceiptCodeInvalid) as caught:
        normalize_code(typed)
    if typed:
        assert typed not in str(caught.value)


def test_same_code_gives_same_lookup_id_and_key(deriver: ReceiptDeriver):
    first = deriver.derive(CODE)
    again = deriver.derive(CODE.replace("-", " "))
    assert first.lookup_id == again.lookup_id
    assert first.public_key == again.public_key
    assert first.private_key.raw == again.private_key.raw
    assert re.fullmatch(r"[0-9a-f]{64}", first.lookup_id)
    assert len(first.public_key) == 32
    assert first.reply_to() == {
        "lookup_id": first.lookup_id,
        "public_key": base64.b64encode(first.public_key).decode(),
    }


def test_different_code_or_pepper_gives_different_keys(deriver: ReceiptDeriver):
    base = deriver.derive(CODE)
    other_code = deriver.derive(CODE[:-1] + "9")
    other_pepper = ReceiptDeriver(b"another-pepper", memory_kib=64, iterations=1).derive(CODE)
    for other in (other_code, other_pepper):
        assert other.lookup_id != base.lookup_id
        assert other.public_key != base.public_key


def test_issued_receipt_matches_its_code(deriver: ReceiptDeriver):
    issued = deriver.issue()
    assert deriver.derive(issued.code).lookup_id == issued.lookup_id
    assert issued.code not in repr(issued)
