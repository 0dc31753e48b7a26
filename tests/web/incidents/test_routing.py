"""Where a concern goes follows from whom it names, however the name was given: picked from the
school's records, typed in full, typed as "Evans, Margaret" or "Mrs Evans", kept as "not on our
records", or given by a program without being checked. A typed name that may be someone on the records
comes back to be confirmed. Nobody deals with a concern that names them, whatever their role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from schoolgate.web.accounts.choices import Role as LoginRole
from schoolgate.web.accounts.models import Membership
from schoolgate.web.incidents import access, actions
from schoolgate.web.incidents.choices import EvidenceKind, IncidentKind, IncidentType, RiskArea, Role, Status
from schoolgate.web.incidents.forms import keep_value
from schoolgate.web.incidents.models import Incident, Involvement
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, Person
from schoolgate.web.sanctions.models import SanctionAction
from tests.web.factories import Cast, make_user
from tests.web.incidents.make import person, report, url
from tests.web.pages import logged_in as log_in
from tests.web.pages import text

_clients: dict[int, Any] = {}


@pytest.fixture(autouse=True)
def _one_login_each() -> Any:
    """One login per user per test: a second, in the same 30 seconds, would reuse the code."""
    _clients.clear()
    yield
    _clients.clear()


def logged_in(user: Any) -> Any:
    if user.pk not in _clients:
        _clients[user.pk] = log_in(user)
    return _clients[user.pk]


def _form(**more: str) -> dict[str, str]:
    data = {
        "kind": "staff",
        "illegal_content": "",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Staff room",
        "what_happened": "Shouted at a Year 4 pupil and grabbed her arm in the corridor.",
        "person_0": "Margaret Evans",
        "role_0": "subject",
        "incident_type": "other",
        "risk_area": "conduct",
        "misuse": "",
    }
    data.update(more)
    return data


@pytest.fixture
def head(cast: Cast) -> Person:
    """The headteacher's record, linked to her login (hana)."""
    return person(cast.a, "Margaret", "Evans", PersonKind.STAFF, user=cast.hana, job_title="Headteacher")


def _reported(cast: Cast, kind: IncidentKind, party: actions.Party, what: str) -> Incident:
    """A concern tom reports through the action, naming one party."""
    return actions.do_report(
        cast.a,
        actor=cast.tom,
        report=actions.Report(
            kind=kind, risk_area=RiskArea.CONDUCT, incident_type=IncidentType.OTHER,
            occurred_at=timezone.now() - dt.timedelta(hours=1), location="Hall", what_happened=what,
            people=(party,),
        ),
    )  # fmt: skip


def _goes_to_the_chair_alone(cast: Cast, incident: Incident) -> None:
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.STAFF and incident.concerns_headteacher
    assert logged_in(cast.cleo).get(url(incident)).status_code == 200
    hana = logged_in(cast.hana)
    assert hana.get(url(incident)).status_code == 404
    assert incident.reference not in hana.get("/incidents/?show=all").content.decode()
    with pytest.raises(PermissionDenied):
        actions.do_archive(incident, actor=cast.hana, reason="Raised in error")


@pytest.mark.parametrize(
    "typed",
    ["Margaret Evans", "Evans, Margaret", "Mrs Evans", "  margaret   EVANS ", "M. Evans", "Hana Example"],
)
def test_a_typed_name_that_may_be_the_headteacher_comes_back_to_be_confirmed(
    cast: Cast, head: Person, typed: str
) -> None:
    response = logged_in(cast.tom).post("/incidents/report/", _form(person_0=typed))
    assert response.status_code == 200
    words = text(response)
    assert f"Who is “{' '.join(typed.split())}”?" in words
    assert "Margaret Evans (headteacher)" in words and "None of these: keep" in words
    assert not Incident.objects.exists()


def test_picking_the_headteacher_sends_the_concern_to_the_chair_of_governors_alone(
    cast: Cast, head: Person
) -> None:
    client = logged_in(cast.tom)
    response = client.post("/incidents/report/", _form(match_0=f"person:{head.pk}"))
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    assert incident.involvements.get(role=Role.SUBJECT).person == head
    _goes_to_the_chair_alone(cast, incident)
    assert "It has gone to the chair of governors" in text(client.get(response["Location"]))


