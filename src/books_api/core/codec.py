"""JSON <-> Python with exact numbers: every JSON number becomes a `Decimal`.

DynamoDB trims leading and trailing zeros of numbers; we canonicalize the same way so that
every store answers with the same digits. Integers print as integers, other numbers with
their exact decimals (never through float).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
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
    if len(text) <= 18 and "e" not in text and "E" not in text:
        # Short plain numbers are within DynamoDB's range: only trailing zeros to drop.
        value = Decimal(text)
        if not value:
            return Decimal(0)
        return value.normalize(_EXACT) if "." in text and text[-1] == "0" else value
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


_DECODER = decoder()


def loads(text: str | bytes) -> Any:
    """Parse JSON text; numbers become canonical `Decimal`s; raise ValidationFailed if bad."""
    try:
        return _DECODER.decode(text if isinstance(text, str) else text.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, ValidationFailed):
            raise
        raise ValidationFailed(f"Invalid JSON: {exc}") from None


def format_number(value: Decimal) -> str:
    """`12.99` stays `12.99`; integral values print as integers (`100`, not `1E+2`)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value, "f")


class _NeedsExactWriter(Exception):
    pass


def _as_exact_builtin(value: Any) -> Any:
    """A Decimal as the int or float that `json` prints with the very same digits."""
    if isinstance(value, Decimal):
        text = str(value)  # canonical numbers print plainly unless they need an exponent
        if "E" in text:
            text = format_number(value)
        if "." not in text:
            return int(text)
        number = float(text)
        if repr(number) == text:
            return number
    raise _NeedsExactWriter


# The C encoder handles the common case (prices such as 12.99 print the same through
# float); any other number sends the whole value through the exact writer below.
def _make_fast_encode() -> Callable[[Any], str]:
    if c_make_encoder is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_as_exact_builtin
        ).encode
    encoder = c_make_encoder(
        None, _as_exact_builtin, encode_basestring, None, ":", ",", False, False, False
    )
    return lambda value: "".join(encoder(value, 0))


_fast_encode = _make_fast_encode()


def dumps(value: Any) -> str:
    """Serialize to compact JSON; `Decimal`s keep their exact digits."""
    try:
        return _fast_encode(value)
    except (_NeedsExactWriter, ValueError):
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
