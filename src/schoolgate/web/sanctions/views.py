"""The sanctions matrix: what the school does about each kind of misuse, for pupils and for staff.

Those who deal with incidents (and those who may change the matrix) read it; the DSL team and the
headteacher change it, a table at a time, through `actions`. Rows are retired, never deleted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest, staff_view
from schoolgate.web.core.views import GET_POST, form_page, posted, render_page
from schoolgate.web.sanctions import actions, matrix
from schoolgate.web.sanctions.apps import READERS
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction

# How the pages name each table: "the pupils' table", "Sanctions for pupils".
TABLES = {AppliesTo.PUPILS: ("pupils", "the pupils' table"), AppliesTo.STAFF: ("staff", "the staff table")}


def _table(request: StaffRequest, applies_to: AppliesTo) -> tuple[list[SanctionAction], list[Misuse]]:
    school = request.school
    columns = list(SanctionAction.objects.filter(school=school, applies_to=applies_to))
    rows = list(Misuse.objects.filter(school=school, applies_to=applies_to).prefetch_related("expected"))
    return columns, rows


@staff_view(READERS)
@GET_POST
def matrix_view(request: StaffRequest) -> HttpResponse:
    matrix.ensure_matrix(request.school)
    tables = []
    for applies_to in AppliesTo:
        columns, rows = _table(request, applies_to)
        cells = []
        for misuse in rows:
            expected = {a.pk for a in misuse.expected.all()}
            cells.append((misuse, [(action, action.pk in expected) for action in columns]))
        tables.append(
            {
                "applies_to": applies_to,
                "name": TABLES[applies_to][0],
                "actions": columns,
                "sanctions": [a.name for a in columns if a.is_sanction],
                "rows": cells,
            }
        )
    return render_page(request, "sanctions/matrix.html", {"tables": tables})


SANCTION_HINT = "Misuse after it counts as a continued infringement"


class MatrixForm(forms.Form):
    """One table: for each row its wording, the actions it expects and whether it is retired; then an
    empty row for a new kind of misuse. Then for each action (column) its name and whether it is a
    warning or sanction; then an empty one for a new action."""

    NEW = "new"
    ACTION = "action"  # the actions' fields are named "action-<pk>-name", "action-new-name"

    def __init__(self, data: Any, *, actions: list[SanctionAction], rows: list[Misuse]) -> None:
        super().__init__(data)
        self.rows = rows
        self.actions = actions
        choices = [(a.key, a.name) for a in actions]
        for number, misuse in enumerate(rows, start=1):
            self._add(str(misuse.pk), choices, misuse, f"row {number}")
        self._add(self.NEW, choices, None, "the new row")
        for number, action in enumerate(actions, start=1):
            self._add_action(f"{self.ACTION}-{action.pk}", action, f"action {number}")
        self._add_action(f"{self.ACTION}-{self.NEW}", None, "the new action")

    def _add_action(self, prefix: str, action: SanctionAction | None, which: str) -> None:
        self.fields[f"{prefix}-name"] = forms.CharField(
            label=f"Name of {which}",
            max_length=actions.NAME_MAX,
            required=action is not None,
            initial=action.name if action is not None else "",
            help_text="" if action is not None else "Leave it empty to add nothing",
            error_messages={"required": "Write the action's name"},
        )
        self.fields[f"{prefix}-is_sanction"] = forms.BooleanField(
            label=f"{which[0].upper()}{which[1:]} is a warning or sanction",
            required=False,
            initial=action.is_sanction if action is not None else False,
            help_text=SANCTION_HINT,
        )

    def _add(self, prefix: str, choices: list[tuple[str, str]], misuse: Misuse | None, row: str) -> None:
        # Each label says which row it is of, so that the list of problems at the top says where.
        self.fields[f"{prefix}-description"] = forms.CharField(
            label=f"Wording of {row}" if misuse is not None else "What kind of misuse is it?",
            max_length=actions.DESCRIPTION_MAX,
            required=misuse is not None,
            initial=misuse.description if misuse is not None else "",
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="" if misuse is not None else "Leave it empty to add nothing",
            error_messages={"required": "Write the wording, or retire the row"},
        )
        self.fields[f"{prefix}-expected"] = forms.MultipleChoiceField(
            label=f"Actions expected for {row}",
            choices=choices,
            required=False,
            initial=[a.key for a in misuse.expected.all()] if misuse is not None else [],
            widget=forms.CheckboxSelectMultiple,
        )
        if misuse is not None and not misuse.is_continued:
            self.fields[f"{prefix}-retired"] = forms.BooleanField(
                label=f"Retire {row}: no longer offered for new incidents",
                required=False,
                initial=misuse.retired,
                help_text="Incidents already recorded under it keep it",
            )

    def sections(self) -> list[tuple[Misuse | None, list[forms.BoundField]]]:
        """Each row of the form with its fields, the new row last."""
        out: list[tuple[Misuse | None, list[forms.BoundField]]] = []
        for misuse, prefix in [*((m, str(m.pk)) for m in self.rows), (None, self.NEW)]:
            names = [f"{prefix}-description", f"{prefix}-expected", f"{prefix}-retired"]
            out.append((misuse, [self[n] for n in names if n in self.fields]))
        return out

    def _action_prefixes(self) -> list[tuple[SanctionAction | None, str]]:
        return [*((a, f"{self.ACTION}-{a.pk}") for a in self.actions), (None, f"{self.ACTION}-{self.NEW}")]

    def columns(self) -> list[tuple[SanctionAction | None, list[forms.BoundField]]]:
        """Each action of the form with its fields, the new one last."""
        return [
            (action, [self[f"{prefix}-name"], self[f"{prefix}-is_sanction"]])
            for action, prefix in self._action_prefixes()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get(f"{self.NEW}-expected") and not data.get(f"{self.NEW}-description", "").strip():
            self.add_error(f"{self.NEW}-description", "Say what kind of misuse it is, or untick its actions")
        seen: set[str] = set()
        for misuse, prefix in [*((m, str(m.pk)) for m in self.rows), (None, self.NEW)]:
            words = " ".join(data.get(f"{prefix}-description", "").split()).casefold()
            if not words:
                continue
            if words in seen:
                where = "this row" if misuse is not None else "the new row"
                self.add_error(f"{prefix}-description", f"Another row says the same: change {where}")
            seen.add(words)
        new = f"{self.ACTION}-{self.NEW}"
        if data.get(f"{new}-is_sanction") and not data.get(f"{new}-name", "").strip():
            self.add_error(f"{new}-name", "Name the new action, or untick it as a warning or sanction")
        names: set[str] = set()
        for action, prefix in self._action_prefixes():
            words = " ".join(data.get(f"{prefix}-name", "").split()).casefold()
            if not words:
                continue
            if words in names:
                where = "this action" if action is not None else "the new action's name"
                self.add_error(f"{prefix}-name", f"Another action is called the same: change {where}")
            names.add(words)
        return data

    def changes(self) -> list[actions.Row]:
        data = self.cleaned_data
        rows = [
            actions.Row(
                description=data[f"{m.pk}-description"],
                expected=tuple(data[f"{m.pk}-expected"]),
                retired=bool(data.get(f"{m.pk}-retired", False)),
                pk=m.pk,
            )
            for m in self.rows
        ]
        if data.get(f"{self.NEW}-description", "").strip():
            rows.append(
                actions.Row(
                    description=data[f"{self.NEW}-description"], expected=tuple(data[f"{self.NEW}-expected"])
                )
            )
        return rows

    def column_changes(self) -> list[actions.Column]:
        data = self.cleaned_data
        columns = [
            actions.Column(
                name=data[f"{prefix}-name"], is_sanction=bool(data.get(f"{prefix}-is_sanction")), pk=action.pk
            )
            for action, prefix in self._action_prefixes()
            if action is not None
        ]
        new = f"{self.ACTION}-{self.NEW}"
        if data.get(f"{new}-name", "").strip():
            columns.append(
                actions.Column(name=data[f"{new}-name"], is_sanction=bool(data.get(f"{new}-is_sanction")))
            )
        return columns


@staff_view(Capability.SANCTIONS_CHANGE)
@GET_POST
def matrix_edit_view(request: StaffRequest, applies_to: str) -> HttpResponse:
    if applies_to not in AppliesTo.values:
        raise Http404("no such table")
    table = AppliesTo(applies_to)
    matrix.ensure_matrix(request.school)
    columns, rows = _table(request, table)
    form = MatrixForm(posted(request), actions=columns, rows=rows)

    def change() -> actions.Changed:
        return actions.do_change_matrix(
            request.school, actor=request.user, applies_to=table, rows=form.changes(),
            columns=form.column_changes(),
        )  # fmt: skip

    def done(changed: actions.Changed) -> HttpResponse:
        if changed:
            messages.success(request, f"{TABLES[table][1].capitalize()} was saved: {_said(changed)}.")
        else:
            messages.info(request, "Nothing was changed.")
        return redirect("sanctions:matrix")

    context = {
        "applies_to": table,
        "name": TABLES[table][0],
        "sections": form.sections(),
        "columns": form.columns(),
    }
    return form_page(request, form, change, done=done, template="sanctions/edit.html", context=context)


def _said(done: actions.Changed) -> str:
    said = []
    if done.changed:
        said.append(f"{done.changed} {'row' if done.changed == 1 else 'rows'} changed")
    if done.added:
        said.append(f"{done.added} added")
    if done.actions_changed:
        said.append(f"{done.actions_changed} {'action' if done.actions_changed == 1 else 'actions'} changed")
    if done.actions_added:
        said.append(f"{done.actions_added} {'action' if done.actions_added == 1 else 'actions'} added")
    return ", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else "".join(said)
