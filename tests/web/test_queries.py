"""Queries per page, pinned: a page that starts asking the database once per row fails here."""

from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.pages import logged_in

# Every page: the session, the user, the OTP device, the user's roles, the schools; then the page's
# own queries; then the session saved again (a savepoint, the update, its release).
PAGES = {
    # + the roles at this school; for the DSL, the changes to safeguarding roles and their names, and the
    # schools added to the trust (the cast's two) with their first logins; the monitoring's panel: the new
    # alerts by severity, the workers, the latest weekly report (and the high alerts, when there are any);
    # the requests' panel: the user's own requests decided and not yet opened, teachers' own unblocks;
    # the agreement's panel (the version in force, the user's acceptance) and the annual review's
    "/": 21,
    "/audit/": 11,  # + the count, the page of entries, the kinds of record
}


def _people(cast: Cast, n: int) -> None:
    with acting_as(cast.nina):
        for i in range(n):
            Person.objects.create(school=cast.a, kind=PersonKind.PUPIL, first_name=f"P{i}", last_name=f"L{i}")


@pytest.mark.parametrize(("url", "queries"), sorted(PAGES.items()))
@pytest.mark.parametrize("rows", [2, 30])
def test_a_page_asks_the_same_number_of_queries_however_many_rows(
    cast: Cast, django_assert_num_queries: DjangoAssertNumQueries, url: str, queries: int, rows: int
) -> None:
    _people(cast, rows)
    client = logged_in(cast.alice)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
