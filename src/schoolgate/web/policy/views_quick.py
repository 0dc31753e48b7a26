"""The confirm step before a change to the groups, and the one form for the common changes.

A change that moves people between groups, or changes which groups' rules they get, is shown first
(`consequences`) on a page that posts the same fields again with `confirm` set to the consequences'
fingerprint; the change is written only when that fingerprint is still what the change would do, so a
confirmation is never stretched over a change someone else made in between. A change that moves nobody
is made at once.

`quick_view` ("Allow or block a site or a category", POLICY_CHANGE): the form, then its plan in words
(the group it makes, the rule, who moves), then the draft is written (`quick.do_quick`) and the person
goes on to Publish, where the change summary shows it again.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.forms import add_errors
from schoolgate.web.policy import actions, quick
from schoolgate.web.policy.forms import QuickForm

CONFIRM = "confirm"


def confirmed(request: StaffRequest, fingerprint: str) -> bool:
    """Whether the person posted a confirmation of exactly these consequences."""
    return request.method == "POST" and request.POST.get(CONFIRM) == fingerprint


def confirm_page(
    request: StaffRequest,
    *,
    title: str,
    sentences: Sequence[str],
    fingerprint: str,
    button: str,
    back: str,
    notes: Sequence[str] = (),
) -> HttpResponse:
    """What the change would do, with the posted fields kept and a button that confirms them."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRM)
        for value in values
    ]
    return render(
        request,
        "policy/confirm.html",
        {
            "title": title,
            "notes": notes,
            "sentences": sentences,
            "fingerprint": fingerprint,
            "fields": fields,
            "button": button,
            "back": back,
            "stale": CONFIRM in request.POST,  # confirmed something that is no longer what would happen
            "confirm_name": CONFIRM,
        },
    )


@staff_view(Capability.POLICY_CHANGE)
def quick_view(request: StaffRequest) -> HttpResponse:
    school = request.school
    actions.ensure_policy(school)
    if request.method != "POST":
        return render(request, "policy/quick.html", {"form": QuickForm(school=school)})
    form = QuickForm(request.POST, school=school)
    if form.is_valid():
        change = form.change()
        try:
            if change.category is not None:
                actions.refuse_locked(change.category)
            planned = quick.plan(change)
            if not confirmed(request, planned.fingerprint):
                return confirm_page(
                    request,
                    title="Check the change",
                    notes=planned.notes,
                    sentences=planned.consequences.sentences,
                    fingerprint=planned.fingerprint,
                    button="Make the change",
                    back=request.path,
                )
            rule = quick.do_quick(change, actor=request.user)
        except actions.LockedError:
            return render(request, "policy/locked.html", {"obj": change.category}, status=403)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                f'Added the rule "{rule.name}" to the draft. Check the changes and publish them to put '
                "them into force.",
            )
            return redirect("policy:publish")
    return render(request, "policy/quick.html", {"form": form}, status=400)
