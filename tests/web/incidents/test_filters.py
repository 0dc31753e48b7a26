"""The log's list filters (`?show=&reference=`): open incidents unless another view is asked for, every
view the DSL team has, a reporter always sees every concern they reported, and anything else in the
address shows the list as a whole (never an error, never an archived record among the rest)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Outcome, Status
from schoolgate.web.incidents.models import Incident
from tests.web.factories import Cast
from tests.web.incidents.make import report
from tests.web.pages import logged_in


def _listed(client: object, query: str) -> set[str]:
    page = client.get(f"/incidents/{query}").content.decode()  # type: ignore[attr-defined]
    return {i.reference for i in Incident.objects.all() if f"/incidents/{i.reference}/" in page}


def test_each_view_of_the_list_shows_its_incidents(cast: Cast) -> None:
    new, closed, archived, late = (report(cast.a, cast.tom) for _ in range(4))
    actions.do_move(closed, actor=cast.alice, to=Status.TRIAGED)
    actions.do_parents_not_told(closed, actor=cast.alice, reason="Telling them could put the child at risk")
    actions.do_close(
        closed, actor=cast.alice, outcome=Outcome.RESOLVED, reasons="Spoke to both", not_referred_reason="No"
    )
    actions.do_archive(archived, actor=cast.alice, reason="Raised twice by mistake")
    actions.do_refer(
        late, actor=cast.alice, agency="police", due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    own = report(cast.a, cast.alice)
    dsl = logged_in(cast.alice)
    is_open = {new.reference, late.reference, own.reference}
    assert _listed(dsl, "") == is_open == _listed(dsl, "?show=open")
    assert _listed(dsl, "?show=closed") == {closed.reference}
    assert _listed(dsl, "?show=archived") == {archived.reference}
    assert _listed(dsl, "?show=overdue") == {late.reference}
    assert _listed(dsl, "?show=mine") == {own.reference}
    everything = is_open | {closed.reference}
    assert _listed(dsl, "?show=all") == everything
    for nonsense in ("?show=everything", "?show=", "?show=%00", "?show=open&show=closed&show=x"):
        assert _listed(dsl, nonsense) == everything, nonsense


def test_a_reference_is_found_as_people_type_it_and_nothing_for_one_that_cannot_be(cast: Cast) -> None:
    wanted, other = report(cast.a, cast.tom), report(cast.a, cast.tom)
    dsl = logged_in(cast.alice)
    typed = wanted.reference.lower().replace("-", " ")
    assert _listed(dsl, f"?reference={typed}") == {wanted.reference}
    assert other.reference not in _listed(dsl, f"?reference={typed}")
    assert _listed(dsl, "?reference=not-a-reference") == set()
    assert _listed(dsl, "?reference=" + "K" * 500) == set()


def test_a_reporter_sees_every_concern_they_reported_whatever_the_address_asks(cast: Cast) -> None:
    mine = report(cast.a, cast.tom)
    actions.do_move(mine, actor=cast.alice, to=Status.TRIAGED)
    report(cast.a, cast.olu)  # reported by another teacher: not tom's to see
    tom = logged_in(cast.tom)
    for query in ("", "?show=closed", "?show=archived", "?show=mine", "?show=nonsense"):
        assert _listed(tom, query) == {mine.reference}, query
    assert 'name="show"' not in tom.get("/incidents/").content.decode()  # no views to choose from
