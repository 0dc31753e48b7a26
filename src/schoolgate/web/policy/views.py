"""The policy pages.

Each address needs one capability for every method it answers: the pages that show the policy need
POLICY_VIEW and answer GET only; the pages that change it (`.../new/`, `.../edit/`, `.../delete/`,
publish, restore, and the POST-only addresses for members and the rules' order) need POLICY_CHANGE.
"Test a URL" needs URL_TEST. Records are fetched through `restrict`, so another school's are not found
(404), and every change goes through `actions`, which refuses what no page may do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from schoolgate.policyfile.errors import PolicyFileError
from schoolgate.policyfile.load import PolicyFile, parse_policy
from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.core.views import get_restricted, posted, restricted
from schoolgate.web.filterrequests.models import FilterRequest, Grant
from schoolgate.web.policy import actions, consequences
from schoolgate.web.policy.choices import MemberKind
from schoolgate.web.policy.forms import (
    CategoryForm,
    GroupForm,
    ListSourceForm,
    MemberForm,
    PublishForm,
    RuleForm,
    SchoolDateForm,
    SchoolForm,
    SettingsForm,
    SiteListForm,
    UrlTestForm,
    WindowForm,
)
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    PolicyVersion,
    Rule,
    SchoolDate,
    SiteList,
    TimeWindow,
)
from schoolgate.web.policy.render import compress_days, load_rows, school_zone
from schoolgate.web.policy.render import render as render_text
from schoolgate.web.policy.summary import RequestInfo, Sentence, by_section, summarise
from schoolgate.web.policy.views_quick import CONFIRM, confirm_page, confirmed
from schoolgate.web.tenancy.querysets import SchoolQuerySet

VIEW, CHANGE = Capability.POLICY_VIEW, Capability.POLICY_CHANGE
PUBLISH_HINT = "Publish to put it into force."


def _can_change(request: StaffRequest) -> bool:
    return request.user.can(CHANGE, request.school)


def _locked(request: StaffRequest, obj: object) -> HttpResponse:
    return render(request, "policy/locked.html", {"obj": obj}, status=403)


def _restricted(
    model: type[models.Model], request: StaffRequest, capability: Capability = VIEW
) -> SchoolQuerySet[Any]:
    return restricted(model, request, capability)


def _object(model: type[models.Model], request: StaffRequest, pk: int, capability: Capability = VIEW) -> Any:
    return get_restricted(model, request, capability, pk=pk)


def _n(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _get_only(request: StaffRequest) -> HttpResponse | None:
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET"])


def _text_page(request: StaffRequest, text: str, filename: str, title: str) -> HttpResponse:
    """The policy file on a page; with ?download=1, the file itself."""
    if request.GET.get("download"):
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "policy/text.html", {"text": text, "title": title, "filename": filename})


# ---------------------------------------------------------------------------------------------------------
# The change summary


def _parsed(request: StaffRequest, text: str | None) -> PolicyFile | None:
    """A published or drafted text as the loader reads it; None when there is none or it does not load
    (the page then shows the diff alone: the summary never guesses)."""
    if text is None:
        return None
    path = actions.snapshot_path(request.school)
    try:
        return parse_policy(text, str(path), path.parent)
    except PolicyFileError:
        return None


def _requests(request: StaffRequest, *files: PolicyFile | None) -> dict[int, RequestInfo]:
    """Who decided each request the files' grants name, and who ended its grant early: the file names
    no person, so the summary's "(request 14, approved by P. Okafor)" comes from here. Two queries,
    only when the files name a request."""
    numbers = {g.request for f in files if f is not None for g in f.policy.grants if g.request is not None}
    if not numbers:
        return {}
    school = request.school
    found = FilterRequest.objects.filter(school=school, number__in=numbers).select_related("decided_by")
    ended: dict[int, str] = {}
    for grant in (
        Grant.objects.filter(school=school, request__number__in=numbers, ended_by__isnull=False)
        .select_related("ended_by", "request")
        .order_by("ended_at")
    ):
        ended[grant.request.number] = str(grant.ended_by)
    return {
        r.number: RequestInfo(
            approver="" if r.decided_by is None else str(r.decided_by),
            without_approval=r.without_approval,
            ended_by=ended.get(r.number, ""),
        )
        for r in found
    }


def _summary(
    request: StaffRequest, old: str | None, new: str, new_file: PolicyFile | None = None
) -> list[tuple[str, list[Sentence]]] | None:
    """The differences from `old` to `new` in words, under their headings; None when `new` does not
    load (or `old`, once published, no longer does): the page then shows the diff alone."""
    new_file = new_file or _parsed(request, new)
    old_file = _parsed(request, old)
    if new_file is None or (old is not None and old_file is None):
        return None
    return by_section(summarise(old_file, new_file, requests=_requests(request, old_file, new_file)))


# ---------------------------------------------------------------------------------------------------------
# The overview and the draft


@staff_view(VIEW)
def overview_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    school = request.school
    path = actions.snapshot_path(school)
    draft = actions.check_draft(school, settings=actions.ensure_policy(school), path=path)
    running = actions.running_text(school, path)
    latest = (
        _restricted(PolicyVersion, request)
        .select_related("published_by")
        .defer("text")
        .order_by("-number")
        .first()
    )
    rows = draft.rows
    dates = len(rows.terms) + len(rows.holidays)
    sections = [
        ("Groups", "policy:groups",
         f"{_n(len(rows.groups), 'group')}, {_n(len(rows.members), 'way in', 'ways in')}",
         "Who gets which filtering: pupils, staff, visitors, and anyone the filter cannot identify"),
        ("Rules", "policy:rules", _n(len(rows.rules), "rule"),
         "What is allowed or blocked, for whom and when: the first rule that matches decides"),
        ("Categories and lists", "policy:categories",
         f"{_n(len(rows.categories), 'category', 'categories')}, {_n(len(rows.lists), 'list')}",
         "The kinds of site the lists sort the web into, and the locked illegal-content lists"),
        ("Site lists", "policy:sites", _n(len(rows.sites), "site list"),
         "Sites you keep by hand: the ones every lesson needs, or ones to block"),
        ("Times and term dates", "policy:windows",
         f"{_n(len(rows.windows), 'time window')}, {_n(dates, 'term or holiday', 'terms and holidays')}",
         "Lesson times, lunchtime, after school; the school's terms and holidays"),
    ]  # fmt: skip
    return render(
        request,
        "policy/overview.html",
        {
            "can_change": _can_change(request),
            "draft": draft,
            "running": running,
            "published": running is not None and running == draft.text,
            "latest": latest,
            "outside_change": latest is not None
            and running is not None
            and actions.sha256(running) != latest.sha256,
            "restored": latest is not None and latest.restored_from_id is not None,
            "sections": sections,
            "settings": rows.settings,
            "path": path,
        },
    )


@staff_view(VIEW)
def draft_text_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    actions.ensure_policy(request.school)
    draft = render_text(load_rows(request.school), index_path=actions.index_path())
    return _text_page(request, draft.text, "policy-draft.toml", "The draft as a policy file")


@staff_view(VIEW)
def changes_view(request: StaffRequest) -> HttpResponse:
    """The draft's problems and its differences from the running policy, for everyone who may see them."""
    if (refused := _get_only(request)) is not None:
        return refused
    return _publish_page(request, None, [])


