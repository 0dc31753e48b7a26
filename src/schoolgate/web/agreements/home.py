"""What the agreements put on the home page: for a logged-in person who has not accepted this school
year's agreement for them, a link to read and accept it. Three small queries; nothing for a login with
no record at the school, or whose audience has no agreement in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schoolgate.web.agreements.models import Acceptance, AgreementVersion, audience_of
from schoolgate.web.core.schoolyear import school_year
from schoolgate.web.people.models import Person

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School


@dataclass(frozen=True)
class Panel:
    version: AgreementVersion | None = None

    @property
    def shown(self) -> bool:
        return self.version is not None


def today(user: User, school: School, day: dt.date) -> Panel:
    """The version `user` is still to accept this school year at `school`, if any."""
    if not user.is_authenticated:
        return Panel()
    person = Person.objects.filter(school=school, user=user).select_related("year_group").first()
    audience = audience_of(person) if person is not None else None
    if person is None or audience is None:
        return Panel()
    version = AgreementVersion.objects.filter(school=school).in_force(audience, day)
    if version is None:
        return Panel()
    done = Acceptance.objects.filter(version=version, person=person, school_year=school_year(day)).exists()
    return Panel(None if done else version)
