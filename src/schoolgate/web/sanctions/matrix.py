"""The sanctions matrix a school starts with: filled from the online safety policy's tables (`seed`)
the first time a page needs it, written to the audit trail as set up from the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from schoolgate.web.core.actions import acting
from schoolgate.web.sanctions import seed
from schoolgate.web.sanctions.choices import AppliesTo
from schoolgate.web.sanctions.models import Misuse, SanctionAction

if TYPE_CHECKING:
    from schoolgate.web.tenancy.models import School

SEED_ACTOR = "schoolgate (the policy's sanctions tables)"


def ensure_matrix(school: School) -> None:
    """Fill the school's matrix from the policy's tables, the first time it is needed."""
    if SanctionAction.objects.filter(school=school).exists():
        return
    try:
        with transaction.atomic(), acting(SEED_ACTOR, "set up from the online safety policy"):
            for applies_to, actions, rows in (
                (AppliesTo.PUPILS, seed.PUPIL_ACTIONS, seed.PUPIL_MISUSE),
                (AppliesTo.STAFF, seed.STAFF_ACTIONS, seed.STAFF_MISUSE),
            ):
                made = {}
                for order, (key, name, is_sanction) in enumerate(actions):
                    made[key] = SanctionAction.objects.create(
                        school=school, applies_to=applies_to, key=key, name=name,
                        is_sanction=is_sanction, order=order,
                    )  # fmt: skip
                for order, (key, description, expected) in enumerate(rows):
                    misuse = Misuse.objects.create(
                        school=school, applies_to=applies_to, key=key, description=description,
                        is_continued=key == seed.CONTINUED_KEY, order=order,
                    )  # fmt: skip
                    misuse.expected.set([made[k] for k in expected])
    except IntegrityError:  # set up meanwhile by another request
        return
