"""The review's actions: who may answer and sign (the capability and the slot's role, at this school),
the evidence kept at the first signature, signatures cleared by a later change, the actions, and the
next review's date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership
from schoolgate.web.annualreview import actions, reminders
from schoolgate.web.annualreview.models import Judgement, Review, ReviewState, SignOff, Slot
from schoolgate.web.selftest.choices import RunState, Trigger
from schoolgate.web.selftest.models import SelfTestRun
from tests.web.annualreview.make import answer_all, sign_all, this_year
from tests.web.factories import Cast

pytestmark = pytest.mark.django_db


def _run(cast: Cast) -> None:
    now = timezone.now()
    SelfTestRun.objects.create(
        school=cast.a, trigger=Trigger.PAGE, requested_at=now, finished_at=now, state=RunState.PASSED
    )


def test_answering_starts_the_review_and_keeps_the_answer(cast: Cast) -> None:
    answer, cleared = actions.do_answer(
        cast.a, this_year(), "roles-dsl", actor=cast.olu, judgement=Judgement.PARTLY, notes="  Deputy new  "
    )
    assert cleared == 0 and answer.judgement == "partly" and answer.notes == "Deputy new"
    review = Review.objects.get(school=cast.a, year=this_year())
    assert review.state == ReviewState.IN_PROGRESS and review.evidence is None
    assert answer.answered_by == cast.olu


@pytest.mark.parametrize(
    ("point", "judgement", "notes", "field"),
    [
        ("no-such-point", "met", "", None),
        ("roles-dsl", "maybe", "", "judgement"),
        ("roles-dsl", "met", "x" * (actions.NOTES_MAX + 1), "notes"),
    ],
)
def test_a_bad_answer_is_refused_with_why(
    cast: Cast, point: str, judgement: str, notes: str, field: str | None
) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.do_answer(cast.a, this_year(), point, actor=cast.olu, judgement=judgement, notes=notes)
    if field:
        assert field in refused.value.message_dict
    assert not Review.objects.filter(school=cast.a).exists()


def test_only_writers_of_the_review_at_this_school_answer(cast: Cast) -> None:
    for who in (cast.tom, cast.gina, cast.omar, cast.sami, cast.zack):
        with pytest.raises(PermissionDenied):
            actions.do_answer(cast.a, this_year(), "roles-dsl", actor=who, judgement="met")


def test_a_new_review_is_for_this_school_year_only(cast: Cast) -> None:
    for year in (this_year() - 1, this_year() + 1):
        with pytest.raises(ValidationError):
            actions.do_answer(cast.a, year, "roles-dsl", actor=cast.olu, judgement="met")
    # An earlier year's review, started then, can still be answered.
    Review.objects.create(school=cast.a, year=this_year() - 1, started_at=timezone.now())
    actions.do_answer(cast.a, this_year() - 1, "roles-dsl", actor=cast.olu, judgement="met")


def test_the_review_is_signed_only_once_every_point_is_answered(cast: Cast) -> None:
    actions.do_answer(cast.a, this_year(), "roles-dsl", actor=cast.olu, judgement="met")
    with pytest.raises(ValidationError, match="Every point must be answered"):
        actions.do_sign(cast.a, this_year(), Slot.HEADTEACHER, actor=cast.hana)
    with pytest.raises(ValidationError):
        actions.do_sign(cast.a, this_year() - 3, Slot.HEADTEACHER, actor=cast.hana)  # no review at all


def test_each_slot_only_by_a_signer_holding_its_role_here(cast: Cast) -> None:
    answer_all(cast)
    year = this_year()
    with pytest.raises(ValidationError, match="headteacher"):
        actions.do_sign(cast.a, year, Slot.HEADTEACHER, actor=cast.alice)
    with pytest.raises(ValidationError):
        actions.do_sign(cast.a, year, Slot.DSL, actor=cast.hana)
    with pytest.raises(ValidationError):
        actions.do_sign(cast.a, year, "chair", actor=cast.hana)
    for who in (cast.dara, cast.olu, cast.sami, cast.cleo, cast.tom, cast.zack):  # no REVIEW_SIGN here
        with pytest.raises(PermissionDenied):
            actions.do_sign(cast.a, year, Slot.DSL, actor=who)
    # Zack is the DSL at Southgate: holding the role there signs nothing at Northfield, even as its DSL.
    Membership.objects.create(user=cast.zack, school=cast.b, role=Role.HEADTEACHER)
    with pytest.raises(PermissionDenied):
        actions.do_sign(cast.a, year, Slot.HEADTEACHER, actor=cast.zack)
    assert not SignOff.objects.exists()


def test_signing_keeps_the_evidence_of_the_first_signature_and_the_third_signs_the_review(cast: Cast) -> None:
    answer_all(cast)
    year = this_year()
    actions.do_sign(cast.a, year, Slot.HEADTEACHER, actor=cast.hana)
    review = Review.objects.get(school=cast.a, year=year)
    kept = review.evidence
    assert kept is not None and review.state == ReviewState.IN_PROGRESS
    selftest = next(i for i in kept["items"] if i["key"] == "selftest")
    assert selftest["lines"] == ["No self-test has run this school year."]
    _run(cast)  # after the first signature: not in what is signed
    with pytest.raises(ValidationError, match="signed already"):
        actions.do_sign(cast.a, year, Slot.HEADTEACHER, actor=cast.hana)
    actions.do_sign(cast.a, year, Slot.DSL, actor=cast.alice)
    actions.do_sign(cast.a, year, Slot.GOVERNOR, actor=cast.gina)
    review.refresh_from_db()
    assert review.evidence == kept
    assert review.state == ReviewState.SIGNED and review.signed_at is not None


def test_one_person_holding_two_roles_signs_each_slot_on_its_own(cast: Cast) -> None:
    Membership.objects.create(user=cast.hana, school=cast.a, role=Role.DSL)
    answer_all(cast)
    actions.do_sign(cast.a, this_year(), Slot.HEADTEACHER, actor=cast.hana)
    review = Review.objects.get(school=cast.a)
    assert review.signoffs.count() == 1
    actions.do_sign(cast.a, this_year(), Slot.DSL, actor=cast.hana)
    assert sorted(review.signoffs.values_list("slot", flat=True)) == ["dsl", "headteacher"]


def test_changing_an_answer_after_a_signature_clears_every_signature_and_the_kept_evidence(
    cast: Cast,
) -> None:
    answer_all(cast)
    review = sign_all(cast)
    # The same answer again changes nothing.
    assert actions.do_answer(cast.a, this_year(), "roles-dsl", actor=cast.olu, judgement="met")[1] == 0
    _, cleared = actions.do_answer(cast.a, this_year(), "roles-dsl", actor=cast.olu, judgement="partly")
    assert cleared == 3
    review.refresh_from_db()
    assert review.state == ReviewState.IN_PROGRESS and review.evidence is None and review.signed_at is None
    kept = SignOff.objects.filter(review=review)
    assert kept.count() == 3 and all(s.cleared_at and "changed" in s.cleared_why for s in kept)
    # Signed again from the start, with the evidence of now.
    _run(cast)
    actions.do_sign(cast.a, this_year(), Slot.DSL, actor=cast.alice)
    review.refresh_from_db()
    selftest = next(i for i in review.evidence["items"] if i["key"] == "selftest")  # type: ignore[index]
    assert selftest["lines"][0].startswith("1 run: 1 passed")


def test_an_action_added_clears_signatures_and_one_marked_done_does_not(cast: Cast) -> None:
    answer_all(cast)
    sign_all(cast)
    due = dt.date.today() + dt.timedelta(days=30)
    action, cleared = actions.do_add_action(
        cast.a, this_year(), actor=cast.olu, what="  Test the   guest Wi-Fi ", owner=cast.nina.pk, due=due
    )
    assert cleared == 3 and action.what == "Test the guest Wi-Fi" and action.owner == cast.nina
    sign_all(cast)
    actions.do_action_done(action, actor=cast.olu)
    assert action.done_at is not None
    assert Review.objects.get(school=cast.a).state == ReviewState.SIGNED
    with pytest.raises(PermissionDenied):
        actions.do_action_done(action, actor=cast.zack)
    with pytest.raises(PermissionDenied):
        actions.do_action_done(action, actor=cast.gina)


def test_a_past_years_signed_review_is_kept_as_it_was_signed(cast: Cast) -> None:
    """Last year's signed review: a change would clear signatures of a year whose signers may have
    gone and put today's evidence in place of what they signed. Its actions can still be done."""
    then = timezone.now() - dt.timedelta(days=366)
    year = actions.current_year(then)
    answer_all(cast, year, now=then)
    action, _ = actions.do_add_action(
        cast.a, year, actor=cast.olu, what="Check the guest Wi-Fi", owner=cast.nina, due=then.date(), now=then
    )
    review = sign_all(cast, year, now=then)
    kept = review.evidence
    with pytest.raises(ValidationError, match="kept as it was signed"):
        actions.do_answer(cast.a, year, "roles-dsl", actor=cast.olu, judgement=Judgement.NOT_MET)
    with pytest.raises(ValidationError, match="kept as it was signed"):
        actions.do_add_action(cast.a, year, actor=cast.olu, what="More", owner=cast.nina, due=dt.date.today())
    actions.do_action_done(action, actor=cast.olu)
    review.refresh_from_db()
    assert review.state == ReviewState.SIGNED and review.evidence == kept
    assert review.signoffs.filter(cleared_at__isnull=True).count() == 3
    assert actions.closed(review, timezone.now()) and not actions.closed(review, then)


