"""The forms of the agreements pages: a new version, a paper sheet, and one person's signature.

The sheet offers only the people of the class or team chosen, and for each child only their recorded
parents and carers; whatever is posted is checked again by the actions (`do_record_sheet`,
`do_accept`), which refuse another school's person, a parent not the child's, and a date in the future.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from schoolgate.web.agreements.actions import TITLE_MAX
from schoolgate.web.agreements.choices import Audience
from schoolgate.web.agreements.models import TEXT_MAX
from schoolgate.web.core.actions import REASON_MAX
from schoolgate.web.core.forms import DateField
from schoolgate.web.people.models import Person


class VersionForm(forms.Form):
    audience = forms.ChoiceField(label="Who it is for", choices=Audience.choices)
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    text = forms.CharField(
        label="What the reader agrees to",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=(
            "Plain words. Leave a blank line between promises: lines with no blank line between them run "
            'together. A line starting "- " is a point of a list. It reads the same here, on the sign sheet '
            "and on the agreement page at the proxy."
        ),
    )
    in_force_from = DateField(label="In force from", help_text="Today or later")


SIGNED_BY_CHILD = ""


class SheetForm(forms.Form):
    """Who on the sheet signed (ticked), the day it was signed, and for each child who signed it: the
    child, or one of their parents or carers."""

    on = DateField(label="The day it was signed", help_text="Not in the future; in this school year")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=REASON_MAX,
        help_text="Such as where the sheet is kept",
    )

    def __init__(
        self, data: Any, *, people: list[Person], parents: dict[int, list[Person]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.people = {p.pk: p for p in people}
        self.parents = parents
        self.fields["signed"] = forms.TypedMultipleChoiceField(
            label="Who signed",
            choices=[(p.pk, p.full_name) for p in people],
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        for pk, theirs in parents.items():
            self.fields[f"by_{pk}"] = forms.TypedChoiceField(
                label=f"Who signed for {self.people[pk].full_name}",
                choices=[(SIGNED_BY_CHILD, "The child"), *((g.pk, g.full_name) for g in theirs)],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def rows(self) -> list[tuple[Person, bool, forms.BoundField | None]]:
        """Each person on the sheet, whether they are ticked, and their who-signed choice if any."""
        data = self.data
        ticked = {str(v) for v in data.getlist("signed")} if isinstance(data, QueryDict) else set()
        out: list[tuple[Person, bool, forms.BoundField | None]] = []
        for pk, person in self.people.items():
            by = self[f"by_{pk}"] if f"by_{pk}" in self.fields else None
            out.append((person, str(pk) in ticked, by))
        return out

    def signed(self) -> list[tuple[Person, Person | None]]:
        """(person, parent who signed for them or None) for each ticked, from the cleaned data."""
        chosen = []
        for pk in self.cleaned_data.get("signed") or []:
            parent_pk = self.cleaned_data.get(f"by_{pk}")
            parents = {g.pk: g for g in self.parents.get(pk, [])}
            chosen.append((self.people[pk], parents.get(parent_pk) if parent_pk is not None else None))
        return chosen


class SignedForm(forms.Form):
    """One person signed their agreement on paper: the day, for a child who signed it (the child, or one
    of their recorded parents and carers), and a note. The version is the one the page shows: its id
    comes back only to notice that a new one started meanwhile (`do_record_signed` checks it again)."""

    version = forms.IntegerField(label="The agreement", widget=forms.HiddenInput)
    on = DateField(label="The day they signed", help_text="Not in the future; in this school year")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=REASON_MAX,
        help_text="Such as where the signed paper is kept",
    )

    def __init__(self, data: Any, *, parents: list[Person] | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.parents = {g.pk: g for g in parents or []}
        if parents is not None:  # a pupil: the child, or one of their parents and carers
            self.fields["by"] = forms.TypedChoiceField(
                label="Who signed",
                choices=[
                    (SIGNED_BY_CHILD, "The child"),
                    *((g.pk, f"{g.full_name}, on the child's behalf") for g in parents),
                ],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def parent(self) -> Person | None:
        """The parent or carer who signed for the child, or None: the person signed themselves."""
        chosen = self.cleaned_data.get("by")
        return self.parents.get(chosen) if chosen is not None else None
