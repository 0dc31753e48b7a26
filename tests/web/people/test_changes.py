"""Adding and changing people of every kind, their links to children, their network identities, and
the year groups and classes; each form's problems said in plain words next to the field."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.people.choices import IdentityKind, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, NetworkIdentity, Person, YearGroup
from tests.web.factories import Cast, group, identity, link, person, year
from tests.web.pages import logged_in, text

SOON = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def _errors(response: Any) -> list[str]:
    """The error summary's lines."""
    page = response.content.decode()
    summary = (
        page.split('class="error-summary"', 1)[1].split("</div>", 1)[0] if "error-summary" in page else ""
    )
    found = re.findall(r"<li>(.*?)</li>", summary, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", m)).split()) for m in found]


def _add(client: Client, kind: str, data: dict[str, Any]) -> Any:
    return client.post(f"/people/add/?kind={kind}", data)


def test_adding_asks_who_first(cast: Cast) -> None:
    page = text(logged_in(cast.alice).get("/people/add/"))
    assert "Who are you adding?" in page
    for label in (
        "Pupil",
        "Staff",
        "Governor",
        "Visitor",
        "Supply staff",
        "Community user",
        "Parent or carer",
    ):
        assert label in page


def test_a_pupil_is_added_with_their_year_class_and_upn(cast: Cast) -> None:
    five = year(cast.a)
    five_b = group(cast.a, "5B", five)
    client = logged_in(cast.alice)
    page = text(client.get("/people/add/?kind=pupil"))
    assert "Add a pupil" in page and "UPN or MIS ID" in page and "Job title" not in page
    response = _add(
        client,
        "pupil",
        {
            "first_name": " Amelia ",
            "last_name": "Hughes",
            "preferred_name": "Millie",
            "date_of_birth": "2016-03-14",
            "year_group": five.pk,
            "class_group": five_b.pk,
            "mis_id": "h801200001001",
        },
    )
    pupil = Person.objects.get(last_name="Hughes")
    assert response.status_code == 302 and response["Location"] == f"/people/{pupil.pk}/"
    assert (pupil.kind, pupil.first_name, pupil.school) == (PersonKind.PUPIL, "Amelia", cast.a)
    assert (pupil.year_group, pupil.class_group, pupil.mis_id) == (five, five_b, "H801200001001")
    assert pupil.date_of_birth == dt.date(2016, 3, 14)
    entry = AuditEntry.objects.get(object_type="people.person", object_id=str(pupil.pk))
    assert (entry.action, entry.actor) == ("create", cast.alice)


def test_a_pupils_form_says_what_is_wrong_next_to_each_field(cast: Cast) -> None:
    four = year(cast.a, "Year 4", KeyStage.KS2, 4)
    five_b = group(cast.a, "5B", year(cast.a))
    person(cast.a, first_name="Oliver", last_name="Hughes", mis_id="H801200001001")
    client = logged_in(cast.alice)
    response = _add(
        client,
        "pupil",
        {
            "first_name": "",
            "last_name": "Hughes",
            "date_of_birth": "2099-01-01",
            "year_group": four.pk,
            "class_group": five_b.pk,
            "mis_id": "H801200001001",
        },
    )
    assert response.status_code == 200
    assert _errors(response) == [
        "First name: This field is required.",
        "Date of birth: The date of birth must be in the past",
        "Class: That class is in another year group",
        "UPN or MIS ID: Oliver Hughes has this UPN or MIS ID already",
    ]
    page = response.content.decode()
    # Each field names its hint and its error for screen readers, by the ids field.html gives them.
    field = re.search(r"<input[^>]*id=\"id_first_name\"[^>]*>", page)
    assert (
        field is not None and 'aria-describedby="id_first_name_helptext id_first_name_error"' in field.group()
    )
    assert 'id="id_first_name_error"' in page and 'id="id_first_name_helptext"' in page
    assert Person.objects.filter(school=cast.a).count() == 1


def test_year_groups_and_classes_offered_are_only_the_schools_own(cast: Cast) -> None:
    mine, theirs = year(cast.a, "Year 5"), year(cast.b, "Year 6 South", KeyStage.KS2, 6)
    their_class = group(cast.b, "6S", theirs)
    client = logged_in(cast.alice)
    page = text(client.get("/people/add/?kind=pupil"))  # the text: a CSRF token may hold "6S"
    assert "Year 5" in page and "Year 6 South" not in page and "6S" not in page
    response = _add(
        client,
        "pupil",
        {"first_name": "A", "last_name": "B", "year_group": theirs.pk, "class_group": their_class.pk},
    )
    assert _errors(response) == [
        "Year group: Select a valid choice. That choice is not one of the available choices.",
        "Class: Select a valid choice. That choice is not one of the available choices.",
    ]
    assert mine.pk and not Person.objects.exists()


def test_staff_are_added_with_their_job_title_and_email(cast: Cast) -> None:
    client = logged_in(cast.nina)
    response = _add(
        client,
        "staff",
        {
            "title": "Mrs",
            "first_name": "Sarah",
            "last_name": "Ahmed",
            "job_title": "Deputy headteacher",
            "email": "s.ahmed@northfield.example",
            "mis_id": "SAH",
        },
    )
    assert response.status_code == 302
    staff = Person.objects.get(kind=PersonKind.STAFF)
    assert (staff.title, staff.job_title, staff.email, staff.mis_id) == (
        "Mrs",
        "Deputy headteacher",
        "s.ahmed@northfield.example",
        "SAH",
    )
    response = _add(client, "staff", {"first_name": "Ravi", "last_name": "Patel", "email": "not an email"})
    assert _errors(response) == ["Email address: Enter a valid email address."]
    assert "Date of birth" not in text(client.get("/people/add/?kind=staff"))


def test_a_governor_is_added_with_their_role_on_the_board(cast: Cast) -> None:
    client = logged_in(cast.alice)
    assert "Role on the governing board" in text(client.get("/people/add/?kind=governor"))
    _add(
        client, "governor", {"first_name": "Alan", "last_name": "Brown", "job_title": "Safeguarding governor"}
    )
    assert Person.objects.get(kind=PersonKind.GOVERNOR).job_title == "Safeguarding governor"


@pytest.mark.parametrize("kind", [PersonKind.VISITOR, PersonKind.SUPPLY, PersonKind.COMMUNITY])
def test_a_temporary_person_needs_a_purpose_a_host_and_an_end_to_their_access(cast: Cast, kind: str) -> None:
    host = person(cast.a, PersonKind.STAFF, first_name="Sarah", last_name="Ahmed")
    other_school_host = person(cast.b, PersonKind.STAFF, first_name="Zed", last_name="Southgate")
    client = logged_in(cast.alice)
    page = client.get(f"/people/add/?kind={kind}").content.decode()
    assert "Ahmed, Sarah" in page and "Southgate" not in page
    response = _add(client, kind, {"first_name": "Helen", "last_name": "Marsh"})
    assert _errors(response) == [
        "Why they are in school: This field is required.",
        "Responsible member of staff: This field is required.",
        "Access ends: Visitors, supply staff and community users need an end date for their access",
    ]
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "first_name": "Helen",
        "last_name": "Marsh",
        "purpose": "Reading volunteer, Year 2",
        "organisation": "Local library",
        "host": other_school_host.pk,
        "expires_at": past,
    }
    assert _errors(_add(client, kind, data)) == [
        "Responsible member of staff: Select a valid choice. That choice is not one of the available "
        "choices.",
        "Access ends: The end of their access must be in the future",
    ]
    response = _add(client, kind, {**data, "host": host.pk, "expires_at": SOON})
    assert response.status_code == 302
    visitor = Person.objects.get(kind=kind)
    assert (visitor.host, visitor.organisation, visitor.purpose) == (
        host,
        "Local library",
        "Reading volunteer, Year 2",
    )
    assert visitor.expires_at is not None and visitor.expires_at > timezone.now()
    assert "Helen Marsh" in text(client.get(f"/people/{host.pk}/"))  # responsible for


