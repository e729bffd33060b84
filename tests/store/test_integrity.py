"""Bulk writes keep history honest, stores that fail say so in one line or a 503/507, and a
SQLite file that fills up keeps every acknowledged book."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from books_api.core.book_store import BookStore
from books_api.core.errors import PreconditionFailed, StoreFull
from books_api.store.sqlite import SQLiteBookStore


def test_overwrite_gives_the_next_version_so_a_stale_if_match_fails(store: BookStore) -> None:
    store.create({"book_id": "1", "name": "Old", "created_by": "alice", "created_at": "t0"})
    store.update("1", {"name": "Patched"})  # version 2: a client holds ETag "2"
    counts = store.write_many([{"book_id": "1", "name": "Imported"}], overwrite=True)
    assert (counts.created, counts.replaced, counts.skipped) == (0, 1, 0)
    replaced = store.get("1")
    assert replaced is not None
    assert replaced["version"] == 3
    assert replaced["name"] == "Imported"
    assert (replaced["created_by"], replaced["created_at"]) == ("alice", "t0")
    assert replaced["updated_by"] == "import"
    with pytest.raises(PreconditionFailed):
        store.update("1", {"name": "Lost update"}, expected_version=2)
    assert store.get("1") == replaced


def test_import_without_overwrite_skips_existing_books_and_counts_them(store: BookStore) -> None:
    store.create({"book_id": "1", "name": "Kept"})
    counts = store.write_many([{"book_id": "1", "name": "New"}, {"book_id": "2"}])
    assert (counts.created, counts.replaced, counts.skipped) == (1, 0, 1)
    assert store.get("1") == {"book_id": "1", "name": "Kept", "version": 1}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "books_api.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize("command", ["export", "import"])
def test_unreachable_dynamodb_endpoint_is_one_line_naming_it(
    command: str, tmp_path: Path, fake_aws_credentials: None
) -> None:
    source = tmp_path / "books.jsonl"
    source.write_text('{"book_id": "a"}\n', "utf-8")
    args = [source.as_posix()] if command == "import" else []
    endpoint = "http://127.0.0.1:9"  # the discard port: nothing listens
    result = _cli(
        command, *args, "--store", "dynamodb", "--table", "Nope", "--endpoint-url", endpoint
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("books-api: error: ")
    assert endpoint in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_table_without_create_table_is_one_line_naming_the_table(
    moto_endpoint: str, fake_aws_credentials: None
) -> None:
    result = _cli(
        "export", "--store", "dynamodb", "--table", "NoSuchTable", "--endpoint-url", moto_endpoint
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("books-api: error: ")
    assert "NoSuchTable" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_full_sqlite_file_refuses_writes_keeps_reads_and_every_acknowledged_book(
    tmp_path: Path,
) -> None:
    path = tmp_path / "small.db"
    store = SQLiteBookStore(path, max_bytes=64 * 1024)
    acknowledged: list[str] = []
    with pytest.raises(StoreFull) as refused:
        for number in range(10_000):
            book_id = f"book-{number:05d}"
            store.create({"book_id": book_id, "name": "x" * 500})
            acknowledged.append(book_id)
    assert refused.value.status == 507
    assert "space" in refused.value.message.lower() or "full" in refused.value.message.lower()
    assert acknowledged, "the limit must leave room for some books"
    assert all(store.get(book_id) is not None for book_id in acknowledged)
    assert store.get(f"book-{len(acknowledged):05d}") is None
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (count,) = db.execute("SELECT count(*) FROM books").fetchone()
    assert count == len(acknowledged)


def test_export_of_a_paged_dynamodb_table_holds_every_book(
    moto_endpoint: str, fake_aws_credentials: None, table_name: str, tmp_path: Path
) -> None:
    source = tmp_path / "books.jsonl"
    source.write_text("".join(json.dumps({"book_id": f"b{i:04d}"}) + "\n" for i in range(1500)))
    common = ["--store", "dynamodb", "--table", table_name, "--endpoint-url", moto_endpoint]
    imported = _cli("import", str(source), *common, "--create-table")
    assert imported.returncode == 0, imported.stderr
    exported = _cli("export", *common)
    assert exported.returncode == 0, exported.stderr
    ids = [json.loads(line)["book_id"] for line in exported.stdout.splitlines()]
    assert sorted(ids) == [f"b{i:04d}" for i in range(1500)]
