"""Add a school: a headteacher adds the next school of their trust, with its first login; nobody else,
and nothing about another trust's schools is told."""

from __future__ import annotations

import pytest

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.core.actions import Operator
from schoolgate.web.tenancy import notices
from schoolgate.web.tenancy.models import School, Trust
from schoolgate.web.tenancy.setup import FirstLogin, do_create_school
from tests.web.conftest import Mailbox
from tests.web.factories import Cast, make_user
from tests.web.pages import another_session, logged_in, text

pytestmark = pytest.mark.django_db
URL = "/schools/add/"
FORM = {
    "name": "Elm Tree Primary",
    "urn": "654321",
    "timezone": "Europe/London",
    "role": "dsl",
    "person": "Dee Kaur",
    "email": "",
    "username": "",
    "reason": "joining the trust in January",
}


def test_a_headteacher_adds_a_school_to_the_trust_and_sees_its_one_time_password_once(cast: Cast) -> None:
    client = logged_in(cast.hana)
    page = client.get(URL)
    assert page.status_code == 200 and "Add a school to Riverside Learning Trust" in page.content.decode()
    assert "Add a school" in [item["label"] for item in page.context["nav"]]
    added = client.post(URL, FORM)
    assert added.status_code == 200, added.content.decode()[-2000:]
    school = School.objects.get(urn="654321")
    assert (school.name, school.trust) == ("Elm Tree Primary", cast.trust)
    dee = User.objects.get(username="d.kaur")
    assert dee.must_change_password
    password = added.context["made"].login.one_time_password
    assert dee.check_password(password) and password in added.content.decode()
    assert list(Membership.objects.filter(school=school).values_list("user__username", "role")) == [
        ("d.kaur", Role.DSL)
    ]
    assert not Membership.objects.filter(user=cast.hana, school=school).exists()
    again = client.post(URL, FORM)  # the same school again: nothing changes, no new password
    assert again.status_code == 200 and "is here already" in again.content.decode()
    assert "One-time password" not in again.content.decode()
    assert User.objects.filter(display_name="Dee Kaur").count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"urn": "65432"}, "urn", "is not a URN"),
        ({"timezone": "Europe/Narnia"}, "timezone", "is not a time zone"),
        ({"email": "dee at school"}, "email", "is not an e-mail address"),
        ({"person": ""}, "person", "This field is required"),
        ({"role": "teacher"}, "role", "Select a valid choice"),
    ],
)
def test_mistakes_are_shown_by_field_and_nothing_is_made(
    cast: Cast, change: dict[str, str], field: str, message: str
) -> None:
    response = logged_in(cast.hana).post(URL, {**FORM, **change})
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    assert not School.objects.filter(urn="654321").exists()


def test_another_trusts_school_is_not_named(cast: Cast) -> None:
    other = Trust.objects.create(name="Hillside Trust")
    School.objects.create(name="Secret Hill School", slug="secret-hill", urn="654321", trust=other)
    response = logged_in(cast.hana).post(URL, FORM)
    errors = response.context["form"].errors["urn"]
    assert errors == ["A school with URN 654321 is on this server already: ask the server's operator"]
    assert "Secret Hill" not in response.content.decode()


@pytest.mark.parametrize("username", ["alice", "nina", "tom", "cleo"])
def test_only_a_headteacher_may(cast: Cast, username: str) -> None:
    client = logged_in(cast.users[username])
    assert client.get(URL).status_code == 403
    assert client.post(URL, FORM).status_code == 403
    assert not School.objects.filter(urn="654321").exists()


def test_a_school_in_no_trust_is_added_by_the_operator(cast: Cast) -> None:
    alone = School.objects.create(name="Lone Oak School", slug="lone-oak", urn="111111")
    head = make_user("olga", alone, Role.HEADTEACHER)
    client = logged_in(head)
    page = client.get(URL)
    assert page.status_code == 200 and "schoolgate school create" in page.content.decode()
    assert "Add a school" not in [item["label"] for item in page.context["nav"]]
    client.post(URL, FORM)
    assert not School.objects.filter(urn="654321").exists()


