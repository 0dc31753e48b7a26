"""The governors' report: a page and a PDF, for a term chosen by `?term=autumn-2026` (the current term
if none is given). An address with a term that is not one, or is still to come, shows the current term
and says so: a governor following an old or mistyped link wants a report, not an error page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.reports import incidents, pdf, terms
from schoolgate.web.reports.counts import HIDING_NOTE
from schoolgate.web.reports.terms import Term


def _term(request: StaffRequest, *, tell: bool) -> Term:
    today = terms.today_at(request.school)
    current = terms.term_of(today)
    asked = request.GET.get("term", "").strip()
    if not asked:
        return current
    try:
        term = terms.parse_term(asked)
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
    term = _term(request, tell=True)
    recent = terms.recent_terms(terms.today_at(request.school))
    if term not in recent:
        recent.append(term)
    context = {"report": incidents.build(request.school, term), "terms": recent, "hiding": HIDING_NOTE}
    return render(request, "reports/governors.html", context)


@staff_view(Capability.GOVERNORS_REPORT)
@require_safe
def governors_pdf_view(request: StaffRequest) -> HttpResponse:
    term = _term(request, tell=False)
    response = HttpResponse(pdf.render(incidents.build(request.school, term)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="online-safety-governors-report-{term.slug}.pdf"'
    return response
