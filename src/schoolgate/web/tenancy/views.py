"""Add a school to the trust: a headteacher of a school in a trust (`Capability.SCHOOLS_ADD`) adds the
next school, with its default policy and its first login (`setup.do_create_school`, which checks who
may). A school in no trust is added by the server's operator (`schoolgate school create`)."""

from __future__ import annotations

from django.http import HttpResponse

from schoolgate.web.accounts import links
from schoolgate.web.accounts.choices import Capability, Role
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST, form_page, posted, render_page
from schoolgate.web.tenancy import notices
from schoolgate.web.tenancy.forms import AddSchoolForm
from schoolgate.web.tenancy.setup import FirstLogin, SchoolMade, do_create_school


def _site(request: StaffRequest) -> str:
    from django.conf import settings

    return settings.SITE_URL or request.build_absolute_uri("/").rstrip("/")


@staff_view(Capability.SCHOOLS_ADD)
@GET_POST
def add_school_view(request: StaffRequest) -> HttpResponse:
    trust = request.school.trust
    if trust is None:
        return render_page(request, "tenancy/add_school.html", {"trust": None})
    form = AddSchoolForm(posted(request))

    def act() -> SchoolMade:
        data = form.cleaned_data
        return do_create_school(
            name=data["name"],
            urn=data["urn"],
            timezone=data["timezone"],
            trust=trust.name,
            first_login=FirstLogin(Role(data["role"]), data["person"], data["email"], data["username"]),
            actor=request.user,
            reason=data["reason"] or f"a new school of {trust.name}",
            site=_site(request),
        )

    def done(made: SchoolMade) -> HttpResponse:
        hours = int(links.LIFETIME.total_seconds() // 3600)
        told = notices.told_words(made.told) if made.told is not None else ""
        context = {"made": made, "link_hours": hours, "told": told}
        return render_page(request, "tenancy/school_added.html", context)

    schools = list(trust.schools.order_by("name"))
    context = {"trust": trust, "schools": schools}
    return form_page(request, form, act, done=done, template="tenancy/add_school.html", context=context)
