"""The governors' report: terms, the counts for a term against the same term last year, small numbers
hidden so that no table gives one away, nothing that names anyone, the page and the PDF, who may open
them, and a pinned number of queries."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from schoolgate.web.incidents import actions, matrix
from schoolgate.web.incidents.choices import (
    Agency,
    AppliesTo,
    IncidentKind,
    IncidentType,
    Outcome,
    RiskArea,
    Status,
)
from schoolgate.web.incidents.models import Incident, SanctionAction
from schoolgate.web.incidents.report import (
    FEWER,
    NOT_SHOWN,
    GovernorsReport,
    Season,
    Term,
    build,
    parse_term,
    protect,
    recent_terms,
    shown,
    term_of,
)
from schoolgate.web.tenancy.models import School
from tests.web.cast import Cast, logged_in
from tests.web.incidents.make import person, report

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Autumn 2026; the same term last year: Autumn 2025
AUTUMN_2026 = Term(2026, Season.AUTUMN)
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
)


@pytest.fixture(autouse=True)
def autumn() -> Iterator[None]:
    with time_machine.travel(NOW):
        yield


def on(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=LONDON)


def _report(
    cast: Cast, when: dt.datetime, n: int = 1, school: School | None = None, **more: Any
) -> list[Incident]:
    school = school or cast.a
    by = cast.tom if school == cast.a else cast.zack
    return [report(school, by, occurred_at=when, **more) for _ in range(n)]


def _close(cast: Cast, incident: Incident, outcome: Outcome) -> None:
    actions.do_move(incident, cast.alice, Status.TRIAGED)
    actions.do_parents_not_told(incident, cast.alice, "Telling them could put the child at risk")
    actions.do_close(
        incident,
        cast.alice,
        outcome=outcome,
        reasons="Spoke to both families",
        not_referred_reason="In school",
    )


def _action(cast: Cast, key: str) -> SanctionAction:
    matrix.ensure_matrix(cast.a)
    return SanctionAction.objects.get(school=cast.a, applies_to=AppliesTo.PUPILS, key=key)


def _cells(result: GovernorsReport, name: str) -> dict[str, tuple[str, str]]:
    """A table of the report as {row: (this term, last year)}, the labels shortened to before a colon."""
    rows = getattr(result, name).rows
    return {r.label.split(":")[0]: (r.this.text, r.last.text) for r in rows}


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _page_text(response: Any) -> str:
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(page).split())


# ---------------------------------------------------------------------------------------------------------
# Terms


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 9, 1), "Autumn 2026"),
        (dt.date(2026, 12, 31), "Autumn 2026"),
        (dt.date(2027, 1, 1), "Spring 2027"),
        (dt.date(2027, 3, 31), "Spring 2027"),
        (dt.date(2027, 4, 1), "Summer 2027"),
        (dt.date(2027, 8, 31), "Summer 2027"),
    ],
)
def test_every_day_is_in_one_term_of_the_school_year(day: dt.date, name: str) -> None:
    term = term_of(day)
    assert term.name == name
    assert term.start <= day <= term.end
    assert parse_term(term.slug) == term


def test_a_term_knows_its_days_the_same_term_last_year_and_the_terms_before_it() -> None:
    spring = Term(2027, Season.SPRING)
    assert (spring.start, spring.end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert spring.previous_year() == Term(2026, Season.SPRING)
    assert spring.slug == "spring-2027"
    assert [t.name for t in recent_terms(dt.date(2026, 11, 20), 4)] == [
        "Autumn 2026",
        "Summer 2026",
        "Spring 2026",
        "Autumn 2025",
    ]
    # Summer starts at midnight in London, which is 23:00 the day before in UTC (British Summer Time).
    start, end = Term(2026, Season.SUMMER).bounds(LONDON)
    assert start.astimezone(UTC) == dt.datetime(2026, 3, 31, 23, tzinfo=UTC)
    assert end.astimezone(UTC) == dt.datetime(2026, 8, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize("slug", ["", "winter-2026", "autumn-26", "autumn", "2026-autumn", "autumn-1999"])
def test_a_slug_that_is_not_a_term_is_refused(slug: str) -> None:
    with pytest.raises(ValueError, match="not a term"):
        parse_term(slug)


# ---------------------------------------------------------------------------------------------------------
# Small numbers


@pytest.mark.parametrize(("n", "text"), [(0, "0"), (1, FEWER), (2, FEWER), (3, "3"), (1234, "1,234")])
def test_counts_under_3_are_shown_as_fewer_than_3(n: int, text: str) -> None:
    assert shown(n) == text


@pytest.mark.parametrize(
    ("counts", "texts"),
    [
        ([5, 4, 0, 3], ["5", "4", "0", "3"]),  # nothing small: all shown
        ([5, 1, 7, 4], ["5", FEWER, "7", NOT_SHOWN]),  # one more hidden: the last of 3 or more
        ([6, 0, 2, 0], ["not shown", "0", FEWER, "0"]),
        ([1, 2, 2, 0], [FEWER, FEWER, FEWER, "0"]),  # 5 in three: each could be 1 or 2
        ([1, 3, 0, 0], [NOT_SHOWN] * 4),  # 1 and 3 hidden, adding up to 4: they could only be 1 and 3
        ([1, 1, 0, 0], [NOT_SHOWN] * 4),  # both must be 1
        ([0, 2, 0, 0], [NOT_SHOWN] * 4),  # a total under 3
        ([0, 0, 0, 0], ["0"] * 4),
    ],
)
def test_a_small_count_in_a_table_with_a_total_is_hidden_with_another(
    counts: list[int], texts: list[str]
) -> None:
    assert [c.text for c in protect(counts)] == texts
    assert [c.value for c in protect(counts)] == [int(t) if t.isdigit() else None for t in texts]


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


@pytest.mark.parametrize(("rows", "most"), [(4, 18), (5, 12), (7, 9), (10, 7)])  # the report's tables
def test_no_count_under_3_can_be_worked_out_by_someone_who_knows_the_rule_and_the_total(
    rows: int, most: int
) -> None:
    """Every column of `rows` counts adding up to `most` or less: among all the columns a reader cannot
    tell apart (same total, same cells shown), any cell that is 1 or 2 in one of them could be another
    value too. The reader knows the rule, so this covers what the choice of hidden cells says."""
    leaks = []
    for total in range(most + 1):
        alike: dict[tuple[str, ...], list[tuple[int, ...]]] = {}
        for column in _compositions(total, rows):
            alike.setdefault(tuple(c.text for c in protect(column)), []).append(column)
        for texts, columns in alike.items():
            for i in range(rows):
                could_be = {column[i] for column in columns}
                if could_be & {1, 2} and len(could_be) < 2:
                    leaks.append(f"total {total}: {texts} can only be {columns}")
    assert not leaks, "\n".join(leaks[:10])


# ---------------------------------------------------------------------------------------------------------
# The counts


def test_it_counts_a_term_against_the_same_term_last_year(cast: Cast) -> None:
    parents = _action(cast, "parents")
    # Autumn 2026: 3 cyberbullying, closed; 4 of harmful content, open, 3 of them referred.
    for incident in _report(cast, on(2026, 10, 5), 3):
        actions.do_take_action(incident, cast.alice, parents)
        _close(cast, incident, Outcome.RESOLVED)
    content = _report(
        cast, on(2026, 9, 1, 0), 4, incident_type=IncidentType.HARMFUL_CONTENT, risk_area=RiskArea.CONTENT
    )
    for incident in content[:3]:
        actions.do_refer(incident, cast.alice, agency=Agency.SOCIAL_CARE)
    actions.do_archive(_report(cast, on(2026, 10, 6))[0], cast.alice, "Raised twice by mistake")
    # Autumn 2025: 5 closed that term; 3 reported and closed only now (so open at the end of that term).
    with time_machine.travel(dt.datetime(2025, 12, 10, 12, tzinfo=UTC)):
        for incident in _report(cast, on(2025, 11, 3), 5):
            _close(cast, incident, Outcome.NO_FURTHER_ACTION)
    late = _report(  # the term's last hour
        cast, on(2025, 12, 31, 23), 3, incident_type=IncidentType.SELF_HARM, risk_area=RiskArea.CONTENT
    )
    for incident in late:
        _close(cast, incident, Outcome.EARLY_HELP)
    # Neither term: Spring 2026, and just before Autumn 2026 began in London (23:30 BST on 31 August).
    _report(cast, on(2026, 2, 2), 3, incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT)
    _report(cast, dt.datetime(2026, 8, 31, 22, 30, tzinfo=UTC), 3)

    result = build(cast.a, AUTUMN_2026)
    assert (result.term.name, result.last.name, result.ended) == ("Autumn 2026", "Autumn 2025", False)
    assert (result.pupils.this.text, result.pupils.last.text) == ("7", "8")
    assert (result.staff.this.text, result.staff.last.text) == ("0", "0")
    assert (result.still_open.this.text, result.still_open.last.text) == ("4", "3")
    assert _cells(result, "areas") == {
        "Content": ("4", "3"),
        "Contact": ("0", "0"),
        "Conduct": ("3", "5"),
        "Commerce": ("0", "0"),
    }
    types = _cells(result, "types")
    assert types["Cyberbullying"] == ("3", "5")
    assert types["Harmful content"] == ("4", "0")
    assert types["Self-harm"] == ("0", "3")
    assert types["Grooming"] == ("0", "0")
    outcomes = _cells(result, "outcomes")
    assert outcomes["Still open now (last year"] == ("4", "3")
    assert outcomes["Resolved in school"] == ("3", "0")
    assert outcomes["No further action"] == ("0", "5")
    assert outcomes["Early help or support put in place"] == ("0", "0")  # closed after that term ended
    assert _cells(result, "actions") == {"Inform parents / carers": ("3", "0")}
    assert _cells(result, "referrals")["Children's social care"] == ("3", "0")
    assert _cells(result, "referrals")["Police"] == ("0", "0")

    last_year = build(cast.a, Term(2025, Season.AUTUMN))
    assert last_year.ended and (last_year.pupils.this.text, last_year.still_open.this.text) == ("8", "3")
    assert _cells(last_year, "outcomes")["Still open at the end of the term"] == ("3", "0")


def test_small_numbers_are_hidden_and_cannot_be_worked_out_from_the_totals(cast: Cast) -> None:
    _report(cast, on(2026, 10, 5), 5)  # cyberbullying, conduct
    _report(cast, on(2026, 10, 6), incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT)
    _report(
        cast,
        on(2026, 10, 7),
        kind=IncidentKind.STAFF,
        incident_type=IncidentType.DATA_PROTECTION,
        risk_area=RiskArea.COMMERCE,
    )
    result = build(cast.a, AUTUMN_2026)
    assert result.pupils.this.text == "6"
    assert result.staff.this.text == FEWER
    areas = _cells(result, "areas")
    # The lone small count (contact: 1) and the last count of 3 or more (conduct: 5) are hidden: with
    # the total, 6, they could be 1 and 5, or 2 and 4.
    assert areas == {
        "Content": ("0", "0"),
        "Contact": (FEWER, "0"),
        "Conduct": (NOT_SHOWN, "0"),
        "Commerce": ("0", "0"),  # the concern about a member of staff is in no table
    }
    types = _cells(result, "types")
    assert types["Grooming"] == (FEWER, "0") and types["Cyberbullying"] == (NOT_SHOWN, "0")
    assert types["Data protection"] == ("0", "0")
    assert all(
        r.this.value is None for b in (result.areas, result.types) for r in b.rows if r.this.text != "0"
    )
    assert _cells(result, "outcomes")["Still open now (last year"] == ("6", "0")  # all of them: no secret

    page = logged_in(cast.greta).get(PAGE).content.decode()
    assert re.search(r'<th scope="row">Contact[^<]*</th><td>fewer than 3</td>', page)
    assert re.search(r'<th scope="row">Conduct[^<]*</th><td>not shown</td>', page)
    assert re.search(r'<th scope="row">Concerns about members of staff</th><td>fewer than 3</td>', page)


def test_a_column_that_would_give_its_small_numbers_away_is_not_shown_at_all(cast: Cast) -> None:
    _report(cast, on(2026, 10, 5), 3)
    _report(cast, on(2026, 10, 6), incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT)
    result = build(cast.a, AUTUMN_2026)
    assert result.pupils.this.text == "4"
    assert {this for this, _ in _cells(result, "areas").values()} == {NOT_SHOWN}
    assert {this for this, _ in _cells(result, "types").values()} == {NOT_SHOWN}


def test_another_schools_incidents_are_never_counted(cast: Cast) -> None:
    _report(cast, on(2026, 10, 5), 4, school=cast.b)
    _report(cast, on(2026, 10, 5), 3)
    assert build(cast.a, AUTUMN_2026).pupils.this.text == "3"
    assert build(cast.b, AUTUMN_2026).pupils.this.text == "4"
    page = _page_text(logged_in(cast.greta).get(PAGE))
    assert "Incidents about pupils Autumn 2026 3 0" not in page  # the first table is the summary
    assert "Incidents about pupils 3 0" in page


# ---------------------------------------------------------------------------------------------------------
# The page and the PDF


@pytest.fixture
def logged(cast: Cast) -> list[Incident]:
    """Incidents with everything the log keeps about them: names, what happened, the child's words,
    reasons, notes, a referral's reference and contact."""
    pupil = person(cast.a, "Amelia", "Hughes")
    made = _report(cast, on(2026, 10, 5), 4, subject=pupil)
    actions.do_take_action(made[0], cast.alice, _action(cast, "warning"), notes="Amelia Hughes was warned")
    actions.do_refer(
        made[1], cast.alice, agency=Agency.POLICE, reference="CR/2026/0042", contact="PC Jane Smith",
        notes="Amelia Hughes's mother asked for it",
    )  # fmt: skip
    _close(cast, made[2], Outcome.RESOLVED)
    actions.do_note(made[3], cast.alice, "Amelia Hughes said it started in the class group chat")
    _report(cast, on(2026, 10, 6), kind=IncidentKind.STAFF)  # about Robert Patel
    return made


