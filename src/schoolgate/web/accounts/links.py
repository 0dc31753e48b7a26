"""One-time links to choose a password, and ending a login's sessions.

A link's token is 256 random bits, in the address only: the database keeps its SHA-256, so neither a
copy of the database nor anyone reading the table can use a link. A link works once, for
`LIFETIME`; a newer link for the same login cancels the older ones, and so does any change to its roles
(`actions.do_set_roles`: a link is asked for by someone who could reset the login as it was then); at
most `PER_HOUR` are made for one login in an hour (a click that sends e-mail must not become a way to
flood someone's inbox).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts.models import AccessLink, LinkPurpose, User
from schoolgate.web.tenancy.models import School

LIFETIME = dt.timedelta(hours=24)
PER_HOUR = 3
TOKEN_MAX = 100  # longer is no token of ours: refused before the database is asked
PENDING = "schoolgate_pending_login"  # the session's login between the password and the code


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def made_in_the_last_hour(user: User) -> int:
    return AccessLink.objects.filter(user=user, made_at__gte=timezone.now() - dt.timedelta(hours=1)).count()


def make(user: User, purpose: LinkPurpose, *, made_by: str, school: School | None) -> tuple[AccessLink, str]:
    """A new link for `user` (the older ones stop working), and its token, which is not kept."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        AccessLink.objects.filter(user=user, used_at=None, cancelled_at=None).update(cancelled_at=now)
        link = AccessLink.objects.create(
            user=user,
            token_hash=_hash(token),
            purpose=purpose,
            made_at=now,
            expires_at=now + LIFETIME,
            made_by=made_by[:200],
            school=school,
        )
    return link, token


def find(token: str) -> AccessLink | None:
    """The link whose token this is, if it still works (not used, cancelled or expired, and the login
    not switched off)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return (
        AccessLink.objects.select_related("user")
        .filter(token_hash=_hash(token), used_at=None, cancelled_at=None, expires_at__gt=timezone.now())
        .filter(user__is_active=True)
        .first()
    )


def take(link: AccessLink) -> bool:
    """Mark the link used, once: of two requests racing with the same link, one gets True."""
    return bool(
        AccessLink.objects.filter(
            pk=link.pk, used_at=None, cancelled_at=None, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now())
    )


def cancel_open(user: User) -> int:
    """Cancel every link of `user`'s that still works: how many there were."""
    now = timezone.now()
    return AccessLink.objects.filter(user=user, used_at=None, cancelled_at=None, expires_at__gt=now).update(
        cancelled_at=now
    )


def cancel(link: AccessLink) -> None:
    AccessLink.objects.filter(pk=link.pk, used_at=None).update(cancelled_at=timezone.now())


def address(token: str, site: str) -> str:
    """The link's full address: `site` is the application's public address (no trailing slash)."""
    from django.urls import reverse

    return site.rstrip("/") + reverse("accounts:link", kwargs={"token": token})


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every session of `user` but the one whose key is `keep`: logged in, or half-way (the password
    typed, the code not yet). Changing the password ends them too (Django checks a session against the
    password's hash), but a half-way session holds no hash, and ending them here says so plainly."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep:
            continue
        data = session.get_decoded()
        pending = data.get(PENDING)
        if data.get("_auth_user_id") == str(user.pk) or (
            isinstance(pending, dict) and pending.get("user") == user.pk
        ):
            session.delete()
            ended += 1
    return ended