def test_the_trusts_leaders_are_told_of_a_school_added_with_the_first_login_the_head_gave(
    cast: Cast, smtp: Mailbox
) -> None:
    """A headteacher can give the new school's first login their own address (or learn its one-time
    password): the trust's other headteachers, DSLs and chairs see every school added, with that
    login and its address, on their home page, and by e-mail."""
    for name in ("alice", "cleo", "zack", "tom", "hana"):
        User.objects.filter(username=name).update(email=f"{name}@riverside.example")
    client = logged_in(cast.hana)
    added = client.post(URL, {**FORM, "email": "Hana@Riverside.example"})
    assert added.status_code == 200, added.content.decode()[-2000:]
    said = text(added)
    assert "Told by e-mail: Alice Example, Cleo Example, Zack Example." in said
    # Not the one who added it, nor a teacher; each leader once.
    assert sorted(a for rcpt, _ in smtp.received for a in rcpt if "riverside" in a) == [
        "alice@riverside.example", "cleo@riverside.example", "zack@riverside.example",
    ]  # fmt: skip
    (message,) = smtp.to("zack@riverside.example")
    said = " ".join(smtp.text(message).split())
    assert "Hana Example added Elm Tree Primary (URN 654321) to Riverside Learning Trust" in said
    # Her own address, in other letters' case: said plainly.
    shared = "e-mail Hana@Riverside.example; the same address as the login of Hana Example (hana)"
    assert shared in said

    for name, shown in (("alice", True), ("cleo", True), ("zack", True), ("hana", True), ("tom", False)):
        home = text(another_session(cast.users[name]).get("/"))
        assert ("Schools added to Riverside Learning Trust" in home) is shown, name
        if shown:
            assert "Elm Tree Primary" in home and "d.kaur (Dee Kaur, Designated Safeguarding Lead" in home
            assert shared in home


def test_the_operators_schools_are_listed_for_the_trust_too_and_no_other_trusts(cast: Cast) -> None:
    do_create_school(
        name="Ash Grove Primary", urn="222222", trust=cast.trust.name,
        first_login=FirstLogin(Role.HEADTEACHER, "Ann Ash"), actor=Operator("root at the console"),
    )  # fmt: skip
    other = Trust.objects.create(name="Hillside Trust")
    do_create_school(
        name="Secret Hill School", urn="333333", trust=other.name, first_login=None,
        actor=Operator("root at the console"),
    )  # fmt: skip
    home = text(logged_in(cast.alice).get("/"))
    assert "Ash Grove Primary" in home and "root at the console" in home and "a.ash (Ann Ash" in home
    assert "Secret Hill" not in home


def test_one_login_adds_at_most_three_schools_a_day(cast: Cast) -> None:
    client = logged_in(cast.hana)
    for n in range(notices.PER_DAY):
        made = client.post(
            URL, {**FORM, "name": f"School {n}", "urn": f"65432{n}", "person": f"Dee Kaur{'x' * n}"}
        )
        assert made.status_code == 200 and School.objects.filter(urn=f"65432{n}").exists()
    refused = client.post(URL, {**FORM, "name": "One Too Many", "urn": "654329"})
    assert "You have added 3 schools in the last 24 hours" in text(refused)
    assert not School.objects.filter(urn="654329").exists()
    # The same school asked for again is still answered: nothing is made.
    again = client.post(URL, {**FORM, "name": "School 0", "urn": "654320"})
    assert "is here already" in text(again)
    # Another headteacher of the trust is not held back by it.
    head_b = make_user("bea", cast.b, Role.HEADTEACHER)
    other = logged_in(head_b).post(URL, {**FORM, "name": "One Too Many", "urn": "654329"})
    assert other.status_code == 200 and School.objects.filter(urn="654329").exists()
