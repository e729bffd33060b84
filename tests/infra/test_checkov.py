"""checkov, from its own virtual environment, finds no failed check in infra/terraform."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
CHECKOV = REPOSITORY / ".venv-checkov" / "bin" / "checkov"
MODULE = REPOSITORY / "infra" / "terraform"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(CKV2?_AWS_\d+):(.*)")


def _scan() -> dict[str, Any]:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: `make test` creates .venv-checkov"
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [str(CHECKOV), "--directory", str(MODULE), "--framework", "terraform",
         "--skip-path", "tests", "--skip-download", "--output", "json"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report  # type: ignore[no-any-return]


def test_checkov_finds_no_failed_check_and_every_skip_has_a_reason() -> None:
    report = _scan()
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}:{check['file_line_range']})"
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert report["summary"]["passed"] > 30, "checkov scanned too little: is the module there?"
    source = "\n".join(path.read_text("utf-8") for path in MODULE.glob("*.tf"))
    reasons = dict(SKIP_COMMENT.findall(source))
    for check in report["results"]["skipped_checks"]:
        assert len(reasons.get(check["check_id"], "").strip()) > 20, (
            f"{check['check_id']} on {check['resource']} is skipped without a reason"
        )
