"""What people do with an alert: acknowledge it, dismiss it with a reason, or make it an incident.

Each action checks inside itself that the actor may act on the alert (`access.alert_subjects`: the
incident rules, by whom the alert is about), raising PermissionDenied, and refuses bad input with
ValidationError; each runs in one transaction and is written to the audit trail (`Alert` is audited)
with the actor, through `core.actions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from schoolgate.web.core.actions import REASON_MAX, acting, clean_reason, save
from schoolgate.web.incidents import actions as incident_actions
from schoolgate.web.incidents.choices import (
    EventKind,
    EvidenceKind,
    IllegalContent,
    IncidentKind,
    IncidentType,
    RiskArea,
)
from schoolgate.web.incidents.choices import Role as PartRole
from schoolgate.web.incidents.models import Event as IncidentEvent
from schoolgate.web.incidents.models import Evidence, Incident
from schoolgate.web.monitoring import access
from schoolgate.web.monitoring.choices import AlertKind, AlertState, Subject
from schoolgate.web.monitoring.models import ActivityEvent, Alert

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User

__all__ = ["OPEN", "do_acknowledge", "do_dismiss", "do_open_incident", "incident_type_of", "require_alert"]

# The states in which an alert still waits for someone: acknowledging, dismissing or making an incident
# of it is for these; one dismissed or made an incident is done.
OPEN = frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED})

# A risk phrase's area -> the incident's area of risk (KCSIE's four) and type. Searching for a way to
# harm oneself, for extremist or sexual material, weapons, drugs or hate is harmful *content* sought; a
# search about being groomed is *contact*, about bullying *conduct*, about gambling *commerce*.
# The types that are safeguarding matters (self-harm, grooming, radicalisation) start restricted to the
# DSL and deputies, as any such incident reported by hand.
AREA_TO_INCIDENT: dict[str, tuple[RiskArea, IncidentType]] = {
    "suicide": (RiskArea.CONTENT, IncidentType.SELF_HARM),
    "self_harm": (RiskArea.CONTENT, IncidentType.SELF_HARM),
    "grooming": (RiskArea.CONTACT, IncidentType.GROOMING),
    "sexual": (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    "bullying": (RiskArea.CONDUCT, IncidentType.CYBERBULLYING),
    "extremism": (RiskArea.CONTENT, IncidentType.RADICALISATION),
    "hate": (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    "weapons": (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    "violence": (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    "drugs": (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    "gambling": (RiskArea.COMMERCE, IncidentType.HARMFUL_CONTENT),
}
# The other kinds of alert: a category with an alert level and an attempt on illegal content are harmful
# content; getting round the filter is a filter bypass, repeated blocks misuse of school systems (both
# conduct).
KIND_TO_INCIDENT: dict[str, tuple[RiskArea, IncidentType]] = {
    AlertKind.CATEGORY: (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    AlertKind.LOCKED: (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
    AlertKind.CIRCUMVENTION: (RiskArea.CONDUCT, IncidentType.FILTER_BYPASS),
    AlertKind.REPEATED: (RiskArea.CONDUCT, IncidentType.MISUSE),
    AlertKind.PHRASE: (RiskArea.CONTENT, IncidentType.HARMFUL_CONTENT),
}
# The locked lists of child sexual abuse material (the seed policy's "child-abuse" category, from the
# IWF list); any other locked list (terrorism) is "other illegal content".
CSAM_CATEGORIES = frozenset({"child-abuse", "csam"})
CSAM_SOURCES = frozenset({"iwf"})

EVENTS_SUMMARISED = 20  # what_happened lists at most this many of the alert's events


def incident_type_of(alert: Alert) -> tuple[RiskArea, IncidentType]:
    """The incident's area of risk and type for an alert: by the phrase's area for a risk phrase
    (`AREA_TO_INCIDENT`), by the alert's kind otherwise (`KIND_TO_INCIDENT`)."""
    if alert.kind == AlertKind.PHRASE and alert.area in AREA_TO_INCIDENT:
        return AREA_TO_INCIDENT[alert.area]
    return KIND_TO_INCIDENT.get(alert.kind, (RiskArea.CONTENT, IncidentType.OTHER))


