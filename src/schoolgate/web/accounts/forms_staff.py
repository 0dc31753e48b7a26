"""Forms for giving staff logins and roles."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import User


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Role.choices, **kwargs)


class NewLoginForm(forms.Form):
    username = forms.RegexField(
        label="User name",
        regex=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=150,
        help_text="Letters, numbers, dots and hyphens: for example j.smith",
        error_messages={
            "invalid": "Use only letters, numbers, dots and hyphens, starting with a letter or number"
        },
    )
    display_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email", required=False)
    roles = RolesField(label="Roles at this school", required=True)

    def clean_username(self) -> str:
        name = str(self.cleaned_data["username"]).strip().lower()
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("That user name is taken: choose another")
        return name


class RolesForm(forms.Form):
    roles = RolesField(
        label="Roles at this school",
        required=False,
        help_text="Untick every role to take the login's access to this school away.",
    )


class ResetForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=300, help_text="For example: lost phone")


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="New password",
        widget=forms.PasswordInput,
        help_text="At least 10 characters; not a common password",
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        validate_password(password, self.user)
        return password
