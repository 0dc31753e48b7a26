"""The online safety log's fixed vocabularies: kinds, areas of risk, types, the workflow's states."""

from __future__ import annotations

from django.db import models


class IncidentKind(models.TextChoices):
    PUPIL = "pupil", "About a pupil"
    STAFF = "staff", "About a member of staff (an allegation or a concern)"


class RiskArea(models.TextChoices):
    """The four areas of risk (KCSIE): what a child sees, who they meet, what they do, what they buy."""

    CONTENT = "content", "Content: harmful or illegal material"
    CONTACT = "contact", "Contact: harmful contact with others"
    CONDUCT = "conduct", "Conduct: behaviour that causes or risks harm"
    COMMERCE = "commerce", "Commerce: gambling, scams, phishing, pressure to buy"


class IncidentType(models.TextChoices):
    CYBERBULLYING = "cyberbullying", "Cyberbullying"
    GROOMING = "grooming", "Grooming"
    NUDES = "nudes", "Sharing nudes and semi-nudes"
    RADICALISATION = "radicalisation", "Radicalisation"
    SELF_HARM = "self-harm", "Self-harm"
    HARMFUL_CONTENT = "harmful-content", "Harmful content"
    MISUSE = "misuse", "Misuse of school systems"
    FILTER_BYPASS = "filter-bypass", "Filter bypass"
    DATA_PROTECTION = "data-protection", "Data protection"
    OTHER = "other", "Other"


# Types that are safeguarding matters for the DSL and deputies only: reported, they start restricted.
RESTRICTED_TYPES = frozenset(
    {IncidentType.GROOMING, IncidentType.NUDES, IncidentType.RADICALISATION, IncidentType.SELF_HARM}
)

# Types the policy calls "misuse": investigated by two senior members of staff ("Have more than one
# senior member of staff / volunteer involved in this process"), so the record names both to close.
TWO_SENIOR_TYPES = frozenset(
    {
        IncidentType.MISUSE,
        IncidentType.FILTER_BYPASS,
        IncidentType.DATA_PROTECTION,
        IncidentType.HARMFUL_CONTENT,
    }
)


class IllegalContent(models.TextChoices):
    NONE = "", "No"
    CSAM = "csam", "Yes: suspected child sexual abuse images or video"
    OTHER = "other", "Yes: other illegal content (terrorism, obscene or criminally racist material)"


class IllegalStep(models.TextChoices):
    """The policy's steps when content may be illegal ("If content being reviewed includes images of
    Child abuse then the monitoring should be halted and referred to the Police immediately")."""

    STOPPED = "stopped", "Stopped: nobody is looking at the content any more"
    NOT_LOOKED = "not-looked", "Did not look further, copy, save, screenshot or forward anything"
    ISOLATED = "isolated", "Isolated the device: left as it is, switched on or off as found, not used"
    POLICE = "police", "Referred to the police"
    CEOP_IWF = "ceop-iwf", "Reported to CEOP (contact with a child) or the IWF (images online)"


class Status(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    INVESTIGATING = "investigating", "Investigating"
    ACTIONS = "actions", "Actions"
    CLOSED = "closed", "Closed"
    ARCHIVED = "archived", "Archived (raised in error)"


# The workflow: where each state may go next (archiving and reopening have their own pages).
NEXT: dict[Status, tuple[Status, ...]] = {
    Status.NEW: (Status.TRIAGED,),
    Status.TRIAGED: (Status.INVESTIGATING, Status.ACTIONS),
    Status.INVESTIGATING: (Status.ACTIONS,),
    Status.ACTIONS: (),
    Status.CLOSED: (),
    Status.ARCHIVED: (),
}
OPEN_STATES = frozenset({Status.NEW, Status.TRIAGED, Status.INVESTIGATING, Status.ACTIONS})


class Outcome(models.TextChoices):
    NOT_SUBSTANTIATED = "not-substantiated", "Concern not substantiated"
    RESOLVED = "resolved", "Resolved in school"
    SANCTIONED = "sanctioned", "Substantiated: sanctions applied"
    EARLY_HELP = "early-help", "Early help or support put in place"
    REFERRED = "referred", "Referred: an outside agency leads"
    NO_FURTHER_ACTION = "nfa", "No further action"


class Role(models.TextChoices):
    """A person's part in an incident. Each person carries their own."""

    SUBJECT = "subject", "Subject (the concern is about them)"
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Alleged perpetrator"
    WITNESS = "witness", "Witness"
    REPORTER = "reporter", "Reporter"


# The roles whose history makes "continued infringements": the person the misuse is about.
ANSWERING_ROLES = frozenset({Role.SUBJECT, Role.PERPETRATOR})

# The parts that name someone in a concern: anyone but its reporter. Nobody deals with a concern
# that names them in one of these.
NAMING_ROLES = frozenset(set(Role) - {Role.REPORTER})


class RecordsMatch(models.TextChoices):
    """What the school's records said of a person's name when it was given."""

    LINKED = "linked", "Linked to the school's records"
    NONE = "none", "Nobody of that name on the school's records"
    KEPT = "kept", "Not linked: said to be none of the people of that name on the school's records"
    UNCHECKED = "unchecked", "Not linked, and not checked against the school's records"


class Agency(models.TextChoices):
    POLICE = "police", "Police"
    LADO = "lado", "LADO (Local Authority Designated Officer)"
    LA_SAFEGUARDING = "la-safeguarding", "Local authority safeguarding"
    SOCIAL_CARE = "social-care", "Children's social care"
    CEOP = "ceop", "CEOP"
    IWF = "iwf", "Internet Watch Foundation (IWF)"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "By phone"
    IN_PERSON = "in-person", "In person"
    MEETING = "meeting", "At a meeting"
    LETTER = "letter", "By letter"
    EMAIL = "email", "By e-mail"


class EvidenceKind(models.TextChoices):
    FILE = "file", "A file (screenshot, photo of a screen, document)"
    URL = "url", "A web address"
    DESCRIPTION = "description", "A description"


class EventKind(models.TextChoices):
    """What the chronology shows, besides the incident's own record."""

    REPORTED = "reported", "Reported"
    STATUS = "status", "Moved on"
    NOTE = "note", "Note"
    DECISION = "decision", "Decision"
    ACTION = "action", "Action taken"
    REFERRAL = "referral", "Referral"
    PARENTS = "parents", "Parents and carers"
    EVIDENCE = "evidence", "Evidence"
    ILLEGAL_STEP = "illegal-step", "Illegal-content step"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    ARCHIVED = "archived", "Archived"
