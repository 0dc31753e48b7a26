"""The agreements' actions: accepting (do_accept's rules), a new version, a paper sheet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.web.agreements import actions
from schoolgate.web.agreements.actions import AGREEMENT_PAGE, do_accept, do_record_sheet, do_write_version
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.models import TEXT_MAX, Acceptance, AgreementVersion
from schoolgate.web.core.schoolyear import first_day, school_year
from schoolgate.web.people.choices import PersonKind
from tests.web.agreements.conftest import School1, today, version
from tests.web.factories import Cast, person

pytestmark = pytest.mark.django_db


def now() -> dt.datetime:
    return timezone.now()


# ---------------------------------------------------------------------------------------------------------
# do_accept


def test_accepting_twice_in_a_year_keeps_the_first(cast: Cast, school: School1) -> None:
    first = do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=now(), actor=cast.alice)
    again = do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=now(), actor=cast.olu)
    assert again.pk == first.pk and again.recorded_by == cast.alice
    assert Acceptance.objects.filter(person=school.ruby).count() == 1


@pytest.mark.parametrize(
    ("who", "which", "message"),
    [
        ("ruby", "ks2", "is not asked to accept"),  # Reception accepts Key Stage 1's
        ("ava", "ks1", "is not asked to accept"),
        ("nia", "ks1", "is not asked to accept"),  # no year group: no agreement yet
        ("teacher", "ks1", "is not asked to accept"),
    ],
)
def test_the_wrong_audience_is_refused(
    cast: Cast, school: School1, who: str, which: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        do_accept(
            getattr(school, who), getattr(school, which), how=HowAccepted.PAPER, at=now(), actor=cast.alice
        )


def test_a_version_not_in_force_is_refused(cast: Cast, school: School1) -> None:
    later = version(cast.a, Audience.KS1, 2, in_force_from=today() + dt.timedelta(days=10))
    with pytest.raises(ValidationError, match="not the one in force"):
        do_accept(school.ruby, later, how=HowAccepted.PAPER, at=now(), actor=cast.alice)


def test_a_parent_must_be_the_childs(cast: Cast, school: School1) -> None:
    other = person(cast.a, PersonKind.PARENT, first_name="Sue", last_name="Else")
    with pytest.raises(ValidationError, match="not recorded as a parent"):
        do_accept(school.ruby, school.ks1, how=HowAccepted.PARENT, at=now(), actor=cast.alice, parent=other)
    with pytest.raises(ValidationError, match="Choose the parent"):
        do_accept(school.ruby, school.ks1, how=HowAccepted.PARENT, at=now(), actor=cast.alice)
    made = do_accept(
        school.ruby, school.ks1, how=HowAccepted.PARENT, at=now(), actor=cast.alice, parent=school.mum
    )
    assert made.parent == school.mum


def test_another_schools_person_is_refused(cast: Cast, school: School1) -> None:
    theirs = person(cast.b, first_name="Zed", last_name="Other")
    with pytest.raises(ValidationError, match="another school"):
        do_accept(theirs, school.ks1, how=HowAccepted.PAPER, at=now(), actor=cast.zack)


@pytest.mark.parametrize("name", ["greta", "zack"])
def test_recording_someone_elses_needs_the_capability(cast: Cast, school: School1, name: str) -> None:
    with pytest.raises(PermissionDenied):
        do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=now(), actor=cast.users[name])


def test_a_person_accepts_their_own_in_schoolgate_only(cast: Cast, school: School1) -> None:
    school.ta.user = cast.greta  # a governor's login on a staff record: no AGREEMENTS_RECORD
    school.ta.save()
    with pytest.raises(PermissionDenied):
        do_accept(school.ta, school.staff, how=HowAccepted.PAPER, at=now(), actor=cast.greta)
    made = do_accept(school.ta, school.staff, how=HowAccepted.IN_SCHOOLGATE, at=now(), actor=cast.greta)
    assert made.school_year == school_year(today())


def test_the_agreement_page_records_only_proxy_acceptances(cast: Cast, school: School1) -> None:
    with pytest.raises(PermissionDenied):
        do_accept(school.ava, school.ks2, how=HowAccepted.PAPER, at=now(), actor=AGREEMENT_PAGE)
    made = do_accept(school.ava, school.ks2, how=HowAccepted.PROXY, at=now(), actor=AGREEMENT_PAGE)
    assert made.recorded_by is None


def test_a_new_school_year_asks_again(cast: Cast, school: School1) -> None:
    last_year = school_year(today()) - 1
    school.ks1.in_force_from = first_day(last_year)
    school.ks1.save()
    old = timezone.make_aware(dt.datetime.combine(first_day(last_year) + dt.timedelta(days=3), dt.time(10)))
    do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=old, actor=cast.alice)
    do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=now(), actor=cast.alice)
    assert sorted(Acceptance.objects.filter(person=school.ruby).values_list("school_year", flat=True)) == [
        last_year,
        last_year + 1,
    ]


# ---------------------------------------------------------------------------------------------------------
# A new version


def test_a_new_version_ends_the_one_before(cast: Cast, school: School1) -> None:
    start = today() + dt.timedelta(days=7)
    made = do_write_version(
        cast.a, actor=cast.olu, audience=Audience.KS1, title=" Our  rules ", text="I will be kind.\n",
        in_force_from=start, today=today(),
    )  # fmt: skip
    school.ks1.refresh_from_db()
    assert made.number == 2 and made.title == "Our rules" and made.text == "I will be kind."
    assert school.ks1.in_force_until == start - dt.timedelta(days=1)
    assert AgreementVersion.objects.filter(school=cast.a).in_force(Audience.KS1, start) == made
    assert AgreementVersion.objects.filter(school=cast.a).in_force(Audience.KS1, today()) == school.ks1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"text": "  "}, "text"),
        ({"text": "x" * (TEXT_MAX + 1)}, "text"),
        ({"in_force_from": dt.date(2000, 1, 1)}, "in_force_from"),
    ],
)
def test_a_bad_version_is_refused(cast: Cast, school: School1, fields: dict[str, object], field: str) -> None:
    given: dict[str, object] = {"title": "Rules", "text": "I will.", "in_force_from": today()} | fields
    with pytest.raises(ValidationError) as caught:
        do_write_version(cast.a, actor=cast.olu, audience=Audience.VISITORS, today=today(), **given)  # type: ignore[arg-type]
    assert field in caught.value.message_dict


def test_a_new_version_starts_after_the_last(cast: Cast, school: School1) -> None:
    school.ks2.in_force_from = today()
    school.ks2.save()
    with pytest.raises(ValidationError, match="must start after it"):
        do_write_version(
            cast.a, actor=cast.olu, audience=Audience.KS2, title="T", text="I will.", in_force_from=today(),
            today=today(),
        )  # fmt: skip


@pytest.mark.parametrize("name", ["tom", "omar", "nina", "zack"])
def test_writing_a_version_needs_the_capability(cast: Cast, school: School1, name: str) -> None:
    with pytest.raises(PermissionDenied):
        do_write_version(
            cast.a, actor=cast.users[name], audience=Audience.KS1, title="T", text="I will.",
            in_force_from=today() + dt.timedelta(days=1), today=today(),
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# A paper sheet


def test_a_sheet_records_each_and_says_who_had_already(cast: Cast, school: School1) -> None:
    do_accept(school.leo, school.ks1, how=HowAccepted.PAPER, at=now(), actor=cast.alice)
    done = do_record_sheet(
        cast.a, [(school.ruby, school.mum), (school.leo, None)], on=today(), actor=cast.tom, now=now()
    )
    assert [a.person for a in done.new] == [school.ruby] and done.new[0].how == HowAccepted.PARENT
    assert [a.person for a in done.already] == [school.leo]


def test_a_sheet_is_all_or_nothing(cast: Cast, school: School1) -> None:
    with pytest.raises(ValidationError, match="Nia Drew"):
        do_record_sheet(
            cast.a, [(school.ruby, None), (school.nia, None)], on=today(), actor=cast.tom, now=now()
        )
    assert not Acceptance.objects.exists()


@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "future"), (400, "this school year")],
)
def test_a_sheet_dated_out_of_the_year_is_refused(
    cast: Cast, school: School1, days: int, message: str
) -> None:
    on = today() + dt.timedelta(days=days) if days == 1 else today() - dt.timedelta(days=days)
    with pytest.raises(ValidationError, match=message):
        do_record_sheet(cast.a, [(school.ruby, None)], on=on, actor=cast.tom, now=now())


def test_a_sheet_refuses_another_schools_person_and_needs_the_capability(cast: Cast, school: School1) -> None:
    theirs = person(cast.b, first_name="Zed", last_name="Other")
    with pytest.raises(ValidationError, match="another school"):
        do_record_sheet(cast.a, [(theirs, None)], on=today(), actor=cast.tom, now=now())
    with pytest.raises(PermissionDenied):
        do_record_sheet(cast.a, [(school.ruby, None)], on=today(), actor=cast.greta, now=now())
    with pytest.raises(PermissionDenied):
        do_record_sheet(cast.a, [(school.ruby, None)], on=today(), actor=cast.zack, now=now())


def test_a_sheet_signed_earlier_is_dated_that_day(cast: Cast, school: School1) -> None:
    start = first_day(school_year(today()))
    later = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=30), dt.time(15)))
    on = start + dt.timedelta(days=29)
    done = do_record_sheet(cast.a, [(school.ava, None)], on=on, actor=cast.tom, now=later)
    assert timezone.localdate(done.new[0].accepted_at) == on
    assert actions.next_number(cast.a, Audience.KS2) == 2


# ---------------------------------------------------------------------------------------------------------
# Reviewed as an attacker


def test_a_colleague_does_not_record_that_a_member_of_staff_signed(cast: Cast, school: School1) -> None:
    with pytest.raises(PermissionDenied):
        do_accept(school.ta, school.staff, how=HowAccepted.PAPER, at=now(), actor=cast.tom)
    with pytest.raises(PermissionDenied):
        do_record_sheet(cast.a, [(school.ta, None)], on=today(), actor=cast.tom, now=now())
    assert not Acceptance.objects.exists()
    own = do_accept(school.teacher, school.staff, how=HowAccepted.PAPER, at=now(), actor=cast.tom)
    assert own.recorded_by == cast.tom  # their own sheet
    for name in ("omar", "olu"):  # the office; the coordinator
        do_record_sheet(
            cast.a, [(school.ta, None), (school.cook, None)], on=today(), actor=cast.users[name], now=now()
        )
    assert Acceptance.objects.filter(person=school.ta).get().recorded_by == cast.omar


def test_only_the_person_themselves_accepts_in_schoolgate(cast: Cast, school: School1) -> None:
    with pytest.raises(PermissionDenied):
        do_accept(school.ta, school.staff, how=HowAccepted.IN_SCHOOLGATE, at=now(), actor=cast.alice)
    school.ruby.user = cast.sami  # a staff login linked to a pupil's record by mistake
    school.ruby.save()
    with pytest.raises(PermissionDenied):
        do_accept(school.ruby, school.ks1, how=HowAccepted.IN_SCHOOLGATE, at=now(), actor=cast.sami)
    assert not Acceptance.objects.exists()


def test_the_day_accepted_is_the_schools_not_utcs(cast: Cast, school: School1) -> None:
    start = first_day(school_year(today()))  # 1 September: the agreements start that day
    half_past_midnight = dt.datetime.combine(start, dt.time(0, 30), tzinfo=dt.UTC) - dt.timedelta(hours=1)
    assert half_past_midnight.date() < start  # 31 August in UTC, 1 September in London (summer time)
    made = do_accept(
        school.ava, school.ks2, how=HowAccepted.PROXY, at=half_past_midnight, actor=AGREEMENT_PAGE
    )
    assert made.school_year == school_year(start)


# ---------------------------------------------------------------------------------------------------------
# One person's signature, from their page: parents, volunteers, visitors (on no class or team sheet)


def test_the_office_records_that_a_parent_signed(cast: Cast, school: School1) -> None:
    parents = version(cast.a, Audience.PARENTS)
    made, new = actions.do_record_signed(
        cast.a, school.mum, parents, on=today(), actor=cast.omar, now=now(), note="In the office file"
    )
    assert new and made.how == HowAccepted.PAPER and made.recorded_by == cast.omar
    assert made.note == "In the office file" and made.person == school.mum
    again, new = actions.do_record_signed(
        cast.a, school.mum, parents, on=today(), actor=cast.alice, now=now()
    )
    assert not new and again.pk == made.pk


def test_a_volunteer_signed_earlier_in_the_year(cast: Cast, school: School1) -> None:
    volunteers = version(cast.a, Audience.VOLUNTEERS)
    governor = person(cast.a, PersonKind.GOVERNOR, first_name="Gil", last_name="Gov")
    on = max(first_day(school_year(today())), today() - dt.timedelta(days=3))
    made, new = actions.do_record_signed(cast.a, governor, volunteers, on=on, actor=cast.olu, now=now())
    assert new and timezone.localdate(made.accepted_at) == on and made.version == volunteers


def test_recording_one_persons_signature_is_refused(cast: Cast, school: School1) -> None:
    parents = version(cast.a, Audience.PARENTS)
    with pytest.raises(PermissionDenied):  # a teacher does not record an adult's
        actions.do_record_signed(cast.a, school.mum, parents, on=today(), actor=cast.tom, now=now())
    theirs = person(cast.b, PersonKind.PARENT, first_name="Zed", last_name="Other")
    with pytest.raises(ValidationError, match="another school"):
        actions.do_record_signed(cast.a, theirs, parents, on=today(), actor=cast.omar, now=now())
    with pytest.raises(ValidationError, match="future"):
        actions.do_record_signed(
            cast.a, school.mum, parents, on=today() + dt.timedelta(days=1), actor=cast.omar, now=now()
        )
    with pytest.raises(ValidationError, match="not asked to accept"):  # the version shown is not theirs
        actions.do_record_signed(cast.a, school.mum, school.staff, on=today(), actor=cast.omar, now=now())
    assert not Acceptance.objects.exists()
