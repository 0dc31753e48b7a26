"""Who sees which incident, role by role: ordinary pupil incidents, restricted ones, concerns about a
member of staff and about the headteacher. "full" is the working record, "own" the reporter's view of
what they wrote, 404 not found (nothing told), 403 a role without the log at all."""

from __future__ import annotations

import io

import pytest

from schoolgate.web.accounts.choices import CAPABILITIES
from schoolgate.web.incidents import actions
from schoolgate.web.incidents.apps import IN_CHARGE
from schoolgate.web.incidents.choices import EvidenceKind, IncidentKind, IncidentType, RiskArea, Role
from schoolgate.web.incidents.models import Incident, RecordView
from schoolgate.web.people.choices import PersonKind
from tests.web.factories import ROLES_AT_A, Cast
from tests.web.incidents.make import person, report
from tests.web.pages import logged_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

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
    "gina": dict.fromkeys(KINDS, 403),  # the online safety governor: no log at all, as any governor
    "omar": dict.fromkeys(KINDS, 404),  # the office: reports concerns, sees only their own (none here)
    "cleo": {"ordinary": 404, "restricted": 404, "allegation": 404, "about-head": "full"},
    "nora": dict.fromkeys(KINDS, 403),
}


def _incidents(cast: Cast) -> dict[str, Incident]:
    teacher = person(cast.a, "Robert", "Patel", PersonKind.STAFF)
    head = person(cast.a, "Helen", "Ashworth", PersonKind.STAFF, user=cast.hana)
    return {
        "ordinary": report(cast.a, cast.tom),
        "restricted": report(
            cast.a, cast.tom, incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT,
            subject=person(cast.a, "Chloe", "Evans"),
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
        response = client.get(f"/incidents/{incident.reference}/")
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
        listed = f'href="/incidents/{incident.reference}/"' in listing.content.decode()
        if listing.status_code == 200 and listed != (want in ("full", "own")):
            wrong.append(f"{kind}: listed {listed}")
        # A record seen is a record logged; one not seen leaves no trace of the attempt as a look.
        looked = RecordView.objects.filter(incident=incident, user=cast.users[username]).exists()
        if looked != (want in ("full", "own")):
            wrong.append(f"{kind}: logged {looked}")
        # Changing it: only those who deal with it.
        status = client.post(f"/incidents/{incident.reference}/note/", {"text": "A note"}).status_code
        if (status == 302) != (want == "full"):
            wrong.append(f"{kind}: adding a note answered {status}")
    assert not wrong, f"{username}:\n" + "\n".join(wrong)


# The pages of one incident for those who deal with it (a GET that answers 200 for them, 404 for the
# reporter and anyone else, 403 for a role without the log).
IN_CHARGE_PAGES = ("looked", "details", "close", "archive", "note", "people/add", "actions/add", "parents",
                   "referrals/add", "evidence/add")  # fmt: skip


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_the_pages_of_an_incident_open_only_for_those_who_deal_with_it(cast: Cast, username: str) -> None:
    incidents = _incidents(cast)
    for incident in incidents.values():
        dealer = cast.alice if incident.kind == IncidentKind.PUPIL else cast.hana
        if incident.concerns_headteacher:
            dealer = cast.cleo
        actions.do_refer(incident, actor=dealer, agency="police", reference="P-1")
        actions.do_add_evidence(
            incident, actor=dealer, kind=EvidenceKind.FILE, upload=io.BytesIO(PNG), filename="a.png"
        )
    client = logged_in(cast.users[username])
    role = ROLES_AT_A[username]
    deals_with_some = role is not None and any(c in CAPABILITIES[role] for c in IN_CHARGE)
    wrong = []
    for kind, incident in incidents.items():
        want = EXPECTED[username][kind]
        # A role that deals with no incidents at all is refused the page; one that deals with others
        # is told this one is not found.
        expected_status = 200 if want == "full" else 404 if deals_with_some else 403
        urls = [f"/incidents/{incident.reference}/{page}/" for page in IN_CHARGE_PAGES]
        urls.append(f"/incidents/evidence/{incident.evidence.get().pk}/file/")
        urls.append(f"/incidents/referrals/{incident.referrals.get().pk}/answer/")
        subject = incident.involvements.exclude(person=None).exclude(role=Role.REPORTER).first()
        assert subject is not None and subject.person_id is not None
        urls.append(f"/incidents/people/{subject.person_id}/chronology/")
        for url in urls:
            status = client.get(url).status_code
            if status != expected_status:
                wrong.append(f"{kind}: GET {url} answered {status}, wanted {expected_status}")
        api = client.post(
            f"/incidents/api/{incident.reference}/evidence/", {"kind": "description", "description": "x"}
        )
        if api.status_code != (201 if want == "full" else expected_status):
            wrong.append(f"{kind}: the API answered {api.status_code}")
    assert not wrong, f"{username}:\n" + "\n".join(wrong)


def test_a_concern_about_the_reporter_is_no_longer_theirs_to_see(cast: Cast) -> None:
    from schoolgate.web.sanctions import matrix
    from schoolgate.web.sanctions.models import Misuse

    tom = person(cast.a, "Tom", "Example", PersonKind.STAFF, user=cast.tom)
    matrix.ensure_matrix(cast.a)
    row = Misuse.objects.get(school=cast.a, applies_to="pupil", key="offensive-message")
    incident = report(cast.a, cast.tom, misuse=row)
    assert incident.misuse == row
    client = logged_in(cast.tom)
    assert client.get(f"/incidents/{incident.reference}/").status_code == 200
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.PERPETRATOR, person=tom))
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.STAFF  # about a member of staff now: the headteacher's
    assert incident.misuse is None  # the pupils' row it had is not one of the staff table
    assert client.get(f"/incidents/{incident.reference}/").status_code == 404
    assert logged_in(cast.hana).get(f"/incidents/{incident.reference}/").status_code == 200


