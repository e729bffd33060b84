"""Swagger UI in a real headless Chromium (Debian's), driven by Playwright: the Books API's
five operations, and Try it out on GET /books with a token."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.support.books_gateway import RunningGateway, books_gateway

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).parents[2] / "docs" / "swagger-ui.png"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    with books_gateway(tmp_path_factory.mktemp("docs-books")) as running:
        yield running


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make system-tools` (Debian chromium)")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        # A new empty profile each run (Playwright's `--user-data-dir`).
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 1400},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def test_swagger_ui_lists_the_five_operations(books: RunningGateway, page: Any) -> None:
    page.goto(books.url.removesuffix("/prod") + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    methods = page.locator(".opblock-summary-method").all_inner_texts()
    operations = sorted(zip(methods, (s.replace("\u200b", "") for s in summaries), strict=True))
    assert operations == [
        ("DELETE", "/book"),
        ("GET", "/book"),
        ("GET", "/books"),
        ("PATCH", "/book"),
        ("POST", "/book"),
    ]


def test_try_it_out_on_get_books_with_a_token_shows_the_five_books(
    books: RunningGateway, page: Any, tmp_path: Path
) -> None:
    page.goto(books.url.removesuffix("/prod") + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    page.click("button.authorize")
    page.fill(".auth-container input[type=text]", f"Bearer {books.token()}")
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")
    block = page.locator("#operations-default-listBooks")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=20_000)
    assert status.inner_text().strip() == "200"
    body = block.locator(".live-responses-table tbody .microlight").first.inner_text()
    for book_id in ("1", "2", "3", "4", "5"):
        assert f'"book_id": "{book_id}"' in body
    # UPDATE_SCREENSHOT=1 refreshes the picture kept in docs/.
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") else tmp_path / SCREENSHOT.name
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size > 10_000
