"""The matrix moved from the online safety log to its own app without losing a row: a school's matrix made
before the move (its actions, rows, the actions each row expects, an incident recorded under a row and
an action taken in it) is the `sanctions` app's afterwards, in the same tables."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from schoolgate.web.accounts.models import User
from schoolgate.web.audit.choices import AuditAction
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import Actor, record, verify
from schoolgate.web.incidents.models import ActionTaken, Incident
from schoolgate.web.sanctions.models import Misuse, SanctionAction
from schoolgate.web.tenancy.models import School

LOG = ("incidents", "0002_reference_and_names")  # the last migration before the move
BEFORE = [LOG, ("sanctions", None)]


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_of_the_matrix_and_what_points_to_it() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        # The school and the login as they are now (other apps' tables are not taken back).
        school = School.objects.create(name="Old School", slug="old")
        user = User.objects.create(username="old.dsl")
        old = executor.loader.project_state([LOG]).apps
        assert "sanctions" not in {model._meta.app_label for model in old.get_models()}
        action = old.get_model("incidents", "SanctionAction").objects.create(
            school_id=school.pk, applies_to="pupil", key="warning", name="Warning", is_sanction=True
        )
        row = old.get_model("incidents", "Misuse").objects.create(
            school_id=school.pk, applies_to="pupil", key="proxy", description="Using proxy sites"
        )
        row.expected.add(action)
        incident = old.get_model("incidents", "Incident").objects.create(
            school_id=school.pk, reference="ABCD-EFGH", risk_area="conduct", incident_type="misuse",
            misuse=row, occurred_at=timezone.now(), location="ICT suite", what_happened="A proxy",
            reported_by_id=user.pk,
        )  # fmt: skip
        old.get_model("incidents", "ActionTaken").objects.create(
            school_id=school.pk, incident=incident, action=action, taken_by_id=user.pk
        )
        # The trail as the release before the move wrote it: entries naming the log's models.
        for label, obj in (("incidents.sanctionaction", action), ("incidents.misuse", row)):
            record(
                AuditAction.CREATE, school=school, object_type=label, object_id=str(obj.pk),
                object_repr=str(obj), after={"key": obj.key}, actor=Actor(user, user.username),
            )  # fmt: skip
        written = verify()
        assert written.ok and written.count >= 2
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Misuse.objects.get(school=school, key="proxy")
    assert moved.pk == row.pk and moved.description == "Using proxy sites"
    assert [a.pk for a in moved.expected.all()] == [action.pk]
    warning = SanctionAction.objects.get(school=school, key="warning")
    assert warning.is_sanction and warning.name == "Warning"
    kept = Incident.objects.get(school=school, reference="ABCD-EFGH")
    assert kept.misuse == moved
    assert [t.action for t in ActionTaken.objects.filter(incident=kept)] == [warning]
    # The trail written before the move still verifies, whole, and still names the log's models.
    after = verify()
    assert after.ok and after.count >= written.count, after.broken
    assert AuditEntry.objects.filter(object_type="incidents.misuse", object_id=str(row.pk)).exists()
    # The same tables: the log's names for them, kept.
    assert (Misuse._meta.db_table, SanctionAction._meta.db_table) == (
        "incidents_misuse",
        "incidents_sanctionaction",
    )


def test_earlier_entries_of_the_trail_are_named_as_the_model_is_now() -> None:
    from schoolgate.web.audit.templatetags.audit_tags import record_kind

    assert record_kind("incidents.misuse") == record_kind("sanctions.misuse") == "misuse"
    assert record_kind("incidents.sanctionaction") == "sanction action"