def test_the_reporter_sees_only_the_people_they_named(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name="Grace Okonkwo"))
    page = logged_in(cast.tom).get(f"/incidents/{incident.reference}/").content.decode()
    assert "Amelia Hughes" in page and "Grace Okonkwo" not in page


def test_who_deals_with_it_follows_whom_it_is_about(cast: Cast) -> None:
    head = person(cast.a, "Helen", "Ashworth", PersonKind.STAFF, user=cast.hana)
    incident = report(cast.a, cast.tom)
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.PERPETRATOR, person=head))
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.STAFF and incident.concerns_headteacher
    assert logged_in(cast.cleo).get(f"/incidents/{incident.reference}/").status_code == 200
    # The chair cannot hand it to the headteacher it is about by unticking the box.
    change = actions.Classification(
        kind=IncidentKind.STAFF, risk_area=incident.risk_area, incident_type=incident.incident_type,
        misuse=None, restricted=False, concerns_headteacher=False, illegal_content="", senior_first=None,
        senior_second=None,
    )  # fmt: skip
    actions.do_classify(incident, actor=cast.cleo, classification=change)
    incident.refresh_from_db()
    assert incident.concerns_headteacher
    assert logged_in(cast.hana).get(f"/incidents/{incident.reference}/").status_code == 404


def test_a_safeguarding_type_stays_restricted(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    assert not incident.restricted
    change = actions.Classification(
        kind=IncidentKind.PUPIL, risk_area=RiskArea.CONTACT, incident_type=IncidentType.GROOMING,
        misuse=None, restricted=False, concerns_headteacher=False, illegal_content="", senior_first=None,
        senior_second=None,
    )  # fmt: skip
    actions.do_classify(incident, actor=cast.olu, classification=change)
    incident.refresh_from_db()
    assert incident.restricted
    assert logged_in(cast.olu).get(f"/incidents/{incident.reference}/").status_code == 404


def test_earlier_sanctions_are_told_only_from_incidents_the_viewer_deals_with(cast: Cast) -> None:
    from schoolgate.web.incidents import expected
    from schoolgate.web.sanctions import matrix
    from schoolgate.web.sanctions.models import SanctionAction

    pupil = person(cast.a, "Ben", "Carter")
    first = report(
        cast.a, cast.tom, subject=pupil, role=Role.PERPETRATOR, incident_type=IncidentType.GROOMING
    )
    matrix.ensure_matrix(cast.a)
    warning = SanctionAction.objects.get(school=cast.a, applies_to="pupil", key="warning")
    actions.do_take_action(first, actor=cast.alice, action=warning)
    again = report(cast.a, cast.tom, subject=pupil, role=Role.PERPETRATOR)
    assert [e.incident for e in expected.earlier_sanctions(again, cast.alice)] == [first]
    assert expected.earlier_sanctions(again, cast.olu) == []  # the first is restricted: not olu's
    page = logged_in(cast.olu).get(f"/incidents/{again.reference}/").content.decode()
    assert "Continued infringement" not in page and f"/incidents/{first.reference}/" not in page


def test_another_schools_dsl_sees_nothing(cast: Cast) -> None:
    incidents = _incidents(cast)
    client = logged_in(cast.zack)
    listing = client.get("/incidents/?show=all").content.decode()
    for incident in incidents.values():
        assert client.get(f"/incidents/{incident.reference}/").status_code == 404
        assert incident.reference not in listing