@staff_view(CHANGE)
def publish_view(request: StaffRequest) -> HttpResponse:
    school = request.school
    actions.ensure_policy(school)
    form = PublishForm()
    problems: list[actions.Problem] = []
    if request.method == "POST":
        form = PublishForm(request.POST)
        if form.is_valid():
            try:
                version = actions.do_publish(
                    school,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_sha256=form.cleaned_data["sha256"],
                )
            except actions.PublishError as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    f"Published version {version.number}. The filter reads it from "
                    f"{actions.snapshot_path(school)} within a few seconds.",
                )
                return redirect("policy:versions")
    return _publish_page(request, form, problems)


def _publish_page(
    request: StaffRequest, form: PublishForm | None, refused: list[actions.Problem]
) -> HttpResponse:
    school = request.school
    path = actions.snapshot_path(school)
    draft = actions.check_draft(school, settings=actions.ensure_policy(school), path=path)
    running = actions.running_text(school, path)
    latest = _restricted(PolicyVersion, request).defer("text").order_by("-number").first()
    old_name = f"running policy (version {latest.number})" if latest else "running policy"
    if form is not None:
        if not form.is_bound:
            form = PublishForm(initial={"sha256": draft.rendered.sha256})
        elif not form.errors:  # refused: keep the reason; the next try is of the draft as it is now
            form = PublishForm(
                initial={"reason": form.cleaned_data["reason"], "sha256": draft.rendered.sha256}
            )
    bad = bool(refused) or (form is not None and form.is_bound and bool(form.errors))
    return render(
        request,
        "policy/publish.html",
        {
            "draft": draft,
            "problems": refused or draft.problems,
            "refused": bool(refused),
            "diff": actions.diff(running, draft.text, old_name, "draft"),
            "summary": None
            if running == draft.text
            else _summary(request, running, draft.text, draft.policy_file),
            "running": running,
            "same": running == draft.text,
            "form": form,
            "can_change": _can_change(request),
            "path": path,
            "index": actions.index_path(),
        },
        status=400 if bad else 200,
    )