def test_a_parent_is_added_with_their_child(cast: Cast) -> None:
    child = person(cast.a, first_name="Amelia", last_name="Hughes", year_group=year(cast.a))
    person(cast.b, first_name="Bilal", last_name="Southgate")
    client = logged_in(cast.alice)
    page = client.get("/people/add/?kind=parent").content.decode()
    assert "Hughes, Amelia (Year 5)" in page and "Southgate" not in page
    response = _add(
        client, "parent", {"first_name": "Rachel", "last_name": "Hughes", "phone": "07700 900001"}
    )
    assert _errors(response) == [
        "Their child: This field is required.",
        "Relationship to the child: This field is required.",
    ]
    response = _add(
        client,
        "parent",
        {
            "first_name": "Rachel",
            "last_name": "Hughes",
            "child": child.pk,
            "relationship": "mother",
            "parental_responsibility": "on",
            "contact_order": "1",
        },
    )
    assert response.status_code == 302
    parent = Person.objects.get(kind=PersonKind.PARENT)
    saved = GuardianLink.objects.get()
    assert (saved.child, saved.guardian, saved.relationship) == (child, parent, Relationship.MOTHER)
    assert saved.parental_responsibility and saved.school == cast.a
    assert (
        AuditEntry.objects.filter(
            object_type="people.guardianlink", action="create", actor=cast.alice
        ).count()
        == 1
    )