def test_keeping_the_name_as_not_on_our_records_still_sends_it_to_the_chair(cast: Cast, head: Person) -> None:
    response = logged_in(cast.tom).post(
        "/incidents/report/", _form(person_0="Evans, Margaret", match_0=keep_value("Evans, Margaret"))
    )
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    subject = incident.involvements.get(role=Role.SUBJECT)
    assert subject.person is None and subject.name == "Evans, Margaret" and subject.records == "kept"
    _goes_to_the_chair_alone(cast, incident)


def test_a_pupil_concern_that_may_be_about_the_headteacher_goes_to_the_chair(
    cast: Cast, head: Person
) -> None:
    form = _form(kind="pupil", person_0="Mrs Evans", role_0="perpetrator", match_0=keep_value("Mrs Evans"))
    response = logged_in(cast.tom).post("/incidents/report/", form)
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    _goes_to_the_chair_alone(cast, incident)
    assert logged_in(cast.alice).get(url(incident)).status_code == 404


def test_a_headteacher_with_a_login_and_no_record_is_offered_by_the_login(cast: Cast) -> None:
    client = logged_in(cast.tom)
    words = text(client.post("/incidents/report/", _form(person_0="Hana Example")))
    assert "Hana Example (headteacher)" in words
    response = client.post(
        "/incidents/report/", _form(person_0="Hana Example", match_0=f"user:{cast.hana.pk}")
    )
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    subject = incident.involvements.get(role=Role.SUBJECT)
    assert subject.user == cast.hana and subject.person is None and subject.records == "linked"
    _goes_to_the_chair_alone(cast, incident)


def test_a_name_given_without_being_checked_routes_by_who_it_may_be(cast: Cast, head: Person) -> None:
    """Through the actions (a program, a command), a name is not confirmed: it is recorded as not
    checked, and where the concern goes still follows from who it may be."""
    incident = report(cast.a, cast.tom, kind=IncidentKind.STAFF, subject=None)
    actions.do_add_person(incident, actor=cast.hana, party=actions.Party(Role.WITNESS, name="Margaret Evans"))
    witness = incident.involvements.get(role=Role.WITNESS)
    assert witness.person is None and witness.records == "unchecked"
    _goes_to_the_chair_alone(cast, incident)  # named as a witness of a concern about staff: not hers
    # A member of staff named, unlinked, as the one it is about: a concern about staff.
    robert = person(cast.a, "Robert", "Patel", PersonKind.STAFF)
    pupils = report(cast.a, cast.tom)
    actions.do_add_person(
        pupils, actor=cast.alice, party=actions.Party(Role.PERPETRATOR, name="Robert Patel")
    )
    pupils.refresh_from_db()
    assert pupils.kind == IncidentKind.STAFF and not pupils.concerns_headteacher
    assert logged_in(cast.hana).get(url(pupils)).status_code == 200
    assert logged_in(cast.alice).get(url(pupils)).status_code == 404
    assert robert.kind == PersonKind.STAFF


def test_a_staff_member_named_as_a_witness_leaves_a_pupil_concern_with_the_dsl_team(cast: Cast) -> None:
    person(cast.a, "Robert", "Patel", PersonKind.STAFF)
    incident = report(cast.a, cast.tom)
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name="Robert Patel"))
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.PUPIL
    assert logged_in(cast.alice).get(url(incident)).status_code == 200


@pytest.fixture
def mias(cast: Cast) -> tuple[Person, Person]:
    klass = ClassGroup.objects.create(school=cast.a, name="4B")
    pupil = person(cast.a, "Mia", "Jones", class_group=klass)
    parent = Person.objects.create(school=cast.a, kind=PersonKind.PARENT, first_name="Mia", last_name="Jones")
    return pupil, parent


def _pupil_form(**more: str) -> dict[str, str]:
    return _form(kind="pupil", person_0="Mia Jones", role_0="victim", incident_type="cyberbullying", **more)


