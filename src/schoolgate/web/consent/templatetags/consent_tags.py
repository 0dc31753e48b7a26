"""`{% consent_link person %}`: the line on a pupil's page that leads to their photo and video consent,
for those whose roles open it."""

from __future__ import annotations

from typing import Any

from django import template

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person

register = template.Library()


@register.inclusion_tag("consent/_person_link.html", takes_context=True)
def consent_link(context: dict[str, Any], person: Person) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    shown = (
        user is not None
        and school is not None
        and person.school_id == school.pk
        and person.kind == PersonKind.PUPIL
        and user.can(Capability.CONSENT_VIEW, school)
    )
    return {"show": shown, "person": person}
