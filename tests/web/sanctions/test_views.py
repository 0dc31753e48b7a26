"""The matrix's pages: both tables for those who deal with incidents, an edit page per table that
offers each row and action and a new one, and says what is wrong without changing anything."""

from __future__ import annotations

import re

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.sanctions import seed
from schoolgate.web.sanctions.choices import AppliesTo
from tests.web.factories import Cast
from tests.web.pages import logged_in, text
from tests.web.sanctions.make import action_of, form_data, row_of, table_of


def test_the_matrix_page_shows_both_tables_to_those_who_deal_with_incidents(cast: Cast) -> None:
    response = logged_in(cast.olu).get("/incidents/matrix/")
    assert response.status_code == 200
    page = response.content.decode()
    words = text(response)
    assert "Pupils" in words and "Staff" in words
    assert '<th scope="col">Refer to class teacher / tutor</th>' in page
    assert '<th scope="row">Unauthorised downloading or uploading of files</th>' in page
    pairs = sum(len(e) for _, _, e in seed.PUPIL_MISUSE) + sum(len(e) for _, _, e in seed.STAFF_MISUSE)
    cells = sum(len(seed.PUPIL_ACTIONS) for _ in seed.PUPIL_MISUSE) + sum(
        len(seed.STAFF_ACTIONS) for _ in seed.STAFF_MISUSE
    )
    assert page.count('<span class="visually-hidden">expected</span>') == pairs
    assert page.count('<span class="visually-hidden">not expected</span>') == cells - pairs
    assert "/incidents/matrix/pupil/edit/" not in page  # olu may not change it
    for name in ("alice", "hana"):
        page = logged_in(cast.users[name]).get("/incidents/matrix/").content.decode()
        assert "/incidents/matrix/pupil/edit/" in page and "/incidents/matrix/staff/edit/" in page
    assert logged_in(cast.cleo).get("/incidents/matrix/").status_code == 200  # deals with some incidents
    for name in ("tom", "nina", "sami", "greta"):
        assert logged_in(cast.users[name]).get("/incidents/matrix/").status_code == 403, name


def test_a_table_that_is_not_there_is_not_found(cast: Cast) -> None:
    client = logged_in(cast.alice)
    for table in ("parents", "pupils", "PUPIL", "x"):
        assert client.get(f"/incidents/matrix/{table}/edit/").status_code == 404, table
        assert client.post(f"/incidents/matrix/{table}/edit/", {}).status_code == 404, table


def test_the_edit_page_offers_each_action_and_a_new_one(cast: Cast) -> None:
    page = logged_in(cast.alice).get("/incidents/matrix/staff/edit/").content.decode()
    suspension = action_of(cast.a, "suspension", AppliesTo.STAFF)
    assert f'name="action-{suspension.pk}-name"' in page and f'for="id_action-{suspension.pk}-name"' in page
    assert f'name="action-{suspension.pk}-is_sanction"' in page
    assert "Add a new action" in page and 'name="action-new-name"' in page
    assert 'name="action-new-is_sanction"' in page
    # Actions, like rows, are never deleted: an action has its name and whether it is a sanction, no more.
    assert set(re.findall(r'name="action-\d+-([\w-]+)"', page)) == {"name", "is_sanction"}


def test_the_form_says_what_is_wrong_and_changes_nothing(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    first, second = row_of(cast.a, "non-educational"), row_of(cast.a, "mobile-device")
    count = AuditEntry.objects.count()
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a,
            AppliesTo.PUPILS,
            **{
                f"{first.pk}-description": " ",
                "new-expected": ["warning"],
                f"{second.pk}-expected": ["nonsense"],
            },
        ),
    )
    assert response.status_code == 200
    words = text(response)
    assert "There is a problem" in words
    assert "Wording of row 1: Write the wording, or retire the row" in words
    assert "What kind of misuse is it?: Say what kind of misuse it is, or untick its actions" in words
    assert "Actions expected for row 2: Select a valid choice." in words
    assert AuditEntry.objects.count() == count
    assert table_of(cast.a, AppliesTo.PUPILS) == {
        key: set(expected) for key, _, expected in seed.PUPIL_MISUSE
    }
    # A new row may not repeat one the table has.
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a,
            AppliesTo.PUPILS,
            **{"new-description": "corrupting or destroying the data of other users"},
        ),
    )
    assert response.status_code == 200 and "Another row says the same" in text(response)
    assert AuditEntry.objects.count() == count
