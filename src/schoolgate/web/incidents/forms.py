"""The online safety log's forms (the reason form and the date fields are core's: `core.forms`).

The report form is for anyone, in a hurry: few fields, plain words, people typed by name (the school's
records are offered as they type).

A name typed rather than picked that may be someone on the school's records (`names`) comes back to be
confirmed: the form shows who it may be, and the one typing picks one or keeps the name as someone not
on the records. Nothing is linked, or left unlinked, without their saying so.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from schoolgate.web.accounts.models import User
from schoolgate.web.core import forms as core_forms
from schoolgate.web.core.forms import DateField
from schoolgate.web.incidents.actions import Party, full_name_problem
from schoolgate.web.incidents.choices import (
    Agency,
    ContactMethod,
    EvidenceKind,
    IllegalContent,
    IllegalStep,
    IncidentKind,
    IncidentType,
    Outcome,
    RiskArea,
    Role,
    Status,
)
from schoolgate.web.incidents.models import Involvement
from schoolgate.web.incidents.names import MAX_MATCHES, Directory, Match, key_of
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction

if TYPE_CHECKING:
    from schoolgate.web.incidents.models import Incident
    from schoolgate.web.tenancy.models import School

PEOPLE_ROWS = 4  # people the report form has room for; more are added on the incident's page

_LABEL_KINDS = {
    PersonKind.STAFF: "staff",
    PersonKind.PARENT: "parent or carer",
    PersonKind.GOVERNOR: "governor",
}


def _label(first: str, preferred: str, last: str, kind: str, klass: str | None, year: str | None) -> str:
    where = klass or year or _LABEL_KINDS.get(PersonKind(kind), PersonKind(kind).label.lower())
    return f"{(preferred or first)} {last} ({where})".strip()


def person_label(person: Person) -> str:
    """How a person is offered as one types: "Amelia Hughes (5B)"."""
    klass = person.class_group.name if person.class_group is not None else None
    year = person.year_group.name if person.year_group is not None else None
    return _label(person.first_name, person.preferred_name, person.last_name, person.kind, klass, year)


class PeopleLabels:
    """Every current person of the school by label (two of one label told apart by their number):
    offered as one types, and matched back to the person when the form is sent. Read as plain rows
    and written as one string, since a secondary school has thousands."""

    def __init__(self, school: School | None) -> None:
        self.by_label: dict[str, int] = {}
        if school is None:
            return
        rows = (
            Person.objects.filter(school=school).current().order_by("last_name", "first_name", "pk")
            .values_list("pk", "first_name", "preferred_name", "last_name", "kind", "class_group__name",
                         "year_group__name")
        )  # fmt: skip
        for pk, *fields in rows:
            label = _label(*fields)
            if label in self.by_label:
                label = f"{label} #{pk}"
            self.by_label[label] = pk

    def __len__(self) -> int:
        return len(self.by_label)

    def get(self, label: str) -> Person | None:
        pk = self.by_label.get(label)
        return None if pk is None else Person.objects.filter(pk=pk).first()

    def options(self) -> SafeString:
        """The <option>s of the page's <datalist>."""
        return mark_safe("".join(f'<option value="{escape(label)}">' for label in sorted(self.by_label)))


def keep_value(name: str) -> str:
    """The choice that keeps `name` as someone not on the records: bound to the name it was offered
    for, so that it keeps no other."""
    return "keep:" + key_of(name)


def match_field(name: str, matches: list[Match]) -> forms.ChoiceField:
    """Who `name` may be: each match, told apart by no more than is needed, and keeping the name."""
    shown = matches[:MAX_MATCHES]
    help_text = "The school's records have someone of this name. Choose who you mean, or keep the name as "
    help_text += "someone not on our records."
    if len(matches) > len(shown):
        help_text += f" These are {len(shown)} of {len(matches)}: write their full name to find fewer."
    keep = f"None of these: keep “{name}” as someone not on our records"
    return forms.ChoiceField(
        label=f"Who is “{name}”?", required=False, widget=forms.RadioSelect, help_text=help_text,
        choices=[*((m.value, m.label) for m in shown), (keep_value(name), keep)],
        error_messages={"invalid_choice": "Choose one of these"},
    )  # fmt: skip


