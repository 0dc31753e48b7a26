"""The devices pages' forms: plain words, every choice of a school's records (people, classes, network
identities) limited to the current school's, and sizes capped before anything is kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from html import escape  # Django's escape is this, behind a lazy-string check per call
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe

from schoolgate.web.core.forms import DateField, LocalDateTimeField, PlainModelForm
from schoolgate.web.devices.choices import Approval, DeviceKind, NetworkAccess
from schoolgate.web.devices.models import ByodRule, Device
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.forms import PersonChoiceField
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person, PersonQuerySet

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School


class LongSelect(forms.Select):
    """A `<select>` of many options (a school's 1,650 people) drawn in one pass: Django's own widget
    renders a template per option, which costs a third of a second for a big school's list."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = {
            str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if v not in (None, "")
        }
        options = []
        for option_value, label in self.choices:
            key = "" if option_value is None else str(option_value)
            selected = " selected" if key in chosen or (not key and not chosen) else ""
            options.append(f'<option value="{escape(key)}"{selected}>{escape(str(label))}</option>')
        return mark_safe(f"<select{flatatt(final)}>{''.join(options)}</select>")  # every part escaped above


NEW_IDENTITY_KINDS = (
    ("", "No new one"),
    (IdentityKind.DEVICE.value, "The device's address (for example 10.10.1.23)"),
    (IdentityKind.USERNAME.value, "A user name it logs in to the proxy with"),
)


def _people(school: School, keep: int | None) -> PersonQuerySet:
    """The school's current people who may have a device or take one home (not parents), and the one
    already chosen even if no longer current: what a posted choice is checked against."""
    current = Person.objects.filter(school=school).current().exclude(kind=PersonKind.PARENT)
    wanted = Q(pk__in=current.values("pk"))
    if keep is not None:
        wanted |= Q(pk=keep)
    return Person.objects.filter(school=school).filter(wanted)


def _person_label(
    last: str, preferred: str, first: str, kind: str, job_title: str, year: str | None, klass: str | None
) -> str:
    """A person as `PersonChoiceField` shows them ("Hughes, Amelia (Year 5, 5B)"), from the row's columns."""
    name = f"{last}, {preferred or first}"
    if kind == PersonKind.PUPIL:
        where = ", ".join(g for g in (year, klass) if g is not None)
        return f"{name} ({where})" if where else name
    if job_title:
        return f"{name} ({job_title})"
    return name


def _person_choices(people: PersonQuerySet) -> list[tuple[int, str]]:
    """The people's choices made from rows of the columns the labels need: a big school's 1,800 model
    instances (with their year group and class) cost most of the page."""
    rows = people.order_by("last_name", "first_name").values_list(
        "pk", "last_name", "preferred_name", "first_name", "kind", "job_title",
        "year_group__name", "class_group__name",
    )  # fmt: skip
    return [(pk, _person_label(*rest)) for pk, *rest in rows]