def test_the_page_shows_the_counts_and_nothing_that_names_anyone(cast: Cast, logged: list[Incident]) -> None:
    response = logged_in(cast.greta).get(PAGE)
    assert response.status_code == 200
    page = _page_text(response)
    assert "Online safety: report to governors" in page and "Northfield Primary" in page
    assert "Autumn 2026" in page and "Autumn 2025 (same term last year)" in page
    assert "Incidents about pupils 4 0" in page
    assert "Warning fewer than 3 0" in page
    assert "Police fewer than 3 0" in page
    assert "Concerns about members of staff fewer than 3 0" in page
    assert 'href="/reports/governors/pdf/?term=autumn-2026"' in response.content.decode()
    found = [word for word in (*PRIVATE, *(i.reference for i in logged)) if word in page]
    assert not found, found


def test_the_pdf_renders_with_the_counts_and_nothing_that_names_anyone(
    cast: Cast, logged: list[Incident], tmp_path: Path
) -> None:
    response = logged_in(cast.greta).get(PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="online-safety-governors-report-autumn-2026.pdf"'
    )
    data = response.content
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert "Online safety: report to governors" in text and "Northfield Primary" in text
    assert "Autumn 2026" in text and "Autumn 2025" in text
    assert "fewer than 3" in text and "Areas of risk" in text and "Types of incident" in text
    found = [word for word in (*PRIVATE, *(i.reference for i in logged)) if word in text]
    assert not found, found

    document = pdfium.PdfDocument(data)
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    image.save(tmp_path / "governors-page-1.png")
    width, height = image.size
    assert (round(width / 10), round(height / 10)) == (60, 84)  # A4, 595 by 842 points
    colours = image.getcolors(maxcolors=width * height) or []
    inked = sum(n for n, (r, g, b) in colours if min(r, g, b) < 200)
    assert inked / (width * height) > 0.01, f"the first page is (nearly) blank: {inked} pixels not white"
    bars = sum(n for n, (r, g, b) in colours if b > 150 and r < 80)  # this term's bars are blue
    assert bars > 100, "no chart on the first page"


