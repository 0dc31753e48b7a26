"""The sanctions matrix a school starts with: the "School Actions & Sanctions" tables of the seed online
safety policy (Westhaven School's, in shared/policies), for pupils and for staff, word for word.

Kept here as data (the policy documents are not installed with the package);
tests/web/sanctions/test_seed.py reads the policy text and checks that every row still matches it.
A school edits its own copy on the sanctions matrix page.
"""

from __future__ import annotations

# The actions (the tables' columns), in the policy's order: (key, name as the policy has it,
# whether taking it is a warning or a sanction that later misuse is "continued" after).
PUPIL_ACTIONS: tuple[tuple[str, str, bool], ...] = (
    ("class-teacher", "Refer to class teacher / tutor", False),
    ("head-of-year", "Refer to Head of Department / Year / other", False),
    ("headteacher", "Refer to Headteacher / Principal", False),
    ("police", "Refer to Police", False),
    ("technical", "Refer to technical support staff for action re filtering / security etc.", False),
    ("parents", "Inform parents / carers", False),
    ("remove-access", "Removal of network / internet access rights", True),
    ("warning", "Warning", True),
    ("further-sanction", "Further sanction eg detention / exclusion", True),
)

STAFF_ACTIONS: tuple[tuple[str, str, bool], ...] = (
    ("line-manager", "Refer to line manager", False),
    ("headteacher", "Refer to Headteacher", False),
    ("la-hr", "Refer to Local Authority / HR", False),
    ("police", "Refer to Police", False),
    ("technical", "Refer to Technical Support Staff for action re filtering etc.", False),
    ("warning", "Warning", True),
    ("suspension", "Suspension", True),
    ("disciplinary", "Disciplinary action", True),
)

ILLEGAL = (
    "Deliberately accessing or trying to access material that could be considered illegal (see list in "
    "earlier section on unsuitable / inappropriate activities)."
)
DISREPUTE = (
    "Actions which could bring the school into disrepute or breach the integrity of the ethos of the school"
)
OFFENSIVE = (
    "Sending an email, text or message that is regarded as offensive, harassment or of a bullying nature"
)
CONTINUED = "Continued infringements of the above, following previous warnings or sanctions"

# The rows: (key, the misuse as the policy words it, the actions the policy expects).
PUPIL_MISUSE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("non-educational", "Unauthorised use of non-educational sites during lessons", ("class-teacher",)),
    (
        "mobile-device",
        "Unauthorised / inappropriate use of mobile phone / digital camera / other mobile device",
        ("class-teacher", "headteacher"),
    ),
    (
        "social-media",
        "Unauthorised / inappropriate use of social media / messaging apps / personal email",
        ("class-teacher", "technical"),
    ),
    (
        "offensive-message",
        OFFENSIVE,
        ("class-teacher",),
    ),
    (
        "staff-account",
        "Attempting to access or accessing the school network, using the account of a member of staff",
        ("head-of-year", "headteacher", "technical", "parents", "remove-access"),
    ),
    (
        "disrepute",
        DISREPUTE,
        ("head-of-year", "headteacher"),
    ),
    (
        "accidental-offensive",
        "Accidentally accessing offensive or pornographic material and failing to report the incident",
        ("head-of-year",),
    ),
    (
        "copyright",
        "Receipt or transmission of material that infringes the copyright of another person or infringes "
        "the Data Protection Act",
        ("head-of-year",),
    ),
    (
        "corrupting-data",
        "Corrupting or destroying the data of other users",
        ("headteacher", "technical", "parents", "remove-access"),
    ),
    (
        "deliberate-offensive",
        "Deliberately accessing or trying to access offensive or pornographic material",
        ("headteacher", "parents", "remove-access"),
    ),
    ("illegal", ILLEGAL, ("police", "technical")),
    ("downloading", "Unauthorised downloading or uploading of files", ("technical", "warning")),
    (
        "pupil-account",
        "Attempting to access or accessing the school network, using another student's / pupil's account",
        ("technical", "parents", "remove-access"),
    ),
    (
        "sharing-passwords",
        "Allowing others to access school network by sharing username and passwords",
        ("technical", "remove-access"),
    ),
    (
        "proxy",
        "Using proxy sites or other means to subvert the school's filtering system",
        ("technical", "parents", "remove-access"),
    ),
    ("continued", CONTINUED, ("further-sanction",)),
)

STAFF_MISUSE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("illegal", ILLEGAL, ("line-manager", "police", "technical")),
    ("non-educational", "Unauthorised use of non-educational sites during lessons", ("line-manager",)),
    (
        "offensive-message",
        OFFENSIVE,
        ("line-manager", "la-hr"),
    ),
    (
        "accidental-offensive",
        "Accidentally accessing offensive or pornographic material and failing to report the incident",
        ("line-manager",),
    ),
    (
        "mobile-device",
        "Unauthorised / inappropriate use of mobile phone / digital camera / other mobile device",
        ("headteacher",),
    ),
    (
        "social-media",
        "Unauthorised / inappropriate use of social media / messaging apps / personal email",
        ("headteacher",),
    ),
    (
        "staff-account",
        "Attempting to access or accessing the school network, using the account of a member of staff",
        ("headteacher", "technical"),
    ),
    (
        "corrupting-data",
        "Corrupting or destroying the data of other users",
        ("headteacher", "technical", "disciplinary"),
    ),
    (
        "disrepute",
        DISREPUTE,
        ("headteacher", "disciplinary"),
    ),
    (
        "deliberate-offensive",
        "Deliberately accessing or trying to access offensive or pornographic material",
        ("headteacher", "technical", "suspension"),
    ),
    (
        "pupil-account",
        "Attempting to access or accessing the school network, using another student's / pupil's account",
        ("technical",),
    ),
    ("downloading", "Unauthorised downloading or uploading of files", ("warning",)),
    (
        "sharing-passwords",
        "Allowing others to access school network by sharing username and passwords",
        ("warning",),
    ),
    (
        "proxy",
        "Using proxy sites or other means to subvert the school's filtering system",
        ("technical", "warning"),
    ),
    ("continued", CONTINUED, ("disciplinary",)),
)

# The row that later misuse, after a warning or sanction, falls under.
CONTINUED_KEY = "continued"