class _Rows(BaseChoiceIterator):
    """Choices already in Django's canonical form, (pk, label) pairs: offered as they are, where a
    plain list would be normalized pair by pair (twice, for the field and for its widget)."""

    def __init__(self, rows: list[tuple[int | str, str]]) -> None:
        self.rows = rows

    def __iter__(self) -> Iterator[tuple[int | str, str]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _rows_choices(field: forms.ModelChoiceField, rows: list[tuple[int, str]]) -> None:  # type: ignore[type-arg]
    """Offer `rows` (made from `values_list`) instead of the choices Django makes from a model instance
    per row. The field still checks a posted pk against its queryset (`queryset.get(pk=...)`), so
    only the school's allowed records can be chosen, whatever the list held."""
    blank: list[tuple[int | str, str]] = [] if field.empty_label is None else [("", str(field.empty_label))]
    field.choices = _Rows([*blank, *rows])


class DeviceForm(PlainModelForm):
    """Add or change a device; its network identity is one that exists, or a new one made here (by
    those who may change network identities)."""

    new_identity_kind = forms.ChoiceField(
        label="Or record a new network identity", choices=NEW_IDENTITY_KINDS, required=False
    )
    new_identity_value = forms.CharField(
        label="Its address or user name", max_length=150, required=False, strip=True
    )

    class Meta:
        model = Device
        fields = (
            "kind",
            "device_type",
            "label",
            "make_model",
            "asset_tag",
            "serial",
            "owner",
            "class_group",
            "identity",
            "off_site",
            "off_site_note",
            "notes",
        )
        labels: ClassVar[dict[str, Any]] = {"label": "Name", "identity": "Network identity"}
        help_texts: ClassVar[dict[str, Any]] = {
            "kind": "The row of the BYOD table it comes under, which says what network access it gets",
            "identity": "How the filter knows it: its address, or the user name it logs in with (an "
            "address range only for a shared trolley or suite)",
            "off_site": "What the school has set up for when it is away from school (Schoolgate records "
            "this; it filters at the school's proxy only)",
        }
        widgets: ClassVar[dict[str, Any]] = {
            "notes": forms.Textarea(attrs={"rows": 2}),
            "identity": LongSelect,
        }

    def __init__(self, *args: Any, school: School, may_add_identity: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        people = _people(school, self.instance.owner_id)
        owner = PersonChoiceField(
            queryset=people,
            required=False,
            label="Whose it is, or who uses it",
            help_text="For a personal device, its owner; for a school laptop, the one who has it",
            empty_label="Nobody in particular",
            widget=LongSelect,
        )
        _rows_choices(owner, _person_choices(people))
        self.fields["owner"] = owner
        classes = self.fields["class_group"]
        assert isinstance(classes, forms.ModelChoiceField)
        classes.queryset = ClassGroup.objects.filter(school=school).order_by("name")
        identities = self.fields["identity"]
        assert isinstance(identities, forms.ModelChoiceField)
        identities.queryset = NetworkIdentity.objects.filter(school=school)
        identities.empty_label = "None yet"
        rows = identities.queryset.order_by("kind", "value").values_list("pk", "label", "value")
        _rows_choices(identities, [(pk, label or value) for pk, label, value in rows])  # its str()
        if not may_add_identity:
            del self.fields["new_identity_kind"]
            del self.fields["new_identity_value"]
        for name in ("asset_tag", "serial", "new_identity_value"):
            if name in self.fields:
                self.fields[name].widget.attrs.update({"spellcheck": "false", "autocapitalize": "none"})

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("new_identity_kind")
        value = data.get("new_identity_value")
        if kind and not value:
            self.add_error("new_identity_value", "Type the address or the user name")
        elif value and not kind:
            self.add_error("new_identity_kind", "Say whether it is an address or a user name")
        elif kind and value and data.get("identity") is not None:
            self.add_error(
                "new_identity_kind", "Choose an identity that exists, or record a new one: not both"
            )
        return data

    def new_identity(self) -> NetworkIdentity | None:
        """The new identity asked for, unsaved (the action checks who may make it), or None."""
        kind = self.cleaned_data.get("new_identity_kind")
        if not kind:
            return None
        return NetworkIdentity(
            school=self.school,
            kind=kind,
            value=self.cleaned_data["new_identity_value"],
            person=self.cleaned_data.get("owner"),
            label=self.cleaned_data.get("label", "")[:200],
        )


class ByodForm(forms.Form):
    """The BYOD table: for each kind of device, allowed or not, the network access, the approval."""

    def __init__(self, *args: Any, table: dict[DeviceKind, ByodRule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        for kind, rule in table.items():
            allowed = forms.BooleanField(label="Allowed in school", required=False, initial=rule.allowed)
            access = forms.ChoiceField(
                label="Network access", choices=NetworkAccess.choices, initial=rule.access
            )
            approval = forms.ChoiceField(
                label="Approval needed", choices=Approval.choices, initial=rule.approval
            )
            self.fields[f"{kind.value}-allowed"] = allowed
            self.fields[f"{kind.value}-access"] = access
            self.fields[f"{kind.value}-approval"] = approval
            self.rows.append(
                (
                    kind,
                    self[f"{kind.value}-allowed"],
                    self[f"{kind.value}-access"],
                    self[f"{kind.value}-approval"],
                )
            )

    def chosen(self) -> dict[DeviceKind, tuple[bool, NetworkAccess, Approval]]:
        return {
            kind: (
                bool(self.cleaned_data[f"{kind.value}-allowed"]),
                NetworkAccess(self.cleaned_data[f"{kind.value}-access"]),
                Approval(self.cleaned_data[f"{kind.value}-approval"]),
            )
            for kind, *_ in self.rows
        }


class LoanForm(forms.Form):
    person = PersonChoiceField(queryset=Person.objects.none(), label="Who takes it home", widget=LongSelect)
    out_on = DateField(label="Lent on")
    due_back = DateField(label="Due back")
    note = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = _people(school, None)
        _rows_choices(person, _person_choices(person.queryset))
        today = timezone.localdate()
        self.fields["out_on"].initial = today
        self.fields["due_back"].initial = today + dt.timedelta(days=7)


class ReturnForm(forms.Form):
    on = DateField(label="Back on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class GuestLoginForm(forms.Form):
    until = LocalDateTimeField(
        label="Until",
        max_length=40,
        help_text="When the login stops working: at most when their access ends (their record's end date)",
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if person.expires_at is not None:
            self.fields["until"].initial = timezone.localtime(person.expires_at)
