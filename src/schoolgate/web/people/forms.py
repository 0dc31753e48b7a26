"""The people pages' forms: plain words, a hint where one helps, and every choice of a school's
records (year group, class, host, child, parent) limited to the current school's."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.actions import REASON_MAX
from schoolgate.web.core.forms import (
    DATE_FORMATS,
    DATETIME_FORMATS,
    DateInput,
    DateTimeInput,
    PlainModelForm,
    ReasonForm,
)
from schoolgate.web.people import importing
from schoolgate.web.people.choices import (
    TEMPORARY_KINDS,
    ImportKind,
    PersonKind,
    Relationship,
)
from schoolgate.web.people.models import (
    ClassGroup,
    GuardianLink,
    NetworkIdentity,
    Person,
    PersonQuerySet,
    YearGroup,
)

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


# Hints and errors: Django gives each field `aria-describedby="<id>_helptext <id>_error"`, the ids
# that field.html gives them, so that a screen reader reads them with the field.


class PlainForm(forms.Form):
    pass


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A person, shown as "Hughes, Amelia (Year 5, 5B)" so that two of one name can be told apart."""

    def label_from_instance(self, obj: Any) -> str:
        person: Person = obj
        name = f"{person.last_name}, {person.preferred_name or person.first_name}"
        if person.kind == PersonKind.PUPIL:
            where = ", ".join(str(g) for g in (person.year_group, person.class_group) if g is not None)
            return f"{name} ({where})" if where else name
        if person.job_title:
            return f"{name} ({person.job_title})"
        return name


def _people(user: User, school: School, kind: PersonKind, keep: int | None = None) -> PersonQuerySet:
    """The current people of `kind` at `school`, and `keep` (the one already chosen) even if not."""
    everyone = Person.objects.restrict(user, Capability.PEOPLE_VIEW, school).filter(kind=kind)
    wanted = Q(pk__in=everyone.current().values("pk"))
    if keep is not None:
        wanted |= Q(pk=keep)
    return (
        everyone.filter(wanted)
        .select_related("year_group", "class_group")
        .order_by("last_name", "first_name")
    )


# Which fields each kind of person has, in the order the form asks for them.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    PersonKind.PUPIL: (
        "first_name", "preferred_name", "last_name", "date_of_birth", "year_group", "class_group", "mis_id",
    ),
    PersonKind.STAFF: (
        "title", "first_name", "preferred_name", "last_name", "job_title", "team", "email", "phone", "mis_id",
    ),
    PersonKind.GOVERNOR: ("title", "first_name", "last_name", "job_title", "email", "phone"),
    PersonKind.VISITOR: (
        "title", "first_name", "last_name", "organisation", "purpose", "host", "expires_at", "email", "phone",
    ),
    PersonKind.PARENT: ("title", "first_name", "last_name", "email", "phone"),
}  # fmt: skip
_VISITOR = KIND_FIELDS[PersonKind.VISITOR]
KIND_FIELDS[PersonKind.SUPPLY] = (*_VISITOR[:4], "job_title", *_VISITOR[4:])
KIND_FIELDS[PersonKind.COMMUNITY] = KIND_FIELDS[PersonKind.VISITOR]

LABELS = {
    "title": "Title",
    "first_name": "First name",
    "preferred_name": "Preferred first name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "year_group": "Year group",
    "class_group": "Class",
    "job_title": "Job title",
    "team": "Team",
    "email": "Email address",
    "phone": "Telephone",
    "organisation": "Organisation",
    "purpose": "Why they are in school",
    "host": "Responsible member of staff",
    "expires_at": "Access ends",
}
HINTS = {
    "title": "For example Mr, Mrs, Ms, Miss, Mx or Dr",
    "first_name": "Their legal first name, in full",
    "preferred_name": "Only if they go by another first name",
    "last_name": "Their legal last name, in full",
    "date_of_birth": "For example 27/03/2016",
    "organisation": "For example the supply agency, or the charity they come from",
    "purpose": "For example: reading volunteer in Year 2",
    "host": "The member of staff responsible for them while they are in school",
    "expires_at": "The date and time their network access stops",
}


