"""Monitoring: the alert inbox, the activity log, review requests, risk phrases and weekly reports.

Each part has its own views and URL module (`urls_alerts`, `urls_activity`, `urls_reports`); the
sections below are the one list of them."""

from __future__ import annotations

from typing import ClassVar

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.nav import NavApp, NavItem

# Who sees alerts: the incident rules (monitoring.access).
ALERT_READERS = (Capability.INCIDENT_MANAGE, Capability.ALLEGATIONS, Capability.ALLEGATIONS_HEAD)
ACTIVITY_READERS = (Capability.ACTIVITY_VIEW, Capability.ALLEGATIONS, Capability.ALLEGATIONS_HEAD)
# The weekly report: read by the DSL team; governors see that each was sent and read.
REPORT_READERS = (Capability.INCIDENT_MANAGE, Capability.ALLEGATIONS, Capability.GOVERNORS_REPORT)
# Who may read what a report says: the DSL team (pupils' alerts) and the headteacher (staff's); the
# other REPORT_READERS open the register of reports only.
REPORT_CONTENT = (Capability.INCIDENT_MANAGE, Capability.ALLEGATIONS, Capability.ALLEGATIONS_HEAD)
CHECKERS = (Capability.ACTIVITY_VIEW, Capability.PHRASES_CHANGE, Capability.POLICY_VIEW)

SECTIONS_LABEL = "Monitoring"
SECTIONS: tuple[NavItem, ...] = (
    NavItem("Alerts", "monitoring:alerts", ALERT_READERS, pages=("monitoring:alert",)),
    NavItem(
        "Activity log",
        "monitoring:activity",
        ACTIVITY_READERS,
        pages=("monitoring:activity", "monitoring:timeline"),
    ),
    NavItem("Review requests", "monitoring:reviews", Capability.REVIEWS_VIEW, pages=("monitoring:review",)),
    NavItem("Risk phrases", "monitoring:phrases", Capability.PHRASES_CHANGE, pages=("monitoring:phrase",)),
    NavItem("Check a search or phrase", "monitoring:check", CHECKERS),
    NavItem("Weekly reports", "monitoring:reports", REPORT_READERS, pages=("monitoring:report",)),
    NavItem("Settings", "monitoring:settings", Capability.MONITORING_SETTINGS),
)


class MonitoringConfig(NavApp):
    name = "schoolgate.web.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    menu: ClassVar[tuple[NavItem, ...]] = (
        NavItem("Alerts", "monitoring:alerts", ALERT_READERS, pages=("monitoring:",), order=5),
        NavItem(
            "Monitoring",
            "monitoring:activity",
            (*ACTIVITY_READERS[:1], Capability.REVIEWS_VIEW, Capability.PHRASES_CHANGE),
            shown=lambda user, school: not any(user.can(c, school) for c in ALERT_READERS),
            pages=("monitoring:",),
            order=6,
        ),
    )
    sections_label: ClassVar[str] = SECTIONS_LABEL
    sections: ClassVar[tuple[NavItem, ...]] = SECTIONS
