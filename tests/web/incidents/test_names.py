"""Who a typed name may be: the keys that tie "Evans, Margaret", "Mrs Evans" and "M. Evans" to
Margaret Evans, and the school's records and logins they are looked up in."""

from __future__ import annotations

import pytest

from schoolgate.web.accounts.choices import Role as LoginRole
from schoolgate.web.accounts.models import Membership
from schoolgate.web.incidents.names import (
    Directory,
    display_keys,
    key_of,
    partial,
    person_keys,
    person_name_keys,
    record_keys,
    user_keys,
)
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, Person
from tests.web.factories import Cast, make_user
from tests.web.incidents.make import person

MARGARET = record_keys(["Margaret"], "Evans", adult=True)


@pytest.mark.parametrize(
    "typed",
    [
        "Margaret Evans", "margaret evans", "  MARGARET   Evans ", "Evans, Margaret", "Evans Margaret",
        "Mrs Evans", "Mrs. Evans", "Dr Margaret Evans", "M. Evans", "M Evans", "Margaret Anne Evans",
        "Evans, Margaret Anne", "Margaret Evans (staff)", "Margaret Evans (staff) #12", "Márgaret Évans",
    ],
)  # fmt: skip
def test_the_ways_of_writing_a_name_share_its_key(typed: str) -> None:
    assert key_of(typed) in MARGARET


@pytest.mark.parametrize("typed", ["Margaret Jones", "Megan Evans", "Evans-Smith, Margaret", "", "Mrs", "()"])
def test_other_names_do_not(typed: str) -> None:
    assert key_of(typed) not in MARGARET


def test_a_child_is_not_written_of_by_title() -> None:
    pupil = record_keys(["Mia"], "Jones", adult=False)
    assert key_of("Mia Jones") in pupil and key_of("Miss Jones") not in pupil
    assert key_of("Miss Jones") in record_keys(["Mia"], "Jones", adult=True)


def test_apostrophes_and_preferred_names() -> None:
    keys = record_keys(["Siobhan", "Shiv"], "O'Brien", adult=True)
    assert {key_of("Siobhan OBrien"), key_of("Shiv O’Brien"), key_of("Ms O'Brien")} <= keys


def test_the_directory_finds_people_and_logins_and_tells_them_apart(cast: Cast) -> None:
    klass = ClassGroup.objects.create(school=cast.a, name="4B")
    pupil = person(cast.a, "Mia", "Jones", class_group=klass)
    parent = Person.objects.create(school=cast.a, kind=PersonKind.PARENT, first_name="Mia", last_name="Jones")
    head = person(cast.a, "Margaret", "Evans", PersonKind.STAFF, user=cast.hana)
    found = Directory(cast.a).find("mia JONES")
    assert [(m.value, m.label, m.staff, m.head) for m in found] == [
        (f"person:{pupil.pk}", "Mia Jones (pupil, 4B)", False, False),
        (f"person:{parent.pk}", "Mia Jones (parent or carer)", False, False),
    ]
    # The headteacher, by her record's name or her login's; once, as her record.
    for typed in ("Margaret Evans", "Hana Example", "Mrs Evans"):
        assert [(m.value, m.label, m.staff, m.head) for m in Directory(cast.a).find(typed)] == [
            (f"person:{head.pk}", "Margaret Evans (headteacher)", True, True)
        ], typed
    # A login with no record in the school's people is found by its name.
    found = Directory(cast.a).find("Alice Example")
    assert [(m.value, m.label, m.staff, m.head) for m in found] == [
        (f"user:{cast.alice.pk}", "Alice Example (designated safeguarding lead)", True, False)
    ]
    # Another school's people and logins are not.
    person(cast.b, "Oliver", "Twist")
    assert Directory(cast.a).find("Oliver Twist") == [] and Directory(cast.a).find("Zack Example") == []
    # A governor's login is not staff; the chair of governors neither.
    assert [m.staff for m in Directory(cast.a).find("Cleo Example")] == [False]


def test_staff_who_have_left_may_still_be_named(cast: Cast) -> None:
    import datetime as dt

    from django.utils import timezone

    gone = person(
        cast.a, "Kwame", "Boateng", PersonKind.SUPPLY, expires_at=timezone.now() - dt.timedelta(days=3)
    )
    found = Directory(cast.a, staff_only=True).find("Kwame Boateng")
    assert [(m.value, m.what, m.staff) for m in found] == [
        (f"person:{gone.pk}", "supply staff, no longer at the school", True)
    ]


def test_a_users_keys_are_their_logins_and_their_records(cast: Cast) -> None:
    user = make_user("m.evans", cast.a, LoginRole.TEACHER)
    user.display_name = "Mrs M Evans"
    user.save()
    person(cast.a, "Margaret", "Evans", PersonKind.STAFF, user=user)
    keys = user_keys(user)
    assert {key_of("Margaret Evans"), key_of("Mrs Evans"), key_of("M Evans")} <= keys
    assert key_of("Mia Jones") not in keys and Membership.objects.filter(user=user).exists()
    # A pupil's keys: names, not a title and a last name.
    assert person_keys(person(cast.a, "Mia", "Jones")) == {key_of("Mia Jones"), key_of("M Jones")}


def test_a_login_named_by_title_alone_answers_to_its_last_name() -> None:
    assert display_keys("Mrs Evans") == {"evans"} == display_keys("Mrs. Evans")
    assert display_keys("Evans, Margaret") == MARGARET
    assert display_keys("Hana") == set() and display_keys("Mrs") == set()


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("evans", [("", "evans")]),
        (key_of("M. Evans"), [("m", "evans")]),
        (key_of("A Zed"), [("a", "zed")]),
        (key_of("E. M."), [("e", "m"), ("m", "e")]),
        (key_of("Margaret Evans"), []),
    ],
)
def test_a_name_given_in_part(key: str, parts: list[tuple[str, str]]) -> None:
    assert partial(key) == parts


@pytest.mark.parametrize("login", ["Mrs M Evans", "Mrs Evans", "M. Evans"])
def test_a_name_written_out_finds_a_login_that_gives_it_only_in_part(cast: Cast, login: str) -> None:
    cast.hana.display_name = login
    cast.hana.save()
    record = person(cast.a, "Margaret", "Evans", PersonKind.STAFF)
    for typed in ("Margaret Evans", "Evans, Margaret", "Dr Margaret Anne Evans"):
        found = Directory(cast.a).find(typed)
        assert [(m.value, m.head) for m in found] == [
            (f"person:{record.pk}", False),
            (f"user:{cast.hana.pk}", True),
        ], typed
    # "Mark Evans" may be "M. Evans" too; "John Evans" is not, but may be "Mrs Evans".
    assert [m.value for m in Directory(cast.a).find("Mark Evans")] == [f"user:{cast.hana.pk}"]
    assert [m.value for m in Directory(cast.a).find("John Evans")] == (
        [f"user:{cast.hana.pk}"] if login == "Mrs Evans" else []
    )
    # A pupil's names find the pupil: a name given in part is an adult's.
    pupil = person(cast.a, "Mia", "Evans")
    directory = Directory(cast.a)
    assert directory.may_be(person_name_keys(pupil), set()) == [directory.by_person[pupil.pk]]
