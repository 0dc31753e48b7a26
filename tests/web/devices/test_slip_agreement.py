"""The guest's slip names the agreement that person is asked to accept (`agreements.audience_of`): the
staff agreement for supply staff (the one the proxy shows them), the visitors' for visitors."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from schoolgate.web.agreements.choices import Audience
from schoolgate.web.agreements.models import AgreementVersion
from schoolgate.web.people.choices import PersonKind
from tests.web.devices.samples import visitor
from tests.web.factories import Cast
from tests.web.pages import logged_in, text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "named", "not_named"),
    [
        (PersonKind.SUPPLY, "Staff agreement 2026", "Visitors agreement 2026"),
        (PersonKind.VISITOR, "Visitors agreement 2026", "Staff agreement 2026"),
    ],
)
def test_the_slip_names_the_guests_own_agreement(
    cast: Cast, password_file: Path, kind: PersonKind, named: str, not_named: str
) -> None:
    titles = {Audience.STAFF: "Staff agreement 2026", Audience.VISITORS: "Visitors agreement 2026"}
    for audience, title in titles.items():
        AgreementVersion.objects.create(
            school=cast.a, audience=audience, number=1, title=title, text="I will be kind online.",
            in_force_from=timezone.localdate(), written_at=timezone.now(),
        )  # fmt: skip
    guest = visitor(cast.a, organisation="Supply agency")
    guest.kind = kind
    guest.save()
    until = timezone.localtime(guest.expires_at).strftime("%Y-%m-%dT%H:%M")
    slip = text(logged_in(cast.omar).post(f"/devices/guests/new/{guest.pk}/", {"until": until}))
    assert named in slip and not_named not in slip
