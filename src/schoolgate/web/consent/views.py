"""The consent pages: a class's grid, a child's page, recording a form, sending parents their links,
the check before publishing, trip lists, and the parents' own page (public: its token the only key).

Children come through `restricted` (another school's are not found: 404); every change goes through
`actions`, which check the permission again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.consent import actions, links
from schoolgate.web.consent.choices import EXPLANATIONS, NOT_ASKED, Purpose
from schoolgate.web.consent.forms import ANY_USE, CheckForm, ParentForm, RecordForm, TripForm
from schoolgate.web.consent.models import ConsentLink, ConsentRecord
from schoolgate.web.consent.state import State, current
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.core.views import GET_POST, form_page, get_restricted, posted, render_page
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, Person

NO_CLASS = "none"
BODY_MAX = 8 * 1024  # bytes of the parents' form: six choices and a token need far less


def _pupils(request: StaffRequest, capability: Capability = Capability.CONSENT_VIEW) -> Any:
    """The school's current pupils the user's role opens, by class then name."""
    pupils = Person.objects.filter(kind=PersonKind.PUPIL).restrict(request.user, capability, request.school)
    return (
        pupils.current()
        .select_related("class_group")
        .order_by("class_group__name", "last_name", "first_name")
    )


def _child(request: StaffRequest, pk: int, capability: Capability = Capability.CONSENT_VIEW) -> Person:
    pupils = Person.objects.filter(kind=PersonKind.PUPIL).select_related("class_group")
    child: Person = get_restricted(pupils, request, capability, pk=pk)
    return child


@dataclass(frozen=True)
class Row:
    child: Person
    states: list[State]

    @property
    def cleared(self) -> bool:
        return all(s.given for s in self.states)


def _rows(request: StaffRequest, children: list[Person]) -> list[Row]:
    states = current(request.school, [c.pk for c in children])
    return [Row(child, list(states[child.pk].values())) for child in children]


# ---------------------------------------------------------------------------------------------------------
# Staff pages


@staff_view(Capability.CONSENT_VIEW)
def grid_view(request: StaffRequest) -> HttpResponse:
    """A class's children × purposes: given, withdrawn or not asked yet."""
    classes = list(ClassGroup.objects.filter(school=request.school).order_by("name"))
    chosen = request.GET.get("class", "")
    group = next((c for c in classes if str(c.pk) == chosen), None)
    rows: list[Row] | None = None
    if group is not None:
        rows = _rows(request, list(_pupils(request).filter(class_group=group)))
    elif chosen == NO_CLASS:
        rows = _rows(request, list(_pupils(request).filter(class_group__isnull=True)))
    context = {
        "classes": classes, "chosen": chosen, "group": group, "rows": rows, "purposes": Purpose.choices,
        "no_class": NO_CLASS,
    }  # fmt: skip
    return render_page(request, "consent/grid.html", context)


@staff_view(Capability.CONSENT_VIEW)
def child_view(request: StaffRequest, pk: int) -> HttpResponse:
    """A child's consent now, purpose by purpose, and every record ever made, newest first."""
    child = _child(request, pk)
    states = current(request.school, [child.pk])[child.pk]
    history = (
        ConsentRecord.objects.filter(school=request.school, child=child)
        .select_related("given_by", "recorded_by")
        .order_by("-given_on", "-recorded_at", "-pk")
    )
    parents = actions.parents_for_links(child)
    sent = {
        link.parent_id: link
        for link in ConsentLink.objects.filter(school=request.school, child=child).order_by("made_at")
    }
    now = timezone.now()
    context = {
        "child": child, "states": list(states.values()), "history": history,
        "parents": [(p, sent.get(p.pk)) for p in parents], "now": now,
    }  # fmt: skip
    return render_page(request, "consent/child.html", context)


@staff_view(Capability.CONSENT_CHANGE)
@GET_POST
def record_view(request: StaffRequest, pk: int) -> HttpResponse:
    """Record a parent's decision from a paper form, a call or an e-mail: several purposes at once."""
    child = _child(request, pk, Capability.CONSENT_CHANGE)
    form = RecordForm(posted(request), parents=actions.parents_on_record(child))
    return form_page(
        request,
        form,
        lambda: actions.do_record(
            child,
            decisions=form.decisions(),
            how=form.cleaned_data["how"],
            on=form.cleaned_data["on"],
            actor=request.user,
            given_by=form.parent(),
            note=form.cleaned_data["note"],
        ),
        done=lambda made: _recorded(request, child, made),
        template="consent/record.html",
        context={"child": child, "states": current(request.school, [child.pk])[child.pk]},
    )


def _recorded(request: StaffRequest, child: Person, made: list[ConsentRecord]) -> HttpResponse:
    messages.success(request, f"Recorded {len(made)} decision{'s' if len(made) != 1 else ''} for {child}.")
    return redirect("consent:child", pk=child.pk)


