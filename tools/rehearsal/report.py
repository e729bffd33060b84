"""The rehearsal's output: one line per step (what it did, how long it took), the problems
it found indented beneath it, and a final verdict."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Step:
    label: str
    detail: str = ""
    notes: list[str] = field(default_factory=list)  # shown whatever the outcome
    problems: list[str] = field(default_factory=list)  # each one fails the step


@dataclass
class Report:
    out: TextIO = sys.stdout
    started: float = field(default_factory=time.monotonic)
    failed_steps: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, label: str) -> Iterator[Step]:
        """Run one step; an exception inside fails it (and is shown), without escaping."""
        step = Step(label)
        began = time.monotonic()
        try:
            yield step
        except Exception as error:  # a failed step is reported; the rehearsal still cleans up
            step.problems.append(_one_line(error))
        self._print(step, time.monotonic() - began)

    def ok(self, label: str) -> bool:
        return label not in self.failed_steps

    @property
    def passed(self) -> bool:
        return not self.failed_steps

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _print(self, step: Step, seconds: float) -> None:
        status = "FAIL" if step.problems else "ok"
        if step.problems:
            self.failed_steps.append(step.label)
        self.line(f"{step.label:<11} {status:<4} {step.detail} ({seconds:.1f} s)")
        for note in step.notes:
            self.line(f"{'':<16} {note}")
        for problem in step.problems:
            self.line(f"{'':<16} FAIL: {problem}")


def _one_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, AssertionError | KeyError | TypeError | AttributeError):
        where = traceback.extract_tb(error.__traceback__)[-1]
        text = f"{type(error).__name__} {text} at {where.filename}:{where.lineno}"
    return text
