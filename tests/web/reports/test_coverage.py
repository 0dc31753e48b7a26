"""Training and agreement coverage in the governors' report: counted by the apps that keep the
records, on the term's last day or today, shown for the term alone, with no name."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from schoolgate.web.agreements.actions import do_accept
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.core.coverage import Coverage
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.reports.coverage import coverage_cell
from schoolgate.web.reports.incidents import build
from schoolgate.web.reports.terms import Season, fixed_term
from tests.web.agreements.conftest import version
from tests.web.factories import Cast, person
from tests.web.pages import logged_in, text
from tests.web.reports.make import AUTUMN_2026, PAGE
from tests.web.training.conftest import attended, course, staff


def test_coverage_cells_say_how_many_of_how_many() -> None:
    assert coverage_cell(Coverage("Prevent", 150, 135)).text == "135 of 150 (90%)"
    assert coverage_cell(Coverage("Prevent", 0, 0)).text == "nobody it is for"
    assert coverage_cell(Coverage("Prevent", 3, 1)).value is None  # never charted


def test_a_line_of_one_or_two_people_is_not_counted() -> None:
    """The only secondary pupil of a primary school, or a course for one member of staff: "0 of 1"
    would say what that person has not done."""
    for people in (1, 2):
        for done in range(people + 1):
            assert coverage_cell(Coverage("Pupils in secondary school", people, done)).text == (
                "fewer than 3 people"
            )
    assert coverage_cell(Coverage("Pupils in secondary school", 3, 0)).text == "0 of 3 (0%)"


def test_the_report_shows_training_and_agreements_for_the_term(cast: Cast) -> None:
    ann, ben = staff(cast.a, "Ann", "Baker"), staff(cast.a, "Ben", "Cole")
    online = course(cast.a, "Online safety")
    attended(ann, online, dt.date(2026, 10, 1))
    attended(ben, online, dt.date(2024, 10, 1))  # overdue
    staff_version = version(cast.a, Audience.STAFF)
    do_accept(ann, staff_version, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice)
    person(cast.a, PersonKind.STAFF, first_name="Cat", last_name="Dunn")

    training, agreements = build(cast.a, AUTUMN_2026).coverage
    assert training.one_column == "On 20 November 2026"  # the term has not ended: today
    assert {r.label: r.this.text for r in training.rows}["Online safety"] == "1 of 3 (33%)"
    assert {r.label: r.this.text for r in agreements.rows} == {Audience.STAFF.label: "1 of 3 (33%)"}
    ended = build(cast.a, fixed_term(2026, Season.SUMMER)).coverage[0]
    assert ended.one_column == "On 31 August 2026"  # an ended term: its last day
    page = text(logged_in(cast.greta).get(PAGE))
    assert "Online safety 1 of 3 (33%)" in page and "On 20 November 2026" in page
    assert "Ann Baker" not in page and "Baker" not in page and "Dunn" not in page