def test_the_governors_and_the_chair_may_open_the_report_and_a_teacher_may_not(cast: Cast) -> None:
    for user in (cast.greta, cast.cleo, cast.alice):
        client = logged_in(user)
        assert client.get(PAGE).status_code == 200, user
        assert client.get(PDF).status_code == 200, user
        assert client.post(PAGE).status_code == 405, user
    tom = logged_in(cast.tom)
    assert tom.get(PAGE).status_code == 403
    assert tom.get(PDF).status_code == 403


def test_a_term_is_chosen_by_the_address_and_a_wrong_one_shows_the_current_term(cast: Cast) -> None:
    _report(cast, on(2026, 5, 5), 3)
    client = logged_in(cast.greta)
    page = _page_text(client.get(PAGE, {"term": "summer-2026"}))
    assert "Summer 2026 (1 April 2026 to 31 August 2026)" in page and "Summer 2025" in page
    assert "Incidents about pupils 3 0" in page
    response = client.get(PDF, {"term": "summer-2026"})
    assert response["Content-Disposition"].endswith(
        'filename="online-safety-governors-report-summer-2026.pdf"'
    )
    assert "Summer 2026" in _pdf_text(response.content)

    page = _page_text(client.get(PAGE, {"term": "winter-2026"}))
    assert (
        "There is no term called “winter-2026”: this is the report for the current term, Autumn 2026" in page
    )
    assert "Autumn 2026 (1 September 2026 to 31 December 2026)" in page
    page = _page_text(client.get(PAGE, {"term": "spring-2027"}))
    assert "Spring 2027 has not started yet" in page
    response = client.get(PDF, {"term": "nonsense"})
    assert response["Content-Disposition"].endswith(
        'filename="online-safety-governors-report-autumn-2026.pdf"'
    )
    assert '<option value="autumn-2026" selected>Autumn 2026</option>' in client.get(PAGE).content.decode()


def _more(cast: Cast, n: int) -> None:
    parents, warning = _action(cast, "parents"), _action(cast, "warning")
    for i, incident in enumerate(_report(cast, on(2026, 10, 5), n) + _report(cast, on(2025, 10, 5), n)):
        actions.do_take_action(incident, cast.alice, parents)
        actions.do_take_action(incident, cast.alice, warning)
        actions.do_refer(incident, cast.alice, agency=list(Agency)[i % len(Agency)])
        if i % 2:
            _close(cast, incident, list(Outcome)[i % len(Outcome)])


# The session, the user, the OTP device, the roles, the schools; the report's three (the incidents
# grouped, the actions taken, the referrals), whatever the number of incidents; the session saved (a
# savepoint, the update, its release).
QUERIES = 11


def test_the_page_asks_the_same_few_queries_however_many_incidents(
    cast: Cast, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _more(cast, 2)
    client = logged_in(cast.greta)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    _more(cast, 8)
    with django_assert_max_num_queries(QUERIES), CaptureQueriesContext(connection) as many:
        assert client.get(PAGE).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