def test_a_person_is_changed_and_the_change_is_in_the_audit_trail(cast: Cast) -> None:
    pupil = person(cast.a, first_name="Amelia", last_name="Hughes")
    client = logged_in(cast.alice)
    page = text(client.get(f"/people/{pupil.pk}/edit/"))
    assert (
        "Change Amelia Hughes's record" in page
        and 'value="Amelia"' in client.get(f"/people/{pupil.pk}/edit/").content.decode()
    )
    response = client.post(f"/people/{pupil.pk}/edit/", {"first_name": "Amelia", "last_name": "Hughes-Smith"})
    assert response.status_code == 302
    pupil.refresh_from_db()
    assert pupil.last_name == "Hughes-Smith" and pupil.kind == PersonKind.PUPIL
    entry = AuditEntry.objects.get(object_id=str(pupil.pk), action="update")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["last_name"], entry.after["last_name"], entry.actor) == (
        "Hughes",
        "Hughes-Smith",
        cast.alice,
    )
    response = client.post(f"/people/{pupil.pk}/edit/", {"first_name": "", "last_name": ""})
    assert _errors(response) == ["First name: This field is required.", "Last name: This field is required."]


def test_a_visitors_end_date_may_be_kept_when_it_has_passed(cast: Cast) -> None:
    host = person(cast.a, PersonKind.STAFF)
    visitor = person(
        cast.a,
        PersonKind.VISITOR,
        first_name="Helen",
        last_name="Marsh",
        host=host,
        purpose="Volunteer",
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    client = logged_in(cast.alice)
    kept = timezone.localtime(visitor.expires_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/people/{visitor.pk}/edit/",
        {
            "first_name": "Helen",
            "last_name": "Marsh",
            "purpose": "Volunteer",
            "host": host.pk,
            "expires_at": kept,
            "organisation": "Library",
        },
    )
    assert response.status_code == 302
    visitor.refresh_from_db()
    assert visitor.organisation == "Library"


def test_links_between_parents_and_children_are_added_changed_and_removed(cast: Cast) -> None:
    child = person(cast.a, first_name="Amelia", last_name="Hughes")
    sibling = person(cast.a, first_name="Oliver", last_name="Hughes")
    mother = person(cast.a, PersonKind.PARENT, first_name="Rachel", last_name="Hughes")
    link(child, mother)
    client = logged_in(cast.alice)
    response = client.post(
        f"/people/{child.pk}/links/add/",
        {"guardian": mother.pk, "relationship": "mother", "contact_order": 1},
    )
    assert _errors(response) == ["Rachel Hughes is already linked to Amelia Hughes"]
    response = client.post(
        f"/people/{mother.pk}/links/add/",
        {"child": sibling.pk, "relationship": "mother", "contact_order": 1, "parental_responsibility": "on"},
    )
    assert response.status_code == 302
    added = GuardianLink.objects.get(child=sibling)
    assert added.guardian == mother and added.parental_responsibility
    response = client.post(f"/people/links/{added.pk}/edit/", {"relationship": "carer", "contact_order": 0})
    assert _errors(response) == ["Contact order: Ensure this value is greater than or equal to 1."]
    client.post(f"/people/links/{added.pk}/edit/", {"relationship": "carer", "contact_order": 2})
    added.refresh_from_db()
    assert (added.relationship, added.contact_order, added.parental_responsibility) == ("carer", 2, False)
    assert "Remove the link between Rachel Hughes and Oliver Hughes?" in text(
        client.get(f"/people/links/{added.pk}/remove/")
    )
    assert client.post(f"/people/links/{added.pk}/remove/").status_code == 302
    assert not GuardianLink.objects.filter(pk=added.pk).exists()
    assert Person.objects.filter(pk__in=(sibling.pk, mother.pk)).count() == 2
    assert AuditEntry.objects.filter(
        object_type="people.guardianlink", action="delete", reason="link removed"
    ).exists()


def test_only_a_pupil_or_a_parent_has_links(cast: Cast) -> None:
    staff = person(cast.a, PersonKind.STAFF)
    assert logged_in(cast.alice).get(f"/people/{staff.pk}/links/add/").status_code == 404


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        (IdentityKind.USERNAME, " A.Hughes ", "a.hughes"),
        (IdentityKind.DEVICE, "10.10.1.23", "10.10.1.23"),
        (IdentityKind.DEVICE, "2001:db8::0001", "2001:db8::1"),
        (IdentityKind.NETWORK, "10.10.1.7/24", "10.10.1.0/24"),
    ],
)
def test_a_network_identity_is_stored_in_its_canonical_form(
    cast: Cast, kind: str, value: str, stored: str
) -> None:
    pupil = person(cast.a)
    client = logged_in(cast.nina)
    response = client.post(f"/people/identities/add/?person={pupil.pk}", {"kind": kind, "value": value})
    assert response.status_code == 302 and response["Location"] == f"/people/{pupil.pk}/"
    saved = NetworkIdentity.objects.get()
    assert (saved.value, saved.person, saved.school) == (stored, pupil, cast.a)
    assert AuditEntry.objects.filter(
        object_type="people.networkidentity", action="create", actor=cast.nina
    ).exists()


