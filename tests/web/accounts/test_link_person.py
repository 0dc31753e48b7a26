"""Linking a staff login to its person's record (`accounts.actions.do_link_person`): who may, to which
records, and the page on the login's Staff logins page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from schoolgate.web.accounts.actions import do_link_person, linkable_people
from schoolgate.web.accounts.models import User
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.pages import logged_in, text

pytestmark = pytest.mark.django_db


def _staff(
    cast: Cast, last: str = "Example", *, school: object = None, kind: str = PersonKind.STAFF
) -> Person:
    return Person.objects.create(
        school=school or cast.a, kind=kind, first_name="Tom", last_name=last, job_title="Class teacher"
    )


def test_the_head_links_a_teachers_login_and_takes_it_away(cast: Cast) -> None:
    person = _staff(cast)
    do_link_person(cast.tom, cast.a, person.pk, actor=cast.hana)
    person.refresh_from_db()
    assert person.user_id == cast.tom.pk
    do_link_person(cast.tom, cast.a, None, actor=cast.hana)
    person.refresh_from_db()
    assert person.user_id is None


def test_only_a_record_whose_last_name_is_in_the_logins_name_is_offered(cast: Cast) -> None:
    mine, other = _staff(cast), _staff(cast, "Okafor")
    _staff(cast, "Example", school=cast.b)  # another school's
    pupil = _staff(cast, "Example", kind=PersonKind.PUPIL)
    offered = [pk for pk, _ in linkable_people(cast.tom, cast.a)]
    assert offered == [mine.pk]
    for refused in (other, pupil):
        with pytest.raises(ValidationError):
            do_link_person(cast.tom, cast.a, refused.pk, actor=cast.hana)


def test_nobody_links_their_own_login_nor_one_they_could_not_reset(cast: Cast) -> None:
    _staff(cast, "Example")
    person = Person.objects.get(school=cast.a, last_name="Example")
    with pytest.raises(PermissionDenied):
        do_link_person(cast.users["nina"], cast.a, person.pk, actor=cast.users["nina"])  # own
    # The network manager cannot reset the DSL's login, so cannot link it: linking the DSL's login to
    # someone's record would keep that person's concerns from the DSL.
    with pytest.raises(PermissionDenied):
        do_link_person(cast.alice, cast.a, person.pk, actor=cast.users["nina"])
    with pytest.raises(PermissionDenied):
        do_link_person(cast.tom, cast.a, person.pk, actor=cast.users["sami"])  # no ACCOUNTS_MANAGE
    assert Person.objects.get(pk=person.pk).user_id is None


def test_a_record_linked_to_another_login_is_not_taken(cast: Cast) -> None:
    person = _staff(cast)
    do_link_person(cast.tom, cast.a, person.pk, actor=cast.hana)
    other = User.objects.create(username="tom2", display_name="Tom Example")
    with pytest.raises(ValidationError):
        do_link_person(other, cast.a, person.pk, actor=cast.hana)


def test_the_page_links_and_a_teacher_then_sees_their_own_training(cast: Cast) -> None:
    person = _staff(cast)
    head = logged_in(cast.hana)
    page = text(head.get(reverse("accounts:staff-detail", kwargs={"pk": cast.tom.pk})))
    assert "Their record in People" in page and "Tom Example (Class teacher)" in page
    address = reverse("accounts:staff-person", kwargs={"pk": cast.tom.pk})
    response = head.post(address, {"person": str(person.pk)})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).user_id == cast.tom.pk
    assert "not linked to a person" not in text(logged_in(cast.tom).get(reverse("training:mine")))
    for hostile in ("x", "１２", "9" * 40):
        head.post(address, {"person": hostile})
    assert Person.objects.get(pk=person.pk).user_id == cast.tom.pk
