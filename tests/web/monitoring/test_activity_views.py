"""The activity log, the sites visited and a person's timeline: each filter (a row that must show and
one that must not), whose activity each role reads, and the locked list's addresses withheld."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from typing import cast as cast_to
from urllib.parse import urlencode

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.monitoring import filters
from schoolgate.web.monitoring.choices import AlertKind, Subject
from schoolgate.web.monitoring.export import WITHHELD
from schoolgate.web.monitoring.models import ActivityEvent, Alert
from schoolgate.web.people.choices import KeyStage, PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast, group, person, year
from tests.web.monitoring.factories import event, midday, search, visit
from tests.web.pages import logged_in, text

__all__ = ["midday"]  # today at noon, for every test here

ACTIVITY = "/monitoring/activity/"
VISITS = "/monitoring/activity/visits/"
EXPORT_URL = "/monitoring/activity/export/"


def timeline(pk: int, day: dt.date | None = None) -> str:
    return f"/monitoring/activity/person/{pk}/" + (f"?day={day:%Y-%m-%d}" if day else "")


@dataclass
class World:
    amelia: Person
    ben: Person
    search: ActivityEvent
    block: ActivityEvent


@pytest.fixture
def world(cast: Cast) -> World:
    """Amelia (Year 5, 5B) searched a high-risk phrase on a laptop; Ben (Year 2, 2A) was blocked from
    a gambling site on an iPad. Each filter must find one and not the other."""
    y5, y2 = year(cast.a), year(cast.a, "Year 2", KeyStage.KS1, 2)
    amelia = person(cast.a, year_group=y5, class_group=group(cast.a, "5B", y5))
    ben = person(
        cast.a, first_name="Ben", last_name="Okafor", year_group=y2, class_group=group(cast.a, "2A", y2)
    )
    found = search(
        cast.a,
        "how to kill myself",
        person=amelia,
        device="LAPTOP-12",
        group="ks2",
        category="search-engines",
        flag="high",
        flag_area="suicide",
        matches=[
            {"phrase": "kill myself", "area": "suicide", "severity": "high", "why": "the suicide phrase"}
        ],
    )
    blocked = event(
        cast.a,
        person=ben,
        site="bet365.com",
        category="gambling",
        group="ks1",
        device="IPAD-3",
        ip="10.0.0.9",
    )
    return World(amelia, ben, found, blocked)


SEARCH, BLOCK = "how to kill myself", "bet365.com"

# (the address's filters, made from the world) -> the row that shows, the row that must not
FILTERS: list[tuple[str, Callable[[World], dict[str, Any]], str, str]] = [
    ("person by name", lambda w: {"who": "amelia"}, SEARCH, BLOCK),
    ("person by surname", lambda w: {"who": "Okafor"}, BLOCK, SEARCH),
    ("person by user name", lambda w: {"who": "ben"}, BLOCK, SEARCH),
    ("year group", lambda w: {"year": w.amelia.year_group_id}, SEARCH, BLOCK),
    ("class", lambda w: {"class": w.ben.class_group_id}, BLOCK, SEARCH),
    ("policy group", lambda w: {"group": "ks1"}, BLOCK, SEARCH),
    ("device", lambda w: {"device": "laptop"}, SEARCH, BLOCK),
    ("IP address", lambda w: {"device": "10.0.0.9"}, BLOCK, SEARCH),
    ("site", lambda w: {"site": "bet365.com"}, BLOCK, SEARCH),
    ("site and its subdomains", lambda w: {"site": "google.com"}, SEARCH, BLOCK),
    ("category", lambda w: {"category": "gambling"}, BLOCK, SEARCH),
    ("verdict blocked", lambda w: {"verdict": "blocked"}, BLOCK, SEARCH),
    ("verdict allowed", lambda w: {"verdict": "allowed"}, SEARCH, BLOCK),
    ("kind search", lambda w: {"kind": "search"}, SEARCH, BLOCK),
    ("kind blocked", lambda w: {"kind": "blocked"}, BLOCK, SEARCH),
    ("kind flagged", lambda w: {"kind": "flagged"}, SEARCH, BLOCK),
    ("search term", lambda w: {"term": "KILL"}, SEARCH, BLOCK),
]


@pytest.mark.parametrize(("name", "given", "shown", "hidden"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_finds_its_row_and_not_the_other(
    cast: Cast, world: World, name: str, given: Callable[[World], dict[str, Any]], shown: str, hidden: str
) -> None:
    page = text(logged_in(cast.alice).get(ACTIVITY, given(world)))
    assert shown in page and hidden not in page


def test_with_no_filter_both_show_with_what_each_is_in_words(cast: Cast, world: World) -> None:
    page = text(logged_in(cast.alice).get(ACTIVITY))
    assert SEARCH in page and BLOCK in page
    assert "Search Allowed Flagged: high" in page  # words on the badges, not colour alone
    assert "Blocked" in page and "the suicide phrase" in page


def test_the_time_range_defaults_to_today_and_takes_a_range(cast: Cast, world: World) -> None:
    old = timezone.now() - dt.timedelta(days=3)
    search(cast.a, "a search three days ago", person=world.amelia, at=old)
    client = logged_in(cast.alice)
    assert "three days ago" not in text(client.get(ACTIVITY))
    day = timezone.localtime(old).date()
    page = text(
        client.get(ACTIVITY, {"from": f"{day:%Y-%m-%d}", "to": f"{day + dt.timedelta(days=1):%Y-%m-%d}"})
    )
    assert "three days ago" in page and SEARCH not in page


@pytest.mark.parametrize(
    "given",
    [
        {"from": "yesterday", "to": "<script>"},
        {"page": "-1"},
        {"page": "9" * 40},
        {"kind": "everything"},
        {"who": "\x00" * 500},
        {"year": "abc"},
    ],
)
def test_hostile_filters_are_ignored_not_an_error(cast: Cast, world: World, given: dict[str, str]) -> None:
    response = logged_in(cast.alice).get(ACTIVITY, given)
    assert response.status_code == 200


# Times at the ends of what a date holds: a day before or after them cannot be reckoned.
EXTREME_TIMES = [
    {"from": "9999-12-31T23:30"},
    {"from": "9999-12-31"},
    {"to": "0001-01-01T00:00"},
    {"from": "0001-01-01", "to": "0001-01-02"},
]


@pytest.mark.parametrize("given", EXTREME_TIMES)
@pytest.mark.parametrize("url", [ACTIVITY, VISITS, EXPORT_URL])
def test_a_time_at_the_end_of_the_calendar_is_ignored_not_an_error(
    cast: Cast, world: World, url: str, given: dict[str, str]
) -> None:
    response = logged_in(cast.alice).get(url, given)
    assert response.status_code == 200
    if url == ACTIVITY:
        assert SEARCH in text(response)  # today, as with no time given


@pytest.mark.parametrize("given", EXTREME_TIMES)
def test_an_export_of_a_time_at_the_end_of_the_calendar_is_of_today(
    cast: Cast, world: World, given: dict[str, str]
) -> None:
    exported = logged_in(cast.alice).post(f"{EXPORT_URL}?{urlencode(given)}", {"reason": "x"})
    assert isinstance(exported, StreamingHttpResponse)
    assert SEARCH.encode() in b"".join(cast_to(Iterator[bytes], exported.streaming_content))


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_timeline_day_at_the_end_of_the_calendar_shows_today(cast: Cast, world: World, day: str) -> None:
    response = logged_in(cast.alice).get(timeline(world.amelia.pk) + f"?day={day}")
    assert response.status_code == 200 and SEARCH in text(response)


def test_another_schools_year_group_is_not_found(cast: Cast, world: World) -> None:
    theirs = year(cast.b)
    assert logged_in(cast.alice).get(ACTIVITY, {"year": theirs.pk}).status_code == 404


def test_a_name_that_stands_for_too_many_people_is_said(
    cast: Cast, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only PEOPLE_MAX people are looked for by one name: when it names more, the page says so rather
    than quietly showing some of them."""
    monkeypatch.setattr(filters, "PEOPLE_MAX", 1)
    client = logged_in(cast.alice)
    assert "names more than 1 people" in text(client.get(ACTIVITY, {"who": "e"}))  # Amelia and Ben
    assert "names more than" not in text(client.get(ACTIVITY, {"who": "amelia"}))
    assert "names more than 1 people" in text(client.get(EXPORT_URL, {"who": "e"}))


