"""Run terraform against the offline provider mirror, or say loudly that it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CLI_CONFIG = REPOSITORY / "infra" / "terraform.rc"
TERRAFORM = shutil.which("terraform")
MISSING = "TERRAFORM NOT INSTALLED: terraform fmt/init/validate/test checks are SKIPPED"


def require_terraform() -> str:
    """terraform's path; skips the test (conftest prints one loud line) when it is missing."""
    if TERRAFORM is None:
        pytest.skip(MISSING)
    return TERRAFORM


def terraform(
    *args: str, cwd: Path, data_dir: Path, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """`terraform args...` in cwd with providers from /opt/tf-plugins only, no colour, no prompt."""
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(CLI_CONFIG),
        "TF_DATA_DIR": str(data_dir),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    return subprocess.run(
        [require_terraform(), *args, "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
