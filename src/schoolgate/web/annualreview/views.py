"""The annual review's pages, under /review/: the reviews by year, the guided page of one year (the
standards' points with the evidence beside each and their answers, the actions, the signatures), a
point's answer, an action, the sign-off, the PDF, and the next review's date.

A year's pages exist for a review the school has, and for the current school year (its review is made
when first written to); any other year is not found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.accounts.models import Membership
from schoolgate.web.annualreview import actions, evidence, pdf, reminders, standards
from schoolgate.web.annualreview.forms import ActionForm, AnswerForm, NextDueForm, SignForm
from schoolgate.web.annualreview.models import SLOT_ROLE, Answer, Review, ReviewAction, SignOff, Slot
from schoolgate.web.core import schoolyear
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST, form_page, posted, render_page, say_and_go

FIRST_YEAR, LAST_YEAR = 1900, 2999  # wider than any review; narrow enough for a date and a small integer


def _current_year(request: StaffRequest) -> int:
    return actions.current_year(timezone.now())


def _review_or_404(request: StaffRequest, year: int) -> Review | None:
    """The school's review of `year`; None for the current year not started yet; 404 otherwise (a
    year out of any school's range too, before it reaches the database or a date)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("No review of that year")
    review = Review.objects.filter(school=request.school, year=year).first()
    if review is None and year != _current_year(request):
        raise Http404("No review of that year")
    return review


def _signatures(n: int) -> str:
    return "signature was" if n == 1 else f"{n} signatures were"


@dataclass(frozen=True)
class Shown:
    """A piece of evidence as the page shows it: the link only when the reader may open that page."""

    item: evidence.Item
    url: str | None


def _shown(request: StaffRequest, items: dict[str, evidence.Item]) -> dict[str, Shown]:
    out = {}
    for key, item in items.items():
        url: str | None
        try:
            url = reverse(item.link)
            needed = getattr(resolve(url).func, "staff_capability", None)
        except NoReverseMatch:
            url, needed = None, None
        if url is not None and needed and not any(request.user.can(c, request.school) for c in needed):
            url = None
        out[key] = Shown(item, url)
    return out


def _evidence(request: StaffRequest, review: Review | None, year: int) -> evidence.Evidence:
    """What was signed (kept at the first signature), or what Schoolgate holds now."""
    if review is not None and review.evidence:
        return evidence.from_json(review.evidence)
    return evidence.gather(request.school, year, timezone.now())


def _context(request: StaffRequest, review: Review | None, year: int) -> dict[str, Any]:
    """The guided page's content, the PDF's too."""
    gathered = _evidence(request, review, year)
    shown = _shown(request, gathered.items)
    answers = {} if review is None else {a.point: a for a in review.answers.select_related("answered_by")}
    guide = [
        {
            "standard": standard,
            "points": [
                {
                    "point": p,
                    "answer": answers.get(p.key),
                    "evidence": [shown[k] for k in p.evidence if k in shown],
                }
                for p in standard.points
            ],
        }
        for standard in standards.STANDARDS
    ]
    signed = [] if review is None else list(review.signoffs.filter(cleared_at__isnull=True))
    by_slot = {s.slot: s for s in signed}
    held = set(
        Membership.objects.filter(user=request.user, school=request.school).values_list("role", flat=True)
    )
    may_sign = request.user.can(Capability.REVIEW_SIGN, request.school)
    mine = [
        (slot.value, slot.label)
        for slot in Slot
        if may_sign and SLOT_ROLE[slot] in held and slot not in by_slot
    ]
    return {
        "year": year,
        "year_name": schoolyear.name(year),
        "review": review,
        "evidence": gathered,
        "frozen": review is not None and bool(review.evidence),
        "guide": guide,
        "answered": len(answers),
        "points": len(standards.POINTS),
        "actions": [] if review is None else list(review.actions.select_related("owner")),
        "slots": [(slot, by_slot.get(slot)) for slot in Slot],
        "signed": signed,
        "my_slots": mine,
        "can_change": request.user.can(Capability.REVIEW_CHANGE, request.school),
        "closed": actions.closed(review, timezone.now()),
    }


@staff_view(Capability.REVIEW_VIEW)
@GET_POST
def home_view(request: StaffRequest) -> HttpResponse:
    """This year's review, the past years', and when the next is due."""
    year = _current_year(request)
    reviews = list(Review.objects.filter(school=request.school).order_by("-year"))
    current = next((r for r in reviews if r.year == year), None)
    today = timezone.localdate()
    due = reminders.next_due(request.school)
    context = {
        "year": year,
        "year_name": schoolyear.name(year),
        "current": current,
        "answered": 0 if current is None else current.answers.count(),
        "points": len(standards.POINTS),
        "past": [r for r in reviews if r.year != year],
        "due": due,
        "days_left": due.days_left(today),
        "can_change": request.user.can(Capability.REVIEW_CHANGE, request.school),
        "next_form": NextDueForm(initial={"next_due": due.day}),
    }
    return render_page(request, "annualreview/home.html", context)


@staff_view(Capability.REVIEW_VIEW)
@GET_POST
def year_view(request: StaffRequest, year: int) -> HttpResponse:
    """The guided page: each standard, its points, the evidence beside each, the answers; the
    actions; the signatures."""
    review = _review_or_404(request, year)
    return render_page(request, "annualreview/review.html", _context(request, review, year))


