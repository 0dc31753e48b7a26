"""The annual review's changes: answering a point, adding an action and marking it done, signing a
slot, choosing the next review's date. Each checks the actor's capability at the school itself and
refuses bad input with ValidationError.

The rules that make a signed review mean something:
- the review is signed only once every point is answered, each slot by a holder of REVIEW_SIGN who
  holds that slot's role at the school (one person holding two of the roles signs each slot on its own);
- at the first signature the evidence is kept in the review as it is then;
- changing an answer, or adding an action, after a signature clears every signature (kept, marked
  cleared with why) and lets the evidence be gathered afresh: what was signed is no longer what the
  review says. Marking an action done does not: that is the review being followed up.
- a past school year's signed review is closed (`closed`): kept as it was signed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.annualreview import evidence, standards
from schoolgate.web.annualreview.models import (
    SLOT_ROLE,
    Answer,
    Judgement,
    Review,
    ReviewAction,
    ReviewState,
    Schedule,
    SignOff,
    Slot,
)
from schoolgate.web.core import schoolyear
from schoolgate.web.core.actions import Operator, acting, require, save

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

__all__ = [
    "NOTES_MAX",
    "WHAT_MAX",
    "closed",
    "current_year",
    "do_action_done",
    "do_add_action",
    "do_answer",
    "do_set_next_due",
    "do_sign",
    "unanswered",
]

NOTES_MAX = 2000
WHAT_MAX = 300
NEXT_DUE_LATEST = dt.timedelta(days=2 * 366)


def current_year(now: dt.datetime) -> int:
    """The school year of `now`: the one a new review is made for."""
    return schoolyear.school_year(timezone.localdate(now))


def _review(school: School, year: int, now: dt.datetime, *, actor: User) -> Review:
    """The school's review of `year` (locked for the change); made when first written to, for the
    current school year only (an earlier year's review, started then, can still be finished)."""
    review = Review.objects.select_for_update().filter(school=school, year=year).first()
    if review is not None and closed(review, now):
        raise ValidationError(
            f"The {review.year_name} review was signed and its year is over: it is kept as it was signed. "
            "Write what has changed in this year's review."
        )
    if review is None:
        if year != current_year(now):
            raise ValidationError("A new review can be started for this school year only")
        review = Review(school=school, year=year, started_at=now)
        save(review, actor=actor, reason="review started")
    return review


def closed(review: Review | None, now: dt.datetime) -> bool:
    """Whether the review is a past school year's, signed: its answers and actions are kept as they
    were signed (a change would clear the signatures of a year whose signers may have gone, and put
    today's evidence in place of what they signed). Its actions can still be marked done."""
    return review is not None and review.state == ReviewState.SIGNED and review.year != current_year(now)


def _active(review: Review) -> list[SignOff]:
    return list(review.signoffs.filter(cleared_at__isnull=True))


def _clear_signatures(review: Review, *, actor: User | Operator, why: str, now: dt.datetime) -> int:
    """Clear the review's signatures (kept, marked cleared) and its kept evidence: the review changed
    after it was signed. How many were cleared."""
    signed = _active(review)
    for signature in signed:
        signature.cleared_at = now
        signature.cleared_why = why[:300]
        save(signature, actor=actor, reason=f"signature cleared: {why}")
    if signed or review.evidence is not None or review.state != ReviewState.IN_PROGRESS:
        review.evidence = None
        review.state = ReviewState.IN_PROGRESS
        review.signed_at = None
        save(review, actor=actor, reason=f"signatures cleared: {why}")
    return len(signed)


def unanswered(review: Review | None) -> list[standards.Point]:
    """The points of the standards the review has not answered yet."""
    done = set() if review is None else set(review.answers.values_list("point", flat=True))
    return [p for p in standards.POINTS.values() if p.key not in done]


def do_answer(
    school: School,
    year: int,
    point: str,
    *,
    actor: User,
    judgement: str,
    notes: str = "",
    now: dt.datetime | None = None,
) -> tuple[Answer, int]:
    """Answer `point` of `school`'s review of `year` (met, partly met or not met, with notes). Returns
    the answer and how many signatures the change cleared (0 when the answer did not change)."""
    require(actor, Capability.REVIEW_CHANGE, school)
    now = now or timezone.now()
    found = standards.point(str(point))
    if found is None:
        raise ValidationError("There is no such point in the standards")
    if judgement not in Judgement.values:
        raise ValidationError({"judgement": "Choose met, partly met or not met"})
    notes = str(notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": f"Keep the notes under {NOTES_MAX} characters"})
    with transaction.atomic(), acting(actor):
        review = _review(school, year, now, actor=actor)
        answer = Answer.objects.filter(review=review, point=found.key).first()
        if answer is not None and answer.judgement == judgement and answer.notes == notes:
            return answer, 0
        cleared = _clear_signatures(
            review, actor=actor, why=f"the answer to a point was changed ({found.key})", now=now
        )
        if answer is None:
            answer = Answer(review=review, school=school, point=found.key)
        answer.judgement = judgement
        answer.notes = notes
        answer.answered_by = actor
        answer.answered_at = now
        save(answer, actor=actor)
    return answer, cleared


def do_add_action(
    school: School,
    year: int,
    *,
    actor: User,
    what: str,
    owner: User | int,
    due: dt.date,
    now: dt.datetime | None = None,
) -> tuple[ReviewAction, int]:
    """Add an action to `school`'s review of `year`: what, who does it (someone with a login at the
    school), by when. Returns it and how many signatures it cleared."""
    require(actor, Capability.REVIEW_CHANGE, school)
    now = now or timezone.now()
    what = " ".join(str(what or "").split())
    if not what:
        raise ValidationError({"what": "Say what is to be done"})
    if len(what) > WHAT_MAX:
        raise ValidationError({"what": f"Keep it under {WHAT_MAX} characters"})
    owner_id = owner.pk if isinstance(owner, User) else owner
    found = User.objects.filter(pk=owner_id, memberships__school=school, is_active=True).distinct().first()
    if found is None:
        raise ValidationError({"owner": "Choose someone with a login at this school"})
    if not isinstance(due, dt.date):
        raise ValidationError({"due": "Give the date it is due"})
    with transaction.atomic(), acting(actor):
        review = _review(school, year, now, actor=actor)
        cleared = _clear_signatures(review, actor=actor, why="an action was added", now=now)
        action = ReviewAction(
            review=review, school=school, what=what, owner=found, due=due, added_by=actor, added_at=now
        )
        save(action, actor=actor)
    return action, cleared


def do_action_done(
    action: ReviewAction, *, actor: User, done: bool = True, now: dt.datetime | None = None
) -> ReviewAction:
    """Mark an action done (or not done after all). The signatures stay: this is following it up."""
    require(actor, Capability.REVIEW_CHANGE, action.school_id)
    now = now or timezone.now()
    if done == (action.done_at is not None):
        return action
    action.done_at = now if done else None
    save(action, actor=actor, reason="done" if done else "not done after all")
    return action


def do_sign(school: School, year: int, slot: str, *, actor: User, now: dt.datetime | None = None) -> SignOff:
    """Sign `slot` of `school`'s review of `year` as `actor`, who must hold REVIEW_SIGN and the slot's
    role at the school. The first signature keeps the evidence; the last marks the review signed."""
    require(actor, Capability.REVIEW_SIGN, school)
    now = now or timezone.now()
    if slot not in Slot.values:
        raise ValidationError({"slot": "Choose which role you sign as"})
    role = SLOT_ROLE[slot]
    if not Membership.objects.filter(user=actor, school=school, role=role).exists():
        raise ValidationError({"slot": f"Only the {role.label.lower()} signs as {Slot(slot).label.lower()}"})
    with transaction.atomic(), acting(actor):
        review = Review.objects.select_for_update().filter(school=school, year=year).first()
        missing = unanswered(review)
        if review is None or missing:
            raise ValidationError(
                f"Every point must be answered before the review is signed: {len(missing)} to answer"
            )
        signed = _active(review)
        if any(s.slot == slot for s in signed):
            raise ValidationError({"slot": f"The {Slot(slot).label.lower()} has signed already"})
        if not signed:
            review.evidence = evidence.as_json(evidence.gather(school, review.year, now))
        signature = SignOff(
            review=review, school=school, slot=slot, signer=actor, signer_name=str(actor), signed_at=now
        )
        save(signature, actor=actor)
        if len(signed) + 1 == len(Slot):
            review.state = ReviewState.SIGNED
            review.signed_at = now
        save(review, actor=actor, reason=f"signed as {Slot(slot).label.lower()}")
    return signature


def do_set_next_due(
    school: School, *, actor: User | Operator, day: dt.date, now: dt.datetime | None = None
) -> Schedule:
    """Choose the date of the next review (today at the earliest, within two years)."""
    require(actor, Capability.REVIEW_CHANGE, school)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not isinstance(day, dt.date) or day < today:
        raise ValidationError({"next_due": "Choose today or a later date"})
    if day > today + NEXT_DUE_LATEST:
        raise ValidationError({"next_due": "Choose a date within the next two years"})
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(school=school).first()
        if schedule is None:
            schedule = Schedule(school=school)
        schedule.next_due = day
        schedule.set_at = now
        save(schedule, actor=actor, reason="next review date chosen")
    return schedule
