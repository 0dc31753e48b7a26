"""What the reports' tests share: a fixed day in Autumn 2026, incidents made on given days, closed, an
action of the matrix, a report's table as text, and the words of a page or a PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium  # type: ignore[import-untyped]

from schoolgate.web.filterrequests.models import FilterRequest
from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Outcome, Status
from schoolgate.web.incidents.models import Incident
from schoolgate.web.reports.filtering import Filtering
from schoolgate.web.reports.incidents import GovernorsReport
from schoolgate.web.reports.terms import Season, fixed_term
from schoolgate.web.sanctions import matrix
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import SanctionAction
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast
from tests.web.incidents.make import report

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Autumn 2026; the same term last year: Autumn 2025
AUTUMN_2026 = fixed_term(2026, Season.AUTUMN)
PAGE, PDF = "/reports/governors/", "/reports/governors/pdf/"

# What the log holds about the incidents these tests make, none of which a report may show.
PRIVATE = (
    "Amelia",
    "Hughes",
    "Robert",
    "Patel",
    "Year 5 classroom",
    "class group chat",
    "don't want to come in",
    "Telling them could put",
    "Spoke to both families",
    "CR/2026/0042",
    "PC Jane Smith",
    "Tom Example",
    "Alice Example",
    "Incident 1",
    "coolmathgames",
    "a.teacher",
    "fractions",
)


def on(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=LONDON)


def report_at(
    cast: Cast, when: dt.datetime, n: int = 1, school: School | None = None, **more: Any
) -> list[Incident]:
    school = school or cast.a
    by = cast.tom if school == cast.a else cast.zack
    return [report(school, by, occurred_at=when, **more) for _ in range(n)]


def close(cast: Cast, incident: Incident, outcome: Outcome) -> None:
    actions.do_move(incident, actor=cast.alice, to=Status.TRIAGED)
    actions.do_parents_not_told(incident, actor=cast.alice, reason="Telling them could put the child at risk")
    actions.do_close(
        incident,
        actor=cast.alice,
        outcome=outcome,
        reasons="Spoke to both families",
        not_referred_reason="In school",
    )


def action_of(cast: Cast, key: str) -> SanctionAction:
    matrix.ensure_matrix(cast.a)
    return SanctionAction.objects.get(school=cast.a, applies_to=AppliesTo.PUPILS, key=key)


def cells(result: GovernorsReport | Filtering, name: str) -> dict[str, tuple[str, str]]:
    """A table of the report as {row: (this term, last year)}, the labels shortened to before a colon."""
    rows = getattr(result, name).rows
    return {r.label.split(":")[0]: (r.this.text, r.last.text) for r in rows}


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def requests_at(
    school: School,
    asked: dt.datetime,
    n: int = 1,
    *,
    kind: str = "unblock",
    state: str = "new",
    decided: dt.datetime | None = None,
    own: bool = False,
) -> list[FilterRequest]:
    """`n` filter change requests asked at `asked` (and decided at `decided`), numbered after the
    school's last."""
    last = FilterRequest.objects.filter(school=school).order_by("-number").first()
    start = last.number if last is not None else 0
    return [
        FilterRequest.objects.create(
            school=school, number=start + i + 1, kind=kind, source="request-page", state=state,
            asked_at=asked, asked_by_name="a.teacher", site="coolmathgames.com", decided_at=decided,
            without_approval=own, reason="For the Year 6 maths lesson on fractions",
        )
        for i in range(n)
    ]  # fmt: skip