# ---------------------------------------------------------------------------------------------------------
# Simple records: a page that shows one (POLICY_VIEW) and pages that change it (POLICY_CHANGE)


@dataclass(frozen=True)
class Kind:
    key: str
    model: type[models.Model]
    form: type[SchoolForm]
    noun: str
    list_url: str
    intro: str = ""


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("group", FilterGroup, GroupForm, "group", "policy:groups"),
        Kind(
            "window",
            TimeWindow,
            WindowForm,
            "time window",
            "policy:windows",
            "A time window is named in rules that apply only at some times. Times are school time.",
        ),
        Kind("date", SchoolDate, SchoolDateForm, "term or holiday", "policy:windows"),
        Kind("category", Category, CategoryForm, "category", "policy:categories"),
        Kind(
            "list",
            ListSource,
            ListSourceForm,
            "list",
            "policy:categories",
            "A list of sites compiled into the filter's index. After changing one, the lists must be "
            "compiled again on the server (schoolgate lists compile).",
        ),
        Kind("site", SiteList, SiteListForm, "site list", "policy:sites"),
    )
}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if value is None or value == "":
        return "—"
    return str(value)


def summary(obj: models.Model, form: SchoolForm) -> list[tuple[str, str]]:
    """(label, value) for each field of the record's form, as the record holds it."""
    rows: list[tuple[str, str]] = []
    for name, field in form.fields.items():
        display = getattr(obj, f"get_{name}_display", None)
        if callable(display):
            value: Any = display()
        elif name == "days":
            value = compress_days(getattr(obj, name))
        else:
            value = getattr(obj, name, None)
        rows.append((str(field.label), _shown(value)))
    return rows


def _show(key: str) -> Callable[..., HttpResponse]:
    @staff_view(VIEW)
    def view(request: StaffRequest, pk: int) -> HttpResponse:
        kind = KINDS[key]
        obj = _object(kind.model, request, pk)
        if (refused := _get_only(request)) is not None:
            return refused
        return render(
            request,
            "policy/detail.html",
            {
                "kind": kind,
                "obj": obj,
                "rows": summary(obj, kind.form(instance=obj, school=request.school)),
                "locked": getattr(obj, "locked", False),
                "naming": actions.rules_naming(obj),
                "can_change": _can_change(request),
                "edit_url": reverse(f"policy:{key}-edit", args=[pk]),
                "delete_url": reverse(f"policy:{key}-delete", args=[pk]),
            },
        )

    return view


def _form_page(
    request: StaffRequest, kind: Kind, form: SchoolForm, obj: models.Model | None, status: int = 200
) -> HttpResponse:
    return render(request, "policy/form.html", {"kind": kind, "form": form, "obj": obj}, status=status)


def _edit(request: StaffRequest, kind: Kind, obj: Any) -> HttpResponse:
    if obj is not None and getattr(obj, "locked", False):
        return _locked(request, obj)
    if request.method == "POST":
        form = kind.form(request.POST, instance=obj or kind.model(), school=request.school)
        if form.is_valid():
            saved: Any = form.instance
            try:
                actions.do_save(saved, actor=request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f'Saved the {kind.noun} "{saved}". {PUBLISH_HINT}')
                return redirect(saved.get_absolute_url() if kind.key == "group" else kind.list_url)
        return _form_page(request, kind, form, obj, status=400)
    return _form_page(request, kind, kind.form(instance=obj or kind.model(), school=request.school), obj)


