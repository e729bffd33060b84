"""Terraform checks the module itself: format, offline init, validate, and `terraform test`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra.terraform_cli import MISSING, REPOSITORY, TERRAFORM, require_terraform, terraform

if TERRAFORM is None:
    pytest.skip(MISSING, allow_module_level=True)

MODULE = REPOSITORY / "infra" / "terraform"
EXAMPLE = MODULE / "examples" / "complete"


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module initialised from the offline mirror; yields its TF_DATA_DIR."""
    require_terraform()
    data_dir = tmp_path_factory.mktemp("tf-module")
    result = terraform("init", "-backend=false", cwd=MODULE, data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    yield data_dir


def test_terraform_files_are_formatted(tmp_path: Path) -> None:
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=MODULE, data_dir=tmp_path)
    assert result.returncode == 0, f"run terraform fmt -recursive infra/terraform:\n{result.stdout}"


def test_init_installs_the_pinned_aws_provider_from_the_mirror(initialized: Path) -> None:
    lock = (MODULE / ".terraform.lock.hcl").read_text("utf-8")
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock
    assert 'version     = "5.100.0"' in lock
    providers = list((initialized / "providers" / "registry.terraform.io" / "hashicorp").iterdir())
    assert [path.name for path in providers] == ["aws"], "the module must use no other provider"


def test_module_validates(initialized: Path) -> None:
    result = terraform("validate", cwd=MODULE, data_dir=initialized)
    assert result.returncode == 0, result.stdout + result.stderr


def test_complete_example_validates(tmp_path: Path) -> None:
    init = terraform("init", "-backend=false", cwd=EXAMPLE, data_dir=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    result = terraform("validate", cwd=EXAMPLE, data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_terraform_test_wiring_passes_against_the_mock_provider(initialized: Path) -> None:
    result = terraform("test", cwd=MODULE, data_dir=initialized, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout and " passed" in result.stdout, result.stdout
