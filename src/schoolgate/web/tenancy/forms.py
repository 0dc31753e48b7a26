"""The form of the trust's "Add a school" page. It only reads what was typed: `setup.do_create_school`
checks every field itself (the URN, the time zone, the login) and says what is wrong by field."""

from __future__ import annotations

from django import forms

from schoolgate.web.accounts.choices import Role
from schoolgate.web.tenancy.arguments import DEFAULT_TIMEZONE

FIRST_ROLE_CHOICES = ((Role.HEADTEACHER.value, "Its headteacher"), (Role.DSL.value, "Its DSL"))


class AddSchoolForm(forms.Form):
    name = forms.CharField(label="The school's name", max_length=200)
    urn = forms.CharField(
        label="URN",
        max_length=20,
        help_text="The school's six-digit Unique Reference Number, as Get Information about Schools shows it",
    )
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        initial=DEFAULT_TIMEZONE,
        help_text="The time zone its time windows and dates are read in: Europe/London for a UK school",
    )
    role = forms.ChoiceField(
        label="Its first login",
        choices=FIRST_ROLE_CHOICES,
        initial=Role.HEADTEACHER.value,
        widget=forms.RadioSelect,
    )
    person = forms.CharField(label="Their full name", max_length=200)
    email = forms.CharField(
        label="Their own work e-mail address",
        required=False,
        max_length=254,
        help_text="With e-mail set up, they are sent an invitation to choose their password; otherwise "
        "you are shown a one-time password, once, to give them in person",
    )
    username = forms.CharField(
        label="Their user name", required=False, max_length=150, help_text="Leave it empty for j.smith style"
    )
    reason = forms.CharField(
        label="Why (for the audit trail)",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
