from __future__ import annotations

import pytest

from tests.infra.terraform_cli import MISSING, TERRAFORM


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TERRAFORM is None:
        terminalreporter.write_line(f"*** {MISSING} ***", red=True, bold=True)
