"""The demo school's annual reviews: last school year's, answered and signed in July by the headteacher,
the DSL and the online safety governor, with its actions done; and this year's, started by the online
safety coordinator, a few points answered and an action open. Made through the actions, as a school
would make them."""

from __future__ import annotations

import datetime as dt

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.annualreview import actions, standards
from schoolgate.web.annualreview.models import Judgement, Review, Slot
from schoolgate.web.core.actions import save
from schoolgate.web.tenancy.models import School

NOTES = {
    "roles-governors": "Ben Osei took on online safety for the governors in the autumn term.",
    "review-checks": "The self-test runs every morning; two failures in the spring term were the "
    "DNS resolver after a router change, put right the same day.",
    "filter-appropriate": "Teachers asked for a handful of sites for lessons; all answered within a day.",
    "monitor-response": "High alerts reach the DSL and the deputy at once by e-mail.",
}
PARTLY = {"roles-staff", "review-what"}


def _holder(school: School, role: Role) -> User | None:
    found = Membership.objects.filter(school=school, role=role).select_related("user").first()
    return None if found is None else found.user


def seed_demo(school: School, now: dt.datetime) -> None:
    """Last year's signed review and this year's in progress (nothing when the school has reviews)."""
    if Review.objects.filter(school=school).exists():
        return
    coordinator = _holder(school, Role.ONLINE_SAFETY_COORDINATOR)
    signers = {
        slot: _holder(school, role)
        for slot, role in (
            (Slot.HEADTEACHER, Role.HEADTEACHER),
            (Slot.DSL, Role.DSL),
            (Slot.GOVERNOR, Role.ONLINE_SAFETY_GOVERNOR),
        )
    }
    if coordinator is None or any(user is None for user in signers.values()):
        return
    this_year = actions.current_year(now)
    last_year = this_year - 1
    july = dt.datetime(last_year + 1, 7, 8, 15, 30, tzinfo=dt.UTC)
    last = Review(school=school, year=last_year, started_at=july - dt.timedelta(days=20))
    save(last, actor=coordinator, reason="review started")
    for key in standards.POINTS:
        judgement = Judgement.PARTLY if key in PARTLY else Judgement.MET
        actions.do_answer(
            school, last_year, key, actor=coordinator, judgement=judgement, notes=NOTES.get(key, ""),
            now=july - dt.timedelta(days=7),
        )  # fmt: skip
    owner = signers[Slot.DSL]
    assert owner is not None
    done, _ = actions.do_add_action(
        school, last_year, actor=coordinator, owner=owner, due=dt.date(last_year + 1, 9, 30),
        what="Online safety update for support staff in the September training day",
        now=july - dt.timedelta(days=7),
    )  # fmt: skip
    actions.do_action_done(done, actor=coordinator, now=dt.datetime(last_year + 1, 9, 2, 12, tzinfo=dt.UTC))
    for hours, (slot, user) in enumerate(signers.items()):
        assert user is not None
        actions.do_sign(school, last_year, slot, actor=user, now=july + dt.timedelta(hours=hours))
    start = max(now - dt.timedelta(days=3), dt.datetime(this_year, 9, 1, 9, tzinfo=dt.UTC))
    for key in ("roles-governors", "roles-leaders", "roles-dsl", "roles-technical"):
        actions.do_answer(school, this_year, key, actor=coordinator, judgement=Judgement.MET, now=start)
    actions.do_add_action(
        school, this_year, actor=coordinator, owner=coordinator, due=(now + dt.timedelta(days=60)).date(),
        what="Add a test identity for the guest Wi-Fi group to the self-test", now=start,
    )  # fmt: skip
