"""The policy editor's forms. Each checks what it can say in plain words at once (a bad time span, a
domain that is not one, a rule that matches nothing); what only the whole policy shows is checked when
publishing. No form has a field for `locked`, and the forms of locked records refuse to change them."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import re2
from django import forms
from django.db.models import Model, Q

from schoolgate.engine.lists import regex_error_text, regex_options, url_key
from schoolgate.engine.urls import canonical_host
from schoolgate.engine.windows import WindowError, parse_span
from schoolgate.policyfile.load import (
    BUILTIN_PREFIX,
    builtin_lists_dir,
    check_list_path,
    list_roots,
    valid_block_page,
)
from schoolgate.web.core.forms import DateInput, LocalDateTimeField, ReasonForm
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person, YearGroup
from schoolgate.web.policy.actions import REQUEST_GROUP_PREFIX, snapshot_path, within_choices
from schoolgate.web.policy.choices import DEFAULT_GROUP, EVERYONE, Day, MemberKind, Verdict
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    Rule,
    SchoolDate,
    SchoolPolicy,
    SiteList,
    TimeWindow,
)
from schoolgate.web.policy.quick import QuickChange
from schoolgate.web.policy.render import school_zone
from schoolgate.web.tenancy.models import School

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Model]
else:  # not subscriptable at run time
    _ModelForm = forms.ModelForm

LOCKED_MESSAGE = "This is locked: illegal-content lists and categories cannot be changed in the editor"


class LinesField(forms.Field):
    """Several entries, one on each line (blank lines and repeats dropped); a list in the model."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "none"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        items = [str(v) for v in value] if isinstance(value, list | tuple) else str(value).splitlines()
        return list(dict.fromkeys(item.strip() for item in items if item.strip()))


class SchoolForm(_ModelForm):
    """A form for a record of `school`: names must be unique within it."""

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        self.school = school
        super().__init__(*args, **kwargs)
        self.instance.school = school  # type: ignore[attr-defined]
        if getattr(self.instance, "locked", False):
            for field in self.fields.values():
                field.disabled = True

    def clean(self) -> dict[str, Any]:
        if getattr(self.instance, "locked", False):
            raise forms.ValidationError(LOCKED_MESSAGE)
        return super().clean() or {}

    def _unique_name(self, name: str, noun: str) -> str:
        model = type(self.instance)
        taken = model._default_manager.filter(school=self.school, name=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f'There is already a {noun} called "{name}"')
        return name


class SettingsForm(SchoolForm):
    class Meta:
        model = SchoolPolicy
        fields = ("block_page", "unparsable")
        widgets: ClassVar[dict[str, Any]] = {"unparsable": forms.RadioSelect}

    def clean_block_page(self) -> str:
        value = str(self.cleaned_data["block_page"]).strip()
        if not valid_block_page(value):
            raise forms.ValidationError("Give an http:// or https:// address without spaces or quotes")
        return value


class ListSourceForm(SchoolForm):
    class Meta:
        model = ListSource
        fields = ("name", "format", "path", "description")
        widgets: ClassVar[dict[str, Any]] = {"format": forms.RadioSelect}

    def clean_name(self) -> str:
        return self._unique_name(str(self.cleaned_data["name"]), "list")

    def clean_path(self) -> str:
        """The same check as publishing makes (`policyfile.load.check_list_path`), said at once."""
        text = str(self.cleaned_data["path"]).strip()
        base = snapshot_path(self.school).parent
        roots = list_roots(base)
        _, problem = check_list_path(text, base, roots)
        if problem is not None:
            folders = ", ".join(str(root) for root in roots if root != builtin_lists_dir())
            raise forms.ValidationError(
                f"Lists can only be read from the server's list folders ({folders}). Give a path inside "
                f"one of them, relative to {base} or in full, or {BUILTIN_PREFIX}ut1-sample. Whoever "
                "runs Schoolgate on the server can add a folder with SCHOOLGATE_LISTS_ROOT."
            )
        return text


