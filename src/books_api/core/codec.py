"""JSON <-> Python with exact numbers: every JSON number becomes a `Decimal`.

DynamoDB trims leading and trailing zeros of numbers; we canonicalize the same way so that
every store answers with the same digits. Integers print as integers, other numbers with
their exact decimals (never through float).
"""

from __future__ import annotations

import json
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from books_api.core.errors import ValidationFailed

# DynamoDB numbers: up to 38 significant digits, magnitude within 1E-130 .. 9.9999E+125.
MAX_DIGITS = 38
MAX_EXPONENT = 125
MIN_EXPONENT = -130
# Wide enough that normalize() never rounds what we then check against MAX_DIGITS.
_EXACT = Context(prec=1000, Emax=999_999, Emin=-999_999)

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def _reject_constant(name: str) -> Any:
    raise ValidationFailed(f"Invalid JSON: {name} is not a number")


def _to_number(text: str) -> Decimal:
    try:
        return canonical_number(Decimal(text))
    except InvalidOperation as exc:  # pragma: no cover - json only hands valid numbers
        raise ValidationFailed(f"Invalid number: {text}") from exc


def canonical_number(value: Decimal) -> Decimal:
    """Return `value` without trailing zeros, or raise if DynamoDB could not store it."""
    if not value.is_finite():
        raise ValidationFailed("Numbers must be finite")
    if value.is_zero():
        return Decimal(0)
    value = value.normalize(_EXACT)
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > MAX_DIGITS:
        raise ValidationFailed(f"Numbers may have at most {MAX_DIGITS} significant digits")
    magnitude = exponent + len(digits) - 1
    if magnitude > MAX_EXPONENT or magnitude < MIN_EXPONENT:
        raise ValidationFailed("Number out of range")
    return value


def decoder() -> json.JSONDecoder:
    """A decoder whose numbers become canonical `Decimal`s (for `raw_decode` over streams)."""
    return json.JSONDecoder(
        parse_float=_to_number, parse_int=_to_number, parse_constant=_reject_constant
    )


def loads(text: str | bytes) -> Any:
    """Parse JSON text; numbers become canonical `Decimal`s; raise ValidationFailed if bad."""
    try:
        return json.loads(
            text,
            parse_float=_to_number,
            parse_int=_to_number,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, ValidationFailed):
            raise
        raise ValidationFailed(f"Invalid JSON body: {exc}") from None


def format_number(value: Decimal) -> str:
    """`12.99` stays `12.99`; integral values print as integers (`100`, not `1E+2`)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value, "f")


def dumps(value: Any) -> str:
    """Serialize to compact JSON; `Decimal`s keep their exact digits."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:  # noqa: C901 - one branch per JSON type
    if isinstance(value, str):
        out.append(_encode_str(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(format_number(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format_number(Decimal(repr(value))))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_encode_str(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple | set | frozenset):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"Cannot serialize {type(value).__name__}")
