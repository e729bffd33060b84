"""terraform in the rehearsal configuration: state and data in the rehearsal's own directory,
providers from the offline mirror, every command's output kept in a log file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
CLI_CONFIG = REPOSITORY / "infra" / "terraform.rc"
TIMEOUT_S = 600
# Terraform's own summary lines, the source of the resource counts.
APPLIED = re.compile(r"Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed")
DESTROYED = re.compile(r"Destroy complete! Resources: (\d+) destroyed")


class TerraformFailed(Exception):
    """A terraform command failed; the message ends with its last error lines."""


@dataclass(frozen=True)
class Plan:
    exit_code: int  # -detailed-exitcode: 0 no changes, 2 changes
    document: dict[str, Any]  # `terraform show -json` of the saved plan


class Terraform:
    def __init__(self, config: Path, work: Path, variables: dict[str, str]) -> None:
        self.config = config
        self.work = work
        self.variables = variables
        self.binary = shutil.which("terraform")
        if self.binary is None:
            raise TerraformFailed("terraform is not on PATH (Terraform 1.11 or later is needed)")

    def init(self) -> None:
        state = self.work / "terraform.tfstate"
        self._run("init", "init", "-input=false", f"-backend-config=path={state}")

    def apply(self, log: str, *options: str, **overrides: str) -> tuple[int, int, int]:
        """(added, changed, destroyed) of `terraform apply` with these variables changed."""
        arguments = ["-auto-approve", "-input=false", *options, *self._vars(overrides)]
        output = self._run(log, "apply", *arguments)
        counts = APPLIED.search(output)
        if counts is None:
            raise TerraformFailed(f"apply printed no summary (see {self.work / log}.log)")
        added, changed, destroyed = (int(value) for value in counts.groups())
        return added, changed, destroyed

    def plan(self, log: str) -> Plan:
        saved = self.work / f"{log}.tfplan"
        code = self._run_code(
            log, "plan", "-input=false", "-detailed-exitcode", f"-out={saved}", *self._vars({})
        )
        shown = self._run(f"{log}-show", "show", "-json", str(saved))
        return Plan(code, json.loads(shown))

    def destroy(self, **overrides: str) -> int:
        output = self._run(
            "destroy", "destroy", "-auto-approve", "-input=false", *self._vars(overrides)
        )
        counts = DESTROYED.search(output)
        if counts is None:
            raise TerraformFailed(f"destroy printed no summary (see {self.work}/destroy.log)")
        return int(counts.group(1))

    def outputs(self) -> dict[str, Any]:
        document = json.loads(self._run("output", "output", "-json"))
        return {name: entry["value"] for name, entry in document.items()}

    def state_rm(self, address: str) -> None:
        self._run("state-rm", "state", "rm", address)

    def state_list(self) -> list[str]:
        return self._run("state-list", "state", "list").split()

    def _vars(self, overrides: dict[str, str]) -> list[str]:
        return [f"-var={name}={value}" for name, value in {**self.variables, **overrides}.items()]

    def _run(self, log: str, *args: str) -> str:
        self._run_code(log, *args, accept=(0,))
        return (self.work / f"{log}.log").read_text("utf-8")

    def _run_code(self, log: str, *args: str, accept: tuple[int, ...] = (0, 2)) -> int:
        assert self.binary is not None
        log_path = self.work / f"{log}.log"
        with log_path.open("w", encoding="utf-8") as out:
            result = subprocess.run(
                [self.binary, *args, "-no-color"],
                cwd=self.config,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=TIMEOUT_S,
            )
        if result.returncode not in accept:
            raise TerraformFailed(
                f"terraform {args[0]} exited with {result.returncode} (log: {log_path}):\n"
                + _error_lines(log_path.read_text("utf-8"))
            )
        return result.returncode

    def _environment(self) -> dict[str, str]:
        # Nothing of the caller's AWS set-up may reach the provider: it talks to moto only.
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        environment.update(
            TF_CLI_CONFIG_FILE=str(CLI_CONFIG),  # providers from the offline mirror only
            TF_DATA_DIR=str(self.work / "terraform-data"),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
        )
        return environment


def _error_lines(output: str, keep: int = 25) -> str:
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Error")), len(lines) - keep)
    return "\n".join("    " + line for line in lines[max(start, 0) : max(start, 0) + keep])


def version() -> str:
    """`Terraform v1.11.4`, or what is missing."""
    binary = shutil.which("terraform")
    if binary is None:
        return "terraform missing"
    result = subprocess.run([binary, "version"], capture_output=True, text=True)
    return result.stdout.splitlines()[0] if result.returncode == 0 else "terraform unusable"