@pytest.mark.parametrize(
    ("kind", "value", "said"),
    [
        (IdentityKind.USERNAME, "a hughes", "Value: A user name has no spaces"),
        (
            IdentityKind.DEVICE,
            "10.10.1.300",
            "Value: 10.10.1.300 is not an IP address (for example 10.10.1.23)",
        ),
        (IdentityKind.NETWORK, "10.10.1.0/33", "Value: 10.10.1.0/33 is not an address range"),
    ],
)
def test_a_network_identity_that_is_not_one_is_refused(cast: Cast, kind: str, value: str, said: str) -> None:
    client = logged_in(cast.nina)
    errors = _errors(client.post("/people/identities/add/", {"kind": kind, "value": value, "label": "x"}))
    assert len(errors) == 1 and errors[0].replace("User name, address or range", "Value").startswith(said)
    assert not NetworkIdentity.objects.exists()


def test_a_network_identity_is_recorded_once(cast: Cast) -> None:
    pupil = person(cast.a, first_name="Amelia", last_name="Hughes")
    identity(cast.a, "a.hughes", person=pupil)
    identity(cast.b, "b.other")
    client = logged_in(cast.nina)
    errors = _errors(client.post("/people/identities/add/", {"kind": "username", "value": "A.HUGHES"}))
    assert errors == ["User name, address or range: a.hughes is recorded already (for Amelia Hughes)"]
    assert client.post("/people/identities/add/", {"kind": "username", "value": "b.other"}).status_code == 302


def test_a_shared_range_is_nobodys_and_is_changed_and_removed(cast: Cast) -> None:
    client = logged_in(cast.nina)
    response = client.post(
        "/people/identities/add/", {"kind": "network", "value": "10.10.200.0/24", "label": "Guest Wi-Fi"}
    )
    assert response["Location"] == "/people/identities/"
    saved = NetworkIdentity.objects.get()
    assert saved.person is None
    assert "Guest Wi-Fi" in text(client.get("/people/identities/?q=guest"))
    client.post(
        f"/people/identities/{saved.pk}/edit/",
        {"kind": "network", "value": "10.10.201.0/24", "label": "Guest Wi-Fi"},
    )
    saved.refresh_from_db()
    assert saved.value == "10.10.201.0/24"
    assert client.post(f"/people/identities/{saved.pk}/remove/").status_code == 302
    assert not NetworkIdentity.objects.exists()
    assert AuditEntry.objects.filter(object_type="people.networkidentity", action="delete").exists()


def test_the_dsl_sees_identities_but_only_the_network_manager_changes_them(cast: Cast) -> None:
    pupil = person(cast.a)
    saved = identity(cast.a, "a.hughes", person=pupil)
    client = logged_in(cast.alice)
    assert "a.hughes" in text(client.get("/people/identities/"))
    assert "Add a network identity" not in text(client.get(f"/people/{pupil.pk}/"))
    assert client.get("/people/identities/add/").status_code == 403
    assert (
        client.post(f"/people/identities/{saved.pk}/edit/", {"kind": "username", "value": "x"}).status_code
        == 403
    )
    assert client.post(f"/people/identities/{saved.pk}/remove/").status_code == 403
    assert NetworkIdentity.objects.get().value == "a.hughes"


