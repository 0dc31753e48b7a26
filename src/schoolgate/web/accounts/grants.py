"""Who may give, take away and reset what, read from the one table of who gives each role
(`choices.GIVEN_BY`). The actions check these themselves, so a page or command that forgets to still
changes nothing; the pages use them to offer only what the actor may do.

- Nobody gives or takes away any of their own roles.
- A role is given and taken away by the roles the table names, at the same school, and by nobody
  else: the network manager cannot make anyone a DSL, nor the headteacher the chair of governors.
- Someone's login is reset (a link to their own e-mail address to choose a password and set up a new
  authenticator app) only by someone who could give every role they hold, at every school where they
  hold one: a reset never opens a door wider than the ones the actor already holds the keys to.
- The server's operator, at the command line (`Operator`), is bound by none of this: they run the
  server. Each of their changes names them in the audit trail.
"""

from __future__ import annotations

from schoolgate.web.accounts.choices import GIVEN_BY, Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.core.actions import Operator  # the server's operator: one for every app
from schoolgate.web.tenancy.models import School

__all__ = [
    "GIVEN_BY",
    "Operator",
    "changeable_roles",
    "givable_roles",
    "given_by_words",
    "roles_at",
    "why_not_reset",
]


def roles_at(user: User, school: School | int) -> frozenset[Role]:
    """The user's roles at `school` (none if the login is switched off)."""
    if not user.is_active:
        return frozenset()
    school_id = school if isinstance(school, int) else school.pk
    held = Membership.objects.filter(user=user, school_id=school_id).values_list("role", flat=True)
    return frozenset(Role(r) for r in held)


def givable_roles(actor: User | Operator, school: School | int) -> frozenset[Role]:
    """The roles `actor` may give to (and take from) someone else at `school`."""
    if isinstance(actor, Operator):
        return frozenset(Role)
    mine = roles_at(actor, school)
    return frozenset(role for role, givers in GIVEN_BY.items() if givers & mine)


def changeable_roles(actor: User | Operator, target: User, school: School | int) -> frozenset[Role]:
    """The roles `actor` may give to or take from `target` at `school`: none of their own."""
    if isinstance(actor, User) and actor.pk == target.pk:
        return frozenset()
    return givable_roles(actor, school)


_WHO = {Role.HEADTEACHER: "the headteacher", Role.DSL: "the DSL", Role.NETWORK_MANAGER: "the network manager"}


def given_by_words(role: Role) -> str:
    """Who gives `role`, for a page: "the DSL or the headteacher"."""
    givers = [_WHO.get(g, f"the {g.label.lower()}") for g in Role if g in GIVEN_BY[role]]
    return " or ".join(givers) if givers else "the server's operator"


def why_not_reset(actor: User | Operator, target: User, school: School) -> str | None:
    """Why `actor`, working at `school`, may not send `target` a link to choose a new password and set
    up a new authenticator app (whoever holds the link can log in as them), or None if they may."""
    if isinstance(actor, Operator):
        return None
    if actor.pk == target.pk:
        return "This is your own login: use Change my password, at the top of every page"
    held: dict[int, set[Role]] = {}
    for school_id, role in Membership.objects.filter(user=target).values_list("school_id", "role"):
        held.setdefault(school_id, set()).add(Role(role))
    for school_id, roles in sorted(held.items(), key=lambda item: item[0] != school.pk):
        beyond = sorted(roles - givable_roles(actor, school_id), key=list(Role).index)
        if not beyond:
            continue
        if school_id != school.pk:
            return (
                "They also have a role at another school: the server's operator can reset their login "
                f"(schoolgate web manage reset_link {target.get_username()})"
            )
        who = given_by_words(beyond[0])
        return f"They hold the role {beyond[0].label}, which only {who} can give: ask {who}"
    return None
