"""The rehearsal end to end: examples/complete applied to moto_server, read back, served,
planned again and destroyed; and the same rehearsal failing on a module with seeded defects."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.terraform_cli import TERRAFORM

REPOSITORY = Path(__file__).resolve().parents[2]
REHEARSE = [sys.executable, "-m", "tools.rehearse"]
VERDICT = re.compile(
    r"^rehearsal (PASSED|FAILED \(.*\)) in [\d.]+ s: (\d+) resources applied, (\d+) destroyed, "
    r"(\d+) facts compared, (\d+) known emulator gaps$",
    re.M,
)

pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def rehearse(*options: str) -> tuple[subprocess.CompletedProcess[str], re.Match[str]]:
    result = subprocess.run(
        [*REHEARSE, *options],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    verdict = VERDICT.search(result.stdout)
    assert verdict is not None, result.stdout + result.stderr
    return result, verdict


@pytest.fixture(scope="module")
def passed() -> tuple[subprocess.CompletedProcess[str], re.Match[str]]:
    return rehearse()


def test_the_rehearsal_passes_every_step(
    passed: tuple[subprocess.CompletedProcess[str], re.Match[str]],
) -> None:
    result, verdict = passed
    assert result.returncode == 0, result.stdout
    assert verdict.group(1) == "PASSED"
    steps = re.findall(r"^(\S+(?: \S+)?)\s+(ok|FAIL)\s", result.stdout, re.M)
    labels = [label for label, _ in steps]
    for label in ("package", "moto", "apply", "read back", "serve", "plan again", "destroy"):
        assert label in labels, result.stdout
    assert all(status == "ok" for _, status in steps), result.stdout


def test_everything_applied_is_destroyed_and_every_fact_counted(
    passed: tuple[subprocess.CompletedProcess[str], re.Match[str]],
) -> None:
    result, verdict = passed
    applied, destroyed, compared, gaps = (int(verdict.group(n)) for n in (2, 3, 4, 5))
    assert applied == destroyed > 40, result.stdout
    assert compared > 150, result.stdout
    assert gaps == 3, result.stdout
    assert re.search(r"^destroy\s+ok .* list calls find 0 things left", result.stdout, re.M)


def _seeded_copy(root: Path) -> None:
    """A copy of the repository's deployable parts, with three defects a mock provider
    cannot see: a wrong handler, a variable the code reads left out, a perpetual diff."""
    for part in ("infra", "openapi"):
        shutil.copytree(REPOSITORY / part, root / part, symlinks=True,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))  # fmt: skip
    shutil.copytree(REPOSITORY / "dist", root / "dist")
    data = Path("src", "books_api", "data")  # the sample books the module seeds
    shutil.copytree(REPOSITORY / data, root / data)
    functions = root / "openapi" / "functions.yaml"
    text = functions.read_text("utf-8")
    assert "books_api.functions.books.lambda_handler" in text
    functions.write_text(
        text.replace("books_api.functions.books.lambda_handler", "books_api.books.lambda_handler")
    )
    main = root / "infra" / "terraform" / "main.tf"
    text = main.read_text("utf-8")
    line = re.search(r"^ *POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace\n", text, re.M)
    assert line is not None
    main.write_text(text.replace(line.group(0), "", 1))
    kms = root / "infra" / "terraform" / "kms.tf"
    text = kms.read_text("utf-8")
    assert re.search(r"^  description\s*=", text, re.M)
    kms.write_text(
        re.sub(
            r"^(  description\s*=\s*)(.*)$",
            r'\1"applied ${timestamp()}"',
            text,
            count=1,
            flags=re.M,
        )
    )


def test_a_module_with_seeded_defects_fails_the_rehearsal(
    passed: tuple[subprocess.CompletedProcess[str], re.Match[str]], tmp_path: Path
) -> None:
    _seeded_copy(tmp_path)  # after the passing run: its dist/ zips are fresh
    result, verdict = rehearse("--root", str(tmp_path), "--no-package")
    assert result.returncode == 1, result.stdout
    assert verdict.group(1).startswith("FAILED"), result.stdout
    output = result.stdout
    assert re.search(
        r"FAIL: books-api-books handler: expected .*books_api\.books\.lambda_handler", output
    )
    assert re.search(r"FAIL: .*POWERTOOLS_METRICS_NAMESPACE", output), output
    assert re.search(r"FAIL: .*aws_kms_key.*not a known emulator gap", output), output
    assert re.search(r"^destroy\s+ok", output, re.M), output  # a failed rehearsal cleans up