def test_the_keystroke_trail_is_hidden_unless_asked_for(cast: Cast, world: World) -> None:
    search(cast.a, "how to ki", person=world.amelia, superseded=True)
    client = logged_in(cast.alice)
    assert "“how to ki”" not in text(client.get(ACTIVITY))
    assert "“how to ki”" in text(client.get(ACTIVITY, {"trail": "1"}))


def test_the_list_pages_without_counting(cast: Cast, world: World) -> None:
    for i in range(55):
        search(cast.a, f"homework question {i:02d}", person=world.amelia)
    client = logged_in(cast.alice)
    first = text(client.get(ACTIVITY, {"kind": "search"}))
    assert "Older" in first and "Newer" not in first
    second = text(client.get(ACTIVITY, {"kind": "search", "page": "2"}))
    assert "Newer" in second and "Older" not in second
    assert second.count("homework question") + first.count("homework question") == 55


# -- whose activity ------------------------------------------------------------------------------


@pytest.fixture
def staff_search(cast: Cast) -> ActivityEvent:
    teacher = person(cast.a, PersonKind.STAFF, first_name="Ravi", last_name="Patel")
    return search(cast.a, "cheap vodka delivery", person=teacher)


@pytest.mark.parametrize(
    ("username", "sees_staff", "sees_pupils"),
    [("alice", False, True), ("nina", False, True), ("hana", True, True), ("cleo", False, False)],
)
def test_staff_activity_goes_to_the_headteacher_alone(
    cast: Cast, world: World, staff_search: ActivityEvent, username: str, sees_staff: bool, sees_pupils: bool
) -> None:
    page = text(logged_in(cast.users[username]).get(ACTIVITY))
    assert ("cheap vodka delivery" in page) == sees_staff
    assert (SEARCH in page) == sees_pupils


