"""Who sees which incident, role by role: ordinary pupil incidents, restricted ones, concerns about a
member of staff and about the headteacher. "full" is the working record, "own" the reporter's view of
what they wrote, 404 not found (nothing told), 403 a role without the log at all."""

from __future__ import annotations

import pytest

from schoolgate.web.incidents.choices import IncidentKind, IncidentType, RiskArea, Role
from schoolgate.web.incidents.models import Incident, RecordView
from schoolgate.web.people.choices import PersonKind
from tests.web.cast import ROLES_AT_A, Cast, logged_in
from tests.web.incidents.make import person, report

KINDS = ("ordinary", "restricted", "allegation", "about-head")

EXPECTED: dict[str, dict[str, str | int]] = {
    "alice": {"ordinary": "full", "restricted": "full", "allegation": 404, "about-head": 404},
    "dara": {"ordinary": "full", "restricted": "full", "allegation": 404, "about-head": 404},
    "olu": {"ordinary": "full", "restricted": 404, "allegation": 404, "about-head": 404},
    "nina": {"ordinary": 404, "restricted": 404, "allegation": 404, "about-head": 404},
    "hana": {"ordinary": 404, "restricted": 404, "allegation": "full", "about-head": 404},
    "sami": {"ordinary": 404, "restricted": 404, "allegation": "own", "about-head": 404},
    "tom": {"ordinary": "own", "restricted": "own", "allegation": 404, "about-head": "own"},
    "greta": dict.fromkeys(KINDS, 403),
    "cleo": {"ordinary": 404, "restricted": 404, "allegation": 404, "about-head": "full"},
    "nora": dict.fromkeys(KINDS, 403),
}


def _incidents(cast: Cast) -> dict[str, Incident]:
    teacher = person(cast.a, "Robert", "Patel", PersonKind.STAFF)
    head = person(cast.a, "Helen", "Ashworth", PersonKind.STAFF, user=cast.hana)
    return {
        "ordinary": report(cast.a, cast.tom),
        "restricted": report(
            cast.a, cast.tom, incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT
        ),
        "allegation": report(
            cast.a, cast.sami, kind=IncidentKind.STAFF, subject=teacher, role=Role.SUBJECT,
            incident_type=IncidentType.HARMFUL_CONTENT, risk_area=RiskArea.CONTENT,
        ),
        # Nobody ticked "about the headteacher": it is known from the person's login.
        "about-head": report(
            cast.a, cast.tom, kind=IncidentKind.STAFF, subject=head, role=Role.PERPETRATOR,
            incident_type=IncidentType.MISUSE, risk_area=RiskArea.CONDUCT,
        ),
    }  # fmt: skip


def test_the_table_covers_every_role() -> None:
    assert set(EXPECTED) == set(ROLES_AT_A)


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_role_sees_exactly_the_incidents_it_should(cast: Cast, username: str) -> None:
    incidents = _incidents(cast)
    assert incidents["restricted"].restricted and incidents["about-head"].concerns_headteacher
    client = logged_in(cast.users[username])
    listing = client.get("/incidents/?show=all")
    wrong = []
    for kind, incident in incidents.items():
        want = EXPECTED[username][kind]
        response = client.get(f"/incidents/{incident.pk}/")
        page = response.content.decode()
        if want == "full":
            got: str | int = (
                "full" if response.status_code == 200 and "Who has looked" in page else response.status_code
            )
        elif want == "own":
            got = (
                "own"
                if response.status_code == 200 and "Your report:" in page and "Who has looked" not in page
                else response.status_code
            )
        else:
            got = response.status_code
        if got != want:
            wrong.append(f"{kind}: wanted {want}, got {got}")
        listed = f'href="/incidents/{incident.pk}/"' in listing.content.decode()
        if listing.status_code == 200 and listed != (want in ("full", "own")):
            wrong.append(f"{kind}: listed {listed}")
        # A record seen is a record logged; one not seen leaves no trace of the attempt as a look.
        looked = RecordView.objects.filter(incident=incident, user=cast.users[username]).exists()
        if looked != (want in ("full", "own")):
            wrong.append(f"{kind}: logged {looked}")
        # Changing it: only those who deal with it.
        status = client.post(f"/incidents/{incident.pk}/note/", {"text": "A note"}).status_code
        if (status == 302) != (want == "full"):
            wrong.append(f"{kind}: adding a note answered {status}")
    assert not wrong, f"{username}:\n" + "\n".join(wrong)


def test_another_schools_dsl_sees_nothing(cast: Cast) -> None:
    incidents = _incidents(cast)
    client = logged_in(cast.zack)
    for incident in incidents.values():
        assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert "Incident 1" not in client.get("/incidents/?show=all").content.decode()