class GroupForm(SchoolForm):
    class Meta:
        model = FilterGroup
        fields = ("name", "description", "within", "default", "safe_search", "youtube")
        widgets: ClassVar[dict[str, Any]] = {"default": forms.RadioSelect, "youtube": forms.RadioSelect}
        help_texts: ClassVar[dict[str, Any]] = {
            "default": "What happens to a site that no rule decides for this group",
            "youtube": "Set separately from safe search",
        }

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, school=school, **kwargs)
        # "Part of": the school's other groups, never this one, its own parts or `default`.
        group = self.instance
        assert isinstance(group, FilterGroup)
        within = self.fields["within"]
        assert isinstance(within, forms.ModelChoiceField)
        within.label = "Part of"
        within.empty_label = "No other group"
        choices = [] if group.name == DEFAULT_GROUP else within_choices(school, group)
        within.queryset = FilterGroup.objects.filter(pk__in=choices).order_by("name")
        if group.pk is not None and group.name == DEFAULT_GROUP:
            within.disabled = True
            within.help_text = "Unidentified users are part of no other group"

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"])
        if name == EVERYONE:
            raise forms.ValidationError(f'"{EVERYONE}" is kept for rules that apply to every group')
        if name.startswith(REQUEST_GROUP_PREFIX):
            raise forms.ValidationError(
                f'Names beginning "{REQUEST_GROUP_PREFIX}" are kept for the groups approved requests make'
            )
        stored = FilterGroup.objects.filter(pk=self.instance.pk).values_list("name", flat=True).first()
        if stored == DEFAULT_GROUP and name != DEFAULT_GROUP:
            raise forms.ValidationError(
                f'The group "{DEFAULT_GROUP}" keeps its name: unidentified users get it'
            )
        return self._unique_name(name, "group")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("name") == DEFAULT_GROUP and data.get("within") is not None:
            self.add_error("within", f'The group "{DEFAULT_GROUP}" cannot be part of another group')
        if data.get("name") == DEFAULT_GROUP and data.get("default") != Verdict.BLOCK:
            self.add_error(
                "default",
                f'The group "{DEFAULT_GROUP}" is for anyone the filter cannot identify: it must block '
                "when no rule matches",
            )
        return data


