"""Whatever a client sends to the book routes, the answer is a 2xx or a 4xx with a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.books_gateway import RunningGateway, books_gateway

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
names = st.one_of(
    st.sampled_from(["book_id", "name", "author", "price", "languages", "version", "created_by"]),
    st.text(max_size=70),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(values, st.dictionaries(names, values, max_size=6))
raw_texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(['{"book_id": "x", "price": 1e999}', '{"book_id": "\\ud800"}', "[" * 5000]),
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """A gateway of its own: the bodies below create, change and delete books at random."""
    with books_gateway(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code >= 400 and "status" in body:
        assert isinstance(body["data"], str) and body["data"]


def send(http: httpx.Client, api: RunningGateway, method: str, content: str) -> httpx.Response:
    headers = {"authorizationToken": f"Bearer {api.token()}"}
    return http.request(method, f"{api.url}/book", headers=headers, content=content.encode())


@SETTINGS
@given(body=bodies, method=st.sampled_from(["POST", "PATCH", "DELETE"]))
def test_any_json_body_is_answered_without_a_server_error(
    http: httpx.Client, api: RunningGateway, body: Any, method: str
) -> None:
    check(send(http, api, method, json.dumps(body)))


@SETTINGS
@given(key=names, value=values)
def test_any_patch_of_an_existing_book_is_answered_without_a_server_error(
    http: httpx.Client, api: RunningGateway, key: str, value: Any
) -> None:
    body = {"book_id": "1", "update_key": key, "update_value": value}
    check(send(http, api, "PATCH", json.dumps(body)))


@SETTINGS
@given(text=raw_texts, method=st.sampled_from(["POST", "PATCH", "DELETE"]))
def test_any_raw_text_body_is_answered_without_a_server_error(
    http: httpx.Client, api: RunningGateway, text: str, method: str
) -> None:
    check(send(http, api, method, text))


@SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "next_token", "book_id"]), st.text(max_size=60), max_size=3
    ),
    path=st.sampled_from(["/books", "/book"]),
)
def test_any_query_is_answered_without_a_server_error(
    http: httpx.Client, api: RunningGateway, params: dict[str, str], path: str
) -> None:
    headers = {"authorizationToken": f"Bearer {api.token()}"}
    check(http.get(f"{api.url}{path}", params=params, headers=headers))