def test_two_people_of_one_name_are_told_apart_and_the_one_picked_is_linked(
    cast: Cast, mias: tuple[Person, Person]
) -> None:
    pupil, _ = mias
    client = logged_in(cast.tom)
    words = text(client.post("/incidents/report/", _pupil_form()))
    assert "Who is “Mia Jones”?" in words
    assert "Mia Jones (pupil, 4B)" in words and "Mia Jones (parent or carer)" in words
    assert not Incident.objects.exists()
    response = client.post("/incidents/report/", _pupil_form(match_0=f"person:{pupil.pk}"))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.involvements.get(role=Role.VICTIM).person == pupil
    chronology = logged_in(cast.alice).get(f"/incidents/people/{pupil.pk}/chronology/")
    assert chronology.status_code == 200 and incident.reference in text(chronology)
    assert "without linking them" not in text(chronology)


def test_a_name_kept_unlinked_is_said_in_the_pupils_chronology(
    cast: Cast, mias: tuple[Person, Person]
) -> None:
    pupil, _ = mias
    response = logged_in(cast.tom).post("/incidents/report/", _pupil_form(match_0=keep_value("Mia Jones")))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.involvements.get(role=Role.VICTIM).person is None
    chronology = logged_in(cast.alice).get(f"/incidents/people/{pupil.pk}/chronology/")
    assert chronology.status_code == 200
    words = text(chronology)
    assert (
        f"1 record names someone called Mia Jones without linking them: Incident {incident.reference}"
        in words
    )
    assert f'href="{url(incident)}"' in chronology.content.decode()
    # Only to those who deal with it: the headteacher is not told of a pupil's concern.
    assert logged_in(cast.hana).get(f"/incidents/people/{pupil.pk}/chronology/").status_code == 404


def test_the_choice_holds_only_for_the_name_it_was_made_for(cast: Cast, head: Person, mias: Any) -> None:
    client = logged_in(cast.tom)
    for choice in (keep_value("Margaret Evans"), f"person:{head.pk}", "person:999999", "keep:"):
        response = client.post("/incidents/report/", _pupil_form(match_0=choice))
        assert response.status_code == 200, choice
        assert "Choose" in text(response)
    assert not Incident.objects.exists()


def test_a_name_on_nobodys_records_goes_through_at_once(cast: Cast, head: Person) -> None:
    response = logged_in(cast.tom).post(
        "/incidents/report/", _form(kind="pupil", person_0="Jordan Blakemore")
    )
    assert response.status_code == 302
    named = Incident.objects.get().involvements.get(role=Role.SUBJECT)
    assert named.person is None and named.records == "none"


def test_the_dsl_adding_the_headteacher_by_name_confirms_her_and_hands_the_concern_on(
    cast: Cast, head: Person
) -> None:
    incident = report(cast.a, cast.tom)
    alice = logged_in(cast.alice)
    page = url(incident, "people/add")
    words = text(alice.post(page, {"name": "Mrs Evans", "role": "perpetrator"}))
    assert "Who is “Mrs Evans”?" in words and "Margaret Evans (headteacher)" in words
    assert not incident.involvements.filter(role=Role.PERPETRATOR).exists()
    response = alice.post(page, {"name": "Mrs Evans", "role": "perpetrator", "match": f"person:{head.pk}"})
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    assert "has gone to the chair of governors" in text(alice.get("/incidents/"))
    _goes_to_the_chair_alone(cast, incident)


def test_the_chair_typing_a_name_is_not_shown_the_records(cast: Cast, head: Person, mias: Any) -> None:
    incident = report(cast.a, cast.tom, kind=IncidentKind.STAFF, subject=head, role=Role.SUBJECT)
    assert Incident.objects.get(pk=incident.pk).concerns_headteacher
    response = logged_in(cast.cleo).post(
        url(incident, "people/add"), {"name": "Mia Jones", "role": "witness"}
    )
    assert response.status_code == 302
    witness = incident.involvements.get(role=Role.WITNESS)
    assert witness.person is None and witness.records == "unchecked"
    assert "(pupil" not in text(logged_in(cast.cleo).get(url(incident)))


# ---------------------------------------------------------------------------------------------------------
# A record picked from the list routes by its name too: the school's records are rarely linked to logins
# (the MIS import links none), staff who are parents have a parent's record as well, and those who keep
# the records may add one that looks like them.


