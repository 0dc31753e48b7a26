"""`do_create_school`: a school, its default policy and its first login, made once; every mistake
refused with a message by field, and nothing half made."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.actions import Operator
from schoolgate.web.policy.models import FilterGroup, SchoolPolicy
from schoolgate.web.tenancy.models import School, Trust
from schoolgate.web.tenancy.setup import (
    FirstLogin,
    SchoolMade,
    check_timezone,
    check_urn,
    do_create_school,
    trusts_for,
)
from tests.web.factories import Cast, make_user

OPERATOR = Operator("it@server (schoolgate web manage create_school)")
pytestmark = pytest.mark.django_db


def _make(**fields: Any) -> SchoolMade:
    given: dict[str, Any] = {
        "name": "Oak Hill Primary School",
        "urn": "123456",
        "first_login": FirstLogin(Role.HEADTEACHER, "Jane Smith"),
        "actor": OPERATOR,
    }
    given.update(fields)
    return do_create_school(**given)


def _field_errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_a_school_is_made_with_its_policy_and_a_first_login_that_must_change_its_password() -> None:
    made = _make(trust="Green Lane Trust", reason="joining Schoolgate")
    school = made.school
    assert (school.name, school.urn, school.slug, school.timezone) == (
        "Oak Hill Primary School",
        "123456",
        "oak-hill-primary-school",
        "Europe/London",
    )
    assert school.trust.name == "Green Lane Trust" and made.trust_created
    login = made.login
    user = login.user
    assert (user.username, user.display_name, user.must_change_password) == ("j.smith", "Jane Smith", True)
    assert login.one_time_password and user.check_password(login.one_time_password)
    assert list(Membership.objects.filter(user=user).values_list("school", "role")) == [
        (school.pk, Role.HEADTEACHER)
    ]
    assert SchoolPolicy.objects.filter(school=school).exists()
    assert sorted(FilterGroup.objects.filter(school=school).values_list("name", flat=True)) == [
        "default",
        "pupils",
        "staff",
        "visitors",
    ]
    # Written to the trail, by the operator, with the reason.
    made_entry = AuditEntry.objects.get(object_type="tenancy.school", action="create")
    assert (made_entry.actor_label, made_entry.reason) == (OPERATOR.label, "joining Schoolgate")
    assert AuditEntry.objects.filter(object_type="tenancy.trust", actor_label=OPERATOR.label).exists()
    assert AuditEntry.objects.filter(object_type="accounts.user", actor_label=OPERATOR.label).exists()


def test_running_it_again_changes_nothing_and_makes_no_new_password() -> None:
    first = _make()
    entries = AuditEntry.objects.count()
    again = _make(timezone="Europe/Dublin", trust="Somewhere Trust")
    assert not again.created and again.login is None
    assert again.school.pk == first.school.pk
    assert again.differences == [
        "its time zone is Europe/London, not Europe/Dublin",
        "it is in no trust; you gave Somewhere Trust",
        "no new login was made: it has its logins already",
    ]
    assert again.leaders == ["j.smith (Jane Smith, Headteacher)"]
    assert AuditEntry.objects.count() == entries
    assert (School.objects.count(), User.objects.count(), Trust.objects.count()) == (1, 1, 0)


def test_the_same_urn_with_another_name_is_refused() -> None:
    _make()
    with pytest.raises(ValidationError) as refused:
        _make(name="Oak Hill Academy")
    assert "URN 123456 is Oak Hill Primary School's already" in _field_errors(refused)["urn"][0]


@pytest.mark.parametrize("urn", ["12345", "1234567", "12345a", "", "١٢٣٤٥٦", "123 456"])
def test_a_urn_is_six_digits(urn: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_urn(urn)
    assert "is not a URN" in _field_errors(refused)["urn"][0]


def test_a_urn_may_have_spaces_around_it() -> None:
    assert check_urn(" 100001 ") == "100001"


@pytest.mark.parametrize("zone", ["Mars/Base", "../../etc/passwd", "Europe/london", "Europe/Londonn"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_timezone(zone)
    assert "is not a time zone this server knows" in _field_errors(refused)["timezone"][0]


def test_a_bad_first_login_leaves_no_school_behind() -> None:
    with pytest.raises(ValidationError) as refused:
        _make(first_login=FirstLogin(Role.DSL, "Bob Jones", email="not an address"))
    assert "is not an e-mail address" in _field_errors(refused)["email"][0]
    with pytest.raises(ValidationError):
        _make(first_login=FirstLogin(Role.TEACHER, "Bob Jones"))
    with pytest.raises(ValidationError):
        _make(first_login=FirstLogin(Role.DSL, "Bob Jones", username="bad name!"))
    assert not School.objects.exists() and not User.objects.exists()


def test_a_taken_user_name_gets_a_number() -> None:
    User.objects.create(username="j.smith")
    made = _make(first_login=FirstLogin(Role.DSL, "Jóhn Smith"))
    assert made.login.user.username == "j.smith2"


def test_a_headteacher_adds_a_school_to_their_own_trust_only(cast: Cast) -> None:
    assert trusts_for(cast.hana) == [cast.trust]
    assert trusts_for(cast.alice) == []  # the DSL is not the trust's to speak for
    made = _make(actor=cast.hana, trust=cast.trust.name, first_login=FirstLogin(Role.DSL, "Dee Kaur"))
    school = made.school
    assert school.trust == cast.trust
    assert not Membership.objects.filter(user=cast.hana, school=school).exists()  # no role there for her
    entry = AuditEntry.objects.get(object_type="tenancy.school", action="create", object_id=str(school.pk))
    assert entry.actor_id == cast.hana.pk
    given = AuditEntry.objects.filter(object_type="accounts.membership", school=school).get()
    assert given.actor_label.startswith("Hana Example (hana), headteacher in Riverside Learning Trust")
    for actor, trust in ((cast.alice, cast.trust.name), (cast.hana, "Another Trust")):
        with pytest.raises(PermissionDenied):
            _make(actor=actor, trust=trust, urn="654321", name="Elm Primary")
    with pytest.raises(ValidationError):
        _make(actor=cast.hana, trust="", urn="654321", name="Elm Primary")
    assert not School.objects.filter(urn="654321").exists()


def test_a_trust_whose_name_differs_only_in_case_is_another_trust(cast: Cast) -> None:
    """The page names its school's own trust: a trust named the same but for case (made earlier by
    the operator) is never the one the school joins."""
    Trust.objects.create(name=cast.trust.name.upper())  # "RIVERSIDE LEARNING TRUST", sorted first
    shouting = Trust.objects.get(name=cast.trust.name.upper())
    make_user("hal", School.objects.create(name="Loud School", slug="loud", trust=shouting), Role.HEADTEACHER)
    made = _make(actor=cast.hana, trust=cast.trust.name, first_login=None)
    assert made.school.trust == cast.trust
    with pytest.raises(PermissionDenied):  # and hana is no headteacher of the other
        _make(actor=cast.hana, trust=shouting.name, urn="654322", name="Elm Two", first_login=None)


def test_a_school_of_the_same_name_elsewhere_gives_the_urn_to_the_short_name() -> None:
    School.objects.create(name="Oak Hill Primary School", slug="oak-hill-primary-school", urn="100001")
    made = _make()
    assert made.school.slug == "oak-hill-primary-school-123456"


def test_the_database_keeps_one_school_per_urn_whoever_asks_at_the_same_moment() -> None:
    """Two runs at the same instant both pass the check in code; the second school must not be made."""
    from django.db import IntegrityError, transaction

    School.objects.create(name="A", slug="a", urn="")
    School.objects.create(name="B", slug="b", urn="")  # schools with no URN yet: any number
    School.objects.create(name="C", slug="c", urn="654321")
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.create(name="D", slug="d", urn="654321")


def test_a_urn_taken_between_the_check_and_the_write_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The moment between `do_create_school`'s check and its write: the other run's school appears."""

    real_create = School.objects.create

    def racing_create(**fields: Any) -> School:
        if fields.get("urn") == "123456" and not School.objects.filter(urn="123456").exists():
            real_create(name="Oak Hill Primary School", slug="other-run", urn="123456")
        return real_create(**fields)

    monkeypatch.setattr(School.objects, "create", racing_create)
    with pytest.raises(ValidationError) as refused:
        _make()
    assert "at the same moment" in str(refused.value)
    # Nothing half made: here the "other run" wrote inside this run's transaction, so it is undone too.
    assert not School.objects.filter(urn="123456").exists()
    assert not Membership.objects.exists()
    assert not SchoolPolicy.objects.exists()
