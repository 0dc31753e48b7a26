"""The log's pages ask the same number of queries however many incidents, people and actions there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Role, Status
from schoolgate.web.sanctions import matrix
from schoolgate.web.sanctions.models import SanctionAction
from tests.web.factories import Cast
from tests.web.incidents.make import person, report
from tests.web.pages import logged_in


def _count(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)  # type: ignore[attr-defined]
        assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("url", ["/incidents/", "/incidents/?show=all", "/incidents/?show=overdue"])
def test_the_log_asks_the_same_queries_for_2_and_12_incidents(cast: Cast, url: str) -> None:
    client = logged_in(cast.alice)
    counts = []
    for n in (2, 10):
        for i in range(n):
            incident = report(cast.a, cast.tom, subject=person(cast.a, f"Pupil{i}", f"Surname{i}"))
            actions.do_refer(incident, actor=cast.alice, agency="police", due_on=incident.reported_at.date())
        counts.append(_count(client, url))
    assert counts[0] == counts[1], counts


def test_an_incident_asks_the_same_queries_however_much_was_done(cast: Cast) -> None:
    client = logged_in(cast.alice)
    matrix.ensure_matrix(cast.a)
    warning = SanctionAction.objects.get(school=cast.a, applies_to="pupil", key="warning")
    incident = report(cast.a, cast.tom)
    actions.do_move(incident, actor=cast.alice, to=Status.TRIAGED)
    counts = []
    for n in (1, 6):
        for i in range(n):
            who = actions.do_add_person(
                incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name=f"Witness Number{n}{i}")
            )
            actions.do_take_action(incident, actor=cast.alice, action=warning, involvement=who)
            actions.do_refer(incident, actor=cast.alice, agency="lado", reference=f"L{n}{i}")
            actions.do_tell_parents(incident, actor=cast.alice, name=f"Parent Number{n}{i}", method="phone")
            actions.do_note(incident, actor=cast.alice, text=f"Note {n} {i}")
        counts.append(_count(client, f"/incidents/{incident.reference}/"))
    assert counts[0] == counts[1], counts
