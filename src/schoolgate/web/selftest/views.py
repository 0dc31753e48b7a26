"""The self-test's pages: the runs (and "run now"), one run's results, what it checks (the settings and
the test identities). Seeing needs `SELFTEST_VIEW`; running it and choosing when and what it checks,
`SELFTEST_RUN`; where its probes go and as whom (the gateways and the test identities), `POLICY_CHANGE`
too, the network manager's (checked again inside each action)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import (
    GET_POST,
    form_page,
    get_restricted,
    paginate,
    posted,
    render_page,
    restricted,
    say_and_go,
)
from schoolgate.web.selftest import actions
from schoolgate.web.selftest.choices import Outcome
from schoolgate.web.selftest.forms import GatewaysForm, IdentityForm, SettingsForm
from schoolgate.web.selftest.models import SelfTestRun, TestIdentity


@staff_view(Capability.SELFTEST_VIEW)
def runs_view(request: StaffRequest) -> HttpResponse:
    runs = restricted(SelfTestRun, request, Capability.SELFTEST_VIEW).select_related(
        "requested_by", "policy_version"
    )
    chosen = actions.settings_for(request.school)
    return render_page(
        request,
        "selftest/runs.html",
        {"page": paginate(request, runs), "settings": chosen, "set_up": chosen.pk is not None},
    )


@staff_view(Capability.SELFTEST_RUN)
@require_POST
def run_now_view(request: StaffRequest) -> HttpResponse:
    try:
        run = actions.do_request_run(request.school, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("selftest:runs")
    messages.success(
        request, "The self-test is waiting for the worker, which starts it within a few seconds."
    )
    return redirect("selftest:run", pk=run.pk)


@staff_view(Capability.SELFTEST_VIEW)
def run_view(request: StaffRequest, pk: int) -> HttpResponse:
    run: SelfTestRun = get_restricted(SelfTestRun, request, Capability.SELFTEST_VIEW, pk=pk)
    results = list(run.results.all())
    counts = Counter(r.outcome for r in results)
    groups: dict[str, list[Any]] = {}
    for result in results:
        groups.setdefault(result.group, []).append(result)
    return render_page(
        request,
        "selftest/run.html",
        {
            "run": run,
            "groups": groups,
            "passed": counts[Outcome.PASSED],
            "failed": counts[Outcome.FAILED],
            "errors": counts[Outcome.ERROR],
            "percent": int(100 * run.done / run.total) if run.total else 0,
        },
    )


@staff_view(Capability.SELFTEST_VIEW)
def settings_view(request: StaffRequest) -> HttpResponse:
    chosen = actions.settings_for(request.school)
    identities = restricted(TestIdentity, request, Capability.SELFTEST_VIEW).select_related("group")
    return render_page(
        request,
        "selftest/settings.html",
        {"settings": chosen, "identities": identities, "set_up": chosen.pk is not None},
    )


@staff_view(Capability.SELFTEST_RUN)
@GET_POST
def settings_edit_view(request: StaffRequest) -> HttpResponse:
    form = SettingsForm(posted(request), instance=actions.settings_for(request.school))
    return form_page(
        request,
        form,
        lambda: actions.do_save_settings(form.save(commit=False), actor=request.user),
        done=say_and_go(
            request, lambda _: "Saved the self-test's settings.", lambda _: reverse("selftest:settings")
        ),
        template="selftest/settings_edit.html",
    )


@staff_view(Capability.POLICY_CHANGE)
@GET_POST
def gateways_edit_view(request: StaffRequest) -> HttpResponse:
    form = GatewaysForm(posted(request), instance=actions.settings_for(request.school))

    def said(result: tuple[Any, int]) -> str:
        forgotten = result[1]
        if not forgotten:
            return "Saved the proxy and the resolver."
        plural = "s were" if forgotten != 1 else " was"
        return (
            "Saved the proxy and the resolver. As the proxy changed, "
            f"{forgotten} stored test password{plural} forgotten: "
            "type each again on its test identity's page."
        )

    return form_page(
        request,
        form,
        lambda: actions.do_save_gateways(
            request.school,
            actor=request.user,
            proxy=form.cleaned_data.get("proxy") or "",
            resolver=form.cleaned_data.get("resolver") or "",
        ),
        done=say_and_go(request, said, lambda _: reverse("selftest:settings")),
        template="selftest/gateways_edit.html",
    )


def _identity_page(request: StaffRequest, identity: TestIdentity) -> HttpResponse:
    form = IdentityForm(posted(request), instance=identity, school=request.school)
    had_password = bool(identity.password)

    def said(saved: TestIdentity) -> str:
        if had_password and saved.user_name and not saved.password:
            return (
                f"Saved the test identity of {saved.group}. As its user name changed, the stored password "
                "was forgotten: type the new login's password."
            )
        return f"Saved the test identity of {saved.group}."

    return form_page(
        request,
        form,
        lambda: actions.do_save_identity(
            form.save(commit=False), actor=request.user, password=form.cleaned_data.get("new_password") or ""
        ),
        done=say_and_go(request, said, lambda _: reverse("selftest:settings")),
        template="selftest/identity.html",
        context={"identity": identity},
    )


@staff_view(Capability.POLICY_CHANGE)
@GET_POST
def identity_new_view(request: StaffRequest) -> HttpResponse:
    return _identity_page(request, TestIdentity(school=request.school))


@staff_view(Capability.POLICY_CHANGE)
@GET_POST
def identity_view(request: StaffRequest, pk: int) -> HttpResponse:
    identity = get_restricted(TestIdentity, request, Capability.SELFTEST_RUN, pk=pk)
    return _identity_page(request, identity)


@staff_view(Capability.POLICY_CHANGE)
@require_POST
def identity_delete_view(request: StaffRequest, pk: int) -> HttpResponse:
    identity = get_restricted(TestIdentity, request, Capability.SELFTEST_RUN, pk=pk)
    group = str(identity.group)
    actions.do_delete_identity(identity, actor=request.user)
    messages.success(request, f"Removed the test identity of {group}: the self-test no longer checks it.")
    return redirect("selftest:settings")
