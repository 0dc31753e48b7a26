"""The governors' report's page: the counts and nothing that names anyone, for the governors and the
chair, a term chosen by the address, and the same few queries however many incidents."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Agency, Outcome
from schoolgate.web.incidents.models import Incident
from schoolgate.web.reports.models import SchoolTerm
from tests.web.factories import Cast
from tests.web.pages import logged_in, text
from tests.web.reports.make import PAGE, PDF, PRIVATE, action_of, close, on, pdf_text, report_at


def test_the_page_shows_the_counts_and_nothing_that_names_anyone(cast: Cast, logged: list[Incident]) -> None:
    response = logged_in(cast.greta).get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "Online safety: report to governors" in page and "Northfield Primary" in page
    assert "Autumn 2026" in page and "Autumn 2025 (same term last year)" in page
    assert "Incidents about pupils 4 0" in page
    assert "Warning 1 0" in page
    assert "Police 1 0" in page
    assert "Concerns about members of staff fewer than 3 0" in page
    assert 'href="/reports/governors/pdf/?term=autumn-2026"' in response.content.decode()
    found = [word for word in (*PRIVATE, *(i.reference for i in logged)) if word in page]
    assert not found, found


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
    report_at(cast, on(2026, 5, 5), 3)
    client = logged_in(cast.greta)
    page = text(client.get(PAGE, {"term": "summer-2026"}))
    assert "Summer 2026 (1 April 2026 to 31 August 2026)" in page and "Summer 2025" in page
    assert "Incidents about pupils 3 0" in page
    response = client.get(PDF, {"term": "summer-2026"})
    assert response["Content-Disposition"].endswith(
        'filename="online-safety-governors-report-summer-2026.pdf"'
    )
    assert "Summer 2026" in pdf_text(response.content)

    page = text(client.get(PAGE, {"term": "winter-2026"}))
    assert (
        "There is no term called “winter-2026”: this is the report for the current term, Autumn 2026" in page
    )
    assert "Autumn 2026 (1 September 2026 to 31 December 2026)" in page
    page = text(client.get(PAGE, {"term": "spring-2027"}))
    assert "Spring 2027 has not started yet" in page
    response = client.get(PDF, {"term": "nonsense"})
    assert response["Content-Disposition"].endswith(
        'filename="online-safety-governors-report-autumn-2026.pdf"'
    )
    assert '<option value="autumn-2026" selected>Autumn 2026</option>' in client.get(PAGE).content.decode()


def _more(cast: Cast, n: int) -> None:
    parents, warning = action_of(cast, "parents"), action_of(cast, "warning")
    for i, incident in enumerate(report_at(cast, on(2026, 10, 5), n) + report_at(cast, on(2025, 10, 5), n)):
        actions.do_take_action(incident, actor=cast.alice, action=parents)
        actions.do_take_action(incident, actor=cast.alice, action=warning)
        actions.do_refer(incident, actor=cast.alice, agency=list(Agency)[i % len(Agency)])
        if i % 2:
            close(cast, incident, list(Outcome)[i % len(Outcome)])


# The session, the user, the OTP device, the roles, the schools; the report's eleven (the school's
# terms, the incidents grouped, the actions taken, the referrals, the filter change requests by kind,
# the alerts, how far the blocks are counted by day, the day counts, the blocks since, the self-test
# runs and their failed checks) and the coverage's six (the training app's and the agreements app's),
# whatever the number of records; the session saved (a savepoint, the update, its release).
QUERIES = 25


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


def test_the_office_keeps_the_term_dates_and_the_report_counts_by_them(cast: Cast) -> None:
    office, governor = logged_in(cast.omar), logged_in(cast.greta)
    page = text(office.get("/reports/terms/"))
    assert "No terms are entered yet, so the report uses fixed terms" in page
    assert "Term dates" in text(office.get("/"))  # in the office's menu: it does not read the report
    response = office.post(
        "/reports/terms/", {"name": "Autumn 2026", "first": "2026-09-03", "last": "2026-12-18"}
    )
    assert response.status_code == 302
    refused = text(
        office.post("/reports/terms/", {"name": "Half term", "first": "03/12/2026", "last": "2026-12-05"})
    )
    assert "These dates overlap Autumn 2026" in refused
    office.post("/reports/terms/", {"name": "Autumn 2025", "first": "2025-09-04", "last": "2025-12-19"})
    autumn = SchoolTerm.objects.get(school=cast.a, name="Autumn 2026")
    report_at(cast, on(2026, 9, 2), 3)  # before the school's term began: not in it
    report_at(cast, on(2026, 9, 3), 4)
    report_at(cast, on(2025, 9, 10), 5)
    page = text(governor.get(PAGE))
    assert "Autumn 2026 (3 September 2026 to 18 December 2026)" in page
    assert "Autumn 2025 (4 September 2025 to 19 December 2025" in page
    assert "Incidents about pupils 4 5" in page and "the school's own term dates" in page

    changed = office.post(
        f"/reports/terms/{autumn.pk}/", {"name": "Autumn 2026", "first": "2026-09-01", "last": "2026-12-18"}
    )
    assert changed.status_code == 302
    assert "Incidents about pupils 7 5" in text(governor.get(PAGE))
    assert "Say why" in text(office.post(f"/reports/terms/{autumn.pk}/", {"archive": "1", "reason": " "}))
    office.post(f"/reports/terms/{autumn.pk}/", {"archive": "1", "reason": "Entered by mistake"})
    assert office.get(f"/reports/terms/{autumn.pk}/").status_code == 404  # out of the list, kept
    assert SchoolTerm.objects.get(pk=autumn.pk).archive_reason == "Entered by mistake"

    theirs = SchoolTerm.objects.create(
        school=cast.b, name="Autumn 2026", first=autumn.first, last=autumn.last
    )
    assert office.get(f"/reports/terms/{theirs.pk}/").status_code == 404
    assert logged_in(cast.tom).get("/reports/terms/").status_code == 403
    assert governor.post("/reports/terms/", {"name": "X 2027"}).status_code == 403
