"""Who may give and take which role: the grant matrix, in the actions and through the pages.

Nobody changes their own roles; safeguarding roles come from the headteacher or the DSL; the
headteacher and the chair of governors are given only by the server's operator; taking a role away
follows the rule for giving it; a hand-made request changes nothing it may not."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied

from schoolgate.web.accounts.actions import do_create_login, do_set_roles
from schoolgate.web.accounts.choices import CAPABILITIES, Capability, Role
from schoolgate.web.accounts.grants import GIVEN_BY, changeable_roles, givable_roles
from schoolgate.web.accounts.models import Membership, User
from tests.web.factories import ROLES_AT_A, Cast
from tests.web.pages import logged_in


def _roles(user: User, school: object = None) -> set[str]:
    found = Membership.objects.filter(user=user)
    if school is not None:
        found = found.filter(school=school)
    return set(found.values_list("role", flat=True))


def _boxes(page: str) -> dict[str, bool]:
    """The roles form's checkboxes: value -> whether it can be changed (not disabled)."""
    boxes = re.findall(r'<input type="checkbox" name="roles" [^>]*>', page)
    return {re.search(r'value="([^"]+)"', b).group(1): " disabled" not in b for b in boxes}  # type: ignore[union-attr]


# -- the matrix itself ------------------------------------------------------------------------------


def test_the_matrix_names_every_role_and_nobody_gives_the_headteacher_or_the_chair() -> None:
    assert set(GIVEN_BY) == set(Role)
    assert GIVEN_BY[Role.HEADTEACHER] == frozenset() and GIVEN_BY[Role.CHAIR_OF_GOVERNORS] == frozenset()
    for role in (Role.DSL, Role.DEPUTY_DSL, Role.ONLINE_SAFETY_COORDINATOR):
        assert GIVEN_BY[role] == {Role.HEADTEACHER, Role.DSL}
    for role in (Role.TEACHER, Role.NETWORK_MANAGER):
        assert GIVEN_BY[role] == {Role.HEADTEACHER, Role.NETWORK_MANAGER}
    for role in (Role.SLT, Role.GOVERNOR):
        assert GIVEN_BY[role] == {Role.HEADTEACHER}


def test_the_staff_logins_pages_open_exactly_for_the_roles_that_may_give_a_role() -> None:
    givers = {giver for givers in GIVEN_BY.values() for giver in givers}
    assert {r for r in Role if Capability.ACCOUNTS_MANAGE in CAPABILITIES[r]} == givers


@pytest.mark.parametrize("actor", [n for n, r in ROLES_AT_A.items() if r is not None])
def test_each_role_may_change_exactly_what_the_matrix_says_and_never_its_own(cast: Cast, actor: str) -> None:
    role = ROLES_AT_A[actor]
    assert role is not None
    expected = {r for r, givers in GIVEN_BY.items() if role in givers}
    assert changeable_roles(cast.users[actor], cast.tom, cast.a) == expected
    assert givable_roles(cast.users[actor], cast.a) == expected
    assert changeable_roles(cast.users[actor], cast.users[actor], cast.a) == frozenset()
    assert changeable_roles(cast.users[actor], cast.zack, cast.b) == frozenset()  # another school