@pytest.mark.parametrize("login", ["Margaret Evans", "Mrs M Evans", "Mrs Evans", "Evans, Margaret"])
def test_picking_the_headteachers_unlinked_staff_record_sends_the_concern_to_the_chair(
    cast: Cast, login: str
) -> None:
    cast.hana.display_name = login
    cast.hana.save()
    person(cast.a, "Margaret", "Evans", PersonKind.STAFF, job_title="Headteacher")  # from the MIS: unlinked
    response = logged_in(cast.tom).post("/incidents/report/", _form(person_0="Margaret Evans (staff)"))
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    assert incident.involvements.get(role=Role.SUBJECT).person is not None
    _goes_to_the_chair_alone(cast, incident)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (PersonKind.PARENT, "parent or carer"),
        (PersonKind.VISITOR, "visitor"),
        (PersonKind.COMMUNITY, "community user"),
        (PersonKind.GOVERNOR, "governor"),
        (PersonKind.PUPIL, "pupil"),
    ],
)
def test_picking_another_record_of_the_headteachers_name_sends_the_concern_to_the_chair(
    cast: Cast, head: Person, kind: PersonKind, label: str
) -> None:
    """Her own record is linked to her login; another of her name (hers as a parent, or one made to
    look like her) is picked instead."""
    Person.objects.create(school=cast.a, kind=kind, first_name="Margaret", last_name="Evans")
    client = logged_in(cast.tom)
    response = client.post("/incidents/report/", _form(person_0=f"Margaret Evans ({label})"))
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    assert incident.involvements.get(role=Role.SUBJECT).person.kind == kind  # type: ignore[union-attr]
    _goes_to_the_chair_alone(cast, incident)
    assert "It has gone to the chair of governors" in text(client.get(response["Location"]))


def test_a_pupil_concern_about_a_member_of_staff_by_their_parent_record_goes_to_the_headteacher(
    cast: Cast,
) -> None:
    person(cast.a, "Robert", "Patel", PersonKind.STAFF)
    parent = Person.objects.create(
        school=cast.a, kind=PersonKind.PARENT, first_name="Robert", last_name="Patel"
    )
    incident = report(cast.a, cast.tom)
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.PERPETRATOR, person=parent))
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.STAFF and not incident.concerns_headteacher
    assert logged_in(cast.hana).get(url(incident)).status_code == 200
    assert logged_in(cast.alice).get(url(incident)).status_code == 404


@pytest.mark.parametrize("record", ["parent", "unlinked staff", "typed"])
@pytest.mark.parametrize("login", ["Alice Example", "Mrs A Example", "Mrs Example"])
def test_the_dsl_does_not_deal_with_a_concern_that_names_her_by_another_record(
    cast: Cast, record: str, login: str
) -> None:
    cast.alice.display_name = login
    cast.alice.save()
    incident = report(cast.a, cast.tom)
    if record == "typed":
        party = actions.Party(Role.WITNESS, name="Alice Example", kept=True)
    else:
        kind = PersonKind.PARENT if record == "parent" else PersonKind.STAFF
        found = Person.objects.create(school=cast.a, kind=kind, first_name="Alice", last_name="Example")
        party = actions.Party(Role.WITNESS, person=found)
    actions.do_add_person(incident, actor=cast.dara, party=party)
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.PUPIL  # a witness: it stays with the DSL team
    with pytest.raises(PermissionDenied, match="names"):
        actions.do_note(incident, actor=cast.alice, text="A note")
    assert logged_in(cast.alice).get(url(incident)).status_code == 404
    assert logged_in(cast.dara).get(url(incident)).status_code == 200


def test_another_member_of_staff_of_the_headteachers_last_name_is_still_hers_to_deal_with(cast: Cast) -> None:
    cast.hana.display_name = "Mrs M Evans"
    cast.hana.save()
    person(cast.a, "Margaret", "Evans", PersonKind.STAFF, job_title="Headteacher")
    person(cast.a, "John", "Evans", PersonKind.STAFF, job_title="Site manager")
    response = logged_in(cast.tom).post("/incidents/report/", _form(person_0="John Evans (staff)"))
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get()
    assert incident.kind == IncidentKind.STAFF and not incident.concerns_headteacher
    assert logged_in(cast.hana).get(url(incident)).status_code == 200


