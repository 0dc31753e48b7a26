"""Every page of the web application, found from the URL configuration, with the capability its view
asks for: the permission matrix and the accessibility checks go over all of them, so a new page is
covered the day it is added (a page whose address needs an object must be given one in SAMPLES)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.agreements.samples import AGREEMENTS_SAMPLES
from tests.web.annualreview.samples import ANNUALREVIEW_SAMPLES
from tests.web.consent.samples import CONSENT_SAMPLES
from tests.web.devices.samples import DEVICES_SAMPLES
from tests.web.factories import Cast
from tests.web.filterrequests.samples import REQUEST_SAMPLES
from tests.web.incidents.samples import INCIDENT_SAMPLES
from tests.web.monitoring.activity_samples import ACTIVITY_SAMPLES
from tests.web.monitoring.alert_samples import ALERT_SAMPLES
from tests.web.monitoring.report_samples import REPORT_SAMPLES
from tests.web.people.samples import SAMPLES as PEOPLE_SAMPLES
from tests.web.policy.samples import POLICY_SAMPLES
from tests.web.reports.samples import REPORTS_SAMPLES
from tests.web.sanctions.samples import SANCTIONS_SAMPLES
from tests.web.selftest.samples import SELFTEST_SAMPLES
from tests.web.training.samples import TRAINING_SAMPLES

# Pages anyone may open (the login pages); everything else must be a staff_view.
# (accounts:link: a one-time link from an e-mail, its token the only key; tests/web/accounts/test_links.py)
# (consent:link: a parent's one-time consent link from an e-mail, its token the only key;
# tests/web/consent/test_links.py)
PUBLIC = {
    "accounts:login", "accounts:code", "accounts:setup", "accounts:logout", "accounts:link", "consent:link",
}  # fmt: skip

# Pages of one record whose visibility depends on the record as well as the role (an incident: its
# reporter and those who deal with it). The page matrix lets a role that may open the page be told "not
# found" for the sample; tests/web/incidents/test_access.py goes over these record by record.
# A person's activity timeline: the chair of governors reads the headteacher's activity, not a pupil's.
# A filter change request: a teacher opens only their own (tests/web/filterrequests/test_views.py).
# A training certificate: its person opens their own (tests/web/training/test_pages.py).
RECORD_SCOPED_PREFIXES = (
    "incidents:", "monitoring:alert", "monitoring:timeline", "filterrequests:request", "training:certificate",
)  # fmt: skip


def _pupil(cast: Cast, school: Any) -> dict[str, Any]:
    person = Person.objects.filter(school=school, kind=PersonKind.PUPIL).first()
    if person is None:
        person = Person.objects.create(
            school=school, kind=PersonKind.PUPIL, first_name="Sample", last_name="Pupil"
        )
    return {"pk": person.pk}


# url name -> the address's arguments for an object of `school` (made if needed).
def _login(cast: Cast, school: Any) -> dict[str, Any]:
    """A new teacher's login at `school` (the pages may change it)."""
    from schoolgate.web.accounts.choices import Role
    from tests.web.factories import make_user

    count = len(cast.users)
    user = make_user(f"sample{count}", school, Role.TEACHER)
    cast.users[user.username] = user
    return {"pk": user.pk}


SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    "people:detail": _pupil,
    "accounts:staff-detail": _login,
    "accounts:staff-reset": _login,
    "accounts:staff-person": _login,
}
SAMPLES.update(PEOPLE_SAMPLES)
SAMPLES.update(POLICY_SAMPLES)
SAMPLES.update(INCIDENT_SAMPLES)
SAMPLES.update(SANCTIONS_SAMPLES)
SAMPLES.update(REPORT_SAMPLES)
SAMPLES.update(ALERT_SAMPLES)
SAMPLES.update(ACTIVITY_SAMPLES)
SAMPLES.update(SELFTEST_SAMPLES)
SAMPLES.update(REQUEST_SAMPLES)
SAMPLES.update(AGREEMENTS_SAMPLES)
SAMPLES.update(CONSENT_SAMPLES)
SAMPLES.update(DEVICES_SAMPLES)
SAMPLES.update(TRAINING_SAMPLES)
SAMPLES.update(ANNUALREVIEW_SAMPLES)
SAMPLES.update(REPORTS_SAMPLES)

# Addresses that answer with a file, not a page (nothing for axe to look at).
FILES = {
    "incidents:evidence-file", "reports:governors-pdf", "monitoring:report-pdf", "annualreview:pdf",
    "training:certificate",
}  # fmt: skip

# Pages whose address names no school's object (a table of the sanctions matrix, by its name).
# A shipped risk phrase's page (the same phrase at every school).
NOT_OBJECTS = {"sanctions:edit", "monitoring:phrase"}


@dataclass(frozen=True)
class Page:
    name: str
    view: Callable[..., Any]
    has_args: bool

    @property
    def capabilities(self) -> tuple[Capability, ...] | None:
        """What the page needs (any one of), or None for any staff member."""
        return getattr(self.view, "staff_capability", None)

    def opens_for(self, capabilities: frozenset[Capability]) -> bool:
        return self.capabilities is None or any(c in capabilities for c in self.capabilities)

    @property
    def is_staff_view(self) -> bool:
        return bool(getattr(self.view, "staff_view", False))

    def url(self, cast: Cast, school: Any) -> str:
        if not self.has_args:
            return reverse(self.name)
        if self.name not in SAMPLES:
            raise AssertionError(f"{self.name}: add an entry to tests/web/sitemap.py SAMPLES for it")
        return reverse(self.name, kwargs=SAMPLES[self.name](cast, school))


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[Page]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield Page(f"{namespace}{entry.name}", entry.callback, bool(entry.pattern.regex.groups))


def every_page() -> list[Page]:
    return sorted(_walk(get_resolver().url_patterns), key=lambda p: p.name)
