"""The agreements pages, each once as its users use it: the overview, a version, a new version, the
chase list, the sign sheet, recording a sheet (with hostile input), a person's page, one's own
agreement and the home page's panel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from schoolgate.gateways.blockpage.agreement import paragraphs
from schoolgate.web.agreements.actions import do_accept
from schoolgate.web.agreements.choices import Audience, HowAccepted
from schoolgate.web.agreements.models import Acceptance, AgreementVersion
from schoolgate.web.agreements.texts import suggested
from schoolgate.web.people.choices import PersonKind
from tests.web.agreements.conftest import School1, today, version
from tests.web.factories import Cast, person
from tests.web.pages import logged_in, text
from tests.web.viewtests import StaffObjectPageTests

pytestmark = pytest.mark.django_db


class TestVersionPage(StaffObjectPageTests):
    url_name = "agreements:version"


class TestSignSheetPage(StaffObjectPageTests):
    url_name = "agreements:sign-sheet"


class TestPersonPage(StaffObjectPageTests):
    url_name = "agreements:person"


def test_the_overview_says_coverage_and_offers_the_suggested_text(cast: Cast, school: School1) -> None:
    do_accept(school.ruby, school.ks1, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice)
    page = text(logged_in(cast.olu).get("/agreements/"))
    assert "1 of 2 pupils in Reception and Key Stage 1 have accepted" in page
    assert "0 of 1 pupils in Key Stage 2 have accepted" in page
    assert page.count("No agreement yet.") == 4  # secondary, volunteers, visitors, parents
    assert "Write a new version" in page and "1 pupil with no year group" in page


def test_a_version_lists_who_accepted_and_how(cast: Cast, school: School1) -> None:
    now = timezone.now()
    do_accept(school.ruby, school.ks1, how=HowAccepted.PARENT, at=now, actor=cast.alice, parent=school.mum)
    page = text(logged_in(cast.tom).get(f"/agreements/versions/{school.ks1.pk}/"))
    assert "I will ask a grown-up before I use a computer or a tablet." in page
    assert "Who accepted it (1)" in page and "Ruby Adams RA" in page and "Jo Adams" in page


def test_writing_a_new_version(cast: Cast, school: School1) -> None:
    client = logged_in(cast.olu)
    form = text(client.get("/agreements/new/?audience=visitors"))
    assert "a suggestion written from the school's policies" in form
    assert "asked to accept it again" in form
    start = today() + dt.timedelta(days=3)
    response = client.post(
        "/agreements/new/",
        {
            "audience": "ks1",
            "title": "Our rules",
            "text": "I will be kind.",
            "in_force_from": start.isoformat(),
        },
    )
    made = AgreementVersion.objects.get(school=cast.a, audience=Audience.KS1, number=2)
    assert response["Location"] == f"/agreements/versions/{made.pk}/"
    school.ks1.refresh_from_db()
    assert school.ks1.in_force_until == start - dt.timedelta(days=1)
    huge = client.post(
        "/agreements/new/",
        {"audience": "ks2", "title": "T", "text": "x" * 20_001, "in_force_from": today().isoformat()},
    )
    assert huge.status_code == 200 and "at most 20000 characters" in text(huge)
    past = client.post(
        "/agreements/new/",
        {"audience": "ks2", "title": "T", "text": "I will.", "in_force_from": "2000-01-01"},
    )
    assert past.status_code == 200 and "A new version starts today or later" in text(past)
    assert not AgreementVersion.objects.filter(audience=Audience.KS2, number=2).exists()


def test_the_chase_list_by_class_and_team(cast: Cast, school: School1) -> None:
    client = logged_in(cast.tom)
    page = text(client.get("/agreements/chase/"))
    assert "6 not accepted yet." in page
    assert "Class RA 2 of 2" in page and "Team: Support 1 of 1" in page and "Team: No team 1 of 1" in page
    assert "Ruby Adams" not in page  # names once narrowed
    assert "Pupils with no year group (1) Put them in a year group" in page and "Nia Drew" in page
    one_class = text(client.get("/agreements/chase/", {"class": str(school.ra.pk)}))
    assert "Class RA: 2 of 2 not accepted Leo Baker Ruby Adams Print the sign sheet" in one_class
    narrowed = text(
        client.get("/agreements/chase/", {"team": "Teaching", "class": "x" * 50, "audience": "<b>"})
    )
    assert "1 not accepted yet." in narrowed and "Tom Teach" in narrowed and "Ruby" not in narrowed


def test_the_sign_sheet_has_a_row_per_child(cast: Cast, school: School1) -> None:
    for n in range(26):
        person(
            cast.a,
            first_name=f"Kid{n:02d}",
            last_name="Zed",
            year_group=school.ruby.year_group,
            class_group=school.ra,
        )
    response = logged_in(cast.tom).get(f"/agreements/classes/{school.ra.pk}/sign-sheet/")
    html = response.content.decode()
    assert "I will ask a grown-up" in html and "print.css" in html
    assert len(re.findall(r'<td class="box">', html)) == 28
    assert html.count('class="sign-page"') == 2  # 25 children to a page
    assert "Nia Drew" not in html and "Ava Clark" not in html


def test_recording_a_sheet(cast: Cast, school: School1) -> None:
    do_accept(school.leo, school.ks1, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice)
    client = logged_in(cast.tom)
    url = f"/agreements/record/?class={school.ra.pk}"
    form = text(client.get(url))
    assert "Accepted already Leo Baker" in form and "Jo Adams" in form
    response = client.post(
        url,
        {
            "signed": [str(school.ruby.pk)],
            f"by_{school.ruby.pk}": str(school.mum.pk),
            "on": today().isoformat(),
        },
    )
    assert response.status_code == 302
    made = Acceptance.objects.get(person=school.ruby)
    assert made.how == HowAccepted.PARENT and made.parent == school.mum and made.recorded_by == cast.tom


def test_recording_a_sheet_refuses_hostile_input(cast: Cast, school: School1) -> None:
    theirs = person(cast.b, first_name="Zed", last_name="Other")
    other_parent = person(cast.a, PersonKind.PARENT, first_name="Not", last_name="Theirs")
    client = logged_in(cast.tom)
    url = f"/agreements/record/?class={school.ra.pk}"
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    for data in (
        {"signed": [str(theirs.pk)], "on": today().isoformat()},  # another school's person
        {"signed": [str(school.ava.pk)], "on": today().isoformat()},  # not in this class
        {"signed": [str(school.ruby.pk)], "on": tomorrow},  # the future
        {
            "signed": [str(school.ruby.pk)],
            f"by_{school.ruby.pk}": str(other_parent.pk),
            "on": today().isoformat(),
        },
        {"signed": [str(school.ruby.pk)], "on": today().isoformat(), "note": "x" * 100_000},
        {"signed": ["9" * 40], "on": "not a date"},
    ):
        response = client.post(url, data)
        assert response.status_code == 200, data
    assert not Acceptance.objects.exists()
    assert client.get(f"/agreements/record/?class={theirs.pk + 10_000}").status_code == 404


def test_a_persons_acceptances(cast: Cast, school: School1) -> None:
    do_accept(
        school.ta, school.staff, how=HowAccepted.PAPER, at=timezone.now(), actor=cast.alice, note="Staff room"
    )
    page = text(logged_in(cast.omar).get(f"/agreements/people/{school.ta.pk}/"))
    assert "Accepted version 1" in page and "Signed a paper sheet" in page and "Staff room" in page


def test_my_agreement_and_the_home_panel(cast: Cast, school: School1) -> None:
    client = logged_in(cast.tom)
    home = text(client.get("/"))
    assert "Read and accept this year's agreement" in home
    page = text(client.get("/agreements/mine/"))
    assert suggested(Audience.STAFF)[1].splitlines()[0] in page
    stale = client.post("/agreements/mine/", {"version": str(school.ks1.pk)})
    assert stale.status_code == 302 and not Acceptance.objects.exists()
    client.post("/agreements/mine/", {"version": str(school.staff.pk)})
    made = Acceptance.objects.get(person=school.teacher)
    assert made.how == HowAccepted.IN_SCHOOLGATE and made.recorded_by == cast.tom
    assert "Read and accept" not in text(client.get("/"))
    assert "You accepted this agreement" in text(client.get("/agreements/mine/"))


def test_my_agreement_without_a_record(cast: Cast, school: School1) -> None:
    client = logged_in(cast.gina)
    assert "not linked to a person" in text(client.get("/agreements/mine/"))
    assert client.post("/agreements/mine/", {"version": str(school.staff.pk)}).status_code == 302
    assert not Acceptance.objects.exists()


def test_hostile_addresses_and_a_teacher_not_offered_staff_teams(cast: Cast, school: School1) -> None:
    client = logged_in(cast.tom)
    for url in ("/agreements/chase/?class=%C2%B2", "/agreements/record/?class=%C2%B2"):
        assert client.get(url).status_code == 200, url  # "²" is a digit to isdigit, not to int
    record = text(client.get("/agreements/record/?team=Support"))
    assert "Tia Support" not in record and "Show the team" not in record
    assert "Show the team" in text(logged_in(cast.omar).get("/agreements/record/"))


def test_the_text_reads_the_same_in_schoolgate_as_at_the_proxy(cast: Cast, school: School1) -> None:
    promises = [line for line in suggested(Audience.KS1)[1].split("\n") if line]
    assert paragraphs(suggested(Audience.KS1)[1]) == promises  # one promise to a paragraph at the proxy
    school.ks2.text = "I will be kind\nto everyone.\n\n- I will ask.\n<b onclick=x>I will</b>"
    school.ks2.save()
    html = logged_in(cast.tom).get(f"/agreements/versions/{school.ks2.pk}/").content.decode()
    shown = re.findall(r"<p>(.*?)</p>", html.split('class="agreement-text">')[1].split("</div>")[0])
    assert shown == [escape(p) for p in paragraphs(school.ks2.text)]
    assert "<b onclick" not in html


def test_recording_that_a_parent_or_a_child_signed_on_their_page(cast: Cast, school: School1) -> None:
    parents = version(cast.a, Audience.PARENTS)
    url = f"/agreements/people/{school.mum.pk}/"
    tom = logged_in(cast.tom)
    assert "Record that they signed" not in text(tom.get(url))  # a teacher: not an adult's
    assert tom.post(url, {"on": today().isoformat()}).status_code == 403
    client = logged_in(cast.omar)
    page = text(client.get(url))
    assert "Record that they signed" in page and f"version {parents.number}" in page
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    refused = client.post(url, {"version": str(parents.pk), "on": tomorrow, "note": "x" * 100_000})
    assert refused.status_code == 200 and "There is a problem" in text(refused)
    assert not Acceptance.objects.exists()
    done = client.post(url, {"version": str(parents.pk), "on": today().isoformat(), "note": "Office file"})
    assert done.status_code == 302 and done["Location"] == url
    assert Acceptance.objects.get(person=school.mum).recorded_by == cast.omar
    after = text(client.get(url))
    assert "Recorded: Jo Adams signed version 1" in after and "Record that they signed" not in after
    assert "Accepted version 1" in after
    # A child: a teacher records that the child's parent signed for them.
    child = f"/agreements/people/{school.ruby.pk}/"
    assert "Jo Adams, on the child's behalf" in text(tom.get(child))
    posted = tom.post(
        child, {"version": str(school.ks1.pk), "on": today().isoformat(), "by": str(school.mum.pk)}
    )
    assert posted.status_code == 302
    made = Acceptance.objects.get(person=school.ruby)
    assert made.how == HowAccepted.PARENT and made.parent == school.mum
    theirs = person(cast.b, PersonKind.PARENT, first_name="Zed", last_name="Other")
    assert client.post(f"/agreements/people/{theirs.pk}/", {"on": today().isoformat()}).status_code == 404


def test_the_chase_list_links_parents_to_their_page(cast: Cast, school: School1) -> None:
    version(cast.a, Audience.PARENTS)
    html = (
        logged_in(cast.omar).get("/agreements/chase/", {"audience": Audience.PARENTS.value}).content.decode()
    )
    assert f'href="/agreements/people/{school.mum.pk}/">Jo Adams</a>' in html
