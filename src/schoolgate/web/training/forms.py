"""The forms of the training pages. The choices offered are the school's own records; the actions
check everything again (school, kinds, dates, sizes), whatever a form says."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from schoolgate.web.core.forms import DateField, PlainModelForm
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


class _Person(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        person: Person = obj
        extra = person.team or person.get_kind_display()
        return f"{person.last_name}, {person.preferred_name or person.first_name} ({extra})"


class RecordForm(forms.Form):
    """One session: a course, a day, who attended; a certificate when it is one person's."""

    course = forms.ModelChoiceField(queryset=Course.objects.none(), empty_label=None)
    attended_on = DateField(label="Date")
    provider = forms.CharField(
        max_length=PROVIDER_MAX,
        required=False,
        help_text=PROVIDER_HINT,
    )
    people = _Person(
        queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple, label="Who attended",
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
