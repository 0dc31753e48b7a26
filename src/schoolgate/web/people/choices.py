from django.db import models


class PersonKind(models.TextChoices):
    PUPIL = "pupil", "Pupil"
    STAFF = "staff", "Staff"
    GOVERNOR = "governor", "Governor"
    VISITOR = "visitor", "Visitor"
    SUPPLY = "supply", "Supply staff"
    COMMUNITY = "community", "Community user"
    PARENT = "parent", "Parent or carer"


# Who is in school only for a while: their record carries an expiry, after which their network
# access stops (the policies' "temporary access ... recorded").
TEMPORARY_KINDS = frozenset({PersonKind.VISITOR, PersonKind.SUPPLY, PersonKind.COMMUNITY})


class KeyStage(models.TextChoices):
    EYFS = "eyfs", "Early years (EYFS)"
    KS1 = "ks1", "Key Stage 1"
    KS2 = "ks2", "Key Stage 2"
    KS3 = "ks3", "Key Stage 3"
    KS4 = "ks4", "Key Stage 4"
    KS5 = "ks5", "Key Stage 5 (sixth form)"


class Relationship(models.TextChoices):
    PARENT = "parent", "Parent"
    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    CARER = "carer", "Carer"
    GUARDIAN = "guardian", "Guardian"
    GRANDPARENT = "grandparent", "Grandparent"
    SOCIAL_WORKER = "social-worker", "Social worker"
    OTHER = "other", "Other"


class IdentityKind(models.TextChoices):
    USERNAME = "username", "User name (as the proxy sees it)"
    DEVICE = "device", "Device (by its address)"
    NETWORK = "network", "Address range"


class ImportKind(models.TextChoices):
    """The three exports a school takes from its MIS."""

    PUPILS = "pupils", "Pupils"
    STAFF = "staff", "Staff"
    PARENTS = "parents", "Parents and carers"


class ImportStatus(models.TextChoices):
    CHECKED = "checked", "Checked, not imported yet"
    IMPORTED = "imported", "Imported"
    EXPIRED = "expired", "Expired without being imported"
