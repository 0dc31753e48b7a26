"""The sanctions matrix: filled from the policy's "School Actions & Sanctions" tables (checked against
the policy text itself, both ways), shown to those who deal with incidents, changed by the DSL team
and the headteacher (audited, rows retired rather than deleted), and what it then expects."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.incidents import actions, matrix, matrix_actions, seed
from schoolgate.web.incidents.choices import AppliesTo, IncidentType, Role
from schoolgate.web.incidents.matrix_actions import Column, Row
from schoolgate.web.incidents.models import Misuse, SanctionAction
from tests.web.cast import Cast, logged_in
from tests.web.incidents.make import person, report

POLICY = Path(__file__).resolve().parents[3].parent / "shared" / "policies" / "002_5def962ba9ff46b3.txt"

# Page headers that the PDF's conversion left inside the staff table.
STRAY_LINES = {"Students / Pupils Incidents", "Pupils Incidents"}


def _plain(text: str) -> str:
    """Words as the seed writes them: straight quotes, no bullets, single spaces."""
    text = text.replace("’", "'").replace("‘", "'").replace("●", " ")
    return " ".join(text.split())


def _sections(part: str, columns: tuple[tuple[str, str, bool], ...]) -> dict[str, str]:
    """The policy's list of misuse under each action's heading, by action key."""
    headings = {name: key for key, name, _ in columns}
    found: dict[str, list[str]] = {}
    before: list[str] = []
    current: str | None = None
    for line in part.splitlines():
        words = _plain(line)
        if words in STRAY_LINES:
            continue
        if words in headings:
            current = headings[words]
            assert current not in found, f"{words!r} is a heading twice"
            found[current] = []
        elif current is None:
            before.append(words)
        else:
            found[current].append(words)
    assert not _plain(" ".join(before)), f"text before the first action: {before}"
    assert list(found) == [key for key, _, _ in columns], "the policy's actions, in its order"
    return {key: _plain(" ".join(lines)) for key, lines in found.items()}


def _policy_tables() -> dict[AppliesTo, dict[str, str]]:
    assert POLICY.is_file(), f"the seed policy is missing: {POLICY}"
    text = POLICY.read_text(encoding="utf-8")
    assert text.count("\nSchool Actions & Sanctions\n") == 1
    tail = text.split("\nSchool Actions & Sanctions\n", 1)[1]
    assert tail.count("Pupils:") == 1 and tail.count("Staff:") == 1
    pupils, staff = tail.split("Pupils:", 1)[1].split("Staff:", 1)
    return {
        AppliesTo.PUPILS: _sections(pupils, seed.PUPIL_ACTIONS),
        AppliesTo.STAFF: _sections(staff, seed.STAFF_ACTIONS),
    }


SEED = {
    AppliesTo.PUPILS: (seed.PUPIL_ACTIONS, seed.PUPIL_MISUSE),
    AppliesTo.STAFF: (seed.STAFF_ACTIONS, seed.STAFF_MISUSE),
}


@pytest.mark.parametrize("applies_to", list(AppliesTo))
def test_the_seed_is_the_policys_table_word_for_word_both_ways(applies_to: AppliesTo) -> None:
    sections = _policy_tables()[applies_to]
    columns, rows = SEED[applies_to]
    wrong = []
    for key, _name, _ in columns:
        for row_key, description, expected in rows:
            in_policy = _plain(description) in sections[key]
            if in_policy != (key in expected):
                wrong.append(f"{key} × {row_key}: policy {in_policy}, seed {key in expected}")
    assert not wrong, "\n".join(wrong)
    # Nothing under any heading is left once the seed's rows are taken out: no row is missing.
    descriptions = sorted((_plain(d) for _, d, _ in rows), key=len, reverse=True)
    for key, section in sections.items():
        rest = section
        for description in descriptions:
            rest = rest.replace(description, "")
        assert not rest.strip(), f"{key}: in the policy but not in the seed: {rest.strip()!r}"
    assert len({k for k, _, _ in rows}) == len(rows) and len({k for k, _, _ in columns}) == len(columns)


def _table(school: Any, applies_to: AppliesTo) -> dict[str, set[str]]:
    rows = Misuse.objects.filter(school=school, applies_to=applies_to).prefetch_related("expected")
    return {m.key: {a.key for a in m.expected.all()} for m in rows}


def test_the_matrix_is_filled_from_the_seed_once_for_each_school(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    matrix.ensure_matrix(cast.a)
    for applies_to, (columns, rows) in SEED.items():
        names = SanctionAction.objects.filter(school=cast.a, applies_to=applies_to).values_list(
            "name", flat=True
        )
        assert list(names) == [name for _, name, _ in columns]
        assert _table(cast.a, applies_to) == {key: set(expected) for key, _, expected in rows}
        continued = Misuse.objects.get(school=cast.a, applies_to=applies_to, is_continued=True)
        assert continued.key == seed.CONTINUED_KEY
    assert SanctionAction.objects.filter(school=cast.a).count() == len(seed.PUPIL_ACTIONS) + len(
        seed.STAFF_ACTIONS
    )
    assert Misuse.objects.filter(school=cast.a).count() == len(seed.PUPIL_MISUSE) + len(seed.STAFF_MISUSE)
    sanctions = set(
        SanctionAction.objects.filter(
            school=cast.a, applies_to=AppliesTo.PUPILS, is_sanction=True
        ).values_list("key", flat=True)
    )
    assert sanctions == {"remove-access", "warning", "further-sanction"}
    assert not Misuse.objects.filter(school=cast.b).exists()  # each school's own, when it is needed


def _text(response: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_the_matrix_page_shows_both_tables_to_those_who_deal_with_incidents(cast: Cast) -> None:
    response = logged_in(cast.olu).get("/incidents/matrix/")
    assert response.status_code == 200
    page = response.content.decode()
    words = _text(response)
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


def test_only_the_dsl_team_and_the_headteacher_may_change_it(cast: Cast) -> None:
    for name in ("olu", "tom", "nina", "cleo", "greta", "sami"):
        client = logged_in(cast.users[name])
        assert client.get("/incidents/matrix/pupil/edit/").status_code == 403, name
        assert client.post("/incidents/matrix/pupil/edit/", {}).status_code == 403, name
    for name in ("alice", "dara", "hana"):
        assert logged_in(cast.users[name]).get("/incidents/matrix/staff/edit/").status_code == 200, name
    matrix.ensure_matrix(cast.a)
    with pytest.raises(PermissionDenied):
        matrix_actions.do_change_matrix(cast.a, cast.olu, AppliesTo.PUPILS, [Row("Anything", ())])
    with pytest.raises(PermissionDenied):  # alice is the DSL of Northfield, not of Southgate
        matrix_actions.do_change_matrix(cast.b, cast.alice, AppliesTo.PUPILS, [Row("Anything", ())])


def test_a_table_that_is_not_there_is_not_found(cast: Cast) -> None:
    client = logged_in(cast.alice)
    for table in ("parents", "pupils", "PUPIL", "x"):
        assert client.get(f"/incidents/matrix/{table}/edit/").status_code == 404, table
        assert client.post(f"/incidents/matrix/{table}/edit/", {}).status_code == 404, table


def _form(school: Any, applies_to: AppliesTo, **changes: Any) -> dict[str, Any]:
    """The edit form's data as the page fills it, with `changes` (field name -> value) made."""
    data: dict[str, Any] = {"new-description": "", "new-expected": [], "action-new-name": ""}
    for misuse in Misuse.objects.filter(school=school, applies_to=applies_to).prefetch_related("expected"):
        data[f"{misuse.pk}-description"] = misuse.description
        data[f"{misuse.pk}-expected"] = [a.key for a in misuse.expected.all()]
        if misuse.retired:
            data[f"{misuse.pk}-retired"] = "on"
    for action in SanctionAction.objects.filter(school=school, applies_to=applies_to):
        data[f"action-{action.pk}-name"] = action.name
        if action.is_sanction:
            data[f"action-{action.pk}-is_sanction"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def _row(school: Any, key: str, applies_to: AppliesTo = AppliesTo.PUPILS) -> Misuse:
    return Misuse.objects.get(school=school, applies_to=applies_to, key=key)


def test_changing_a_rows_actions_is_saved_and_audited_with_before_and_after(cast: Cast) -> None:
    client = logged_in(cast.alice)
    page = client.get("/incidents/matrix/pupil/edit/").content.decode()
    row = _row(cast.a, "non-educational")
    assert f'name="{row.pk}-expected" value="class-teacher"' in page and "Actions expected for row 1" in page
    assert "Add a new kind of misuse" in page
    continued = _row(cast.a, seed.CONTINUED_KEY)
    assert f'name="{continued.pk}-retired"' not in page  # that row stays
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-expected": ["class-teacher", "parents"]}),
    )
    assert response.status_code == 302 and response["Location"] == "/incidents/matrix/"
    assert "The pupils' table was saved: 1 row changed." in _text(client.get("/incidents/matrix/"))
    assert _table(cast.a, AppliesTo.PUPILS)["non-educational"] == {"class-teacher", "parents"}
    entries = list(AuditEntry.objects.filter(object_type="incidents.misuse", object_id=str(row.pk)))
    entry = entries[-1]
    assert (entry.action, entry.actor, entry.school_id) == ("update", cast.alice, cast.a.pk)
    assert entry.before == {"expected": ["class-teacher"]}
    assert entry.after == {"expected": ["class-teacher", "parents"]}
    assert [e.action for e in entries] == ["create", "update"]  # the wording did not change: no entry
    # The other rows, and the staff table, are as they were.
    changed = {key for key, _, _ in seed.PUPIL_MISUSE} - {"non-educational"}
    assert all(_table(cast.a, AppliesTo.PUPILS)[k] == set(e) for k, _, e in seed.PUPIL_MISUSE if k in changed)
    assert _table(cast.a, AppliesTo.STAFF) == {key: set(expected) for key, _, expected in seed.STAFF_MISUSE}
    # Sent again as it is: nothing changes, nothing is written.
    count = AuditEntry.objects.count()
    response = client.post("/incidents/matrix/pupil/edit/", _form(cast.a, AppliesTo.PUPILS))
    assert response.status_code == 302 and AuditEntry.objects.count() == count
    assert "Nothing was changed." in _text(client.get("/incidents/matrix/"))


