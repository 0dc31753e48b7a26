"""The reports' tests run on a fixed day of Autumn 2026; `logged`: incidents with everything the log
keeps about them, for the tests that check a report shows none of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Agency, IncidentKind, Outcome
from schoolgate.web.incidents.models import Incident
from tests.web.factories import Cast
from tests.web.incidents.make import person
from tests.web.reports.make import NOW, action_of, close, on, report_at


@pytest.fixture(autouse=True)
def autumn() -> Iterator[None]:
    with time_machine.travel(NOW):
        yield


@pytest.fixture
def logged(cast: Cast) -> list[Incident]:
    """Incidents with everything the log keeps about them: names, what happened, the child's words,
    reasons, notes, a referral's reference and contact."""
    pupil = person(cast.a, "Amelia", "Hughes")
    made = report_at(cast, on(2026, 10, 5), 4, subject=pupil)
    actions.do_take_action(
        made[0], actor=cast.alice, action=action_of(cast, "warning"), notes="Amelia Hughes was warned"
    )
    actions.do_refer(
        made[1], actor=cast.alice, agency=Agency.POLICE, reference="CR/2026/0042", contact="PC Jane Smith",
        notes="Amelia Hughes's mother asked for it",
    )  # fmt: skip
    close(cast, made[2], Outcome.RESOLVED)
    actions.do_note(made[3], actor=cast.alice, text="Amelia Hughes said it started in the class group chat")
    report_at(cast, on(2026, 10, 6), kind=IncidentKind.STAFF)  # about Robert Patel
    return made


@pytest.fixture(autouse=True)
def _fresh_change_summaries() -> Iterator[None]:
    """The change-control log remembers what changed between two texts for the process's life; each
    test's database is new, so each test starts with nothing remembered."""
    from schoolgate.web.reports import changelog

    changelog._SUMMARIES.clear()
    yield
    changelog._SUMMARIES.clear()
