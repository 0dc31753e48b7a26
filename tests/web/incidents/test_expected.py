"""What the sanctions matrix expects for an incident (`incidents.expected`): its row's actions, as the
matrix says after a change, and the continued-infringements row's after an earlier warning."""

from __future__ import annotations

from schoolgate.web.incidents import actions as incident_actions
from schoolgate.web.incidents import expected
from schoolgate.web.incidents.choices import IncidentType, Role
from schoolgate.web.sanctions import matrix, seed
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import SanctionAction
from tests.web.factories import Cast
from tests.web.incidents.make import person, report
from tests.web.pages import logged_in
from tests.web.sanctions.make import expected_keys, form_data, row_of


def test_an_incident_expects_what_the_matrix_says_after_it_is_changed(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    row = row_of(cast.a, "non-educational")
    incident = report(cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=row, role=Role.SUBJECT)
    assert expected_keys(incident, cast.alice) == ["class-teacher"]
    response = logged_in(cast.alice).post(
        "/incidents/matrix/pupil/edit/",
        form_data(
            cast.a, AppliesTo.PUPILS, **{f"{row.pk}-expected": ["parents", "warning", "class-teacher"]}
        ),
    )
    assert response.status_code == 302
    assert expected_keys(incident, cast.alice) == [
        "class-teacher",
        "parents",
        "warning",
    ]  # in the table's order


def test_continued_infringements_after_an_earlier_warning(cast: Cast) -> None:
    matrix.ensure_matrix(cast.a)
    pupil = person(cast.a, "Oliver", "Bennett")
    downloading = row_of(cast.a, "downloading")
    first = report(
        cast.a,
        cast.tom,
        incident_type=IncidentType.MISUSE,
        misuse=downloading,
        subject=pupil,
        role=Role.SUBJECT,
    )
    assert expected.earlier_sanctions(first, cast.alice) == []
    warning = SanctionAction.objects.get(school=cast.a, applies_to=AppliesTo.PUPILS, key="warning")
    assert warning.is_sanction
    incident_actions.do_take_action(
        first, actor=cast.alice, action=warning, involvement=first.involvements.get(person=pupil)
    )
    lessons = row_of(cast.a, "non-educational")
    again = report(
        cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=lessons, subject=pupil, role=Role.SUBJECT
    )
    earlier = expected.earlier_sanctions(again, cast.alice)
    assert [(e.incident, e.person_name, e.sanctions) for e in earlier] == [
        (first, "Oliver Bennett", ("Warning",))
    ]
    wanted = expected.expected_actions(again, earlier)
    assert [e.action.key for e in wanted] == ["class-teacher", "further-sanction"]
    assert [e.because for e in wanted][1] == seed.CONTINUED
    # Another pupil's misuse is not continued for having nothing to do with it.
    other = report(
        cast.a, cast.tom, incident_type=IncidentType.MISUSE, misuse=downloading,
        subject=person(cast.a, "Grace", "Wilson"), role=Role.SUBJECT,
    )  # fmt: skip
    assert expected.earlier_sanctions(other, cast.alice) == []
    assert expected_keys(other, cast.alice) == ["technical", "warning"]