def test_year_groups_are_added_with_the_key_stage_worked_out(cast: Cast) -> None:
    client = logged_in(cast.alice)
    assert client.post("/people/groups/years/add/", {"name": "Year 3"}).status_code == 302
    three = YearGroup.objects.get()
    assert (three.key_stage, three.order, three.school) == (KeyStage.KS2, 3, cast.a)
    assert _errors(client.post("/people/groups/years/add/", {"name": "year 3"})) == [
        "Name: There is a year group called year 3 already"
    ]
    assert _errors(client.post("/people/groups/years/add/", {"name": "Upper school"})) == [
        "Key stage: Choose the key stage"
    ]
    client.post("/people/groups/years/add/", {"name": "Upper school", "key_stage": "ks2", "order": 7})
    client.post(
        f"/people/groups/years/{three.pk}/edit/", {"name": "Year Three", "key_stage": "ks2", "order": 3}
    )
    three.refresh_from_db()
    assert three.name == "Year Three"
    page = text(client.get("/people/groups/"))
    assert "Year Three" in page and "Upper school" in page


def test_classes_are_added_in_a_year_group_of_the_school(cast: Cast) -> None:
    five, theirs = year(cast.a), year(cast.b, "Year 9", KeyStage.KS3, 9)
    client = logged_in(cast.alice)
    assert _errors(client.post("/people/groups/classes/add/", {"name": "9X", "year_group": theirs.pk})) == [
        "Year group: Select a valid choice. That choice is not one of the available choices."
    ]
    assert (
        client.post("/people/groups/classes/add/", {"name": "5B", "year_group": five.pk}).status_code == 302
    )
    assert _errors(client.post("/people/groups/classes/add/", {"name": "5b"})) == [
        "Name: There is a class called 5b already"
    ]
    saved = ClassGroup.objects.get()
    client.post(f"/people/groups/classes/{saved.pk}/edit/", {"name": "Oak", "year_group": ""})
    saved.refresh_from_db()
    assert (saved.name, saved.year_group) == ("Oak", None)
    pupil = person(cast.a, first_name="Isla", year_group=five, class_group=saved)
    page = text(client.get(f"/people/?class={saved.pk}"))
    assert "In Oak only" in page and pupil.last_name in page


def test_a_parent_or_a_person_of_another_school_cannot_be_chosen(cast: Cast) -> None:
    child = person(cast.a, first_name="Amelia", last_name="Hughes")
    their_parent = person(cast.b, PersonKind.PARENT, first_name="Zed", last_name="Southgate")
    their_pupil = person(cast.b, first_name="Bilal", last_name="Southgate")
    client = logged_in(cast.nina)
    assert "Southgate" not in client.get(f"/people/{child.pk}/links/add/").content.decode()
    response = client.post(
        f"/people/{child.pk}/links/add/", {"guardian": their_parent.pk, "relationship": "father"}
    )
    assert _errors(response) == [
        "Parent or carer: Select a valid choice. That choice is not one of the available choices."
    ]
    assert "Southgate" not in client.get("/people/identities/add/").content.decode()
    response = client.post(
        "/people/identities/add/", {"kind": "username", "value": "b.southgate", "person": their_pupil.pk}
    )
    assert _errors(response) == [
        "Whose is it: Select a valid choice. That choice is not one of the available choices."
    ]
    assert not GuardianLink.objects.exists() and not NetworkIdentity.objects.exists()


@pytest.mark.parametrize("kind", list(PersonKind))
def test_every_kind_of_person_can_be_changed(cast: Cast, kind: PersonKind) -> None:
    host = person(cast.a, PersonKind.STAFF, first_name="Sarah", last_name="Ahmed")
    someone = person(cast.a, kind, first_name="Jo", last_name="Example", purpose="Visit", host=host)
    client = logged_in(cast.alice)
    form = client.get(f"/people/{someone.pk}/edit/")
    assert form.status_code == 200 and "Change Jo Example's record" in text(form)
    data = {"first_name": "Jo", "last_name": "Changed", "purpose": "Visit", "host": host.pk}
    if someone.expires_at is not None:
        data["expires_at"] = timezone.localtime(someone.expires_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/people/{someone.pk}/edit/", data)
    assert response.status_code == 302, _errors(response)
    someone.refresh_from_db()
    assert (someone.last_name, someone.kind) == ("Changed", kind)
