"""The audit trail: every change written with who, when, before and after; tampering named."""

from __future__ import annotations

import pytest
from django.db import connection

from schoolgate.cli import main
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import acting_as, verify
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from tests.web.factories import Cast
from tests.web.pages import logged_in


def _person(cast: Cast) -> Person:
    with acting_as(cast.nina, "pupil joined"):
        return Person.objects.create(
            school=cast.a, kind=PersonKind.PUPIL, first_name="Amelia", last_name="Hughes"
        )


def test_it_records_create_update_and_delete_with_who_and_before_after(cast: Cast) -> None:
    person = _person(cast)
    created = AuditEntry.objects.filter(object_type="people.person", object_id=str(person.pk)).get()
    assert (created.action, created.actor, created.actor_label) == ("create", cast.nina, "nina")
    assert created.school == cast.a and created.before is None
    assert created.after is not None and created.after["first_name"] == "Amelia"
    assert created.reason == "pupil joined"

    with acting_as(cast.alice):
        person.last_name = "Hughes-Smith"
        person.save()
        person.save()  # nothing changed: no second entry
    updated = AuditEntry.objects.filter(object_id=str(person.pk), action="update").get()
    assert updated.before is not None and updated.after is not None
    assert (updated.before["last_name"], updated.after["last_name"]) == ("Hughes", "Hughes-Smith")
    assert updated.actor_label == "alice"

    person_id = person.pk
    person.delete()
    deleted = AuditEntry.objects.filter(object_id=str(person_id), action="delete").get()
    assert deleted.before is not None and deleted.before["last_name"] == "Hughes-Smith"
    assert verify().ok


def test_a_change_without_a_named_actor_is_written_as_system(cast: Cast) -> None:
    Person.objects.create(school=cast.a, kind=PersonKind.STAFF, first_name="Priya", last_name="Shah")
    assert AuditEntry.objects.filter(object_type="people.person").get().actor_label == "system"


def test_secrets_are_left_out_of_the_snapshots(cast: Cast) -> None:
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(cast.alice.pk)).get()
    assert entry.after is not None and "password" not in entry.after and entry.after["username"] == "alice"


def test_a_page_names_the_logged_in_user(cast: Cast) -> None:
    client = logged_in(cast.alice)
    client.post("/logout/")
    logins = AuditEntry.objects.filter(action__in=("login", "logout"), actor=cast.alice)
    assert [e.action for e in logins] == ["login", "logout"]


def test_entries_cannot_be_changed_or_removed_through_the_application(cast: Cast) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def _sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_verify_names_an_entry_altered_behind_the_applications_back(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    person = _person(cast)
    person.first_name = "Amy"
    person.save()
    assert main(["audit", "verify", "--quiet"]) == 0
    assert "audit trail intact" in capsys.readouterr().out

    target = AuditEntry.objects.get(object_id=str(person.pk), action="update")
    _sql("UPDATE audit_auditentry SET after = %s WHERE id = %s", '{"first_name": "Someone else"}', target.pk)
    result = verify()
    assert result.broken is not None and result.broken.entry_id == target.pk
    assert "changed after it was written" in result.broken.problem
    assert main(["audit", "verify", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"BROKEN at entry {target.pk}" in out


def test_verify_notices_a_removed_entry_and_a_cut_off_end(cast: Cast) -> None:
    _person(cast)
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    middle, last = ids[len(ids) // 2], ids[-1]
    _sql("DELETE FROM audit_auditentry WHERE id = %s", last)
    result = verify()
    assert result.broken is not None and "removed from the end" in result.broken.problem
    _sql("DELETE FROM audit_auditentry WHERE id = %s", middle)
    result = verify()
    assert result.broken is not None and result.broken.entry_id == ids[ids.index(middle) + 1]
    assert "removed or changed" in result.broken.problem


def test_the_audit_page_shows_only_this_schools_entries(cast: Cast) -> None:
    _person(cast)
    with acting_as(cast.zack):
        Person.objects.create(school=cast.b, kind=PersonKind.PUPIL, first_name="Zara", last_name="Okoro")
    page = logged_in(cast.alice).get("/audit/").content.decode()
    assert "Amelia Hughes" in page and "Zara Okoro" not in page
