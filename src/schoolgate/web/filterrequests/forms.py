"""The forms of the requests pages: asking, the teacher's own lesson unblock, deciding, settings.

The choices offered are the school's own records (people, classes, filter groups, time windows,
staff logins); whatever is posted is checked again by the actions (`actions.py`), which refuse a
locked-list site, another school's record and a decision by the wrong person, whatever a form says.
"""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from schoolgate.web.accounts.models import User
from schoolgate.web.core.forms import LocalDateTimeField, PlainModelForm
from schoolgate.web.filterrequests.actions import TEXT_MAX, URL_MAX, settings_for
from schoolgate.web.filterrequests.choices import Audience, Duration, RequestKind
from schoolgate.web.filterrequests.models import FilterRequest, RequestSettings
from schoolgate.web.people.models import ClassGroup, Person
from schoolgate.web.policy.models import FilterGroup, TimeWindow
from schoolgate.web.tenancy.models import School

__all__ = [
    "AUDIENCE_FIELDS",
    "ApproveForm",
    "NewRequestForm",
    "NoteForm",
    "SettingsForm",
    "TeacherUnblockForm",
    "TeachersForm",
]

# What a member of staff may ask for on the "Request a site" page (a review is a pupil's, from the
# block page).
ASKED_KINDS = (
    (RequestKind.UNBLOCK.value, "Unblock a site for a lesson or a time"),
    (RequestKind.BLOCK.value, "Block this site"),
    (RequestKind.CHANGE.value, "Allow this site from now on"),
)
AUDIENCE_FIELDS = {
    Audience.PERSON.value: "person",
    Audience.CLASS.value: "class_group",
    Audience.GROUP.value: "group",
}


