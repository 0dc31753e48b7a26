"""The people lists' search and filters, parsed by django-filter from the address (`?q=&kind=&show=`).

Anything in the address is typed and checked before it reaches a query: an unknown kind is ignored, a
year group or class is looked for among the current school's only (`restrict`), and the search words
are tidied and cut to 100 characters.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.core.access import StaffRequest
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person, PersonQuerySet, YearGroup

SEARCH_MAX = 100


def search_words(value: str) -> str:
    """The search as typed, its spaces tidied and cut to SEARCH_MAX characters."""
    return " ".join(str(value or "").split())[:SEARCH_MAX]


def _years(request: StaffRequest) -> QuerySet[YearGroup]:
    return YearGroup.objects.restrict(request.user, Capability.PEOPLE_VIEW, request.school)


def _classes(request: StaffRequest) -> QuerySet[ClassGroup]:
    return ClassGroup.objects.restrict(request.user, Capability.PEOPLE_VIEW, request.school)


class PeopleFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The people list: who (kind), current or archived records, a year group or class, and words
    matched against the names, the MIS ID and the e-mail address."""

    q = django_filters.CharFilter(method="search")
    kind = django_filters.ChoiceFilter(choices=PersonKind.choices)
    show = django_filters.ChoiceFilter(choices=[("archived", "Archived or expired")], method="records")
    year = django_filters.ModelChoiceFilter(field_name="year_group", queryset=_years)

    class Meta:
        model = Person
        fields: ClassVar[list[str]] = []

    def not_found(self) -> bool:
        """A year group (or, with none, a class) asked for by its number that is not one of this
        school's: the page answers 404, as for any other school's record."""
        for name in ("year", "class"):
            given = str(self.data.get(name, ""))
            if given.isascii() and given.isdigit():
                return bool(self.errors.get(name))
        return False

    def search(self, queryset: PersonQuerySet, name: str, value: str) -> PersonQuerySet:
        for word in search_words(value).split():
            queryset = queryset.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(mis_id__iexact=word)
                | Q(email__iexact=word)
            )
        return queryset

    def records(self, queryset: PersonQuerySet, name: str, value: str) -> PersonQuerySet:
        return queryset.exclude(pk__in=queryset.current().values("pk"))

    def filter_queryset(self, queryset: PersonQuerySet) -> PersonQuerySet:
        data = self.form.cleaned_data
        if data.get("year") is not None:
            data.pop("class", None)  # a year group is chosen before a class
        found: PersonQuerySet = super().filter_queryset(queryset)
        return found if data.get("show") else found.current()

    def chosen(self) -> dict[str, Any]:
        """What the list is showing, for the page's search form and its heading."""
        data = self.form.cleaned_data if self.is_bound else {}
        year, group = data.get("year"), data.get("class")
        return {
            "q": search_words(data.get("q") or ""),
            "kind": data.get("kind") or "",
            "show": data.get("show") or "",
            "group": year or group,
            "year": str(year.pk) if year is not None else "",
            "class": str(group.pk) if group is not None and year is None else "",
        }


# "class" is a keyword in Python: the class filter is added by name.
PeopleFilter.base_filters["class"] = django_filters.ModelChoiceFilter(
    field_name="class_group", queryset=_classes
)


class IdentityFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The network identities: their kind, and words matched against the identity, its description
    and its person's names."""

    q = django_filters.CharFilter(method="search")
    kind = django_filters.ChoiceFilter(choices=IdentityKind.choices)

    class Meta:
        model = NetworkIdentity
        fields: ClassVar[list[str]] = []

    def search(self, queryset: QuerySet[NetworkIdentity], name: str, value: str) -> QuerySet[NetworkIdentity]:
        for word in search_words(value).split():
            queryset = queryset.filter(
                Q(value__icontains=word)
                | Q(label__icontains=word)
                | Q(person__first_name__icontains=word)
                | Q(person__last_name__icontains=word)
            )
        return queryset

    def chosen(self) -> dict[str, Any]:
        data = self.form.cleaned_data if self.is_bound else {}
        return {"q": search_words(data.get("q") or ""), "kind": data.get("kind") or ""}