def test_changing_a_rows_wording_is_audited_by_the_record(cast: Cast) -> None:
    client = logged_in(cast.hana)
    client.get("/incidents/matrix/staff/edit/")
    row = _row(cast.a, "downloading", AppliesTo.STAFF)
    wording = "Unauthorised downloading or uploading of files or apps"
    response = client.post(
        "/incidents/matrix/staff/edit/",
        _form(cast.a, AppliesTo.STAFF, **{f"{row.pk}-description": f"  {wording} "}),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.description == wording and row.key == "downloading"
    entry = AuditEntry.objects.filter(object_type="incidents.misuse", object_id=str(row.pk)).last()
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
        _form(
            cast.a,
            AppliesTo.PUPILS,
            **{
                "new-description": "Using AI tools to write homework",
                "new-expected": ["class-teacher", "parents"],
            },
        ),
    )
    assert response.status_code == 302
    new = _row(cast.a, "using-ai-tools-to-write-homework")
    assert (new.description, new.order, new.retired, new.is_continued) == (
        "Using AI tools to write homework",
        last.order + 1,
        False,
        False,
    )
    assert {a.key for a in new.expected.all()} == {"class-teacher", "parents"}
    entries = list(AuditEntry.objects.filter(object_type="incidents.misuse", object_id=str(new.pk)))
    assert [(e.action, e.actor) for e in entries] == [("create", cast.dara), ("update", cast.dara)]
    assert (entries[1].before, entries[1].after) == (
        {"expected": []},
        {"expected": ["class-teacher", "parents"]},
    )
    page = client.get("/incidents/matrix/")
    assert (
        "1 added" in _text(page)
        and '<th scope="row">Using AI tools to write homework</th>' in page.content.decode()
    )
    # The key is made unique: a second row whose words make the same key gets the next.
    again = matrix_actions.do_change_matrix(
        cast.a, cast.dara, AppliesTo.PUPILS, [Row("Using AI tools to write homework!", ("warning",))]
    )
    assert (again.changed, again.added) == (0, 1)
    assert (
        _row(cast.a, "using-ai-tools-to-write-homework-2").description == "Using AI tools to write homework!"
    )