def test_an_action_needs_its_words_and_an_owner_at_this_school(cast: Cast) -> None:
    due = dt.date.today()
    for what, owner, field in (
        ("", cast.nina, "what"),
        ("x" * 301, cast.nina, "what"),
        ("Check", cast.zack, "owner"),
    ):
        with pytest.raises(ValidationError) as refused:
            actions.do_add_action(cast.a, this_year(), actor=cast.olu, what=what, owner=owner, due=due)
        assert field in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        actions.do_add_action(cast.a, this_year(), actor=cast.tom, what="Check", owner=cast.nina, due=due)


def test_the_next_review_is_a_year_after_the_last_sign_off_or_the_date_chosen_since(cast: Cast) -> None:
    assert reminders.next_due(cast.a).day is None  # never signed: due now
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        actions.do_set_next_due(cast.a, actor=cast.olu, day=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        actions.do_set_next_due(cast.a, actor=cast.olu, day=today + dt.timedelta(days=800))
    with pytest.raises(PermissionDenied):
        actions.do_set_next_due(cast.a, actor=cast.gina, day=today)
    chosen = today + dt.timedelta(days=100)
    actions.do_set_next_due(cast.a, actor=cast.olu, day=chosen)
    assert reminders.next_due(cast.a).day == chosen
    assert reminders.next_due(cast.b).day is None
    answer_all(cast)
    signed = sign_all(cast)
    assert signed.signed_at is not None
    due = reminders.next_due(cast.a)
    assert due.last_signed == today and due.day is not None and (due.day - today).days in (365, 366)
    actions.do_set_next_due(cast.a, actor=cast.olu, day=chosen)
    assert reminders.next_due(cast.a).day == chosen