def test_the_teacher_does_not_open_the_log(cast: Cast) -> None:
    assert logged_in(cast.tom).get(ACTIVITY).status_code == 403


def test_a_locked_list_address_is_withheld_but_from_the_dsl(cast: Cast, world: World) -> None:
    event(cast.a, person=world.amelia, site="illegal.example", url="https://illegal.example/abc", locked=True)
    for user, shown in ((cast.alice, True), (cast.nina, False), (cast.hana, False)):
        page = text(logged_in(user).get(ACTIVITY))
        assert ("illegal.example" in page) == shown, user
        assert (WITHHELD in page) == (not shown), user
        assert "Illegal content list" in page


def test_a_locked_attempt_cannot_be_found_by_its_site_without_the_right(cast: Cast, world: World) -> None:
    event(cast.a, person=world.amelia, site="illegal.example", url="https://illegal.example/abc", locked=True)
    assert WITHHELD not in text(logged_in(cast.nina).get(ACTIVITY, {"site": "illegal.example"}))
    assert "illegal.example/abc" in text(logged_in(cast.alice).get(ACTIVITY, {"site": "illegal.example"}))


# -- sites visited ------------------------------------------------------------------------------


def test_sites_visited_filters_by_person_and_site(cast: Cast, world: World) -> None:
    visit(cast.a, person=world.amelia, site="www.bbc.co.uk", requests=12)
    visit(cast.a, person=world.ben, site="www.cbeebies.com")
    client = logged_in(cast.nina)
    page = text(client.get(VISITS, {"who": "Amelia Hughes"}))
    assert "www.bbc.co.uk" in page and "12" in page and "cbeebies" not in page
    page = text(client.get(VISITS, {"site": "cbeebies.com"}))
    assert "cbeebies" in page and "bbc.co.uk" not in page


def test_sites_visited_by_staff_go_to_the_headteacher_alone(cast: Cast) -> None:
    teacher = person(cast.a, PersonKind.STAFF, first_name="Ravi", last_name="Patel")
    visit(cast.a, person=teacher, site="www.staff-only.example")
    assert "staff-only" not in text(logged_in(cast.nina).get(VISITS))
    assert "staff-only" in text(logged_in(cast.hana).get(VISITS))


# -- a person's timeline -------------------------------------------------------------------------


