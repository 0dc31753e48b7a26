"""The change summary on the pages: the publish page says the draft's differences in words first (the
file's diff one click away), with who approved each request; a version's page says what it changed
since the version before; what the sentences do not cover, or a text that does not load, gets the
diff alone."""

from __future__ import annotations

from html import unescape

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.filterrequests.choices import Audience
from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.policy.models import FilterGroup, PolicyVersion
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Paths, publish_through_page, small_policy
from tests.web.policy.requests import GAME, grant


def _text(html: bytes) -> str:
    return unescape(html.decode())


def test_the_publish_page_and_the_version_page_say_the_changes_in_words(cast: Cast, paths: Paths) -> None:
    north = small_policy(cast)
    client = logged_in(cast.nina)
    assert publish_through_page(client, "Start of term").status_code == 302

    # An approved request for the KS2 group, and an edit in the draft.
    made = grant(cast, Audience.GROUP, group=north.ks2)
    FilterRequest.objects.filter(pk=made.request.pk).update(decided_by=cast.olu)
    with acting_as(cast.nina):
        FilterGroup.objects.filter(pk=north.staff.pk).update(safe_search=False)

    for url in ("/policy/publish/", "/policy/changes/"):
        page = client.get(url)
        assert page.status_code == 200
        text = _text(page.content)
        said = [s.text for _, sentences in page.context["summary"] for s in sentences]
        assert (
            f"The group '{north.ks2.name}' may now visit {GAME} (request 1, approved by Olu Example)." in said
        )
        assert f"Safe search is now off for '{north.staff.name}'." in said
        # The sentences come first; the policy file's diff is one click away.
        assert text.index("Safe search is now off") < text.index('<details class="diff-details"')
        assert "line by line</summary>" in text and "+ safe_search = false" in text

    assert publish_through_page(client, "Request 1 and staff safe search").status_code == 302
    version = PolicyVersion.objects.get(school=cast.a, number=2)
    text = _text(client.get(version.get_absolute_url()).content)
    assert "What changed since version 1" in text
    assert "(request 1, approved by Olu Example)" in text and "Safe search is now off" in text

    # The first version has nothing before it: the whole policy is new.
    first = _text(client.get("/policy/versions/1/").content)
    assert "The whole policy is new, as nothing was published before it" in first


def test_what_the_sentences_do_not_cover_is_shown_line_by_line(cast: Cast, paths: Paths) -> None:
    north = small_policy(cast)
    client = logged_in(cast.nina)
    assert publish_through_page(client, "Start of term").status_code == 302

    # A description is no difference to the filter: no sentence, and the diff shown open.
    with acting_as(cast.nina):
        FilterGroup.objects.filter(pk=north.staff.pk).update(description="Teachers and support staff")
    page = client.get("/policy/changes/")
    assert page.context["summary"] == []
    text = _text(page.content)
    assert "The summary has no sentence for these changes" in text
    assert '<details class="diff-details"' not in text and "Teachers and support staff" in text

    # A version that no longer loads (here made unreadable by hand) gets the diff alone.
    first = PolicyVersion.objects.get(school=cast.a, number=1)
    broken = first.text.replace("schema_version = 1", "schema_version = 99")
    assert broken != first.text
    PolicyVersion.objects.filter(pk=first.pk).update(text=broken)
    page = client.get(first.get_absolute_url())
    assert page.status_code == 200 and page.context["summary"] is None
    assert "The whole policy is new" not in _text(page.content)