def _edit_view(key: str) -> Callable[..., HttpResponse]:
    @staff_view(CHANGE)
    def view(request: StaffRequest, pk: int) -> HttpResponse:
        kind = KINDS[key]
        return _edit(request, kind, _object(kind.model, request, pk, CHANGE))

    return view


def _new_view(key: str) -> Callable[..., HttpResponse]:
    @staff_view(CHANGE)
    def view(request: StaffRequest) -> HttpResponse:
        actions.ensure_policy(request.school)
        return _edit(request, KINDS[key], None)

    return view


def _delete_view(key: str) -> Callable[..., HttpResponse]:
    @staff_view(CHANGE)
    def view(request: StaffRequest, pk: int) -> HttpResponse:
        kind = KINDS[key]
        obj = _object(kind.model, request, pk, CHANGE)
        if getattr(obj, "locked", False):
            return _locked(request, obj)
        if request.method == "POST":
            try:
                actions.do_delete(obj, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect(obj.get_absolute_url())
            messages.success(request, f'Removed the {kind.noun} "{obj}". {PUBLISH_HINT}')
            return redirect(kind.list_url)
        return render(
            request, "policy/delete.html", {"kind": kind, "obj": obj, "naming": actions.rules_naming(obj)}
        )

    return view


def _group_form(request: StaffRequest, group: FilterGroup | None) -> HttpResponse:
    """A new group or a change to one; when people would move or their rules change (a `within`,
    the group's own settings), what would happen is shown first and written only once confirmed."""
    kind = KINDS["group"]
    if request.method != "POST":
        blank = GroupForm(instance=group or FilterGroup(), school=request.school)
        return _form_page(request, kind, blank, group)
    form = GroupForm(request.POST, instance=group or FilterGroup(), school=request.school)
    if form.is_valid():
        saved: FilterGroup = form.instance  # type: ignore[assignment]
        said = consequences.of_group_saved(saved)
        if not said.nothing and not confirmed(request, said.fingerprint):
            return confirm_page(
                request,
                title=f'Save the group "{saved.name}"?',
                sentences=said.sentences,
                fingerprint=said.fingerprint,
                button="Save the group",
                back=group.get_absolute_url() if group is not None else reverse(kind.list_url),
            )
        try:
            actions.do_save(saved, actor=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f'Saved the group "{saved}". {PUBLISH_HINT}')
            return redirect(saved.get_absolute_url())
    return _form_page(request, kind, form, group, status=400)


@staff_view(CHANGE)
def group_new_view(request: StaffRequest) -> HttpResponse:
    actions.ensure_policy(request.school)
    return _group_form(request, None)


@staff_view(CHANGE)
def group_edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _group_form(request, _object(FilterGroup, request, pk, CHANGE))


@staff_view(CHANGE)
def group_delete_view(request: StaffRequest, pk: int) -> HttpResponse:
    """The remove page says what removing the group does to its people; the POST removes it only if
    that is still what it would do."""
    kind = KINDS["group"]
    group: FilterGroup = _object(FilterGroup, request, pk, CHANGE)
    said = consequences.of_group_removed(group)
    if request.method == "POST" and (said.nothing or confirmed(request, said.fingerprint)):
        try:
            actions.do_delete(group, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(group.get_absolute_url())
        messages.success(request, f'Removed the group "{group}". {PUBLISH_HINT}')
        return redirect(kind.list_url)
    return render(
        request,
        "policy/delete.html",
        {
            "kind": kind,
            "obj": group,
            "naming": actions.rules_naming(group),
            "said": said,
            "confirm_name": CONFIRM,
            "stale": request.method == "POST",
        },
    )


window_view, window_new_view = _show("window"), _new_view("window")
window_edit_view, window_delete_view = _edit_view("window"), _delete_view("window")
date_view, date_new_view = _show("date"), _new_view("date")
date_edit_view, date_delete_view = _edit_view("date"), _delete_view("date")
category_view, category_new_view = _show("category"), _new_view("category")
category_edit_view, category_delete_view = _edit_view("category"), _delete_view("category")
list_view, list_new_view = _show("list"), _new_view("list")
list_edit_view, list_delete_view = _edit_view("list"), _delete_view("list")
site_view, site_new_view = _show("site"), _new_view("site")
site_edit_view, site_delete_view = _edit_view("site"), _delete_view("site")


@staff_view(CHANGE)
def settings_view(request: StaffRequest) -> HttpResponse:
    policy_settings = actions.ensure_policy(request.school)
    kind = Kind("settings", type(policy_settings), SettingsForm, "policy settings", "policy:overview")
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=policy_settings, school=request.school)
        if form.is_valid():
            actions.do_save(policy_settings, actor=request.user)
            messages.success(request, f"Saved the policy settings. {PUBLISH_HINT}")
            return redirect("policy:overview")
        return _form_page(request, kind, form, policy_settings, status=400)
    return _form_page(
        request, kind, SettingsForm(instance=policy_settings, school=request.school), policy_settings
    )


# ---------------------------------------------------------------------------------------------------------
# Lists of records


@staff_view(VIEW)
def groups_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    actions.ensure_policy(request.school)
    groups = _restricted(FilterGroup, request).annotate(ways_in=Count("members")).order_by("name")
    return render(request, "policy/groups.html", {"groups": groups, "can_change": _can_change(request)})


@staff_view(VIEW)
def windows_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    actions.ensure_policy(request.school)
    windows = [(w, compress_days(w.days)) for w in _restricted(TimeWindow, request).order_by("name")]
    dates = _restricted(SchoolDate, request).order_by("first", "last", "id")
    return render(
        request,
        "policy/windows.html",
        {"windows": windows, "dates": dates, "can_change": _can_change(request)},
    )


@staff_view(VIEW)
def categories_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    actions.ensure_policy(request.school)
    return render(
        request,
        "policy/categories.html",
        {
            "categories": _restricted(Category, request).order_by("-locked", "name"),
            "lists": _restricted(ListSource, request).order_by("-locked", "name"),
            "can_change": _can_change(request),
        },
    )


@staff_view(VIEW)
def sites_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    actions.ensure_policy(request.school)
    sites = _restricted(SiteList, request).order_by("name")
    return render(request, "policy/sites.html", {"sites": sites, "can_change": _can_change(request)})


# ---------------------------------------------------------------------------------------------------------
# A group and who is in it

MEMBER_FORMS = (
    (MemberKind.PERSON_KIND, "person_kind", "Add everyone of a kind"),
    (MemberKind.YEAR_GROUP, "year_group", "Add a year group"),
    (MemberKind.CLASS_GROUP, "class_group", "Add a class"),
    (MemberKind.PERSON, "person", "Add one person"),
    (MemberKind.IDENTITY, "identity", "Add a user name, device or address range"),
)


def _group_page(
    request: StaffRequest, group: FilterGroup, member_form: MemberForm | None = None, status: int = 200
) -> HttpResponse:
    rows = load_rows(request.school)
    members = rows.members_by_group.get(group.pk, [])
    form = member_form or MemberForm(school=request.school, group=group)
    return render(
        request,
        "policy/group.html",
        {
            "group": group,
            "rows": summary(group, GroupForm(instance=group, school=request.school)),
            "members": members,
            "users": rows.users.get(group.name, []),
            "networks": sorted(rows.networks.get(group.name, {}).items()),
            "conflicts": [c for c in rows.conflicts if any(g.pk == group.pk for g, _ in c.claims)],
            "member_form": form,
            "member_forms": [(kind, form[field], title) for kind, field, title in MEMBER_FORMS],
            "posted_kind": form.data.get("kind") if form.is_bound else None,
            "can_change": _can_change(request),
            "naming": actions.rules_naming(group),
        },
        status=status,
    )


@staff_view(VIEW)
def group_view(request: StaffRequest, pk: int) -> HttpResponse:
    group: FilterGroup = _object(FilterGroup, request, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    return _group_page(request, group)


@staff_view(CHANGE)
def member_add_view(request: StaffRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    group: FilterGroup = _object(FilterGroup, request, pk, CHANGE)
    form = MemberForm(request.POST, school=request.school, group=group)
    if form.is_valid():
        member = form.member()
        said = consequences.of_member_added(member)
        if not said.nothing and not confirmed(request, said.fingerprint):
            return confirm_page(
                request,
                title=f'Add {member.describe()} to "{group}"?',
                sentences=said.sentences,
                fingerprint=said.fingerprint,
                button="Add them",
                back=group.get_absolute_url(),
            )
        try:
            actions.do_add_member(member, actor=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"Added {member.describe()} to {group}. {PUBLISH_HINT}")
            return redirect(group.get_absolute_url())
    return _group_page(request, group, form, status=400)


@staff_view(CHANGE)
def member_remove_view(request: StaffRequest, pk: int, member: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    group: FilterGroup = _object(FilterGroup, request, pk, CHANGE)
    found: GroupMember = get_object_or_404(_restricted(GroupMember, request, CHANGE), pk=member, group=group)
    said = consequences.of_member_removed(found)
    if not said.nothing and not confirmed(request, said.fingerprint):
        return confirm_page(
            request,
            title=f'Take {found.describe()} out of "{group}"?',
            sentences=said.sentences,
            fingerprint=said.fingerprint,
            button="Take them out",
            back=group.get_absolute_url(),
        )
    actions.do_remove_member(found, actor=request.user)
    messages.success(request, f"Took {found.describe()} out of {group}. {PUBLISH_HINT}")
    return redirect(group.get_absolute_url())


# ---------------------------------------------------------------------------------------------------------
# Rules


def _rules(request: StaffRequest) -> list[Rule]:
    return list(
        _restricted(Rule, request)
        .select_related("window")
        .prefetch_related("groups", "categories", "sites")
        .order_by("position", "id")
    )


@staff_view(VIEW)
def rules_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    actions.ensure_policy(request.school)
    rules = _rules(request)
    return render(
        request,
        "policy/rules.html",
        {"rules": rules, "can_change": _can_change(request), "now": timezone.now(), "count": len(rules)},
    )


def _rule_number(request: StaffRequest, rule: Rule) -> int:
    ids = list(_restricted(Rule, request).order_by("position", "id").values_list("pk", flat=True))
    return ids.index(rule.pk) + 1


@staff_view(VIEW)
def rule_view(request: StaffRequest, pk: int) -> HttpResponse:
    rule: Rule = _object(Rule, request, pk)
    if (refused := _get_only(request)) is not None:
        return refused
    return render(
        request,
        "policy/rule.html",
        {
            "rule": rule,
            "number": _rule_number(request, rule),
            "can_change": _can_change(request),
            "now": timezone.now(),
        },
    )


def _rule_form(request: StaffRequest, rule: Rule | None) -> HttpResponse:
    if request.method == "POST":
        form = RuleForm(request.POST, instance=rule or Rule(), school=request.school)
        if form.is_valid():
            saved = form.save()
            groups, categories, sites = form.chosen()
            try:
                actions.do_save_rule(
                    saved,
                    actor=request.user,
                    groups=groups,
                    categories=categories,
                    sites=sites,
                    at_top=form.at_top,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f'Saved the rule "{saved}". {PUBLISH_HINT}')
                return redirect(f"{reverse('policy:rules')}#rule-{saved.pk}")
        status = 400
    else:
        form = RuleForm(instance=rule or Rule(), school=request.school)
        status = 200
    number = _rule_number(request, rule) if rule is not None else None
    return render(
        request, "policy/rule_form.html", {"form": form, "rule": rule, "number": number}, status=status
    )


@staff_view(CHANGE)
def rule_new_view(request: StaffRequest) -> HttpResponse:
    actions.ensure_policy(request.school)
    return _rule_form(request, None)


@staff_view(CHANGE)
def rule_edit_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _rule_form(request, _object(Rule, request, pk, CHANGE))


@staff_view(CHANGE)
def rule_delete_view(request: StaffRequest, pk: int) -> HttpResponse:
    rule: Rule = _object(Rule, request, pk, CHANGE)
    if request.method == "POST":
        actions.do_delete_rule(rule, actor=request.user)
        messages.success(request, f'Removed the rule "{rule}". {PUBLISH_HINT}')
        return redirect("policy:rules")
    kind = Kind("rule", Rule, RuleForm, "rule", "policy:rules")
    return render(request, "policy/delete.html", {"kind": kind, "obj": rule, "naming": []})


@staff_view(CHANGE)
def rule_move_view(request: StaffRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    rule: Rule = _object(Rule, request, pk, CHANGE)
    direction = request.POST.get("direction", "")
    if direction in ("up", "down") and actions.do_move_rule(rule, actor=request.user, direction=direction):
        messages.success(request, f'Moved "{rule}" {direction}. {PUBLISH_HINT}')
    return redirect(f"{reverse('policy:rules')}#rule-{rule.pk}")


# ---------------------------------------------------------------------------------------------------------
# Versions


@staff_view(VIEW)
def versions_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    versions = (
        _restricted(PolicyVersion, request)
        .select_related("published_by", "restored_from")
        .defer("text")
        .order_by("-number")
    )
    running = actions.running_text(request.school)
    running_sha = actions.sha256(running) if running is not None else None
    return render(
        request,
        "policy/versions.html",
        {"versions": versions, "running_sha": running_sha, "can_change": _can_change(request)},
    )


def _version(request: StaffRequest, number: int, capability: Capability = VIEW) -> PolicyVersion:
    found = (
        _restricted(PolicyVersion, request, capability)
        .select_related("published_by", "restored_from")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise Http404("no such version")
    return cast(PolicyVersion, found)


@staff_view(VIEW)
def version_view(request: StaffRequest, number: int) -> HttpResponse:
    version = _version(request, number)
    if (refused := _get_only(request)) is not None:
        return refused
    before = _restricted(PolicyVersion, request).filter(number__lt=number).order_by("-number").first()
    running = actions.running_text(request.school)
    return render(
        request,
        "policy/version.html",
        {
            "version": version,
            "before": before,
            "diff": actions.diff(
                before.text if before else None,
                version.text,
                f"version {before.number}" if before else "(nothing before)",
                f"version {version.number}",
            ),
            "summary": _summary(request, before.text if before else None, version.text),
            "is_running": running == version.text,
            "can_change": _can_change(request),
        },
    )


@staff_view(VIEW)
def version_text_view(request: StaffRequest, number: int) -> HttpResponse:
    version = _version(request, number)
    if (refused := _get_only(request)) is not None:
        return refused
    return _text_page(
        request,
        version.text,
        f"policy-version-{version.number}.toml",
        f"Version {version.number} as a policy file",
    )


@staff_view(CHANGE)
def restore_view(request: StaffRequest, number: int) -> HttpResponse:
    version = _version(request, number, CHANGE)
    school = request.school
    problems: list[actions.Problem] = []
    form = PublishForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            restored = actions.do_restore(version, actor=request.user, reason=form.cleaned_data["reason"])
        except actions.PublishError as exc:
            problems = exc.problems
        else:
            messages.success(
                request,
                f"Published version {version.number} again, as version {restored.number}. The editor's draft "
                "is unchanged: publishing the draft would replace it.",
            )
            return redirect("policy:versions")
    running = actions.running_text(school)
    return render(
        request,
        "policy/restore.html",
        {
            "version": version,
            "form": form,
            "problems": problems,
            "diff": actions.diff(running, version.text, "running policy", f"version {version.number}"),
            "same": running == version.text,
        },
        status=400 if (problems or form.errors) else 200,
    )


# ---------------------------------------------------------------------------------------------------------
# Test a URL


@staff_view(Capability.URL_TEST)
def test_view(request: StaffRequest) -> HttpResponse:
    if (refused := _get_only(request)) is not None:
        return refused
    school = request.school
    groups = list(
        _restricted(FilterGroup, request, Capability.URL_TEST).order_by("name").values_list("name", flat=True)
    )
    show_draft = request.user.can(VIEW, school)
    form = UrlTestForm(request.GET or None, school=school, groups=groups, show_draft=show_draft)
    outcomes: list[actions.UrlOutcome] = []
    at = None
    if form.is_valid():
        data = form.cleaned_data
        at = data.get("at") or timezone.now()
        outcomes = actions.try_url(
            school,
            str(data["url"]).strip(),
            user=str(data.get("user") or "").strip(),
            address=str(data.get("address") or ""),
            group=str(data.get("group") or ""),
            at=at,
            draft=bool(data.get("draft")),
        )
    return render(
        request,
        "policy/test.html",
        {"form": form, "outcomes": outcomes, "at": at.astimezone(school_zone(school)) if at else None},
    )
