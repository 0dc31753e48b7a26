"""Schools apart: a user sees only the schools they hold a role at, one at a time."""

from __future__ import annotations

from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.models import Membership
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.pages import logged_in


def _pupils(cast: Cast) -> tuple[Person, Person]:
    a = Person.objects.create(
        school=cast.a, kind=PersonKind.PUPIL, first_name="Amelia", last_name="Quillfeather"
    )
    b = Person.objects.create(
        school=cast.b, kind=PersonKind.PUPIL, first_name="Bilal", last_name="Xanthopoulos"
    )
    return a, b


def test_restrict_gives_only_the_schools_where_the_user_has_the_capability(cast: Cast) -> None:
    a, b = _pupils(cast)
    assert list(Person.objects.restrict(cast.alice, Capability.PEOPLE_VIEW)) == [a]
    assert list(Person.objects.restrict(cast.zack, Capability.PEOPLE_VIEW)) == [b]
    assert list(Person.objects.restrict(cast.greta, Capability.PEOPLE_VIEW)) == []  # governor
    assert list(Person.objects.restrict(cast.nora, Capability.PEOPLE_VIEW)) == []  # no role
    assert list(Person.objects.restrict(cast.alice, Capability.PEOPLE_VIEW, cast.b)) == []


def test_a_user_of_two_schools_works_in_one_at_a_time_and_can_switch(cast: Cast) -> None:
    a, b = _pupils(cast)
    Membership.objects.create(user=cast.alice, school=cast.b, role=Role.TEACHER)
    client = logged_in(cast.alice)
    page = client.get("/people/").content.decode()
    assert "Quillfeather" in page and "Xanthopoulos" not in page  # Northfield first (by name)
    assert client.get(f"/people/{b.pk}/").status_code == 404
    client.post("/school/", {"school": cast.b.pk})
    page = client.get("/people/").content.decode()
    assert "Xanthopoulos" in page and "Quillfeather" not in page
    assert client.get(f"/people/{a.pk}/").status_code == 404
    assert client.get(f"/people/{b.pk}/").status_code == 200


def test_a_user_cannot_switch_to_a_school_where_they_have_no_role(cast: Cast) -> None:
    _, b = _pupils(cast)
    client = logged_in(cast.alice)
    client.post("/school/", {"school": cast.b.pk})
    assert "Xanthopoulos" not in client.get("/people/").content.decode()
    assert client.get(f"/people/{b.pk}/").status_code == 404


def test_a_deactivated_user_loses_every_role(cast: Cast) -> None:
    client = logged_in(cast.alice)
    cast.alice.is_active = False
    cast.alice.save()
    response = client.get("/people/")
    assert response.status_code == 302 and "/login/" in response["Location"]