def require_alert(actor: User, alert: Alert) -> None:
    """`actor` may see and act on `alert`: their roles at its school open alerts about its subject."""
    if not actor.is_authenticated or alert.subject not in access.alert_subjects(actor, alert.school):
        raise PermissionDenied(f"{actor} may not act on alerts about this person")


def _current(alert: Alert) -> None:
    """Read `alert` again, locked until the transaction ends: of two people acting on it at once the
    second sees what the first did (an incident opened, a dismissal) instead of saving over it, and a
    change saves the events the worker has added to it since the page was read, not an older count."""
    alert.refresh_from_db(from_queryset=Alert.objects.select_for_update())


def _require_open(alert: Alert) -> None:
    if alert.state not in OPEN:
        raise ValidationError(f"This alert is {alert.get_state_display().lower()} already")


def do_acknowledge(alert: Alert, *, actor: User) -> Alert:
    """Someone has seen the alert and is looking into it."""
    require_alert(actor, alert)
    with transaction.atomic():
        _current(alert)
        if alert.state != AlertState.NEW:
            raise ValidationError(f"This alert is {alert.get_state_display().lower()} already")
        alert.state = AlertState.ACKNOWLEDGED
        alert.handled_by = actor
        alert.handled_at = timezone.now()
        save(alert, actor=actor, reason="acknowledged")
    return alert


def do_dismiss(alert: Alert, *, actor: User, reason: str) -> Alert:
    """Nothing to do: the reason says why (a false alarm, a lesson on the subject, ...)."""
    require_alert(actor, alert)
    why = clean_reason(reason, required="Say why it is dismissed")
    with transaction.atomic():
        _current(alert)
        _require_open(alert)
        alert.state = AlertState.DISMISSED
        alert.dismiss_reason = why[:REASON_MAX]
        alert.handled_by = actor
        alert.handled_at = timezone.now()
        save(alert, actor=actor, reason="dismissed")
    return alert


def link_to(alert: Alert) -> str:
    """The alert's page, as an absolute address where the server knows its own (`SITE_URL`)."""
    path = reverse("monitoring:alert", kwargs={"pk": alert.pk})
    return f"{settings.SITE_URL.rstrip('/')}{path}" if settings.SITE_URL else path


def _location(alert: Alert) -> str:
    parts = []
    if alert.device:
        parts.append(f"device {alert.device}")
    if alert.ip:
        parts.append(f"IP address {alert.ip}")
    return ("Online, school network: " + ", ".join(parts)) if parts else "Online, school network"


def _who(alert: Alert) -> str:
    if alert.person is not None:
        return alert.person.full_name
    if alert.who:
        return f"the user {alert.who} (not identified on the school's records)"
    return "a user the filter could not identify"


def _line(event: ActivityEvent) -> str:
    when = timezone.localtime(event.at).strftime("%H:%M:%S")
    if event.term:
        engine = f" on {event.engine}" if event.engine else ""
        text = f'{when}: searched "{event.term}"{engine}'
        matches = [m for m in event.matches if isinstance(m, dict)] if isinstance(event.matches, list) else []
        if matches:
            said = "; ".join(
                f"{m.get('phrase', '')} ({m.get('area', '')}, {m.get('severity', '')})"
                + (f": {m['why']}" if m.get("why") else "")
                for m in matches[:3]
            )
            text += f". Matched: {said}"
        return text
    verdict = "blocked" if event.blocked else "visited"
    category = f" ({event.category})" if event.category else ""
    return f"{when}: {verdict} {event.site or 'a site'}{category}"


