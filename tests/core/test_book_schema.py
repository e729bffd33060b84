"""The Book schema in openapi/books.yaml and the rules in core/book.py say the same thing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from books_api.core.book import (
    ATTRIBUTE_NAME,
    MAX_BOOK_BYTES,
    MAX_BOOK_ID_LENGTH,
    RESERVED_ATTRIBUTES,
)

DOCUMENT: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[2] / "openapi" / "books.yaml").read_text("utf-8")
)
SCHEMAS = DOCUMENT["components"]["schemas"]


def test_book_id_length_matches_the_document() -> None:
    for schema in ("Book", "UpdateRequest", "DeleteRequest"):
        book_id = SCHEMAS[schema]["properties"]["book_id"]
        assert (book_id["minLength"], book_id["maxLength"]) == (1, MAX_BOOK_ID_LENGTH)


def test_attribute_name_pattern_matches_the_document() -> None:
    assert SCHEMAS["Book"]["x-attribute-name-pattern"] == f"^{ATTRIBUTE_NAME.pattern}$"
    assert SCHEMAS["UpdateRequest"]["properties"]["update_key"]["pattern"] == (
        f"^{ATTRIBUTE_NAME.pattern}$"
    )


def test_reserved_names_are_the_read_only_fields_of_the_document() -> None:
    properties = SCHEMAS["Book"]["properties"]
    read_only = {name for name, schema in properties.items() if schema.get("readOnly")}
    assert read_only == RESERVED_ATTRIBUTES - {"book_id"}
    refused = set(SCHEMAS["UpdateRequest"]["properties"]["update_key"]["not"]["enum"])
    assert refused == RESERVED_ATTRIBUTES


def test_item_size_limit_matches_the_document() -> None:
    assert SCHEMAS["Book"]["x-max-item-bytes"] == MAX_BOOK_BYTES


def test_writes_document_412_and_503() -> None:
    book = DOCUMENT["paths"]["/book"]
    for method in ("patch", "delete"):
        assert {"412", "503"} <= set(book[method]["responses"])
        assert book[method]["parameters"][0]["$ref"].endswith("/IfMatch")