def school_zone(school: School) -> ZoneInfo:
    """The school's time zone, in which the dates on these pages are written and read."""
    try:
        return ZoneInfo(school.timezone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


class _Person(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        person: Person = obj
        where = person.class_group.name if person.class_group_id and person.class_group else ""
        return f"{person} ({person.get_kind_display()}{', ' + where if where else ''})"


def _people(school: School) -> Any:
    return (
        Person.objects.current()
        .filter(school=school)
        .select_related("class_group")
        .order_by("last_name", "first_name", "pk")
    )


class _Audience(forms.Form):
    """For whom: one person, a class, a filter group or everyone, from the school's records; the
    record the audience names is required (the others are ignored)."""

    audience = forms.ChoiceField(
        label="For whom", choices=Audience.choices, widget=forms.RadioSelect, initial=Audience.CLASS
    )
    person = _Person(label="The person", queryset=Person.objects.none(), required=False)
    class_group = forms.ModelChoiceField(
        label="The class", queryset=ClassGroup.objects.none(), required=False
    )
    group = forms.ModelChoiceField(
        label="The filter group",
        queryset=FilterGroup.objects.none(),
        required=False,
        to_field_name="pk",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self._field("person").queryset = _people(school)
        self._field("class_group").queryset = ClassGroup.objects.filter(school=school).order_by("name")
        self._field("group").queryset = FilterGroup.objects.filter(school=school).order_by("name")
        expires = self.fields.get("expires")
        if isinstance(expires, LocalDateTimeField):
            expires.zone = school_zone(school)
        duration = self.fields.get("duration")
        if isinstance(duration, forms.ChoiceField):
            # The lesson's length is the school's setting: said as it is.
            minutes = settings_for(school).lesson_minutes
            duration.choices = [
                (
                    value,
                    f"One lesson ({minutes} minutes from the approval)"
                    if value == Duration.LESSON
                    else label,
                )
                for value, label in Duration.choices
            ]

    def _field(self, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needed = AUDIENCE_FIELDS.get(str(data.get("audience", "")))
        if needed and not data.get(needed) and needed not in self.errors:
            self.add_error(needed, "Choose one")
        return data

    def chosen(self) -> dict[str, Any]:
        """The audience and the one record it names, as the actions take them."""
        data = self.cleaned_data
        audience = Audience(data["audience"])
        named = AUDIENCE_FIELDS.get(audience.value)
        out: dict[str, Any] = {"audience": audience, "person": None, "class_group": None, "group": None}
        if named:
            out[named] = data.get(named)
        return out


class _Duration(forms.Form):
    duration = forms.ChoiceField(
        label="For how long",
        choices=Duration.choices,
        widget=forms.RadioSelect,
        initial=Duration.LESSON,
    )
    expires = LocalDateTimeField(
        label="Until (for “until a date”)", required=False, help_text="A date and time, at most a year ahead"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("duration") == Duration.UNTIL
            and not data.get("expires")
            and "expires" not in self.errors
        ):
            self.add_error("expires", "Say until when")
        return data


class NewRequestForm(_Audience, _Duration):
    """ "Request a site": what, for whom, for how long, why."""

    field_order = ("url", "kind", "whole_site", "audience", "person", "class_group", "group")

    url = forms.CharField(
        label="The site or page",
        max_length=URL_MAX,
        help_text="Its name (example.com) or the address of the page (https://...)",
    )
    kind = forms.ChoiceField(
        label="What do you ask for?",
        choices=ASKED_KINDS,
        widget=forms.RadioSelect,
        initial=RequestKind.UNBLOCK,
    )
    whole_site = forms.BooleanField(
        label="The whole site (untick for only the page given)", required=False, initial=True
    )
    reason = forms.CharField(
        label="Why",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the lesson or the work needs it for, or why it should be blocked",
        error_messages={"required": "Say why: whoever decides needs to know"},
    )


class TeacherUnblockForm(forms.Form):
    """A teacher's own lesson unblock, for a class they teach (the school's setting allows it)."""

    url = forms.CharField(label="The site or page", max_length=URL_MAX)
    class_group = forms.ModelChoiceField(label="Your class", queryset=ClassGroup.objects.none())
    reason = forms.CharField(
        label="What the lesson needs it for",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what the lesson needs it for"},
    )

    def __init__(self, *args: Any, classes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["class_group"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = classes


class ApproveForm(_Audience, _Duration):
    """The decision: for whom, for how long, the whole site or the page, and why."""

    field_order = ("audience", "person", "class_group", "group", "duration", "expires", "window")

    window = forms.ModelChoiceField(
        label="Only in this time window (optional)",
        queryset=TimeWindow.objects.none(),
        required=False,
        help_text="For example the school day: outside it the grant does not apply",
    )
    whole_site = forms.BooleanField(label="The whole site (untick for only the page asked)", required=False)
    reason = forms.CharField(
        label="Reason (optional; the person who asked is told)",
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, request: FilterRequest, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "audience": request.audience,
                "person": request.for_person_id,
                "class_group": request.for_class_id,
                "group": request.for_group_id,
                "duration": request.duration,
                "expires": request.expires,
                "window": request.window_id,
                "whole_site": request.whole_site or not request.url,
            },
        )
        super().__init__(*args, school=request.school, **kwargs)
        window = self.fields["window"]
        assert isinstance(window, forms.ModelChoiceField)
        window.queryset = TimeWindow.objects.filter(school=request.school).order_by("name")
        if not request.url:
            del self.fields["whole_site"]


class NoteForm(forms.Form):
    """One text: a refusal's reason, a question, an answer, why a grant ends early."""

    text = forms.CharField(max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, label: str, required: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["text"]
        field.label = label
        field.error_messages["required"] = required

    def clean_text(self) -> str:
        text = str(self.cleaned_data["text"]).strip()
        if not text:
            raise forms.ValidationError(self.fields["text"].error_messages["required"])
        return text


class SettingsForm(PlainModelForm):
    """The school's choices for requests."""

    class Meta:
        model = RequestSettings
        fields = ("unblock_approvers", "change_approvers", "teachers_may_unblock", "lesson_minutes")
        widgets: ClassVar[dict[str, Any]] = {
            "unblock_approvers": forms.RadioSelect,
            "change_approvers": forms.RadioSelect,
        }


class _Login(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        name = user.get_full_name() if hasattr(user, "get_full_name") else ""
        return f"{name} ({user.username})" if name else user.username


class TeachersForm(forms.Form):
    """Who teaches one class: any of the school's staff logins."""

    teachers = _Login(
        label="Who teaches it",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["teachers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(memberships__school=school).distinct().order_by("username")