class MemberForm(forms.Form):
    """Add to a group: everyone of a kind, a year group, a class, one person, or a network identity.
    The pages show one small form for each, each with its own button."""

    kind = forms.ChoiceField(choices=MemberKind.choices, widget=forms.HiddenInput)
    person_kind = forms.ChoiceField(label="Kind of person", choices=PersonKind.choices, required=False)
    year_group = forms.ModelChoiceField(label="Year group", queryset=YearGroup.objects.none(), required=False)
    class_group = forms.ModelChoiceField(label="Class", queryset=ClassGroup.objects.none(), required=False)
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=200,
        help_text="Their name or MIS ID",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    identity = forms.CharField(
        label="User name, device or address range",
        required=False,
        max_length=150,
        help_text="As it is kept under People, for example amelia.hughes, 10.10.1.23 or 10.10.1.0/24",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, school: School, group: FilterGroup, **kwargs: Any) -> None:
        self.school = school
        self.group = group
        super().__init__(*args, **kwargs)
        year_field = self.fields["year_group"]
        class_field = self.fields["class_group"]
        assert isinstance(year_field, forms.ModelChoiceField)
        assert isinstance(class_field, forms.ModelChoiceField)
        year_field.queryset = YearGroup.objects.filter(school=school).order_by("order", "name")
        class_field.queryset = ClassGroup.objects.filter(school=school).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == MemberKind.PERSON_KIND:
            if not data.get("person_kind"):
                self.add_error("person_kind", "Choose a kind of person")
        elif kind == MemberKind.YEAR_GROUP:
            if data.get("year_group") is None:
                self.add_error("year_group", "Choose a year group")
        elif kind == MemberKind.CLASS_GROUP:
            if data.get("class_group") is None:
                self.add_error("class_group", "Choose a class")
        elif kind == MemberKind.PERSON:
            data["person"] = self._find_person(str(data.get("person") or ""))
        elif kind == MemberKind.IDENTITY:
            data["identity"] = self._find_identity(str(data.get("identity") or ""))
        return data

    def _find_identity(self, text: str) -> NetworkIdentity | None:
        """A school of 1,500 pupils has thousands of identities: the value is typed, not chosen from
        a list. Addresses are compared in their usual form (10.10.1.0/24 for 10.10.1.7/24)."""
        value = text.strip()
        if not value:
            self.add_error("identity", "Type the user name, device address or address range")
            return None
        values = {value.lower()}
        with contextlib.suppress(ValueError):
            values.add(str(ipaddress.ip_address(value)))
        with contextlib.suppress(ValueError):
            values.add(str(ipaddress.ip_network(value, strict=False)))
        found = (
            NetworkIdentity.objects.filter(school=self.school, value__in=sorted(values))
            .order_by("kind")
            .first()
        )
        if found is None:
            self.add_error(
                "identity", f"{value} is not a network identity of this school: add it under People first"
            )
        return found

    def _find_person(self, text: str) -> Person | None:
        words = text.split()
        if not words:
            self.add_error("person", "Type their name or MIS ID")
            return None
        people = Person.objects.filter(school=self.school).current()
        exact = people.filter(mis_id__iexact=text.strip())
        found = list(exact[:2])
        if not found:
            for word in words:
                people = people.filter(
                    Q(first_name__icontains=word)
                    | Q(last_name__icontains=word)
                    | Q(preferred_name__icontains=word)
                )
            found = list(people.order_by("last_name", "first_name")[:6])
        if not found:
            self.add_error("person", f'Nobody here matches "{text}"')
            return None
        if len(found) > 1:
            names = ", ".join(
                f"{p.full_name} ({p.get_kind_display()}{', ' + p.mis_id if p.mis_id else ''})"
                for p in found[:5]
            )
            self.add_error(
                "person",
                f"{'More than 5' if len(found) > 5 else len(found)} people match: {names}. "
                "Give more of the name, or the MIS ID",
            )
            return None
        return found[0]

    def member(self) -> GroupMember:
        data = self.cleaned_data
        kind = data["kind"]
        member = GroupMember(school=self.school, group=self.group, kind=kind)
        if kind == MemberKind.PERSON_KIND:
            member.person_kind = data["person_kind"]
        elif kind == MemberKind.YEAR_GROUP:
            member.year_group = data["year_group"]
        elif kind == MemberKind.CLASS_GROUP:
            member.class_group = data["class_group"]
        elif kind == MemberKind.PERSON:
            member.person = data["person"]
        else:
            member.identity = data["identity"]
        return member