def confirmed_party(role: Role, name: str, matches: list[Match], picked: str, notes: str = "") -> Party | str:
    """The party a confirmed name gives, or what is wrong. `picked` must be one of the matches of
    `name` as it is now, or keep this very name."""
    if picked and picked == keep_value(name):
        return full_name_problem(name) or Party(role, name=name, notes=notes, kept=True)
    chosen = next((m for m in matches[:MAX_MATCHES] if m.value == picked), None) if picked else None
    if chosen is None:
        return f"Choose who {name} is, or keep the name as someone not on our records"
    if chosen.kind == "person":
        person = Person.objects.filter(pk=chosen.pk).first()
        if person is not None:
            return Party(role, person=person, notes=notes)
    else:
        user = User.objects.filter(pk=chosen.pk).first()
        if user is not None:
            return Party(role, user=user, notes=notes)
    return f"Choose who {name} is again: the records changed meanwhile"


def misuse_choices(school: School, keep: int | None = None) -> list[tuple[str, Any]]:
    """The matrix's rows still offered (and `keep`, the one an incident has, even if retired since)."""
    rows = Misuse.objects.filter(Q(retired=False) | Q(pk=keep), school=school).order_by("applies_to", "order")
    groups: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        groups.setdefault(AppliesTo(row.applies_to).label, []).append((row.pk, row.description))
    return [("", "Not misuse of this kind, or not sure"), *groups.items()]


def misuse_expected(school: School) -> dict[str, list[str]]:
    """For the page's script: each row of the matrix, by id, and the actions it expects."""
    out: dict[str, list[str]] = {}
    for row in Misuse.objects.filter(school=school).prefetch_related("expected"):
        out[str(row.pk)] = [a.name for a in sorted(row.expected.all(), key=lambda a: (a.order, a.pk))]
    return out


