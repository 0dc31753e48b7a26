"""The policy editor's records, kept per school: what `render.py` turns into the policy file.

Every record but `PolicyVersion` derives from `Audited`, so each save and delete is written to the
audit trail. A rule's links to groups, categories and site lists are many-to-many; `actions.py` writes
their changes to the trail itself (Django's signals do not see them as saves of the rule).

`PolicyVersion` is the record of a publish: written once by `actions.publish`/`actions.restore`
(which write the "publish"/"restore" entry of the trail in the same transaction) and never changed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from schoolgate.web.audit.models import Audited
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person, YearGroup
from schoolgate.web.policy.choices import (
    DEFAULT_GROUP,
    AlertLevel,
    DateKind,
    ListFormat,
    MemberKind,
    Uksic,
    Verdict,
    YouTube,
)
from schoolgate.web.tenancy.models import SchoolScoped
from schoolgate.web.tenancy.querysets import SchoolQuerySet

DEFAULT_BLOCK_PAGE = "http://127.0.0.1:8080/blocked"

policy_name = RegexValidator(
    r"\A[a-z0-9][a-z0-9_-]*\Z",
    'Use lower-case letters, digits and hyphens, starting with a letter or digit, for example "ks2" '
    'or "nominated-staff"',
)
NAME_HELP = "A short name, as the filter's explanations show it: lower-case letters, digits and hyphens"


def _name_field(help_text: str = NAME_HELP) -> models.CharField[str, str]:
    return models.CharField("short name", max_length=60, validators=[policy_name], help_text=help_text)


def _strings() -> models.JSONField[Any, Any]:
    return models.JSONField(default=list, blank=True)


class SchoolPolicy(Audited, SchoolScoped):
    """The school's own settings in the policy file (`[school]`): one row per school."""

    block_page = models.CharField(
        "block page address",
        max_length=300,
        default=DEFAULT_BLOCK_PAGE,
        help_text="Where a blocked browser is sent: an http:// or https:// address",
    )
    unparsable = models.CharField(
        "a request that cannot be read as a web address",
        max_length=5,
        choices=Verdict.choices,
        default=Verdict.BLOCK,
    )

    objects = SchoolQuerySet["SchoolPolicy"].as_manager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("school",), name="policy_settings_once"),)
        verbose_name = "policy settings"
        verbose_name_plural = "policy settings"

    def __str__(self) -> str:
        return "policy settings"

    def get_absolute_url(self) -> str:
        return reverse("policy:settings")


class ListSource(Audited, SchoolScoped):
    """A list of sites compiled into the index (`[lists.NAME]`). The locked illegal-content lists (IWF,
    police-assessed terrorism) are set up with the school and never change through the editor."""

    name = _name_field("How categories name it: ut1 gives ut1/gambling, ut1/adult, ...")
    format = models.CharField(max_length=12, choices=ListFormat.choices, default=ListFormat.SQUIDGUARD)
    path = models.CharField(
        max_length=500,
        help_text="The folder or file on the server, relative to the published policy file, or "
        "builtin:ut1-sample for the small sample that comes with Schoolgate",
    )
    locked = models.BooleanField(default=False, editable=False)
    description = models.CharField(max_length=300, blank=True)

    objects = SchoolQuerySet["ListSource"].as_manager()

    class Meta:
        ordering = ("school", "-locked", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="list_name_once"),)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("policy:list", args=[self.pk])


class FilterGroup(Audited, SchoolScoped):
    """A filtering profile (`[groups.NAME]`): pupils of a key stage, staff, visitors. The group
    `default` is for anyone the filter cannot identify and must block when no rule matches."""

    name = _name_field()
    description = models.CharField(max_length=300, blank=True)
    default = models.CharField(
        "when no rule matches", max_length=5, choices=Verdict.choices, default=Verdict.BLOCK
    )
    safe_search = models.BooleanField(
        "safe search locked on",
        default=True,
        help_text="Google, Bing and DuckDuckGo show safe results only",
    )
    youtube = models.CharField(
        "YouTube restriction", max_length=8, choices=YouTube.choices, default=YouTube.STRICT
    )
    # A group within another (`within` in the policy file): its people get the other group's rules
    # too, after any rule that names this group, so making "year-6" within "pupils" takes nobody out
    # of the pupils' rules. Its own `default`, safe search and YouTube settings still apply.
    within = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        verbose_name="part of",
        help_text="Its people also get every rule of this group (after the rules that name this one)",
    )

    objects = SchoolQuerySet["FilterGroup"].as_manager()

    class Meta:
        ordering = ("school", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="filter_group_name_once"),)

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_GROUP

    def get_absolute_url(self) -> str:
        return reverse("policy:group", args=[self.pk])


