"""`make package` builds deterministic zips holding only what each function imports."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tools.closure import ForbiddenImport, handler_closure

REPOSITORY = Path(__file__).resolve().parents[2]


def build(out: Path, *args: str) -> dict[str, Path]:
    command = [sys.executable, "-m", "tools.package", "--out", str(out), *args]
    result = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "bytes" in result.stdout, "the build must report each zip's size"
    return {path.stem: path for path in out.glob("*.zip")}


@pytest.fixture(scope="module")
def arm64_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], ...]:
    """The default build (arm64, Python 3.12), made twice into two directories."""
    return tuple(build(tmp_path_factory.mktemp(f"dist{n}")) for n in (1, 2))


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.namelist()


def test_building_twice_gives_byte_identical_zips(
    arm64_builds: tuple[dict[str, Path], ...],
) -> None:
    first, second = arm64_builds
    assert sorted(first) == sorted(second) == ["authorizer", "books"]
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), f"{name}.zip differs"


def test_entries_are_sorted_with_fixed_time_and_permissions(
    arm64_builds: tuple[dict[str, Path], ...],
) -> None:
    for path in arm64_builds[0].values():
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} == {0o100644}
        assert not [
            i.filename for i in infos if "__pycache__" in i.filename or i.filename.endswith(".pyc")
        ]


def test_books_zip_holds_only_what_the_books_function_imports(
    arm64_builds: tuple[dict[str, Path], ...],
) -> None:
    entries = names(arm64_builds[0]["books"])
    assert "books_api/functions/books.py" in entries
    assert "books_api/store/dynamodb.py" in entries
    assert any(name.startswith("aws_lambda_powertools/") for name in entries)
    # Powertools' Tracer needs the X-Ray SDK; the botocore it requires is the runtime's.
    assert any(name.startswith("aws_xray_sdk/") for name in entries)
    assert any(name.startswith("wrapt/") for name in entries)
    absent_prefixes = (
        *("books_api/local/", "books_api/cli/", "books_api/auth/", "jwt/", "boto3/"),
        *("botocore/", "books_api/functions/authorizer.py", "starlette/", "yaml/"),
    )
    for absent in absent_prefixes:
        assert not any(name.startswith(absent) for name in entries), f"books.zip holds {absent}"


def test_authorizer_zip_holds_arm64_wheels_and_no_store(
    arm64_builds: tuple[dict[str, Path], ...],
) -> None:
    entries = names(arm64_builds[0]["authorizer"])
    assert "books_api/functions/authorizer.py" in entries
    assert any(name.startswith("books_api/auth/") for name in entries)
    assert any(name.startswith("jwt/") for name in entries)
    compiled = [name for name in entries if name.endswith(".so")]
    assert compiled and all("x86_64" not in name for name in compiled), compiled
    assert any("aarch64" in name or "abi3" in name for name in compiled), compiled
    for absent in ("books_api/store/", "books_api/local/", "books_api/cli/", "boto3/", "botocore/"):
        assert not any(name.startswith(absent) for name in entries), (
            f"authorizer.zip holds {absent}"
        )


def test_a_handler_reaching_the_local_gateway_is_refused(tmp_path: Path) -> None:
    package = tmp_path / "books_api"
    (package / "functions").mkdir(parents=True)
    (package / "local").mkdir()
    for init in (package, package / "functions", package / "local"):
        (init / "__init__.py").write_text("")
    (package / "local" / "app.py").write_text("")
    (package / "functions" / "bad.py").write_text(
        "def lambda_handler(event, context):\n    from books_api.local import app\n"
    )
    with pytest.raises(ForbiddenImport, match=r"books_api\.local"):
        handler_closure("books_api.functions.bad.lambda_handler", root=tmp_path)


def test_type_checking_imports_are_not_packaged(tmp_path: Path) -> None:
    package = tmp_path / "books_api"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mypy_boto3_dynamodb\n"
        "import jwt\n"
    )
    closure = handler_closure("books_api.handler.lambda_handler", root=tmp_path)
    assert closure.third_party == {"jwt"}