class DateTimeField(core_forms.DateTimeField):
    """A date and time to the minute, offered as now. Left at the current minute, it means now, to the
    second, so that what was just done comes after what was recorded a moment before it."""

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        now = timezone.now()
        if cleaned is not None and timezone.localtime(now).replace(second=0, microsecond=0) == cleaned:
            return now
        if cleaned is not None and cleaned > now + dt.timedelta(minutes=5):
            raise ValidationError("That time is still to come")
        return cleaned


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label="Who is the concern about?", choices=IncidentKind.choices, widget=forms.RadioSelect,
        initial=IncidentKind.PUPIL,
    )  # fmt: skip
    illegal_content = forms.ChoiceField(
        label="Could it involve illegal content?", choices=IllegalContent.choices, widget=forms.RadioSelect,
        required=False, initial="",
        help_text="Such as sexual images of a child. If so: stop, do not look further, do not copy, save or "
        "forward anything, leave the device as it is, and tell the DSL at once.",
    )  # fmt: skip
    incident_type = forms.ChoiceField(label="What kind of concern is it?", choices=IncidentType.choices)
    risk_area = forms.ChoiceField(label="Area of risk", choices=RiskArea.choices, widget=forms.RadioSelect)
    occurred_at = DateTimeField(label="When did it happen?", help_text="Your best guess if you are not sure")
    location = forms.CharField(
        label="Where did it happen?", max_length=200, help_text="A room, online, at home"
    )
    what_happened = forms.CharField(
        label="What happened?", widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The facts, as you saw or heard them: who did what, when. Full names, not initials.",
    )  # fmt: skip
    childs_words = forms.CharField(
        label="The child's own words", widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="What they said, as they said it, if they told you",
    )  # fmt: skip
    misuse = forms.TypedChoiceField(
        label="If it is misuse of the school's systems, which?", coerce=int, required=False, empty_value=None
    )
    concerns_headteacher = forms.BooleanField(
        label="The concern is about the headteacher", required=False,
        help_text="It then goes to the chair of governors, not the headteacher",
    )  # fmt: skip

    def __init__(self, *args: Any, school: School, offer: bool = True, **kwargs: Any) -> None:
        """`offer`: whether the school's records are offered as one types, and a typed name checked
        against them (only for those who may see them)."""
        super().__init__(*args, **kwargs)
        self.school = school
        self.labels = PeopleLabels(school if offer else None)
        self.fields["misuse"].choices = misuse_choices(school)  # type: ignore[attr-defined]
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        for i in range(PEOPLE_ROWS):
            self.fields[f"person_{i}"] = forms.CharField(
                label=f"Person {i + 1}: full name", required=False, max_length=200,
                widget=forms.TextInput(attrs={"list": "people-list", "autocomplete": "off"}),
            )  # fmt: skip
            self.fields[f"role_{i}"] = forms.ChoiceField(
                label=f"Person {i + 1}: their part", choices=[("", "—"), *Role.choices], required=False
            )
        self.fields["person_0"].help_text = "Start typing: people in the school's records are offered"
        self.parties: list[Party] = []
        # Names typed rather than picked that may be someone on the records, by row: to confirm.
        self.matches: dict[int, tuple[str, list[Match]]] = {}
        if self.is_bound and offer:
            directory: Directory | None = None
            for i in range(PEOPLE_ROWS):
                name = " ".join(str(self.data.get(self.add_prefix(f"person_{i}"), ""))[:200].split())
                if not name or self.labels.by_label.get(name) is not None:
                    continue
                directory = directory or Directory(school)
                found = directory.find(name)
                if found:
                    self.matches[i] = (name, found)
                    self.fields[f"match_{i}"] = match_field(name, found)

    def people_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField | None]]:
        return [
            (self[f"person_{i}"], self[f"role_{i}"], self[f"match_{i}"] if i in self.matches else None)
            for i in range(PEOPLE_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        misuse_pk = data.get("misuse")
        data["misuse_row"] = None
        if misuse_pk is not None:
            row = Misuse.objects.filter(school=self.school, pk=misuse_pk).first()
            if row is None or row.applies_to != data.get("kind"):
                self.add_error("misuse", "That kind of misuse is for the other kind of incident")
            data["misuse_row"] = row
        parties: list[Party] = []
        for i in range(PEOPLE_ROWS):
            name = " ".join(data.get(f"person_{i}", "").split())
            role = data.get(f"role_{i}", "")
            if not name and not role:
                continue
            if not name:
                self.add_error(f"person_{i}", "Give their full name, or leave their part empty")
                continue
            if not role:
                self.add_error(f"role_{i}", f"Say what part {name} had")
                continue
            person = self.labels.get(name)
            field = f"person_{i}"
            if person is not None:
                got: Party | str = Party(Role(role), person=person)
            elif i in self.matches and self.matches[i][0] == name:
                field = f"match_{i}"
                if field in self.errors:
                    continue
                got = confirmed_party(Role(role), name, self.matches[i][1], data.get(field) or "")
            else:
                got = full_name_problem(name) or Party(Role(role), name=name)
            if isinstance(got, str):
                self.add_error(field, got)
                continue
            party = got
            if any(p.role == party.role and p.who == party.who for p in parties):
                self.add_error(f"person_{i}", f"{name} is named twice as {Role(role).label.lower()}")
                continue
            parties.append(party)
        if not parties and not self.errors:
            self.add_error("person_0", "Name at least one person involved, and their part")
        self.parties = parties
        return data


class InformationForm(forms.Form):
    text = forms.CharField(
        label="What do you want to add?", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Something you learned or remembered since; it goes into the record with today's date",
    )  # fmt: skip


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label="Note", required=False, max_length=2000)


class NoteForm(forms.Form):
    decision = forms.BooleanField(
        label="This is a decision", required=False,
        help_text="Write what was decided, by whom, and why, including a decision not to act or refer",
    )  # fmt: skip
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 5}))


