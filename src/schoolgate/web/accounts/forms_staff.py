"""Forms for giving staff logins and roles: each offers only the roles the person filling it in may
give (`accounts.grants`); the actions check again whatever is sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from schoolgate.web.accounts import mail
from schoolgate.web.accounts.actions import USERNAME_MAX, check_username
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.grants import given_by_words


class RoleBoxes(forms.CheckboxSelectMultiple):
    """Checkboxes, those for the roles in `fixed` shown but disabled (a browser does not send them)."""

    def __init__(self, *args: Any, fixed: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed = frozenset(fixed)

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.fixed:
            option["attrs"]["disabled"] = True
        return option


class RolesField(forms.MultipleChoiceField):
    def __init__(
        self, *, offered: Iterable[Role] = tuple(Role), fixed: Iterable[Role] = (), **kwargs: Any
    ) -> None:
        fixed = frozenset(fixed)
        choices = [
            (r.value, f"{r.label} (only {given_by_words(r)} can change it)" if r in fixed else r.label)
            for r in Role
            if r in set(offered) | fixed
        ]
        kwargs.setdefault("error_messages", {"invalid_choice": "That role is not yours to give: %(value)s"})
        super().__init__(choices=choices, widget=RoleBoxes(fixed={r.value for r in fixed}), **kwargs)


class NewLoginForm(forms.Form):
    username = forms.CharField(
        label="User name",
        max_length=USERNAME_MAX,
        help_text="Letters, numbers, dots and hyphens: for example j.smith",
    )
    display_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email", required=False, max_length=254)

    def __init__(self, *args: Any, givable: Iterable[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"] = RolesField(label="Roles at this school", offered=givable, required=True)
        self.fields["email"].help_text = (
            "Their own work address. Schoolgate e-mails them a link to choose their own password; without "
            "an address you are shown a one-time password to give them in person."
            if mail.set_up()
            else "E-mail is not set up on this server: you are shown a one-time password to give them in "
            "person, which they change at their first login."
        )

    def clean_username(self) -> str:
        try:
            return check_username(str(self.cleaned_data["username"]))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from None


class RolesForm(forms.Form):
    def __init__(self, *args: Any, fixed: Iterable[Role], held: Iterable[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fixed = frozenset(fixed)
        # Unticking every box takes the login's access away only if every role it holds has a box.
        whole = fixed != frozenset(Role) and not fixed & set(held)
        self.fields["roles"] = RolesField(
            label="Roles at this school",
            fixed=fixed,
            required=False,
            help_text="Untick every role to take the login's access to this school away." if whole else "",
        )
