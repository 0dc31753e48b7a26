"""The fixed lists of the training records."""

from __future__ import annotations

from django.db import models

from schoolgate.web.people.choices import PersonKind


class CourseKind(models.TextChoices):
    """What a course is, so that the school's own names can differ ("Level 1 safeguarding")."""

    INDUCTION = "induction", "Induction"
    SAFEGUARDING = "safeguarding", "Annual safeguarding update"
    ONLINE_SAFETY = "online-safety", "Online safety"
    PREVENT = "prevent", "Prevent"
    GOVERNOR = "governor", "Governor training"
    OTHER = "other", "Other"


class ForWhom(models.TextChoices):
    STAFF = "staff", "Staff"
    GOVERNORS = "governors", "Governors"
    BOTH = "both", "Staff and governors"


# The people a course is for, by the kind of their record. Supply staff, visitors and volunteers are
# briefed by their host, not kept in the matrix: a short stay has no refresher to chase.
KINDS_FOR: dict[str, tuple[str, ...]] = {
    ForWhom.STAFF: (PersonKind.STAFF,),
    ForWhom.GOVERNORS: (PersonKind.GOVERNOR,),
    ForWhom.BOTH: (PersonKind.STAFF, PersonKind.GOVERNOR),
}


class Standing(models.TextChoices):
    """Where one person stands on one course, on one day."""

    IN_DATE = "in-date", "In date"
    DUE_SOON = "due-soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    NEVER = "never", "Never done"
