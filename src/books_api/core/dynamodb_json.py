"""DynamoDB JSON (`{"S": "1"}`, `{"N": "12.99"}`, ...) <-> plain values with `Decimal`s."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from books_api.core.codec import canonical_number, format_number
from books_api.core.errors import ValidationFailed


def from_attribute(attribute: Any) -> Any:  # noqa: C901 - one branch per DynamoDB type
    """Decode one typed DynamoDB attribute value."""
    if not isinstance(attribute, dict) or len(attribute) != 1:
        raise ValidationFailed("A DynamoDB attribute must be an object with one type key")
    ((kind, value),) = attribute.items()
    if kind == "S" and isinstance(value, str):
        return value
    if kind == "N" and isinstance(value, str | int | Decimal):
        try:
            return canonical_number(Decimal(str(value)))
        except ArithmeticError as exc:
            raise ValidationFailed(f"Invalid number: {value}") from exc
    if kind == "BOOL" and isinstance(value, bool):
        return value
    if kind == "NULL":
        return None
    if kind == "L" and isinstance(value, list):
        return [from_attribute(item) for item in value]
    if kind == "M" and isinstance(value, dict):
        return {key: from_attribute(item) for key, item in value.items()}
    if kind == "SS" and isinstance(value, list):
        return [str(item) for item in value]
    if kind == "NS" and isinstance(value, list):
        return [canonical_number(Decimal(str(item))) for item in value]
    raise ValidationFailed(f"Unsupported DynamoDB attribute type: {kind}")


def from_item(item: Any) -> dict[str, Any]:
    """Decode a whole DynamoDB item (a map of attribute name to typed value)."""
    if not isinstance(item, dict):
        raise ValidationFailed("A DynamoDB item must be an object")
    return {name: from_attribute(value) for name, value in item.items()}


def to_attribute(value: Any) -> dict[str, Any]:
    """Encode one plain value as a typed DynamoDB attribute."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Decimal | int):
        return {"N": format_number(Decimal(value))}
    if isinstance(value, list):
        return {"L": [to_attribute(item) for item in value]}
    if isinstance(value, dict):
        return {"M": {key: to_attribute(item) for key, item in value.items()}}
    raise TypeError(f"Cannot encode {type(value).__name__} as DynamoDB JSON")


def to_item(book: dict[str, Any]) -> dict[str, Any]:
    return {name: to_attribute(value) for name, value in book.items()}
