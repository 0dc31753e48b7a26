"""Where the editor's lists may be read from: a path outside the server's list folders is refused by
the list form at once, and by publishing and restoring whatever the rows or an old version say."""

from __future__ import annotations

from html import unescape

import pytest

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.policy import actions
from schoolgate.web.policy.models import ListSource, PolicyVersion
from schoolgate.web.policy.render import render_policy
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import Paths, publish_through_page, small_policy

FORM_ERROR = "Lists can only be read from the server&#x27;s list folders"


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../../../../../../etc/passwd", "lists/../../elsewhere.txt", "builtin:../../../etc"],
)
def test_the_list_form_refuses_a_path_outside_the_list_folders(cast: Cast, paths: Paths, path: str) -> None:
    client = logged_in(cast.nina)
    client.get("/policy/")
    response = client.post("/policy/lists/new/", {"name": "extra", "format": "domains", "path": path})
    assert response.status_code == 400
    text = unescape(response.content.decode())
    assert "Lists can only be read from the server's list folders" in text
    assert str(paths.root) in text  # the folder beside the published policy is one of them
    assert "SCHOOLGATE_LISTS_ROOT" in text
    assert not ListSource.objects.filter(school=cast.a, name="extra").exists()


def test_the_list_form_takes_a_path_inside_them(cast: Cast, paths: Paths) -> None:
    client = logged_in(cast.nina)
    client.get("/policy/")
    for name, path in (
        ("extra", "lists/extra.txt"),
        ("full", str(paths.root / "ut1")),
        ("s", "builtin:ut1-sample"),
    ):
        response = client.post("/policy/lists/new/", {"name": name, "format": "domains", "path": path})
        assert response.status_code == 302, unescape(response.content.decode())
    assert ListSource.objects.get(school=cast.a, name="extra").path == "lists/extra.txt"


def test_publishing_refuses_a_list_outside_whatever_the_rows_say(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    with acting_as(cast.nina):  # a row from before the form checked, or written around it
        extra = ListSource.objects.create(school=cast.a, name="extra", format="hosts", path="/etc/hosts")
    client = logged_in(cast.nina)
    page = client.get("/policy/publish/")
    [problem] = page.context["problems"]
    assert problem.where == 'List "extra"' and problem.url == extra.get_absolute_url()
    assert problem.key == "lists.extra.path"
    assert problem.message.startswith("'/etc/hosts' is outside the directories lists are read from (")
    response = publish_through_page(client, "try anyway")
    assert response.status_code == 400
    assert not paths.snapshot(cast.a).exists() and not PolicyVersion.objects.exists()


def test_restoring_an_old_version_that_names_a_list_outside_is_refused(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    client = logged_in(cast.nina)
    assert publish_through_page(client, "first").status_code == 302
    first = PolicyVersion.objects.get(school=cast.a)
    text = render_policy(cast.a).text.replace('path = "lists/iwf-test.txt"', 'path = "/etc/passwd"')
    assert "/etc/passwd" in text
    PolicyVersion.objects.filter(pk=first.pk).update(text=text, sha256=actions.sha256(text))
    first.refresh_from_db()
    with pytest.raises(actions.PublishError) as caught:
        actions.do_restore(first, actor=cast.nina, reason="back to the first")
    assert "'/etc/passwd' is outside the directories lists are read from" in str(
        caught.value.problems[0].message
    )
    assert PolicyVersion.objects.filter(school=cast.a).count() == 1
