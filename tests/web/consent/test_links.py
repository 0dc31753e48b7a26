"""The parents' one-time link: works once, expires, newer cancels older, a parent who loses their
responsibility loses the link; the public page: prefilled, saved as the parent, CSRF, one page for
every dead link, the limit on forms and on their size."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.consent import actions, links
from schoolgate.web.consent.choices import Decision, HowGiven, Purpose
from schoolgate.web.consent.models import ConsentLink, ConsentRecord
from schoolgate.web.consent.state import current
from schoolgate.web.people.models import GuardianLink
from tests.web.consent.conftest import Family
from tests.web.factories import Cast
from tests.web.pages import text

pytestmark = pytest.mark.django_db


def _link(family: Family) -> tuple[ConsentLink, str]:
    return links.make(family.child, family.mum, made_by="test")


def _form(**chosen: str) -> dict[str, str]:
    data = {p.value: Decision.GIVEN.value for p in Purpose}
    data.update(chosen)
    return data


def test_once_and_only_the_changes_are_written_as_the_parent(cast: Cast, family: Family) -> None:
    actions.do_record(
        family.child, decisions={Purpose.WEBSITE: Decision.GIVEN}, how=HowGiven.PAPER,
        on=timezone.localdate(), actor=cast.omar, given_by=family.mum,
    )  # fmt: skip
    _, token = _link(family)
    client = Client()
    page = client.get(f"/consent/parent/{token}/")
    assert page.status_code == 200 and "Amelia" in text(page) and "Hughes" not in text(page)
    html = page.content.decode()
    assert re.search(r'name="website" value="given"[^>]*checked', html)  # prefilled with what is recorded
    assert not re.search(r'name="press" value="\w+"[^>]*checked', html)  # not asked: nothing chosen
    answer = client.post(f"/consent/parent/{token}/", _form(website=Decision.WITHDRAWN))
    assert answer.status_code == 200 and "Thank you" in text(answer)
    made = ConsentRecord.objects.filter(how=HowGiven.LINK)
    assert made.count() == len(Purpose)  # five asked for the first time, the website changed
    states = current(cast.a, [family.child.pk])[family.child.pk]
    assert states[Purpose.WEBSITE].value == Decision.WITHDRAWN and states[Purpose.PRESS].given
    record = made.get(purpose=Purpose.WEBSITE)
    assert record.given_by == family.mum and record.recorded_by is None
    entry = AuditEntry.objects.filter(object_id=str(record.pk)).latest("pk")
    assert entry.actor_label == "parent Sarah Hughes (consent link)"
    again = client.post(f"/consent/parent/{token}/", _form(press=Decision.WITHDRAWN))
    assert again.status_code == 410 and "cannot be used" in text(again)
    assert current(cast.a, [family.child.pk])[family.child.pk][Purpose.PRESS].value != Decision.WITHDRAWN
    assert client.get(f"/consent/parent/{token}/").status_code == 410


def test_a_page_left_open_does_not_undo_what_the_other_parent_said_meanwhile(
    cast: Cast, family: Family
) -> None:
    actions.do_record(
        family.child, decisions={Purpose.WEBSITE: Decision.GIVEN}, how=HowGiven.PAPER,
        on=timezone.localdate(), actor=cast.omar, given_by=family.mum,
    )  # fmt: skip
    _, token = _link(family)
    client = Client()
    html = client.get(f"/consent/parent/{token}/").content.decode()
    shown = dict(re.findall(r'<input type="hidden" name="(shown_\w+)" value="([\w-]+)"', html))
    assert shown["shown_website"] == Decision.GIVEN and len(shown) == len(Purpose)
    actions.do_record(  # the other parent telephones the office while the page is open
        family.child, decisions={Purpose.WEBSITE: Decision.WITHDRAWN}, how=HowGiven.PHONE,
        on=timezone.localdate(), actor=cast.omar, note="Dad (Tom Hughes), by telephone",
    )  # fmt: skip
    # The page sends back the website as it showed it, and the one choice the parent made.
    answer = client.post(
        f"/consent/parent/{token}/", {**shown, "website": Decision.GIVEN, "press": Decision.WITHDRAWN}
    )
    assert answer.status_code == 200 and "Thank you" in text(answer)
    states = current(cast.a, [family.child.pk])[family.child.pk]
    assert states[Purpose.WEBSITE].value == Decision.WITHDRAWN
    assert states[Purpose.PRESS].value == Decision.WITHDRAWN


def test_unknown_expired_cancelled_and_used_links_get_the_same_page(cast: Cast, family: Family) -> None:
    client = Client()
    pages = [client.get("/consent/parent/nonsense/"), client.get(f"/consent/parent/{'x' * 500}/")]
    _, older = _link(family)
    _, newer = _link(family)  # cancels the older
    pages.append(client.get(f"/consent/parent/{older}/"))
    with time_machine.travel(timezone.now() + links.LIFETIME + dt.timedelta(minutes=1)):
        pages.append(client.get(f"/consent/parent/{newer}/"))
    _, used = _link(family)
    assert client.post(f"/consent/parent/{used}/", _form()).status_code == 200
    pages.append(client.get(f"/consent/parent/{used}/"))
    assert {p.status_code for p in pages} == {410}
    assert len({text(p) for p in pages}) == 1


def test_a_parent_no_longer_responsible_cannot_use_their_link(cast: Cast, family: Family) -> None:
    _, token = _link(family)
    GuardianLink.objects.filter(child=family.child, guardian=family.mum).update(parental_responsibility=False)
    assert links.find(token) is None


def test_a_link_sent_to_an_address_since_corrected_stops_working(family: Family) -> None:
    _, token = _link(family)
    family.mum.email = "Sarah@Home.example"  # the same address, written otherwise: still theirs
    family.mum.save(update_fields=["email"])
    assert links.find(token) is not None
    family.mum.email = "sarah.hughes@new.example"  # the office corrects a wrong address
    family.mum.save(update_fields=["email"])
    assert links.find(token) is None


def test_csrf_is_checked_on_the_public_page(family: Family) -> None:
    _, token = _link(family)
    client = Client(enforce_csrf_checks=True)
    refused = client.post(f"/consent/parent/{token}/", _form())
    assert refused.status_code == 403 and not ConsentRecord.objects.exists()
    client.get(f"/consent/parent/{token}/")
    data = {**_form(), "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    assert client.post(f"/consent/parent/{token}/", data).status_code == 200
    assert ConsentRecord.objects.count() == len(Purpose)


def test_hostile_forms(family: Family) -> None:
    _, token = _link(family)
    client = Client()
    bad = client.post(f"/consent/parent/{token}/", _form(press="maybe", website="<script>"))
    assert bad.status_code == 200 and "There is a problem" in text(bad) and not ConsentRecord.objects.exists()
    empty = client.post(f"/consent/parent/{token}/", {})  # nothing chosen: asked again, the link kept
    assert empty.status_code == 200 and "Choose Given or Withdrawn" in text(empty)
    big = client.post(f"/consent/parent/{token}/", {**_form(), "padding": "x" * 10_000})
    assert big.status_code == 413 and not ConsentRecord.objects.exists()
    assert links.find(token) is not None  # neither used the link


def test_the_forms_one_address_sends_are_limited(family: Family) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(links.POSTS_PER_WINDOW):
        assert client.post("/consent/parent/guess/", _form()).status_code == 410
    _, token = _link(family)
    assert client.post(f"/consent/parent/{token}/", _form()).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.10").post(f"/consent/parent/{token}/", _form()).status_code == 200
