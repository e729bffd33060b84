"""Facts compared between the deployment and a source of truth, and the ones a known
emulator gap keeps from being compared (checked another way, by the gap's own check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNSET = "(unset)"


@dataclass(frozen=True)
class Fact:
    subject: str
    expected: Any
    actual: Any
    gap: str | None = None  # the known emulator gap that keeps it from being compared

    @property
    def compared(self) -> bool:
        return self.gap is None

    @property
    def holds(self) -> bool:
        return self.gap is not None or self.expected == self.actual

    def describe(self) -> str:
        if isinstance(self.expected, set | frozenset) and isinstance(self.actual, set | frozenset):
            missing = sorted(self.expected - self.actual)
            extra = sorted(self.actual - self.expected)
            return f"{self.subject}: missing {missing}, unexpected {extra}"
        return f"{self.subject}: expected {self.expected!r}, deployed {self.actual!r}"


@dataclass
class Facts:
    """Every comparison of one rehearsal; `known_gaps` are the ids of emulator_gaps.yaml."""

    known_gaps: frozenset[str] = frozenset()
    items: list[Fact] = field(default_factory=list)

    def compare(self, subject: str, expected: Any, actual: Any, gap: str | None = None) -> bool:
        """Record one fact; with `gap` named in the gaps file, record it as not comparable."""
        fact = Fact(subject, expected, actual, gap if gap in self.known_gaps else None)
        self.items.append(fact)
        return fact.holds

    def since(self, start: int) -> list[Fact]:
        return self.items[start:]

    @property
    def compared(self) -> int:
        return sum(fact.compared for fact in self.items)

    @property
    def covered_by_gaps(self) -> int:
        return sum(not fact.compared for fact in self.items)

    @property
    def failures(self) -> list[Fact]:
        return [fact for fact in self.items if not fact.holds]


def summary(facts: list[Fact]) -> str:
    compared = sum(fact.compared for fact in facts)
    failed = sum(not fact.holds for fact in facts)
    covered = len(facts) - compared
    text = f"{compared} facts compared, {failed} differ"
    return text + (f", {covered} left to known gaps" if covered else "")
