"""The forms of the training pages. The choices offered are the school's own records; the actions
check everything again (school, kinds, dates, sizes), whatever a form says."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from schoolgate.web.core.forms import DateField, PlainModelForm
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.actions import NOTE_MAX, PROVIDER_MAX, TRAINED_KINDS
from schoolgate.web.training.models import Course
from schoolgate.web.training.questions import CONFIDENCE, HELP_MAX, QUESTIONS

__all__ = ["CertificateForm", "CourseForm", "NeedsForm", "RecordForm"]

PROVIDER_HINT = "Who gave it: the DSL, the local authority, an online course ..."


class CourseForm(PlainModelForm):
    class Meta:
        model = Course
        fields = ("name", "kind", "for_whom", "refresh_months", "description")
        widgets: ClassVar[dict[str, forms.Widget]] = {"description": forms.Textarea(attrs={"rows": 4})}


_KINDS = dict(PersonKind.choices)


class _Boxes(forms.CheckboxSelectMultiple):
    """The people's checkboxes drawn in one pass, in the markup `field.html` gives each box: Django's
    widget renders two templates per box, most of the page's time for a school's 185 staff."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        base = self.build_attrs(self.attrs, attrs).get("id", "")
        chosen = {str(v) for v in self.format_value(value)}
        rows = []
        for i, (key, label) in enumerate(self.choices):
            key = "" if key is None else str(key)
            ids = format_html(' id="{}_{}"', base, i) if base else ""
            rows.append(
                format_html(
                    '<div class="checkbox"><input type="checkbox" name="{}" value="{}"{}{}>'
                    ' <label{}>{}</label></div>',
                    name, key, ids, mark_safe(" checked") if key in chosen else "",
                    format_html(' for="{}_{}"', base, i) if base else "", label,
                )
            )  # fmt: skip
        if not rows:
            return format_html('<p class="hint">{}</p>', "None yet.")
        return mark_safe("".join(rows))  # every row made by format_html, names escaped


def _people_choices(people: QuerySet[Person]) -> list[tuple[int, str]]:
    """Each person as "Last, First (team or kind)", from rows of only the columns the labels need."""
    rows = people.values_list("pk", "last_name", "preferred_name", "first_name", "team", "kind")
    return [
        (pk, f"{last}, {preferred or first} ({team or _KINDS.get(kind, kind)})")
        for pk, last, preferred, first, team, kind in rows
    ]


class RecordForm(forms.Form):
    """One session: a course, a day, who attended; a certificate when it is one person's."""

    course = forms.ModelChoiceField(queryset=Course.objects.none(), empty_label=None)
    attended_on = DateField(label="Date")
    provider = forms.CharField(
        max_length=PROVIDER_MAX,
        required=False,
        help_text=PROVIDER_HINT,
    )
    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), widget=_Boxes, label="Who attended",
        error_messages={"required": "Choose who attended"},
    )  # fmt: skip
    certificate = forms.FileField(
        required=False,
        help_text="When one person attended: their certificate, as a PDF or a photo or scan (PNG, JPEG), "
        "up to 5 MB",
    )
    note = forms.CharField(max_length=NOTE_MAX, required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        course = self.fields["course"]
        assert isinstance(course, forms.ModelChoiceField)
        course.queryset = Course.objects.filter(school=school).unarchived()
        people = self.fields["people"]
        assert isinstance(people, forms.ModelMultipleChoiceField)
        people.queryset = (
            Person.objects.filter(school=school, kind__in=sorted(TRAINED_KINDS))
            .current()
            .order_by("last_name", "first_name")
        )
        # The rows offered; a posted choice is still checked against the queryset (`pk__in`), so
        # only this school's current staff, supply staff and governors can be recorded.
        people.choices = _people_choices(people.queryset)


class CertificateForm(forms.Form):
    certificate = forms.FileField(
        help_text="A PDF, or a photo or scan (PNG, JPEG), up to 5 MB",
        error_messages={"required": "Choose the file"},
    )


_LEVELS = [(str(k), f"{k}: {v}") for k, v in CONFIDENCE.items()]


class NeedsForm(forms.Form):
    """The training needs questions: one 1-4 choice per question, the areas wanted, what would help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            self.fields[f"q_{question.key}"] = forms.TypedChoiceField(
                label=question.text, choices=_LEVELS, coerce=int, widget=forms.RadioSelect,
                error_messages={"required": "Choose how confident you are"},
            )  # fmt: skip
        self.fields["wanted"] = forms.MultipleChoiceField(
            label="I would like training on",
            choices=[(q.key, q.area) for q in QUESTIONS],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        self.fields["what_would_help"] = forms.CharField(
            label="What would help you?",
            help_text="In your own words (optional). Read by those who see everyone's training: "
            "the DSL team, the online safety coordinator, the headteacher, senior leaders and the office.",
            max_length=HELP_MAX,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
        )

    def answers(self) -> dict[str, int]:
        return {q.key: int(self.cleaned_data[f"q_{q.key}"]) for q in QUESTIONS}
