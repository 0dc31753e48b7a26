"""The log's JSON API: evidence sent by a program (a monitoring agent's screenshot, a script) rather
than the page. The same rules hold as for the page, in the same place (`actions`): for an incident on
the illegal-content route nothing is accepted, and the body is not read.

`POST /incidents/api/<incident reference>/evidence/` with a login session (and its CSRF token), as
multipart form data: `kind` (file, url or description), `file`, `url`, `description`. Answers 201
with the evidence's id, SHA-256, size and type; 400 with the errors by field; 403 with
`"error": "illegal-content-route"` and the steps; 404 for an incident the user does not deal with.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.incidents import actions
from schoolgate.web.incidents.apps import IN_CHARGE
from schoolgate.web.incidents.choices import EvidenceKind, IllegalStep
from schoolgate.web.incidents.models import IllegalContentRouteError, Incident


@staff_view(IN_CHARGE)
@require_POST
def evidence_api(request: StaffRequest, ref: str) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.restrict(request.user, IN_CHARGE, request.school), reference=ref
    )
    if incident.illegal:
        return JsonResponse(
            {
                "error": "illegal-content-route",
                "message": str(IllegalContentRouteError().message),
                "steps": [{"step": s.value, "label": s.label} for s in IllegalStep],
            },
            status=403,
        )
    kind = request.POST.get("kind", "")
    if kind not in EvidenceKind.values:
        return JsonResponse({"errors": {"kind": ["Give kind: file, url or description"]}}, status=400)
    upload = request.FILES.get("file")
    try:
        evidence = actions.do_add_evidence(
            incident, actor=request.user, kind=EvidenceKind(kind), upload=upload,
            filename=upload.name or "" if upload is not None else "",
            url=request.POST.get("url", ""), description=request.POST.get("description", ""),
        )  # fmt: skip
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        return JsonResponse({"errors": errors}, status=400)
    body = {
        "id": evidence.pk,
        "incident": incident.reference,
        "kind": evidence.kind,
        "sha256": evidence.sha256,
        "size": evidence.size,
        "content_type": evidence.content_type,
    }
    return JsonResponse(body, status=201)
