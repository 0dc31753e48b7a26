"""Publishing: checked with the real loader (and the index), a reason asked for, a version and an audit
entry written, the snapshot written atomically where the gateways read it; the differences, the
versions and restoring; and `schoolgate check` agreeing with the Test a URL page."""

from __future__ import annotations

import json
import os
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from schoolgate.cli import main
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import acting_as, verify
from schoolgate.web.policy import actions
from schoolgate.web.policy.models import Category, PolicyVersion, Rule, SiteList
from schoolgate.web.policy.render import render_policy
from schoolgate.web.policy.summary import Sentence
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.policy.helpers import (
    AT_LUNCH,
    IN_LESSONS,
    Paths,
    compile_draft_lists,
    compile_index,
    publish_through_page,
    small_policy,
)


def test_publishing_records_who_when_and_why_and_writes_the_snapshot(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    client = logged_in(cast.nina)
    response = publish_through_page(client, "Autumn term policy agreed by the governors")
    assert response.status_code == 302 and response["Location"] == "/policy/versions/"
    version = PolicyVersion.objects.get(school=cast.a)
    snapshot = paths.snapshot(cast.a)
    assert snapshot.read_text(encoding="utf-8") == version.text
    assert (version.number, version.published_by, version.restored_from) == (1, cast.nina, None)
    assert version.reason == "Autumn term policy agreed by the governors"
    assert version.sha256 == actions.sha256(version.text)
    assert snapshot.stat().st_mode & 0o777 == 0o644
    entry = AuditEntry.objects.get(action="publish")
    assert (entry.actor, entry.school_id, entry.object_type) == (cast.nina, cast.a.pk, "policy.policyversion")
    assert entry.reason == version.reason and entry.after is not None
    # There was no index: publishing compiled the lists first, and says so.
    expected = {"number": 1, "sha256": version.sha256, "path": str(snapshot), "lists_compiled": True}
    assert entry.after == expected
    assert paths.index.exists()
    assert verify().ok
    page = client.get("/policy/versions/").content.decode()
    assert "Version 1" in page and "Nina Example" in page and "agreed by the governors" in page

    # The next publish is version 2; without a reason nothing is published.
    with acting_as(cast.nina):
        Rule.objects.filter(school=cast.a, name="games only at certain times").update(name="no games")
    page = client.get("/policy/publish/")
    sha = page.context["draft"].rendered.sha256
    response = client.post("/policy/publish/", {"reason": "  ", "sha256": sha})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert PolicyVersion.objects.filter(school=cast.a).count() == 1
    assert client.post("/policy/publish/", {"reason": "renamed a rule", "sha256": sha}).status_code == 302
    assert list(PolicyVersion.objects.filter(school=cast.a).values_list("number", flat=True)) == [2, 1]
    assert 'name = "no games"' in snapshot.read_text()


def test_the_snapshot_is_written_to_a_temporary_file_beside_it_then_renamed(
    cast: Cast, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_policy(cast)
    compile_draft_lists(cast.a, paths)  # the lists are as compiled: only the snapshot is written
    snapshot = paths.snapshot(cast.a)
    snapshot.write_text("# the policy the gateways are using\n")
    replaced: list[tuple[Path, Path, str, str]] = []
    synced: list[int] = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src: Any, dst: Any) -> None:
        replaced.append((Path(src), Path(dst), Path(src).read_text(), Path(dst).read_text()))
        real_replace(src, dst)

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    draft = actions.check_draft(cast.a)
    version = actions.do_publish(
        cast.a, actor=cast.nina, reason="first publish", expected_sha256=draft.rendered.sha256
    )
    [(src, dst, new, old)] = replaced
    assert dst == snapshot and src.parent == snapshot.parent and src != snapshot
    assert new == version.text and old == "# the policy the gateways are using\n"  # whole, before the rename
    assert len(synced) == 2  # the file, then the directory
    assert snapshot.read_text() == version.text
    assert sorted(p.name for p in snapshot.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_a_failed_write_publishes_nothing_and_leaves_the_running_policy_alone(
    cast: Cast, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_policy(cast)
    compile_draft_lists(cast.a, paths)  # the lists are as compiled: only the snapshot is written
    snapshot = paths.snapshot(cast.a)
    snapshot.write_text("# running\n")

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    draft = actions.check_draft(cast.a)
    with pytest.raises(actions.PublishError, match="No space left"):
        actions.do_publish(
            cast.a, actor=cast.nina, reason="first publish", expected_sha256=draft.rendered.sha256
        )
    assert snapshot.read_text() == "# running\n"
    assert [p.name for p in snapshot.parent.iterdir() if p.suffix == ".tmp"] == []
    assert not PolicyVersion.objects.exists() and not AuditEntry.objects.filter(action="publish").exists()


def test_a_policy_that_does_not_load_is_refused_with_its_problems_and_nothing_is_written(
    cast: Cast, paths: Paths
) -> None:
    rows = small_policy(cast)
    with acting_as(cast.nina):
        Category.objects.filter(pk=rows.gambling.pk).update(sources=["ut1/gamblng"])
        rows.lessons.term_time_only = True
        rows.lessons.save()
    client = logged_in(cast.nina)
    page = client.get("/policy/publish/")
    problems = page.context["problems"]
    assert [(p.where, p.message) for p in problems] == [
        ('Category "gambling"', 'list "ut1" has no category "gamblng" (did you mean "gambling"?)')
    ]
    assert (
        problems[0].url == rows.gambling.get_absolute_url()
        and problems[0].key == "categories.gambling.sources[1]"
    )
    text = unescape(page.content.decode())
    assert "1 problem stops this policy being published" in text and 'no category "gamblng"' in text
    response = client.post(
        "/policy/publish/", {"reason": "try anyway", "sha256": page.context["draft"].rendered.sha256}
    )
    assert response.status_code == 400 and 'no category "gamblng"' in unescape(response.content.decode())
    assert not paths.snapshot(cast.a).exists() and not PolicyVersion.objects.exists()
    assert not AuditEntry.objects.filter(action="publish").exists()


def test_the_draft_is_compiled_against_the_index_when_there_is_one(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    good = paths.root / "good.toml"
    good.write_text(render_policy(cast.a).text)
    compile_index(good, paths.index)
    with acting_as(cast.nina):
        SiteList.objects.filter(pk=rows.curriculum.pk).update(domains=["bbc.co.uk", "iwf-test.example"])
    draft = actions.check_draft(cast.a)
    assert draft.checked_against_index
    [problem] = draft.problems
    assert problem.where == 'Rule 1 "everyone may reach curriculum sites"'
    assert "would allow iwf-test.example, which the locked list iwf blocks" in problem.message
    with pytest.raises(actions.PublishError):
        actions.do_publish(cast.a, actor=cast.nina, reason="try", expected_sha256=draft.rendered.sha256)
    assert not paths.snapshot(cast.a).exists()


def test_a_draft_changed_after_it_was_checked_is_not_published(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    client = logged_in(cast.nina)
    sha = client.get("/policy/publish/").context["draft"].rendered.sha256
    with acting_as(cast.alice):
        rows.ks2.youtube = "off"
        rows.ks2.save()
    response = client.post("/policy/publish/", {"reason": "as checked", "sha256": sha})
    assert (
        response.status_code == 400
        and "The draft has changed since you checked it" in response.content.decode()
    )
    assert not PolicyVersion.objects.exists()


def _sentences(summary: list[tuple[str, list[Sentence]]]) -> list[str]:
    """The change summary's sentences as a page shows them, headings aside."""
    return [s.text for _, said in summary for s in said]


def test_the_changes_are_shown_as_a_diff_against_the_running_policy(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    nina = logged_in(cast.nina)
    assert publish_through_page(nina).status_code == 302
    assert "There are no unpublished changes" in nina.get("/policy/").content.decode()
    edit = {
        "name": "ks2", "description": "Key Stage 2", "default": "allow", "safe_search": "on",
        "youtube": "moderate",
    }  # fmt: skip
    url = f"/policy/groups/{rows.ks2.pk}/edit/"
    asked = nina.post(url, edit)  # YouTube changes for ks2's pupils: said first, then confirmed
    response = nina.post(url, {**edit, "confirm": asked.context["fingerprint"]})
    assert response.status_code == 302
    page = logged_in(cast.olu).get("/policy/changes/")  # the coordinator may see the changes, not publish
    assert page.status_code == 200
    kinds = {(line.kind, line.text) for line in page.context["diff"]}
    assert ("remove", 'youtube = "strict"') in kinds and ("add", 'youtube = "moderate"') in kinds
    assert ("add", 'description = "Key Stage 2"') in kinds
    html = page.content.decode()
    added = '<ins class="diff-add"><span class="visually-hidden">added: </span>+ '
    assert added + "youtube = &quot;moderate&quot;</ins>" in html
    assert "--- running policy (version 1)" in html and "+++ draft" in html
    # The sentences come first; the diff is one click away, in a <details> after them.
    assert _sentences(page.context["summary"]) == ["YouTube is now moderate for 'ks2'."]
    said = html.index("YouTube is now moderate for &#x27;ks2&#x27;.")
    assert said < html.index('<details class="diff-details">')
    assert "There are changes that are not published yet" in nina.get("/policy/").content.decode()


def test_an_earlier_version_is_viewed_diffed_and_restored(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    client = logged_in(cast.nina)
    publish_through_page(client, "first")
    with acting_as(cast.nina):
        rows.staff.default = "block"
        rows.staff.save()
    publish_through_page(client, "staff blocked by default")
    first, second = PolicyVersion.objects.get(number=1), PolicyVersion.objects.get(number=2)
    page = client.get("/policy/versions/2/")
    assert ("add", 'default = "block"') in {(d.kind, d.text) for d in page.context["diff"]}
    assert _sentences(page.context["summary"]) == ["For 'staff', sites no rule decides are now blocked."]
    first_summary = _sentences(client.get("/policy/versions/1/").context["summary"])
    assert first_summary[0].startswith("The whole policy is new, as nothing was published before it")
    assert client.get("/policy/versions/1/policy.toml?download=1").content.decode() == first.text

    page = client.get("/policy/versions/1/restore/")
    assert ("remove", 'default = "block"') in {(d.kind, d.text) for d in page.context["diff"]}
    assert client.post("/policy/versions/1/restore/", {"reason": ""}).status_code == 400
    response = client.post("/policy/versions/1/restore/", {"reason": "staff complained: back to the first"})
    assert response.status_code == 302
    third = PolicyVersion.objects.get(number=3)
    assert third.text == first.text != second.text and third.restored_from == first
    assert paths.snapshot(cast.a).read_text() == first.text
    entry = AuditEntry.objects.get(action="restore")
    assert entry.actor == cast.nina and entry.reason == "staff complained: back to the first"
    assert entry.after is not None and entry.after["restored_from"] == 1
    page = client.get("/policy/versions/").content.decode()
    assert "restored from version 1" in page
    # The draft is not changed by a restore: the overview says it differs from what is running.
    assert "There are changes that are not published yet" in client.get("/policy/").content.decode()


def test_each_school_of_a_trust_publishes_its_own_file_and_a_lone_school_the_policy_path(
    cast: Cast, paths: Paths
) -> None:
    assert actions.snapshot_path(cast.a) == paths.root / "policy-northfield.toml"
    assert actions.snapshot_path(cast.b) == paths.root / "policy-southgate.toml"


def test_a_deployment_with_one_school_publishes_to_the_policy_path(db: None, paths: Paths) -> None:
    school = School.objects.create(name="Lone Primary", slug="lone")
    assert actions.snapshot_path(school) == paths.policy


# ---------------------------------------------------------------------------------------------------------
# `schoolgate check` against the published file agrees with the Test a URL page

CASES = [
    ("http://www.bbc.co.uk/bitesize", {"user": "ks2-amelia"}, IN_LESSONS),
    ("http://0-casino.info/", {"user": "ks2-amelia"}, IN_LESSONS),
    ("http://247webgames.com/", {"user": "mrs.jones"}, AT_LUNCH),
    ("http://247webgames.com/", {"user": "mrs.jones"}, IN_LESSONS),
    ("http://247webgames.com/", {"user": "ks2-oliver"}, AT_LUNCH),
    ("https://www.youtube.com/watch?v=dday-film", {"user": "ks2-amelia"}, IN_LESSONS),
    ("http://iwf-test.example/", {"user": "mr.patel"}, AT_LUNCH),
    ("http://unlisted.example/", {}, IN_LESSONS),
    ("http://unlisted.example/", {"address": "10.10.200.7"}, IN_LESSONS),
    ("http://unlisted.example/", {"address": "10.10.5.20"}, IN_LESSONS),
]
COMPARED = (
    "verdict",
    "reason",
    "group",
    "category",
    "rule",
    "rule_name",
    "window",
    "alert",
    "entry",
    "source",
    "identity",
)


def test_schoolgate_check_on_the_published_file_agrees_with_the_test_a_url_page(
    cast: Cast, paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    small_policy(cast)
    assert publish_through_page(logged_in(cast.nina)).status_code == 302
    published = paths.snapshot(cast.a)
    compile_index(published, paths.index)
    tom = logged_in(cast.tom)  # a teacher may test a URL
    for url, who, at in CASES:
        local = at.strftime("%Y-%m-%dT%H:%M")
        args = [
            "check",
            url,
            "--at",
            local,
            "--json",
            "--policy",
            str(published),
            "--index",
            str(paths.index),
        ]
        if "user" in who:
            args += ["--user", who["user"]]
        if "address" in who:
            args += ["--ip", who["address"]]
        capsys.readouterr()
        assert main(args) == 0
        cli = json.loads(capsys.readouterr().out)
        page = tom.get("/policy/test/", {"url": url, "at": local, **who})
        assert page.status_code == 200
        [outcome] = page.context["outcomes"]
        assert outcome.error == "" and outcome.decision is not None, outcome
        decision = outcome.decision._asdict()
        assert {k: str(decision[k]) if decision[k] is not None else None for k in COMPARED} == {
            k: str(cli[k]) if cli[k] is not None else None for k in COMPARED
        }, (url, who)
        html = page.content.decode()
        assert outcome.explanation.split(" — ")[0] in html and f'data-verdict="{cli["verdict"]}"' in html
    # A few of the answers, to be sure the comparison compared something.
    blocked = tom.get("/policy/test/", {"url": "http://0-casino.info/", "user": "ks2-amelia"}).context[
        "outcomes"
    ][0]
    assert blocked.decision.blocked and blocked.decision.rule_name == "pupils may not gamble"
    locked = tom.get("/policy/test/", {"url": "http://iwf-test.example/"}).context["outcomes"][0]
    assert locked.decision.reason == "locked-list"


def test_a_snapshot_that_cannot_be_written_is_an_error_on_the_page_and_nothing_is_published(
    cast: Cast, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_policy(cast)
    compile_draft_lists(cast.a, paths)  # the lists are as compiled: only the snapshot is written
    client = logged_in(cast.nina)
    entries = AuditEntry.objects.count()

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    response = publish_through_page(client)
    assert response.status_code == 400
    assert "could not be written" in unescape(response.content.decode())
    assert "No space left on device" in unescape(response.content.decode())
    assert not PolicyVersion.objects.filter(school=cast.a).exists()
    assert AuditEntry.objects.count() == entries  # the publish entry went with the rolled-back version
