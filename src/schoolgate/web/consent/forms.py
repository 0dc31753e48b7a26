"""The consent forms. Choices come from the school's own records (its classes, the child's parents):
a value from elsewhere is refused by the field, never trusted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from schoolgate.web.consent.choices import BY_HAND, EXPLANATIONS, NOT_ASKED, Decision, Purpose
from schoolgate.web.consent.models import NOTE_MAX
from schoolgate.web.consent.state import State
from schoolgate.web.core.forms import DateField
from schoolgate.web.people.models import ClassGroup, Person

NAMES_MAX = 5_000  # characters of typed names: a few classes' worth
NAMES_LINES = 200
UNCHANGED = ""
OTHER = "other"
ANY_USE = "any"  # the trip list: children who may not be photographed at all


def _purpose_field(purpose: Purpose, *, blank: str | None) -> forms.ChoiceField:
    choices: list[tuple[str, str]] = [(Decision.GIVEN, "Given"), (Decision.WITHDRAWN, "Withdrawn")]
    if blank is not None:
        choices.insert(0, (UNCHANGED, blank))
    return forms.ChoiceField(
        label=purpose.label, choices=choices, required=False, widget=forms.RadioSelect,
        help_text=EXPLANATIONS[purpose.value],
    )  # fmt: skip


class RecordForm(forms.Form):
    """A parent's decision, typed in by the office from a paper form, a call or an e-mail: several
    purposes at once; a purpose left at "No change" gets no record."""

    given_by = forms.ChoiceField(label="Who decided")
    how = forms.ChoiceField(label="How it came", choices=BY_HAND, widget=forms.RadioSelect)
    on = DateField(label="Date on the form, or of the call or e-mail")
    note = forms.CharField(
        label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the person is not on record: their name and how they are related to the child",
    )  # fmt: skip

    def __init__(self, *args: Any, parents: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parents = {str(p.pk): p for p in parents}
        choices = [(pk, p.full_name) for pk, p in self.parents.items()]
        given_by = self.fields["given_by"]
        assert isinstance(given_by, forms.ChoiceField)
        given_by.choices = [*choices, (OTHER, "Someone else (say who in the note)")]
        given_by.widget = forms.RadioSelect(choices=given_by.choices)
        self.fields["on"].initial = timezone.localdate()
        for purpose in Purpose:
            self.fields[f"purpose_{purpose.value}"] = _purpose_field(purpose, blank="No change")

    def purpose_fields(self) -> list[forms.BoundField]:
        return [self[f"purpose_{p.value}"] for p in Purpose]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("given_by", "how", "on", "note")]

    def decisions(self) -> dict[str, str]:
        return {
            p.value: self.cleaned_data[f"purpose_{p.value}"]
            for p in Purpose
            if self.cleaned_data.get(f"purpose_{p.value}")
        }

    def parent(self) -> Person | None:
        return self.parents.get(self.cleaned_data["given_by"])


SHOWN = "shown_"  # the hidden fields that say what the page showed, purpose by purpose


class ParentForm(forms.Form):
    """The parent's page: each purpose, given or withdrawn, prefilled with what is recorded, and
    (hidden) what was recorded when the page was drawn: a choice left as it was shown is no decision,
    so a page left open does not undo what the other parent told the school meanwhile. The hidden
    values decide only which of this parent's own choices are written; a forged one can do nothing the
    parent could not do by choosing."""

    def __init__(self, *args: Any, states: dict[str, State], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shown = [(Decision.GIVEN, ""), (Decision.WITHDRAWN, ""), (NOT_ASKED, "")]
        for purpose in Purpose:
            field = _purpose_field(purpose, blank=None)
            state = states[purpose.value]
            if state.decision is not None:
                field.initial = state.value
            self.fields[purpose.value] = field
            self.fields[SHOWN + purpose.value] = forms.ChoiceField(
                choices=shown, required=False, initial=state.value, widget=forms.HiddenInput
            )

    def decisions(self) -> dict[str, str]:
        return {p.value: self.cleaned_data[p.value] for p in Purpose if self.cleaned_data.get(p.value)}

    def shown(self) -> dict[str, str]:
        """What the page showed for each purpose, where the form says (a form from elsewhere may not)."""
        data = self.cleaned_data
        return {p.value: data[SHOWN + p.value] for p in Purpose if data.get(SHOWN + p.value)}


def _classes(school: Any) -> Any:
    return ClassGroup.objects.filter(school=school).order_by("name")


class CheckForm(forms.Form):
    """Before publishing: the children in the photo (a class's names ticked, or names typed) and
    what it is for."""

    purpose = forms.ChoiceField(label="What the photo or video is for", choices=Purpose.choices)
    class_group = forms.ModelChoiceField(
        label="Class", queryset=ClassGroup.objects.none(), required=False, empty_label="Choose a class",
        help_text="Show its children to tick the ones in the photo",
    )  # fmt: skip
    children = forms.ModelMultipleChoiceField(
        label="Children in the photo", queryset=Person.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    names = forms.CharField(
        label="Or type their names", required=False, max_length=NAMES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}), help_text="One child a line, first name and surname",
    )  # fmt: skip

    def __init__(self, *args: Any, school: Any, pupils: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["class_group"].queryset = _classes(school)  # type: ignore[attr-defined]
        self.fields["children"].queryset = pupils  # type: ignore[attr-defined]

    def clean_names(self) -> list[str]:
        lines = [" ".join(line.split()) for line in str(self.cleaned_data.get("names") or "").splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > NAMES_LINES:
            raise forms.ValidationError(f"At most {NAMES_LINES} names at once")
        return lines


class TripForm(forms.Form):
    """The trip list: which classes, and for what."""

    classes = forms.ModelMultipleChoiceField(
        label="Classes on the trip", queryset=ClassGroup.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    purpose = forms.ChoiceField(
        label="Photos for",
        choices=[(ANY_USE, "Any use: who may not be photographed at all"), *Purpose.choices],
        initial=ANY_USE,
        widget=forms.RadioSelect,
    )
    day = DateField(label="Date of the trip")

    def __init__(self, *args: Any, school: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["classes"].queryset = _classes(school)  # type: ignore[attr-defined]
        self.fields["day"].initial = timezone.localdate()