def _site(request: StaffRequest) -> str:
    """The address links in e-mails start with: SCHOOLGATE_URL, else this request's own (its host is
    one of the allowed hosts: Django refuses any other)."""
    from django.conf import settings

    return str(settings.SITE_URL or request.build_absolute_uri("/")).rstrip("/")


@staff_view(Capability.CONSENT_CHANGE)
@require_POST
def send_view(request: StaffRequest, pk: int) -> HttpResponse:
    """E-mail the child's parents their links; the messages say, parent by parent, what happened."""
    child = _child(request, pk, Capability.CONSENT_CHANGE)
    try:
        outcomes = actions.do_send_links(child, actor=request.user, site=_site(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consent:child", pk=child.pk)
    for outcome in outcomes:
        if outcome.sent:
            messages.success(request, f"Link sent to {outcome.parent.full_name} ({outcome.parent.email}).")
        else:
            messages.warning(request, f"No link sent to {outcome.parent.full_name}: {outcome.why}.")
    return redirect("consent:child", pk=child.pk)


@staff_view(Capability.CONSENT_CHANGE)
@require_POST
def send_class_view(request: StaffRequest, pk: int) -> HttpResponse:
    """E-mail the links to the parents of the class's children who have a purpose not asked yet."""
    group = get_restricted(ClassGroup, request, Capability.CONSENT_CHANGE, pk=pk)
    outcomes = actions.do_send_class_links(group, actor=request.user, site=_site(request))
    sent = [o for o in outcomes if o.sent]
    if not outcomes:
        messages.info(
            request, f"No links to send in {group.name}: every child with a parent on record has answers."
        )
    elif sent:
        messages.success(
            request, f"Links sent to {len(sent)} parent{'s' if len(sent) != 1 else ''} in {group.name}."
        )
    for outcome in outcomes:
        if not outcome.sent:
            messages.warning(request, f"No link sent to {outcome.parent.full_name}: {outcome.why}.")
    return redirect(f"{reverse('consent:grid')}?class={group.pk}")


@dataclass(frozen=True)
class Checked:
    child: Person
    state: State


def _by_name(request: StaffRequest, names: list[str]) -> tuple[list[Person], list[str], list[str]]:
    """The pupils the typed names are (first or preferred name, then surname; any case), the names
    that match no pupil, and those that match more than one (all of whom are checked)."""
    if not names:
        return [], [], []
    index: dict[str, set[int]] = {}
    rows = _pupils(request).values_list("pk", "first_name", "preferred_name", "last_name")
    for pk, first_name, preferred, last in rows:
        for first in {first_name, preferred} - {""}:
            index.setdefault(f"{first} {last}".casefold(), set()).add(pk)
    wanted = {pk for name in names for pk in index.get(name.casefold(), set())}
    people = {p.pk: p for p in _pupils(request).filter(pk__in=sorted(wanted))}
    found: dict[int, Person] = {}
    unknown: list[str] = []
    several: list[str] = []
    for name in names:
        matches = [people[pk] for pk in sorted(index.get(name.casefold(), set())) if pk in people]
        if not matches:
            unknown.append(name)
        if len(matches) > 1:
            several.append(name)
        found.update((m.pk, m) for m in matches)
    return list(found.values()), unknown, several


@staff_view(Capability.CONSENT_VIEW)
def check_view(request: StaffRequest) -> HttpResponse:
    """Before publishing: who in the photo must not be included for this purpose (withdrawn, or never
    asked). A class with no one ticked means the whole class. Sent by GET: it changes nothing."""
    pupils = _pupils(request)
    bound = "purpose" in request.GET
    form = CheckForm(request.GET if bound else None, school=request.school, pupils=pupils)
    context: dict[str, Any] = {"form": form, "checked": False}
    group = None
    ticked: set[int] = set()
    if bound and form.is_valid():
        data = form.cleaned_data
        group = data["class_group"]
        chosen: dict[int, Person] = {c.pk: c for c in data["children"]}
        ticked = set(chosen)
        typed, unknown, several = _by_name(request, data["names"])
        chosen.update((c.pk, c) for c in typed)
        if group is not None and not ticked:
            chosen.update((c.pk, c) for c in pupils.filter(class_group=group))
        if not chosen and not unknown:
            form.add_error(None, "Choose a class, tick the children or type their names")
        else:
            purpose = data["purpose"]
            states = current(request.school, chosen)
            people = sorted(
                chosen.values(), key=lambda c: (c.class_group.name if c.class_group else "", c.last_name)
            )
            results = [Checked(c, states[c.pk][purpose]) for c in people]
            context.update(
                checked=True, purpose=Purpose(purpose).label, unknown=unknown, several=several,
                excluded=[r for r in results if not r.state.given],
                included=[r for r in results if r.state.given],
            )  # fmt: skip
    elif not bound:
        group_pk = request.GET.get("class_group", "")
        group = (
            ClassGroup.objects.filter(school=request.school, pk=group_pk).first()
            if group_pk.isdigit()
            else None
        )
    context["group"] = group
    context["ticks"] = (
        [(c, c.pk in ticked) for c in pupils.filter(class_group=group)] if group is not None else []
    )
    return render_page(request, "consent/check.html", context)


@dataclass(frozen=True)
class TripClass:
    group: ClassGroup
    size: int
    excluded: list[tuple[Person, str]]


def _not_for(child: Person, states: dict[str, State], purpose: str) -> tuple[Person, str] | None:
    """The child and why, when they may not be photographed for `purpose` (or, for any use, when
    consent is given for no purpose at all); None when they may."""
    if purpose != ANY_USE:
        return None if states[purpose].given else (child, states[purpose].label.lower())
    if any(s.given for s in states.values()):
        return None
    withdrawn = any(s.value != NOT_ASKED for s in states.values())
    return (child, "withdrawn" if withdrawn else "not asked yet")


@staff_view(Capability.CONSENT_VIEW)
def trip_view(request: StaffRequest) -> HttpResponse:
    """A printable list per class of the children who may not be photographed on a trip: for one
    purpose (withdrawn or never asked), or for any use (consent given for no purpose at all)."""
    bound = "classes" in request.GET
    form = TripForm(request.GET if bound else None, school=request.school)
    chosen = set(request.GET.getlist("classes")) if bound else set()
    # The classes' boxes drawn by the page in one pass (Django's widget renders a template per box).
    boxes = [
        (c, str(c.pk) in chosen) for c in ClassGroup.objects.filter(school=request.school).order_by("name")
    ]
    context: dict[str, Any] = {"form": form, "lists": None, "boxes": boxes}
    if bound and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        groups = list(form.cleaned_data["classes"])
        children = _pupils(request).filter(class_group__in=groups)
        children = children.select_related(None).only(
            "first_name", "preferred_name", "last_name", "class_group"
        )
        by_class: dict[int, list[Person]] = {}
        for child in children:
            by_class.setdefault(child.class_group_id, []).append(child)
        states = current(request.school, [c.pk for mine in by_class.values() for c in mine])
        lists = []
        for group in groups:
            mine = by_class.get(group.pk, [])
            lists.append(
                TripClass(group, len(mine), [e for c in mine if (e := _not_for(c, states[c.pk], purpose))])
            )
        context.update(
            lists=lists, day=form.cleaned_data["day"],
            purpose=None if purpose == ANY_USE else Purpose(purpose).label,
        )  # fmt: skip
    return render_page(request, "consent/trip.html", context)


# ---------------------------------------------------------------------------------------------------------
# The parents' page


def _gone(request: HttpRequest) -> HttpResponse:
    """One page for a link that is unknown, used, cancelled or expired: it tells nothing of which."""
    return render(request, "consent/link_gone.html", {"days": links.LIFETIME.days}, status=410)


@never_cache
@GET_POST
def link_view(request: HttpRequest, token: str) -> HttpResponse:
    """A parent's one-time link: each purpose explained, given or withdrawn as recorded now, and
    "Save". No account; the first form sent uses the link."""
    if request.method == "POST":
        length = str(request.META.get("CONTENT_LENGTH") or "0")
        if not length.isdigit() or int(length) > BODY_MAX:
            return render(request, "consent/link_refused.html", {"why": "too-big"}, status=413)
        if links.too_many_posts(request.META.get("REMOTE_ADDR")):
            return render(request, "consent/link_refused.html", {"why": "too-many"}, status=429)
    link = links.find(token)
    if link is None:
        return _gone(request)
    states = current(link.school, [link.child_id])[link.child_id]
    form = ParentForm(request.POST if request.method == "POST" else None, states=states)
    if request.method == "POST" and form.is_valid() and not form.decisions():
        form.add_error(None, "Choose Given or Withdrawn for at least one of them, then press Save")
    elif request.method == "POST" and form.is_valid():
        try:
            changed = actions.do_use_link(link, form.decisions(), form.shown())
        except actions.LinkGoneError:
            return _gone(request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            context = {"link": link, "changed": changed, "first_name": _first_name(link.child)}
            return render(request, "consent/link_done.html", context)
    rows = [(form[p.value], EXPLANATIONS[p.value], states[p.value]) for p in Purpose]
    context = {"link": link, "form": form, "rows": rows, "first_name": _first_name(link.child)}
    return render(request, "consent/link.html", context)


def _first_name(child: Person) -> str:
    return child.preferred_name or child.first_name


__all__ = [
    "check_view", "child_view", "grid_view", "link_view", "record_view", "send_view", "trip_view",
]  # fmt: skip
