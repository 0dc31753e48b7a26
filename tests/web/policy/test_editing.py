"""Editing the policy through the pages: each change written to the audit trail; the locked lists and
categories never changed, whatever is posted; nothing a rule names removed from under it."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy import actions
from schoolgate.web.policy.models import Category, FilterGroup, GroupMember, ListSource, Rule, TimeWindow
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Paths, small_policy


def test_the_network_manager_builds_a_group_and_a_rule_and_each_change_is_audited(
    cast: Cast, paths: Paths
) -> None:
    client = logged_in(cast.nina)
    assert client.get("/policy/").status_code == 200  # the school's policy is set up on first use
    assert FilterGroup.objects.filter(school=cast.a, name="default").exists()
    response = client.post("/policy/groups/new/", {
        "name": "ks1", "description": "Key Stage 1", "default": "allow", "safe_search": "on",
        "youtube": "strict",
    })  # fmt: skip
    group = FilterGroup.objects.get(school=cast.a, name="ks1")
    assert response.status_code == 302 and response["Location"] == group.get_absolute_url()
    created = AuditEntry.objects.get(
        object_type="policy.filtergroup", object_id=str(group.pk), action="create"
    )
    assert (
        created.actor == cast.nina
        and created.after is not None
        and created.after["description"] == "Key Stage 1"
    )

    with acting_as(cast.nina):
        NetworkIdentity.objects.create(
            school=cast.a, kind=IdentityKind.NETWORK, value="10.10.1.0/24", label="KS1 classroom tablets"
        )
        Person.objects.create(
            school=cast.a, kind=PersonKind.STAFF, first_name="Mair", last_name="Jones", mis_id="S042"
        )
    # The tablets' range moves from "default" into "ks1": said first, written once confirmed.
    tablets = {"kind": "identity", "identity": "10.10.1.7/24"}
    asked = client.post(f"/policy/groups/{group.pk}/members/", tablets)
    assert asked.status_code == 200 and asked.context["sentences"] == [
        '1 device or address range will move from "default" (not identified) to "ks1" and will no longer '
        'get the rules of "default" (no rule names it yet); and will have the sites that no rule decides '
        "allowed."
    ]
    assert not GroupMember.objects.filter(group=group).exists()
    confirm = {**tablets, "confirm": asked.context["fingerprint"]}
    assert client.post(f"/policy/groups/{group.pk}/members/", confirm).status_code == 302
    assert (
        client.post(f"/policy/groups/{group.pk}/members/", {"kind": "person", "person": "S042"}).status_code
        == 302
    )
    page = client.post(
        f"/policy/groups/{group.pk}/members/", {"kind": "identity", "identity": "10.99.0.0/24"}
    )
    assert page.status_code == 400 and "10.99.0.0/24 is not a network identity of this school" in unescape(
        page.content.decode()
    )
    page = client.post(f"/policy/groups/{group.pk}/members/", {"kind": "person", "person": "Nobody Atall"})
    assert page.status_code == 400 and "Nobody here matches" in unescape(page.content.decode())
    assert sorted(m.describe() for m in GroupMember.objects.filter(group=group)) == [
        "Mair Jones", "address range 10.10.1.0/24 (KS1 classroom tablets)",
    ]  # fmt: skip
    assert (
        AuditEntry.objects.filter(object_type="policy.groupmember", action="create", actor=cast.nina).count()
        == 2
    )
    page = client.get(group.get_absolute_url()).content.decode()
    assert "10.10.1.0/24" in page and "KS1 classroom tablets" in page

    games = Category.objects.get(school=cast.a, name="games")
    response = client.post("/policy/rules/new/", {
        "name": "no games for KS1", "action": "block", "who": "groups", "groups": [group.pk],
        "categories": [games.pk], "alert": "none", "place": "end",
    })  # fmt: skip
    assert response.status_code == 302, unescape(response.content.decode())[-3000:]
    rule = Rule.objects.get(school=cast.a, name="no games for KS1")
    assert not rule.everyone and list(rule.groups.all()) == [group] and list(rule.categories.all()) == [games]
    links = AuditEntry.objects.filter(object_type="policy.rule", object_id=str(rule.pk)).order_by("id")
    assert [e.action for e in links] == ["create", "update"]
    assert links[1].after == {"groups": ["ks1"], "categories": ["games"], "sites": []}

    # Changing whom it applies to is audited as a change of the rule.
    response = client.post(f"/policy/rules/{rule.pk}/edit/", {
        "name": "no games", "action": "block", "who": "everyone", "categories": [games.pk], "alert": "low",
    })  # fmt: skip
    assert response.status_code == 302
    last = AuditEntry.objects.filter(object_type="policy.rule", object_id=str(rule.pk)).order_by("-id")[0]
    assert last.before == {"groups": ["ks1"], "categories": ["games"], "sites": []}
    assert last.after == {"groups": [], "categories": ["games"], "sites": []}
    # The group is no longer named by a rule, so it can be removed.
    said = client.get(f"/policy/groups/{group.pk}/delete/").context["said"]
    assert said.sentences[0].startswith('1 device or address range will move from "ks1" to "default"')
    assert client.post(f"/policy/groups/{group.pk}/delete/").status_code == 200  # not confirmed: asked again
    assert FilterGroup.objects.filter(pk=group.pk).exists()
    assert client.post(f"/policy/groups/{group.pk}/delete/", {"confirm": said.fingerprint}).status_code == 302
    assert AuditEntry.objects.filter(
        object_type="policy.filtergroup", object_id=str(group.pk), action="delete"
    ).exists()


def test_a_rule_form_says_what_is_wrong_in_plain_words(cast: Cast, paths: Paths) -> None:
    client = logged_in(cast.nina)
    client.get("/policy/")
    response = client.post("/policy/rules/new/", {
        "name": "bad", "action": "allow", "who": "groups", "domains": "not a domain!\nbbc.co.uk",
        "patterns": "(unclosed", "starts": "2026-12-18T15:30", "expires": "2026-12-01T09:00",
        "alert": "none", "place": "end",
    })  # fmt: skip
    assert response.status_code == 400
    text = unescape(response.content.decode())
    assert "Choose at least one group, or choose Everyone" in text
    assert 'Not a domain name: "not a domain!"' in text
    assert '"(unclosed" is not a valid pattern' in text
    assert "The rule would expire before it starts" in text
    assert (
        'aria-describedby="id_domains_helptext id_domains_error"' in text
    )  # the input names its hint and error
    assert '<fieldset class="field field-error" aria-describedby="id_groups_error" id="id_groups">' in text
    assert not Rule.objects.exists()


def test_rules_move_up_and_down(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    client = logged_in(cast.nina)
    third = rows.rules[2]
    assert client.post(f"/policy/rules/{third.pk}/move/", {"direction": "up"}).status_code == 302
    order = list(Rule.objects.filter(school=cast.a).order_by("position", "id").values_list("name", flat=True))
    assert order[1] == "pupils may not gamble" and order[2].startswith("Year 6 history")
    client.post(f"/policy/rules/{third.pk}/move/", {"direction": "down"})
    client.post(f"/policy/rules/{rows.rules[0].pk}/move/", {"direction": "up"})  # already first: nothing
    order = list(Rule.objects.filter(school=cast.a).order_by("position", "id"))
    assert order == rows.rules
    assert AuditEntry.objects.filter(object_type="policy.rule", action="update", actor=cast.nina).count() == 4
    # A new exception goes to the top.
    response = client.post("/policy/rules/new/", {
        "name": "exception", "action": "allow", "who": "everyone", "domains": "example.org",
        "alert": "none", "place": "top",
    })  # fmt: skip
    assert response.status_code == 302
    assert Rule.objects.filter(school=cast.a).order_by("position", "id")[0].name == "exception"


def test_locked_lists_and_categories_cannot_be_changed_by_a_hand_made_post(cast: Cast, paths: Paths) -> None:
    client = logged_in(cast.nina)
    client.get("/policy/")  # set up from the example: the IWF and terrorism lists and their categories
    iwf = ListSource.objects.get(school=cast.a, name="iwf")
    child_abuse = Category.objects.get(school=cast.a, name="child-abuse")
    before = (iwf.path, iwf.format, child_abuse.sources, child_abuse.uksic)
    entries = AuditEntry.objects.count()

    for url, data in (
        (
            f"/policy/categories/{child_abuse.pk}/edit/",
            {"name": "child-abuse", "sources": "ut1/games", "uksic": "games"},
        ),
        (f"/policy/categories/{child_abuse.pk}/delete/", {}),
        (
            f"/policy/lists/{iwf.pk}/edit/",
            {"name": "iwf", "format": "domains", "path": "/dev/null", "locked": ""},
        ),
        (f"/policy/lists/{iwf.pk}/delete/", {}),
    ):
        response = client.post(url, data)
        assert response.status_code == 403 and "is locked" in unescape(response.content.decode()), url
        assert client.get(url).status_code == 403
    iwf.refresh_from_db()
    child_abuse.refresh_from_db()
    assert (
        (iwf.path, iwf.format, child_abuse.sources, child_abuse.uksic) == before
        and iwf.locked
        and child_abuse.locked
    )
    assert AuditEntry.objects.count() == entries

    # A new list or category cannot be made locked, nor a locked one unlocked, by posting the field.
    client.post("/policy/categories/new/", {"name": "mine", "sources": "ut1/games", "locked": "on"})
    assert not Category.objects.get(school=cast.a, name="mine").locked
    # A rule cannot allow a locked category: it is not offered, and a posted id is refused.
    response = client.post("/policy/rules/new/", {
        "name": "let it through", "action": "allow", "who": "everyone", "categories": [child_abuse.pk],
        "alert": "none", "place": "end",
    })  # fmt: skip
    assert response.status_code == 400 and not Rule.objects.filter(name="let it through").exists()
    # The page shows them, marked locked, without a way to change them.
    page = client.get(f"/policy/categories/{child_abuse.pk}/").content.decode()
    assert "Locked" in page and f"/policy/categories/{child_abuse.pk}/edit/" not in page


def test_the_action_layer_refuses_locked_records_whatever_the_object_says(cast: Cast, paths: Paths) -> None:
    actions.ensure_policy(cast.a)
    child_abuse = Category.objects.get(school=cast.a, name="child-abuse")
    child_abuse.locked = False  # as a careless caller might
    child_abuse.sources = ["ut1/games"]
    nina = cast.nina  # the network manager, who may change the policy: locked records refuse her too
    with pytest.raises(actions.LockedError):
        actions.do_save(child_abuse, actor=nina)
    with pytest.raises(actions.LockedError):
        actions.do_delete(child_abuse, actor=nina)
    iwf = ListSource.objects.get(school=cast.a, name="iwf")
    with pytest.raises(actions.LockedError):
        actions.do_delete(iwf, actor=nina)
    with pytest.raises(actions.LockedError):
        actions.do_save(
            ListSource(school=cast.a, name="new-locked", format="domains", path="x", locked=True), actor=nina
        )
    rule = Rule(school=cast.a, name="allow it", action="allow", everyone=True)
    terrorism = Category.objects.get(school=cast.a, name="terrorism")
    with pytest.raises(ValidationError, match="cannot allow the locked categories terrorism"):
        actions.do_save_rule(rule, actor=nina, groups=[], categories=[terrorism], sites=[])
    assert Category.objects.get(pk=child_abuse.pk).sources == ["iwf"]
    assert not Rule.objects.exists()


def test_what_a_rule_names_is_not_removed_and_the_default_group_stays(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    client = logged_in(cast.nina)
    for url in (
        f"/policy/groups/{rows.ks2.pk}/delete/",
        f"/policy/categories/{rows.gambling.pk}/delete/",
        f"/policy/sites/{rows.curriculum.pk}/delete/",
        f"/policy/times/{rows.free_time.pk}/delete/",
    ):
        assert "cannot be removed while rules name it" in unescape(client.get(url).content.decode()), url
        response = client.post(url, follow=True)
        assert "cannot be removed while rules name it" in unescape(response.content.decode()), url
    assert (
        FilterGroup.objects.filter(pk=rows.ks2.pk).exists()
        and TimeWindow.objects.filter(pk=rows.free_time.pk).exists()
    )
    client.post(f"/policy/groups/{rows.default.pk}/delete/")
    assert FilterGroup.objects.filter(pk=rows.default.pk).exists()
    response = client.post(f"/policy/groups/{rows.default.pk}/edit/", {
        "name": "default", "default": "allow", "youtube": "strict",
    })  # fmt: skip
    assert response.status_code == 400 and "must block when no rule matches" in unescape(
        response.content.decode()
    )
    response = client.post(
        f"/policy/groups/{rows.default.pk}/edit/", {"name": "guests", "default": "block", "youtube": "strict"}
    )
    assert response.status_code == 400 and "keeps its name" in unescape(response.content.decode())
    assert FilterGroup.objects.get(pk=rows.default.pk).name == "default"


def test_windows_and_dates_are_checked_as_they_are_entered(cast: Cast, paths: Paths) -> None:
    client = logged_in(cast.nina)
    client.get("/policy/")
    response = client.post(
        "/policy/times/new/", {"name": "Lunch Time", "days": ["mon"], "times": "12:00-25:00"}
    )
    text = unescape(response.content.decode())
    assert response.status_code == 400 and "lower-case letters" in text and "hour must be 00 to 23" in text
    response = client.post(
        "/policy/times/new/", {"name": "lunch", "days": ["fri", "mon"], "times": "12:00-13:15, 22:00-06:00"}
    )
    assert response.status_code == 302
    window = TimeWindow.objects.get(school=cast.a, name="lunch")
    assert window.days == ["mon", "fri"] and window.times == ["12:00-13:15", "22:00-06:00"]
    response = client.post(
        "/policy/dates/new/", {"kind": "term", "name": "Autumn", "first": "2026-12-18", "last": "2026-09-03"}
    )
    assert response.status_code == 400 and "The last day is before the first" in unescape(
        response.content.decode()
    )


def test_a_list_that_categories_draw_on_is_neither_renamed_nor_removed(cast: Cast, paths: Paths) -> None:
    actions.ensure_policy(cast.a)
    ut1 = ListSource.objects.get(school=cast.a, name="ut1")
    client = logged_in(cast.nina)
    response = client.post(
        f"/policy/lists/{ut1.pk}/edit/", {"name": "toulouse", "format": "squidguard", "path": "x"}
    )
    assert response.status_code == 400 and "cannot be renamed while categories draw on it" in unescape(
        response.content.decode()
    )
    response = client.post(
        f"/policy/lists/{ut1.pk}/edit/", {"name": "ut1", "format": "squidguard", "path": "var/lists/ut1"}
    )
    assert response.status_code == 302
    ut1.refresh_from_db()
    assert (ut1.name, ut1.path) == ("ut1", "var/lists/ut1")
    response = client.post(f"/policy/lists/{ut1.pk}/delete/", follow=True)
    assert "cannot be removed while categories draw on it" in unescape(response.content.decode())


def test_the_policy_actions_check_who_is_asking_themselves(cast: Cast, paths: Paths) -> None:
    """Whoever calls them (a page, a command, a test): a teacher changes nothing, nor does another
    school's DSL; the network manager may; each change names its actor in the trail."""
    actions.ensure_policy(cast.a)
    window = TimeWindow(school=cast.a, name="after-school", days=["mon"], times=["15:30-17:00"])
    for outsider in (cast.tom, cast.zack):
        with pytest.raises(PermissionDenied):
            actions.do_save(window, actor=outsider)
    assert not TimeWindow.objects.filter(name="after-school").exists()
    actions.do_save(window, actor=cast.nina)
    entry = AuditEntry.objects.filter(object_type="policy.timewindow", object_id=str(window.pk)).get()
    assert entry.actor == cast.nina
    with pytest.raises(PermissionDenied):
        actions.do_delete(window, actor=cast.tom)
    rule = Rule(school=cast.a, name="no games after school", action="block", everyone=True, window=window)
    with pytest.raises(PermissionDenied):
        actions.do_save_rule(rule, actor=cast.tom, groups=[], categories=[], sites=[])
    with pytest.raises(ValidationError, match="Move a rule up or down"):
        actions.do_move_rule(Rule(school=cast.a), actor=cast.nina, direction="sideways")


def test_no_group_of_the_editor_takes_a_name_kept_for_requests(cast: Cast) -> None:
    actions.ensure_policy(cast.a)
    group = FilterGroup(school=cast.a, name="request-staff")
    with pytest.raises(ValidationError, match="kept for the groups approved requests make"):
        actions.do_save(group, actor=cast.nina)
    assert not FilterGroup.objects.filter(name="request-staff").exists()
