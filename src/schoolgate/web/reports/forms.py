"""The form of a school's term: its name and its days (checked again, and for overlaps, by
`actions`)."""

from __future__ import annotations

from django import forms

from schoolgate.web.core.forms import DateField
from schoolgate.web.reports.models import NAME_MAX


class TermForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="For example “Autumn 2026”: the report's list shows it so",
    )
    first = DateField(label="First day")
    last = DateField(label="Last day")
