"""What people do with an alert (monitoring.actions): acknowledge, dismiss with a reason, make an
incident in one step; each checks the actor's right itself and is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.incidents.choices import IncidentKind, IncidentType, RiskArea
from schoolgate.web.incidents.choices import Role as PartRole
from schoolgate.web.incidents.models import Incident
from schoolgate.web.monitoring import actions
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Subject
from schoolgate.web.monitoring.models import Alert
from schoolgate.web.people.choices import PersonKind
from tests.web.factories import Cast, group, person, year
from tests.web.monitoring.alert_samples import pupil_alert
from tests.web.monitoring.factories import event


@pytest.fixture
def alert(cast: Cast) -> Alert:
    y5 = year(cast.a)
    amelia = person(
        cast.a, first_name="Amelia", last_name="Hughes", year_group=y5, class_group=group(cast.a, "5B", y5)
    )
    return pupil_alert(cast.a, person=amelia)


def test_acknowledge(cast: Cast, alert: Alert) -> None:
    actions.do_acknowledge(alert, actor=cast.dara)
    alert.refresh_from_db()
    assert (alert.state, alert.handled_by) == (AlertState.ACKNOWLEDGED, cast.dara)
    entry = AuditEntry.objects.filter(object_type="monitoring.alert").latest("id")
    assert entry.actor == cast.dara
    with pytest.raises(ValidationError):
        actions.do_acknowledge(alert, actor=cast.dara)


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_dismissing_needs_a_reason(cast: Cast, alert: Alert, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.do_dismiss(alert, actor=cast.alice, reason=reason)
    assert "reason" in refused.value.message_dict
    alert.refresh_from_db()
    assert alert.state == AlertState.NEW


def test_dismiss_keeps_the_reason(cast: Cast, alert: Alert) -> None:
    actions.do_dismiss(alert, actor=cast.alice, reason="  A lesson on   Macbeth  ")
    alert.refresh_from_db()
    assert (alert.state, alert.dismiss_reason, alert.handled_by) == (
        "dismissed",
        "A lesson on Macbeth",
        cast.alice,
    )
    with pytest.raises(ValidationError):
        actions.do_dismiss(alert, actor=cast.alice, reason="again")


def test_an_action_on_a_page_read_before_another_one_does_not_undo_it(cast: Cast, alert: Alert) -> None:
    # Two people had the alert's page open: one opened an incident, and the worker added events since.
    seen_by_dara = Alert.objects.get(pk=alert.pk)
    seen_by_olu = Alert.objects.get(pk=alert.pk)
    incident = actions.do_open_incident(alert, actor=cast.alice)
    Alert.objects.filter(pk=alert.pk).update(event_count=7)
    with pytest.raises(ValidationError):
        actions.do_dismiss(seen_by_dara, actor=cast.dara, reason="A lesson on e-safety")
    with pytest.raises(ValidationError):
        actions.do_acknowledge(seen_by_olu, actor=cast.olu)
    alert.refresh_from_db()
    assert (alert.state, alert.incident, alert.handled_by) == (AlertState.INCIDENT, incident, cast.alice)
    assert (alert.dismiss_reason, alert.event_count) == ("", 7)


def test_acknowledging_keeps_the_events_the_worker_added_since(cast: Cast, alert: Alert) -> None:
    page = Alert.objects.get(pk=alert.pk)
    Alert.objects.filter(pk=alert.pk).update(event_count=9, severity="high")
    actions.do_acknowledge(page, actor=cast.dara)
    alert.refresh_from_db()
    assert (alert.state, alert.event_count) == (AlertState.ACKNOWLEDGED, 9)


@pytest.mark.parametrize("who", ["tom", "hana", "cleo", "nina", "greta", "zack"])
def test_those_whose_roles_do_not_open_pupil_alerts_are_refused(cast: Cast, alert: Alert, who: str) -> None:
    user = cast.users[who]
    for act in (
        lambda: actions.do_acknowledge(alert, actor=user),
        lambda: actions.do_dismiss(alert, actor=user, reason="no"),
        lambda: actions.do_open_incident(alert, actor=user),
    ):
        with pytest.raises(PermissionDenied):
            act()
    alert.refresh_from_db()
    assert alert.state == AlertState.NEW and not Incident.objects.exists()


def test_staff_alerts_are_the_headteachers(cast: Cast) -> None:
    teacher = person(cast.a, kind=PersonKind.STAFF, first_name="Tom", last_name="Reid")
    staff_alert = pupil_alert(cast.a, person=teacher, subject=Subject.STAFF)
    with pytest.raises(PermissionDenied):
        actions.do_acknowledge(staff_alert, actor=cast.alice)
    incident = actions.do_open_incident(staff_alert, actor=cast.hana)
    assert incident.kind == IncidentKind.STAFF and not incident.concerns_headteacher


def test_one_step_makes_a_prefilled_incident_linked_both_ways(cast: Cast, alert: Alert) -> None:
    incident = actions.do_open_incident(alert, actor=cast.alice)
    alert.refresh_from_db()
    assert (alert.state, alert.incident, alert.handled_by) == (AlertState.INCIDENT, incident, cast.alice)
    assert list(Alert.objects.filter(incident=incident)) == [alert]
    assert incident.kind == IncidentKind.PUPIL
    assert (incident.risk_area, incident.incident_type) == (RiskArea.CONTENT, IncidentType.SELF_HARM)
    assert incident.restricted  # self-harm: the DSL and deputies
    assert incident.occurred_at == alert.first_at
    assert "LAPTOP-12" in incident.location and alert.ip in incident.location
    assert (
        '"how to kill myself"' in incident.what_happened
        and "kill myself (suicide, high)" in incident.what_happened
    )
    assert "Amelia Hughes" in incident.what_happened
    subject = incident.involvements.get(role=PartRole.SUBJECT)
    assert subject.person == alert.person
    evidence = incident.evidence.get()
    assert f"/monitoring/alerts/{alert.pk}/" in evidence.description
    with pytest.raises(ValidationError):
        actions.do_open_incident(alert, actor=cast.alice)
    assert Incident.objects.count() == 1


def test_a_locked_alert_takes_the_illegal_content_route_without_the_address(cast: Cast) -> None:
    amelia = person(cast.a, first_name="Amelia", last_name="Hughes")
    row = event(cast.a, person=amelia, locked=True, reason="locked-list", category="child-abuse",
                source="iwf", site="evidence.example", url="https://evidence.example/secret")  # fmt: skip
    locked = pupil_alert(cast.a, person=amelia, kind=AlertKind.LOCKED, area="", title="Attempt",
                         explanation="An attempt")  # fmt: skip
    row.alert = locked
    row.save(update_fields=["alert"])
    incident = actions.do_open_incident(locked, actor=cast.alice)
    assert incident.illegal_content == "csam" and incident.restricted
    assert "illegal-content list" in incident.what_happened
    assert "evidence.example" not in incident.what_happened and "secret" not in incident.what_happened
    assert "kill myself" not in incident.what_happened
    assert not incident.evidence.exists()  # the route keeps nothing


@pytest.mark.parametrize(
    ("kind", "area", "expected"),
    [
        ("phrase", "grooming", (RiskArea.CONTACT, IncidentType.GROOMING)),
        ("phrase", "bullying", (RiskArea.CONDUCT, IncidentType.CYBERBULLYING)),
        ("phrase", "extremism", (RiskArea.CONTENT, IncidentType.RADICALISATION)),
        ("phrase", "gambling", (RiskArea.COMMERCE, IncidentType.HARMFUL_CONTENT)),
        ("phrase", "an area of the future", (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT)),
        ("circumvention", "", (RiskArea.CONDUCT, IncidentType.FILTER_BYPASS)),
        ("repeated", "", (RiskArea.CONDUCT, IncidentType.MISUSE)),
        ("category", "", (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT)),
    ],
)
def test_incident_type_mapping(kind: str, area: str, expected: tuple[RiskArea, IncidentType]) -> None:
    assert actions.incident_type_of(Alert(kind=kind, area=area)) == expected
