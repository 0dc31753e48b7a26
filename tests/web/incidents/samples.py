"""Objects for the log's pages whose addresses need one (tests/web/pages.py SAMPLES): a pupil
incident reported by the teacher at `school`, which the DSL team deals with."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from schoolgate.web.incidents import actions
from schoolgate.web.incidents.models import Evidence, Incident, Referral
from schoolgate.web.people.choices import PersonKind
from tests.web.factories import Cast
from tests.web.incidents.make import report

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _reporter(cast: Cast, school: Any) -> Any:
    if school == cast.a:
        return cast.tom
    return cast.zack  # a DSL at Southgate


def _incident(cast: Cast, school: Any) -> Incident:
    found = Incident.objects.filter(school=school, kind="pupil", restricted=False, illegal_content="").first()
    return found or report(school, _reporter(cast, school))


def _dsl(cast: Cast, school: Any) -> Any:
    return cast.alice if school == cast.a else cast.zack


def _ref(cast: Cast, school: Any) -> dict[str, Any]:
    return {"ref": _incident(cast, school).reference}


def _evidence(cast: Cast, school: Any) -> dict[str, Any]:
    incident = _incident(cast, school)
    found = Evidence.objects.filter(incident=incident, kind="file").first()
    if found is None:
        found = actions.do_add_evidence(
            incident, actor=_dsl(cast, school), kind="file", upload=io.BytesIO(PNG), filename="s.png"
        )
    return {"pk": found.pk}


def _referral(cast: Cast, school: Any) -> dict[str, Any]:
    incident = _incident(cast, school)
    found = Referral.objects.filter(incident=incident).first()
    found = found or actions.do_refer(
        incident, actor=_dsl(cast, school), agency="social-care", reference="S-1"
    )
    return {"pk": found.pk}


def _pupil(cast: Cast, school: Any) -> dict[str, Any]:
    incident = _incident(cast, school)
    involved = incident.involvements.filter(person__kind=PersonKind.PUPIL).first()
    assert involved is not None and involved.person_id is not None
    return {"pk": involved.person_id}


INCIDENT_PAGES = (
    "detail", "add-information", "move", "classify", "person-add", "note", "action-add", "illegal-step",
    "evidence-add", "referral-add", "parents", "close", "reopen", "archive", "looked", "api-evidence",
)  # fmt: skip
INCIDENT_SAMPLES: dict[str, Callable[[Cast, Any], dict[str, Any]]] = {
    **{f"incidents:{name}": _ref for name in INCIDENT_PAGES},
    "incidents:evidence-file": _evidence,
    "incidents:referral-answer": _referral,
    "incidents:chronology": _pupil,
}
