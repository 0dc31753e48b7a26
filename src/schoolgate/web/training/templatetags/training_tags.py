"""`{% training_link person %}`: the line on a person's page that leads to their training, for those
who see everyone's training, and only for staff and governors (the people courses are for)."""

from __future__ import annotations

from typing import Any

from django import template

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.people.models import Person
from schoolgate.web.training.actions import TRAINED_KINDS

register = template.Library()


@register.inclusion_tag("training/_person_link.html", takes_context=True)
def training_link(context: dict[str, Any], person: Person) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    show = (
        user is not None
        and school is not None
        and person.school_id == school.pk
        and person.kind in TRAINED_KINDS
        and user.can(Capability.TRAINING_VIEW, school)
    )
    return {"show": show, "person": person}
