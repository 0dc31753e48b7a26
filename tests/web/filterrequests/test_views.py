"""The requests pages, worked as their users work them, against a real published policy and compiled
lists: asking (prefilled from Test a URL), deciding (whom it reaches before approving, approving,
refusing, asking for more), answering, withdrawing, ending early, the teachers' own lesson unblock,
the settings, and the home page's panels. Every refusal is a message on the page or a 403."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.web.filterrequests import actions
from schoolgate.web.filterrequests.choices import (
    Approvers,
    Audience,
    NoteKind,
    RequestKind,
    RequestSource,
    RequestState,
)
from schoolgate.web.filterrequests.models import ClassTeacher, FilterRequest, Grant
from schoolgate.web.policy import actions as policy_actions
from tests.web.factories import Cast
from tests.web.filterrequests.conftest import class6b
from tests.web.filterrequests.samples import REQUEST_SAMPLES
from tests.web.pages import logged_in, text
from tests.web.policy.helpers import Northfield
from tests.web.policy.requests import GAME
from tests.web.viewtests import StaffObjectPageTests, StaffPageTests

pytestmark = pytest.mark.django_db

LOCKED = "iwf-test.example"  # the IWF list's test stand-in: locked


def tom_asks(cast: Cast, url: str = f"https://www.{GAME}/play", **fields: object) -> FilterRequest:
    """Tom asks for `url` to be unblocked for class 6B for a lesson."""
    fields.setdefault("kind", RequestKind.UNBLOCK)
    fields.setdefault("audience", Audience.CLASS)
    fields.setdefault("class_group", class6b(cast))
    fields.setdefault("reason", "Year 6 coding lesson")
    return actions.do_ask(
        cast.a,
        actor=cast.tom,
        source=RequestSource.REQUEST_PAGE,
        url=url,
        **fields,  # type: ignore[arg-type]
    )


def page_of(request: FilterRequest) -> str:
    return f"/requests/{request.number}/"


# ---------------------------------------------------------------------------------------------------------
# Who opens which page (the matrix goes over every role; these add the record's own checks)


class TestListPage(StaffPageTests):
    url_name = "filterrequests:list"


class TestNewPage(StaffPageTests):
    url_name = "filterrequests:new"


class TestSettingsPage(StaffPageTests):
    url_name = "filterrequests:settings"


class TestTeachersPage(StaffObjectPageTests):
    url_name = "filterrequests:teachers"


class TestRequestPage(StaffObjectPageTests):
    url_name = "filterrequests:request"


def test_the_samples_cover_every_page_of_one_request() -> None:
    from tests.web.sitemap import every_page

    named = {p.name for p in every_page() if p.name.startswith("filterrequests:") and p.has_args}
    assert named == set(REQUEST_SAMPLES)


# ---------------------------------------------------------------------------------------------------------
# The list


def test_a_teacher_sees_only_their_own_requests_and_the_coordinator_all_waiting_first(
    cast: Cast, running: Northfield
) -> None:
    first = tom_asks(cast)
    other = actions.do_ask(
        cast.a,
        actor=cast.users["sami"],
        kind=RequestKind.BLOCK,
        source=RequestSource.REQUEST_PAGE,
        url="bbc.co.uk",
        audience=Audience.EVERYONE,
        reason="Not for school",
    )
    actions.do_refuse(first, actor=cast.olu, reason="Not in lessons")
    later = tom_asks(cast, "scratch.mit.edu")

    client = logged_in(cast.tom)
    tom = text(client.get("/requests/"))
    assert f"Request {first.number}" in tom and f"Request {later.number}" in tom
    assert f"Request {other.number}" not in tom
    assert client.get(page_of(other)).status_code == 404

    olu = logged_in(cast.olu)
    listed = text(olu.get("/requests/"))
    # Waiting first (latest number first among them), then the decided.
    order = [listed.index(f"Request {n} ") for n in (later.number, other.number, first.number)]
    assert order == sorted(order), listed
    waiting = text(olu.get("/requests/?state=open&kind=unblock"))
    assert f"Request {later.number}" in waiting
    assert f"Request {first.number}" not in waiting and f"Request {other.number}" not in waiting
    assert "No requests to show." in text(olu.get("/requests/?mine=1"))
    # A filter nobody offers is no filter.
    assert f"Request {first.number}" in text(olu.get("/requests/?state=nonsense&kind=<b>"))


# ---------------------------------------------------------------------------------------------------------
# Asking


@pytest.mark.parametrize(
    ("came_from", "source"),
    [
        ("test-url", RequestSource.TEST_URL),
        ("block-page", RequestSource.STAFF_BLOCK_PAGE),
        ("somewhere-else", RequestSource.REQUEST_PAGE),
    ],
)
def test_request_a_site_is_prefilled_from_the_link_and_records_where_it_came_from(
    cast: Cast, running: Northfield, came_from: str, source: RequestSource
) -> None:
    client = logged_in(cast.tom)
    address = f"/requests/new/?url=https%3A%2F%2Fwww.{GAME}%2Fplay&from={came_from}"
    form = client.get(address)
    assert form.status_code == 200
    assert f'value="https://www.{GAME}/play"' in form.content.decode()
    response = client.post(
        address,
        {
            "url": f"https://www.{GAME}/play",
            "kind": "unblock",
            "whole_site": "on",
            "audience": "class",
            "class_group": class6b(cast).pk,
            "duration": "lesson",
            "reason": "Year 6 coding lesson",
        },
    )
    made = FilterRequest.objects.get(school=cast.a)
    assert response.status_code == 302 and response["Location"] == page_of(made)
    assert (made.source, made.kind, made.for_class, made.asked_by) == (
        source,
        RequestKind.UNBLOCK,
        class6b(cast),
        cast.tom,
    )
    shown = text(client.get(page_of(made)))
    assert "games only at certain times" in shown  # what the filter decided then, and why
    assert "Waiting for a decision" in shown and "Approve" not in shown


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"url": LOCKED}, "illegal content can never be requested"),
        ({"url": "not a web address"}, "That is not a web address"),
        ({"audience": "class", "class_group": ""}, "Choose one"),
        ({"duration": "until", "expires": ""}, "Say until when"),
        ({"duration": "until", "expires": "2001-01-01T09:00"}, "That time has passed"),
        ({"reason": ""}, "Say why"),
    ],
)
def test_a_request_the_actions_refuse_is_a_message_on_the_form(
    cast: Cast, running: Northfield, fields: dict[str, str], said: str
) -> None:
    posted = {
        "url": GAME,
        "kind": "unblock",
        "audience": "everyone",
        "duration": "lesson",
        "reason": "For the lesson",
        **fields,
    }
    response = logged_in(cast.tom).post("/requests/new/", posted)
    assert response.status_code == 200
    assert said in text(response)
    assert not FilterRequest.objects.filter(school=cast.a).exists()


def test_a_hostile_address_is_a_message_never_a_traceback_and_nothing_is_kept(
    cast: Cast, running: Northfield
) -> None:
    tom = logged_in(cast.tom)
    for junk in ("x" * 200_000, "http://a b/\x00", "javascript:alert(1)", "http://[::1"):
        page = tom.get("/requests/new/", {"url": junk})
        assert page.status_code == 200 and "<script>alert" not in page.content.decode()
        posted = {"url": junk, "kind": "unblock", "audience": "everyone", "duration": "lesson", "reason": "x"}
        assert tom.post("/requests/new/", posted).status_code in (200, 400)
    assert tom.get("/requests/new/?url=%ff%fe%00.example").status_code == 200  # not UTF-8
    assert not FilterRequest.objects.filter(school=cast.a).exists()


# ---------------------------------------------------------------------------------------------------------
# Deciding


def approve_data(cast: Cast, **fields: object) -> dict[str, object]:
    return {
        "audience": "class",
        "class_group": class6b(cast).pk,
        "duration": "lesson",
        "whole_site": "on",
        "reason": "Fine for the lesson",
        **fields,
    }


def test_the_decider_sees_whom_it_reaches_then_approves_and_the_filter_has_it(
    cast: Cast, running: Northfield
) -> None:
    request = tom_asks(cast)
    olu = logged_in(cast.olu)
    page = text(olu.get(page_of(request)))
    assert "Who it reaches: It reaches 1 person" in page  # amelia, in 6B, by her user name
    # A wider choice, previewed: nothing is approved.
    preview = olu.post(
        page_of(request) + "approve/", {**approve_data(cast, audience="everyone"), "preview": "1"}
    )
    assert preview.status_code == 200 and "Everyone, identified or not, gets it." in text(preview)
    request.refresh_from_db()
    assert request.state == RequestState.NEW and not Grant.objects.exists()

    done = olu.post(page_of(request) + "approve/", approve_data(cast))
    assert done.status_code == 302 and done["Location"] == page_of(request)
    request.refresh_from_db()
    grant = Grant.objects.get(request=request)
    assert request.state == RequestState.APPROVED and request.version is not None
    assert (grant.audience, grant.class_group, grant.domains) == (Audience.CLASS, class6b(cast), [GAME])
    [outcome] = policy_actions.try_url(cast.a, f"http://{GAME}/", user="ks2-amelia", at=timezone.now())
    assert outcome.decision is not None and outcome.decision.verdict.value == "allow"
    shown = text(olu.get(page_of(request)))
    assert f"Version {request.version.number}" in shown and "In force" in shown and "End it now" in shown

    # The requester is told: the home page's panel, until they open it.
    tom = logged_in(cast.tom)
    assert f"Request {request.number} : {GAME}, approved" in text(tom.get("/"))
    assert "Decided: not yet opened" in text(tom.get("/requests/"))
    tom.get(page_of(request))
    request.refresh_from_db()
    assert request.seen_at is not None
    assert "Decided: not yet opened" not in text(tom.get("/requests/"))
    assert f"Request {request.number} :" not in text(tom.get("/"))

    # Ended early: the filter no longer has it.
    assert "Say why it ends early" in text(olu.post(page_of(request) + "end/", {"end-text": ""}))
    ended = olu.post(page_of(request) + "end/", {"end-text": "The lesson was moved"})
    assert ended.status_code == 302
    grant.refresh_from_db()
    assert grant.ended_at is not None and grant.ended_by == cast.olu
    [outcome] = policy_actions.try_url(cast.a, f"http://{GAME}/", user="ks2-amelia", at=timezone.now())
    assert outcome.decision is not None and outcome.decision.verdict.value == "block"


def test_approving_what_the_filter_cannot_carry_is_a_message_and_nothing_is_approved(
    cast: Cast, running: Northfield
) -> None:
    request = tom_asks(cast)
    response = logged_in(cast.olu).post(
        page_of(request) + "approve/", approve_data(cast, duration="until", expires="2001-01-01T09:00")
    )
    assert response.status_code == 200 and "That time has passed" in text(response)
    request.refresh_from_db()
    assert request.state == RequestState.NEW and not Grant.objects.exists()


def test_only_those_the_school_chose_may_decide(cast: Cast, running: Northfield) -> None:
    request = tom_asks(cast)
    row = actions.settings_for(cast.a)
    row.unblock_approvers = Approvers.COORDINATOR
    actions.do_save_settings(row, actor=cast.olu)
    for who in (cast.nina, cast.alice, cast.tom):  # not chosen; oversees only; the requester
        client = logged_in(who)
        assert "Approve" not in text(client.get(page_of(request)))
        for step in ("approve/", "refuse/", "ask/"):
            assert client.post(page_of(request) + step, approve_data(cast)).status_code == 403, (who, step)
    request.refresh_from_db()
    assert request.state == RequestState.NEW


def test_refusing_needs_a_reason_and_tells_the_requester(cast: Cast, running: Northfield) -> None:
    request = tom_asks(cast)
    olu = logged_in(cast.olu)
    empty = olu.post(page_of(request) + "refuse/", {"refuse-text": "  "})
    assert empty.status_code == 200 and "Say why: the person who asked is told" in text(empty)
    assert olu.post(page_of(request) + "refuse/", {"refuse-text": "Use the school's own"}).status_code == 302
    request.refresh_from_db()
    assert (request.state, request.decision_reason) == (RequestState.REFUSED, "Use the school's own")
    shown = text(logged_in(cast.tom).get(page_of(request)))
    assert "Refused" in shown and "Use the school's own" in shown and "Send" not in shown
    # Decided already: a second decision is a message, not an error.
    again = olu.post(page_of(request) + "refuse/", {"refuse-text": "Again"})
    assert again.status_code == 200 and "is refused already" in text(again)


def test_asking_for_more_then_the_requester_answers_or_withdraws(cast: Cast, running: Northfield) -> None:
    request = tom_asks(cast)
    olu, tom = logged_in(cast.olu), logged_in(cast.tom)
    assert olu.post(page_of(request) + "ask/", {"more-text": "Which lesson?"}).status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.MORE
    page = text(tom.get(page_of(request)))
    assert "They asked you for more" in page and "Which lesson?" in page
    # Only the requester answers or withdraws.
    assert olu.post(page_of(request) + "answer/", {"answer-text": "x"}).status_code == 403
    assert olu.post(page_of(request) + "withdraw/").status_code == 403
    assert tom.post(page_of(request) + "answer/", {"answer-text": "Tuesday's"}).status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.NEW
    assert [n.kind for n in request.notes.all()] == [NoteKind.QUESTION, NoteKind.ANSWER]
    assert tom.post(page_of(request) + "withdraw/").status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    again = tom.post(page_of(request) + "withdraw/", follow=True)
    assert "is withdrawn already" in text(again)


# ---------------------------------------------------------------------------------------------------------
# The teachers' own lesson unblock


def test_a_teacher_unblocks_for_their_class_only_when_the_school_allows_it(
    cast: Cast, running: Northfield
) -> None:
    tom = logged_in(cast.tom)
    posted = {"unblock-url": GAME, "unblock-class_group": class6b(cast).pk, "unblock-reason": "Coding"}
    assert "Unblock now for my class" not in text(tom.get("/requests/new/"))
    assert tom.post("/requests/new/unblock/", posted).status_code == 403  # off by default

    olu = logged_in(cast.olu)
    saved = olu.post(
        "/requests/settings/",
        {
            "unblock_approvers": "either",
            "change_approvers": "coordinator",
            "teachers_may_unblock": "on",
            "lesson_minutes": "50",
        },
    )
    assert saved.status_code == 302
    assert tom.post("/requests/new/unblock/", posted).status_code == 403  # teaches no class yet
    assert (
        olu.post(f"/requests/settings/classes/{class6b(cast).pk}/", {"teachers": [cast.tom.pk]}).status_code
        == 302
    )
    assert ClassTeacher.objects.filter(class_group=class6b(cast), teacher=cast.tom).exists()
    assert "tom" in text(olu.get("/requests/settings/"))

    assert "Unblock now for my class for one lesson" in text(tom.get("/requests/new/"))
    refused = tom.post("/requests/new/unblock/", {**posted, "unblock-url": LOCKED})
    assert refused.status_code == 200 and "illegal content can never be requested" in text(refused)
    done = tom.post("/requests/new/unblock/", posted)
    request = FilterRequest.objects.get(school=cast.a, state=RequestState.APPROVED)
    assert done.status_code == 302 and done["Location"] == page_of(request)
    assert request.without_approval and request.source == RequestSource.TEACHER
    grant = Grant.objects.get(request=request)
    assert grant.expires is not None and grant.starts is not None
    assert (grant.expires - grant.starts).total_seconds() == 50 * 60
    # Shown to the DSL on the home page.
    home = text(logged_in(cast.alice).get("/"))
    assert "Lesson unblocks made without approval in the last 7 days" in home
    assert f"Request {request.number} : {GAME} for class 6B by Tom Example" in home


def test_the_settings_refuse_a_lesson_of_no_length(cast: Cast) -> None:
    response = logged_in(cast.olu).post(
        "/requests/settings/",
        {"unblock_approvers": "either", "change_approvers": "either", "lesson_minutes": "0"},
    )
    assert response.status_code == 200 and "Between 5 and 480 minutes" in text(response)


# ---------------------------------------------------------------------------------------------------------
# The home page


def test_those_who_decide_see_the_requests_waiting_on_the_home_page(cast: Cast, running: Northfield) -> None:
    request = tom_asks(cast)
    olu = logged_in(cast.olu)
    for client in (olu, logged_in(cast.nina)):
        home = text(client.get("/"))
        assert "1 request waiting for a decision" in home and f"Request {request.number} : {GAME}" in home
    row = actions.settings_for(cast.a)
    row.unblock_approvers = Approvers.NETWORK_MANAGER
    actions.do_save_settings(row, actor=cast.olu)
    assert "No requests waiting for a decision." in text(olu.get("/"))
    assert "waiting for a decision" not in text(logged_in(cast.tom).get("/"))
