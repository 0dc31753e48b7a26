"""What every app's forms share: the reason form, dates and times, and putting an action's refusal on
the form it came from.

Dates and times use the browser's own pickers (`<input type=date>` and `type=datetime-local`), which
site.css draws full width and at least 44 px high: a full-size tap target on a phone. Typed text is
taken too, in the formats a person in the UK writes (31/12/2026 15:30).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Any]
else:  # not subscriptable at run time
    _ModelForm = forms.ModelForm

__all__ = [
    "DATETIME_FORMATS",
    "DATE_FORMATS",
    "DateField",
    "DateInput",
    "DateTimeField",
    "DateTimeInput",
    "LocalDateTimeField",
    "PlainModelForm",
    "ReasonForm",
    "add_errors",
]

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class DateInput(forms.DateInput):
    """The browser's date picker."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, to the minute."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateField(forms.DateField):
    """A date, from the picker or typed as 2026-12-31 or 31/12/2026."""

    widget = DateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_FORMATS)
        super().__init__(**kwargs)


class DateTimeField(forms.DateTimeField):
    """A date and time to the minute, in the current time zone (the school's, for a request)."""

    widget = DateTimeInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATETIME_FORMATS)
        super().__init__(**kwargs)


class LocalDateTimeField(forms.CharField):
    """A date and time in a given time zone (`zone`, such as the school's when a page shows another
    school's policy times), or the current one; empty means none."""

    widget = DateTimeInput

    def __init__(self, *args: Any, zone: tzinfo | None = None, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and self.zone is not None:
            return value.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")
        return value

    def clean(self, value: Any) -> datetime | None:
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        found = _parse_datetime(text)
        if found is None:
            raise forms.ValidationError("Give a date and time, for example 2026-12-18 15:30")
        if found.tzinfo is None:
            found = found.replace(tzinfo=self.zone or timezone.get_current_timezone())
        return found


def _parse_datetime(text: str) -> datetime | None:
    """ISO 8601 (what the picker sends), or a UK date and time typed by hand; None if neither."""
    try:
        return datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        pass
    for pattern in DATETIME_FORMATS[2:]:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


class ReasonForm(forms.Form):
    """Why: asked before an action the record keeps the reason for (archiving, reopening, publishing).
    The label and hint say what the reason is for; spaces are tidied and an empty reason refused."""

    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why"},
    )

    def __init__(
        self,
        *args: Any,
        label: str = "",
        help_text: str = "",
        required_message: str = "",
        max_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        assert isinstance(field, forms.CharField)
        if max_length is not None:  # what the record keeps: refused beyond it, never cut short
            field.max_length = max_length
            field.validators.append(MaxLengthValidator(max_length))
            field.widget.attrs["maxlength"] = str(max_length)
        if label:
            field.label = label
        if help_text:
            field.help_text = help_text
        if required_message:
            field.error_messages["required"] = required_message

    def clean_reason(self) -> str:
        reason = " ".join(str(self.cleaned_data["reason"]).split())
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"])
        return reason


class PlainModelForm(_ModelForm):
    """A model form that says a model rule about a field it does not show at the top of the form, and
    does not say twice what a field's own check said already."""

    def _update_errors(self, errors: ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            moved: dict[str, list[ValidationError]] = {}
            for name, messages in errors.error_dict.items():
                if name in self.fields and self.has_error(name):
                    continue
                key = name if name in self.fields or name == NON_FIELD_ERRORS else NON_FIELD_ERRORS
                moved.setdefault(key, []).extend(messages)
            if not moved:
                return
            errors = ValidationError(moved)
        super()._update_errors(errors)  # type: ignore[misc]


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put an action's refusal on the form: by field where it names one the form has, else at the top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.error_dict.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
    else:
        for text in error.messages:
            form.add_error(None, text)