def test_a_pupil_is_not_taken_for_a_member_of_staff_named_in_part(cast: Cast) -> None:
    cast.alice.display_name = "Mrs A Example"
    cast.alice.save()
    amy = person(cast.a, "Amy", "Example")
    incident = report(cast.a, cast.tom, subject=amy)
    assert Incident.objects.get(pk=incident.pk).kind == IncidentKind.PUPIL
    actions.do_note(incident, actor=cast.alice, text="Spoke to Amy")
    assert logged_in(cast.alice).get(url(incident)).status_code == 200


def test_a_pupil_picked_from_the_records_keeps_a_pupil_concern_with_the_dsl_team(cast: Cast) -> None:
    """A pupil who shares a member of staff's full name (common in a large school) is that child when
    picked from the records: the concern stays with the DSL team, and the member of staff of that name
    neither sees nor deals with it."""
    person(cast.a, "Alice", "Example", PersonKind.STAFF, user=cast.alice)  # the DSL's own record
    namesake = person(cast.a, "Alice", "Example")  # a pupil of the same name
    incident = report(cast.a, cast.tom, subject=namesake)
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.PUPIL and not incident.concerns_headteacher
    assert logged_in(cast.hana).get(url(incident)).status_code == 404  # not made a concern about staff
    assert logged_in(cast.alice).get(url(incident)).status_code == 404  # she may be the one it names
    assert logged_in(cast.dara).get(url(incident)).status_code == 200  # the deputy deals with it


# ---------------------------------------------------------------------------------------------------------
# Nobody deals with a concern that names them


def _every_dealing(incident: Incident, user: Any) -> dict[str, Any]:
    warning = SanctionAction.objects.get(school=incident.school, applies_to="pupil", key="warning")
    change = actions.Classification(
        kind=IncidentKind.PUPIL, risk_area=incident.risk_area, incident_type=IncidentType.OTHER, misuse=None,
        restricted=False, concerns_headteacher=False, illegal_content="", senior_first=None,
        senior_second=None,
    )  # fmt: skip
    return {
        "move": lambda: actions.do_move(incident, actor=user, to=Status.TRIAGED),
        "classify": lambda: actions.do_classify(incident, actor=user, classification=change),
        "note": lambda: actions.do_note(incident, actor=user, text="A note"),
        "add a person": lambda: actions.do_add_person(
            incident, actor=user, party=actions.Party(Role.WITNESS, name="Grace Okonkwo")
        ),
        "action": lambda: actions.do_take_action(incident, actor=user, action=warning),
        "evidence": lambda: actions.do_add_evidence(
            incident, actor=user, kind=EvidenceKind.DESCRIPTION, description="x"
        ),
        "refer": lambda: actions.do_refer(incident, actor=user, agency="police"),
        "parents told": lambda: actions.do_tell_parents(
            incident, actor=user, name="Sarah Hughes", method="phone"
        ),
        "parents not told": lambda: actions.do_parents_not_told(incident, actor=user, reason="Reason"),
        "close": lambda: actions.do_close(
            incident, actor=user, outcome="resolved", reasons="x", not_referred_reason="y"
        ),
        "archive": lambda: actions.do_archive(incident, actor=user, reason="Raised in error"),
    }


@pytest.mark.parametrize("how", ["linked", "typed"])
def test_nobody_deals_with_a_concern_that_names_them(cast: Cast, how: str) -> None:
    from schoolgate.web.sanctions import matrix

    matrix.ensure_matrix(cast.a)
    # A headteacher who is also the DSL (as in many small primary schools), named as a witness of a
    # concern about pupils: it stays with the DSL team, and she is not one of those who deal with it.
    both = make_user("hedda", cast.a, LoginRole.DSL)
    Membership.objects.create(user=both, school=cast.a, role=LoginRole.HEADTEACHER)
    incident = report(cast.a, cast.tom)
    if how == "linked":
        record = person(cast.a, "Hedda", "Example", PersonKind.STAFF, user=both)
        actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.WITNESS, person=record))
    else:
        actions.do_add_person(
            incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name="Hedda Example", kept=True)
        )
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.PUPIL
    refused = []
    for name, deal in _every_dealing(incident, both).items():
        try:
            deal()
        except PermissionDenied as error:
            assert "names Hedda Example" in str(error), name
        else:
            refused.append(name)
    assert not refused, f"hedda could: {refused}"
    client = logged_in(both)
    assert client.get(url(incident)).status_code == 404
    assert incident.reference not in client.get("/incidents/?show=all").content.decode()
    # The rest of the DSL team deals with it; she may not answer their referral, nor reopen it.
    actions.do_move(incident, actor=cast.dara, to=Status.TRIAGED)
    referral = actions.do_refer(incident, actor=cast.dara, agency="social-care")
    with pytest.raises(PermissionDenied):
        actions.do_referral_answer(
            referral, actor=both, completed_on=timezone.localdate(), outcome="No action"
        )
    actions.do_parents_not_told(incident, actor=cast.dara, reason="Reason")
    actions.do_close(incident, actor=cast.dara, outcome="resolved", reasons="Spoke to both")
    with pytest.raises(PermissionDenied):
        actions.do_reopen(incident, actor=both, reason="More messages")
    assert logged_in(cast.alice).get(url(incident)).status_code == 200


