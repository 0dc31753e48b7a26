"""The monitoring's fixed choices. Severities and areas are the pure core's (`schoolgate.monitoring`);
here they are the database's choices."""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    """How soon a person is told: high at once, medium the same day, low in the weekly report."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Subject(models.TextChoices):
    """Whom an event or alert is about, which decides who may see it (the incident rules): pupils'
    and unidentified users' to the DSL team, staff's to the headteacher, the headteacher's to the chair."""

    PUPIL = "pupil", "Pupil"
    STAFF = "staff", "Member of staff"
    HEADTEACHER = "headteacher", "Headteacher"
    OTHER = "other", "Visitor or other"
    UNKNOWN = "unknown", "Not identified"


class Gateway(models.TextChoices):
    SQUID = "squid", "Web proxy"
    DNS = "dns", "DNS"
    API = "api", "Decision API"
    OTHER = "other", "Other"


class SpoolKind(models.TextChoices):
    EVENTS = "events", "Events"
    REVIEWS = "reviews", "Review requests"


class AlertKind(models.TextChoices):
    PHRASE = "phrase", "Risk phrase searched"
    CATEGORY = "category", "Category with an alert"
    LOCKED = "locked", "Attempt on illegal content"
    CIRCUMVENTION = "circumvention", "Attempt to get round the filter"
    REPEATED = "repeated", "Repeated blocks"
    # The filtering self-test found something not as the school means it (selftest.runner): about no
    # person; told to the DSL as high alerts are and to those who run the self-test (notify.py).
    SELFTEST = "selftest", "Filtering self-test failed"


class AlertState(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISMISSED = "dismissed", "Dismissed"
    INCIDENT = "incident", "Incident opened"


class ReviewState(models.TextChoices):
    NEW = "new", "New"
    SEEN = "seen", "Seen"


class ReviewKind(models.TextChoices):
    """What a pupil sent from the block page (the line's `kind`: `activity.reviews`)."""

    REVIEW = "review", "Asked for a review"
    REPORT = "report", "Said a site should be blocked"


class ReportState(models.TextChoices):
    MADE = "made", "Made, not sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Sending failed"
