"""The activity log's filters, parsed by django-filter from the address (`?who=&site=&from=&to=...`).

Anything in the address is typed and checked before it reaches a query: words are tidied and cut,
choices not in the list are ignored, a year group or class is looked for among the current school's
only, and times are read as the school's local time. Every query is bounded by time (today, when no
range is asked for; at most `MAX_DAYS` days), so that it runs on the (school, at) and
(school, person, at) indexes however large the log grows.

The rows a user may see are decided before the filters (`monitoring.access.activity_subjects`); the
filters only narrow them. Someone who may not see the address of an attempt on a locked list cannot
find such attempts by their site or term either.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet

from schoolgate.web.monitoring.models import ActivityEvent, HourlyVisit
from schoolgate.web.people.models import ClassGroup, Person, YearGroup

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

SEARCH_MAX = 100
# The longest time range one list, timeline or export covers.
MAX_DAYS = 31
# How many people a name search may stand for (a name that matches more is too vague to be useful).
PEOPLE_MAX = 200

KINDS = (("search", "Searches"), ("blocked", "Blocked"), ("flagged", "Flagged"))
VERDICTS = (("blocked", "Blocked"), ("allowed", "Allowed"))


def words(value: Any) -> str:
    """What was typed, its spaces tidied, without control characters, cut to SEARCH_MAX."""
    text = "".join(c for c in str(value or "") if c.isprintable())
    return " ".join(text.split())[:SEARCH_MAX]


def zone_of(school: School) -> dt.tzinfo:
    """The school's time zone (its days and hours are its own); London when it names none we know."""
    try:
        return zoneinfo.ZoneInfo(school.timezone or "Europe/London")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/London")


def day_bounds(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """A local day's start and the next day's start, as aware datetimes."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)


def people_named(school: School, typed: str) -> QuerySet[Person]:
    """The school's people whose names (or MIS ID, or e-mail address) hold every word typed."""
    found = Person.objects.filter(school=school)
    for word in words(typed).split():
        found = found.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(mis_id__iexact=word)
            | Q(email__iexact=word)
        )
    return found


# A time as the page's `datetime-local` input sends it, or a date alone (its midnight).
TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
# The years a time or day asked for may be in. Nobody means another, and near the ends of what Python's
# dates hold (year 1, year 9999) the day before or after cannot be reckoned: outside, it is ignored.
YEARS = range(1970, 9000)


def plausible(moment: dt.date) -> bool:
    """Whether a day or time given in the address is one to take (in `YEARS`)."""
    return moment.year in YEARS


