"""A child's current consent: the latest record per purpose, or "not asked yet" when there is none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from schoolgate.web.consent.choices import NOT_ASKED, STATE_LABELS, Decision, Purpose
from schoolgate.web.consent.models import ConsentRecord
from schoolgate.web.tenancy.models import School

# The order records are read in: the last one for a (child, purpose) is the one in force.
ORDER = ("given_on", "recorded_at", "pk")


@dataclass(frozen=True)
class State:
    """One child's state for one purpose: the decision in force and the date it was given, or None
    for both (not asked yet)."""

    purpose: str
    decision: str | None = None
    since: dt.date | None = None

    @property
    def value(self) -> str:
        return self.decision or NOT_ASKED

    @property
    def label(self) -> str:
        return STATE_LABELS[self.value]

    @property
    def given(self) -> bool:
        """Only a decision "given" clears a child: withdrawn and never asked both mean no."""
        return self.decision == Decision.GIVEN

    @property
    def purpose_label(self) -> str:
        return Purpose(self.purpose).label


def current(school: School, child_ids: Iterable[int]) -> dict[int, dict[str, State]]:
    """For each child (of `school`), every purpose's state, in the order of `Purpose`: one query,
    reading plain values (a trip list of a whole school reads some thousands of rows)."""
    ids = sorted(set(child_ids))
    latest: dict[tuple[int, str], tuple[str, dt.date]] = {}
    rows = (
        ConsentRecord.objects.filter(school=school, child_id__in=ids)
        .order_by(*ORDER)
        .values_list("child_id", "purpose", "decision", "given_on")
    )
    for child, purpose, decision, given_on in rows:
        latest[(child, purpose)] = (decision, given_on)
    purposes = [str(p.value) for p in Purpose]
    unasked = {p: State(p) for p in purposes}  # shared: a State is frozen
    out: dict[int, dict[str, State]] = {}
    for child in ids:
        mine = out[child] = dict(unasked)
        for p in purposes:
            found = latest.get((child, p))
            if found is not None:
                mine[p] = State(p, *found)
    return out