def test_a_reporter_the_concern_turns_out_to_be_about_adds_nothing_to_it(cast: Cast) -> None:
    incident = report(cast.a, cast.tom, illegal_content="other")
    actions.do_add_information(incident, actor=cast.tom, text="I remembered something else")
    actions.do_add_person(
        incident, actor=cast.alice, party=actions.Party(Role.PERPETRATOR, name="Tom Example", kept=True)
    )
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.STAFF  # tom's login is a teacher's: a member of staff
    with pytest.raises(PermissionDenied):
        actions.do_add_information(incident, actor=cast.tom, text="Something more")
    from schoolgate.web.incidents.choices import IllegalStep

    with pytest.raises(PermissionDenied):
        actions.do_illegal_step(incident, actor=cast.tom, step=IllegalStep.ISOLATED)
    assert logged_in(cast.tom).get(url(incident)).status_code == 404
    assert Involvement.objects.filter(incident=incident, name="Tom Example", role=Role.PERPETRATOR).exists()


# ---------------------------------------------------------------------------------------------------------
# What the log does not list


NOT_LISTED = {
    "alice": "Not listed here: concerns about members of staff go to the headteacher; concerns about the "
    "headteacher go to the chair of governors.",
    "olu": "Not listed here: restricted concerns about pupils go to the DSL and deputies; concerns about "
    "members of staff go to the headteacher; concerns about the headteacher go to the chair of governors.",
    "hana": "Not listed here: concerns about pupils go to the DSL team; concerns about the headteacher go "
    "to the chair of governors.",
    "cleo": "Not listed here: concerns about pupils go to the DSL team; concerns about members of staff go "
    "to the headteacher.",
    "tom": "You see the concerns you reported, unless one turned out to be about you.",
}


@pytest.mark.parametrize("username", sorted(NOT_LISTED))
def test_the_log_says_what_it_does_not_list_whether_or_not_there_is_any(
    cast: Cast, head: Person, username: str
) -> None:
    client = logged_in(cast.users[username])
    before = text(client.get("/incidents/"))
    assert NOT_LISTED[username] in before
    if username != "tom":
        assert "A concern that names you goes to others" in before
    report(cast.a, cast.sami, kind=IncidentKind.STAFF, subject=head, role=Role.SUBJECT)
    report(cast.a, cast.sami, incident_type=IncidentType.GROOMING)
    report(cast.a, cast.sami, kind=IncidentKind.STAFF)
    after = text(client.get("/incidents/"))
    said = before.split("Not listed here:")[-1].split(".")[0]
    assert said in after and NOT_LISTED[username] in after


@pytest.mark.parametrize("how", ["typed and kept", "typed, not checked", "picked"])
def test_a_name_that_reaches_the_headteacher_through_her_other_names_goes_to_the_chair(
    cast: Cast, how: str
) -> None:
    """Her login says Margaret Evans; her record from the MIS (linked to nothing, as the MIS import
    leaves it) says Margaret, known as Maggie; the concern names "Maggie Evans"."""
    cast.hana.display_name = "Margaret Evans"
    cast.hana.save()
    record = Person.objects.create(
        school=cast.a, kind=PersonKind.STAFF, first_name="Margaret", preferred_name="Maggie",
        last_name="Evans", job_title="Headteacher",
    )  # fmt: skip
    party = {
        "typed and kept": actions.Party(Role.SUBJECT, name="Maggie Evans", kept=True),
        "typed, not checked": actions.Party(Role.SUBJECT, name="Maggie Evans"),
        "picked": actions.Party(Role.SUBJECT, person=record),
    }[how]
    incident = _reported(cast, IncidentKind.STAFF, party, "Grabbed a pupil's arm.")
    _goes_to_the_chair_alone(cast, incident)


