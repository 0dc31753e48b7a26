"""Test a URL: plain words when there is nothing to test yet; a group chosen on the page; the draft."""

from __future__ import annotations

from html import unescape

from schoolgate.web.audit.trail import acting_as
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Paths, compile_index, publish_through_page, small_policy


def test_it_says_plainly_when_nothing_is_published_or_the_lists_are_not_compiled(
    cast: Cast, paths: Paths
) -> None:
    small_policy(cast)
    nina = logged_in(cast.nina)
    page = nina.get("/policy/test/", {"url": "bbc.co.uk"})
    [outcome] = page.context["outcomes"]
    assert outcome.error == "Nothing has been published yet, so the filter has no policy to test."
    publish_through_page(nina)  # which compiles the lists: take them away again
    paths.index.unlink()
    [outcome] = nina.get("/policy/test/", {"url": "bbc.co.uk"}).context["outcomes"]
    assert outcome.error.startswith("The lists have not been compiled yet")
    assert (
        f"schoolgate lists compile --policy {paths.snapshot(cast.a)} --index {paths.index}" in outcome.error
    )


def test_a_group_can_be_tested_and_the_draft_beside_the_running_policy(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    nina = logged_in(cast.nina)
    publish_through_page(nina)
    compile_index(paths.snapshot(cast.a), paths.index)
    with acting_as(cast.nina):
        rule = rows.rules[2]  # "pupils may not gamble": the draft makes it for ks2 only
        rule.everyone = False
        rule.save()
        rule.groups.set([rows.ks2])
    query = {"url": "http://0-casino.info/", "group": "staff", "at": "2026-11-02T10:30", "draft": "on"}
    page = nina.get("/policy/test/", query)
    running, draft = page.context["outcomes"]
    assert running.decision.blocked and running.decision.rule == 3
    assert (
        running.decision.group == "staff" and running.decision.identity == "group staff, chosen on this page"
    )
    assert not draft.decision.blocked and draft.decision.reason == "group-default"
    text = unescape(page.content.decode())
    assert "Running policy (version 1)" in text and "Draft (not published)" in text
    assert 'rule 3 "pupils may not gamble"' in text
    # Blocked by the running policy: staff may ask for it to be unblocked (the request page, prefilled).
    assert text.count("Ask for this to be unblocked") == 1
    assert 'href="/requests/new/?url=http%3A%2F%2F0-casino.info%2F&from=test-url"' in text

    # An address typed without http:// is tested as the web page a browser would ask for.
    [outcome] = nina.get("/policy/test/", {"url": "www.bbc.co.uk/bitesize", "user": "ks2-amelia"}).context[
        "outcomes"
    ]
    assert (
        outcome.decision.rule_name == "everyone may reach curriculum sites" and not outcome.decision.blocked
    )
    allowed = nina.get("/policy/test/", {"url": "bbc.co.uk"}).content.decode()
    assert "Ask for this to be unblocked" not in allowed

    page = nina.get("/policy/test/", {"url": "bbc.co.uk", "user": "ks2-amelia", "group": "staff"})
    assert "Give a user name, an address or a group: one of them" in unescape(page.content.decode())
    [outcome] = nina.get("/policy/test/", {"url": "bbc.co.uk", "group": "nosuch"}).context["outcomes"] or [
        None
    ]
    assert outcome is None  # not a choice
