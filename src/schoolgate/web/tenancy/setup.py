"""Setting up a school that is not the demo: the school (name, URN, time zone, trust), its default
filtering policy, and its first login (the headteacher or the DSL).

`do_create_school` is what `schoolgate school create` (`schoolgate web manage create_school`) and the
trust's "Add a school" page run. It is idempotent by URN: asked again for a school that exists (same
URN, same name) it changes nothing and says so, and never makes a new password; the same URN with
another name is refused, since one of the two is a mistake.

Who may:

- the server's operator, at the command line (`grants.Operator`): any school, in any trust or none;
- through the page, a headteacher of a school in a trust (`Capability.SCHOOLS_ADD`), for a new school
  *of that trust*. Roles are held per school and there is no trust-wide role; the headteacher is a role
  that only the operator gives, so the people who can add a school are exactly those the operator has
  trusted with a school of the trust already. Their school's records stay theirs: they hold no role at the new
  school. The new school's first login (its headteacher or DSL, which only the operator gives) is
  given in the operator's place and the audit trail names the headteacher who asked.

The first login gets an e-mailed invitation when e-mail is set up and it has an address; otherwise a
one-time password, shown once to whoever made it. Either way its person chooses their own password and
sets up an authenticator app before any page opens (`accounts.middleware`, `accounts.views`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from schoolgate.web.accounts.actions import Created, check_username, do_create_login
from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.accounts.notices import Told
from schoolgate.web.core.actions import Operator, acting
from schoolgate.web.policy import seed
from schoolgate.web.tenancy import notices
from schoolgate.web.tenancy.arguments import DEFAULT_TIMEZONE
from schoolgate.web.tenancy.models import School, Trust

__all__ = [
    "FIRST_ROLES",
    "FirstLogin",
    "SchoolMade",
    "check_name",
    "check_timezone",
    "check_urn",
    "do_create_school",
    "locked_lists_missing",
    "trusts_for",
]

# The roles a school's first login may have: whoever runs the school's safeguarding and its logins.
FIRST_ROLES = (Role.HEADTEACHER, Role.DSL)
NAME_MAX = 200
_URN = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class FirstLogin:
    """The school's first login: its person, their role, and optionally their user name."""

    role: Role
    name: str
    email: str = ""
    username: str = ""


@dataclass(frozen=True)
class SchoolMade:
    school: School
    created: bool  # False: the school existed, and nothing was changed
    trust_created: bool = False
    login: Created | None = None
    differences: list[str] = field(default_factory=list)  # what was asked of an existing school
    leaders: list[str] = field(default_factory=list)  # an existing school's headteacher and DSL logins
    # Who of the trust's other schools' leaders was e-mailed about a school added through the page
    # (`tenancy.notices`); None when the operator added it.
    told: Told | None = None


def check_name(text: str, what: str = "the school's name", field: str = "name") -> str:
    """A name as kept: spaces tidied; blank, too long or with control characters refused (the message
    under `field`)."""
    name = " ".join(str(text or "").split())
    if not name:
        raise ValidationError({field: f"Give {what}"})
    if len(name) > NAME_MAX or not name.isprintable():
        too_long = f"{what.capitalize()} must be plain text, at most {NAME_MAX} characters"
        raise ValidationError({field: too_long})
    return name


def check_urn(text: str) -> str:
    """The school's Unique Reference Number as kept: the six digits the DfE gives every school
    (Get Information about Schools); spaces allowed around it."""
    urn = str(text or "").strip()
    if not _URN.fullmatch(urn):
        raise ValidationError(
            {
                "urn": f"{urn!r} is not a URN: a school's Unique Reference Number is six digits, as Get "
                "Information about Schools shows it (for example 100001)"
            }
        )
    return urn


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(text: str) -> str:
    """An IANA time zone name this server knows ("Europe/London")."""
    zone = str(text or "").strip() or DEFAULT_TIMEZONE
    if zone not in _zones():
        raise ValidationError(
            {"timezone": f"{zone!r} is not a time zone this server knows: use a name such as Europe/London"}
        )
    return zone


