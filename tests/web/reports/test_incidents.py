"""The online safety log counted for the governors: a term against the same term last year, small
numbers hidden, and only the school's own incidents."""

from __future__ import annotations

import datetime as dt
import re

import time_machine

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Agency, IncidentKind, IncidentType, Outcome, RiskArea
from schoolgate.web.reports.counts import FEWER
from schoolgate.web.reports.incidents import build
from schoolgate.web.reports.terms import Season, fixed_term
from tests.web.factories import Cast
from tests.web.pages import logged_in, text
from tests.web.reports.make import AUTUMN_2026, PAGE, UTC, action_of, cells, close, on, report_at, requests_at


def test_it_counts_a_term_against_the_same_term_last_year(cast: Cast) -> None:
    parents = action_of(cast, "parents")
    # Autumn 2026: 3 cyberbullying, closed; 4 of harmful content, open, 3 of them referred.
    for incident in report_at(cast, on(2026, 10, 5), 3):
        actions.do_take_action(incident, actor=cast.alice, action=parents)
        close(cast, incident, Outcome.RESOLVED)
    content = report_at(
        cast, on(2026, 9, 1, 0), 4, incident_type=IncidentType.HARMFUL_CONTENT, risk_area=RiskArea.CONTENT
    )
    for incident in content[:3]:
        actions.do_refer(incident, actor=cast.alice, agency=Agency.SOCIAL_CARE)
    actions.do_archive(
        report_at(cast, on(2026, 10, 6))[0], actor=cast.alice, reason="Raised twice by mistake"
    )
    # Autumn 2025: 5 closed that term; 3 reported and closed only now (so open at the end of that term).
    with time_machine.travel(dt.datetime(2025, 12, 10, 12, tzinfo=UTC)):
        for incident in report_at(cast, on(2025, 11, 3), 5):
            close(cast, incident, Outcome.NO_FURTHER_ACTION)
    late = report_at(  # the term's last hour
        cast, on(2025, 12, 31, 23), 3, incident_type=IncidentType.SELF_HARM, risk_area=RiskArea.CONTENT
    )
    for incident in late:
        close(cast, incident, Outcome.EARLY_HELP)
    # Neither term: Spring 2026, and just before Autumn 2026 began in London (23:30 BST on 31 August).
    report_at(cast, on(2026, 2, 2), 3, incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT)
    report_at(cast, dt.datetime(2026, 8, 31, 22, 30, tzinfo=UTC), 3)

    result = build(cast.a, AUTUMN_2026)
    assert (result.term.name, result.last.name, result.ended) == ("Autumn 2026", "Autumn 2025", False)
    assert (result.pupils.this.text, result.pupils.last.text) == ("7", "8")
    assert (result.staff.this.text, result.staff.last.text) == ("0", "0")
    assert (result.still_open.this.text, result.still_open.last.text) == ("4", "3")
    assert cells(result, "areas") == {
        "Content": ("4", "3"),
        "Contact": ("0", "0"),
        "Conduct": ("3", "5"),
        "Commerce": ("0", "0"),
    }
    types = cells(result, "types")
    assert types["Cyberbullying"] == ("3", "5")
    assert types["Harmful content"] == ("4", "0")
    assert types["Self-harm"] == ("0", "3")
    assert types["Grooming"] == ("0", "0")
    outcomes = cells(result, "outcomes")
    assert outcomes["Still open now (last year"] == ("4", "3")
    assert outcomes["Resolved in school"] == ("3", "0")
    assert outcomes["No further action"] == ("0", "5")
    assert outcomes["Early help or support put in place"] == ("0", "0")  # closed after that term ended
    assert cells(result, "actions") == {"Inform parents / carers": ("3", "0")}
    assert cells(result, "referrals")["Children's social care"] == ("3", "0")
    assert cells(result, "referrals")["Police"] == ("0", "0")

    last_year = build(cast.a, fixed_term(2025, Season.AUTUMN))
    assert last_year.ended and (last_year.pupils.this.text, last_year.still_open.this.text) == ("8", "3")
    assert cells(last_year, "outcomes")["Still open at the end of the term"] == ("3", "0")


