"""`books-api import` and `books-api export` as a user runs them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from books_api.cli import main


def test_import_lists_invalid_records_and_fails_without_a_progress_bar_off_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "books.jsonl"
    source.write_text('{"book_id": "a"}\n{"book_id": "b", "price": "free"}\n', "utf-8")
    db = tmp_path / "books.db"
    assert main(["import", str(source), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"{source}:2: Field 'price' must be a non-negative number" in err
    assert (
        "Imported 1 books: 1 created, 0 replaced, 0 skipped (id exists), 1 invalid (of 2 records)"
        in err
    )
    assert "\r" not in err


def test_export_to_a_file_then_import_elsewhere_keeps_every_book(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "books.json"
    source.write_text(json.dumps([{"book_id": "a", "price": 1}, {"book_id": "b"}]), "utf-8")
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    assert main(["import", str(source), "--db", str(first)]) == 0
    exported = tmp_path / "export.ddb.jsonl"
    args = ["export", "--db", str(first), "--format", "dynamodb-json", "-o", str(exported)]
    assert main(args) == 0
    assert main(["import", str(exported), "--db", str(second), "--strict"]) == 0
    capsys.readouterr()
    assert main(["export", "--db", str(second), "--format", "json"]) == 0
    books = json.loads(capsys.readouterr().out)
    assert [book["book_id"] for book in books] == ["a", "b"]
    assert books[0]["price"] == 1 and books[0]["version"] == 1


def test_import_of_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nope.json"), "--db", str(tmp_path / "x.db")]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_import_draws_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "books.jsonl"
    source.write_text("".join(f'{{"book_id": "b{i}"}}\n' for i in range(3000)), "utf-8")
    controller, terminal = pty.openpty()
    command = [sys.executable, "-m", "books_api.cli", "import", str(source)]
    command += ["--db", str(tmp_path / "books.db")]
    try:
        finished = subprocess.run(command, stderr=terminal, stdout=subprocess.DEVNULL, timeout=60)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert finished.returncode == 0
    text = shown.decode()
    assert "\r[" in text and "100%" in text and "3,000 records" in text
    assert "Imported 3000 books: 3000 created" in text
