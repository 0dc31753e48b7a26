"""The forms of logging in and of choosing a password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password

from schoolgate.web.accounts.models import User

# Argon2 hashes any length, but a form field takes no more than this: a megabyte "password" is not one.
PASSWORD_MAX = 200
WRONG_PASSWORD = "wrong-password"  # the error's code when the current password is not right (throttled)


class PasswordForm(forms.Form):
    username = forms.CharField(
        label="User name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code",
        help_text="From the authenticator app on your phone. It changes every 30 seconds.",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows")
        return code


class ChoosePasswordForm(forms.Form):
    """A new password, typed twice, checked against the password rules (settings.py)."""

    password1 = forms.CharField(
        label="New password",
        max_length=PASSWORD_MAX,
        help_text="At least 10 characters; not a common password. A few words strung together work well.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="New password again",
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password1(self) -> str:
        password = str(self.cleaned_data["password1"])
        validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first is not None and second is not None and first != second:
            self.add_error("password2", "The two passwords do not match: type the same one twice")
        return data


class ChangePasswordForm(ChoosePasswordForm):
    """Your own password: the current one, then the new one twice."""

    current = forms.CharField(
        label="Current password",
        max_length=PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ("current", "password1", "password2")

    def clean_current(self) -> str:
        current = str(self.cleaned_data["current"])
        if not self.user.check_password(current):
            raise forms.ValidationError("That is not your current password", code=WRONG_PASSWORD)
        return current

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        current, new = self.cleaned_data.get("current"), self.cleaned_data.get("password1")
        if current is not None and new is not None and current == new:
            which = (
                "the one-time password you were given"
                if self.user.must_change_password
                else "your current one"
            )
            self.add_error("password1", f"Choose a new password, different from {which}")
        return data