def test_the_dsl_does_not_deal_with_a_concern_naming_her_by_her_records_other_name(cast: Cast) -> None:
    Person.objects.create(
        school=cast.a, kind=PersonKind.STAFF, first_name="Alice", preferred_name="Ali", last_name="Example"
    )
    incident = _reported(
        cast, IncidentKind.PUPIL, actions.Party(Role.WITNESS, name="Ali Example", kept=True), "Saw it happen."
    )
    assert not access.deals_with(cast.alice, incident)
    assert access.deals_with(cast.dara, incident)


def _witnessed(cast: Cast, name: str) -> Incident:
    return _reported(
        cast, IncidentKind.PUPIL, actions.Party(Role.WITNESS, name=name, kept=True), "Saw it happen."
    )


@pytest.mark.parametrize(
    ("login", "records", "named"),
    [
        # An apostrophe or an accent in the last name, as the records write it.
        ("Siobhan O'Brien", [("Siobhan", "Shiv", "O'Brien")], "Shiv O'Brien"),
        ("Ana Muñoz", [("Anabel", "Ana", "Muñoz")], "Anabel Muñoz"),
        # A chain of names, whatever order the records come in.
        ("Margaret Evans", [("Maggie", "Mags", "Evans"), ("Margaret", "Maggie", "Evans")], "Mags Evans"),
    ],
)
def test_the_dsl_is_known_by_every_name_her_records_give_her(
    cast: Cast, login: str, records: list[tuple[str, str, str]], named: str
) -> None:
    cast.alice.display_name = login
    cast.alice.save()
    for first, preferred, last in records:
        Person.objects.create(
            school=cast.a, kind=PersonKind.STAFF, first_name=first, preferred_name=preferred, last_name=last
        )
    incident = _witnessed(cast, named)
    assert not access.deals_with(cast.alice, incident)


def test_many_records_of_her_last_name_do_not_hide_her_own(cast: Cast) -> None:
    cast.alice.display_name = "Zainab Patel"
    cast.alice.save()
    Person.objects.bulk_create(
        Person(school=cast.a, kind=PersonKind.PARENT, first_name=f"A{i}", last_name="Patel")
        for i in range(300)
    )
    Person.objects.create(
        school=cast.a, kind=PersonKind.STAFF, first_name="Zainab", preferred_name="Zara", last_name="Patel"
    )
    assert not access.deals_with(cast.alice, _witnessed(cast, "Zara Patel"))


@pytest.mark.parametrize(
    ("other", "how"), [("Mrs Evans", "typed"), ("Mrs Evans", "picked"), ("Mr M Evans", "picked")]
)
def test_a_name_given_in_part_does_not_make_mark_evans_the_headteacher(
    cast: Cast, other: str, how: str
) -> None:
    """Someone shown as "Mrs Evans" or "Mr M Evans" may be Mark or Margaret; that does not make Mark
    Evans Margaret, the headteacher."""
    cast.hana.display_name = "Margaret Evans"
    cast.hana.save()
    cast.sami.display_name = other
    cast.sami.save()
    mark = Person.objects.create(
        school=cast.a, kind=PersonKind.STAFF, first_name="Mark", last_name="Evans", job_title="TA"
    )
    party = (
        actions.Party(Role.SUBJECT, person=mark)
        if how == "picked"
        else actions.Party(Role.SUBJECT, name="Mark Evans", kept=True)
    )
    incident = _reported(cast, IncidentKind.STAFF, party, "Grabbed a pupil's arm.")
    incident.refresh_from_db()
    assert incident.kind == IncidentKind.STAFF and not incident.concerns_headteacher
    assert access.deals_with(cast.hana, incident)
