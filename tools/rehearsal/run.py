"""The rehearsal, step by step: package, start moto, apply, read back, check the known gaps,
serve, plan again, destroy, stop moto; then the verdict."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.package import build, functions
from tools.rehearsal import gaps as known
from tools.rehearsal import leftovers, plan, plan_facts
from tools.rehearsal.api_facts import api_facts, stage_facts
from tools.rehearsal.data_facts import key_facts, log_group_facts, secret_facts, table_facts
from tools.rehearsal.deployment import Deployment
from tools.rehearsal.emulator import ENVIRONMENT, Emulator, moto_server
from tools.rehearsal.facts import Facts, summary
from tools.rehearsal.function_facts import function_facts
from tools.rehearsal.iam_facts import role_facts
from tools.rehearsal.monitor_facts import alarm_facts, dashboard_facts, topic_facts
from tools.rehearsal.report import Report, Step
from tools.rehearsal.serve import serve_facts
from tools.rehearsal.terraform import Terraform, version
from tools.rehearsal.truth import REPOSITORY, setting
from tools.terraform_source import module

REGION = "eu-west-1"  # examples/complete's default region
CONFIGURATION = Path("infra/terraform/examples/rehearsal")
TABLE = "module.books_api.aws_dynamodb_table.this"
ACCOUNT = "module.books_api.aws_api_gateway_account.this[0]"
ACCOUNT_GAP = "apigateway-account-reset"


@dataclass
class Options:
    arch: str = "arm64"
    python: str = "3.12"
    root: Path = REPOSITORY  # the tree whose infra/terraform is applied
    package: bool = True


@dataclass
class Rehearsal:
    options: Options
    report: Report = field(default_factory=Report)
    work: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="books-api-rehearsal-"))
    )
    facts: Facts = field(default_factory=Facts)
    gaps: known.KnownGaps | None = None
    applied: int = 0
    destroyed: int = 0

    def run(self) -> bool:
        self.report.line(
            f"rehearse: examples/complete on moto_server ({version()}, {REGION}, "
            f"{self.options.arch}, Python {self.options.python}); logs in {self.work}"
        )
        with self.report.step("package") as step:
            self._package(step)
        with self.report.step("gaps file") as step:
            self.gaps = known.load()
            self.facts = Facts(frozenset(self.gaps.gaps))
            step.detail = (
                f"{len(self.gaps.gaps)} known emulator gaps in {known.GAPS_FILE.name} "
                f"(evidence from moto {self.gaps.moto})"
            )
        if self.report.passed:
            with ExitStack() as stack:
                with self.report.step("moto") as step:
                    emulator = stack.enter_context(moto_server(self.work / "moto.log"))
                    step.detail = self._describe(emulator)
                if self.report.ok("moto"):
                    self._against(emulator)
            with self.report.step("moto stop") as step:
                step.detail = "moto_server stopped"
        self._verdict()
        if self.report.passed:
            shutil.rmtree(self.work, ignore_errors=True)
        return self.report.passed

    def _package(self, step: Step) -> None:
        out = self.options.root / "dist"
        if not self.options.package:
            step.detail = f"zips already in {out} (not rebuilt)"
            return
        for name, handler in sorted(functions().items()):
            build(name, handler, out, self.options.arch, self.options.python)
        step.detail = (
            f"{out}/{{books,authorizer}}.zip for {self.options.arch}, Python {self.options.python}"
        )

    def _describe(self, emulator: Emulator) -> str:
        version = self.gaps.moto if self.gaps else "?"
        recorded = (
            "" if emulator.version == version else f"; the gaps file was written on {version}"
        )
        setting_text = " ".join(f"{k}={v}" for k, v in ENVIRONMENT.items())
        return f"moto {emulator.version} on {emulator.endpoint} ({setting_text}{recorded})"

    def _against(self, emulator: Emulator) -> None:
        variables = {
            "endpoint": emulator.endpoint,
            "region": REGION,
            "architecture": self.options.arch,
        }
        terraform = Terraform(self.options.root / CONFIGURATION, self.work, variables)
        settings = {name: setting(name, variables) for name in module()["variable"]}
        deployment = Deployment(emulator.endpoint, REGION, str(settings["name"]), {})
        with self.report.step("init") as step:
            terraform.init()
            step.detail = "terraform init (providers from the offline mirror)"
        if not self.report.ok("init"):
            return
        with self.report.step("apply") as step:
            self.applied, _, _ = terraform.apply("apply")
            deployment.outputs = terraform.outputs()
            step.detail = f"{self.applied} resources created"
        if self.report.ok("apply"):
            self._examine(deployment, terraform, settings)
        self._destroy(deployment, terraform)

    def _examine(
        self, deployment: Deployment, terraform: Terraform, settings: dict[str, Any]
    ) -> None:
        with self.report.step("read back") as step:
            start = len(self.facts.items)
            checks = (api_facts, stage_facts, table_facts, log_group_facts, role_facts)
            for check in (*checks, alarm_facts, topic_facts, dashboard_facts):
                check(deployment, self.facts, settings)
            key_facts(deployment, self.facts)
            secret_facts(deployment, self.facts)
            function_facts(deployment, self.facts, settings, self.options.root / "dist")
            self._facts_into(step, start, "through boto3")
        with self.report.step("gaps") as step:
            self._probe_gaps(step, deployment)
        with self.report.step("serve") as step:
            start = len(self.facts.items)
            serve_facts(deployment, self.facts, self.work)
            self._facts_into(step, start, "books-api serve on the deployed functions' settings")
        with self.report.step("plan again") as step:
            self._plan_again(step, deployment, terraform)

    def _facts_into(self, step: Step, start: int, how: str) -> None:
        found = self.facts.since(start)
        step.detail = f"{summary(found)} ({how})"
        step.problems.extend(fact.describe() for fact in found if not fact.holds)

    def _probe_gaps(self, step: Step, deployment: Deployment) -> None:
        assert self.gaps is not None
        for gap in self.gaps.gaps.values():
            for probe in gap.probes:
                still, answer = known.run_probe(probe, deployment)
                if still:
                    step.notes.append(f"{gap.id}: {answer}")
                else:
                    step.problems.append(
                        f"{gap.id}: moto now keeps it ({answer}): remove the gap from "
                        f"{known.GAPS_FILE.name} so that its facts count again"
                    )
            step.notes.append(f"{gap.id}: checked instead: {gap.checked_instead}")
        left = self.facts.covered_by_gaps
        step.detail = f"{len(self.gaps.gaps)} known gaps still present; {left} facts left to them"

    def _plan_again(self, step: Step, deployment: Deployment, terraform: Terraform) -> None:
        assert self.gaps is not None
        saved = terraform.plan("plan-again")
        changes = plan.changes(saved.document)
        problems = known.unexplained(changes, self.gaps)
        for gap_id, addresses in known.explained(changes, self.gaps).items():
            step.notes.append(f"{gap_id}: explains the change planned on {', '.join(addresses)}")
        step.problems.extend(problems)
        if saved.exit_code == 0:
            state = "no changes"
        else:
            state = f"{len(changes)} changes, {len(problems)} not explained by known gaps"
        start = len(self.facts.items)
        plan_facts.body_facts(deployment, saved.document, self.facts)
        for gap_id in self.gaps.gaps:
            checker = plan_facts.GAP_CHECKS.get(gap_id)
            if checker is None:
                step.problems.append(
                    f"{gap_id}: no check in tools/rehearsal/plan_facts.py stands in for it"
                )
            else:
                checker(deployment, saved.document, self.facts)
        found = self.facts.since(start)
        step.problems.extend(fact.describe() for fact in found if not fact.holds)
        step.detail = (
            f"-detailed-exitcode {saved.exit_code}: {state}; "
            f"{summary(found)} in what Terraform sent"
        )

    def _destroy(self, deployment: Deployment, terraform: Terraform) -> None:
        with self.report.step("destroy") as step:
            # Only the table's deletion protection changes: the rest waits for destroy.
            terraform.apply("unprotect", f"-target={TABLE}", deletion_protection_enabled="false")
            handed_over = self._reset_account(step, deployment, terraform)
            self.destroyed = terraform.destroy(deletion_protection_enabled="false") + handed_over
            remaining = terraform.state_list()
            calls, left = leftovers.leftovers(deployment)
            step.problems.extend(f"left behind: {thing}" for thing in left)
            step.problems.extend(f"still in the state: {address}" for address in remaining)
            if self.destroyed != self.applied:
                step.problems.append(
                    f"{self.applied} resources applied but {self.destroyed} destroyed"
                )
            step.detail = (
                f"deletion protection off, {self.destroyed} resources destroyed; "
                f"{calls} list calls find {len(left)} things left"
            )

    def _reset_account(self, step: Step, deployment: Deployment, terraform: Terraform) -> int:
        """Where moto cannot reset the account settings (a known gap), the rehearsal takes
        them out of the state and clears the role as AWS would; 1 when it did."""
        if self.gaps is None or ACCOUNT_GAP not in self.gaps.gaps:
            return 0
        if ACCOUNT not in terraform.state_list():
            return 0
        terraform.state_rm(ACCOUNT)
        deployment.client("apigateway").update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}]
        )
        step.notes.append(
            f"{ACCOUNT_GAP}: the account settings left the state and their role was cleared "
            "by the rehearsal (UpdateAccount), not by terraform destroy"
        )
        return 1

    def _verdict(self) -> None:
        outcome = (
            "PASSED" if self.report.passed else f"FAILED ({', '.join(self.report.failed_steps)})"
        )
        gaps = len(self.gaps.gaps) if self.gaps else 0
        self.report.line(
            f"rehearsal {outcome} in {self.report.elapsed:.1f} s: {self.applied} resources "
            f"applied, {self.destroyed} destroyed, {self.facts.compared} facts compared, "
            f"{gaps} known emulator gaps"
        )
        if not self.report.passed:
            self.report.line(f"logs kept in {self.work}")
