"""The requests' actions against a real published policy and compiled lists: asking records what the
filter decided; approving writes the narrowest grant and publishes it at once (the running filter then
allows the site for those asked); every refusal, one test each; the teachers' own lesson unblocks; the
settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from schoolgate.engine.policy import Action
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.filterrequests import actions
from schoolgate.web.filterrequests.actions import do_approve, do_ask
from schoolgate.web.filterrequests.choices import (
    Approvers,
    Audience,
    Duration,
    NoteKind,
    RequestKind,
    RequestSource,
    RequestState,
)
from schoolgate.web.filterrequests.models import ClassTeacher, FilterRequest, Grant
from schoolgate.web.people.models import ClassGroup
from schoolgate.web.policy import actions as policy_actions
from schoolgate.web.policy.choices import Verdict
from schoolgate.web.policy.models import PolicyVersion
from tests.web.factories import Cast
from tests.web.filterrequests.conftest import class6b
from tests.web.policy.helpers import Northfield
from tests.web.policy.requests import GAME

pytestmark = pytest.mark.django_db

LOCKED = "iwf-test.example"  # the IWF list's test stand-in: locked


def ask(cast: Cast, url: str = f"https://www.{GAME}/play", **fields: object) -> FilterRequest:
    """Tom asks for `url` to be unblocked for class 6B for a lesson."""
    fields.setdefault("actor", cast.tom)
    fields.setdefault("kind", RequestKind.UNBLOCK)
    fields.setdefault("source", RequestSource.REQUEST_PAGE)
    fields.setdefault("audience", Audience.CLASS)
    fields.setdefault("class_group", class6b(cast))
    fields.setdefault("reason", "Year 6 coding lesson")
    return do_ask(cast.a, url=url, **fields)  # type: ignore[arg-type]


def amelia_sees(cast: Cast) -> Action:
    [outcome] = policy_actions.try_url(cast.a, f"http://{GAME}/", user="ks2-amelia", at=timezone.now())
    assert outcome.decision is not None, outcome.error
    return outcome.decision.verdict


# ---------------------------------------------------------------------------------------------------------
# Asking


def test_a_request_is_numbered_and_keeps_what_the_filter_decided_for_whom_it_is_asked(
    cast: Cast, running: Northfield, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        first = ask(cast)
    assert callbacks  # the pupils' status file is written once it commits
    assert (first.number, first.state, first.site, first.url) == (
        1,
        RequestState.NEW,
        GAME,
        f"https://www.{GAME}/play",
    )
    # Decided for a pupil of 6B (ks2-amelia): the games rule blocks it, and says so.
    assert (first.decided_verdict, first.decided_group, first.decided_category) == ("block", "ks2", "games")
    assert first.decided_rule == "games only at certain times" and not first.decided_locked
    assert "games only at certain times" in first.explanation
    second = ask(cast, "bbc.co.uk", audience=Audience.GROUP, group=running.staff, class_group=None)
    assert (second.number, second.site, second.url, second.decided_verdict) == (2, "bbc.co.uk", "", "allow")
    assert second.for_class is None and second.for_group == running.staff
    assert AuditEntry.objects.filter(object_type="filterrequests.filterrequest", action="create").count() == 2


def test_before_anything_is_published_a_request_is_kept_and_says_the_decision_is_unknown(
    cast: Cast, rows: Northfield
) -> None:
    request = ask(cast)
    assert request.decided_verdict == "" and "not known" in request.explanation


@pytest.mark.parametrize(
    ("actor", "source"),
    [
        ("tom", RequestSource.REQUEST_PAGE),
        ("olu", RequestSource.TEST_URL),
        ("nina", RequestSource.STAFF_BLOCK_PAGE),
        (None, RequestSource.BLOCK_PAGE),
        (None, RequestSource.REPORT_LINK),
    ],
)
def test_a_site_on_a_locked_list_can_never_be_requested_whoever_asks(
    cast: Cast, running: Northfield, actor: str | None, source: RequestSource
) -> None:
    user = getattr(cast, actor) if actor else None
    for url in (LOCKED, f"https://{LOCKED}/some/page", f"http://sub.{LOCKED}/"):
        with pytest.raises(ValidationError, match="illegal content can never be requested"):
            ask(cast, url, actor=user, source=source, audience=Audience.EVERYONE, class_group=None)
    assert not FilterRequest.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["", "   ", "two words.com", "ftp://example.com/", "javascript:alert(1)", "http://", "a" * 2100],
)
def test_what_is_not_a_web_address_is_refused_in_words(cast: Cast, rows: Northfield, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ask(cast, url)
    assert "url" in caught.value.message_dict


def test_someone_without_a_role_at_the_school_may_not_ask(cast: Cast, rows: Northfield) -> None:
    with pytest.raises(PermissionDenied):
        ask(cast, actor=cast.nora)
    with pytest.raises(PermissionDenied):
        ask(cast, actor=cast.zack)  # another school's DSL


def test_only_the_block_page_asks_without_a_login(cast: Cast, rows: Northfield) -> None:
    with pytest.raises(PermissionDenied):
        ask(cast, actor=None, source=RequestSource.REQUEST_PAGE)
    with pytest.raises(ValidationError):  # and staff do not pretend to be it
        ask(cast, source=RequestSource.BLOCK_PAGE)


def test_a_request_names_for_whom_from_this_school(cast: Cast, rows: Northfield) -> None:
    with pytest.raises(ValidationError, match="class"):
        ask(cast, class_group=None)
    with pytest.raises(ValidationError, match="for whom"):
        ask(cast, audience=Audience.PERSON, class_group=None)
    other = ClassGroup.objects.create(school=cast.b, name="6B")
    with pytest.raises(ValidationError, match="this school"):
        ask(cast, class_group=other)


def test_a_request_until_a_date_needs_one_to_come_and_within_a_year(cast: Cast, rows: Northfield) -> None:
    now = timezone.now()
    for expires, words in (
        (None, "until when"),
        (now - dt.timedelta(minutes=1), "passed"),
        (now + dt.timedelta(days=400), "a year"),
    ):
        with pytest.raises(ValidationError, match=words):
            ask(cast, duration=Duration.UNTIL, expires=expires)


def test_a_reason_longer_than_the_cap_is_refused_and_a_pupils_is_cut(cast: Cast, running: Northfield) -> None:
    with pytest.raises(ValidationError, match="at most"):
        ask(cast, reason="x" * 5000)
    request = ask(
        cast,
        actor=None,
        source=RequestSource.BLOCK_PAGE,
        audience=Audience.PERSON,
        class_group=None,
        reason="y" * 5000,
        asked_by_name="ks2-amelia",
    )
    assert len(request.reason) == actions.TEXT_MAX
    assert request.decided_group == "ks2"  # decided for the user name the block page signed


# ---------------------------------------------------------------------------------------------------------
# Approving


def test_approving_for_a_class_for_a_lesson_publishes_a_grant_the_filter_applies_at_once(
    cast: Cast, running: Northfield
) -> None:
    request = ask(cast)
    assert amelia_sees(cast) == Action.BLOCK
    before = PolicyVersion.objects.count()
    grant = do_approve(
        request, actor=cast.olu, audience=Audience.CLASS, class_group=class6b(cast), duration=Duration.LESSON
    )
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.told_at) == (RequestState.APPROVED, cast.olu, None)
    assert request.version is not None and request.version.number == before + 1
    assert "Request 1 approved: allow" in request.version.reason
    assert (grant.action, grant.domains, grant.urls, grant.class_group) == (
        Verdict.ALLOW,
        [GAME],
        [],
        class6b(cast),
    )
    assert grant.starts is not None and grant.expires == grant.starts + dt.timedelta(minutes=60)
    assert "request = 1" in policy_actions.snapshot_path(cast.a).read_text()
    assert amelia_sees(cast) == Action.ALLOW
    assert AuditEntry.objects.filter(reason__startswith="Request 1 approved", action="update").exists()


def test_the_narrowest_grant_is_the_page_asked_and_a_block_request_writes_a_block(
    cast: Cast, running: Northfield
) -> None:
    page = ask(cast)
    grant = do_approve(
        page,
        actor=cast.nina,
        audience=Audience.PERSON,
        person=running.amelia,
        duration=Duration.TODAY,
        whole_site=False,
    )
    assert (grant.domains, grant.urls) == ([], [f"www.{GAME}/play"])
    assert grant.expires is not None and grant.expires.astimezone(actions._zone(cast.a)).time() == dt.time(
        23, 59, 59
    )
    block = ask(cast, "bbc.co.uk", kind=RequestKind.BLOCK, audience=Audience.EVERYONE, class_group=None)
    made = do_approve(block, actor=cast.olu, audience=Audience.EVERYONE, duration=Duration.PERMANENT)
    assert (made.action, made.expires, made.starts) == (Verdict.BLOCK, None, None)
    assert "from now on (no expiry)" in FilterRequest.objects.get(pk=block.pk).version.reason  # type: ignore[union-attr]


def test_a_teacher_may_not_decide(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    with pytest.raises(PermissionDenied):
        do_approve(
            request,
            actor=cast.tom,
            audience=Audience.CLASS,
            class_group=class6b(cast),
            duration=Duration.LESSON,
        )
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("unblock", "change", "kind", "olu", "nina"),
    [
        (Approvers.EITHER, Approvers.EITHER, RequestKind.CHANGE, True, True),
        (Approvers.EITHER, Approvers.COORDINATOR, RequestKind.CHANGE, True, False),
        (Approvers.EITHER, Approvers.COORDINATOR, RequestKind.BLOCK, True, False),
        (Approvers.EITHER, Approvers.COORDINATOR, RequestKind.UNBLOCK, True, True),
        (Approvers.NETWORK_MANAGER, Approvers.EITHER, RequestKind.REVIEW, False, True),
        (Approvers.NETWORK_MANAGER, Approvers.EITHER, RequestKind.UNBLOCK, False, True),
    ],
)
def test_the_school_chooses_who_decides_which_kind(
    cast: Cast, rows: Northfield, unblock: str, change: str, kind: str, olu: bool, nina: bool
) -> None:
    row = actions.settings_for(cast.a)
    row.unblock_approvers, row.change_approvers = unblock, change
    actions.do_save_settings(row, actor=cast.olu)
    request = ask(cast, kind=kind)
    assert (actions.may_decide(cast.olu, request), actions.may_decide(cast.nina, request)) == (olu, nina)
    assert not actions.may_decide(cast.alice, request) and not actions.may_decide(cast.tom, request)


def test_approving_before_anything_is_published_saves_nothing(cast: Cast, rows: Northfield) -> None:
    """Nothing running: the locked lists cannot be checked, so nothing is written into the filter."""
    request = ask(cast)
    with pytest.raises(
        ValidationError, match=r"locked list \(illegal content\) blocks this site cannot be checked"
    ):
        do_approve(
            request,
            actor=cast.olu,
            audience=Audience.CLASS,
            class_group=class6b(cast),
            duration=Duration.LESSON,
        )
    request.refresh_from_db()
    assert request.state == RequestState.NEW and not Grant.objects.exists()


def test_a_grant_that_would_reach_nobody_is_refused_before_anything_is_published(
    cast: Cast, running: Northfield
) -> None:
    request = ask(cast)
    empty = ClassGroup.objects.create(school=cast.a, name="3C")
    before = PolicyVersion.objects.count()
    with pytest.raises(ValidationError, match="reaches nobody"):
        do_approve(
            request, actor=cast.olu, audience=Audience.CLASS, class_group=empty, duration=Duration.LESSON
        )
    assert PolicyVersion.objects.count() == before and not Grant.objects.exists()


def test_a_decided_request_is_not_decided_again(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    actions.do_refuse(request, actor=cast.olu, reason="Not for lessons")
    with pytest.raises(ValidationError, match="already"):
        do_approve(request, actor=cast.nina, audience=Audience.EVERYONE, duration=Duration.LESSON)
    with pytest.raises(ValidationError, match="already"):
        actions.do_refuse(request, actor=cast.nina, reason="again")


def test_an_approval_until_a_past_time_is_refused(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    with pytest.raises(ValidationError, match="passed"):
        do_approve(
            request,
            actor=cast.olu,
            audience=Audience.EVERYONE,
            duration=Duration.UNTIL,
            expires=timezone.now() - dt.timedelta(hours=1),
        )


def test_a_locked_site_is_refused_again_at_approval(cast: Cast, running: Northfield) -> None:
    request = ask(cast, "bbc.co.uk")
    FilterRequest.objects.filter(pk=request.pk).update(site=LOCKED)  # as if the list grew since
    request.refresh_from_db()
    with pytest.raises(ValidationError, match="illegal content"):
        do_approve(request, actor=cast.olu, audience=Audience.EVERYONE, duration=Duration.LESSON)


# ---------------------------------------------------------------------------------------------------------
# Refusing, asking more, answering, withdrawing, ending early


def test_refusing_needs_a_reason_and_keeps_it(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    with pytest.raises(ValidationError, match="Say why"):
        actions.do_refuse(request, actor=cast.olu, reason="  ")
    actions.do_refuse(request, actor=cast.olu, reason="Use the curriculum site instead")
    request.refresh_from_db()
    assert (request.state, request.decision_reason, request.decided_by) == (
        RequestState.REFUSED,
        "Use the curriculum site instead",
        cast.olu,
    )


def test_a_question_and_its_answer_and_only_the_requester_answers(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    with pytest.raises(ValidationError):
        actions.do_ask_more(request, actor=cast.olu, question="")
    question = actions.do_ask_more(request, actor=cast.olu, question="Which lesson?")
    assert (question.kind, request.state) == (NoteKind.QUESTION, RequestState.MORE)
    with pytest.raises(PermissionDenied):
        actions.do_answer(request, actor=cast.nina, text="Not mine to answer")
    with pytest.raises(PermissionDenied):
        actions.do_ask_more(request, actor=cast.tom, question="Am I a decider?")
    answer = actions.do_answer(request, actor=cast.tom, text="Thursday's coding lesson")
    request.refresh_from_db()
    assert (answer.kind, request.state) == (NoteKind.ANSWER, RequestState.NEW)
    assert [n.kind for n in request.notes.all()] == [NoteKind.QUESTION, NoteKind.ANSWER]


def test_only_the_requester_withdraws_and_only_while_it_waits(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    with pytest.raises(PermissionDenied):
        actions.do_withdraw(request, actor=cast.olu)
    actions.do_withdraw(request, actor=cast.tom)
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN and request.told_at is not None
    with pytest.raises(ValidationError, match="already"):
        actions.do_withdraw(request, actor=cast.tom)


def test_ending_a_grant_early_takes_it_out_of_the_filter_at_once(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    grant = do_approve(
        request, actor=cast.olu, audience=Audience.CLASS, class_group=class6b(cast), duration=Duration.TODAY
    )
    assert amelia_sees(cast) == Action.ALLOW
    with pytest.raises(PermissionDenied):
        actions.do_end_grant(grant, actor=cast.alice, reason="Seen it misused")
    with pytest.raises(ValidationError, match="Say why"):
        actions.do_end_grant(grant, actor=cast.nina, reason="")
    actions.do_end_grant(grant, actor=cast.nina, reason="Lesson moved")
    grant.refresh_from_db()
    assert grant.ended_by == cast.nina and grant.end_reason == "Lesson moved"
    assert "request = 1" not in policy_actions.snapshot_path(cast.a).read_text()
    assert amelia_sees(cast) == Action.BLOCK
    with pytest.raises(ValidationError, match="ended already"):
        actions.do_end_grant(grant, actor=cast.nina, reason="again")


# ---------------------------------------------------------------------------------------------------------
# Teachers' own lesson unblocks


def test_a_teacher_unblocks_for_their_own_class_only_when_the_school_allows_it(
    cast: Cast, running: Northfield
) -> None:
    six_b = class6b(cast)
    with pytest.raises(PermissionDenied, match="does not let"):
        actions.do_teacher_unblock(cast.a, actor=cast.tom, url=GAME, class_group=six_b, reason="Coding")
    row = actions.settings_for(cast.a)
    row.teachers_may_unblock, row.lesson_minutes = True, 45
    actions.do_save_settings(row, actor=cast.olu)
    with pytest.raises(PermissionDenied, match="do not teach"):
        actions.do_teacher_unblock(cast.a, actor=cast.tom, url=GAME, class_group=six_b, reason="Coding")
    actions.do_set_teachers(six_b, [cast.tom], actor=cast.olu)
    with pytest.raises(ValidationError, match="illegal content"):
        actions.do_teacher_unblock(cast.a, actor=cast.tom, url=LOCKED, class_group=six_b, reason="Coding")
    request = actions.do_teacher_unblock(cast.a, actor=cast.tom, url=GAME, class_group=six_b, reason="Coding")
    assert (request.state, request.without_approval, request.decided_by, request.source) == (
        RequestState.APPROVED,
        True,
        cast.tom,
        RequestSource.TEACHER,
    )
    [grant] = request.grants.all()
    assert grant.expires is not None and grant.starts is not None
    assert grant.expires - grant.starts == dt.timedelta(minutes=45)
    assert request.version is not None and "without approval" in request.version.reason
    # Nobody waits for it, and the teacher needs no e-mail about what they did.
    assert request.told_at is not None and request.deciders_told_at is not None
    assert amelia_sees(cast) == Action.ALLOW


# ---------------------------------------------------------------------------------------------------------
# Settings, teachers, seen


def test_settings_are_the_coordinators_and_the_heads_and_checked(cast: Cast, rows: Northfield) -> None:
    row = actions.settings_for(cast.a)
    assert actions.settings_for(cast.a).pk == row.pk  # made once
    for who in (cast.tom, cast.nina):
        with pytest.raises(PermissionDenied):
            actions.do_save_settings(row, actor=who)
    row.lesson_minutes = 0
    with pytest.raises(ValidationError, match="minutes"):
        actions.do_save_settings(row, actor=cast.hana)
    row.lesson_minutes, row.unblock_approvers = 50, "anyone"
    with pytest.raises(ValidationError, match="approve"):
        actions.do_save_settings(row, actor=cast.hana)


def test_who_teaches_a_class_is_set_whole_and_only_to_the_schools_staff(cast: Cast, rows: Northfield) -> None:
    six_b = class6b(cast)
    actions.do_set_teachers(six_b, [cast.tom, cast.sami], actor=cast.olu)
    actions.do_set_teachers(six_b, [cast.tom], actor=cast.olu)
    assert [r.teacher for r in ClassTeacher.objects.filter(class_group=six_b)] == [cast.tom]
    with pytest.raises(ValidationError, match="not on the staff"):
        actions.do_set_teachers(six_b, [cast.zack], actor=cast.olu)
    with pytest.raises(PermissionDenied):
        actions.do_set_teachers(six_b, [cast.tom], actor=cast.tom)


def test_the_requester_opening_the_decision_marks_it_seen(cast: Cast, running: Northfield) -> None:
    request = ask(cast)
    actions.mark_seen(request, actor=cast.tom)  # not decided yet: nothing to see
    assert request.seen_at is None
    actions.do_refuse(request, actor=cast.olu, reason="No")
    actions.mark_seen(request, actor=cast.olu)  # not theirs
    assert FilterRequest.objects.get(pk=request.pk).seen_at is None
    actions.mark_seen(request, actor=cast.tom)
    assert FilterRequest.objects.get(pk=request.pk).seen_at is not None


def test_a_number_another_request_took_first_is_taken_again(
    cast: Cast, rows: Northfield, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ask(cast)
    answers = iter([first.number, first.number + 1])  # as if another worker numbered it meanwhile
    monkeypatch.setattr(actions, "_next_number", lambda school: next(answers))
    assert ask(cast).number == first.number + 1


def test_why_a_pupil_asked_is_in_the_audit_trail_as_a_digest_only(cast: Cast, rows: Northfield) -> None:
    words = "I need it for my homework about my family"
    request = ask(
        cast,
        actor=None,
        source=RequestSource.BLOCK_PAGE,
        audience=Audience.PERSON,
        class_group=None,
        reason=words,
    )
    [entry] = AuditEntry.objects.filter(object_type="filterrequests.filterrequest", object_id=str(request.pk))
    assert entry.after is not None and words not in str(entry.after)
    assert str(entry.after["reason"]).startswith("sha256:")


def test_a_member_of_staff_cannot_ask_in_a_pupils_name_or_take_over_a_review(
    cast: Cast, running: Northfield
) -> None:
    for borrowed in ({"asked_by_person": running.amelia}, {"asked_by_name": "ks2-amelia"}):
        with pytest.raises(PermissionDenied):
            ask(cast, **borrowed)
    assert not FilterRequest.objects.exists()


def test_an_unblock_approved_from_now_on_takes_those_chosen_for_lasting_changes(
    cast: Cast, running: Northfield
) -> None:
    row = actions.settings_for(cast.a)
    row.unblock_approvers, row.change_approvers = Approvers.EITHER, Approvers.COORDINATOR
    actions.do_save_settings(row, actor=cast.olu)
    request = ask(cast)
    with pytest.raises(ValidationError, match="lasting changes"):
        do_approve(request, actor=cast.nina, audience=Audience.EVERYONE, duration=Duration.PERMANENT)
    assert not Grant.objects.exists()
    grant = do_approve(request, actor=cast.olu, audience=Audience.EVERYONE, duration=Duration.PERMANENT)
    assert grant.expires is None


def test_a_decider_does_not_approve_their_own_request_while_another_may(
    cast: Cast, running: Northfield
) -> None:
    request = ask(cast, actor=cast.olu)
    with pytest.raises(ValidationError, match="another person"):
        do_approve(request, actor=cast.olu, audience=Audience.CLASS, class_group=class6b(cast),
                   duration=Duration.LESSON)  # fmt: skip
    assert do_approve(request, actor=cast.nina, audience=Audience.CLASS, class_group=class6b(cast),
                      duration=Duration.LESSON)  # fmt: skip