def _what_happened(alert: Alert) -> str:
    """A plain summary for the incident. For an attempt on a locked list, only that there was one: the
    address is the DSL's evidence for the police, not the incident's text."""
    head = (
        f"Raised by the filter's monitoring (alert {alert.pk}, {alert.get_severity_display().lower()}): "
        f"{alert.get_kind_display().lower()}, by {_who(alert)}, "
        f"{timezone.localtime(alert.first_at):%-d %B %Y %H:%M}"
    )
    if alert.first_at != alert.last_at:
        head += f" to {timezone.localtime(alert.last_at):%H:%M}"
    head += "."
    if alert.kind == AlertKind.LOCKED:
        count = alert.event_count
        return (
            f"{head}\n\nAn attempt to reach content on the illegal-content list"
            + (f" ({count} attempts)" if count > 1 else "")
            + ". The filter blocked it. Nobody should look for the content: follow the illegal-content "
            "steps."
        )
    lines = [_line(e) for e in alert.events.order_by("at", "pk")[:EVENTS_SUMMARISED]]
    more = alert.event_count - len(lines)
    body = "\n".join(lines) + (f"\n… and {more} more (on the alert's page)" if more > 0 else "")
    return f"{head}\n\n{alert.explanation}\n\n{body}".strip()


def do_open_incident(alert: Alert, *, actor: User) -> Incident:
    """Make the alert an incident of the online safety log, in one step, pre-filled: the person as its
    subject (a pupil, or the member of staff for an alert about staff, which goes to the headteacher or,
    about the headteacher, to the chair: the log's own rules), when it happened (the first event), the
    area of risk and type (`incident_type_of`), where (device and address), what happened (the terms,
    sites, categories, the phrases and why) and a link back to the alert as evidence. For an attempt on
    a locked list, the incident takes the illegal-content route (nothing captured, not even that link;
    the address stays on the alert, for the DSL alone). Reporting needs `incidents.report`, as any
    incident does."""
    require_alert(actor, alert)
    _require_open(alert)
    risk_area, incident_type = incident_type_of(alert)
    staff = alert.subject in (Subject.STAFF, Subject.HEADTEACHER)
    illegal = ""
    if alert.kind == AlertKind.LOCKED:
        first = alert.events.order_by("at", "pk").first()
        csam = first is not None and (
            first.category in CSAM_CATEGORIES or first.source.split("/")[0] in CSAM_SOURCES
        )
        illegal = IllegalContent.CSAM if csam else IllegalContent.OTHER
    people: tuple[incident_actions.Party, ...] = ()
    if alert.person is not None:
        people = (incident_actions.Party(PartRole.SUBJECT, person=alert.person),)
    report = incident_actions.Report(
        kind=IncidentKind.STAFF if staff else IncidentKind.PUPIL,
        risk_area=risk_area,
        incident_type=incident_type,
        occurred_at=alert.first_at,
        location=_location(alert)[:200],
        what_happened=_what_happened(alert),
        illegal_content=illegal,
        concerns_headteacher=alert.subject == Subject.HEADTEACHER,
        people=people,
    )
    with transaction.atomic():
        _current(alert)
        _require_open(alert)
        incident = incident_actions.do_report(alert.school, actor=actor, report=report)
        if not incident.illegal:
            with acting(actor):
                evidence = Evidence(
                    school_id=incident.school_id, incident=incident, kind=EvidenceKind.DESCRIPTION,
                    added_by=actor, description=f"Raised from Schoolgate alert {alert.pk}: {link_to(alert)}",
                )  # fmt: skip
                evidence.save()
                IncidentEvent.objects.create(
                    school_id=incident.school_id, incident=incident, by=actor, kind=EventKind.EVIDENCE,
                    text=f"Raised from alert {alert.pk}",
                )  # fmt: skip
        alert.state = AlertState.INCIDENT
        alert.incident = incident
        alert.handled_by = actor
        alert.handled_at = timezone.now()
        save(alert, actor=actor, reason=f"made {incident}")
    return incident
