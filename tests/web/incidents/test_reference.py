"""An incident is named by a reference that tells nothing ("K7Q3-M2XP"): not how many concerns there
are, nor, by its gaps, how many are kept from the one reading. Everywhere it is named to people: the
reporter's confirmation, the log, the record's pages and addresses, the audit trail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import Role
from schoolgate.web.incidents.models import REFERENCE_PATTERN, Incident, reference_of
from tests.web.factories import Cast
from tests.web.incidents.make import person, report, url
from tests.web.pages import logged_in, text


def test_references_are_random_unambiguous_and_one_schools(cast: Cast) -> None:
    made = [report(cast.a, cast.tom, subject=person(cast.a, f"Pupil{i}", "Jones")) for i in range(25)]
    references = [i.reference for i in made]
    assert all(re.fullmatch(REFERENCE_PATTERN, r) for r in references), references
    assert not set("01ILOU") & set("".join(references))
    assert len(set(references)) == len(references)
    assert references != sorted(references) and references != sorted(references, reverse=True)
    assert str(made[0]) == f"Incident {made[0].reference}"
    assert not hasattr(made[0], "number")  # no running number is kept, to be shown by mistake


@pytest.mark.parametrize(
    ("typed", "found"),
    [("K7Q3-M2XP", "K7Q3-M2XP"), ("k7q3m2xp", "K7Q3-M2XP"), (" k7q3 m2xp ", "K7Q3-M2XP"), ("K7Q3-M2X0", None),
     ("K7Q3", None), ("12", None), ("", None), ("K7Q3-M2XP" * 50, None)],
)  # fmt: skip
def test_a_typed_reference_is_read_or_refused(typed: str, found: str | None) -> None:
    assert reference_of(typed) == found


def test_the_reporter_is_told_the_reference_and_nothing_of_how_many(cast: Cast) -> None:
    for i in range(3):
        report(cast.a, cast.sami, subject=person(cast.a, f"Pupil{i}", "Jones"))
    client = logged_in(cast.tom)
    form = {
        "kind": "pupil", "illegal_content": "", "location": "Playground", "what_happened": "Pushed.",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "person_0": "Jordan Blakemore", "role_0": "victim", "incident_type": "other", "risk_area": "conduct",
    }  # fmt: skip
    response = client.post("/incidents/report/", form)
    assert response.status_code == 302, text(response)[:2000]
    incident = Incident.objects.get(reported_by=cast.tom)
    assert response["Location"] == f"/incidents/{incident.reference}/"
    page = client.get(response["Location"])
    words = text(page)
    assert f"your concern is recorded as incident {incident.reference}" in words
    assert f"Your report: Incident {incident.reference}" in words
    assert (
        not re.search(r"[Ii]ncident \d+(?![\w-])", words)
        and f"/incidents/{incident.pk}/" not in page.content.decode()
    )


def test_the_log_names_and_finds_incidents_by_reference(cast: Cast) -> None:
    first = report(cast.a, cast.tom)
    second = report(cast.a, cast.tom)
    client = logged_in(cast.alice)
    listing = client.get("/incidents/?show=all").content.decode()
    assert f'href="{url(first)}">{first.reference}</a>' in listing and second.reference in listing
    typed = first.reference.replace("-", "").lower()
    found = client.get(f"/incidents/?show=all&reference={typed}").content.decode()
    assert first.reference in found and second.reference not in found
    for wrong in ("ZZZZ-ZZZZ", "not one", "x" * 500):
        page = client.get("/incidents/", {"show": "all", "reference": wrong})
        assert page.status_code == 200 and first.reference not in page.content.decode()
    # The old addresses, by number, are gone; another school's reference is not found.
    assert client.get(f"/incidents/{first.pk}/").status_code == 404
    other = report(cast.b, cast.zack)
    assert client.get(url(other)).status_code == 404


def test_the_audit_trail_names_an_incident_by_its_reference(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name="Grace Okonkwo"))
    entries = AuditEntry.objects.filter(object_type__startswith="incidents.")
    names = set(entries.values_list("object_repr", flat=True))
    assert f"Incident {incident.reference}" in names
    assert f"Witness in incident {incident.reference}" in names
    assert not any(re.search(r"[Ii]ncident \d+(?![\w-])", n) for n in names), names
    after = entries.filter(object_type="incidents.incident").first()
    assert after is not None and after.after is not None and "number" not in after.after
    # The name's key says the name: the trail keeps it as its SHA-256, like the name itself.
    witness = entries.filter(object_type="incidents.involvement", object_repr__startswith="Witness").get()
    assert witness.after is not None and str(witness.after["name_key"]).startswith("sha256:")


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_incidents_references() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("incidents", "0001_initial")])
    try:
        # The school and the login as they are now (other apps' tables are not taken back).
        from schoolgate.web.accounts.models import User
        from schoolgate.web.tenancy.models import School

        school = School.objects.create(name="Old School", slug="old")
        user = User.objects.create(username="old.teacher")
        old = executor.loader.project_state([("incidents", "0001_initial")]).apps
        incidents = old.get_model("incidents", "Incident")
        for number in (1, 2, 5):
            made = incidents.objects.create(
                school_id=school.pk, number=number, risk_area="conduct", incident_type="other",
                occurred_at=timezone.now(), location="Hall", what_happened="Something",
                reported_by_id=user.pk,
            )  # fmt: skip
            old.get_model("incidents", "Involvement").objects.create(
                school_id=school.pk, incident=made, name="Mrs  Evans", role="subject"
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    references = list(Incident.objects.filter(school__slug="old").values_list("reference", flat=True))
    assert len(references) == 3 == len(set(references))
    assert all(re.fullmatch(REFERENCE_PATTERN, r) for r in references), references
    from schoolgate.web.incidents.models import Involvement

    keys = set(Involvement.objects.filter(school__slug="old").values_list("name_key", "records"))
    assert keys == {("evans", "unchecked")}


def test_a_reference_drawn_twice_is_drawn_again(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    first = report(cast.a, cast.tom)
    draws = iter([first.reference, "ABCD-EFGH"])
    monkeypatch.setattr(actions, "new_reference", lambda: next(draws))
    second = report(cast.a, cast.tom)
    assert second.reference == "ABCD-EFGH" and Incident.objects.filter(school=cast.a).count() == 2
    # Another school may hold the same reference: each school's are its own.
    monkeypatch.setattr(actions, "new_reference", lambda: first.reference)
    assert report(cast.b, cast.zack).reference == first.reference
