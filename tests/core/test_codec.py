from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from books_api.core import codec
from books_api.core.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("12.99", "12.99"),
        ("18.50", "18.5"),
        ("100", "100"),
        ("1e2", "100"),
        ("1E-7", "0.0000001"),
        ("-0.0", "0"),
        ("0.1", "0.1"),
        ("123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678"),
    ],
)
def test_numbers_keep_their_exact_value(text: str, printed: str) -> None:
    assert codec.dumps(codec.loads(text)) == printed


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "-Infinity", "1e400", "1.234567890123456789012345678901234567890"]
)
def test_numbers_dynamodb_cannot_store_are_rejected(text: str) -> None:
    with pytest.raises(ValidationFailed):
        codec.loads(text)


@pytest.mark.parametrize("text", ["{", "", "[1,]", "{'a': 1}", '"\\ud800', "[" * 100000])
def test_invalid_json_raises_validation_failed(text: str) -> None:
    with pytest.raises(ValidationFailed):
        codec.loads(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.text()
    | st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**20), max_value=10**20
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_dumps_then_loads_is_identity(value: object) -> None:
    normalized = codec.loads(codec.dumps(value))
    assert codec.loads(codec.dumps(normalized)) == normalized
    assert normalized == _canonical(value)


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return codec.canonical_number(value)
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    return value
