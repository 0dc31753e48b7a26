"""Changing the matrix, by the DSL team and the headteacher only: rows' wording and actions (audited with
before and after), new rows, rows retired rather than deleted; actions renamed, made a warning or
sanction, added, never deleted; all or nothing; another table's or school's refused."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.incidents import actions as incident_actions
from schoolgate.web.incidents import expected
from schoolgate.web.incidents.choices import IncidentType, Role
from schoolgate.web.sanctions import actions, matrix, seed
from schoolgate.web.sanctions.actions import Column, Row
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction
from tests.web.factories import Cast
from tests.web.incidents.make import person, report
from tests.web.pages import logged_in, text
from tests.web.sanctions.make import action_of, expected_keys, form_data, row_of, table_of


def test_only_the_dsl_team_and_the_headteacher_may_change_it(cast: Cast) -> None:
    for name in ("olu", "tom", "nina", "cleo", "greta", "sami"):
        client = logged_in(cast.users[name])
        assert client.get("/incidents/matrix/pupil/edit/").status_code == 403, name
        assert client.post("/incidents/matrix/pupil/edit/", {}).status_code == 403, name
    for name in ("alice", "dara", "hana"):
        assert logged_in(cast.users[name]).get("/incidents/matrix/staff/edit/").status_code == 200, name
    matrix.ensure_matrix(cast.a)
    with pytest.raises(PermissionDenied):
        actions.do_change_matrix(
            cast.a, actor=cast.olu, applies_to=AppliesTo.PUPILS, rows=[Row("Anything", ())]
        )
    with pytest.raises(PermissionDenied):  # alice is the DSL of Northfield, not of Southgate
        actions.do_change_matrix(
            cast.b, actor=cast.alice, applies_to=AppliesTo.PUPILS, rows=[Row("Anything", ())]
        )


def test_changing_a_rows_actions_is_saved_and_audited_with_before_and_after(cast: Cast) -> None:
    client = logged_in(cast.alice)
    page = client.get("/incidents/matrix/pupil/edit/").content.decode()
    row = row_of(cast.a, "non-educational")
    assert f'name="{row.pk}-expected" value="class-teacher"' in page and "Actions expected for row 1" in page
    assert "Add a new kind of misuse" in page
    continued = row_of(cast.a, seed.CONTINUED_KEY)
    assert f'name="{continued.pk}-retired"' not in page  # that row stays
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-expected": ["class-teacher", "parents"]}),
    )
    assert response.status_code == 302 and response["Location"] == "/incidents/matrix/"
    assert "The pupils' table was saved: 1 row changed." in text(client.get("/incidents/matrix/"))
    assert table_of(cast.a, AppliesTo.PUPILS)["non-educational"] == {"class-teacher", "parents"}
    entries = list(AuditEntry.objects.filter(object_type="sanctions.misuse", object_id=str(row.pk)))
    entry = entries[-1]
    assert (entry.action, entry.actor, entry.school_id) == ("update", cast.alice, cast.a.pk)
    assert entry.before == {"expected": ["class-teacher"]}
    assert entry.after == {"expected": ["class-teacher", "parents"]}
    assert [e.action for e in entries] == ["create", "update"]  # the wording did not change: no entry
    # The other rows, and the staff table, are as they were.
    changed = {key for key, _, _ in seed.PUPIL_MISUSE} - {"non-educational"}
    assert all(
        table_of(cast.a, AppliesTo.PUPILS)[k] == set(e) for k, _, e in seed.PUPIL_MISUSE if k in changed
    )
    assert table_of(cast.a, AppliesTo.STAFF) == {key: set(expected) for key, _, expected in seed.STAFF_MISUSE}
    # Sent again as it is: nothing changes, nothing is written.
    count = AuditEntry.objects.count()
    response = client.post("/incidents/matrix/pupil/edit/", form_data(cast.a, AppliesTo.PUPILS))
    assert response.status_code == 302 and AuditEntry.objects.count() == count
    assert "Nothing was changed." in text(client.get("/incidents/matrix/"))


def test_changing_a_rows_wording_is_audited_by_the_record(cast: Cast) -> None:
    client = logged_in(cast.hana)
    client.get("/incidents/matrix/staff/edit/")
    row = row_of(cast.a, "downloading", AppliesTo.STAFF)
    wording = "Unauthorised downloading or uploading of files or apps"
    response = client.post(
        "/incidents/matrix/staff/edit/",
        form_data(cast.a, AppliesTo.STAFF, **{f"{row.pk}-description": f"  {wording} "}),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.description == wording and row.key == "downloading"
    entry = AuditEntry.objects.filter(object_type="sanctions.misuse", object_id=str(row.pk)).last()
    assert entry is not None and entry.actor == cast.hana
    assert entry.before is not None and entry.before["description"] == seed.STAFF_MISUSE[11][1]
    assert entry.after is not None and entry.after["description"] == wording


def test_a_new_kind_of_misuse_is_added_with_its_actions(cast: Cast) -> None:
    client = logged_in(cast.dara)
    client.get("/incidents/matrix/pupil/edit/")
    last = Misuse.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS).order_by("-order").first()
    assert last is not None
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a,
            AppliesTo.PUPILS,
            **{
                "new-description": "Using AI tools to write homework",
                "new-expected": ["class-teacher", "parents"],
            },
        ),
    )
    assert response.status_code == 302
    new = row_of(cast.a, "using-ai-tools-to-write-homework")
    assert (new.description, new.order, new.retired, new.is_continued) == (
        "Using AI tools to write homework",
        last.order + 1,
        False,
        False,
    )
    assert {a.key for a in new.expected.all()} == {"class-teacher", "parents"}
    entries = list(AuditEntry.objects.filter(object_type="sanctions.misuse", object_id=str(new.pk)))
    assert [(e.action, e.actor) for e in entries] == [("create", cast.dara), ("update", cast.dara)]
    assert (entries[1].before, entries[1].after) == (
        {"expected": []},
        {"expected": ["class-teacher", "parents"]},
    )
    page = client.get("/incidents/matrix/")
    assert (
        "1 added" in text(page)
        and '<th scope="row">Using AI tools to write homework</th>' in page.content.decode()
    )
    # The key is made unique: a second row whose words make the same key gets the next.
    again = actions.do_change_matrix(
        cast.a,
        actor=cast.dara,
        applies_to=AppliesTo.PUPILS,
        rows=[Row("Using AI tools to write homework!", ("warning",))],
    )
    assert (again.changed, again.added) == (0, 1)
    assert (
        row_of(cast.a, "using-ai-tools-to-write-homework-2").description
        == "Using AI tools to write homework!"
    )


def test_a_key_is_a_short_unique_slug() -> None:
    assert actions.unique_key("Sharing “nudes” – on Snapchat!", set()) == "sharing-nudes-on-snapchat"
    long = "word " * 30
    key = actions.unique_key(long, {actions.unique_key(long, set())})
    assert len(key) <= 40 and key.endswith("-2") and "--" not in key
    assert actions.unique_key("!!!", set()) == "misuse"


def test_a_row_is_retired_not_deleted(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    row = row_of(cast.a, "proxy")
    response = client.post(
        "/incidents/matrix/pupil/edit/", form_data(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-retired": "on"})
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.retired and {a.key for a in row.expected.all()} == {"technical", "parents", "remove-access"}
    entry = AuditEntry.objects.filter(object_type="sanctions.misuse", object_id=str(row.pk)).last()
    assert entry is not None and entry.before is not None and entry.after is not None
    assert (entry.before["retired"], entry.after["retired"]) == (False, True)
    page = client.get("/incidents/matrix/").content.decode()
    assert "Using proxy sites or other means to subvert the school's filtering system" in html.unescape(page)
    assert "Retired" in page
    assert Misuse.objects.filter(school=cast.a).count() == len(seed.PUPIL_MISUSE) + len(seed.STAFF_MISUSE)
    # And brought back.
    response = client.post(
        "/incidents/matrix/pupil/edit/", form_data(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-retired": False})
    )
    row.refresh_from_db()
    assert response.status_code == 302 and not row.retired
    with pytest.raises(PermissionError):
        row.delete()


def test_the_continued_infringements_row_cannot_be_retired(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    continued = row_of(cast.a, seed.CONTINUED_KEY)
    with pytest.raises(ValidationError):
        actions.do_change_matrix(
            cast.a,
            actor=cast.alice,
            applies_to=AppliesTo.PUPILS,
            rows=[Row(continued.description, (), retired=True, pk=continued.pk)],
        )
    continued.refresh_from_db()
    assert not continued.retired and {a.key for a in continued.expected.all()} == {"further-sanction"}


def test_a_row_of_another_table_or_school_is_refused(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    matrix.ensure_matrix(cast.b)
    staff_row = row_of(cast.a, "downloading", AppliesTo.STAFF)
    theirs = row_of(cast.b, "downloading")
    for pk in (staff_row.pk, theirs.pk):
        with pytest.raises(ValidationError):
            actions.do_change_matrix(
                cast.a, actor=cast.alice, applies_to=AppliesTo.PUPILS, rows=[Row("Changed", (), pk=pk)]
            )
    with pytest.raises(ValidationError):  # "suspension" is a column of the staff table only
        actions.do_change_matrix(
            cast.a, actor=cast.alice, applies_to=AppliesTo.PUPILS, rows=[Row("New", ("suspension",))]
        )
    assert theirs.description == row_of(cast.b, "downloading").description


def test_renaming_an_action_and_making_it_a_sanction_is_saved_and_audited(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    parents = action_of(cast.a, "parents")
    assert not parents.is_sanction
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a,
            AppliesTo.PUPILS,
            **{f"action-{parents.pk}-name": "  Tell the  parents ", f"action-{parents.pk}-is_sanction": "on"},
        ),
    )
    assert response.status_code == 302
    assert "The pupils' table was saved: 1 action changed." in text(client.get("/incidents/matrix/"))
    parents.refresh_from_db()
    assert (parents.key, parents.name, parents.is_sanction) == ("parents", "Tell the parents", True)
    entry = AuditEntry.objects.filter(
        object_type="sanctions.sanctionaction", object_id=str(parents.pk)
    ).last()
    assert entry is not None and (entry.action, entry.actor, entry.school_id) == (
        "update",
        cast.alice,
        cast.a.pk,
    )
    assert entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.before["is_sanction"]) == ("Inform parents / carers", False)
    assert (entry.after["name"], entry.after["is_sanction"]) == ("Tell the parents", True)
    page = client.get("/incidents/matrix/").content.decode()
    assert '<th scope="col">Tell the parents</th>' in page
    assert "Inform parents / carers" not in page
    assert "continued infringement: Tell the parents; Removal of network" in text(
        client.get("/incidents/matrix/")
    )
    # The rows that expected it still do, under its new name.
    assert "parents" in table_of(cast.a, AppliesTo.PUPILS)["corrupting-data"]
    # Misuse after it now counts as a continued infringement.
    pupil = person(cast.a, "Oliver", "Bennett")
    misuse = {"incident_type": IncidentType.MISUSE, "subject": pupil, "role": Role.SUBJECT}
    first = report(cast.a, cast.tom, misuse=row_of(cast.a, "proxy"), **misuse)
    incident_actions.do_take_action(
        first, actor=cast.alice, action=parents, involvement=first.involvements.get(person=pupil)
    )
    again = report(cast.a, cast.tom, misuse=row_of(cast.a, "non-educational"), **misuse)
    assert [e.sanctions for e in expected.earlier_sanctions(again, cast.alice)] == [("Tell the parents",)]


def test_a_new_action_is_added_then_ticked_for_a_row_and_expected(cast: Cast) -> None:
    client = logged_in(cast.dara)
    client.get("/incidents/matrix/pupil/edit/")
    last = (
        SanctionAction.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS).order_by("-order").first()
    )
    assert last is not None
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a,
            AppliesTo.PUPILS,
            **{"action-new-name": " Restorative  meeting ", "action-new-is_sanction": False},
        ),
    )
    assert response.status_code == 302
    assert "The pupils' table was saved: 1 action added." in text(client.get("/incidents/matrix/"))
    new = action_of(cast.a, "restorative-meeting")
    assert (new.name, new.is_sanction, new.order) == ("Restorative meeting", False, last.order + 1)
    entries = list(AuditEntry.objects.filter(object_type="sanctions.sanctionaction", object_id=str(new.pk)))
    assert [(e.action, e.actor, e.school_id) for e in entries] == [("create", cast.dara, cast.a.pk)]
    assert not SanctionAction.objects.filter(school=cast.a, applies_to=AppliesTo.STAFF, key=new.key).exists()
    # It is a column of the table, for every row, and ticked for nothing yet.
    page = client.get("/incidents/matrix/pupil/edit/").content.decode()
    rows = list(Misuse.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS))
    assert all(f'name="{m.pk}-expected" value="restorative-meeting"' in page for m in rows)
    assert '<th scope="col">Restorative meeting</th>' in client.get("/incidents/matrix/").content.decode()
    assert not any(
        "restorative-meeting" in expected for expected in table_of(cast.a, AppliesTo.PUPILS).values()
    )
    # Ticked for a row, an incident of that misuse expects it, in the table's order (last).
    row = row_of(cast.a, "non-educational")
    incident = report(cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=row, role=Role.SUBJECT)
    assert expected_keys(incident, cast.alice) == ["class-teacher"]
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a, AppliesTo.PUPILS, **{f"{row.pk}-expected": ["restorative-meeting", "class-teacher"]}
        ),
    )
    assert response.status_code == 302
    assert expected_keys(incident, cast.alice) == ["class-teacher", "restorative-meeting"]
    entry = AuditEntry.objects.filter(object_type="sanctions.misuse", object_id=str(row.pk)).last()
    assert entry is not None and entry.after == {"expected": ["class-teacher", "restorative-meeting"]}
    # The key is made unique; a name that makes no slug still makes a key.
    done = actions.do_change_actions(
        cast.a,
        actor=cast.dara,
        applies_to=AppliesTo.PUPILS,
        columns=[Column("Restorative meeting!", True), Column("!!!")],
    )
    assert (done.actions_changed, done.actions_added) == (0, 2)
    assert (
        action_of(cast.a, "restorative-meeting-2").is_sanction and action_of(cast.a, "action").name == "!!!"
    )


def test_action_names_must_be_given_and_differ(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    parents, warning = action_of(cast.a, "parents"), action_of(cast.a, "warning")
    count = AuditEntry.objects.count()
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(cast.a, AppliesTo.PUPILS, **{f"action-{warning.pk}-name": " inform PARENTS /  carers"}),
    )
    assert response.status_code == 200
    words = text(response)
    assert "There is a problem" in words
    number = (
        list(SanctionAction.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS)).index(warning) + 1
    )
    assert f"Name of action {number}: Another action is called the same: change this action" in words
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a,
            AppliesTo.PUPILS,
            **{
                "action-new-name": "Warning",
                f"action-{parents.pk}-name": " ",
                "action-new-is_sanction": "on",
            },
        ),
    )
    words = text(response)
    assert response.status_code == 200
    assert "Name of the new action: Another action is called the same: change the new action's name" in words
    assert "Write the action's name" in words
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        form_data(cast.a, AppliesTo.PUPILS, **{"action-new-is_sanction": "on"}),
    )
    assert "Name of the new action: Name the new action, or untick it" in text(response)
    assert AuditEntry.objects.count() == count
    assert (
        action_of(cast.a, "warning").name == "Warning" and action_of(cast.a, "parents").name == parents.name
    )
    # The same rules when the actions are changed directly, and nothing is saved.
    for columns in (
        [Column("Warning")],
        [Column("WARNING ", pk=parents.pk)],
        [Column("Meeting"), Column(" meeting")],
        [Column("  ", pk=parents.pk)],
        [Column("x" * 201)],
    ):
        with pytest.raises(ValidationError):
            actions.do_change_actions(cast.a, actor=cast.alice, applies_to=AppliesTo.PUPILS, columns=columns)
    # Two actions may swap names in one go: it is the names they end with that must differ.
    swapped = actions.do_change_actions(
        cast.a,
        actor=cast.alice,
        applies_to=AppliesTo.PUPILS,
        columns=[Column("Warning", pk=parents.pk), Column(parents.name, pk=warning.pk)],
    )
    assert swapped.actions_changed == 2
    assert AuditEntry.objects.count() == count + 2


def test_all_or_nothing_rows_and_actions_together(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    row = row_of(cast.a, "proxy")
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError):  # the row is fine, the action is not: neither is saved
        actions.do_change_matrix(
            cast.a,
            actor=cast.alice,
            applies_to=AppliesTo.PUPILS,
            rows=[Row("Proxy sites", (), pk=row.pk)],
            columns=[Column("Warning")],
        )
    assert row_of(cast.a, "proxy").description == row.description and AuditEntry.objects.count() == count


def test_only_the_dsl_team_and_the_headteacher_may_change_the_actions(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    parents = action_of(cast.a, "parents")
    data = form_data(
        cast.a, AppliesTo.PUPILS, **{f"action-{parents.pk}-name": "Changed", "action-new-name": "New"}
    )
    matrix_entries = AuditEntry.objects.filter(
        object_type__in=["sanctions.sanctionaction", "sanctions.misuse"]
    )
    count = matrix_entries.count()
    for name in ("olu", "tom", "nina", "cleo", "greta", "sami"):
        assert logged_in(cast.users[name]).post("/incidents/matrix/pupil/edit/", data).status_code == 403, (
            name
        )
    with pytest.raises(PermissionDenied):
        actions.do_change_actions(
            cast.a, actor=cast.olu, applies_to=AppliesTo.PUPILS, columns=[Column("New")]
        )
    with pytest.raises(PermissionDenied):  # alice is the DSL of Northfield, not of Southgate
        actions.do_change_actions(
            cast.b, actor=cast.alice, applies_to=AppliesTo.PUPILS, columns=[Column("New")]
        )
    assert action_of(cast.a, "parents").name == parents.name
    assert not SanctionAction.objects.filter(name="New").exists() and matrix_entries.count() == count


def test_an_action_of_another_table_or_school_is_refused(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    matrix.ensure_matrix(cast.b)
    suspension = action_of(cast.a, "suspension", AppliesTo.STAFF)
    theirs = action_of(cast.b, "parents")
    for pk in (suspension.pk, theirs.pk):
        with pytest.raises(ValidationError):
            actions.do_change_actions(
                cast.a, actor=cast.alice, applies_to=AppliesTo.PUPILS, columns=[Column("Changed", pk=pk)]
            )
    assert action_of(cast.b, "parents").name == theirs.name
    assert action_of(cast.a, "suspension", AppliesTo.STAFF).name == suspension.name
    with pytest.raises(PermissionError):
        suspension.delete()
