"""The people list, search and record pages; who may see and change them; and schools kept apart."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schoolgate.web.people.choices import KeyStage, PersonKind
from tests.web.factories import Cast, group, identity, link, person, year
from tests.web.pages import logged_in, text


def test_it_lists_the_schools_current_people_with_their_year_and_class(cast: Cast) -> None:
    five = year(cast.a)
    person(
        cast.a,
        first_name="Amelia",
        last_name="Hughes",
        year_group=five,
        class_group=group(cast.a, "5B", five),
    )
    person(cast.a, PersonKind.STAFF, first_name="Sarah", last_name="Ahmed", job_title="Deputy headteacher")
    page = text(logged_in(cast.tom).get("/people/"))
    assert "Hughes, Amelia" in page and "Year 5, 5B" in page
    assert "Ahmed, Sarah" in page and "Deputy headteacher" in page
    assert "2 people" in page


def test_it_finds_people_by_name_mis_id_or_kind(cast: Cast) -> None:
    person(cast.a, first_name="Amelia", last_name="Hughes", mis_id="H801200001001")
    person(cast.a, first_name="Oliver", last_name="Hughes", preferred_name="Olly")
    person(cast.a, PersonKind.STAFF, first_name="Amelia", last_name="Price")
    client = logged_in(cast.tom)
    page = text(client.get("/people/?q=amelia+hughes"))
    assert "Hughes, Amelia" in page and "Olly" not in page and "Price" not in page
    assert "Hughes, Olly" in text(client.get("/people/?q=olly"))
    page = text(client.get("/people/?q=h801200001001"))
    assert "Hughes, Amelia" in page and "1 person" in page
    page = text(client.get("/people/?kind=staff"))
    assert "Price, Amelia" in page and "Hughes" not in page
    assert "Nobody matches" in text(client.get("/people/?q=zebedee"))


def test_it_shows_a_persons_record_with_their_parents_and_identities(cast: Cast) -> None:
    pupil = person(cast.a, first_name="Amelia", last_name="Hughes", preferred_name="Millie")
    mother = person(cast.a, PersonKind.PARENT, first_name="Rachel", last_name="Hughes", phone="07700 900001")
    link(pupil, mother, parental_responsibility=True)
    identity(cast.a, "a.hughes", person=pupil)
    client = logged_in(cast.tom)
    page = text(client.get(f"/people/{pupil.pk}/"))
    assert "Amelia (Millie) Hughes" in page
    assert "Rachel Hughes" in page and "Mother" in page and "07700 900001" in page
    assert "a.hughes" in page
    parent_page = text(client.get(f"/people/{mother.pk}/"))
    assert "Millie Hughes" in parent_page and "with parental responsibility" in parent_page


def test_a_teacher_can_see_people_but_not_change_them(cast: Cast) -> None:
    pupil = person(cast.a)
    client = logged_in(cast.tom)
    page = text(client.get(f"/people/{pupil.pk}/"))
    assert client.get("/people/").status_code == 200
    assert "Add a person" not in text(client.get("/people/")) and f"/people/{pupil.pk}/edit/" not in page
    for url in (
        "/people/add/?kind=pupil",
        f"/people/{pupil.pk}/edit/",
        f"/people/{pupil.pk}/archive/",
        "/people/import/",
        "/people/groups/years/add/",
        "/people/identities/add/",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"first_name": "X", "last_name": "Y", "reason": "r"}).status_code == 403, url
    pupil.refresh_from_db()
    assert pupil.archived_at is None and pupil.first_name == "Amelia"


def test_a_governor_may_not_open_the_people_pages(cast: Cast) -> None:
    pupil = person(cast.a)
    client = logged_in(cast.greta)
    for url in (
        "/people/",
        f"/people/{pupil.pk}/",
        "/people/groups/",
        "/people/identities/",
        "/people/import/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "This page is not part of your role" in text(response)
        assert "Amelia" not in text(response)


def test_another_schools_person_is_not_found_and_never_listed(cast: Cast) -> None:
    theirs = person(cast.a, first_name="Amelia", last_name="Quillfeather", mis_id="H801200001001")
    parent = person(cast.a, PersonKind.PARENT, first_name="Rachel", last_name="Quillfeather")
    their_link = link(theirs, parent)
    their_identity = identity(cast.a, "a.quillfeather", person=theirs)
    their_year = year(cast.a)
    their_class = group(cast.a, "5Q", their_year)
    mine = person(cast.b, first_name="Bilal", last_name="Xanthopoulos")
    client = logged_in(cast.zack)  # DSL at Southgate
    for url in (
        f"/people/{theirs.pk}/",
        f"/people/{theirs.pk}/edit/",
        f"/people/{theirs.pk}/archive/",
        f"/people/{theirs.pk}/links/add/",
        f"/people/links/{their_link.pk}/edit/",
        f"/people/links/{their_link.pk}/remove/",
        f"/people/groups/years/{their_year.pk}/edit/",
        f"/people/groups/classes/{their_class.pk}/edit/",
        f"/people/?year={their_year.pk}",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "left", "first_name": "X", "last_name": "Y"}).status_code == 404, (
            url
        )
    assert client.post(f"/people/{theirs.pk}/restore/").status_code == 404
    for url in (
        "/people/",
        "/people/?q=quillfeather",
        "/people/?q=H801200001001",
        "/people/?kind=pupil",
        "/people/identities/?q=quillfeather",
        "/people/groups/",
    ):
        page = text(client.get(url))
        assert "Quillfeather" not in page and "5Q" not in page, url
    page = text(client.get("/people/"))
    assert "Xanthopoulos" in page and "1 person" in page
    assert "a.quillfeather" not in text(client.get("/people/identities/"))
    theirs.refresh_from_db()
    assert theirs.archived_at is None and theirs.first_name == "Amelia"
    assert their_identity.pk and mine.pk


def test_another_schools_identity_is_not_found_by_their_network_manager(cast: Cast) -> None:
    from schoolgate.web.accounts.choices import Role
    from schoolgate.web.accounts.models import Membership

    theirs = identity(cast.a, "10.10.1.0/24", kind="network")
    Membership.objects.create(user=cast.zack, school=cast.b, role=Role.NETWORK_MANAGER)
    client = logged_in(cast.zack)
    for url in (f"/people/identities/{theirs.pk}/edit/", f"/people/identities/{theirs.pk}/remove/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"kind": "network", "value": "10.0.0.0/8"}).status_code == 404
    pupil = person(cast.a)
    assert client.get(f"/people/identities/add/?person={pupil.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.value == "10.10.1.0/24"


def _fill(school: Any, pupils: int) -> None:
    years = [year(school, f"Year {n}", KeyStage.KS2, n) for n in (3, 4, 5, 6)]
    for n in range(pupils):
        y = years[n % 4]
        pupil = person(
            school,
            first_name=f"Pupil{n}",
            last_name=f"Surname{n}",
            year_group=y,
            class_group=group(school, f"{y.order}{'AB'[n % 2]}", y),
        )
        parent = person(school, PersonKind.PARENT, first_name=f"Parent{n}", last_name=f"Surname{n}")
        link(pupil, parent)
    for n in range(5):
        person(school, PersonKind.STAFF, first_name=f"Staff{n}", last_name="Member", job_title="Teacher")


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_page_asks_the_database_the_same_few_times_however_many_people(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    client = logged_in(cast.alice)
    _fill(cast.a, 2)
    few = _queries(client, "/people/")
    _fill(cast.b, 3)
    _fill(cast.a, 20)  # 49 people on the first page: pupils, their parents (with their children), staff
    assert _queries(client, "/people/") == few
    # The session, user, device, roles and schools; the count, the page, the parents' children; the
    # session saved again (a savepoint, the update, its release).
    with django_assert_num_queries(11):
        client.get("/people/")
    assert _queries(client, "/people/?kind=parent") == few


@pytest.mark.parametrize("url", ["/people/groups/", "/people/identities/"])
def test_the_other_lists_do_not_ask_once_per_row(cast: Cast, url: str) -> None:
    client = logged_in(cast.alice)
    _fill(cast.a, 2)
    identity(cast.a, "a.one", person=person(cast.a, first_name="One"))
    few = _queries(client, url)
    _fill(cast.a, 12)
    for n in range(10):
        identity(cast.a, f"a.more{n}", person=person(cast.a, first_name=f"More{n}"))
    assert _queries(client, url) == few


def test_archived_people_leave_the_lists_but_their_record_stays(cast: Cast) -> None:
    pupil = person(cast.a, first_name="Amelia", last_name="Hughes")
    client = logged_in(cast.alice)
    page = text(client.get(f"/people/{pupil.pk}/archive/"))
    assert "Why are you archiving this record?" in page
    response = client.post(f"/people/{pupil.pk}/archive/", {"reason": ""})
    assert "Say why you are archiving this record" in text(response)
    response = client.post(
        f"/people/{pupil.pk}/archive/", {"reason": "Left the school in July 2026"}, follow=True
    )
    assert "Amelia Hughes's record was archived" in text(response)
    pupil.refresh_from_db()
    assert pupil.archived_at is not None and pupil.archive_reason == "Left the school in July 2026"
    assert "Hughes" not in text(client.get("/people/"))
    assert "Hughes" not in text(client.get("/people/?q=amelia"))
    assert "Hughes, Amelia" in text(client.get("/people/?show=archived"))
    page = text(client.get(f"/people/{pupil.pk}/"))
    assert "Archived" in page and "Left the school in July 2026" in page
    from schoolgate.web.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(
        object_type="people.person", object_id=str(pupil.pk), action="update"
    ).get()
    assert entry.actor == cast.alice and entry.reason == "archived: Left the school in July 2026"
    assert client.post(f"/people/{pupil.pk}/restore/").status_code == 302
    assert "Hughes, Amelia" in text(client.get("/people/"))


def test_an_expired_visitor_leaves_the_lists(cast: Cast) -> None:
    import datetime as dt

    from django.utils import timezone

    person(
        cast.a,
        PersonKind.VISITOR,
        first_name="Helen",
        last_name="Marsh",
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    person(cast.a, PersonKind.SUPPLY, first_name="Kwame", last_name="Boateng")
    client = logged_in(cast.tom)
    page = text(client.get("/people/"))
    assert "Marsh" not in page and "Boateng, Kwame" in page
    assert "Marsh, Helen" in text(client.get("/people/?show=archived"))


def test_the_people_sections_are_linked_from_each_people_page(cast: Cast) -> None:
    page = text(logged_in(cast.alice).get("/people/"))
    for label in ("Year groups and classes", "Network identities", "Import from the MIS"):
        assert label in page
    page = text(logged_in(cast.tom).get("/people/groups/"))
    assert "Network identities" in page and "Import from the MIS" not in page


def test_odd_digits_in_an_address_are_not_an_error(cast: Cast) -> None:
    client = logged_in(cast.nina)
    assert client.get("/people/?class=%C2%B2").status_code == 200
    assert client.get("/people/?year=%C2%B2").status_code == 200
    assert client.get("/people/identities/add/?person=%C2%B2").status_code == 302