class ClassifyForm(forms.Form):
    kind = forms.ChoiceField(
        label="Who is the concern about?", choices=IncidentKind.choices, widget=forms.RadioSelect
    )
    incident_type = forms.ChoiceField(label="Type", choices=IncidentType.choices)
    risk_area = forms.ChoiceField(label="Area of risk", choices=RiskArea.choices, widget=forms.RadioSelect)
    misuse = forms.TypedChoiceField(label="Kind of misuse", coerce=int, required=False, empty_value=None)
    illegal_content = forms.ChoiceField(
        label="Could it involve illegal content?", choices=IllegalContent.choices, widget=forms.RadioSelect,
        required=False,
    )  # fmt: skip
    restricted = forms.BooleanField(
        label="Restricted: the DSL and deputies only", required=False,
        help_text="For a pupil incident; one that may involve illegal content is always restricted",
    )  # fmt: skip
    concerns_headteacher = forms.BooleanField(
        label="About the headteacher (the chair of governors deals with it)", required=False
    )
    senior_first = forms.TypedChoiceField(
        label="First senior member of staff", coerce=int, required=False, empty_value=None
    )
    senior_second = forms.TypedChoiceField(
        label="Second senior member of staff", coerce=int, required=False, empty_value=None
    )
    reason = forms.CharField(label="Why the change?", required=False, max_length=2000)

    def __init__(
        self,
        *args: Any,
        school: School,
        seniors: list[User],
        current_misuse: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["misuse"].choices = misuse_choices(school, current_misuse)  # type: ignore[attr-defined]
        self.seniors = {u.pk: u for u in seniors}
        choices = [("", "Not named yet"), *((u.pk, str(u)) for u in seniors)]
        self.fields["senior_first"].choices = choices  # type: ignore[attr-defined]
        self.fields["senior_second"].choices = choices  # type: ignore[attr-defined]
        self.fields[
            "senior_first"
        ].help_text = "An investigation of misuse needs two senior members of staff (the policy's rule)"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["misuse_row"] = None
        if data.get("misuse") is not None:
            data["misuse_row"] = Misuse.objects.filter(school=self.school, pk=data["misuse"]).first()
        for name in ("senior_first", "senior_second"):
            data[name + "_user"] = self.seniors.get(data[name]) if data.get(name) is not None else None
        return data


class PersonAddForm(forms.Form):
    name = forms.CharField(
        label="Full name", max_length=200,
        help_text="Start typing: people in the school's records are offered",
        widget=forms.TextInput(attrs={"list": "people-list", "autocomplete": "off"}),
    )  # fmt: skip
    role = forms.ChoiceField(label="Their part", choices=Role.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label="Notes", required=False, max_length=300, help_text="How they are involved")

    def __init__(self, *args: Any, school: School, offer: bool = True, **kwargs: Any) -> None:
        """`offer`: whether the school's records are offered as one types, and a typed name checked
        against them (only for those who may see them: the chair of governors types names in full,
        and where the concern goes still follows from who the name may be)."""
        super().__init__(*args, **kwargs)
        self.labels = PeopleLabels(school if offer else None)
        if not offer:
            self.fields["name"].help_text = "Their first and last names, in full"
        self.matches: tuple[str, list[Match]] | None = None
        if self.is_bound and offer:
            name = " ".join(str(self.data.get(self.add_prefix("name"), ""))[:200].split())
            found = Directory(school).find(name) if name and name not in self.labels.by_label else []
            if found:
                self.matches = (name, found)
                self.fields["match"] = match_field(name, found)
                self.order_fields(["name", "match"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = " ".join(data.get("name", "").split())
        if not name or "role" not in data or "match" in self.errors:
            return data
        role, notes = Role(data["role"]), data.get("notes", "")
        person = self.labels.get(name)
        field = "name"
        if person is not None:
            got: Party | str = Party(role, person=person, notes=notes)
        elif self.matches is not None and self.matches[0] == name:
            field = "match"
            got = confirmed_party(role, name, self.matches[1], data.get("match") or "", notes)
        else:
            got = full_name_problem(name) or Party(role, name=name, notes=notes)
        if isinstance(got, str):
            self.add_error(field, got)
        else:
            data["party"] = got
        return data


class ActionForm(forms.Form):
    action = forms.TypedChoiceField(label="Action", coerce=int)
    involvement = forms.TypedChoiceField(label="About", coerce=int, required=False, empty_value=None)
    taken_at = DateTimeField(label="When")
    notes = forms.CharField(label="Notes", required=False, max_length=300)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions = {
            a.pk: a
            for a in SanctionAction.objects.filter(school_id=incident.school_id, applies_to=incident.kind)
        }
        self.involvements = {i.pk: i for i in Involvement.objects.filter(incident=incident)}
        self.fields["action"].choices = [(a.pk, a.name) for a in self.actions.values()]  # type: ignore[attr-defined]
        self.fields["involvement"].choices = [  # type: ignore[attr-defined]
            ("", "The incident as a whole"),
            *((i.pk, f"{i.name} ({i.get_role_display().lower()})") for i in self.involvements.values()),
        ]
        self.fields["taken_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label="What is it?", choices=EvidenceKind.choices, widget=forms.RadioSelect)
    file = forms.FileField(
        label="File", required=False,
        help_text="A screenshot or photo (PNG, JPEG, GIF, WebP), a PDF or a text file, up to 20 MB",
    )  # fmt: skip
    url = forms.CharField(label="Web address", required=False, max_length=2000)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What it shows, and where it was found",
    )  # fmt: skip


class ReferralForm(forms.Form):
    agency = forms.ChoiceField(label="Referred to", choices=Agency.choices, widget=forms.RadioSelect)
    made_at = DateTimeField(label="When")
    reference = forms.CharField(label="Their reference number", required=False, max_length=100)
    contact = forms.CharField(label="Who you spoke to", required=False, max_length=200)
    due_on = DateField(
        label="Follow up by", required=False,
        help_text="The log flags it as overdue after this date until their answer is recorded",
    )  # fmt: skip
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["made_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class ReferralAnswerForm(forms.Form):
    completed_on = DateField(label="Answered on")
    outcome = forms.CharField(label="Their answer", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].initial = timezone.localdate()


class ParentsToldForm(forms.Form):
    name = forms.CharField(
        label="Who was told (full name)", max_length=200,
        widget=forms.TextInput(attrs={"list": "parents-list", "autocomplete": "off"}),
    )  # fmt: skip
    method = forms.ChoiceField(label="How", choices=ContactMethod.choices, widget=forms.RadioSelect)
    told_at = DateTimeField(label="When")
    notes = forms.CharField(
        label="What they were told", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, parents: dict[str, Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parents = parents
        self.fields["told_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = " ".join(data.get("name", "").split())
        data["guardian"] = self.parents.get(name)
        if name and data["guardian"] is None and (problem := full_name_problem(name)):
            self.add_error("name", problem)
        return data


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(
        label="Reasons for the outcome", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was found, what was decided and why",
    )  # fmt: skip
    not_referred_reason = forms.CharField(
        label="Why it was not referred", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Nothing was referred to an outside agency: a decision not to refer is kept, with why",
    )  # fmt: skip


class IllegalStepForm(forms.Form):
    step = forms.ChoiceField(choices=IllegalStep.choices, widget=forms.HiddenInput)