class PersonForm(PlainModelForm):
    """Add or change a person; the fields asked for depend on their kind."""

    class Meta:
        model = Person
        fields = tuple(dict.fromkeys(f for fields in KIND_FIELDS.values() for f in fields))
        widgets: ClassVar[dict[str, Any]] = {"date_of_birth": DateInput(), "expires_at": DateTimeInput()}

    def __init__(self, *args: Any, kind: str, school: School, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = PersonKind(kind)
        self.school = school
        self.instance.kind = self.kind
        self.instance.school = school
        wanted = KIND_FIELDS[self.kind]
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        self.order_fields(wanted)
        for name, field in self.fields.items():
            field.label = LABELS.get(name, field.label)
            field.help_text = HINTS.get(name, "")
        if self.kind == PersonKind.PUPIL:
            self.fields["mis_id"].label = "UPN or MIS ID"
            self.fields["mis_id"].help_text = (
                "The pupil's UPN (13 characters, as in the MIS), so that imports from the MIS "
                "update this record instead of adding another"
            )
            years = YearGroup.objects.restrict(user, Capability.PEOPLE_CHANGE, school).order_by(
                "order", "name"
            )
            classes = ClassGroup.objects.restrict(user, Capability.PEOPLE_CHANGE, school).order_by("name")
            self.fields["year_group"].queryset = years  # type: ignore[attr-defined]
            self.fields["class_group"].queryset = classes  # type: ignore[attr-defined]
            self.fields["year_group"].empty_label = "Not in a year group"  # type: ignore[attr-defined]
            self.fields["class_group"].empty_label = "Not in a class"  # type: ignore[attr-defined]
            self.fields["date_of_birth"].input_formats = DATE_FORMATS  # type: ignore[attr-defined]
        if self.kind == PersonKind.STAFF:
            self.fields["mis_id"].label = "Staff code"
            self.fields[
                "mis_id"
            ].help_text = "Their staff code in the MIS, so that imports from the MIS update this record"
        if self.kind == PersonKind.GOVERNOR:
            self.fields["job_title"].label = "Role on the governing board"
            self.fields["job_title"].help_text = "For example: safeguarding governor, chair"
        if self.kind in TEMPORARY_KINDS:
            host = PersonChoiceField(
                queryset=_people(user, school, PersonKind.STAFF, keep=self.instance.host_id),
                label=LABELS["host"],
                help_text=HINTS["host"],
                empty_label="Choose a member of staff",
            )
            self.fields["host"] = host
            self.fields["purpose"].required = True  # (the model's own rule says when access must end)
            self.fields["expires_at"].input_formats = DATETIME_FORMATS  # type: ignore[attr-defined]
            self.order_fields(wanted)
        for name in ("email",):
            if name in self.fields:
                self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["first_name"].widget.attrs["spellcheck"] = "false"
        self.fields["last_name"].widget.attrs["spellcheck"] = "false"
        if self.kind == PersonKind.PARENT and self.instance.pk is None:
            self._add_child_fields(user, school)

    def _add_child_fields(self, user: User, school: School) -> None:
        """A new parent or carer is asked for with their (first) child."""
        self.fields["child"] = PersonChoiceField(
            queryset=_people(user, school, PersonKind.PUPIL),
            label="Their child",
            help_text="A pupil of the school. You can link more children on their page afterwards",
            empty_label="Choose a pupil",
        )
        self.fields["relationship"] = forms.ChoiceField(
            label="Relationship to the child", choices=[("", "Choose"), *Relationship.choices]
        )
        self.fields["parental_responsibility"] = forms.BooleanField(
            label="Has parental responsibility",
            required=False,
            help_text="Tick if the MIS or the school's records say they have parental responsibility",
        )
        self.fields["contact_order"] = _contact_order()

    def link(self) -> GuardianLink | None:
        """The new parent's link to their child (saved with them), if the form asked for one."""
        if "child" not in self.fields:
            return None
        data = self.cleaned_data
        return GuardianLink(
            school=self.school,
            child=data["child"],
            relationship=data["relationship"],
            parental_responsibility=data["parental_responsibility"],
            contact_order=data["contact_order"] or 1,
        )

    def clean_mis_id(self) -> str:
        value: str = " ".join(self.cleaned_data.get("mis_id", "").split())
        if self.kind == PersonKind.PUPIL:
            value = value.upper()
        if value:
            taken = (
                Person.objects.filter(school=self.school, kind=self.kind, mis_id__iexact=value)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if taken is not None:
                raise ValidationError(f"{taken.full_name} has this {self.fields['mis_id'].label} already")
        return value

    def clean_date_of_birth(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("date_of_birth")
        if value is not None and value > timezone.localdate():
            raise ValidationError("The date of birth must be in the past")
        if value is not None and value.year < 1900:
            raise ValidationError("Enter a date of birth after 1900")
        return value

    def clean_expires_at(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("expires_at")
        old = self.instance.expires_at if self.instance.pk else None
        # The form shows whole minutes: a time left as it was is not a change.
        changed = old is None or value is None or abs((value - old).total_seconds()) >= 60
        if value is not None and changed and value <= timezone.now():
            raise ValidationError("The end of their access must be in the future")
        if value is not None and not changed:
            return old
        return value

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name in ("first_name", "last_name", "preferred_name"):
            if data.get(name):
                data[name] = " ".join(data[name].split())
        return data


def _contact_order() -> forms.IntegerField:
    return forms.IntegerField(
        label="Contact order",
        min_value=1,
        max_value=99,
        initial=1,
        required=False,
        help_text="1 is contacted first, then 2, and so on",
    )


class LinkForm(PlainModelForm):
    """A parent or carer of a child: chosen from the school's parents (on a pupil's page) or its
    pupils (on a parent's page)."""

    class Meta:
        model = GuardianLink
        fields = ("child", "guardian", "relationship", "parental_responsibility", "contact_order")
        labels: ClassVar[dict[str, Any]] = {
            "relationship": "Relationship to the child",
            "parental_responsibility": "Has parental responsibility",
        }
        help_texts: ClassVar[dict[str, Any]] = {
            "parental_responsibility": (
                "Tick if the MIS or the school's records say they have parental responsibility"
            ),
        }

    def __init__(self, *args: Any, school: School, user: User, fixed: Person | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        self.fields["child"] = PersonChoiceField(
            queryset=_people(user, school, PersonKind.PUPIL, keep=self.instance.child_id),
            label="Child",
            empty_label="Choose a pupil",
        )
        self.fields["guardian"] = PersonChoiceField(
            queryset=_people(user, school, PersonKind.PARENT, keep=self.instance.guardian_id),
            label="Parent or carer",
            help_text="Add them first (Add a person, then Parent or carer) if they are not in the list",
            empty_label="Choose a parent or carer",
        )
        self.fields["contact_order"] = _contact_order()
        if fixed is not None or self.instance.pk:
            # One side is the page's own person (or, when changing a link, both are fixed).
            if self.instance.pk or (fixed is not None and fixed.kind == PersonKind.PARENT):
                del self.fields["guardian"]
            if self.instance.pk or (fixed is not None and fixed.kind == PersonKind.PUPIL):
                del self.fields["child"]

    def clean_contact_order(self) -> int:
        return int(self.cleaned_data.get("contact_order") or 1)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        child = data.get("child") or (self.instance.child if self.instance.child_id else None)
        guardian = data.get("guardian") or (self.instance.guardian if self.instance.guardian_id else None)
        if child is not None and guardian is not None:
            taken = GuardianLink.objects.filter(child=child, guardian=guardian).exclude(pk=self.instance.pk)
            if taken.exists():
                raise ValidationError(f"{guardian} is already linked to {child}")
        return data


class ArchiveForm(ReasonForm):
    """Why a person's record is archived: kept on the record (up to its 300 characters)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            *args,
            label="Why are you archiving this record?",
            help_text="For example: left the school in July 2026, or added twice by mistake",
            required_message="Say why you are archiving this record",
            max_length=REASON_MAX,
            **kwargs,
        )


class IdentityForm(PlainModelForm):
    class Meta:
        model = NetworkIdentity
        fields = ("kind", "value", "label", "person")
        labels: ClassVar[dict[str, Any]] = {
            "kind": "What kind of identity",
            "value": "User name, address or range",
            "label": "Description",
        }
        help_texts: ClassVar[dict[str, Any]] = {
            "value": "A user name as the proxy sees it (jsmith), a device's address (10.10.1.23), "
            "or an address range (10.10.1.0/24)",
            "label": 'What it is, in words, for example "KS1 classroom tablets"',
        }

    def __init__(self, *args: Any, school: School, user: User, person: Person | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        if person is not None:
            self.instance.person = person
            del self.fields["person"]
        else:
            everyone = Person.objects.restrict(user, Capability.PEOPLE_VIEW, school)
            wanted = Q(pk__in=everyone.current().values("pk"))
            if self.instance.person_id:
                wanted |= Q(pk=self.instance.person_id)
            field = PersonChoiceField(
                queryset=everyone.filter(wanted)
                .select_related("year_group", "class_group")
                .order_by("last_name", "first_name"),
                required=False,
                label="Whose is it",
                help_text="Leave empty for a device or a range that is nobody's own",
                empty_label="Nobody's (a shared device or range)",
            )
            self.fields["person"] = field
        self.fields["value"].widget.attrs.update({"spellcheck": "false", "autocapitalize": "none"})

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.has_error("value") or self.has_error("kind"):
            return
        identity = self.instance  # clean() has made its value canonical (lower case, the network)
        taken = (
            NetworkIdentity.objects.filter(school=self.school, kind=identity.kind, value=identity.value)
            .exclude(pk=identity.pk)
            .select_related("person")
            .first()
        )
        if taken is not None:
            whose = f" (for {taken.person})" if taken.person else ""
            self.add_error("value", f"{identity.value} is recorded already{whose}")


class YearGroupForm(PlainModelForm):
    class Meta:
        model = YearGroup
        fields = ("name", "key_stage", "order")
        labels: ClassVar[dict[str, Any]] = {
            "name": "Name",
            "key_stage": "Key stage",
            "order": "Order in lists",
        }
        help_texts: ClassVar[dict[str, Any]] = {
            "name": "For example Reception or Year 5",
            "key_stage": "Leave it to us: chosen from the name when it is a year we know",
            "order": "Where it comes in lists: Nursery and Reception 0, Year 1 1, Year 2 2, and so on",
        }

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        self.fields["key_stage"].required = False
        self.fields["order"].required = False

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        name = " ".join(str(data.get("name") or "").split())
        data["name"] = name
        if not name:
            return data
        if (
            YearGroup.objects.filter(school=self.school, name__iexact=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("name", f"There is a year group called {name} already")
        try:
            spec = importing.parse_year(name)
        except ValueError:
            spec = None
        if not data.get("key_stage"):
            if spec is None:
                self.add_error("key_stage", "Choose the key stage")
            else:
                data["key_stage"] = spec.key_stage
        if data.get("order") is None:
            data["order"] = spec.order if spec is not None else 0
        return data


class ClassForm(PlainModelForm):
    class Meta:
        model = ClassGroup
        fields = ("name", "year_group")
        labels: ClassVar[dict[str, Any]] = {"name": "Name", "year_group": "Year group"}
        help_texts: ClassVar[dict[str, Any]] = {
            "name": "As the MIS calls it, for example 5B or Oak",
            "year_group": "Leave empty for a class of more than one year",
        }

    def __init__(self, *args: Any, school: School, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school
        field = self.fields["year_group"]
        field.queryset = YearGroup.objects.restrict(  # type: ignore[attr-defined]
            user, Capability.PEOPLE_CHANGE, school
        ).order_by("order", "name")
        field.empty_label = "More than one year"  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data.get("name") or "").split())
        if (
            ClassGroup.objects.filter(school=self.school, name__iexact=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise ValidationError(f"There is a class called {name} already")
        return name


class UploadForm(PlainForm):
    """One export of each kind at most: pupils, staff, parents and carers."""

    pupils = forms.FileField(
        label="Pupils",
        required=False,
        help_text=(
            "UPN, legal surname and forename, preferred forename, date of birth, year, registration group"
        ),
    )
    staff = forms.FileField(
        label="Staff",
        required=False,
        help_text="Staff code, title, forename, surname, job title, email",
    )
    parents = forms.FileField(
        label="Parents and carers",
        required=False,
        help_text=(
            "Contact forename and surname, relationship, parental responsibility, priority, and the "
            "pupil's UPN. The pupils must be on record already, or in the pupils file of this upload"
        ),
    )
    # Network user names (importing.UsernameSetting): only for those who may change network identities.
    usernames = forms.ChoiceField(
        label="Network user names of pupils and staff",
        required=False,
        initial="",
        widget=forms.RadioSelect,
        choices=(
            ("", "Not in this upload"),
            ("column", "From a column of the files (User name, Login, Network user name ...)"),
            ("rule", "Made by a rule, for those who have none yet"),
            ("both", "From the column where it has one, else made by the rule"),
        ),
        help_text=(
            "They become each person's network identity, so that the filter knows them. Anyone who "
            "has a user name already keeps it; a user name someone else has is a problem shown before "
            "anything is imported."
        ),
    )
    username_rule = forms.CharField(
        label="The rule",
        required=False,
        max_length=100,
        help_text=(
            "{first}.{last} makes zoe.obrien of Zoë O'Brien; {initial}{last} makes zobrien; "
            "{last:5} takes five letters, {last:hyphens} keeps a double-barrelled name's hyphen. "
            "Accents are dropped, and apostrophes, spaces and hyphens left out; a clash gets a "
            "number (jsmith, jsmith2)."
        ),
    )

    def __init__(self, *args: Any, may_name: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("pupils", "staff", "parents"):
            self.fields[name].widget.attrs["accept"] = ".csv,text/csv"
        if not may_name:  # user names are the network manager's to give
            del self.fields["usernames"], self.fields["username_rule"]
        self.texts: dict[str, tuple[bytes, str]] = {}

    def _clean_file(self, name: str) -> Any:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        if upload.size is not None and upload.size > importing.MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {importing.MAX_BYTES // (1024 * 1024)} MB: "
                "is it the right export? Export only the columns listed"
            )
        raw = upload.read(importing.MAX_BYTES + 1)
        try:
            text = importing.decode(raw)
        except importing.UnreadableFileError as exc:
            raise ValidationError(str(exc)) from None
        self.texts[name] = (raw, text)
        return upload

    def clean_pupils(self) -> Any:
        return self._clean_file("pupils")

    def clean_staff(self) -> Any:
        return self._clean_file("staff")

    def clean_parents(self) -> Any:
        return self._clean_file("parents")

    def clean_username_rule(self) -> importing.UsernameRule | None:
        text = self.cleaned_data.get("username_rule", "")
        if self.cleaned_data.get("usernames") not in ("rule", "both"):
            return None
        try:
            return importing.parse_rule(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if not self.errors and not any(data.get(k) for k in ("pupils", "staff", "parents")):
            raise ValidationError("Choose at least one file to upload")
        return data

    def username_setting(self) -> importing.UsernameSetting:
        """What the upload asks of user names (none if the form has no such fields)."""
        choice = self.cleaned_data.get("usernames", "")
        return importing.UsernameSetting(
            from_column=choice in ("column", "both"), rule=self.cleaned_data.get("username_rule")
        )

    def files_to_keep(self) -> list[tuple[ImportKind, str, bytes, str]]:
        out = []
        for name in ("pupils", "staff", "parents"):
            if name in self.texts:
                raw, text = self.texts[name]
                filename = str(getattr(self.cleaned_data[name], "name", "") or f"{name}.csv")
                out.append((ImportKind(name), filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1], raw, text))
        return out
