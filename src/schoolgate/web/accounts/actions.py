"""Every change to logins and roles goes through these, from the pages and the commands alike. Each
checks for itself who is asking (`accounts.grants`) and refuses with `PermissionDenied` (or
`ValidationError` for bad input), so that no page or command can forget to.

Nobody sets or learns another person's password or authenticator app: a reset is a one-time link to
the person's own e-mail address (or, for a login without one, made by the server's operator to hand
over in person); a password made with a new login is shown once and must be changed at the first login.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolgate.web.accounts import links, mail, notices
from schoolgate.web.accounts.choices import SAFEGUARDING_ROLES, Capability, Role
from schoolgate.web.accounts.grants import (
    Operator,
    changeable_roles,
    givable_roles,
    given_by_words,
    why_not_reset,
)
from schoolgate.web.accounts.models import AccessLink, LinkPurpose, Membership, User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.trail import acting_as, record
from schoolgate.web.core.actions import acting
from schoolgate.web.tenancy.models import School

WORDS = (
    "apple", "river", "maple", "harbour", "lantern", "meadow", "copper", "willow", "falcon", "pebble",
    "orchard", "summit", "thistle", "beacon", "cobalt", "juniper", "quartz", "saffron", "tundra", "violet",
)  # fmt: skip
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
USERNAME_MAX = 150


class LinkGoneError(ValidationError):
    """The link was used, cancelled or expired meanwhile."""

    def __init__(self) -> None:
        super().__init__("This link no longer works: it was used, cancelled or has expired")


def temporary_password() -> str:
    """Four words and a number: easy to read out, long enough, changed at the first login."""
    return "-".join(secrets.choice(WORDS) for _ in range(4)) + f"-{secrets.randbelow(90) + 10}"


def check_username(name: str) -> str:
    """The user name as stored (lower case), or ValidationError saying what is wrong with it."""
    name = name.strip().lower()
    if not name or len(name) > USERNAME_MAX or not USERNAME.fullmatch(name):
        raise ValidationError("Use only letters, numbers, dots and hyphens, starting with a letter or number")
    if User.objects.filter(username__iexact=name).exists():
        raise ValidationError("That user name is taken: choose another")
    return name


def _label(actor: User | Operator) -> str:
    """Who asked, as a link remembers it."""
    return actor.label if isinstance(actor, Operator) else f"{actor} ({actor.get_username()})"


def _by(actor: User | Operator) -> str:
    """Who made a change, as the DSL and the chair of governors are told it."""
    return actor.label if isinstance(actor, Operator) else str(actor)


def _schools_of(user: User, school: School | None) -> list[School | None]:
    if school is not None:
        return [school]
    found: list[School | None] = list(School.objects.filter(memberships__user=user).distinct().order_by("pk"))
    return found or [None]


def _record_login(
    user: User, reason: str, before: dict[str, str], after: dict[str, str], school: School | None = None
) -> None:
    """One entry about `user`'s login in the trail of `school`, or of every school where they have a
    role (each school's readers of the trail see what happened to its logins)."""
    for where in _schools_of(user, school):
        record(AuditAction.UPDATE, obj=user, school=where, reason=reason, before=before, after=after)


# -- roles -------------------------------------------------------------------------------------------


def _refusal(refused: set[Role] | frozenset[Role], *, own: bool = False) -> str:
    role = min(refused, key=list(Role).index)
    if own:
        return f"You cannot change your own roles: ask {given_by_words(role)}"
    return f"You cannot give or take away the role {role.label}: only {given_by_words(role)} can"


@dataclass(frozen=True)
class RolesChanged:
    added: frozenset[Role]
    removed: frozenset[Role]
    told: notices.Told | None  # None: no safeguarding role changed, nobody needed telling
    links_cancelled: bool = False  # an unused link to choose a password stopped working


def _not_own_password_yet(target: User, roles: set[Role] | frozenset[Role]) -> str:
    role = min(roles, key=list(Role).index)
    return (
        f"{target} has not yet chosen their own password, so whoever made their login knows the one-time "
        f"password it was made with. Before they are given the role {role.label}, they must log in and "
        "choose their own password, or be sent a reset link and use it"
    )


def do_set_roles(
    target: User, school: School, roles: Sequence[Role | str], *, actor: User | Operator, reason: str = ""
) -> RolesChanged:
    """`target`'s roles at `school` become exactly `roles` (their roles at other schools are left
    alone), if `actor` may give and take away each role that changes (see `_change_roles`)."""
    try:
        wanted = frozenset(Role(r) for r in roles)
    except ValueError:
        raise ValidationError("Not a role: choose from the list") from None
    return _change_roles(target, school, lambda have: wanted, actor=actor, reason=reason)


def do_give_role(
    target: User, school: School, role: Role, *, actor: User | Operator, reason: str = ""
) -> RolesChanged:
    """`target` also holds `role` at `school`, their other roles kept (nothing added if they hold it)."""
    return _change_roles(target, school, lambda have: have | {role}, actor=actor, reason=reason)


def do_take_role(
    target: User, school: School, role: Role, *, actor: User | Operator, reason: str = ""
) -> RolesChanged:
    """`target` no longer holds `role` at `school`, their other roles kept (nothing removed if they
    do not hold it)."""
    return _change_roles(target, school, lambda have: have - {role}, actor=actor, reason=reason)


def _change_roles(
    target: User,
    school: School,
    wanted_from: Callable[[frozenset[Role]], frozenset[Role]],
    *,
    actor: User | Operator,
    reason: str,
) -> RolesChanged:
    """`target`'s roles at `school` become `wanted_from(the roles they hold)`, read from the memberships
    themselves under a lock (a switched-off login's roles are still its roles), if `actor` may give and
    take away each role that changes.

    - A safeguarding role is not given to a login whose one-time password someone else knows (it must
      be given with the login, by whoever makes it, or after its person has chosen their own).
    - Any change cancels the login's unused links to choose a password: a link asked for by someone who
      could reset the login as it was must not open it as it is now.
    - A change to a safeguarding role is told to the school's DSLs and chairs of governors."""
    with transaction.atomic():
        have = {
            Role(m.role): m for m in Membership.objects.select_for_update().filter(user=target, school=school)
        }
        wanted = wanted_from(frozenset(have))
        added, removed = wanted - set(have), set(have) - wanted
        refused = (added | removed) - changeable_roles(actor, target, school)
        if refused:
            raise PermissionDenied(_refusal(refused, own=isinstance(actor, User) and actor.pk == target.pk))
        if added & SAFEGUARDING_ROLES and (
            User.objects.select_for_update().filter(pk=target.pk, must_change_password=True).exists()
        ):
            raise PermissionDenied(_not_own_password_yet(target, added & SAFEGUARDING_ROLES))
        announce = (added | removed) & SAFEGUARDING_ROLES
        before = notices.watchers(school) if announce else []
        cancelled = 0
        with acting(actor, reason):
            for role in sorted(removed, key=list(Role).index):
                have[role].delete()
            for role in sorted(added, key=list(Role).index):
                Membership.objects.create(user=target, school=school, role=role)
            if added or removed:
                cancelled = links.cancel_open(target)
            if cancelled:
                _record_login(
                    target,
                    "their unused link to choose a password was cancelled, because their roles changed",
                    {"link": "sent"},
                    {"link": "cancelled"},
                    school,
                )
    target._capabilities = None
    told = None
    if announce:
        by = _by(actor)
        told = notices.tell(
            school,
            [
                notices.RoleChange(timezone.now(), str(target), r, r in added, by, target.email)
                for r in sorted(announce, key=list(Role).index)
            ],
            also=before,
            skip=actor if isinstance(actor, User) else None,
        )
    return RolesChanged(frozenset(added), frozenset(removed), told, links_cancelled=bool(cancelled))


# -- new logins --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    user: User
    invited: str  # the address an invitation was e-mailed to, or ""
    one_time_password: str  # shown once to whoever made the login, when no invitation went; or ""
    not_invited_because: str  # why no invitation went, when an address was given
    told: notices.Told | None


def do_create_login(
    school: School,
    *,
    username: str,
    display_name: str,
    email: str,
    roles: Sequence[Role | str],
    actor: User | Operator,
    site: str = "",
    reason: str = "",
) -> Created:
    """A new login with `roles` at `school`, if `actor` may give each of them. With an address and
    e-mail set up, the person is e-mailed an invitation (a one-time link) to choose their own password;
    otherwise a one-time password is made, to be given in person and changed at the first login."""
    try:
        wanted = [Role(r) for r in dict.fromkeys(roles)]
    except ValueError:
        raise ValidationError("Not a role: choose from the list") from None
    if not wanted:
        raise ValidationError("Give the login at least one role")
    refused = set(wanted) - givable_roles(actor, school)
    if refused:
        raise PermissionDenied(_refusal(refused))
    name = check_username(username)
    email = email.strip()
    if email:
        validate_email(email)  # one address, no new lines: it goes into an e-mail's header
    with transaction.atomic(), acting(actor, reason):
        user = User(username=name, display_name=display_name.strip()[:200], email=email[:254])
        user.set_unusable_password()
        user.save()
        before = notices.watchers(school) if set(wanted) & SAFEGUARDING_ROLES else []
        for role in wanted:
            Membership.objects.create(user=user, school=school, role=role)
    invited, why = "", ""
    if user.email and mail.set_up():
        sent = _send_link(user, school, LinkPurpose.INVITATION, actor=actor, site=site)
        invited, why = (user.email, "") if sent.sent else ("", sent.why)
    password = ""
    if not invited:
        password = temporary_password()
        with transaction.atomic(), acting(actor):
            user.set_password(password)
            user.must_change_password = True
            user.save(update_fields=["password", "must_change_password"])
            _record_login(
                user,
                "a one-time password was made with the login, to be changed at the first login",
                {"password": "none"},
                {"password": "one-time", "must change password": "yes"},
                school,
            )
    told = None
    announce = set(wanted) & SAFEGUARDING_ROLES
    if announce:
        by = _by(actor)
        told = notices.tell(
            school,
            [
                notices.RoleChange(timezone.now(), str(user), r, True, by, user.email)
                for r in sorted(announce, key=list(Role).index)
            ],
            also=before,
            skip=actor if isinstance(actor, User) else None,
        )
    return Created(user, invited, password, why, told)


# -- one-time links ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkSent:
    sent: bool
    to: str = ""
    why: str = ""  # why not, in words for the page


def _operator_can(user: User) -> str:
    return (
        "The server's operator can make a one-time link to hand over in person "
        f"(schoolgate web manage reset_link {user.get_username()})"
    )


def _site(site: str) -> str:
    return (site or settings.SITE_URL).rstrip("/")


def _send_link(
    user: User, school: School, purpose: LinkPurpose, *, actor: User | Operator, site: str
) -> LinkSent:
    if not user.email:
        return LinkSent(False, why=f"{user} has no e-mail address. {_operator_can(user)}")
    if not mail.set_up():
        return LinkSent(False, why=f"E-mail is not set up on this server. {_operator_can(user)}")
    if not _site(site):
        return LinkSent(False, why="The application's public address (SCHOOLGATE_URL) is not set")
    if links.made_in_the_last_hour(user) >= links.PER_HOUR:
        return LinkSent(
            False, why="Three links were sent to their address in the last hour: wait an hour before another"
        )
    link, token = links.make(user, purpose, made_by=_label(actor), school=school)
    address = links.address(token, _site(site))
    hours = int(links.LIFETIME.total_seconds() // 3600)
    asker = str(actor) if isinstance(actor, User) else "The server's operator"
    if purpose == LinkPurpose.INVITATION:
        subject = f"Your Schoolgate login at {school.name}"
        opening = (
            f"{asker} has given you a Schoolgate login at {school.name}. Your user name is "
            f"{user.get_username()}.\n\n"
            "To start, open this link, choose your password and set up an authenticator app on your phone:"
        )
    else:
        subject = f"Choose a new Schoolgate password ({school.name})"
        opening = (
            f"{asker} asked for your Schoolgate login ({user.get_username()}) at {school.name} to be "
            "reset.\n\n"
            "Open this link to choose a new password and set up your authenticator app again (your old "
            "one stops working, and you are logged out everywhere else):"
        )
    body = (
        f"{opening}\n\n{address}\n\n"
        f"The link works once, for {hours} hours. Until you use it, your password and app work as before. "
        "If you did not expect this e-mail, tell your DSL or headteacher and do not open the link."
    )
    outcome = mail.send(user.email, subject, body)
    what = (
        "an invitation to choose a password"
        if purpose == LinkPurpose.INVITATION
        else "a link to choose a new password"
    )
    with acting(actor):
        if not outcome.sent:
            links.cancel(link)
            _record_login(user, f"{what} could not be e-mailed: {outcome.why}", {}, {}, school)
            return LinkSent(False, why=f"The e-mail with the link {outcome.why.removeprefix('it ')}")
        reason = f"{what} was e-mailed to their own address ({user.email}), valid {hours} hours"
        _record_login(user, reason, {}, {"link": "sent"}, school)
    return LinkSent(True, to=user.email)


def do_send_reset(target: User, school: School, *, actor: User | Operator, site: str = "") -> LinkSent:
    """E-mail `target`, at their own address, a one-time link to choose a new password and set up a new
    authenticator app; if `actor` may (see `grants.why_not_reset`). Nothing changes until it is used."""
    refused = why_not_reset(actor, target, school)
    if refused:
        raise PermissionDenied(refused)
    return _send_link(target, school, LinkPurpose.RESET, actor=actor, site=site)


def do_make_link_by_hand(target: User, *, operator: Operator, reason: str, site: str) -> str:
    """A one-time link for the server's operator to hand over in person (a login without an e-mail
    address, or e-mail not set up): its address, shown to the operator only."""
    if not _site(site):
        raise ValidationError("the application's public address is needed: set SCHOOLGATE_URL")
    school = School.objects.filter(memberships__user=target).order_by("pk").first()
    _, token = links.make(target, LinkPurpose.RESET, made_by=operator.label, school=school)
    with acting(operator, reason):
        why = (
            "a one-time link to choose a new password was made by the server's operator, to hand over in "
            f"person: {reason}"
        )
        _record_login(target, why, {}, {"link": "made"})
    return links.address(token, _site(site))


def do_use_link(link: AccessLink, *, password: str) -> User:
    """The person behind `link` chooses `password`: their authenticator apps are removed (they set up a
    new one now) and every session of theirs ends. The link is the authority (no one is logged in):
    ValidationError for a password the validators refuse, LinkGoneError (a ValidationError) if the
    link no longer works."""
    user = link.user
    validate_password(password, user)
    with transaction.atomic():
        if not links.take(link):
            raise LinkGoneError
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        ended = links.end_sessions(user)
        with acting_as(user):
            _record_login(
                user,
                f"password chosen through a one-time link ({link.get_purpose_display()}, asked for by "
                f"{link.made_by}); authenticator app removed, to set up again; "
                f"{ended} other session(s) ended",
                {"password": "(not shown)", "authenticator": "set up" if removed else "none"},
                {"password": "changed", "authenticator": "to set up now"},
                link.school,
            )
    return user


def do_change_own_password(actor: User, *, password: str, keep_session: str | None) -> int:
    """`actor` chooses their own new password (their current one checked by the page): every other
    session of theirs ends. Returns how many ended."""
    user = actor
    validate_password(password, user)
    with transaction.atomic(), acting_as(user):
        forced = user.must_change_password
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        ended = links.end_sessions(user, keep=keep_session)
        why = "the one-time password given with the login" if forced else "their own password"
        ended_words = f"{ended} other session(s) ended"
        _record_login(
            user, f"changed {why}; {ended_words}", {"password": "(not shown)"}, {"password": "changed"}
        )
    return ended


def do_record_new_app(actor: User) -> None:
    """The person has set up their own authenticator app (at the first login, or after a reset)."""
    user = actor
    with acting_as(user):
        _record_login(
            user, "authenticator app set up", {"authenticator": "none"}, {"authenticator": "set up"}
        )


# The kinds of record a staff login may be linked to: the login's own "my agreement", "my training" and
# training needs questions read it, and concerns about that person are kept from that login.
LINKABLE_KINDS = frozenset({"staff", "supply", "governor"})


def _name_words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w'’-]+", text.casefold()) if w}


def linkable_people(login: User, school: School) -> list[tuple[int, str]]:
    """The records at `school` a login could be linked to: staff, supply staff and governors, current,
    not linked to another login, whose last name is one of the words of the login's name (a record of
    someone else is never offered). As (id, "name (job)") pairs, by name."""
    from schoolgate.web.people.models import Person

    words = _name_words(f"{login.display_name} {login.first_name} {login.last_name}")
    rows = (
        Person.objects.filter(school=school, kind__in=LINKABLE_KINDS, user__isnull=True)
        .current()
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", "first_name", "last_name", "job_title")
    )
    return [
        (pk, f"{first} {last}" + (f" ({job})" if job else ""))
        for pk, first, last, job in rows
        if last.strip() and _name_words(last) <= words
    ]


def do_link_person(login: User, school: School, person_id: int | None, *, actor: User | Operator) -> None:
    """Link `login` to its person's record at `school` (`person_id`), or take the link away (None).

    Who is linked to whom decides whose concerns are kept from which login (`incidents.access`): linking
    a DSL's login to someone else's record would hide that person's concerns from the DSL. So only
    someone who could reset the login (who could give every role it holds, `grants.why_not_reset`)
    links it, never their own, and only to a current staff, supply or governor record of the school
    whose last name is in the login's name and that no other login holds. Written to the audit trail."""
    from schoolgate.web.people.models import Person

    if not isinstance(actor, Operator):
        if not actor.can(Capability.ACCOUNTS_MANAGE, school):
            raise PermissionDenied("Linking a login to a record is for those who manage staff logins")
        if actor.pk == login.pk:
            raise PermissionDenied("You cannot link your own login: ask whoever manages staff logins")
        refused = why_not_reset(actor, login, school)
        if refused is not None:
            raise PermissionDenied(refused)
    with transaction.atomic(), acting(actor, "login linked to their record in People"):
        current = Person.objects.select_for_update().filter(user=login).first()
        if person_id is None:
            if current is not None and current.school_id == school.pk:
                current.user = None
                current.save()
            return
        if person_id not in {pk for pk, _ in linkable_people(login, school)}:
            raise ValidationError(
                {
                    "person": "Choose a current member of staff or governor of this school whose last "
                    "name is in the login's name, not linked to another login"
                }
            )
        if current is not None:
            if current.school_id != school.pk:
                raise ValidationError({"person": "This login is linked to a record at another school"})
            current.user = None
            current.save()
        chosen = Person.objects.select_for_update().get(pk=person_id, school=school)
        chosen.user = login
        chosen.save()
