"""A person's chronology: the lines of every incident they are part of, in time order, only of the
incidents the reader deals with, logged as looked at, printable, and in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import IncidentKind, IncidentType, Role, Status
from schoolgate.web.incidents.models import Incident, RecordView
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.incidents.make import person, report
from tests.web.pages import logged_in


def _url(someone: Person) -> str:
    return f"/incidents/people/{someone.pk}/chronology/"


def _text(response: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _ago(hours: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def _pupils_incidents(cast: Cast) -> tuple[Person, Incident, Incident, Incident]:
    """Amelia is the victim in one incident and the alleged perpetrator in another; Oliver is in a
    third. Their notes are written in turn, so that the lines of her two incidents interleave."""
    amelia, oliver = person(cast.a, "Amelia", "Hughes"), person(cast.a, "Oliver", "Bennett")
    first = report(cast.a, cast.tom, subject=amelia, role=Role.VICTIM, occurred_at=_ago(48))
    second = report(cast.a, cast.tom, subject=amelia, role=Role.PERPETRATOR, occurred_at=_ago(24))
    third = report(cast.a, cast.tom, subject=oliver, role=Role.VICTIM, occurred_at=_ago(12))
    actions.do_note(first, actor=cast.alice, text="First note, about the group chat")
    actions.do_note(second, actor=cast.dara, text="Second note, about the photo shared")
    actions.do_note(third, actor=cast.alice, text="A note about Oliver alone")
    actions.do_note(first, actor=cast.alice, text="Third note, parents spoken to", decision=True)
    return amelia, first, second, third


def test_a_pupils_chronology_has_both_of_her_incidents_in_time_order_and_nobody_elses(cast: Cast) -> None:
    amelia, first, second, third = _pupils_incidents(cast)
    response = logged_in(cast.alice).get(_url(amelia))
    assert response.status_code == 200
    words = _text(response)
    assert "Chronology: Amelia Hughes" in words
    notes = [
        "First note, about the group chat",
        "Second note, about the photo shared",
        "Third note, parents spoken to",
    ]
    at = [words.index(n) for n in notes]
    assert at == sorted(at), "in time order, across incidents"
    assert "A note about Oliver alone" not in words
    page = response.content.decode()
    assert (
        f'href="/incidents/{first.reference}/"' in page and f'href="/incidents/{second.reference}/"' in page
    )
    assert f'href="/people/{amelia.pk}/"' in page  # alice may open the school's records
    assert f'href="/incidents/{third.reference}/"' not in page and f"Incident {third.reference}" not in words
    # Each line: when, which incident, her part in it, what, who.
    line = f"Incident {second.reference} Alleged perpetrator Note: Second note, about the photo shared"
    assert f"{line} Dara Example" in words
    assert f"Incident {first.reference} Victim Decision: Third note, parents spoken to Alice Example" in words
    assert words.count("Reported: Concern reported") == 2
    # The incidents first: number, type, status, her part.
    assert re.search(rf"Incident {first.reference} .* Cyberbullying New Victim", words)
    assert re.search(rf"Incident {second.reference} .* Cyberbullying New Alleged perpetrator", words)


def test_a_person_with_two_parts_in_one_incident_has_both_said(cast: Cast) -> None:
    amelia = person(cast.a, "Amelia", "Hughes")
    incident = report(cast.a, cast.tom, subject=amelia, role=Role.VICTIM)
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.WITNESS, person=amelia))
    words = _text(logged_in(cast.alice).get(_url(amelia)))
    assert "Victim, Witness" in words


def test_it_is_for_those_who_deal_with_incidents(cast: Cast) -> None:
    amelia, *_ = _pupils_incidents(cast)
    for name in ("tom", "nina", "sami", "greta", "nora"):
        assert logged_in(cast.users[name]).get(_url(amelia)).status_code == 403, name
    assert logged_in(cast.zack).get(_url(amelia)).status_code == 404  # another school's pupil
    # Someone in no incident the reader deals with: not found, whoever they are.
    nobody = person(cast.a, "Isla", "Morgan")
    alice = logged_in(cast.alice)
    assert alice.get(_url(nobody)).status_code == 404
    assert alice.get("/incidents/people/999999/chronology/").status_code == 404
    assert alice.get(_url(amelia)).status_code == 200


def test_the_online_safety_coordinator_does_not_see_restricted_incidents_in_it(cast: Cast) -> None:
    amelia, *_ = _pupils_incidents(cast)
    grooming = report(cast.a, cast.tom, subject=amelia, incident_type=IncidentType.GROOMING)
    assert grooming.restricted
    actions.do_note(grooming, actor=cast.alice, text="Contact from an adult on a gaming site")
    olu = logged_in(cast.olu)
    words = _text(olu.get(_url(amelia)))
    assert "First note, about the group chat" in words and "Second note, about the photo shared" in words
    assert "Contact from an adult" not in words and f"Incident {grooming.reference}" not in words
    assert not RecordView.objects.filter(user=cast.olu, incident=grooming).exists()
    words = _text(logged_in(cast.alice).get(_url(amelia)))
    assert "Contact from an adult on a gaming site" in words and "Restricted" in words
    # Only in the restricted one: olu is told it is not there.
    alone = person(cast.a, "Freya", "Clarke")
    secret = report(cast.a, cast.tom, subject=alone, incident_type=IncidentType.SELF_HARM)
    assert secret.restricted
    assert olu.get(_url(alone)).status_code == 404
    assert logged_in(cast.dara).get(_url(alone)).status_code == 200


def test_a_staff_members_chronology_is_the_headteachers_alone(cast: Cast) -> None:
    incident = report(cast.a, cast.tom, kind=IncidentKind.STAFF, incident_type=IncidentType.OTHER)
    staff = Person.objects.get(school=cast.a, first_name="Robert", last_name="Patel")
    assert staff.kind == PersonKind.STAFF
    actions.do_note(incident, actor=cast.hana, text="Spoke to the LADO for advice")
    hana = logged_in(cast.hana)
    response = hana.get(_url(staff))
    assert response.status_code == 200
    words = _text(response)
    assert "Chronology: Robert Patel" in words and "Spoke to the LADO for advice" in words
    assert f"Incident {incident.reference} Subject Note: Spoke to the LADO for advice Hana Example" in words
    for name in ("alice", "dara", "olu", "cleo"):  # the DSL team deals with pupils; cleo with the head
        assert logged_in(cast.users[name]).get(_url(staff)).status_code == 404, name


def test_the_chair_of_governors_sees_the_headteachers_without_the_peoples_records(cast: Cast) -> None:
    head = person(cast.a, "Helen", "Ashworth", PersonKind.STAFF)
    incident = report(
        cast.a, cast.tom, kind=IncidentKind.STAFF, incident_type=IncidentType.OTHER, subject=head,
        role=Role.SUBJECT, concerns_headteacher=True,
    )  # fmt: skip
    response = logged_in(cast.cleo).get(_url(head))
    assert response.status_code == 200 and f"Incident {incident.reference}" in _text(response)
    assert f'href="/people/{head.pk}/"' not in response.content.decode()  # she may not open the records
    assert logged_in(cast.hana).get(_url(head)).status_code == 404


def test_every_incident_shown_is_logged_as_looked_at(cast: Cast) -> None:
    amelia, first, second, _ = _pupils_incidents(cast)
    before = RecordView.objects.count()
    assert logged_in(cast.alice).get(_url(amelia)).status_code == 200
    views = RecordView.objects.filter(user=cast.alice)
    assert RecordView.objects.count() == before + 2
    assert {v.incident_id for v in views} == {first.pk, second.pk}
    assert {(v.what, v.school_id) for v in views} == {(f"chronology of {amelia.pk}", cast.a.pk)}


def test_an_incident_archived_as_raised_in_error_is_left_out(cast: Cast) -> None:
    amelia, _, second, _ = _pupils_incidents(cast)
    actions.do_archive(second, actor=cast.alice, reason="Wrong pupil named")
    response = logged_in(cast.alice).get(_url(amelia))
    words = _text(response)
    assert "Second note, about the photo shared" not in words and "First note, about the group chat" in words
    assert "1 more, archived as raised in error, is left out" in words
    assert not RecordView.objects.filter(incident=second).exists()


def test_it_prints_without_the_menus(cast: Cast) -> None:
    amelia, *_ = _pupils_incidents(cast)
    response = logged_in(cast.alice).get(_url(amelia))
    page = response.content.decode()
    sheet = page.split('<link rel="stylesheet" media="print" href="', 1)[1].split('"', 1)[0]
    style = b"".join(response.client.get(sheet).streaming_content).decode()
    assert ".site-header" in style and ".site-nav" in style and "display: none" in style
    assert "use your browser's Print" in _text(response)
    assert "Confidential" in _text(response)


def _incidents(cast: Cast, someone: Person, n: int) -> None:
    for i in range(n):
        incident = report(cast.a, cast.tom, subject=someone, role=Role.VICTIM, occurred_at=_ago(100 - i))
        actions.do_add_person(
            incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name=f"Witness Number{i}")
        )
        actions.do_note(incident, actor=cast.alice, text=f"Note {i}")
        actions.do_move(incident, actor=cast.alice, to=Status.TRIAGED)


def test_the_page_asks_the_same_number_of_queries_however_many_incidents(cast: Cast) -> None:
    counts = []
    client = logged_in(cast.alice)
    for n, name in ((2, "Amelia"), (6, "Oliver")):
        someone = person(cast.a, name, "Hughes")
        _incidents(cast, someone, n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(someone))
        assert (
            response.status_code == 200
            and RecordView.objects.filter(what=f"chronology of {someone.pk}").count() == n
        )
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
