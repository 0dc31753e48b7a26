"""The sanctions matrix's fixed vocabulary: the two tables, pupils' and staff."""

from __future__ import annotations

from django.db import models


class AppliesTo(models.TextChoices):
    """Which table of the sanctions matrix a row or action belongs to (the same values as the kinds of
    incident, `incidents.choices.IncidentKind`: an incident about a pupil is answered from the pupils'
    table)."""

    PUPILS = "pupil", "Pupils"
    STAFF = "staff", "Staff"