def test_a_key_is_a_short_unique_slug() -> None:
    assert matrix_actions.unique_key("Sharing “nudes” – on Snapchat!", set()) == "sharing-nudes-on-snapchat"
    long = "word " * 30
    key = matrix_actions.unique_key(long, {matrix_actions.unique_key(long, set())})
    assert len(key) <= 40 and key.endswith("-2") and "--" not in key
    assert matrix_actions.unique_key("!!!", set()) == "misuse"


def test_a_row_is_retired_not_deleted(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    row = _row(cast.a, "proxy")
    response = client.post(
        "/incidents/matrix/pupil/edit/", _form(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-retired": "on"})
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.retired and {a.key for a in row.expected.all()} == {"technical", "parents", "remove-access"}
    entry = AuditEntry.objects.filter(object_type="incidents.misuse", object_id=str(row.pk)).last()
    assert entry is not None and entry.before is not None and entry.after is not None
    assert (entry.before["retired"], entry.after["retired"]) == (False, True)
    page = client.get("/incidents/matrix/").content.decode()
    assert "Using proxy sites or other means to subvert the school's filtering system" in html.unescape(page)
    assert "Retired" in page
    assert Misuse.objects.filter(school=cast.a).count() == len(seed.PUPIL_MISUSE) + len(seed.STAFF_MISUSE)
    # And brought back.
    response = client.post(
        "/incidents/matrix/pupil/edit/", _form(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-retired": False})
    )
    row.refresh_from_db()
    assert response.status_code == 302 and not row.retired
    with pytest.raises(PermissionError):
        row.delete()


def test_the_continued_infringements_row_cannot_be_retired(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    continued = _row(cast.a, seed.CONTINUED_KEY)
    with pytest.raises(ValidationError):
        matrix_actions.do_change_matrix(
            cast.a,
            cast.alice,
            AppliesTo.PUPILS,
            [Row(continued.description, (), retired=True, pk=continued.pk)],
        )
    continued.refresh_from_db()
    assert not continued.retired and {a.key for a in continued.expected.all()} == {"further-sanction"}


def test_the_form_says_what_is_wrong_and_changes_nothing(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    first, second = _row(cast.a, "non-educational"), _row(cast.a, "mobile-device")
    count = AuditEntry.objects.count()
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(
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
    words = _text(response)
    assert "There is a problem" in words
    assert "Wording of row 1: Write the wording, or retire the row" in words
    assert "What kind of misuse is it?: Say what kind of misuse it is, or untick its actions" in words
    assert "Actions expected for row 2: Select a valid choice." in words
    assert AuditEntry.objects.count() == count
    assert _table(cast.a, AppliesTo.PUPILS) == {key: set(expected) for key, _, expected in seed.PUPIL_MISUSE}
    # A new row may not repeat one the table has.
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(
            cast.a,
            AppliesTo.PUPILS,
            **{"new-description": "corrupting or destroying the data of other users"},
        ),
    )
    assert response.status_code == 200 and "Another row says the same" in _text(response)
    assert AuditEntry.objects.count() == count


def test_a_row_of_another_table_or_school_is_refused(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    matrix.ensure_matrix(cast.b)
    staff_row = _row(cast.a, "downloading", AppliesTo.STAFF)
    theirs = _row(cast.b, "downloading")
    for pk in (staff_row.pk, theirs.pk):
        with pytest.raises(ValidationError):
            matrix_actions.do_change_matrix(cast.a, cast.alice, AppliesTo.PUPILS, [Row("Changed", (), pk=pk)])
    with pytest.raises(ValidationError):  # "suspension" is a column of the staff table only
        matrix_actions.do_change_matrix(cast.a, cast.alice, AppliesTo.PUPILS, [Row("New", ("suspension",))])
    assert theirs.description == _row(cast.b, "downloading").description


def _expected_keys(incident: Any, viewer: Any) -> list[str]:
    earlier = matrix.earlier_sanctions(incident, viewer)
    return [e.action.key for e in matrix.expected_actions(incident, earlier)]


def test_an_incident_expects_what_the_matrix_says_after_it_is_changed(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    row = _row(cast.a, "non-educational")
    incident = report(cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=row, role=Role.SUBJECT)
    assert _expected_keys(incident, cast.alice) == ["class-teacher"]
    response = logged_in(cast.alice).post(
        "/incidents/matrix/pupil/edit/",
        _form(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-expected": ["parents", "warning", "class-teacher"]}),
    )
    assert response.status_code == 302
    assert _expected_keys(incident, cast.alice) == [
        "class-teacher",
        "parents",
        "warning",
    ]  # in the table's order


def test_continued_infringements_after_an_earlier_warning(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    pupil = person(cast.a, "Oliver", "Bennett")
    downloading = _row(cast.a, "downloading")
    first = report(
        cast.a,
        cast.tom,
        incident_type=IncidentType.MISUSE,
        misuse=downloading,
        subject=pupil,
        role=Role.SUBJECT,
    )
    assert matrix.earlier_sanctions(first, cast.alice) == []
    warning = SanctionAction.objects.get(school=cast.a, applies_to=AppliesTo.PUPILS, key="warning")
    assert warning.is_sanction
    actions.do_take_action(first, cast.alice, warning, involvement=first.involvements.get(person=pupil))
    lessons = _row(cast.a, "non-educational")
    again = report(
        cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=lessons, subject=pupil, role=Role.SUBJECT
    )
    earlier = matrix.earlier_sanctions(again, cast.alice)
    assert [(e.incident, e.person_name, e.sanctions) for e in earlier] == [
        (first, "Oliver Bennett", ("Warning",))
    ]
    expected = matrix.expected_actions(again, earlier)
    assert [e.action.key for e in expected] == ["class-teacher", "further-sanction"]
    assert [e.because for e in expected][1] == seed.CONTINUED
    # Another pupil's misuse is not continued for having nothing to do with it.
    other = report(
        cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=downloading,
        subject=person(cast.a, "Grace", "Wilson"), role=Role.SUBJECT,
    )  # fmt: skip
    assert matrix.earlier_sanctions(other, cast.alice) == []
    assert _expected_keys(other, cast.alice) == ["technical", "warning"]


# ---------------------------------------------------------------------------------------------------------
# The actions (columns): renamed, made a warning or sanction or not, added; never deleted


def _action(school: Any, key: str, applies_to: AppliesTo = AppliesTo.PUPILS) -> SanctionAction:
    return SanctionAction.objects.get(school=school, applies_to=applies_to, key=key)


def test_the_edit_page_offers_each_action_and_a_new_one(cast: Cast) -> None:
    page = logged_in(cast.alice).get("/incidents/matrix/staff/edit/").content.decode()
    suspension = _action(cast.a, "suspension", AppliesTo.STAFF)
    assert f'name="action-{suspension.pk}-name"' in page and f'for="id_action-{suspension.pk}-name"' in page
    assert f'name="action-{suspension.pk}-is_sanction"' in page
    assert "Add a new action" in page and 'name="action-new-name"' in page
    assert 'name="action-new-is_sanction"' in page
    # Actions, like rows, are never deleted: an action has its name and whether it is a sanction, no more.
    assert set(re.findall(r'name="action-\d+-([\w-]+)"', page)) == {"name", "is_sanction"}


def test_renaming_an_action_and_making_it_a_sanction_is_saved_and_audited(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    parents = _action(cast.a, "parents")
    assert not parents.is_sanction
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(
            cast.a,
            AppliesTo.PUPILS,
            **{f"action-{parents.pk}-name": "  Tell the  parents ", f"action-{parents.pk}-is_sanction": "on"},
        ),
    )
    assert response.status_code == 302
    assert "The pupils' table was saved: 1 action changed." in _text(client.get("/incidents/matrix/"))
    parents.refresh_from_db()
    assert (parents.key, parents.name, parents.is_sanction) == ("parents", "Tell the parents", True)
    entry = AuditEntry.objects.filter(
        object_type="incidents.sanctionaction", object_id=str(parents.pk)
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
    assert "continued infringement: Tell the parents; Removal of network" in _text(
        client.get("/incidents/matrix/")
    )
    # The rows that expected it still do, under its new name.
    assert "parents" in _table(cast.a, AppliesTo.PUPILS)["corrupting-data"]
    # Misuse after it now counts as a continued infringement.
    pupil = person(cast.a, "Oliver", "Bennett")
    misuse = {"incident_type": IncidentType.MISUSE, "subject": pupil, "role": Role.SUBJECT}
    first = report(cast.a, cast.tom, misuse=_row(cast.a, "proxy"), **misuse)
    actions.do_take_action(first, cast.alice, parents, involvement=first.involvements.get(person=pupil))
    again = report(cast.a, cast.tom, misuse=_row(cast.a, "non-educational"), **misuse)
    assert [e.sanctions for e in matrix.earlier_sanctions(again, cast.alice)] == [("Tell the parents",)]


def test_a_new_action_is_added_then_ticked_for_a_row_and_expected(cast: Cast) -> None:
    client = logged_in(cast.dara)
    client.get("/incidents/matrix/pupil/edit/")
    last = (
        SanctionAction.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS).order_by("-order").first()
    )
    assert last is not None
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(
            cast.a,
            AppliesTo.PUPILS,
            **{"action-new-name": " Restorative  meeting ", "action-new-is_sanction": False},
        ),
    )
    assert response.status_code == 302
    assert "The pupils' table was saved: 1 action added." in _text(client.get("/incidents/matrix/"))
    new = _action(cast.a, "restorative-meeting")
    assert (new.name, new.is_sanction, new.order) == ("Restorative meeting", False, last.order + 1)
    entries = list(AuditEntry.objects.filter(object_type="incidents.sanctionaction", object_id=str(new.pk)))
    assert [(e.action, e.actor, e.school_id) for e in entries] == [("create", cast.dara, cast.a.pk)]
    assert not SanctionAction.objects.filter(school=cast.a, applies_to=AppliesTo.STAFF, key=new.key).exists()
    # It is a column of the table, for every row, and ticked for nothing yet.
    page = client.get("/incidents/matrix/pupil/edit/").content.decode()
    rows = list(Misuse.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS))
    assert all(f'name="{m.pk}-expected" value="restorative-meeting"' in page for m in rows)
    assert '<th scope="col">Restorative meeting</th>' in client.get("/incidents/matrix/").content.decode()
    assert not any(
        "restorative-meeting" in expected for expected in _table(cast.a, AppliesTo.PUPILS).values()
    )
    # Ticked for a row, an incident of that misuse expects it, in the table's order (last).
    row = _row(cast.a, "non-educational")
    incident = report(cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=row, role=Role.SUBJECT)
    assert _expected_keys(incident, cast.alice) == ["class-teacher"]
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(cast.a, AppliesTo.PUPILS, **{f"{row.pk}-expected": ["restorative-meeting", "class-teacher"]}),
    )
    assert response.status_code == 302
    assert _expected_keys(incident, cast.alice) == ["class-teacher", "restorative-meeting"]
    entry = AuditEntry.objects.filter(object_type="incidents.misuse", object_id=str(row.pk)).last()
    assert entry is not None and entry.after == {"expected": ["class-teacher", "restorative-meeting"]}
    # The key is made unique; a name that makes no slug still makes a key.
    done = matrix_actions.do_change_actions(
        cast.a, cast.dara, AppliesTo.PUPILS, [Column("Restorative meeting!", True), Column("!!!")]
    )
    assert (done.actions_changed, done.actions_added) == (0, 2)
    assert _action(cast.a, "restorative-meeting-2").is_sanction and _action(cast.a, "action").name == "!!!"


def test_action_names_must_be_given_and_differ(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.get("/incidents/matrix/pupil/edit/")
    parents, warning = _action(cast.a, "parents"), _action(cast.a, "warning")
    count = AuditEntry.objects.count()
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(cast.a, AppliesTo.PUPILS, **{f"action-{warning.pk}-name": " inform PARENTS /  carers"}),
    )
    assert response.status_code == 200
    words = _text(response)
    assert "There is a problem" in words
    number = (
        list(SanctionAction.objects.filter(school=cast.a, applies_to=AppliesTo.PUPILS)).index(warning) + 1
    )
    assert f"Name of action {number}: Another action is called the same: change this action" in words
    response = client.post(
        "/incidents/matrix/pupil/edit/",
        _form(
            cast.a,
            AppliesTo.PUPILS,
            **{
                "action-new-name": "Warning",
                f"action-{parents.pk}-name": " ",
                "action-new-is_sanction": "on",
            },
        ),
    )
    words = _text(response)
    assert response.status_code == 200
    assert "Name of the new action: Another action is called the same: change the new action's name" in words
    assert "Write the action's name" in words
    response = client.post(
        "/incidents/matrix/pupil/edit/", _form(cast.a, AppliesTo.PUPILS, **{"action-new-is_sanction": "on"})
    )
    assert "Name of the new action: Name the new action, or untick it" in _text(response)
    assert AuditEntry.objects.count() == count
    assert _action(cast.a, "warning").name == "Warning" and _action(cast.a, "parents").name == parents.name
    # The same rules when the actions are changed directly, and nothing is saved.
    for columns in (
        [Column("Warning")],
        [Column("WARNING ", pk=parents.pk)],
        [Column("Meeting"), Column(" meeting")],
        [Column("  ", pk=parents.pk)],
        [Column("x" * 201)],
    ):
        with pytest.raises(ValidationError):
            matrix_actions.do_change_actions(cast.a, cast.alice, AppliesTo.PUPILS, columns)
    # Two actions may swap names in one go: it is the names they end with that must differ.
    swapped = matrix_actions.do_change_actions(
        cast.a,
        cast.alice,
        AppliesTo.PUPILS,
        [Column("Warning", pk=parents.pk), Column(parents.name, pk=warning.pk)],
    )
    assert swapped.actions_changed == 2
    assert AuditEntry.objects.count() == count + 2


def test_all_or_nothing_rows_and_actions_together(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    row = _row(cast.a, "proxy")
    count = AuditEntry.objects.count()
    with pytest.raises(ValidationError):  # the row is fine, the action is not: neither is saved
        matrix_actions.do_change_matrix(
            cast.a, cast.alice, AppliesTo.PUPILS, [Row("Proxy sites", (), pk=row.pk)], [Column("Warning")]
        )
    assert _row(cast.a, "proxy").description == row.description and AuditEntry.objects.count() == count


def test_only_the_dsl_team_and_the_headteacher_may_change_the_actions(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    parents = _action(cast.a, "parents")
    data = _form(
        cast.a, AppliesTo.PUPILS, **{f"action-{parents.pk}-name": "Changed", "action-new-name": "New"}
    )
    matrix_entries = AuditEntry.objects.filter(
        object_type__in=["incidents.sanctionaction", "incidents.misuse"]
    )
    count = matrix_entries.count()
    for name in ("olu", "tom", "nina", "cleo", "greta", "sami"):
        assert logged_in(cast.users[name]).post("/incidents/matrix/pupil/edit/", data).status_code == 403, (
            name
        )
    with pytest.raises(PermissionDenied):
        matrix_actions.do_change_actions(cast.a, cast.olu, AppliesTo.PUPILS, [Column("New")])
    with pytest.raises(PermissionDenied):  # alice is the DSL of Northfield, not of Southgate
        matrix_actions.do_change_actions(cast.b, cast.alice, AppliesTo.PUPILS, [Column("New")])
    assert _action(cast.a, "parents").name == parents.name
    assert not SanctionAction.objects.filter(name="New").exists() and matrix_entries.count() == count


def test_an_action_of_another_table_or_school_is_refused(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    matrix.ensure_matrix(cast.b)
    suspension = _action(cast.a, "suspension", AppliesTo.STAFF)
    theirs = _action(cast.b, "parents")
    for pk in (suspension.pk, theirs.pk):
        with pytest.raises(ValidationError):
            matrix_actions.do_change_actions(cast.a, cast.alice, AppliesTo.PUPILS, [Column("Changed", pk=pk)])
    assert _action(cast.b, "parents").name == theirs.name
    assert _action(cast.a, "suspension", AppliesTo.STAFF).name == suspension.name
    with pytest.raises(PermissionError):
        suspension.delete()
