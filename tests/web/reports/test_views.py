"""The governors' report's page: the counts and nothing that names anyone, for the governors and the
chair, a term chosen by the address, and the same few queries however many incidents."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Agency, Outcome
from schoolgate.web.incidents.models import Incident
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
    assert "Warning fewer than 3 0" in page
    assert "Police fewer than 3 0" in page
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


# The session, the user, the OTP device, the roles, the schools; the report's four (the incidents
# grouped, the actions taken, the referrals, the filter change requests by kind), whatever the number
# of incidents; the session saved (a savepoint, the update, its release).
QUERIES = 12


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
