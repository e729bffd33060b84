"""Import (three formats, batches, invalid records, --strict, --overwrite) and streaming export."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from books_api.core.book import utc_now, with_audit_defaults
from books_api.core.book_store import BookStore
from books_api.store import parallel, records
from books_api.store.exporter import FORMATS, export_books
from books_api.store.importer import import_file
from books_api.store.records import UnreadableFile, read_records
from books_api.store.sqlite import SQLiteBookStore

ARTICLE_BOOKS = Path(__file__).parents[2] / "src" / "books_api" / "data" / "books.json"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def books_by_id(store: BookStore) -> dict[str, dict[str, object]]:
    return {str(book["book_id"]): book for book in store.scan_all()}


def test_article_books_json_imports_with_exact_prices_and_audit_fields(
    store: BookStore,
) -> None:
    report = import_file(store, ARTICLE_BOOKS)
    assert (report.read, report.written, report.invalid) == (5, 5, 0)
    books = books_by_id(store)
    assert books["1"]["price"] == Decimal("12.99")
    assert books["5"]["price"] == Decimal("18.5")
    assert books["3"]["languages"] == ["English", "Italian", "Portuguese"]
    assert books["2"]["version"] == 1
    assert books["2"]["created_by"] == "import" and books["2"]["created_at"]


def test_plain_json_list_is_read_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "CHUNK_CHARS", 7)
    books = [
        {"book_id": f"b{i}", "price": Decimal(f"{i}.{i:02d}"), "n": Decimal(123456 * i)}
        for i in range(40)
    ]
    text = "[\n" + ",\n".join(json.dumps(book, default=str) for book in books) + "\n]"
    text = text.replace('"price": "', '"price": ').replace('", "n": "', ', "n": ')
    text = text.replace('"}', "}")
    read = list(read_records(io.StringIO(text)))
    assert [record.line for record in read] == list(range(2, 42))
    assert [record.book for record in read] == books


def test_json_lines_report_each_invalid_record_with_line_and_reason(
    tmp_path: Path, store: BookStore
) -> None:
    path = write(
        tmp_path,
        "books.jsonl",
        '{"book_id": "a", "price": 1.5}\n'
        '{"book_id": "b", "price": -1}\n'
        "\n"
        "{not json\n"
        '{"book_id": "c", "bad name": 1}\n'
        '{"book_id": "d"}\n',
    )
    report = import_file(store, path)
    assert (report.read, report.written, report.invalid) == (5, 2, 3)
    problems = {record.line: record.error for record in report.invalid_listed}
    assert set(problems) == {2, 4, 5}
    assert "price" in str(problems[2])
    assert "JSON" in str(problems[4])
    assert "bad name" in str(problems[5])
    assert sorted(books_by_id(store)) == ["a", "d"]


def test_strict_import_with_one_invalid_record_writes_nothing(
    tmp_path: Path, store: BookStore
) -> None:
    lines = [json.dumps({"book_id": f"ok{i}"}) for i in range(30)]
    lines.insert(17, json.dumps({"book_id": "bad", "languages": "English"}))
    path = write(tmp_path, "books.jsonl", "\n".join(lines))
    report = import_file(store, path, strict=True)
    assert report.aborted and report.invalid == 1 and report.written == 0
    assert report.invalid_listed[0].line == 18
    assert store.is_empty()


def test_existing_ids_are_skipped_and_counted_unless_overwrite(
    tmp_path: Path, store: BookStore
) -> None:
    store.create({"book_id": "1", "name": "mine"})
    report = import_file(store, ARTICLE_BOOKS)
    assert (report.written, report.skipped) == (4, 1)
    assert books_by_id(store)["1"]["name"] == "mine"
    report = import_file(store, ARTICLE_BOOKS, overwrite=True)
    assert report.written == 5
    assert books_by_id(store)["1"]["name"] == "The Midnight Library"


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_into_an_empty_store_is_identical(
    tmp_path: Path, store: BookStore, fmt: str
) -> None:
    books = [
        {"book_id": "a", "price": Decimal("0.10"), "big": Decimal("1E+30"), "version": 3},
        {"book_id": "b", "price": Decimal("12.99"), "nested": {"x": [Decimal("1.25"), None]}},
        {"book_id": "c", "name": "Ünïcode ✓", "flag": True, "created_by": "alice"},
    ]
    store.write_many(with_audit_defaults(book, "bob", utc_now()) for book in books)
    first = io.StringIO()
    assert export_books(store.scan_all(), first, fmt) == 3
    path = write(tmp_path, f"export.{fmt}", first.getvalue())
    target = SQLiteBookStore(tmp_path / "target.db")
    report = import_file(target, path)
    assert (report.written, report.invalid) == (3, 0)
    assert books_by_id(target) == books_by_id(store)
    again = io.StringIO()
    export_books(target.scan_all(), again, fmt)
    assert sorted(again.getvalue().splitlines()) == sorted(first.getvalue().splitlines())
    assert books_by_id(target)["a"]["price"] == Decimal("0.1")


def test_dynamodb_export_lines_hold_typed_items(store: BookStore) -> None:
    store.create({"book_id": "a", "price": Decimal("9.99"), "languages": ["English"]})
    out = io.StringIO()
    export_books(store.scan_all(), out, "dynamodb-json")
    item = json.loads(out.getvalue())["Item"]
    assert item["price"] == {"N": "9.99"}
    assert item["languages"] == {"L": [{"S": "English"}]}


def test_a_truncated_list_is_unreadable_at_its_line(tmp_path: Path) -> None:
    text = '[\n{"book_id": "a"},\n{"book_id": "b"},\n{"book_id": '
    read: list[str] = []
    with pytest.raises(UnreadableFile) as raised:
        for record in read_records(io.StringIO(text)):
            assert record.book is not None
            read.append(record.book["book_id"])
    assert read == ["a", "b"]
    assert raised.value.line == 4


def test_a_number_cut_by_a_chunk_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    text = '[{"book_id": "a", "n": 123456789.125}]'
    for size in range(1, len(text) + 1):
        monkeypatch.setattr(records, "CHUNK_CHARS", size)
        (record,) = read_records(io.StringIO(text))
        assert record.book == {"book_id": "a", "n": Decimal("123456789.125")}


def test_large_json_lines_import_in_worker_processes_matches_the_in_process_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [json.dumps({"book_id": f"p{i:05d}", "price": i / 4}) for i in range(12_000)]
    lines[4321] = '{"book_id": "bad", "price": -1}'
    lines[9000] = "{broken"
    lines.insert(100, "")
    path = write(tmp_path, "books.jsonl", "\n".join(lines) + "\n")
    monkeypatch.setattr(parallel, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(parallel, "LINES_PER_TASK", 1000)
    in_workers = SQLiteBookStore(tmp_path / "workers.db")
    report = import_file(in_workers, path, actor="loader")
    assert parallel.worker_count(path.stat().st_size) >= 1
    monkeypatch.setattr(parallel, "PARALLEL_FROM_BYTES", 10**12)
    in_process = SQLiteBookStore(tmp_path / "process.db")
    expected = import_file(in_process, path, actor="loader")
    assert (report.read, report.written, report.invalid) == (12_000, 11_998, 2)
    assert [(r.line, r.error) for r in report.invalid_listed] == [
        (r.line, r.error) for r in expected.invalid_listed
    ]
    assert [r.line for r in report.invalid_listed] == [4323, 9002]

    def without_times(store: BookStore) -> list[dict[str, object]]:
        return [
            {k: v for k, v in book.items() if k not in ("created_at", "updated_at")}
            for book in store.scan_all()
        ]

    assert without_times(in_workers) == without_times(in_process)
    assert books_by_id(in_workers)["p00003"]["price"] == Decimal("0.75")
