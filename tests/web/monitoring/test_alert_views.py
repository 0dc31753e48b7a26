"""The alert inbox and an alert's page: order and filters, who sees which alert and which address, the
person's activity around it, and the buttons (acknowledge, dismiss with a reason, one-click incident)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from schoolgate.web.incidents.models import Incident
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Subject
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.people.choices import PersonKind
from tests.web.factories import Cast, group, person, year
from tests.web.monitoring.alert_samples import pupil_alert
from tests.web.monitoring.factories import event, search, visit
from tests.web.pages import logged_in, text
from tests.web.viewtests import StaffObjectPageTests, StaffPageTests


class TestInbox(StaffPageTests):
    url_name = "monitoring:alerts"


class TestAlertPage(StaffObjectPageTests):
    url_name = "monitoring:alert"


class TestDismissPage(StaffObjectPageTests):
    url_name = "monitoring:alert-dismiss"


@pytest.fixture
def amelia(cast: Cast) -> Any:
    y5 = year(cast.a)
    return person(
        cast.a, first_name="Amelia", last_name="Hughes", year_group=y5, class_group=group(cast.a, "5B", y5)
    )


def _locked(cast: Cast, who: Any) -> Alert:
    row = event(cast.a, person=who, locked=True, reason="locked-list", category="child-abuse", source="iwf",
                site="evidence.example", url="https://evidence.example/secret-path")  # fmt: skip
    title = "Attempt to reach content on the illegal-content list"
    alert = pupil_alert(
        cast.a, person=who, kind=AlertKind.LOCKED, area="", title=title, explanation="An attempt"
    )
    row.alert = alert
    row.save(update_fields=["alert"])
    return alert


def test_the_inbox_puts_new_and_severe_first(cast: Cast, amelia: Any) -> None:
    now = timezone.now()
    older_high = pupil_alert(cast.a, person=amelia, last_at=now - dt.timedelta(hours=2), title="Older high")
    low = pupil_alert(cast.a, person=amelia, severity="low", title="Newest low")
    seen = pupil_alert(cast.a, person=amelia, state=AlertState.ACKNOWLEDGED, title="Seen high")
    newer_high = pupil_alert(cast.a, person=amelia, last_at=now, title="Newer high")
    page = text(logged_in(cast.alice).get("/monitoring/alerts/"))
    order = [page.index(f"Alert {a.pk} ") for a in (newer_high, older_high, low, seen)]
    assert order == sorted(order)
    assert "Amelia Hughes" in page and "Year 5, 5B" in page and "LAPTOP-12" in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?severity=low", {"low"}),
        ("?state=acknowledged", {"seen"}),
        ("?state=open", {"high", "low", "seen"}),
        ("?kind=locked", set()),
        ("?kind=phrase&severity=high&state=new", {"high"}),
        ("?severity=nonsense", {"high", "low", "seen", "dismissed"}),
    ],
)
def test_filters(cast: Cast, amelia: Any, query: str, shown: set[str]) -> None:
    alerts = {
        "high": pupil_alert(cast.a, person=amelia),
        "low": pupil_alert(cast.a, person=amelia, severity="low"),
        "seen": pupil_alert(cast.a, person=amelia, state=AlertState.ACKNOWLEDGED),
        "dismissed": pupil_alert(cast.a, person=amelia, state=AlertState.DISMISSED),
    }
    page = text(logged_in(cast.alice).get("/monitoring/alerts/" + query))
    assert {name for name, a in alerts.items() if f"Alert {a.pk} " in page} == shown


def test_staff_alerts_are_the_headteachers_and_pupil_alerts_the_dsl_teams(cast: Cast, amelia: Any) -> None:
    pupils = pupil_alert(cast.a, person=amelia)
    teacher = person(cast.a, kind=PersonKind.STAFF, first_name="Tom", last_name="Reid")
    staff = pupil_alert(cast.a, person=teacher, subject=Subject.STAFF)
    head = logged_in(cast.hana)
    page = text(head.get("/monitoring/alerts/"))
    assert f"Alert {staff.pk} " in page and f"Alert {pupils.pk} " not in page
    assert head.get(f"/monitoring/alerts/{pupils.pk}/").status_code == 404
    dsl = logged_in(cast.alice)
    assert dsl.get(f"/monitoring/alerts/{staff.pk}/").status_code == 404
    assert f"Alert {staff.pk} " not in text(dsl.get("/monitoring/alerts/"))


def test_the_locked_address_is_shown_to_the_dsl_alone(cast: Cast, amelia: Any) -> None:
    alert = _locked(cast, amelia)
    for user, sees in ((cast.alice, True), (cast.dara, False), (cast.olu, False)):
        client = logged_in(user)
        for url in ("/monitoring/alerts/", f"/monitoring/alerts/{alert.pk}/"):
            page = client.get(url).content.decode()
            assert ("secret-path" in page) is sees, (user, url)
            assert ("evidence.example" in page) is sees, (user, url)


def test_a_locked_search_is_the_dsls_alone_in_the_alert_and_around_it(cast: Cast, amelia: Any) -> None:
    # A locked list may hold a search address: its term says what the address says, so it is withheld
    # as the address is, among the alert's events and in the person's activity around another alert.
    alert = _locked(cast, amelia)
    locked_search: dict[str, Any] = {
        "locked": True, "reason": "locked-list", "category": "child-abuse", "source": "iwf",
        "blocked": True, "engine": "google", "site": "www.google.com",
    }  # fmt: skip
    event(cast.a, person=amelia, term="first secret words", alert=alert, **locked_search)
    other = pupil_alert(cast.a, person=amelia)
    at = other.first_at - dt.timedelta(minutes=5)
    event(cast.a, person=amelia, term="second secret words", at=at, **locked_search)
    for user, sees in ((cast.alice, True), (cast.dara, False)):
        client = logged_in(user)
        page = text(client.get(f"/monitoring/alerts/{alert.pk}/"))
        assert ("first secret words" in page) is sees, user
        page = text(client.get(f"/monitoring/alerts/{other.pk}/"))
        assert "Your roles do not open" not in page
        assert ("second secret words" in page) is sees, user
        assert ("An address on the illegal-content list" in page) is not sees, user


def test_the_alert_page_shows_what_happened_and_the_activity_around_it(cast: Cast, amelia: Any) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    search(cast.a, "volcano facts", person=amelia, at=alert.first_at - dt.timedelta(minutes=10))
    search(cast.a, "long ago", person=amelia, at=alert.first_at - dt.timedelta(hours=3))
    visit(cast.a, person=amelia, hour=alert.first_at, site="www.bbc.co.uk")
    page = text(logged_in(cast.alice).get(f"/monitoring/alerts/{alert.pk}/"))
    assert "how to kill myself" in page and "kill myself (suicide, high)" in page
    assert "Amelia Hughes" in page and "10.0.0.5" in page and "LAPTOP-12" in page
    assert "volcano facts" in page and "www.bbc.co.uk" in page
    assert "long ago" not in page
    # The coordinator deals with pupil alerts but does not read the activity log.
    page = text(logged_in(cast.olu).get(f"/monitoring/alerts/{alert.pk}/"))
    assert "Your roles do not open this person's activity log" in page and "volcano facts" not in page


def test_acknowledge_and_dismiss_from_the_page(cast: Cast, amelia: Any) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    client = logged_in(cast.dara)
    response = client.post(f"/monitoring/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    response = client.post(f"/monitoring/alerts/{alert.pk}/dismiss/", {"reason": "  "})
    assert response.status_code == 200 and "Why is it dismissed?" in text(response)
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    response = client.post(f"/monitoring/alerts/{alert.pk}/dismiss/", {"reason": "A lesson on e-safety"})
    assert response.status_code == 302 and response["Location"] == f"/monitoring/alerts/{alert.pk}/"
    alert.refresh_from_db()
    assert (alert.state, alert.dismiss_reason) == (AlertState.DISMISSED, "A lesson on e-safety")
    page = text(client.get(f"/monitoring/alerts/{alert.pk}/"))
    assert "A lesson on e-safety" in page and "Open an incident" not in page


def test_one_click_opens_the_incident_which_links_back(cast: Cast, amelia: Any) -> None:
    alert = pupil_alert(cast.a, person=amelia)
    client = logged_in(cast.alice)
    assert "Open an incident" in text(client.get(f"/monitoring/alerts/{alert.pk}/"))
    response = client.post(f"/monitoring/alerts/{alert.pk}/incident/")
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.reference}/"
    page = client.get(response["Location"])
    assert f"Raised from alert {alert.pk}" in text(page)
    assert f'href="/monitoring/alerts/{alert.pk}/"' in page.content.decode()
    again = client.post(f"/monitoring/alerts/{alert.pk}/incident/", follow=True)
    assert "already" in text(again) and Incident.objects.count() == 1


def test_a_notification_problem_shows_in_the_inbox(cast: Cast, amelia: Any) -> None:
    pupil_alert(
        cast.a, person=amelia, notify_problem="e-mail could not be sent to 2 of 2: the mail server said no"
    )
    page = text(logged_in(cast.alice).get("/monitoring/alerts/"))
    assert "e-mail could not be sent to 2 of 2" in page
