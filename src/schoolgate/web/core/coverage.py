"""How far a school's people have done what they must (accepted this year's agreement, kept a course in
date): counted by the app that keeps the records, read by the annual review and the governors' report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Coverage:
    """One line: who should have done it (`people`) and how many have (`done`)."""

    label: str  # "Pupils in Key Stage 2", "Annual safeguarding update"
    people: int
    done: int

    @property
    def missing(self) -> int:
        return self.people - self.done

    @property
    def percent(self) -> int | None:
        """Whole per cent done, or None when nobody should have it."""
        return None if self.people == 0 else (100 * self.done) // self.people
