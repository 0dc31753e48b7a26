"""`{% devices_links person %}`: the line on a person's page that leads to their devices and, for a
visitor, supply teacher or community user, their guest login; only the links the user's roles open."""

from __future__ import annotations

from typing import Any

from django import template

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.devices.models import Device, GuestLogin
from schoolgate.web.people.models import Person

register = template.Library()


@register.inclusion_tag("devices/_person_links.html", takes_context=True)
def devices_links(context: dict[str, Any], person: Person) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    school = getattr(request, "school", None)
    if user is None or school is None or person.school_id != school.pk:
        return {"show": False}
    sees = user.can(Capability.DEVICES_VIEW, school)
    guests = person.is_temporary and user.can(Capability.GUEST_LOGINS, school)
    return {
        "show": sees or guests,
        "person": person,
        "devices": Device.objects.filter(school=school, owner=person).unarchived().count() if sees else 0,
        "sees": sees,
        "guests": guests,
        "login": GuestLogin.objects.filter(person=person).active().first() if guests else None,
    }
