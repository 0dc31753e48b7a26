"""The fixed choices of the policy editor, with the words the pages show for them."""

from __future__ import annotations

from django.db import models

from schoolgate.engine.policy import DEFAULT_GROUP, EVERYONE

__all__ = [
    "DEFAULT_GROUP",
    "EVERYONE",
    "AlertLevel",
    "DateKind",
    "Day",
    "ListFormat",
    "MemberKind",
    "Uksic",
    "Verdict",
    "YouTube",
]


class Verdict(models.TextChoices):
    ALLOW = "allow", "Allow"
    BLOCK = "block", "Block"


class YouTube(models.TextChoices):
    STRICT = "strict", "Strict (the safest videos only)"
    MODERATE = "moderate", "Moderate"
    OFF = "off", "Off (no restriction)"


class AlertLevel(models.TextChoices):
    NONE = "none", "No alert"
    LOW = "low", "Low: in the weekly report"
    MEDIUM = "medium", "Medium: in the DSL's daily digest e-mail"
    HIGH = "high", "High: the DSL is e-mailed at once"


class ListFormat(models.TextChoices):
    SQUIDGUARD = "squidguard", "A folder of categories, as UT1 ships them (squidGuard)"
    DOMAINS = "domains", "A file with one domain per line"
    HOSTS = "hosts", "A hosts file (0.0.0.0 name name ...)"


class MemberKind(models.TextChoices):
    """How people and devices come into a filter group: the most specific way wins when the same user
    name or address would come into two groups (see `render.SPECIFICITY`)."""

    PERSON_KIND = "kind", "Everyone of a kind (all staff, all visitors, ...)"
    YEAR_GROUP = "year", "A year group"
    CLASS_GROUP = "class", "A class"
    PERSON = "person", "One person"
    IDENTITY = "identity", "A user name, device or address range"


class DateKind(models.TextChoices):
    TERM = "term", "Term"
    HOLIDAY = "holiday", "Holiday or closure"


class Day(models.TextChoices):
    MON = "mon", "Monday"
    TUE = "tue", "Tuesday"
    WED = "wed", "Wednesday"
    THU = "thu", "Thursday"
    FRI = "fri", "Friday"
    SAT = "sat", "Saturday"
    SUN = "sun", "Sunday"


class Uksic(models.TextChoices):
    """The UK Safer Internet Centre's categories (engine.policy.UKSIC_CATEGORIES, in the same order)."""

    DISCRIMINATION = "discrimination", "Discrimination"
    DRUGS = "drugs", "Drugs and substance abuse"
    EXTREMISM = "extremism", "Extremism"
    GAMBLING = "gambling", "Gambling"
    HATE_SPEECH = "hate-speech", "Hate speech"
    MALWARE_HACKING = "malware-hacking", "Malware and hacking"
    MISINFORMATION = "misinformation", "Mis- and disinformation"
    PORNOGRAPHY = "pornography", "Pornography"
    PIRACY = "piracy", "Piracy and copyright theft"
    SELF_HARM = "self-harm", "Self harm"
    VIOLENCE = "violence", "Violence"
    ILLEGAL = "illegal", "Illegal content"