class _Common(django_filters.FilterSet):  # type: ignore[misc]
    """What the events and the visits are filtered by alike: who (a name, a year group, a class, a
    device or address), the policy group, the site and category, and the time range."""

    who = django_filters.CharFilter(method="by_who")
    group = django_filters.CharFilter(method="by_text")
    device = django_filters.CharFilter(method="by_device")
    site = django_filters.CharFilter(method="by_site")
    category = django_filters.CharFilter(method="by_text")

    time_field: ClassVar[str] = "at"

    def __init__(self, data: Any, queryset: QuerySet[Any], *, school: School, sees_locked: bool) -> None:
        super().__init__(data, queryset)
        self.school = school
        self.sees_locked = sees_locked
        self.zone = zone_of(school)
        self._named: dict[str, list[int]] = {}
        self.filters["year"].queryset = YearGroup.objects.filter(school=school)
        self.filters["class"].queryset = ClassGroup.objects.filter(school=school)

    def not_found(self) -> bool:
        """A year group or class asked for by a number that is not one of this school's: 404, as for
        any other school's record."""
        for name in ("year", "class"):
            given = str(self.data.get(name, ""))
            if given.isascii() and given.isdigit() and self.errors.get(name):
                return True
        return False

    # -- the filters -------------------------------------------------------------------------------

    def by_who(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """The people whose names hold every word typed; when nobody's does, the user name (or, for
        the sites visited, the address) exactly as typed. One or the other, never both in one query:
        each runs on its own index."""
        typed = words(value)
        if not typed:
            return queryset
        ids = self._people(typed)[:PEOPLE_MAX]
        if ids:
            return queryset.filter(person_id__in=ids)
        user_field = "user_name" if self.time_field == "at" else "who"
        return queryset.filter(**{f"{user_field}__iexact": typed})

    def _people(self, typed: str) -> list[int]:
        """The ids of the people `typed` names, one more than PEOPLE_MAX at most (to know that there
        are more), read once per page."""
        if typed not in self._named:
            named = people_named(self.school, typed).order_by("pk").values_list("pk", flat=True)
            self._named[typed] = list(named[: PEOPLE_MAX + 1])
        return self._named[typed]

    def by_text(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        typed = words(value)
        return queryset.filter(**{f"{name}__iexact": typed}) if typed else queryset

    def by_device(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        typed = words(value)
        return queryset.filter(Q(device__icontains=typed) | Q(ip=typed)) if typed else queryset

    def by_site(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        typed = words(value).lower().strip(".")
        if not typed:
            return queryset
        found = queryset.filter(Q(site=typed) | Q(site__endswith=f".{typed}"))
        return self._not_locked(found)

    def _not_locked(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    # Read by the page itself, not handed to django-filter's loop.
    own: ClassVar[frozenset[str]] = frozenset({"year", "class", "from", "to"})

    def data_given(self) -> dict[str, Any]:
        """The fields that were valid, as typed values (an invalid one is left out, not an error)."""
        if not self.is_bound:
            return {}
        self.form.errors  # noqa: B018 (validates the form)
        return dict(getattr(self.form, "cleaned_data", {}))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.data_given()
        for name, value in data.items():
            if name not in self.own and value not in (None, ""):
                queryset = self.filters[name].filter(queryset, value)
        start, end = self.range()
        queryset = queryset.filter(**{f"{self.time_field}__gte": start, f"{self.time_field}__lt": end})
        year, group = data.get("year"), data.get("class")
        if year is not None:
            return queryset.filter(person__year_group=year)  # a year group is chosen before a class
        if group is not None:
            return queryset.filter(person__class_group=group)
        return queryset

    def range(self) -> tuple[dt.datetime, dt.datetime]:
        """The time range asked for, as aware datetimes: today when none is, the end a day after the
        start when only the start is given, and at most MAX_DAYS days. A time outside `YEARS` is not
        taken (as one that is not a time at all)."""
        data = self.data_given()
        start, end = data.get("from"), data.get("to")
        start = start.astimezone(self.zone) if start is not None and plausible(start) else None
        end = end.astimezone(self.zone) if end is not None and plausible(end) else None
        if start is None and end is None:
            today = dt.datetime.now(self.zone).date()
            return day_bounds(today, self.zone)
        if start is None:
            assert end is not None
            start = end - dt.timedelta(days=1)
        if end is None or end <= start:
            end = start + dt.timedelta(days=1)
        if end - start > dt.timedelta(days=MAX_DAYS):
            end = start + dt.timedelta(days=MAX_DAYS)
        return start, end

    def chosen(self) -> dict[str, Any]:
        """What the list is showing, for the page's form, its heading and the export's record."""
        data = self.data_given()
        start, end = self.range()
        year, group = data.get("year"), data.get("class")
        out: dict[str, Any] = {
            name: words(data.get(name) or "") for name in ("who", "group", "device", "site", "category")
        }
        who = out["who"]
        out.update(
            {
                # A name that stands for more people than are looked for: the page says so.
                "too_many": PEOPLE_MAX if who and len(self._people(who)) > PEOPLE_MAX else 0,
                "from": start.strftime("%Y-%m-%dT%H:%M"),
                "to": end.strftime("%Y-%m-%dT%H:%M"),
                "start": start,
                "end": end,
                "year": str(year.pk) if year is not None else "",
                "class": str(group.pk) if group is not None and year is None else "",
                "group_chosen": year or group,
            }
        )
        return out


class ActivityFilter(_Common):
    """The activity log's events: searches, blocks and flags, with what kind and verdict, and the
    search term (words it contains). The keystroke trail of a search ("h", "ho", "how") is hidden
    unless asked for (`trail`)."""

    kind = django_filters.ChoiceFilter(choices=KINDS, method="by_kind")
    verdict = django_filters.ChoiceFilter(choices=VERDICTS, method="by_verdict")
    term = django_filters.CharFilter(method="by_term")
    trail = django_filters.ChoiceFilter(choices=(("1", "Show the keystroke trail"),), method="by_trail")

    class Meta:
        model = ActivityEvent
        fields: ClassVar[list[str]] = []

    def by_kind(self, queryset: QuerySet[ActivityEvent], name: str, value: str) -> QuerySet[ActivityEvent]:
        if value == "search":
            return queryset.exclude(term="")
        if value == "blocked":
            return queryset.filter(blocked=True)
        if value == "flagged":
            return queryset.exclude(flag="")
        return queryset

    def by_verdict(self, queryset: QuerySet[ActivityEvent], name: str, value: str) -> QuerySet[ActivityEvent]:
        return queryset.filter(blocked=value == "blocked")

    def by_term(self, queryset: QuerySet[ActivityEvent], name: str, value: str) -> QuerySet[ActivityEvent]:
        typed = words(value)
        if not typed:
            return queryset
        return self._not_locked(queryset.filter(term__icontains=typed))

    def by_trail(self, queryset: QuerySet[ActivityEvent], name: str, value: str) -> QuerySet[ActivityEvent]:
        return queryset  # hidden unless asked for: see filter_queryset

    def _not_locked(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset if self.sees_locked else queryset.filter(locked=False)

    def filter_queryset(self, queryset: QuerySet[ActivityEvent]) -> QuerySet[ActivityEvent]:
        found = super().filter_queryset(queryset)
        return found if self.data_given().get("trail") == "1" else found.filter(superseded=False)

    def chosen(self) -> dict[str, Any]:
        out = super().chosen()
        data = self.data_given()
        out.update(
            {
                "kind": data.get("kind") or "",
                "verdict": data.get("verdict") or "",
                "term": words(data.get("term") or ""),
                "trail": data.get("trail") == "1",
            }
        )
        return out


class VisitFilter(_Common):
    """The sites visited (allowed traffic, counted per person, site and hour), by the same who, site
    and time filters as the events."""

    time_field: ClassVar[str] = "hour"

    class Meta:
        model = HourlyVisit
        fields: ClassVar[list[str]] = []


# "class" and "from" are keywords in Python: these filters are added by name.
for _set in (ActivityFilter, VisitFilter):
    _set.base_filters["year"] = django_filters.ModelChoiceFilter(queryset=YearGroup.objects.none())
    _set.base_filters["class"] = django_filters.ModelChoiceFilter(queryset=ClassGroup.objects.none())
    _set.base_filters["from"] = django_filters.DateTimeFilter(input_formats=TIME_FORMATS)
    _set.base_filters["to"] = django_filters.DateTimeFilter(input_formats=TIME_FORMATS)
