"""Publishing compiles whatever lists changed: before the snapshot is written, and never half."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.policyfile.snapshot import open_index
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.policy import actions
from schoolgate.web.policy.models import Category, ListSource, PolicyVersion
from tests.web.factories import Cast
from tests.web.policy.helpers import Paths, compile_draft_lists, small_policy


def publish(cast: Cast) -> PolicyVersion:
    draft = actions.check_draft(cast.a)
    assert draft.ok, draft.problems
    return actions.do_publish(cast.a, actor=cast.nina, reason="lists", expected_sha256=draft.rendered.sha256)


def add_list(cast: Cast, paths: Paths) -> None:
    (paths.root / "lists" / "extra.txt").write_text("extra-blocked.example\n")
    with acting_as(cast.nina):
        ListSource.objects.create(school=cast.a, name="extra", format="domains", path="lists/extra.txt")
        Category.objects.create(school=cast.a, name="extra", sources=["extra"])


def test_a_list_added_in_the_editor_is_compiled_when_the_policy_is_published(
    cast: Cast, paths: Paths
) -> None:
    small_policy(cast)
    compile_draft_lists(cast.a, paths)
    assert not actions.check_draft(cast.a).lists_to_compile
    add_list(cast, paths)
    draft = actions.check_draft(cast.a)
    assert draft.lists_to_compile and draft.ok and not draft.checked_against_index
    publish(cast)
    assert "extra" in open_index(paths.index).info["lists"]
    after = actions.check_draft(cast.a)
    assert after.checked_against_index and not after.lists_to_compile
    [outcome] = actions.try_url(cast.a, "http://extra-blocked.example/", user="mrs.jones", at=timezone.now())
    assert outcome.decision is not None and outcome.decision.category == "extra"


def test_lists_that_cannot_be_compiled_publish_nothing_and_leave_the_index_alone(
    cast: Cast, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_policy(cast)
    compile_draft_lists(cast.a, paths)
    before = paths.index.read_bytes()
    add_list(cast, paths)

    def unreadable(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("schoolgate.lists.compile.compile_lists", unreadable)
    with pytest.raises(actions.PublishError, match=r"lists could not be compiled .*: Permission denied"):
        publish(cast)
    assert not PolicyVersion.objects.exists() and not paths.snapshot(cast.a).exists()
    assert paths.index.read_bytes() == before
    assert [p.name for p in paths.root.iterdir() if "publishing" in p.name] == []
