"""Who may do what: the network manager edits; the online safety coordinator sees but does not edit;
a teacher may test a URL but not see the editor; a governor neither; another school's DSL finds none
of Northfield's records."""

from __future__ import annotations

from schoolgate.web.policy.models import PolicyVersion, Rule
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Paths, publish_through_page, small_policy

EDIT = {"name": "ks2", "description": "changed", "default": "allow", "safe_search": "on", "youtube": "off"}


def test_nina_edits_olu_sees_tom_tests_greta_neither(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    group = f"/policy/groups/{rows.ks2.pk}/"
    nina, olu, tom, greta = (logged_in(u) for u in (cast.nina, cast.olu, cast.tom, cast.greta))

    assert nina.get(group + "edit/").status_code == 200
    asked = nina.post(group + "edit/", EDIT)  # YouTube off for ks2's pupils: said first, then confirmed
    assert asked.status_code == 200 and asked.context["sentences"] == [
        'The 2 pupils in "ks2" will have YouTube set to off.'
    ]
    assert nina.post(group + "edit/", {**EDIT, "confirm": asked.context["fingerprint"]}).status_code == 302
    assert 'href="/policy/groups/' in nina.get(group).content.decode()  # the change link is there for her

    readable = ["/policy/", group, "/policy/rules/", f"/policy/rules/{rows.rules[0].pk}/", "/policy/changes/"]
    readable += ["/policy/categories/", "/policy/versions/", "/policy/draft.toml", "/policy/test/"]
    for url in readable:
        assert olu.get(url).status_code == 200, url
    page = olu.get(group).content.decode()
    assert f"{group}edit/" not in page and "Add to the group" not in page  # no forms for a reader
    changing = [(group + "edit/", EDIT), ("/policy/publish/", {"reason": "x"}), ("/policy/rules/new/", {})]
    changing += [(f"/policy/rules/{rows.rules[0].pk}/move/", {"direction": "down"})]
    for url, data in changing:
        assert olu.get(url).status_code in (403, 405), url
        assert olu.post(url, data).status_code == 403, url
    assert olu.post(group, EDIT).status_code == 405  # a page that shows takes no changes
    rows.ks2.refresh_from_db()
    assert rows.ks2.youtube == "off" and rows.ks2.description == "changed"  # nina's change only

    assert tom.get("/policy/test/").status_code == 200
    for url in ("/policy/", group, "/policy/rules/", "/policy/versions/"):
        assert tom.get(url).status_code == 403, url
    assert (
        "Also try the draft" not in tom.get("/policy/test/").content.decode()
    )  # the draft is not his to see

    for url in ("/policy/", "/policy/test/", group):
        assert greta.get(url).status_code == 403, url

    nav = nina.get("/").content.decode()
    assert "Filtering policy" in nav and "Test a URL" in nav
    nav = tom.get("/").content.decode()
    assert "Filtering policy" not in nav and "Test a URL" in nav
    nav = greta.get("/").content.decode()
    assert "Filtering policy" not in nav and "Test a URL" not in nav


def test_another_schools_user_finds_none_of_northfields_records(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    assert publish_through_page(logged_in(cast.nina)).status_code == 302
    version = PolicyVersion.objects.get(school=cast.a)
    zack = logged_in(cast.zack)  # DSL at Southgate: he may see Southgate's policy
    assert zack.get("/policy/").status_code == 200
    for url in (
        f"/policy/groups/{rows.ks2.pk}/",
        f"/policy/rules/{rows.rules[0].pk}/",
        f"/policy/categories/{rows.gambling.pk}/",
        f"/policy/sites/{rows.curriculum.pk}/",
        f"/policy/times/{rows.free_time.pk}/",
        f"/policy/versions/{version.number}/",
        f"/policy/versions/{version.number}/policy.toml",
    ):
        assert zack.get(url).status_code == 404, url
    page = zack.get("/policy/rules/").content.decode()
    assert rows.rules[0].name not in page
    assert "ks2" not in zack.get("/policy/groups/").content.decode()
    assert "Nothing has been published yet" in zack.get("/policy/versions/").content.decode()
    assert Rule.objects.filter(school=cast.b).count() == 0
