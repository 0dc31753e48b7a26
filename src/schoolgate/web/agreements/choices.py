"""Who an agreement is for, and how someone accepted it."""

from __future__ import annotations

from django.db import models


class Audience(models.TextChoices):
    """The versions of the acceptable-use agreement a school keeps (policy 000: one for each)."""

    KS1 = "ks1", "Pupils in Reception and Key Stage 1"
    KS2 = "ks2", "Pupils in Key Stage 2"
    SECONDARY = "secondary", "Pupils in secondary school"
    STAFF = "staff", "Staff"
    VOLUNTEERS = "volunteers", "Volunteers and governors"
    VISITORS = "visitors", "Visitors and community users"
    PARENTS = "parents", "Parents and carers"


# The audiences whose members accept at the proxy, before their first page: they have logins there.
AT_THE_PROXY = frozenset({Audience.KS1, Audience.KS2, Audience.SECONDARY, Audience.STAFF})


class HowAccepted(models.TextChoices):
    PAPER = "paper", "Signed a paper sheet"
    PROXY = "proxy", "Accepted on the agreement page before using the internet"
    PARENT = "parent", "A parent or carer accepted on the child's behalf"
    IN_SCHOOLGATE = "schoolgate", "Accepted in Schoolgate, logged in"
