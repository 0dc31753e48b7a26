"""Every change to consent: recording a form (staff), sending parents their links, and a parent's own
change from a link. Each checks who may make it itself and refuses bad input with ValidationError.

Records are only ever added (`ConsentRecord` is kept): a change of mind is a new row, and the history
stays readable on the child's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import User
from schoolgate.web.consent import links
from schoolgate.web.consent.choices import Decision, HowGiven, Purpose
from schoolgate.web.consent.models import NOTE_MAX, ConsentLink, ConsentRecord
from schoolgate.web.consent.state import current
from schoolgate.web.core.actions import Operator, acting, require
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, GuardianLink, Person

__all__ = [
    "LinkGoneError", "Sent", "do_record", "do_send_class_links", "do_send_links", "do_use_link",
    "parents_for_links",
]  # fmt: skip


class LinkGoneError(Exception):
    """The link was used, cancelled or expired between opening the page and sending the form."""


def _actor_label(actor: User | Operator) -> str:
    return actor.label if isinstance(actor, Operator) else str(actor)


def _check_child(child: Person, actor: User | Operator, capability: Capability) -> None:
    require(actor, capability, child.school_id)
    if child.kind != PersonKind.PUPIL:
        raise ValidationError("Consent is recorded for pupils only")
    if child.is_archived:
        raise ValidationError(f"{child} has left: their consent is kept as it was")


def _decisions(decisions: Mapping[str, str]) -> dict[str, str]:
    """The decisions as purpose -> given/withdrawn; anything else is refused."""
    clean: dict[str, str] = {}
    for purpose, decision in decisions.items():
        if purpose not in Purpose.values:
            raise ValidationError(f"{purpose!r} is not a purpose")
        if decision not in Decision.values:
            raise ValidationError(f"{decision!r} is neither given nor withdrawn")
        clean[purpose] = decision
    return clean


def parents_on_record(child: Person) -> list[Person]:
    """The child's parents and carers with parental responsibility, still on record."""
    links_ = GuardianLink.objects.filter(school_id=child.school_id, child=child, parental_responsibility=True)
    return [
        link.guardian
        for link in links_.select_related("guardian").order_by("contact_order", "pk")
        if not link.guardian.is_archived
    ]


def do_record(
    child: Person,
    *,
    decisions: Mapping[str, str],
    how: str,
    on: dt.date,
    actor: User | Operator,
    given_by: Person | None = None,
    note: str = "",
) -> list[ConsentRecord]:
    """Record what a parent decided, from a paper form, a call, an e-mail or in person: one row per
    purpose in `decisions` (purpose -> given/withdrawn). `given_by` is a parent of the child with
    parental responsibility, or None (the note then says who it was)."""
    _check_child(child, actor, Capability.CONSENT_CHANGE)
    clean = _decisions(decisions)
    if not clean:
        raise ValidationError("Choose given or withdrawn for at least one purpose")
    if how not in HowGiven.values or how == HowGiven.LINK:
        raise ValidationError(
            {"how": "Say how the decision came: a paper form, a call, an e-mail or in person"}
        )
    today = timezone.localdate()
    if on > today:
        raise ValidationError({"on": "That date is in the future"})
    if on < today - dt.timedelta(days=366 * 20):
        raise ValidationError({"on": "That date is too long ago"})
    if given_by is not None and given_by.pk not in {p.pk for p in parents_on_record(child)}:
        raise ValidationError({"given_by": "They are not on record as a parent of this child"})
    tidy = " ".join(str(note or "").split())
    if len(tidy) > NOTE_MAX:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX} characters"})
    if given_by is None and not tidy:
        raise ValidationError({"note": "Say who decided (their name and how they are related to the child)"})
    now = timezone.now()
    recorded_by = actor if isinstance(actor, User) else None
    with transaction.atomic(), acting(actor, "consent recorded"):
        return [
            ConsentRecord.objects.create(
                school_id=child.school_id,
                child=child,
                purpose=purpose,
                decision=decision,
                given_by=given_by,
                how=how,
                given_on=on,
                recorded_at=now,
                recorded_by=recorded_by,
                note=tidy,
            )
            for purpose, decision in clean.items()
        ]


@dataclass(frozen=True)
class Sent:
    """What happened for one parent: sent, or why not (in words for the page)."""

    parent: Person
    sent: bool
    why: str = ""


def parents_for_links(child: Person) -> list[Person]:
    """The parents a link would go to: on record with parental responsibility."""
    return parents_on_record(child)