def _only(kind: MemberKind, field: str) -> Q:
    """The member of this kind names `field` and nothing else."""
    others = {"person_kind", "year_group", "class_group", "person", "identity"} - {field}
    condition = Q(kind=kind) & (
        ~Q(person_kind="") if field == "person_kind" else Q(**{f"{field}__isnull": False})
    )
    for other in sorted(others):
        condition &= Q(person_kind="") if other == "person_kind" else Q(**{f"{other}__isnull": True})
    return condition


class GroupMember(Audited, SchoolScoped):
    """Who is in a filter group: everyone of a kind, a year group, a class, one person, or one network
    identity. The user names of the people it covers become the group's `users`; their devices and
    address ranges, and an identity named directly, its `networks`."""

    group = models.ForeignKey(FilterGroup, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(max_length=10, choices=MemberKind.choices)
    person_kind = models.CharField(max_length=20, choices=PersonKind.choices, blank=True)
    year_group = models.ForeignKey(
        YearGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    class_group = models.ForeignKey(
        ClassGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="class"
    )
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    identity = models.ForeignKey(
        NetworkIdentity, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    objects = SchoolQuerySet["GroupMember"].as_manager()

    class Meta:
        ordering = ("group", "kind", "id")
        constraints = (
            models.CheckConstraint(
                condition=_only(MemberKind.PERSON_KIND, "person_kind")
                | _only(MemberKind.YEAR_GROUP, "year_group")
                | _only(MemberKind.CLASS_GROUP, "class_group")
                | _only(MemberKind.PERSON, "person")
                | _only(MemberKind.IDENTITY, "identity"),
                name="member_names_one_thing",
            ),
        )

    def __str__(self) -> str:
        return f"{self.describe()} in {self.group}" if self.group_id else self.describe()

    def describe(self) -> str:
        """In words: "everyone who is Staff", "year group Year 5", "Amelia Hughes"."""
        if self.kind == MemberKind.PERSON_KIND:
            return f"everyone who is {PersonKind(self.person_kind).label}"
        if self.kind == MemberKind.YEAR_GROUP:
            return f"year group {self.year_group}"
        if self.kind == MemberKind.CLASS_GROUP:
            return f"class {self.class_group}"
        if self.kind == MemberKind.PERSON:
            return str(self.person)
        identity = self.identity
        if identity is None:
            return "an identity"
        label = f" ({identity.label})" if identity.label and identity.label != identity.value else ""
        return f"{identity.get_kind_display().split(' (')[0].lower()} {identity.value}{label}"


class SchoolDate(Audited, SchoolScoped):
    """A term, or a holiday or closure: windows limited to term time use them."""

    kind = models.CharField(max_length=8, choices=DateKind.choices, default=DateKind.TERM)
    name = models.CharField(max_length=100, blank=True, help_text='For example "Autumn term" or "Half term"')
    first = models.DateField("first day")
    last = models.DateField("last day")

    objects = SchoolQuerySet["SchoolDate"].as_manager()

    class Meta:
        ordering = ("school", "first", "last", "id")
        constraints = (models.CheckConstraint(condition=Q(last__gte=F("first")), name="date_range_in_order"),)
        verbose_name = "term or holiday"
        verbose_name_plural = "terms and holidays"

    def __str__(self) -> str:
        span = self.first.isoformat() if self.first == self.last else f"{self.first}..{self.last}"
        return f"{self.name or self.get_kind_display()} ({span})"

    @property
    def range_text(self) -> str:
        """As the policy file writes it: "2026-09-03..2026-12-18", or one date."""
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("policy:date", args=[self.pk])


class TimeWindow(Audited, SchoolScoped):
    """A named weekly time window (`[windows.NAME]`), in the school's time zone."""

    name = _name_field()
    description = models.CharField(max_length=300, blank=True)
    days = _strings()  # day codes: "mon" .. "sun"
    times = _strings()  # daily spans: "08:45-12:00"; none means the whole day
    term_time_only = models.BooleanField(
        "only in term time",
        default=False,
        help_text="Uses the school's term dates, and leaves out its holidays",
    )

    objects = SchoolQuerySet["TimeWindow"].as_manager()

    class Meta:
        ordering = ("school", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="window_name_once"),)
        verbose_name = "time window"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("policy:window", args=[self.pk])


class Category(Audited, SchoolScoped):
    """A Schoolgate category (`[categories.NAME]`): list sources under one name, with the UKSIC
    category they fall under. Locked categories (illegal content) block for everyone and never change
    through the editor."""

    name = _name_field()
    description = models.CharField(max_length=300, blank=True)
    sources = _strings()  # "ut1/gambling", "iwf"
    uksic = models.CharField("UKSIC category", max_length=20, choices=Uksic.choices, blank=True)
    locked = models.BooleanField(default=False, editable=False)

    objects = SchoolQuerySet["Category"].as_manager()

    class Meta:
        ordering = ("school", "-locked", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="category_name_once"),)
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("policy:category", args=[self.pk])


class SiteList(Audited, SchoolScoped):
    """A hand-kept list of sites (`[sites.NAME]`), allowed or blocked by the rules that name it."""

    name = _name_field()
    description = models.CharField(max_length=300, blank=True)
    domains = _strings()
    urls = _strings()

    objects = SchoolQuerySet["SiteList"].as_manager()

    class Meta:
        ordering = ("school", "name")
        constraints = (models.UniqueConstraint(fields=("school", "name"), name="site_list_name_once"),)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("policy:site", args=[self.pk])


class Rule(Audited, SchoolScoped):
    """One of the ordered rules (`[[rules]]`): the first that matches wins. `position` orders them;
    only the order matters, so a rule put at the top takes a position below the first one's."""

    position = models.IntegerField(default=0)
    name = models.CharField(max_length=200)
    action = models.CharField(max_length=5, choices=Verdict.choices, default=Verdict.BLOCK)
    everyone = models.BooleanField(default=True)
    groups = models.ManyToManyField(FilterGroup, blank=True, related_name="rules")
    categories = models.ManyToManyField(Category, blank=True, related_name="rules")
    sites = models.ManyToManyField(SiteList, blank=True, related_name="rules", verbose_name="site lists")
    domains = _strings()
    urls = _strings()
    patterns = _strings()
    all_sites = models.BooleanField("every site", default=False)
    window = models.ForeignKey(
        TimeWindow,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rules",
        verbose_name="time window",
    )
    starts = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    alert = models.CharField(max_length=6, choices=AlertLevel.choices, default=AlertLevel.NONE)

    objects = SchoolQuerySet["Rule"].as_manager()

    class Meta:
        ordering = ("school", "position", "id")
        indexes = (models.Index(fields=("school", "position")),)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("policy:rule", args=[self.pk])


class PolicyVersion(SchoolScoped):
    """A published policy: its text exactly as written to the snapshot file, who published it, when
    and why. Numbered 1, 2, 3 ... per school. Never changed or removed."""

    number = models.PositiveIntegerField()
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    # Who published it: a person, or (published_by empty) Schoolgate's worker, which republishes when
    # something in the running policy expires; `published_by_name` says which in words.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by_name = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField()
    reason = models.TextField()
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="restorations"
    )

    objects = SchoolQuerySet["PolicyVersion"].as_manager()

    class Meta:
        ordering = ("school", "-number")
        constraints = (models.UniqueConstraint(fields=("school", "number"), name="version_number_once"),)

    def __str__(self) -> str:
        return f"policy version {self.number}"

    @property
    def publisher(self) -> str:
        """Who published it, in words: the person, or what published it for the school."""
        if self.published_by_id is not None:
            return str(self.published_by)
        return self.published_by_name or "Schoolgate"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("a published policy version is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("a published policy version is never removed")

    def get_absolute_url(self) -> str:
        return reverse("policy:version", args=[self.number])