def test_the_timeline_interleaves_a_day_in_order(cast: Cast, world: World) -> None:
    now = timezone.localtime()
    visit(cast.a, person=world.amelia, site="www.bbc.co.uk", hour=world.search.at)
    Alert.objects.create(
        school=cast.a, kind=AlertKind.PHRASE, severity="high", area="suicide",
        title="Search flagged: suicide", person=world.amelia, who="amelia", subject=Subject.PUPIL,
        first_at=world.search.at, last_at=world.search.at, event_count=1,
    )  # fmt: skip
    search(cast.a, "a search the day before", person=world.amelia, at=now - dt.timedelta(days=1))
    client = logged_in(cast.alice)
    page = text(client.get(timeline(world.amelia.pk)))
    assert "Amelia Hughes" in page and "Year 5" in page
    assert page.index("www.bbc.co.uk") < page.index("Search flagged: suicide") < page.index(SEARCH)
    assert "day before" not in page and BLOCK not in page  # Ben's
    yesterday = text(client.get(timeline(world.amelia.pk, now.date() - dt.timedelta(days=1))))
    assert "day before" in yesterday and SEARCH not in yesterday
    # Who read the pupil's day, and which day, is in the audit trail.
    read = AuditEntry.objects.filter(
        action=AuditAction.VIEW, object_type="people.person", object_id=str(world.amelia.pk), actor=cast.alice
    )
    assert read.count() == 2 and read.filter(reason__startswith="activity timeline of").count() == 2


def test_the_alerts_on_a_timeline_link_to_them(cast: Cast, world: World) -> None:
    alert = Alert.objects.create(
        school=cast.a, kind=AlertKind.PHRASE, severity="high", title="Search flagged: suicide",
        person=world.amelia, who="amelia", subject=Subject.PUPIL, first_at=world.search.at,
        last_at=world.search.at,
    )  # fmt: skip
    html = logged_in(cast.alice).get(timeline(world.amelia.pk)).content.decode()
    assert f'href="/monitoring/alerts/{alert.pk}/"' in html


def test_a_staff_timeline_is_the_headteachers_alone(cast: Cast, staff_search: ActivityEvent) -> None:
    assert staff_search.person is not None
    url = timeline(staff_search.person.pk)
    assert logged_in(cast.nina).get(url).status_code == 404
    assert logged_in(cast.alice).get(url).status_code == 404
    assert "cheap vodka delivery" in text(logged_in(cast.hana).get(url))


def test_a_timeline_shows_only_rows_about_whom_the_user_may_read(cast: Cast, world: World) -> None:
    """Rows recorded when the person was someone else (a member of staff then, a pupil's record now)
    keep whom they were about: the network manager reads on the timeline what the log gives them."""
    search(cast.a, "a search recorded as staff", person=world.amelia, subject=Subject.STAFF)
    visit(cast.a, person=world.amelia, site="www.staff-then.example", subject=Subject.STAFF)
    Alert.objects.create(
        school=cast.a, kind=AlertKind.PHRASE, severity="high", title="An alert about staff",
        person=world.amelia, who="amelia", subject=Subject.STAFF, first_at=world.search.at,
        last_at=world.search.at,
    )  # fmt: skip
    for user, sees in ((cast.nina, False), (cast.alice, False), (cast.hana, True)):
        page = text(logged_in(user).get(timeline(world.amelia.pk)))
        assert SEARCH in page, user
        assert ("recorded as staff" in page) == sees and ("staff-then" in page) == sees, user
        assert "An alert about staff" not in page or user == cast.hana, user


def test_another_schools_person_has_no_timeline_here(cast: Cast) -> None:
    theirs = person(cast.b)
    assert logged_in(cast.alice).get(timeline(theirs.pk)).status_code == 404


def test_a_bad_day_shows_today(cast: Cast, world: World) -> None:
    page = text(logged_in(cast.alice).get(timeline(world.amelia.pk) + "?day=31-31-2026"))
    assert SEARCH in page


def test_someone_the_filter_could_not_resolve_is_found_by_their_user_name(cast: Cast, world: World) -> None:
    search(cast.a, "guest network search", user_name="guest.wifi7")
    page = text(logged_in(cast.alice).get(ACTIVITY, {"who": "guest.wifi7"}))
    assert "guest network search" in page and SEARCH not in page and BLOCK not in page


def test_unresolved_visits_are_listed_by_who(cast: Cast) -> None:
    visit(cast.a, who="10.0.0.77", site="www.unresolved.example")
    assert "10.0.0.77" in text(logged_in(cast.nina).get(VISITS))


def test_stored_matches_of_an_unexpected_shape_do_not_break_the_page(cast: Cast) -> None:
    search(cast.a, "odd matches", flag="low", matches=[{"area": "suicide"}, "a string", 5, None])
    response = logged_in(cast.alice).get(ACTIVITY)
    assert response.status_code == 200 and "odd matches" in text(response)
    exported = logged_in(cast.hana).post(EXPORT_URL, {"reason": "x"})
    assert isinstance(exported, StreamingHttpResponse)
    assert b"odd matches" in b"".join(cast_to(Iterator[bytes], exported.streaming_content))
