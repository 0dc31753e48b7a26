"""Parents' one-time consent links: made, found, used once; and the public page's limit on forms.

As for the login links (`accounts.links`): the token is 256 random bits, in the address only, and the
database keeps its SHA-256. A link works once (the first form sent uses it), for `LIFETIME`; a newer
link for the same parent and child cancels the older ones; at most `PER_HOUR` links are made for one
parent in an hour (a button that sends e-mail must not become a way to flood someone's inbox). A link
stops working too when the parent is no longer on record with parental responsibility for the child,
or when their e-mail address on record is no longer the one it was sent to (an address corrected
because it was someone else's must not leave that someone a working link for two weeks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from schoolgate.web.accounts.throttle import throttled_address
from schoolgate.web.consent.models import ConsentLink, LinkPost
from schoolgate.web.people.models import GuardianLink, Person

LIFETIME = dt.timedelta(days=14)
PER_HOUR = 3
TOKEN_MAX = 100  # longer is no token of ours: refused before the database is asked
# The public page's forms, per address: a parent sends one; a family or a shared connection a few.
POSTS_PER_WINDOW = 10
POST_WINDOW = dt.timedelta(minutes=15)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def made_in_the_last_hour(parent: Person, now: dt.datetime | None = None) -> int:
    since = (now or timezone.now()) - dt.timedelta(hours=1)
    return ConsentLink.objects.filter(parent=parent, made_at__gte=since).count()


def make(
    child: Person, parent: Person, *, made_by: str, now: dt.datetime | None = None
) -> tuple[ConsentLink, str]:
    """A new link for `parent` about `child` (their older ones for that child stop working), and its
    token, which is not kept."""
    token = secrets.token_urlsafe(32)
    now = now or timezone.now()
    with transaction.atomic():
        for old in ConsentLink.objects.filter(child=child, parent=parent, used_at=None, cancelled_at=None):
            old.cancelled_at = now
            old.save(update_fields=["cancelled_at"])
        link = ConsentLink.objects.create(
            school_id=child.school_id,
            child=child,
            parent=parent,
            token_hash=_hash(token),
            made_at=now,
            expires_at=now + LIFETIME,
            made_by=made_by[:200],
            sent_to=parent.email,
        )
    return link, token


def _still_theirs(link: ConsentLink) -> bool:
    """The parent is still on record, with parental responsibility, for a child still at the school,
    and the address the link went to is still theirs."""
    if link.child.is_archived or link.parent.is_archived:
        return False
    if link.parent.email.strip().casefold() != link.sent_to.strip().casefold():
        return False
    return GuardianLink.objects.filter(
        school_id=link.school_id, child=link.child, guardian=link.parent, parental_responsibility=True
    ).exists()


def find(token: str) -> ConsentLink | None:
    """The link whose token this is, if it still works (not used, cancelled or expired, and the
    parent still the child's)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    link = (
        ConsentLink.objects.select_related("child", "parent", "school")
        .filter(token_hash=_hash(token), used_at=None, cancelled_at=None, expires_at__gt=timezone.now())
        .first()
    )
    return link if link is not None and _still_theirs(link) else None


def take(link: ConsentLink) -> bool:
    """Mark the link used, once: of two forms racing with the same link, one gets True."""
    now = timezone.now()
    return bool(
        ConsentLink.objects.filter(pk=link.pk, used_at=None, cancelled_at=None, expires_at__gt=now).update(
            used_at=now
        )
    )


def address(token: str, site: str) -> str:
    """The link's full address: `site` is the application's public address (no trailing slash)."""
    return site.rstrip("/") + reverse("consent:link", kwargs={"token": token})


def too_many_posts(client: str | None) -> bool:
    """Note a form sent from `client` (an address); True when it is over the limit for the window.
    Rows older than the window are deleted as new ones come in."""
    now = timezone.now()
    counted = throttled_address(client)
    LinkPost.objects.filter(at__lt=now - POST_WINDOW).delete()
    recent = LinkPost.objects.filter(at__gte=now - POST_WINDOW)
    recent = recent.filter(address__isnull=True) if counted is None else recent.filter(address=counted)
    if recent.count() >= POSTS_PER_WINDOW:
        return True
    LinkPost.objects.create(address=counted, at=now)
    return False
