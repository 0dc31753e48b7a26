"""The shared core: the actor and reason of a change, the capability check, archiving, the reason and
date-time fields, `form_page`, and the navigation each app declares."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import acting_as, current_actor
from schoolgate.web.core.actions import Operator, acting, archive, require, restore, save
from schoolgate.web.core.forms import LocalDateTimeField, ReasonForm, add_errors
from schoolgate.web.core.nav import app_of, main_menu, sections
from schoolgate.web.core.views import form_page
from schoolgate.web.people import actions as people_actions
from schoolgate.web.people.models import Person
from tests.web.factories import Cast, person


def _entries(obj: Person) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="people.person", object_id=str(obj.pk)).order_by("id"))


# -- the actor and the reason ------------------------------------------------------------------------


def test_save_writes_the_actor_and_the_reason_to_the_trail_and_nothing_onto_the_record(cast: Cast) -> None:
    pupil = person(cast.a)
    pupil.preferred_name = "Millie"
    save(pupil, actor=cast.alice, reason="asked by her parents")
    entry = _entries(pupil)[-1]
    assert (entry.actor, entry.actor_label, entry.reason) == (cast.alice, "alice", "asked by her parents")
    assert not hasattr(pupil, "audit_reason")
    assert current_actor().user is None  # the actor is named only for the change


def test_an_operator_is_named_by_its_label(cast: Cast) -> None:
    pupil = person(cast.a)
    pupil.last_name = "Hughes-Evans"
    save(pupil, actor=Operator("schoolgate web manage (root)"), reason="fixed by hand")
    entry = _entries(pupil)[-1]
    assert (entry.actor, entry.actor_label, entry.reason) == (
        None,
        "schoolgate web manage (root)",
        "fixed by hand",
    )


def test_acting_as_the_same_user_with_no_reason_keeps_the_reason_already_given(cast: Cast) -> None:
    with acting_as(cast.alice, "the import"), acting(cast.alice):
        assert current_actor().reason == "the import"
    with acting_as(cast.alice, "the import"), acting(cast.nina):
        assert (current_actor().user, current_actor().reason) == (cast.nina, "")


# -- the capability check ----------------------------------------------------------------------------


def test_require_lets_in_a_role_that_holds_the_capability_and_the_operator_only(cast: Cast) -> None:
    require(cast.alice, Capability.PEOPLE_CHANGE, cast.a)
    require(Operator("the server's set-up"), Capability.POLICY_CHANGE, cast.b)
    with pytest.raises(PermissionDenied, match="may not add and change people"):
        require(cast.tom, Capability.PEOPLE_CHANGE, cast.a)  # a teacher sees people, changes none
    with pytest.raises(PermissionDenied):
        require(cast.alice, Capability.PEOPLE_CHANGE, cast.b)  # another school
    with pytest.raises(PermissionDenied):
        require(cast.alice, Capability.PEOPLE_CHANGE, None)


# -- kept, never deleted -----------------------------------------------------------------------------


def test_archiving_needs_a_reason_and_keeps_the_record(cast: Cast) -> None:
    pupil = person(cast.a)
    with pytest.raises(ValidationError) as refused:
        archive(pupil, actor=cast.alice, reason="  \n ")
    assert refused.value.message_dict == {"reason": ["Say why the record is archived"]}
    archive(pupil, actor=cast.alice, reason="  Left   in July ")
    pupil.refresh_from_db()
    assert pupil.is_archived and pupil.archive_reason == "Left in July"
    assert _entries(pupil)[-1].reason == "archived: Left in July"
    assert not Person.objects.filter(school=cast.a).unarchived().filter(pk=pupil.pk).exists()
    assert Person.objects.filter(school=cast.a).archived().filter(pk=pupil.pk).exists()
    restore(pupil, actor=cast.alice)
    pupil.refresh_from_db()
    assert not pupil.is_archived and pupil.archive_reason == ""
    assert _entries(pupil)[-1].reason == "restored from the archive"


def test_an_action_checks_its_actor_and_refuses_bad_input_as_validation_errors(cast: Cast) -> None:
    pupil = person(cast.a)
    with pytest.raises(PermissionDenied):
        people_actions.do_archive(pupil, actor=cast.tom, reason="left")
    with pytest.raises(PermissionDenied):
        people_actions.do_archive(pupil, actor=cast.zack, reason="left")  # Southgate's DSL
    people_actions.do_archive(pupil, actor=cast.alice, reason="left")
    with pytest.raises(ValidationError, match="archived already"):
        people_actions.do_archive(pupil, actor=cast.alice, reason="again")


# -- forms ---------------------------------------------------------------------------------------------


def test_the_reason_form_tidies_the_reason_and_says_what_is_missing() -> None:
    form = ReasonForm({"reason": "  raised   in error "}, label="Why close it?")
    assert form.is_valid() and form.cleaned_data["reason"] == "raised in error"
    assert form.fields["reason"].label == "Why close it?"
    empty = ReasonForm({"reason": "   "}, required_message="Say why you are closing it")
    assert not empty.is_valid() and empty.errors["reason"] == ["Say why you are closing it"]
    long = ReasonForm({"reason": "x" * 301}, max_length=300)
    assert not long.is_valid() and 'maxlength="300"' in str(long["reason"])


def test_a_local_date_time_is_read_in_the_zone_given_as_typed_or_from_the_picker() -> None:
    london = ZoneInfo("Europe/London")
    field = LocalDateTimeField(required=False, zone=london)
    assert field.clean("2026-07-01T15:30") == dt.datetime(2026, 7, 1, 15, 30, tzinfo=london)
    assert field.clean("01/07/2026 15:30") == dt.datetime(2026, 7, 1, 15, 30, tzinfo=london)
    assert field.clean("") is None
    with pytest.raises(forms.ValidationError, match="for example 2026-12-18 15:30"):
        field.clean("next Tuesday")
    assert 'type="datetime-local"' in field.widget.render("at", None)


class _NameForm(forms.Form):
    name = forms.CharField()


def test_an_actions_refusal_lands_on_the_form_by_field_or_at_the_top() -> None:
    form = _NameForm({"name": "x"})
    assert form.is_valid()
    add_errors(form, ValidationError({"name": "Taken", "other": "Not on this form"}))
    add_errors(form, ValidationError("Something else"))
    assert form.errors["name"] == ["Taken"]
    assert form.non_field_errors() == ["Not on this form", "Something else"]


def test_form_page_acts_on_a_valid_form_and_shows_a_refusal_on_it(cast: Cast) -> None:
    factory = RequestFactory()
    request = factory.post("/people/", {"name": "x"})
    request.user, request.school = cast.alice, cast.a  # type: ignore[attr-defined]
    request.resolver_match = resolve("/people/")

    def refuse() -> None:
        raise ValidationError({"name": "That name is taken"})

    form = _NameForm(request.POST)
    response = form_page(request, form, refuse, done=lambda _: HttpResponse("done"), template="field.html",
                         context={"field": None})  # fmt: skip
    assert response.status_code == 200 and form.errors["name"] == ["That name is taken"]
    form = _NameForm(request.POST)
    done = form_page(
        request, form, lambda: 1, done=lambda n: HttpResponse(f"done {n}"), template="field.html"
    )
    assert done.content == b"done 1"

    def deny() -> None:
        raise PermissionDenied("no")

    with pytest.raises(PermissionDenied):  # Django answers it with the 403 page
        form_page(
            request, _NameForm(request.POST), deny, done=lambda _: HttpResponse(), template="field.html"
        )


# -- navigation ----------------------------------------------------------------------------------------


def test_each_user_sees_the_menu_entries_their_roles_open(cast: Cast) -> None:
    def labels(user: object) -> list[str]:
        return [item["label"] for item in main_menu(user, cast.a, "/people/")]  # type: ignore[arg-type]

    assert labels(cast.nina) == [  # the network manager; in the order the apps give their entries
        "Home", "Monitoring", "Requests", "Online safety log", "People", "Agreements", "Photo consent",
        "Devices", "Filtering policy", "Test a URL", "Self-test", "My training", "Annual review",
        "Change-control log", "Term dates", "Staff logins",
    ]  # fmt: skip
    # The online safety governor: their training, the review they sign, the report and the change log.
    assert labels(cast.users["gina"]) == [
        "Home", "My training", "Annual review", "Governors' report", "Change-control log",
    ]  # fmt: skip
    assert "Requests" in labels(cast.tom) and "Requests" not in labels(cast.users["greta"])
    assert "Audit trail" in labels(cast.alice)
    # Whoever reads alerts has them in the menu; the monitoring's other pages are under them.
    assert "Alerts" in labels(cast.alice) and "Monitoring" not in labels(cast.alice)
    assert "Alerts" not in labels(cast.tom) and "Monitoring" not in labels(cast.tom)
    assert "Staff logins" not in labels(cast.tom) and "Filtering policy" not in labels(cast.tom)
    current = [item["label"] for item in main_menu(cast.nina, cast.a, "/people/") if item["current"]]
    assert current == ["People"]


def test_an_apps_sections_mark_the_page_they_hold(cast: Cast) -> None:
    people = app_of("people")
    assert people is not None
    shown = sections(people, cast.alice, cast.a, "people:identity-add")
    assert [s["label"] for s in shown if s["current"]] == ["Network identities"]
    assert "Import from the MIS" in [s["label"] for s in shown]
    assert "Import from the MIS" not in [
        s["label"] for s in sections(people, cast.tom, cast.a, "people:list")
    ]
    assert [s["label"] for s in sections(people, cast.tom, cast.a, "people:year-edit") if s["current"]] == [
        "Year groups and classes"
    ]