def test_small_numbers_are_shown_and_a_concern_about_staff_is_only_a_total(cast: Cast) -> None:
    report_at(cast, on(2026, 10, 5), 5)  # cyberbullying, conduct
    report_at(cast, on(2026, 10, 6), incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT)
    report_at(
        cast,
        on(2026, 10, 7),
        kind=IncidentKind.STAFF,
        incident_type=IncidentType.DATA_PROTECTION,
        risk_area=RiskArea.COMMERCE,
    )
    result = build(cast.a, AUTUMN_2026)
    assert result.pupils.this.text == "6"
    assert (result.staff.this.text, result.staff.this.value) == (FEWER, None)
    assert cells(result, "areas") == {
        "Content": ("0", "0"),
        "Contact": ("1", "0"),
        "Conduct": ("5", "0"),
        "Commerce": ("0", "0"),  # the concern about a member of staff is in no table
    }
    types = cells(result, "types")
    assert types["Grooming"] == ("1", "0") and types["Cyberbullying"] == ("5", "0")
    assert types["Data protection"] == ("0", "0")
    assert cells(result, "outcomes")["Still open now (last year"] == ("6", "0")

    page = logged_in(cast.greta).get(PAGE).content.decode()
    assert re.search(r'<th scope="row">Contact[^<]*</th><td[^>]*>1</td>', page)
    assert re.search(r'<th scope="row">Concerns about members of staff</th><td[^>]*>fewer than 3</td>', page)


def test_another_schools_incidents_are_never_counted(cast: Cast) -> None:
    report_at(cast, on(2026, 10, 5), 4, school=cast.b)
    report_at(cast, on(2026, 10, 5), 3)
    assert build(cast.a, AUTUMN_2026).pupils.this.text == "3"
    assert build(cast.b, AUTUMN_2026).pupils.this.text == "4"
    page = text(logged_in(cast.greta).get(PAGE))
    assert "Incidents about pupils Autumn 2026 3 0" not in page  # the first table is the summary
    assert "Incidents about pupils 3 0" in page


def test_filter_change_requests_are_counted_asked_and_decided_by_term_and_kind(cast: Cast) -> None:
    # Autumn 2026: 4 unblocks asked, 3 approved in the term, 1 refused; 3 lesson unblocks teachers made
    # without approval; 1 block asked and still waiting. One asked last term, approved this term.
    requests_at(cast.a, on(2026, 10, 5), 3, state="approved", decided=on(2026, 10, 6))
    requests_at(cast.a, on(2026, 10, 5), 1, state="refused", decided=on(2026, 10, 7))
    requests_at(cast.a, on(2026, 10, 8), 3, state="approved", decided=on(2026, 10, 8), own=True)
    requests_at(cast.a, on(2026, 11, 2), 1, kind="block")
    requests_at(cast.a, on(2026, 7, 20), 1, kind="change", state="approved", decided=on(2026, 9, 2))
    # Autumn 2025: 5 reviews asked, refused; and another school's, never counted.
    requests_at(cast.a, on(2025, 10, 1), 5, kind="review", state="refused", decided=on(2025, 10, 2))
    requests_at(cast.b, on(2026, 10, 5), 6, state="approved", decided=on(2026, 10, 6))

    result = build(cast.a, AUTUMN_2026)
    assert cells(result, "requests") == {
        "Asked": ("8", "5"),
        "Approved": ("4", "0"),
        "Refused": ("1", "5"),
        "Lesson unblocks made by teachers without approval": ("3", "0"),
    }
    assert cells(result, "request_kinds") == {
        "A pupil asked for a blocked site to be looked at again": ("0", "5"),
        "Unblock a site for a lesson or a time": ("7", "0"),
        "Block a site that is open": ("1", "0"),
        "Allow a site from now on": ("0", "0"),
    }
    page = text(logged_in(cast.greta).get(PAGE))
    assert (
        "Filter change requests" in page and "Lesson unblocks made by teachers without approval 3 0" in page
    )
    assert "coolmathgames" not in page and "a.teacher" not in page and "fractions" not in page