def trusts_for(actor: User | Operator) -> list[Trust]:
    """The trusts `actor` may add a school to: those of the schools where they may add schools
    (`Capability.SCHOOLS_ADD`, the headteacher's); every trust, for the operator."""
    if isinstance(actor, Operator):
        return list(Trust.objects.order_by("name"))
    if not actor.is_authenticated:
        return []
    schools = sorted(actor.schools_with(Capability.SCHOOLS_ADD))
    return list(Trust.objects.filter(schools__pk__in=schools).distinct().order_by("name"))


def locked_lists_missing(data_dir: Path) -> list[str]:
    """The default policy's locked lists that are not installed under `data_dir` (where the published
    policy is written), each in one line that says how to obtain it."""
    from schoolgate.policyfile.load import ListDeclaration, not_installed_words

    out = []
    for spec in seed.LOCKED_LISTS:
        path = data_dir / spec["path"]
        if not path.exists():
            out.append(not_installed_words(ListDeclaration(spec["name"], spec["format"], path, True)))
    return out


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _username_for(name: str) -> str:
    """ "Margaret Evans" -> "m.evans" (the demo's style), or "m.evans2" when taken."""
    words = [re.sub(r"[^a-z0-9]", "", _ascii(w)) for w in name.split()]
    words = [w for w in words if w]
    base = f"{words[0][0]}.{words[-1]}" if len(words) > 1 else (words[0] if words else "head")
    base = base[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _slug_for(name: str, urn: str) -> str:
    """The school's short name in addresses: from its name, with its URN when another school has it."""
    base = slugify(_ascii(name))[:50].strip("-") or "school"
    candidates = [base, f"{base}-{urn}", *(f"{base}-{urn}-{n}" for n in range(2, 100))]
    taken = set(School.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    return next(c for c in candidates if c not in taken)


def _checked_login(first: FirstLogin) -> FirstLogin:
    """The first login's details checked before anything is made, so that a mistake in them leaves no
    school half set up."""
    if first.role not in FIRST_ROLES:
        raise ValidationError({"role": "The first login is the headteacher or the DSL"})
    name = check_name(first.name, "the person's full name", "person")
    email = first.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": f"{email!r} is not an e-mail address"}) from None
    username = first.username.strip()
    if username:
        try:
            username = check_username(username)
        except ValidationError as exc:
            raise ValidationError({"username": exc.messages}) from None
    return FirstLogin(first.role, name, email, username)


def _allowed(actor: User | Operator, trust_name: str) -> Trust | None:
    """The trust the school joins (None: no trust, or a new one), if `actor` may add a school there."""
    # The trust of that very name first: two trusts whose names differ only in case are two trusts, and
    # the page names its school's own.
    found = None
    if trust_name:
        found = (
            Trust.objects.filter(name=trust_name).first()
            or Trust.objects.filter(name__iexact=trust_name).order_by("pk").first()
        )
    if isinstance(actor, Operator):
        return found
    if found is None or found not in trusts_for(actor):
        raise PermissionDenied(
            "Only a headteacher of a school in the trust can add a school to it through this page; "
            "the server's operator can add any school (schoolgate school create)"
        )
    return found


def _leaders(school: School) -> list[str]:
    found = (
        Membership.objects.filter(school=school, role__in=FIRST_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )
    return [f"{m.user.get_username()} ({m.user}, {m.get_role_display()})" for m in found]


def _existing(
    school: School, name: str, zone: str, trust_name: str, first: FirstLogin | None, actor: User | Operator
) -> SchoolMade:
    if isinstance(actor, User) and school.trust not in trusts_for(actor):
        # Another trust's school is none of this headteacher's business: not even its name.
        raise ValidationError(
            {"urn": f"A school with URN {school.urn} is on this server already: ask the server's operator"}
        )
    if " ".join(school.name.split()).casefold() != name.casefold():
        raise ValidationError(
            {
                "urn": f"URN {school.urn} is {school.name}'s already (short name {school.slug}), not "
                f"{name}'s: check the URN"
            }
        )
    differences = []
    if school.timezone != zone:
        differences.append(f"its time zone is {school.timezone}, not {zone}")
    had = school.trust.name if school.trust else ""
    if trust_name.casefold() != had.casefold():
        asked = f"you gave {trust_name}" if trust_name else "you gave no trust"
        differences.append(f"it is in {had or 'no trust'}; {asked}")
    if first is not None:
        differences.append("no new login was made: it has its logins already")
    return SchoolMade(school, created=False, differences=differences, leaders=_leaders(school))


def do_create_school(
    *,
    name: str,
    urn: str,
    timezone: str = DEFAULT_TIMEZONE,
    trust: str = "",
    first_login: FirstLogin | None,
    actor: User | Operator,
    reason: str = "",
    site: str = "",
) -> SchoolMade:
    """Make a school with its default filtering policy and its first login, as `actor`; or, for a URN
    that exists already under the same name, change nothing (see the module's docstring). Raises
    ValidationError for bad input (a dict by field) and PermissionDenied for an actor who may not."""
    name = check_name(name)
    urn = check_urn(urn)
    zone = check_timezone(timezone)
    trust_name = " ".join(str(trust or "").split())
    if trust_name:
        check_name(trust_name, "the trust's name", "trust")
    if isinstance(actor, User) and not trust_name:
        raise ValidationError({"trust": "Choose the trust the school joins"})
    reason = " ".join(reason.split()) or "a new school"
    try:
        return _create(name, urn, zone, trust_name, first_login, actor, reason, site)
    except IntegrityError:
        # Someone made a school with this URN at the same moment (the database's `one_school_per_urn`).
        raise ValidationError(
            {"urn": f"A school with URN {urn} was added at the same moment: run this again to see it"}
        ) from None


def _create(
    name: str,
    urn: str,
    zone: str,
    trust_name: str,
    first_login: FirstLogin | None,
    actor: User | Operator,
    reason: str,
    site: str,
) -> SchoolMade:
    with transaction.atomic():
        existing = School.objects.select_for_update().filter(urn=urn).first()
        if existing is not None:
            return _existing(existing, name, zone, trust_name, first_login, actor)
        first = _checked_login(first_login) if first_login is not None else None
        found = _allowed(actor, trust_name)
        if isinstance(actor, User):
            notices.check_pace(actor)
        who = actor.label if isinstance(actor, Operator) else actor
        with acting(who, reason):
            trust_created = bool(trust_name) and found is None
            joined = found or (Trust.objects.create(name=trust_name) if trust_name else None)
            school = School.objects.create(
                name=name, slug=_slug_for(name, urn), urn=urn, timezone=zone, trust=joined
            )
        seed.install_default_policy(school)
        login = None
        if first is not None:
            # The first login's role is the operator's to give (`choices.GIVEN_BY`): a headteacher of the
            # trust gives it in the operator's place, and the trail says who asked.
            giver = actor if isinstance(actor, Operator) else _in_place_of_operator(actor, school)
            login = do_create_login(
                school,
                username=first.username or _username_for(first.name),
                display_name=first.name,
                email=first.email,
                roles=[first.role],
                actor=giver,
                site=site,
                reason=f"the first login of a new school: {reason}",
            )
    told = None
    if isinstance(actor, User):
        # Whoever added it chose where the first login's invitation goes, or saw its one-time password:
        # the trust's other leaders are told, with that login, in case it is the adder's own.
        first_words = notices.first_login_words(school.pk)
        told = notices.tell(school, by=actor, first_login=first_words)
    return SchoolMade(school, created=True, trust_created=trust_created, login=login, told=told)


def _in_place_of_operator(actor: User, school: School) -> Operator:
    trust = school.trust.name if school.trust else "no trust"
    label = (
        f"{actor} ({actor.get_username()}), headteacher in {trust}, adding {school.name} (Add a school page)"
    )
    return Operator(label[:200])  # as long as the audit trail keeps
