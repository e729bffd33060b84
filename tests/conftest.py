from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.books_gateway import RunningGateway, books_gateway


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    """The Books API gateway on a real socket, over a fresh SQLite file, for the session."""
    with books_gateway(tmp_path_factory.mktemp("books")) as running:
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client
