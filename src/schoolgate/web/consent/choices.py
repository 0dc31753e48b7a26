"""The choices of photo and video consent: what a photo may be used for, and how a decision came."""

from __future__ import annotations

from django.db import models


class Purpose(models.TextChoices):
    """What a photo or video of a child may be used for (each asked separately: a parent may be happy
    with a display in the corridor and not with social media)."""

    DISPLAYS = "displays", "School displays"
    WEBSITE = "website", "The school website"
    SOCIAL = "social", "Social media"
    NEWSLETTERS = "newsletters", "Newsletters"
    PRESS = "press", "The press"
    LESSONS = "lessons", "Recorded lessons and video conferences"


# What each purpose means, in the words a parent reads on the consent page.
EXPLANATIONS: dict[str, str] = {
    Purpose.DISPLAYS: "Photos on the walls and screens inside school, seen by pupils, staff and visitors.",
    Purpose.WEBSITE: "Photos and videos on the school's website, which anyone on the internet can see.",
    Purpose.SOCIAL: (
        "Photos and videos on the school's own social media pages, which anyone can see and share."
    ),
    Purpose.NEWSLETTERS: "Photos in the newsletters the school sends to families, on paper or by e-mail.",
    Purpose.PRESS: "Photos or filming by local newspapers, radio or television, for example at an event.",
    Purpose.LESSONS: (
        "Lessons recorded for pupils to watch again, and live video lessons or calls with other "
        "schools, where your child may be seen or heard."
    ),
}


class Decision(models.TextChoices):
    GIVEN = "given", "Given"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A child's state for one purpose: a decision, or no record at all (never asked: not given).
NOT_ASKED = "not-asked"
STATE_LABELS = {Decision.GIVEN: "Given", Decision.WITHDRAWN: "Withdrawn", NOT_ASKED: "Not asked yet"}


class HowGiven(models.TextChoices):
    """How the decision reached the school."""

    PAPER = "paper", "Paper form"
    PHONE = "phone", "Phone call"
    EMAIL = "email", "E-mail"
    IN_PERSON = "in-person", "In person"
    LINK = "link", "Consent link (by the parent)"


# What the office records by hand (the link is the parent's own).
BY_HAND = tuple((value, label) for value, label in HowGiven.choices if value != HowGiven.LINK)
