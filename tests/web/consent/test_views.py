"""Each consent page once, as the office and as a teacher (who reads but does not record); another
school's child is not found."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schoolgate.web.consent import actions
from schoolgate.web.consent.choices import Decision, HowGiven, Purpose
from schoolgate.web.consent.models import ConsentRecord
from schoolgate.web.people.models import Person
from tests.web.conftest import Mailbox
from tests.web.consent.conftest import Family
from tests.web.factories import Cast, person
from tests.web.pages import logged_in, text

pytestmark = pytest.mark.django_db


def _given(family: Family, cast: Cast, child: Person | None = None, **decisions: str) -> None:
    """Decisions for the family's child from their mother, or for another child from someone not on record."""
    actions.do_record(
        child or family.child, decisions=decisions, how=HowGiven.PAPER, on=timezone.localdate(),
        actor=cast.omar, given_by=family.mum if child is None else None,
        note="" if child is None else "Dad, on paper",
    )  # fmt: skip


def test_the_office_records_a_form_and_sends_the_link(cast: Cast, family: Family, smtp: Mailbox) -> None:
    office = logged_in(cast.omar)
    page = office.get(f"/consent/children/{family.child.pk}/")
    assert page.status_code == 200 and "Not asked yet" in text(page) and "Send the consent link" in text(page)
    form = office.get(f"/consent/children/{family.child.pk}/record/")
    assert form.status_code == 200 and "Sarah Hughes" in text(form) and "Dan Hughes" not in text(form)
    data = {
        "purpose_website": "given", "purpose_press": "withdrawn", "purpose_social": "",
        "given_by": str(family.mum.pk), "how": HowGiven.PAPER, "on": timezone.localdate().isoformat(),
        "note": "",
    }  # fmt: skip
    done = office.post(f"/consent/children/{family.child.pk}/record/", data)
    assert done.status_code == 302
    assert set(ConsentRecord.objects.values_list("purpose", "decision")) == {
        (Purpose.WEBSITE, Decision.GIVEN), (Purpose.PRESS, Decision.WITHDRAWN),
    }  # fmt: skip
    refused = office.post(
        f"/consent/children/{family.child.pk}/record/", {**data, "given_by": str(family.uncle.pk)}
    )
    assert refused.status_code == 200 and "There is a problem" in text(refused)
    grid = office.post(f"/consent/classes/{family.klass.pk}/send/", follow=True)
    assert "Links sent to 1 parent in 5B" in text(grid)
    sent = office.post(f"/consent/children/{family.child.pk}/send/", follow=True)
    assert "Link sent to Sarah Hughes (sarah@home.example)" in text(sent)
    assert smtp.link("sarah@home.example").startswith("http://testserver/consent/parent/")
    history = text(office.get(f"/consent/children/{family.child.pk}/"))
    assert "Withdrawn" in history and "Paper form" in history and "not used yet" in history
    # "made", not "sent": a link whose e-mail the mail server refused is listed too (cancelled).
    assert "last link made" in history and "last link sent" not in history


def test_a_teacher_reads_but_does_not_record_and_another_school_is_not_found(
    cast: Cast, family: Family
) -> None:
    teacher = logged_in(cast.tom)
    page = teacher.get(f"/consent/children/{family.child.pk}/")
    assert page.status_code == 200 and "Record a consent form" not in text(page)
    assert teacher.get(f"/consent/children/{family.child.pk}/record/").status_code == 403
    assert teacher.post(f"/consent/children/{family.child.pk}/send/").status_code == 403
    assert teacher.get(f"/consent/children/{family.other_school_child.pk}/").status_code == 404
    assert teacher.get(f"/consent/children/{family.mum.pk}/").status_code == 404  # not a pupil
    person_page = logged_in(cast.alice).get(f"/people/{family.child.pk}/")  # the pupil's record links here
    assert f"/consent/children/{family.child.pk}/" in person_page.content.decode()


def test_the_grid_and_the_trip_list(cast: Cast, family: Family) -> None:
    other = person(cast.a, first_name="Ben", last_name="Ode", class_group=family.klass)
    _given(family, cast, website=Decision.GIVEN, displays=Decision.GIVEN)
    _given(family, cast, child=other, website=Decision.WITHDRAWN)
    client = logged_in(cast.tom)
    grid = text(client.get(f"/consent/?class={family.klass.pk}"))
    assert "Amelia Hughes" in grid and "Ben Ode" in grid and "Withdrawn" in grid and "Not asked yet" in grid
    assert client.get("/consent/?class=999999").status_code == 200
    day = timezone.localdate().isoformat()
    at_all = text(client.get(f"/consent/trip/?classes={family.klass.pk}&purpose=any&day={day}"))
    assert (
        "This child may not be photographed: Ben Ode (withdrawn)" in at_all and "Amelia Hughes" not in at_all
    )
    website = text(client.get(f"/consent/trip/?classes={family.klass.pk}&purpose=website&day={day}"))
    assert "This child may not be photographed: Ben Ode (withdrawn)" in website
    press = text(client.get(f"/consent/trip/?classes={family.klass.pk}&purpose=press&day={day}"))
    assert "These 2 children may not be photographed" in press
    hostile = client.get(
        f"/consent/trip/?classes=x&classes={family.klass.pk + 10_000}&purpose=nope&day=never"
    )
    assert hostile.status_code == 200 and "There is a problem" in text(hostile)


def test_the_check_before_publishing(cast: Cast, family: Family) -> None:
    person(cast.a, first_name="Ben", last_name="Ode", class_group=family.klass)
    _given(family, cast, website=Decision.GIVEN)
    client = logged_in(cast.tom)
    assert "Before publishing" in text(client.get("/consent/check/"))
    whole = text(client.get(f"/consent/check/?purpose=website&class_group={family.klass.pk}"))
    assert "1 child must not be included" in whole and "Ben Ode, class 5B – not asked yet" in whole
    assert "May be included (1): Amelia Hughes" in whole
    ticked = text(
        client.get(
            f"/consent/check/?purpose=website&class_group={family.klass.pk}&children={family.child.pk}"
        )
    )
    assert "Everyone chosen may be included" in ticked
    typed = text(
        client.get("/consent/check/", {"purpose": "website", "names": "amelia hughes\nZoe Khan\n  "})
    )
    assert "Not found, so not cleared: Zoe Khan" in typed  # the other school's pupil is no one here
    other = client.get(f"/consent/check/?purpose=website&children={family.other_school_child.pk}")
    assert "There is a problem" in text(other)
    long = client.get("/consent/check/", {"purpose": "website", "names": "a b\n" * 300})
    assert long.status_code == 200 and "There is a problem" in text(long)