def _mail(link: ConsentLink, token: str, site: str) -> mail.Outcome:
    school = link.school
    child_name = link.child.preferred_name or link.child.first_name
    days = links.LIFETIME.days
    # The subject names the school only: no child's surname in a subject line anyone may glimpse.
    subject = f"Photo and video consent at {school.name}"
    body = (
        f"Dear {link.parent.full_name},\n\n"
        f"{school.name} asks for your decision about photos and videos of {child_name}: on displays in "
        "school, the school website, social media, newsletters, in the press, and in recorded lessons and "
        "video calls.\n\n"
        "Open this link to give or withdraw consent for each. You do not need a login:\n\n"
        f"{links.address(token, site)}\n\n"
        f"The link works once, for {days} days. If you change your mind later, ask the school office for "
        "a new link or tell them.\n\n"
        f"If you did not expect this e-mail, please tell {school.name}."
    )
    return mail.send(link.sent_to, subject, body)


def do_send_links(child: Person, *, actor: User | Operator, site: str = "") -> list[Sent]:
    """E-mail each of the child's parents with parental responsibility a link of their own (their
    older links for this child stop working). Says, parent by parent, what really happened."""
    _check_child(child, actor, Capability.CONSENT_CHANGE)
    parents = parents_for_links(child)
    if not parents:
        raise ValidationError("No parent or carer with parental responsibility is on record for this child")
    site = (site or settings.SITE_URL).rstrip("/")
    out: list[Sent] = []
    for parent in parents:
        if not parent.email:
            out.append(Sent(parent, False, "no e-mail address on record"))
        elif not mail.set_up():
            out.append(Sent(parent, False, "e-mail is not set up on this server"))
        elif not site:
            out.append(Sent(parent, False, "the application's public address (SCHOOLGATE_URL) is not set"))
        elif links.made_in_the_last_hour(parent) >= links.PER_HOUR:
            out.append(
                Sent(parent, False, f"{links.PER_HOUR} links went to them in the last hour: wait an hour")
            )
        else:
            with acting(actor, f"consent link made for {parent.full_name}"):
                link, token = links.make(child, parent, made_by=_actor_label(actor))
            outcome = _mail(link, token, site)
            if not outcome.sent:
                # A link no one received must not stay usable (it still counts for the hour: the limit is on
                # attempts, whatever the mail server did).
                with acting(actor, "consent link not sent"):
                    link.cancelled_at = timezone.now()
                    link.save(update_fields=["cancelled_at"])
            out.append(Sent(parent, outcome.sent, outcome.why))
    return out


MAIL_FAILED = "it could not be sent (the mail server did not take it)"


def do_send_class_links(group: ClassGroup, *, actor: User | Operator, site: str = "") -> list[Sent]:
    """Send the link to the parents of each child in the class who has a purpose not asked yet (the
    start of the year: those who have answered are left alone). Stops at the first message the mail
    server does not take, rather than wait on a server that is down once per parent."""
    require(actor, Capability.CONSENT_CHANGE, group.school_id)
    pupils = Person.objects.filter(school_id=group.school_id, kind=PersonKind.PUPIL, class_group=group)
    children = list(pupils.current().order_by("last_name", "first_name"))
    states = current(group.school, [c.pk for c in children])
    out: list[Sent] = []
    for child in children:
        if all(s.decision is not None for s in states[child.pk].values()):
            continue
        if not parents_for_links(child):
            continue
        sent = do_send_links(child, actor=actor, site=site)
        out.extend(sent)
        if any(not s.sent and s.why in (MAIL_FAILED, "e-mail is not set up on this server") for s in sent):
            break
    return out


def do_use_link(
    link: ConsentLink, decisions: Mapping[str, str], shown: Mapping[str, str] | None = None
) -> list[ConsentRecord]:
    """The parent's own change, from their link: a row for each purpose whose state they changed
    (choosing what is already recorded adds nothing, and so does leaving a choice as the page showed
    it: `shown`, purpose -> what the page said, so that a page opened before the other parent withdrew
    consent by telephone does not give it back). The link is used by this form, changed or not;
    LinkGoneError if it stopped working since the page was opened."""
    clean = _decisions(decisions)
    seen = dict(shown or {})
    actor = f"parent {link.parent.full_name} (consent link)"
    with transaction.atomic(), acting(actor, "consent from the parent's link"):
        if not links.take(link):
            raise LinkGoneError
        now = timezone.now()
        states = current(link.school, [link.child_id])[link.child_id]
        return [
            ConsentRecord.objects.create(
                school_id=link.school_id,
                child=link.child,
                purpose=purpose,
                decision=decision,
                given_by=link.parent,
                how=HowGiven.LINK,
                given_on=timezone.localdate(),
                recorded_at=now,
                recorded_by=None,
                note="",
            )
            for purpose, decision in clean.items()
            if states[purpose].value != decision and seen.get(purpose) != decision
        ]