class SchoolDateForm(SchoolForm):
    class Meta:
        model = SchoolDate
        fields = ("kind", "name", "first", "last")
        widgets: ClassVar[dict[str, Any]] = {
            "kind": forms.RadioSelect,
            "first": DateInput(),
            "last": DateInput(),
        }
        help_texts: ClassVar[dict[str, Any]] = {"last": "The same as the first day for a single day"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error("last", "The last day is before the first")
        return data


_SPAN_SEPARATORS = re.compile(r"[,;\n]+")


class WindowForm(SchoolForm):
    days = forms.MultipleChoiceField(
        label="Days", choices=Day.choices, widget=forms.CheckboxSelectMultiple, initial=list(Day.values[:5])
    )
    times = forms.CharField(
        label="Times of day",
        required=False,
        help_text='From–to, separated by commas, for example "08:45-12:00, 13:15-15:15". An end before the '
        'start goes past midnight ("22:00-06:00"). Leave empty for the whole day.',
    )

    class Meta:
        model = TimeWindow
        fields = ("name", "description", "days", "times", "term_time_only")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial["times"] = ", ".join(self.instance.times)  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        return self._unique_name(str(self.cleaned_data["name"]), "time window")

    def clean_days(self) -> list[str]:
        chosen = set(self.cleaned_data["days"])
        return [d for d in Day.values if d in chosen]

    def clean_times(self) -> list[str]:
        spans: list[str] = []
        for item in _SPAN_SEPARATORS.split(str(self.cleaned_data.get("times") or "")):
            if not item.strip():
                continue
            try:
                spans.append(str(parse_span(item.strip())))
            except WindowError as exc:
                raise forms.ValidationError(str(exc)) from None
        return spans


def _bad_lines(values: Sequence[str], check: Any, what: str) -> None:
    bad = [v for v in values if check(v) is None]
    if bad:
        shown = ", ".join(f'"{v}"' for v in bad[:5])
        raise forms.ValidationError(f"Not {what}: {shown}")


def _domain(text: str) -> str | None:
    return canonical_host(text.removeprefix("*.").removeprefix("."))


class CategoryForm(SchoolForm):
    sources = LinesField(
        label="List sources",
        help_text="One on each line: a category of a list, such as ut1/gambling, or a whole single list",
    )

    class Meta:
        model = Category
        fields = ("name", "description", "sources", "uksic")

    def clean_name(self) -> str:
        return self._unique_name(str(self.cleaned_data["name"]), "category")

    def clean_sources(self) -> list[str]:
        sources: list[str] = self.cleaned_data["sources"]
        if not sources:
            raise forms.ValidationError("Give at least one list source")
        lists = {s.name: s for s in ListSource.objects.filter(school=self.school)}
        for source in sources:
            name, _, category = source.partition("/")
            declared = lists.get(name)
            if declared is None:
                known = ", ".join(sorted(lists)) or "none yet"
                raise forms.ValidationError(f'"{source}": there is no list "{name}" (the lists are: {known})')
            if declared.locked:
                raise forms.ValidationError(
                    f'"{source}": the locked list "{name}" belongs to its locked category'
                )
            if declared.format == "squidguard" and not category:
                raise forms.ValidationError(
                    f'"{source}": name a category of the list, such as "{name}/gambling"'
                )
            if declared.format != "squidguard" and category:
                raise forms.ValidationError(f'"{source}": "{name}" is a single list; write just "{name}"')
        return sources


class SiteListForm(SchoolForm):
    domains = LinesField(
        label="Domains",
        required=False,
        help_text="One on each line, such as bbc.co.uk: each covers its subdomains",
    )
    urls = LinesField(
        label="Web addresses",
        required=False,
        help_text="One on each line, such as www.youtube.com/watch?v=abc: each covers the addresses that "
        "start so",
    )

    class Meta:
        model = SiteList
        fields = ("name", "description", "domains", "urls")

    def clean_name(self) -> str:
        return self._unique_name(str(self.cleaned_data["name"]), "site list")

    def clean_domains(self) -> list[str]:
        domains: list[str] = self.cleaned_data["domains"]
        _bad_lines(domains, _domain, "a domain name")
        return domains

    def clean_urls(self) -> list[str]:
        urls: list[str] = self.cleaned_data["urls"]
        _bad_lines(urls, url_key, "a web address")
        return urls

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not data.get("domains") and not data.get("urls"):
            raise forms.ValidationError("Give at least one domain or web address")
        return data


class RuleForm(SchoolForm):
    WHO = (("everyone", "Everyone"), ("groups", "Only the groups chosen below"))
    PLACES = (
        ("end", "At the end of the rules"),
        ("top", "At the top (for an exception or a temporary unblock)"),
    )

    who = forms.ChoiceField(
        label="Who it applies to", choices=WHO, widget=forms.RadioSelect, initial="everyone"
    )
    groups = forms.ModelMultipleChoiceField(
        label="Groups",
        queryset=FilterGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    categories = forms.ModelMultipleChoiceField(
        label="Categories",
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Locked categories are not listed: they block for everyone before any rule",
    )
    sites = forms.ModelMultipleChoiceField(
        label="Site lists",
        queryset=SiteList.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    domains = LinesField(
        label="Domains", required=False, help_text="One on each line; each covers its subdomains"
    )
    urls = LinesField(
        label="Web addresses",
        required=False,
        help_text="One on each line; each covers the addresses that start so",
    )
    patterns = LinesField(
        label="Patterns",
        required=False,
        help_text="Regular expressions (RE2), one on each line, looked for in the address; most rules "
        "need none",
    )
    starts = LocalDateTimeField(
        label="Starts", required=False, help_text="Leave empty to start at once (school time)"
    )
    expires = LocalDateTimeField(
        label="Expires", required=False, help_text="Leave empty to keep it; use it for a temporary unblock"
    )
    place = forms.ChoiceField(
        label="Where to put it", choices=PLACES, widget=forms.RadioSelect, initial="end"
    )

    class Meta:
        model = Rule
        fields = (
            "name",
            "action",
            "all_sites",
            "domains",
            "urls",
            "patterns",
            "window",
            "starts",
            "expires",
            "alert",
        )
        widgets: ClassVar[dict[str, Any]] = {"action": forms.RadioSelect}
        help_texts: ClassVar[dict[str, Any]] = {
            "name": 'Shown in the filter\'s explanations, for example "pupils may not gamble"',
            "all_sites": 'The rule matches every request (for a last "everything else" rule)',
            "alert": "How urgently the DSL is told when this rule blocks or allows a request",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        school = self.school
        zone = school_zone(school)
        for name, queryset in (
            ("groups", FilterGroup.objects.filter(school=school).order_by("name")),
            ("categories", Category.objects.filter(school=school, locked=False).order_by("name")),
            ("sites", SiteList.objects.filter(school=school).order_by("name")),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = queryset
        window = self.fields["window"]
        assert isinstance(window, forms.ModelChoiceField)
        window.queryset = TimeWindow.objects.filter(school=school).order_by("name")
        window.empty_label = "At any time"
        for name in ("starts", "expires"):
            field = self.fields[name]
            assert isinstance(field, LocalDateTimeField)
            field.zone = zone
        instance: Rule = self.instance  # type: ignore[assignment]
        if instance.pk is not None:
            del self.fields["place"]
            if not self.is_bound:
                self.initial["who"] = "everyone" if instance.everyone else "groups"
                self.initial["groups"] = list(instance.groups.all())
                self.initial["categories"] = list(instance.categories.all())
                self.initial["sites"] = list(instance.sites.all())

    def clean_domains(self) -> list[str]:
        domains: list[str] = self.cleaned_data["domains"]
        _bad_lines(domains, _domain, "a domain name")
        return domains

    def clean_urls(self) -> list[str]:
        urls: list[str] = self.cleaned_data["urls"]
        _bad_lines(urls, url_key, "a web address")
        return urls

    def clean_patterns(self) -> list[str]:
        patterns: list[str] = self.cleaned_data["patterns"]
        for pattern in patterns:
            try:
                re2.compile(pattern, options=regex_options())
            except (re.error, re2.error) as exc:
                raise forms.ValidationError(
                    f'"{pattern}" is not a valid pattern: {regex_error_text(exc)}'
                ) from None
        return patterns

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("who") == "groups" and not data.get("groups"):
            self.add_error("groups", "Choose at least one group, or choose Everyone")
        what = ("categories", "sites", "domains", "urls", "patterns", "all_sites")
        if not self.errors and not any(data.get(k) for k in what):
            raise forms.ValidationError(
                "Say what the rule matches: categories, site lists, domains, web addresses, patterns "
                "or every site"
            )
        starts, expires = data.get("starts"), data.get("expires")
        if starts and expires and expires <= starts:
            self.add_error("expires", "The rule would expire before it starts")
        if data.get("action") == Verdict.ALLOW:
            locked = [c.name for c in data.get("categories") or () if c.locked]
            if locked:
                self.add_error("categories", f"Locked categories cannot be allowed: {', '.join(locked)}")
        return data

    def chosen(self) -> tuple[list[FilterGroup], list[Category], list[SiteList]]:
        data = self.cleaned_data
        groups = list(data.get("groups") or ()) if data.get("who") == "groups" else []
        return groups, list(data.get("categories") or ()), list(data.get("sites") or ())

    @property
    def at_top(self) -> bool:
        return self.cleaned_data.get("place") == "top"

    def save(self, commit: bool = False) -> Rule:
        rule: Rule = super().save(commit=False)  # type: ignore[assignment]
        rule.everyone = self.cleaned_data.get("who") != "groups"
        return rule


class PublishForm(ReasonForm):
    """Why the policy is published (or a version restored), and which draft was checked (`sha256`)."""

    sha256 = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            *args,
            label="Why",
            help_text='Kept with the version and in the audit trail, for example "Year 6 need the D-Day '
            'film for history this week"',
            required_message="Say why: the reason is kept with the version",
            **kwargs,
        )


class UrlTestForm(forms.Form):
    url = forms.CharField(
        label="Web address",
        max_length=2000,
        help_text="For example https://www.bbc.co.uk/bitesize or just bbc.co.uk",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false", "inputmode": "url"}),
    )
    user = forms.CharField(
        label="User name",
        required=False,
        max_length=150,
        help_text="As the proxy sees it, such as ks2-amelia",
    )
    address = forms.GenericIPAddressField(
        label="Or the device's address", required=False, help_text="Such as 10.10.1.23"
    )
    group = forms.ChoiceField(label="Or a group", required=False)
    at = LocalDateTimeField(label="When", required=False, help_text="School time; leave empty for now")
    draft = forms.BooleanField(label="Also try the draft (not yet published) policy", required=False)

    def __init__(
        self, *args: Any, school: School, groups: Sequence[str], show_draft: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        group = self.fields["group"]
        assert isinstance(group, forms.ChoiceField)
        group.choices = [("", "(none)"), *((g, g) for g in groups)]
        at = self.fields["at"]
        assert isinstance(at, LocalDateTimeField)
        at.zone = school_zone(school)
        if not show_draft:
            del self.fields["draft"]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        if "://" not in url and "/" in url:  # "www.bbc.co.uk/bitesize": a web page, as a browser would ask
            url = "http://" + url
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [k for k in ("user", "address", "group") if data.get(k)]
        if len(given) > 1:
            raise forms.ValidationError(
                "Give a user name, an address or a group: one of them (or none, for someone the filter "
                "cannot identify)"
            )
        return data


def quick_site(text: str) -> str | None:
    """A site as typed, as a rule keeps it: a domain when it names a whole site (with or without
    "https://" and a final "/"), else the web address (`url_key`); None if it is neither."""
    bare = text.strip()
    if "://" in bare:
        bare = bare.split("://", 1)[1]
    if "/" not in bare.rstrip("/") and "?" not in bare:
        return _domain(bare.rstrip("/"))
    return url_key(text.strip())


class _SchoolCategoryField(forms.ChoiceField):
    """The school's categories: only the unlocked ones are offered, but any of the school's is accepted
    here, so that a posted locked one reaches the action, which refuses it (LockedError)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.known: dict[str, Category] = {}
        super().__init__(*args, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.known

    def clean(self, value: Any) -> Category | None:
        text = super().clean(value)
        return self.known.get(str(text)) if text else None


class QuickForm(forms.Form):
    """Allow or block some sites or a category, for a group, a year group or a class, always, in a
    time window or until a date (`quick.py`). Says what is missing in words; the action checks again."""

    WHAT = (("sites", "Some sites"), ("category", "A category of sites"))
    WHO = (("group", "A group"), ("year", "A year group"), ("class", "A class"))
    WHEN = (("always", "Always"), ("window", "In one of the school's times"), ("until", "Until a date"))

    action = forms.ChoiceField(
        label="Allow or block", choices=Verdict.choices, widget=forms.RadioSelect, initial=Verdict.ALLOW
    )
    what = forms.ChoiceField(label="What", choices=WHAT, widget=forms.RadioSelect, initial="sites")
    sites = LinesField(
        label="Sites",
        required=False,
        help_text="One on each line: a domain such as coolmathgames.com (with its subdomains), or a web "
        "address such as www.youtube.com/watch?v=abc (the addresses that start so)",
    )
    category = _SchoolCategoryField(
        label="Category",
        required=False,
        help_text="Locked categories (illegal content) are not listed: they block for everyone",
    )
    who = forms.ChoiceField(label="For whom", choices=WHO, widget=forms.RadioSelect, initial="group")
    group = forms.ModelChoiceField(label="Group", queryset=FilterGroup.objects.none(), required=False)
    year_group = forms.ModelChoiceField(label="Year group", queryset=YearGroup.objects.none(), required=False)
    class_group = forms.ModelChoiceField(label="Class", queryset=ClassGroup.objects.none(), required=False)
    when = forms.ChoiceField(label="When", choices=WHEN, widget=forms.RadioSelect, initial="always")
    window = forms.ModelChoiceField(label="Time", queryset=TimeWindow.objects.none(), required=False)
    until = forms.DateField(
        label="Until the end of", required=False, widget=DateInput, help_text="School time"
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        self.school = school
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, _SchoolCategoryField)
        everything = list(Category.objects.filter(school=school).order_by("name"))
        category.known = {str(c.pk): c for c in everything}
        offered = [(str(c.pk), c.name) for c in everything if not c.locked]
        category.choices = [("", "Choose a category"), *offered]
        for name, queryset in (
            ("group", FilterGroup.objects.filter(school=school).order_by("name")),
            ("year_group", YearGroup.objects.filter(school=school).order_by("order", "name")),
            ("class_group", ClassGroup.objects.filter(school=school).order_by("name")),
            ("window", TimeWindow.objects.filter(school=school).order_by("name")),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean_sites(self) -> list[str]:
        """Each line as the rule will keep it: a domain ("coolmathgames.com", also from
        "https://www.coolmathgames.com/"), or a web address with a path ("www.youtube.com/watch?v=abc")."""
        sites: list[str] = self.cleaned_data["sites"]
        _bad_lines(sites, quick_site, "a domain or web address")
        return list(dict.fromkeys(str(quick_site(s)) for s in sites))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("what") == "sites" and "sites" not in self.errors and not data.get("sites"):
            self.add_error("sites", "Give at least one site")
        if data.get("what") == "category" and "category" not in self.errors and data.get("category") is None:
            self.add_error("category", "Choose a category")
        needed = {"group": "group", "year": "year_group", "class": "class_group"}.get(str(data.get("who")))
        if needed and needed not in self.errors and data.get(needed) is None:
            self.add_error(needed, f"Choose a {self.fields[needed].label.lower()}")  # type: ignore[union-attr]
        if data.get("when") == "window" and "window" not in self.errors and data.get("window") is None:
            self.add_error("window", "Choose one of the school's times")
        if data.get("when") == "until" and "until" not in self.errors:
            until = data.get("until")
            if until is None:
                self.add_error("until", "Give the last day")
            elif until < datetime.now(school_zone(self.school)).date():
                self.add_error("until", "Give a date from today on")
            elif until > datetime.now(school_zone(self.school)).date() + timedelta(days=400):
                self.add_error("until", "Give a date within a year, or choose Always")
        return data

    def change(self) -> QuickChange:
        """The parsed change, for `quick.plan` and `quick.do_quick`."""
        data = self.cleaned_data
        sites = list(data.get("sites") or ()) if data["what"] == "sites" else []
        return QuickChange(
            school=self.school,
            action=data["action"],
            domains=tuple(s for s in sites if "/" not in s),  # as quick_site made them
            urls=tuple(s for s in sites if "/" in s),
            category=data.get("category") if data["what"] == "category" else None,
            group=data.get("group") if data["who"] == "group" else None,
            year_group=data.get("year_group") if data["who"] == "year" else None,
            class_group=data.get("class_group") if data["who"] == "class" else None,
            window=data.get("window") if data["when"] == "window" else None,
            until=data.get("until") if data["when"] == "until" else None,
        )