@staff_view(Capability.REVIEW_CHANGE)
@GET_POST
def answer_view(request: StaffRequest, year: int, point: str) -> HttpResponse:
    """One point's answer: met, partly met or not met, with notes. Changing it after a signature
    clears the signatures, and the page says so before."""
    review = _review_or_404(request, year)
    found = standards.point(point)
    if found is None:
        raise Http404("No such point")
    answer = None if review is None else Answer.objects.filter(review=review, point=found.key).first()
    initial = {} if answer is None else {"judgement": answer.judgement, "notes": answer.notes}
    form = AnswerForm(posted(request), initial=initial)
    signed = [] if review is None else list(review.signoffs.filter(cleared_at__isnull=True))
    shown = _shown(request, _evidence(request, review, year).items)

    def done(result: tuple[Answer, int]) -> HttpResponse:
        _, cleared = result
        if cleared:
            messages.warning(
                request,
                f"Answer saved. The review changed after it was signed, so its {_signatures(cleared)} "
                "cleared: it must be signed again.",
            )
        else:
            messages.success(request, "Answer saved.")
        return HttpResponseRedirect(reverse("annualreview:year", args=[year]) + f"#point-{found.key}")

    return form_page(
        request,
        form,
        lambda: actions.do_answer(
            request.school,
            year,
            found.key,
            actor=request.user,
            judgement=form.cleaned_data["judgement"],
            notes=form.cleaned_data["notes"],
        ),
        done=done,
        template="annualreview/answer.html",
        context={
            "year": year,
            "year_name": schoolyear.name(year),
            "point": found,
            "evidence": [shown[k] for k in found.evidence if k in shown],
            "signed": signed,
        },
    )


@staff_view(Capability.REVIEW_CHANGE)
@GET_POST
def action_add_view(request: StaffRequest, year: int) -> HttpResponse:
    """An action that came out of the review: what, who, by when."""
    review = _review_or_404(request, year)
    form = ActionForm(posted(request), school=request.school)
    signed = [] if review is None else list(review.signoffs.filter(cleared_at__isnull=True))

    def done(result: tuple[ReviewAction, int]) -> HttpResponse:
        action, cleared = result
        text = f"Action added: {action.what}."
        if cleared:
            text += f" The review's {_signatures(cleared)} cleared: it must be signed again."
        messages.success(request, text)
        return HttpResponseRedirect(reverse("annualreview:year", args=[year]) + "#actions")

    return form_page(
        request,
        form,
        lambda: actions.do_add_action(
            request.school,
            year,
            actor=request.user,
            what=form.cleaned_data["what"],
            owner=form.cleaned_data["owner"],
            due=form.cleaned_data["due"],
        ),
        done=done,
        template="annualreview/action_add.html",
        context={"year": year, "year_name": schoolyear.name(year), "signed": signed},
    )


@staff_view(Capability.REVIEW_CHANGE)
@GET_POST
def action_done_view(request: StaffRequest, year: int, pk: int) -> HttpResponse:
    """Mark an action done, or not done after all."""
    review = _review_or_404(request, year)
    if review is None:
        raise Http404("No such action")
    action = get_object_or_404(ReviewAction, school=request.school, review=review, pk=pk)
    if request.method == "POST":
        done = request.POST.get("done") != "no"
        actions.do_action_done(action, actor=request.user, done=done)
        messages.success(request, f"Marked {'done' if done else 'not done'}: {action.what}.")
        return HttpResponseRedirect(reverse("annualreview:year", args=[year]) + "#actions")
    return render_page(
        request,
        "annualreview/action_done.html",
        {"year": year, "year_name": schoolyear.name(year), "action": action},
    )


@staff_view(Capability.REVIEW_SIGN)
@GET_POST
def sign_view(request: StaffRequest, year: int) -> HttpResponse:
    """Sign the review in the slot of a role the user holds here."""
    review = _review_or_404(request, year)
    context = _context(request, review, year)
    form = SignForm(posted(request), slots=context["my_slots"])

    def act() -> SignOff:
        return actions.do_sign(request.school, year, form.cleaned_data["slot"], actor=request.user)

    return form_page(
        request,
        form,
        act,
        done=say_and_go(
            request,
            lambda s: f"Signed as {s.get_slot_display().lower()}.",
            lambda s: reverse("annualreview:year", args=[year]),
        ),
        template="annualreview/sign.html",
        context={**context, "unanswered": actions.unanswered(review)},
    )


@staff_view(Capability.REVIEW_VIEW)
@GET_POST
def pdf_view(request: StaffRequest, year: int) -> HttpResponse:
    """The review as a PDF: the evidence, the answers, the actions, the signatures."""
    review = _review_or_404(request, year)
    context = _context(request, review, year)
    body = pdf.render(request.school.name, context, timezone.now())
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="annual-review-{year}-{(year + 1) % 100:02d}.pdf"'
    )
    return response


@staff_view(Capability.REVIEW_CHANGE)
@GET_POST
def next_due_view(request: StaffRequest) -> HttpResponse:
    """Choose the next review's date (otherwise a year after the last sign-off)."""
    due = reminders.next_due(request.school)
    form = NextDueForm(posted(request), initial={"next_due": due.day})
    return form_page(
        request,
        form,
        lambda: actions.do_set_next_due(
            request.school, actor=request.user, day=form.cleaned_data["next_due"]
        ),
        done=say_and_go(
            request,
            lambda s: f"The next review is due on {s.next_due:%-d %B %Y}.",
            lambda s: reverse("annualreview:home"),
        ),
        template="annualreview/next_due.html",
        context={"due": due},
    )
