"""The reports' pages.

The governors' report: a page and a PDF, for a term chosen by `?term=autumn-2026` (the current term if
none is given), from the school's own term dates or the fixed terms. An address with a term that is not
one, or is still to come, shows the current term and says so: a governor following an old or mistyped
link wants a report, not an error page.

The school's terms (`terms`, `term`): kept by those who keep the school's people (PEOPLE_CHANGE: the
office). The change-control log (`changelog`): the online safety governor's, and those who see the
filtering policy.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import ReasonForm
from schoolgate.web.core.views import form_page, get_restricted, paginate, posted, render_page, say_and_go
from schoolgate.web.reports import actions, changelog, incidents, pdf, terms
from schoolgate.web.reports.counts import HIDING_NOTE
from schoolgate.web.reports.forms import TermForm
from schoolgate.web.reports.models import SchoolTerm
from schoolgate.web.reports.terms import Calendar, Term


def _term(request: StaffRequest, calendar: Calendar, *, tell: bool) -> Term:
    today = terms.today_at(request.school)
    current = calendar.current(today)
    asked = request.GET.get("term", "").strip()[:100]
    if not asked:
        return current
    try:
        term = calendar.find(asked)
    except ValueError:
        problem = f"There is no term called “{asked[:40]}”"
    else:
        if term.start <= today:
            return term
        problem = f"{term.name} has not started yet"
    if tell:
        messages.warning(request, f"{problem}: this is the report for the current term, {current.name}.")
    return current


@staff_view(Capability.GOVERNORS_REPORT)
@require_safe
def governors_view(request: StaffRequest) -> HttpResponse:
    calendar = Calendar.of(request.school)
    term = _term(request, calendar, tell=True)
    recent = calendar.recent(terms.today_at(request.school))
    if term not in recent:
        recent.append(term)
    context = {
        "report": incidents.build(request.school, term, calendar=calendar),
        "terms": recent,
        "own_terms": bool(calendar.own),
        "hiding": HIDING_NOTE,
        "may_keep_terms": request.user.can(Capability.PEOPLE_CHANGE, request.school),
    }
    return render_page(request, "reports/governors.html", context)


@staff_view(Capability.GOVERNORS_REPORT)
@require_safe
def governors_pdf_view(request: StaffRequest) -> HttpResponse:
    calendar = Calendar.of(request.school)
    term = _term(request, calendar, tell=False)
    report = incidents.build(request.school, term, calendar=calendar)
    response = HttpResponse(pdf.render(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="online-safety-governors-report-{term.slug}.pdf"'
    return response


@staff_view(Capability.PEOPLE_CHANGE)
@require_http_methods(["GET", "HEAD", "POST"])
def terms_view(request: StaffRequest) -> HttpResponse:
    school = request.school
    form = TermForm(posted(request))
    listed = SchoolTerm.objects.filter(school=school).unarchived().order_by("-first", "-id")
    return form_page(
        request,
        form,
        lambda: actions.do_add_term(school, actor=request.user, **form.cleaned_data),
        done=say_and_go(request, lambda t: f"{t.name} added.", lambda t: reverse("reports:terms")),
        template="reports/terms.html",
        context={"page": paginate(request, listed), "fixed": terms.recent_terms(terms.today_at(school), 3)},
    )


@staff_view(Capability.PEOPLE_CHANGE)
@require_http_methods(["GET", "HEAD", "POST"])
def term_view(request: StaffRequest, pk: int) -> HttpResponse:
    term: SchoolTerm = get_restricted(
        SchoolTerm.objects.filter(school=request.school).unarchived(),
        request,
        Capability.PEOPLE_CHANGE,
        pk=pk,
    )
    archiving = request.method == "POST" and "archive" in request.POST
    initial = {"name": term.name, "first": term.first, "last": term.last}
    form = TermForm(None if archiving else posted(request), initial=initial)
    why = ReasonForm(
        request.POST if archiving else None,
        label="Why take it out",
        help_text="For example “Entered twice by mistake”. The term is kept, out of the list.",
        max_length=300,
    )
    if archiving:
        if why.is_valid():
            actions.do_archive_term(term, actor=request.user, reason=why.cleaned_data["reason"])
            messages.success(request, f"{term.name} taken out of the school's terms.")
            return redirect("reports:terms")
        return render_page(request, "reports/term.html", {"term": term, "form": form, "why": why})
    return form_page(
        request,
        form,
        lambda: actions.do_change_term(term, actor=request.user, **form.cleaned_data),
        done=say_and_go(request, lambda t: f"{t.name} saved.", lambda t: reverse("reports:terms")),
        template="reports/term.html",
        context={"term": term, "why": why},
    )


@staff_view((Capability.CHANGELOG_VIEW, Capability.POLICY_VIEW))
@require_safe
def changelog_view(request: StaffRequest) -> HttpResponse:
    page, entries = changelog.page_of(request.school, request.GET.get("page"))
    grouped: list[tuple[str, list[changelog.Entry]]] = []
    for entry in entries:
        if not grouped or grouped[-1][0] != entry.term:
            grouped.append((entry.term, []))
        grouped[-1][1].append(entry)
    return render_page(request, "reports/changelog.html", {"page": page, "grouped": grouped})
