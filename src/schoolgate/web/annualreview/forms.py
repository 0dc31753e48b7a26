"""The annual review's forms: a point's answer, an action, the signature, the next review's date. They
only parse; the actions decide (capability, the slot's role, the school's people)."""

from __future__ import annotations

from typing import Any

from django import forms

from schoolgate.web.accounts.models import User
from schoolgate.web.annualreview.actions import NOTES_MAX, WHAT_MAX
from schoolgate.web.annualreview.models import Judgement, Slot
from schoolgate.web.core.forms import DateField
from schoolgate.web.tenancy.models import School


class AnswerForm(forms.Form):
    judgement = forms.ChoiceField(
        label="Is it met?",
        choices=Judgement.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose met, partly met or not met",
            "invalid_choice": "Choose met, partly met or not met",
        },
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was looked at, what was found, and what is to be done about it",
    )


class ActionForm(forms.Form):
    what = forms.CharField(label="What is to be done", max_length=WHAT_MAX)
    owner = forms.TypedChoiceField(label="Who does it", coerce=int)
    due = DateField(label="By when")

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = (
            User.objects.filter(memberships__school=school, is_active=True)
            .distinct()
            .order_by("display_name", "username")
        )
        self.fields["owner"].choices = [("", "Choose someone"), *((u.pk, str(u)) for u in people)]  # type: ignore[attr-defined]


class SignForm(forms.Form):
    slot = forms.ChoiceField(
        label="Sign as",
        choices=Slot.choices,
        error_messages={
            "required": "Choose which role you sign as",
            "invalid_choice": "Choose which role you sign as",
        },
    )

    def __init__(self, *args: Any, slots: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slots  # type: ignore[attr-defined]
        if len(slots) == 1:
            self.fields["slot"].widget = forms.HiddenInput()
            self.fields["slot"].initial = slots[0][0]


class NextDueForm(forms.Form):
    next_due = DateField(label="Next review due")