def test_the_actions_refuse_whatever_the_matrix_does_not_allow(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        do_set_roles(cast.nina, cast.a, [Role.NETWORK_MANAGER, Role.DSL], actor=cast.nina)
    with pytest.raises(PermissionDenied):
        do_set_roles(cast.tom, cast.a, [Role.TEACHER, Role.DSL], actor=cast.nina)
    with pytest.raises(PermissionDenied):
        do_set_roles(cast.tom, cast.a, [Role.TEACHER, Role.CHAIR_OF_GOVERNORS], actor=cast.hana)
    with pytest.raises(PermissionDenied):
        do_create_login(
            cast.a, username="k.new", display_name="K", email="", roles=[Role.HEADTEACHER], actor=cast.nina
        )
    assert _roles(cast.nina) == {"network-manager"} and _roles(cast.tom) == {"teacher"}
    assert not User.objects.filter(username="k.new").exists()


# -- through the pages ------------------------------------------------------------------------------


def test_the_network_manager_cannot_give_themselves_the_dsl_role(cast: Cast) -> None:
    nina = logged_in(cast.nina)
    response = nina.post(f"/staff-logins/{cast.nina.pk}/", {"roles": ["network-manager", "dsl"]})
    assert response.status_code == 403
    assert "You cannot change your own roles" in response.content.decode()
    assert _roles(cast.nina) == {"network-manager"}
    assert nina.get("/audit/").status_code == 403  # the DSL's pages stay shut


def test_nobody_changes_their_own_roles_and_the_form_says_so(cast: Cast) -> None:
    for name in ("hana", "alice", "nina"):
        user = cast.users[name]
        client = logged_in(user)
        page = client.get(f"/staff-logins/{user.pk}/").content.decode()
        assert "You cannot change your own roles" in page
        assert _boxes(page) and not any(_boxes(page).values())  # every box shown, none can be changed
        before = _roles(user)
        response = client.post(f"/staff-logins/{user.pk}/", {"roles": []})
        assert response.status_code == 403 and _roles(user) == before


def test_the_headteacher_cannot_give_or_take_the_chair_of_governors_role(cast: Cast) -> None:
    hana = logged_in(cast.hana)
    for target, kept in ((cast.hana, {"headteacher"}), (cast.tom, {"teacher"})):
        response = hana.post(f"/staff-logins/{target.pk}/", {"roles": [*kept, "chair-of-governors"]})
        assert response.status_code == 403, target
        assert _roles(target) == kept
    response = hana.post(f"/staff-logins/{cast.cleo.pk}/", {"roles": []})  # taken away: refused too
    assert response.status_code == 403 and _roles(cast.cleo) == {"chair-of-governors"}
    assert not Membership.objects.filter(role="chair-of-governors").exclude(user=cast.cleo).exists()


def test_the_network_manager_cannot_give_safeguarding_roles_to_others_or_new_logins(cast: Cast) -> None:
    nina = logged_in(cast.nina)
    response = nina.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "dsl"]})
    assert response.status_code == 403 and "Designated Safeguarding Lead" in response.content.decode()
    assert _roles(cast.tom) == {"teacher"}
    for role in ("dsl", "headteacher"):
        response = nina.post(
            "/staff-logins/new/",
            {"username": f"k.{role}", "display_name": "Kofi", "roles": ["teacher", role]},
        )
        assert response.status_code == 200 and not User.objects.filter(username=f"k.{role}").exists()
        assert "not yours to give" in response.content.decode()
    # What the matrix does allow still works.
    nina.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "network-manager"]})
    assert _roles(cast.tom) == {"teacher", "network-manager"}


def test_taking_a_role_away_follows_the_rule_for_giving_it(cast: Cast) -> None:
    nina = logged_in(cast.nina)
    assert nina.post(f"/staff-logins/{cast.sami.pk}/", {"roles": []}).status_code == 403
    assert nina.post(f"/staff-logins/{cast.alice.pk}/", {"roles": []}).status_code == 403
    assert _roles(cast.sami) == {"slt"} and _roles(cast.alice) == {"dsl"}


def test_the_dsl_reaches_the_staff_logins_and_gives_only_safeguarding_roles(cast: Cast) -> None:
    alice = logged_in(cast.alice)
    assert alice.get("/staff-logins/").status_code == 200
    page = alice.get(f"/staff-logins/{cast.tom.pk}/").content.decode()
    boxes = _boxes(page)
    assert {r for r, free in boxes.items() if free} == {"dsl", "deputy-dsl", "online-safety"}
    assert set(boxes) == {r.value for r in Role}  # the others are shown, not editable
    alice.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "deputy-dsl"]})
    assert _roles(cast.tom) == {"teacher", "deputy-dsl"}
    assert alice.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "slt"]}).status_code == 403
    assert _roles(cast.tom) == {"teacher", "deputy-dsl"}


def test_the_form_carries_the_roles_the_actor_cannot_change_and_a_request_without_them_is_refused(
    cast: Cast,
) -> None:
    Membership.objects.create(user=cast.tom, school=cast.a, role="slt")
    nina = logged_in(cast.nina)  # slt is the headteacher's to give: shown, disabled, and sent as it is
    page = nina.get(f"/staff-logins/{cast.tom.pk}/").content.decode()
    assert '<input type="hidden" name="roles" value="slt">' in page and not _boxes(page)["slt"]
    nina.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "slt", "network-manager"]})
    assert _roles(cast.tom) == {"teacher", "slt", "network-manager"}
    response = nina.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher"]})  # slt left out by hand
    assert response.status_code == 403 and "Senior leadership team" in response.content.decode()
    assert _roles(cast.tom) == {"teacher", "slt", "network-manager"}


def test_roles_at_another_school_are_untouched(cast: Cast) -> None:
    Membership.objects.create(user=cast.tom, school=cast.b, role="dsl")
    logged_in(cast.hana).post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["slt"]})
    assert _roles(cast.tom, cast.a) == {"slt"} and _roles(cast.tom, cast.b) == {"dsl"}
