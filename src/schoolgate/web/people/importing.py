"""Importing people from the school's MIS: the CSV exports of SIMS, Arbor and the like.

Two halves:

- reading a file (`decode`, `parse` and the value parsers): pure functions from bytes or text to
  rows and problems, with no database;
- checking the rows against the school's records (`plan`): what would be created and what changed,
  and what is wrong, reading the database but writing nothing. `actions.do_import` writes a plan.

Network user names (the names the proxy reports, which the published policy maps to each person's
group) come with pupils and staff when the upload asks for them (`UsernameSetting`): from a column of
the file, or made by a rule such as `{first}.{last}` or `{initial}{last}` from the names folded to
plain lower-case ASCII (Zoë O'Brien-Smith: zoe.obriensmith), with a number added for a clash (jsmith,
jsmith2) given out in the order of the MIS IDs, so that checking the same files twice gives the same
names. A person who has a user name already keeps it; a name from a column that another person holds
already is a problem of its row, never given to a second person.

A problem names the row as the spreadsheet numbers it (the column names are row 1), the column as the
file names it, and what is wrong in plain words: "Row 7, Date of Birth: 31/02/2015 is not a date".
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from schoolgate.web.accounts.choices import Capability
from schoolgate.web.people.choices import IdentityKind, ImportKind, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, NetworkIdentity, Person, YearGroup

if TYPE_CHECKING:
    from schoolgate.web.accounts.models import User
    from schoolgate.web.tenancy.models import School

MAX_BYTES = 5 * 1024 * 1024  # per file: a secondary school's pupils export is well under 1 MB
MAX_ROWS = 20_000

# ---------------------------------------------------------------------------------------------------
# Reading the file


class UnreadableFileError(ValueError):
    """The upload is not a CSV file we can read; the message says why, in plain words."""


def decode(raw: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without the byte-order mark Excel writes), or
    Windows-1252 (what Excel and SIMS write when asked for plain "CSV")."""
    if not raw.strip():
        raise UnreadableFileError("The file is empty")
    if len(raw) > MAX_BYTES:
        raise UnreadableFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if raw.startswith(b"PK\x03\x04"):
        raise UnreadableFileError(
            "This is an Excel workbook (.xlsx), not a CSV file: open it in Excel and save it as "
            "CSV UTF-8 (Comma delimited)"
        )
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFileError(
            "This is an old Excel workbook (.xls), not a CSV file: open it in Excel and save it as "
            "CSV UTF-8 (Comma delimited)"
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFileError(
            "The file is saved as UTF-16 (Excel's \u201cUnicode text\u201d): save it as "
            "CSV UTF-8 (Comma delimited) instead"
        )
    if b"\x00" in raw:
        raise UnreadableFileError("This is not a CSV file (it holds binary data): export the list as CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableFileError(
                "The file's characters are not in a form we can read: save it as CSV UTF-8 (Comma delimited)"
            ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_header(text: str) -> str:
    """A column name as we compare it: 'Legal_Surname', 'LEGAL SURNAME' and 'legal-surname' are the
    same; so are 'Date of Birth (dd/mm/yyyy)' and 'Date of birth'; and "Pupil's UPN" is 'pupils upn'."""
    text = re.sub(r"\(.*?\)", " ", text.lstrip("\ufeff").lower())
    text = text.replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@dataclass(frozen=True)
class Column:
    """A field we read, the column names it goes by (normalised, in order of preference), and how we
    call it when it is missing."""

    field: str
    label: str
    names: tuple[str, ...]
    required: bool = False


PUPIL_COLUMNS = (
    Column(
        "mis_id",
        "UPN (or MIS ID)",
        (
            "upn", "unique pupil number", "pupil upn", "student upn", "pupils upn", "students upn",
            "mis id", "arbor id", "student id", "pupil id", "admission number", "adno", "adm no",
            "person id", "id",
        ),
        required=True,
    ),
    Column(
        "last_name", "Legal Surname",
        ("legal surname", "legal last name", "surname", "last name", "family name"), required=True,
    ),
    Column(
        "first_name", "Legal Forename",
        ("legal forename", "legal first name", "forename", "first name", "forenames", "given name"),
        required=True,
    ),
    Column(
        "preferred_name", "Preferred Forename",
        ("preferred forename", "preferred first name", "preferred name", "known as", "chosen name"),
    ),
    Column("date_of_birth", "Date of Birth", ("date of birth", "dob", "d o b", "birth date", "birthdate")),
    Column(
        "year", "Year",
        (
            "year", "year group", "nc year", "curriculum year", "national curriculum year",
            "current year group", "year taught in", "yr",
        ),
    ),
    Column(
        "class_name", "Reg Group",
        (
            "reg group", "registration group", "registration form", "reg form", "reg", "form",
            "form group", "tutor group", "class", "class name", "registration class",
        ),
    ),
)  # fmt: skip

STAFF_COLUMNS = (
    Column(
        "mis_id", "Staff Code",
        (
            "staff code", "code", "staff id", "staff number", "teacher code", "employee number",
            "mis id", "arbor id", "person id", "id",
        ),
        required=True,
    ),
    Column("title", "Title", ("title", "salutation")),
    Column(
        "first_name", "Forename",
        ("legal forename", "forename", "legal first name", "first name", "given name"), required=True,
    ),
    Column(
        "last_name", "Surname",
        ("legal surname", "surname", "legal last name", "last name", "family name"), required=True,
    ),
    Column("preferred_name", "Preferred Forename", ("preferred forename", "preferred first name",
                                                   "preferred name", "known as")),
    Column(
        "job_title", "Job Title",
        ("job title", "role", "staff role", "job role", "post", "position", "job", "roles"),
    ),
    Column(
        "email", "Email",
        ("work email", "work email address", "school email", "email", "email address", "e mail"),
    ),
)  # fmt: skip

PARENT_COLUMNS = (
    Column(
        "first_name", "Contact Forename",
        (
            "contact forename", "contact first name", "contact legal forename", "guardian first name",
            "guardian forename", "parent forename", "parent first name", "carer forename",
            "forename", "first name",
        ),
        required=True,
    ),
    Column(
        "last_name", "Contact Surname",
        (
            "contact surname", "contact last name", "contact legal surname", "guardian last name",
            "guardian surname", "parent surname", "parent last name", "carer surname",
            "surname", "last name",
        ),
        required=True,
    ),
    Column("title", "Title", ("contact title", "guardian title", "parent title", "title")),
    Column(
        "relationship", "Relationship",
        (
            "relationship", "relation", "relationship to pupil", "relationship to student",
            "relationship to child", "contact relationship", "guardian relationship", "relationship type",
        ),
    ),
    Column(
        "parental_responsibility", "Parental Responsibility",
        ("parental responsibility", "has parental responsibility", "parental resp", "pr", "responsibility"),
    ),
    Column(
        "contact_order", "Priority",
        (
            "priority", "contact priority", "priority order", "contact order", "contact priority order",
            "order", "priority number", "contact sequence",
        ),
    ),
    Column(
        "child", "Pupil UPN",
        (
            "pupil upn", "student upn", "child upn", "pupils upn", "students upn", "upn",
            "pupil mis id", "student mis id", "pupil id", "student id",
        ),
        required=True,
    ),
    Column("contact_id", "Contact ID", ("contact id", "contact mis id", "guardian id", "parent id",
                                        "contact person id", "guardian mis id")),
    Column(
        "email", "Email",
        ("contact email", "contact email address", "guardian email", "parent email", "email",
         "email address", "e mail"),
    ),
    Column(
        "phone", "Telephone",
        (
            "contact telephone", "contact phone", "contact mobile", "guardian mobile", "guardian telephone",
            "primary telephone", "mobile", "mobile phone", "mobile number", "telephone",
            "telephone number", "phone", "phone number",
        ),
    ),
)  # fmt: skip

# Read only when the upload asks for user names from a column (`parse(..., usernames=True)`).
USERNAME_COLUMN = Column(
    "username", "User name",
    (
        "network user name", "network username", "user name", "username", "network login",
        "network logon", "login", "login name", "logon name", "log on name", "sam account name",
        "samaccountname", "ad user name", "ad username", "windows user name", "windows username",
        "computer user name", "computer username", "proxy user name", "proxy username",
    ),
)  # fmt: skip

COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.PUPILS: PUPIL_COLUMNS,
    ImportKind.STAFF: STAFF_COLUMNS,
    ImportKind.PARENTS: PARENT_COLUMNS,
}

# Column names only one of the two big MIS exports uses: which export a file is, by its first row.
SIMS_NAMES = frozenset(
    {
        "legal surname", "legal forename", "preferred forename", "forename", "surname", "reg group",
        "registration group", "dob", "nc year", "adno", "adm no", "staff code", "contact forename",
        "contact surname", "year taught in", "year",
    }
)  # fmt: skip
ARBOR_NAMES = frozenset(
    {
        "legal last name", "legal first name", "preferred first name", "first name", "last name",
        "registration form", "year group", "current year group", "arbor id", "student id", "student upn",
        "guardian first name", "guardian last name", "contact first name", "contact last name",
    }
)  # fmt: skip

DIALECTS = {"sims": "SIMS-style", "arbor": "Arbor-style", "": "CSV"}
DATE_HINTS = {"sims": "dd/mm/yyyy", "arbor": "yyyy-mm-dd", "": "dd/mm/yyyy"}


def detect_dialect(headers: Iterable[str]) -> str:
    """'sims' or 'arbor' by which export's column names the first row uses more; '' if neither."""
    names = {normalise_header(h) for h in headers}
    sims, arbor = len(names & SIMS_NAMES), len(names & ARBOR_NAMES)
    if sims > arbor:
        return "sims"
    if arbor > sims:
        return "arbor"
    return ""


def detect_kind(headers: Iterable[str]) -> ImportKind | None:
    """Which kind of export a first row looks like: the kind all of whose needed columns are there
    (parents first: their files often carry the pupil's columns too)."""
    names = {normalise_header(h) for h in headers}
    for kind in (ImportKind.PARENTS, ImportKind.STAFF, ImportKind.PUPILS):
        needed = [c for c in COLUMNS[kind] if c.required]
        if all(names & set(c.names) for c in needed):
            if kind == ImportKind.STAFF and not names & {
                "staff code",
                "staff id",
                "staff number",
                "teacher code",
            }:
                continue  # "code" or "id" alone does not make a staff file
            return kind
    return None


# ---------------------------------------------------------------------------------------------------
# Values


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_UK = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: 00:00(?::00)?)?")
_UK_SHORT_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2})")


def parse_date(text: str, today: dt.date | None = None, hint: str = "dd/mm/yyyy") -> dt.date:
    """A date as SIMS writes it (31/01/2015, or 3/1/2015 after Excel) or as Arbor does (2015-01-31).
    Raises ValueError with what is wrong in words."""
    value = text.strip()
    if match := _ISO.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
    elif _UK_SHORT_YEAR.fullmatch(value):
        raise ValueError(f"{value}: write the year in full ({hint})")
    else:
        raise ValueError(f"{value} is not a date (write it as {hint})")
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{value} is not a date") from None
    if year < 1900:
        raise ValueError(f"{value} is too long ago to be a date of birth")
    if today is not None and date > today:
        raise ValueError(f"{value} is in the future")
    return date


@dataclass(frozen=True)
class YearSpec:
    """A year group as the MIS writes it, understood: 'Y5', '5', 'Year 5' are all Year 5 (key '5')."""

    key: str
    name: str
    order: int
    key_stage: KeyStage


_YEAR = re.compile(r"(?:national curriculum |nc |curriculum )?(?:year|yr|y)? ?(\d{1,2}|[a-z]+\d?)")
_EARLY_YEARS = {
    "r": "R", "rec": "R", "reception": "R", "f2": "R", "fs2": "R", "foundation 2": "R", "yr": "R",
    "n": "N", "n1": "N", "n2": "N", "nur": "N", "nursery": "N", "f1": "N", "fs1": "N", "foundation 1": "N",
    "nursery 1": "N", "nursery 2": "N", "pre school": "N", "preschool": "N",
}  # fmt: skip


def key_stage_for(year: int | str) -> KeyStage:
    """The key stage of a year: Nursery and Reception are EYFS, Years 1-2 KS1, 3-6 KS2, 7-9 KS3,
    10-11 KS4, 12-13 KS5."""
    if year in ("N", "R", 0):
        return KeyStage.EYFS
    number = int(year)
    if not 1 <= number <= 13:
        raise ValueError(f"there is no Year {number}")
    if number <= 2:
        return KeyStage.KS1
    if number <= 6:
        return KeyStage.KS2
    if number <= 9:
        return KeyStage.KS3
    if number <= 11:
        return KeyStage.KS4
    return KeyStage.KS5


def parse_year(text: str) -> YearSpec:
    """'Year 5', 'Y5', '5', 'NC Year 5' -> Year 5; 'R', 'Rec', 'Reception', 'YR', 'F2' -> Reception;
    'N', 'N1', 'N2', 'Nursery', 'F1' -> Nursery. Raises ValueError with what is wrong in words."""
    value = " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())
    early = _EARLY_YEARS.get(value)
    if early is None:
        match = _YEAR.fullmatch(value)
        if match and match.group(1).isdigit():
            number = int(match.group(1))
            if 1 <= number <= 13:
                return YearSpec(str(number), f"Year {number}", number, key_stage_for(number))
        elif match:
            early = _EARLY_YEARS.get(match.group(1))
    if early == "R":
        return YearSpec("R", "Reception", 0, KeyStage.EYFS)
    if early == "N":
        return YearSpec("N", "Nursery", 0, KeyStage.EYFS)
    raise ValueError(
        f"{text.strip()} is not a year group we know (write Nursery, Reception, or Year 1 to Year 13)"
    )


_YES = {"yes", "y", "true", "t", "1", "x", "parental responsibility", "pr"}
_NO = {"no", "n", "false", "f", "0", ""}


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"{text.strip()}: write Yes or No")


def parse_relationship(text: str) -> Relationship:
    """The MIS's words for how a contact is related to the pupil, as one of ours ('Other' for the
    rest: aunt, uncle, step-parent, family friend ...)."""
    value = " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())
    if "grand" in value:
        return Relationship.GRANDPARENT
    if "social worker" in value or value == "swr":
        return Relationship.SOCIAL_WORKER
    if "step" in value:
        return Relationship.OTHER
    if "guardian" in value:
        return Relationship.GUARDIAN
    if "carer" in value or "foster" in value or value == "car":
        return Relationship.CARER
    if value in {"mother", "mum", "mom", "mam", "birth mother", "natural mother", "adoptive mother"}:
        return Relationship.MOTHER
    if value in {"father", "dad", "birth father", "natural father", "adoptive father"}:
        return Relationship.FATHER
    if value in {"parent", "par", "birth parent", "natural parent", "adoptive parent"}:
        return Relationship.PARENT
    return Relationship.OTHER


_UPN = re.compile(r"[A-Z]\d{11}[0-9A-Z]")


def looks_like_upn(value: str) -> bool:
    """A Unique Pupil Number's shape: 13 characters, a letter, 11 digits, then a digit (a permanent
    UPN) or a letter (a temporary one)."""
    return bool(_UPN.fullmatch(value))


# ---------------------------------------------------------------------------------------------------
# Network user names

USERNAME_MAX = 64  # room for any login a school's proxy reports (Active Directory's sAMAccountName: 20)
_USERNAME_CHARS = re.compile(r"[a-z0-9._@$\\-]+")
# What a spreadsheet would run as a formula, were the name ever exported to one again.
_FORMULA_START = ("=", "+", "-", "@")


def parse_username(text: str) -> str:
    """A user name from the MIS's column, as the proxy reports it: lower case, and only letters,
    digits and . _ - @ $ \\ (an Active Directory or LDAP login; `DOMAIN\\name` as some proxies
    report it). Raises ValueError with what is wrong in words."""
    value = text.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise ValueError("has control characters in it: is the file damaged?")
    if any(c.isspace() for c in value):
        raise ValueError(f"{value}: a user name has no spaces")
    if value.startswith(_FORMULA_START):
        raise ValueError(f"{value}: a user name does not start with {value[0]}")
    # ASCII before lower case: Unicode's lower case turns some look-alikes into ASCII letters (the
    # Kelvin sign K into k), which would make "\u212asmith" the same user name as ksmith.
    lowered = value.lower() if value.isascii() else value
    if not _USERNAME_CHARS.fullmatch(lowered):
        raise ValueError(f"{value}: a user name is made of the letters a to z, digits and . _ - @ $ \\ only")
    if len(lowered) > USERNAME_MAX:
        raise ValueError(f"is longer than {USERNAME_MAX} characters")
    return lowered


# Letters that Unicode does not take apart into a letter and an accent.
_FOLD = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o",
        "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i",
        "ĸ": "k", "ŋ": "n", "Ŋ": "n", "ŧ": "t", "Ŧ": "t", "ħ": "h", "Ħ": "h",
    }
)  # fmt: skip


def fold(text: str, keep_hyphens: bool = False) -> str:
    """A name as a user name's part: accents dropped (é to e, ß to ss), lower case, and only a to z
    and digits left: apostrophes, spaces and hyphens go (O'Brien: obrien, Smith-Jones: smithjones,
    Mary Ann: maryann); with `keep_hyphens`, hyphens and spaces become one hyphen (smith-jones).
    A name with no Latin letters at all folds to ""."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    if keep_hyphens:
        plain = re.sub(r"[\s\-\u2010-\u2015]+", "-", plain)
        return re.sub(r"[^a-z0-9-]", "", plain).strip("-")
    return re.sub(r"[^a-z0-9]", "", plain)


_RULE_FIELDS = {
    "first": "first", "firstname": "first", "forename": "first",
    "last": "last", "lastname": "last", "surname": "last",
    "initial": "initial", "firstinitial": "initial", "i": "initial",
    "preferred": "preferred", "preferredname": "preferred",
    "upn": "mis_id", "misid": "mis_id", "id": "mis_id",
}  # fmt: skip
_RULE_LITERAL = re.compile(r"[a-z0-9._@-]+")
RULE_EXAMPLES = ("{first}.{last}", "{initial}{last}", "{last}{initial}", "{first}{last:1}", "{upn}")


@dataclass(frozen=True)
class RulePart:
    literal: str = ""  # text as written, or
    field: str = ""  # first, last, initial, preferred or mis_id
    length: int = 0  # the first so many characters (0: all)
    keep_hyphens: bool = False


@dataclass(frozen=True)
class UsernameRule:
    """How a user name is made from a person's names: `{first}.{last}`, `{initial}{last}`, or in words
    `firstname.lastname`. A field may take a length (`{last:5}`, the first five letters) or keep the
    hyphens of a double-barrelled name (`{last:hyphens}`)."""

    text: str
    parts: tuple[RulePart, ...]

    def make(self, person: Person) -> str:
        """The user name for `person` before any clash: "" if the names give nothing to make it of."""
        first = person.first_name
        values = {
            "first": first,
            "last": person.last_name,
            "initial": first,
            "preferred": person.preferred_name or first,
            "mis_id": person.mis_id,
        }
        out = []
        made_of_names = False
        for part in self.parts:
            if not part.field:
                out.append(part.literal)
                continue
            value = fold(values[part.field], part.keep_hyphens)
            if part.field == "initial":
                value = value[:1]
            elif part.length:
                value = value[: part.length]
            made_of_names = made_of_names or bool(value)
            out.append(value)
        if not made_of_names:
            return ""
        name = "".join(out)
        name = re.sub(r"([._@-])[._@-]+", r"\1", name)  # a part that folded to nothing leaves no ".."
        return name.strip("._@-")


def parse_rule(text: str) -> UsernameRule:
    """`{first}.{last}`, `{initial}{last}`, `firstname.lastname` ...: raises ValueError, in words."""
    given = " ".join(text.split())
    if not given:
        raise ValueError("write the rule, for example {first}.{last}")
    if len(given) > 100:
        raise ValueError("a rule is at most 100 characters")
    value = given.lower()
    if "{" not in value and "}" not in value:
        # Words: firstname.lastname, initial.surname ...: each part between . _ - @ is a field's name.
        pieces = re.split(r"([._@-]+)", value)
        words = [p for i, p in enumerate(pieces) if i % 2 == 0 and p]
        unknown = [w for w in words if w not in _RULE_FIELDS and not w.isdigit()]
        if unknown:
            raise ValueError(
                f"{given}: {unknown[0]!r} is not a name we know: write the rule with braces, as "
                "{first}.{last} or {initial}{last}"
            )
        value = "".join(
            p if i % 2 or p.isdigit() else "{" + _RULE_FIELDS[p] + "}" for i, p in enumerate(pieces) if p
        )
    parts: list[RulePart] = []
    position = 0
    for match in re.finditer(r"\{([^{}]*)\}", value):
        if match.start() > position:
            parts.append(_literal(value[position : match.start()], given))
        name, _, option = match.group(1).strip().partition(":")
        field_name = _RULE_FIELDS.get(name.strip().replace(" ", "").replace("_", ""))
        if field_name is None:
            raise ValueError(
                f"{given}: {{{name}}} is not a name we know: use {{first}}, {{last}}, {{initial}}, "
                "{preferred} or {upn}"
            )
        option = option.strip()
        if not option:
            parts.append(RulePart(field=field_name))
        elif option == "hyphens":
            parts.append(RulePart(field=field_name, keep_hyphens=True))
        elif option.isdigit() and 1 <= int(option) <= USERNAME_MAX:
            parts.append(RulePart(field=field_name, length=int(option)))
        else:
            raise ValueError(
                f"{given}: after {name}: write a number of letters ({{{name}:5}}) "
                f"or hyphens ({{{name}:hyphens}})"
            )
        position = match.end()
    if position < len(value):
        parts.append(_literal(value[position:], given))
    if not any(p.field for p in parts):
        raise ValueError(f"{given}: the rule uses no name: put {{first}}, {{last}} or {{initial}} in it")
    return UsernameRule(given, tuple(parts))


def _literal(text: str, given: str) -> RulePart:
    if "{" in text or "}" in text:
        raise ValueError(f"{given}: a brace is not closed")
    if not _RULE_LITERAL.fullmatch(text):
        raise ValueError(f"{given}: between the names, use only letters, digits and . _ - @ ({text!r})")
    return RulePart(literal=text)


@dataclass(frozen=True)
class UsernameSetting:
    """What an upload asks of user names: none (the default), from the files' user name column, by a
    rule, or both (the column where it has a name, the rule for the rest)."""

    from_column: bool = False
    rule: UsernameRule | None = None

    @property
    def wanted(self) -> bool:
        return self.from_column or self.rule is not None

    def describe(self) -> str:
        if self.from_column and self.rule:
            return f"from the user name column, else made by the rule {self.rule.text}"
        if self.from_column:
            return "from the user name column"
        if self.rule:
            return f"made by the rule {self.rule.text}"
        return "not imported"


NO_USERNAMES = UsernameSetting()


# ---------------------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: the column names are row 1
    column: str  # as the file names it; "" for the whole row
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"Row {self.row}, {self.column}: {self.message}"
        return f"Row {self.row}: {self.message}"


@dataclass
class Row:
    """One row of a file: its number, and the values of the columns the file has, cleaned."""

    number: int
    values: dict[str, Any]

    def get(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)


@dataclass
class ParsedFile:
    kind: ImportKind
    dialect: str = ""
    headers: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # our field -> the file's column name
    unused: list[str] = field(default_factory=list)  # the file's columns we do not read
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    looks_like: ImportKind | None = None  # when the columns are those of another kind of file

    @property
    def dialect_label(self) -> str:
        return DIALECTS[self.dialect]

    def has(self, name: str) -> bool:
        return name in self.columns

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text(value: str) -> str:
    return " ".join(value.split())


_LIMITS = {
    "mis_id": 50, "first_name": 100, "last_name": 100, "preferred_name": 100, "title": 20,
    "job_title": 100, "email": 254, "phone": 40, "class_name": 50, "contact_id": 50, "child": 50,
    "username": USERNAME_MAX,
}  # fmt: skip


def parse(kind: ImportKind, text: str, today: dt.date | None = None, usernames: bool = False) -> ParsedFile:
    """The rows of one CSV export, each value cleaned and checked on its own (dates are dates, years
    are years, nothing too long, nothing needed missing, no identifier twice); checks against the
    school's records come later (`plan`). With `usernames`, a pupils or staff file's user name column
    is read too (`USERNAME_COLUMN`); else it is one of the columns not read."""
    parsed = ParsedFile(kind)
    lines = text.split("\n", 1)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[0])))
    except csv.Error as exc:
        parsed.problems.append(Problem(1, "", f"the file is not a CSV file we can read ({exc})"))
        return parsed
    if not records or not any(cell.strip() for cell in records[0]):
        parsed.problems.append(Problem(1, "", "the first row should hold the column names, and it is empty"))
        return parsed
    headers = [h.lstrip("\ufeff").strip() for h in records[0]]
    parsed.headers = headers
    parsed.dialect = detect_dialect(headers)
    by_name: dict[str, int] = {}
    for index, header in enumerate(headers):
        by_name.setdefault(normalise_header(header), index)
    index_of: dict[str, int] = {}
    used: set[int] = set()
    wanted = COLUMNS[kind]
    if usernames and kind in (ImportKind.PUPILS, ImportKind.STAFF):
        wanted = (*wanted, USERNAME_COLUMN)
    for column in wanted:
        for name in column.names:
            if name in by_name and by_name[name] not in used:
                index_of[column.field] = by_name[name]
                used.add(by_name[name])
                parsed.columns[column.field] = headers[by_name[name]]
                break
    parsed.unused = [h for i, h in enumerate(headers) if i not in used and h]
    missing = [c for c in COLUMNS[kind] if c.required and c.field not in index_of]
    if missing:
        other = detect_kind(headers)
        parsed.looks_like = other if other != kind else None
        for column in missing:
            parsed.problems.append(
                Problem(1, "", f"there is no {column.label} column (the first row must name the columns)")
            )
        return parsed
    if len(records) - 1 > MAX_ROWS:
        parsed.problems.append(Problem(1, "", f"the file has more than {MAX_ROWS:,} rows"))
        return parsed
    hint = DATE_HINTS[parsed.dialect]
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # an empty row, as spreadsheets leave at the end
        if len(record) > len(headers) and any(cell.strip() for cell in record[len(headers) :]):
            parsed.problems.append(
                Problem(
                    number,
                    "",
                    f"has {len(record)} values but the first row names {len(headers)} columns "
                    "(is there a comma in a value that is not in quotes?)",
                )
            )
            continue
        raw = {name: (record[i] if i < len(record) else "") for name, i in index_of.items()}
        if any("\n" in value for value in raw.values()):
            parsed.problems.append(
                Problem(
                    number,
                    "",
                    "a value runs over several lines (is a quotation mark not closed?); "
                    "the rows after it may be in it",
                )
            )
            continue
        row = Row(number, {})
        for name, value in raw.items():
            problem = _clean(kind, name, value, row, today, hint)
            if problem is not None:
                parsed.problems.append(Problem(number, parsed.columns[name], problem))
        parsed.rows.append(row)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(2, "", "the file has column names but no rows"))
    _check_repeats(parsed)
    return parsed


_REQUIRED_VALUE = {
    ImportKind.PUPILS: {"mis_id", "first_name", "last_name"},
    ImportKind.STAFF: {"mis_id", "first_name", "last_name"},
    ImportKind.PARENTS: {"first_name", "last_name", "child"},
}


def _clean(kind: ImportKind, name: str, value: str, row: Row, today: dt.date | None, hint: str) -> str | None:
    """Put the cleaned value of `name` in `row`; return the problem with it, if any."""
    value = _text(value)
    if not value:
        if name in _REQUIRED_VALUE[kind]:
            return "missing"
        row.values[name] = None if name in ("date_of_birth", "year", "contact_order") else ""
        if name == "parental_responsibility":
            row.values[name] = False
        if name == "relationship":
            row.values[name] = Relationship.OTHER
        return None
    limit = _LIMITS.get(name)
    if limit is not None and len(value) > limit:
        return f"is longer than {limit} characters"
    try:
        if name == "date_of_birth":
            row.values[name] = parse_date(value, today, hint)
        elif name == "year":
            row.values[name] = parse_year(value)
        elif name == "parental_responsibility":
            row.values[name] = parse_yes_no(value)
        elif name == "relationship":
            row.values[name] = parse_relationship(value)
        elif name == "contact_order":
            if not value.isdigit() or not 1 <= int(value) <= 99:
                raise ValueError(f"{value} is not a whole number from 1 to 99")
            row.values[name] = int(value)
        elif name == "email":
            try:
                validate_email(value)
            except ValidationError:
                raise ValueError(f"{value} is not an email address") from None
            row.values[name] = value
        elif name == "username":
            row.values[name] = parse_username(value)
        elif name in ("mis_id", "child", "contact_id"):
            row.values[name] = value.upper() if name != "contact_id" else value
        else:
            row.values[name] = value
    except ValueError as exc:
        return str(exc)
    return None


def _check_repeats(parsed: ParsedFile) -> None:
    """The same pupil (or member of staff) twice in one file, or a UPN that is not one."""
    if parsed.kind == ImportKind.PARENTS:
        return
    seen: dict[str, int] = {}
    column = parsed.column("mis_id")
    header = normalise_header(column)
    is_upn = parsed.kind == ImportKind.PUPILS and ("upn" in header.split() or header == "unique pupil number")
    for row in parsed.rows:
        mis_id = row.get("mis_id")
        if not mis_id:
            continue
        if is_upn and not looks_like_upn(mis_id):
            parsed.problems.append(
                Problem(
                    row.number,
                    column,
                    f"{mis_id} is not a UPN (13 characters: a letter, 11 digits, then a digit or a letter)",
                )
            )
        if mis_id in seen:
            parsed.problems.append(Problem(row.number, column, f"{mis_id} is also on row {seen[mis_id]}"))
        else:
            seen[mis_id] = row.number


# ---------------------------------------------------------------------------------------------------
# Checking against the school's records


@dataclass
class Change:
    """One record the import creates (`before` is None) or changes, with the changes in words."""

    row: int
    obj: Any  # a Person, GuardianLink or ClassGroup
    before: dict[str, Any] | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (what, was, becomes)

    @property
    def created(self) -> bool:
        return self.before is None


@dataclass
class FilePlan:
    kind: ImportKind
    filename: str
    parsed: ParsedFile
    problems: list[Problem] = field(default_factory=list)
    created: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: int = 0
    links_created: list[Change] = field(default_factory=list)
    links_updated: list[Change] = field(default_factory=list)
    links_unchanged: int = 0
    # Pupils and staff: each row without a problem, its person and the user name its column gives.
    people: list[tuple[int, Person, str]] = field(default_factory=list)
    identities_created: list[Change] = field(default_factory=list)  # new user names (NetworkIdentity)
    identities_kept: int = 0  # people in the file who have their user name already

    @property
    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.row, p.column))

    @property
    def nouns(self) -> tuple[str, str]:
        return {
            ImportKind.PUPILS: ("pupil", "pupils"),
            ImportKind.STAFF: ("member of staff", "staff"),
            ImportKind.PARENTS: ("parent or carer", "parents and carers"),
        }[self.kind]


@dataclass
class Plan:
    files: list[FilePlan] = field(default_factory=list)
    usernames: UsernameSetting = NO_USERNAMES
    years_created: list[YearGroup] = field(default_factory=list)
    classes_created: list[ClassGroup] = field(default_factory=list)
    classes_updated: list[Change] = field(default_factory=list)

    @property
    def problem_count(self) -> int:
        return sum(len(f.problems) for f in self.files)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def change_count(self) -> int:
        return (
            len(self.years_created)
            + len(self.classes_created)
            + len(self.classes_updated)
            + sum(
                len(f.created)
                + len(f.updated)
                + len(f.links_created)
                + len(f.links_updated)
                + len(f.identities_created)
                for f in self.files
            )
        )

    @property
    def identities_created(self) -> list[Change]:
        return [c for f in self.files for c in f.identities_created]

    def summary(self) -> str:
        """What the import does, in one line."""
        parts = []
        for f in self.files:
            one, many = f.nouns
            if f.created:
                parts.append(f"{len(f.created):,} {one if len(f.created) == 1 else many} added")
            if f.updated:
                parts.append(f"{len(f.updated):,} {one if len(f.updated) == 1 else many} updated")
            links = len(f.links_created) + len(f.links_updated)
            if links:
                parts.append(f"{links:,} link{'s' if links != 1 else ''} to children")
        names = len(self.identities_created)
        if names:
            parts.append(f"{names:,} network user name{'s' if names != 1 else ''}")
        if self.years_created:
            parts.append(f"{len(self.years_created)} year group{'s' if len(self.years_created) != 1 else ''}")
        classes = len(self.classes_created) + len(self.classes_updated)
        if classes:
            parts.append(f"{classes} class{'es' if classes != 1 else ''}")
        return ", ".join(parts) or "nothing to change"


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


_LABELS = {
    "first_name": "First name", "last_name": "Last name", "preferred_name": "Preferred name",
    "title": "Title", "date_of_birth": "Date of birth", "year_group": "Year group", "class_group": "Class",
    "job_title": "Job title", "email": "Email", "phone": "Telephone", "relationship": "Relationship",
    "parental_responsibility": "Parental responsibility", "contact_order": "Contact order",
    "mis_id": "MIS ID",
}  # fmt: skip


def _set(change: Change, obj: Any, name: str, value: Any) -> None:
    """Set `obj.name` to `value`, noting it in `change` if it is a change."""
    old = getattr(obj, name)
    if old == value:
        return
    if change.before is not None:
        change.changes.append((_LABELS.get(name, name), _shown(old), _shown(value)))
    setattr(obj, name, value)


def _set_related(change: Change, obj: Any, name: str, target: Any) -> None:
    old = getattr(obj, name)
    if old is target or (
        old is not None and target is not None and old.pk is not None and old.pk == target.pk
    ):
        return
    if old is None and target is None:
        return
    if change.before is not None:
        change.changes.append((_LABELS[name], _shown(old), _shown(target)))
    setattr(obj, name, target)


def _restore(change: Change, person: Person) -> None:
    if person.archived_at is not None:
        change.changes.append(
            ("Archived", person.archived_at.strftime("%d/%m/%Y"), "no longer: in this file")
        )
        person.archived_at = None
        person.archive_reason = ""


def _model_problems(obj: Any, row: int, columns: dict[str, str]) -> list[Problem]:
    """The model's own rules (`clean()`), as problems of the row."""
    try:
        obj.clean()
    except ValidationError as exc:
        out: list[Problem] = []
        for name, messages in exc.message_dict.items():
            column = columns.get({"year_group": "year", "class_group": "class_name"}.get(name, name), "")
            out.extend(Problem(row, column, m) for m in messages)
        return out
    return []


class _Context:
    """What the checks need from the school's records, read once."""

    def __init__(self, school: School, user: User) -> None:
        self.school = school
        self.user = user
        self.today = timezone.localdate()
        self.years: dict[str, YearGroup] = {}
        self.years_by_id: dict[int, YearGroup] = {}
        for year in YearGroup.objects.restrict(user, Capability.PEOPLE_CHANGE, school).order_by(
            "order", "pk"
        ):
            self.years_by_id[year.pk] = year
            with contextlib.suppress(ValueError):  # a name of the school's own ("Upper school")
                self.years.setdefault(parse_year(year.name).key, year)
        self.classes: dict[str, ClassGroup] = {}
        for group in ClassGroup.objects.restrict(user, Capability.PEOPLE_CHANGE, school).order_by("pk"):
            if group.year_group_id in self.years_by_id:
                group.year_group = self.years_by_id[group.year_group_id]
            self.classes.setdefault(group.name.strip().lower(), group)
        self.pupils: dict[str, Person] = {}  # by UPN (MIS ID), upper case: on record, or new in this upload
        self.pupils_with_problems: set[str] = set()  # UPNs of the pupils file's rows that have problems
        self.new_years: list[YearGroup] = []
        self.new_classes: list[ClassGroup] = []

    def people(self, kind: PersonKind) -> dict[str, Person]:
        found: dict[str, Person] = {}
        rows = (
            Person.objects.restrict(self.user, Capability.PEOPLE_CHANGE, self.school)
            .filter(kind=kind)
            .exclude(mis_id="")
            .order_by("pk")
        )
        classes_by_id = {c.pk: c for c in self.classes.values()}
        for person in rows:
            # The groups read once above, so that comparing and showing them asks nothing more.
            if person.year_group_id in self.years_by_id:
                person.year_group = self.years_by_id[person.year_group_id]
            if person.class_group_id in classes_by_id:
                person.class_group = classes_by_id[person.class_group_id]
            found.setdefault(person.mis_id.upper(), person)
        return found

    def year(self, spec: YearSpec) -> YearGroup:
        year = self.years.get(spec.key)
        if year is None:
            year = YearGroup(school=self.school, name=spec.name, key_stage=spec.key_stage, order=spec.order)
            self.years[spec.key] = year
            self.new_years.append(year)
        return year

    def group(self, name: str) -> ClassGroup:
        group = self.classes.get(name.lower())
        if group is None:
            group = ClassGroup(school=self.school, name=name, year_group=None)
            self.classes[name.lower()] = group
            self.new_classes.append(group)
        return group


def plan(
    school: School,
    user: User,
    files: Sequence[tuple[ImportKind, str, str]],
    today: dt.date | None = None,
    usernames: UsernameSetting = NO_USERNAMES,
) -> Plan:
    """What importing `files` ((kind, file name, text), at most one of each kind) would do at
    `school`, and every problem in them. Reads the school's records; writes nothing. Pupils are
    planned first, so that a parents file may name pupils of the pupils file uploaded with it; user
    names last, once everyone is known (`usernames`)."""
    context = _Context(school, user)
    if today is not None:
        context.today = today
    result = Plan(usernames=usernames)
    order = {ImportKind.PUPILS: 0, ImportKind.STAFF: 1, ImportKind.PARENTS: 2}
    for kind, filename, text in sorted(files, key=lambda f: order[f[0]]):
        parsed = parse(kind, text, context.today, usernames=usernames.from_column)
        file_plan = FilePlan(kind, filename, parsed, problems=list(parsed.problems))
        bad_rows = {p.row for p in parsed.problems}
        rows = [r for r in parsed.rows if r.number not in bad_rows]
        if kind == ImportKind.PUPILS:
            context.pupils_with_problems = {r.get("mis_id") for r in parsed.rows if r.number in bad_rows}
        if parsed.rows or not parsed.problems:
            if kind == ImportKind.PUPILS:
                _plan_pupils(context, file_plan, rows, result)
            elif kind == ImportKind.STAFF:
                _plan_staff(context, file_plan, rows)
            else:
                _plan_parents(context, file_plan, rows)
        result.files.append(file_plan)
    result.years_created = context.new_years
    result.classes_created = context.new_classes
    _plan_usernames(context, result)
    return result


def _plan_pupils(context: _Context, file_plan: FilePlan, rows: list[Row], result: Plan) -> None:
    parsed = file_plan.parsed
    existing = context.people(PersonKind.PUPIL)
    # The year group of each class, from its pupils in the file.
    class_years: dict[str, set[str]] = {}
    for row in rows:
        if row.get("class_name"):
            year = row.get("year")
            class_years.setdefault(row.get("class_name").lower(), set()).add(year.key if year else "")
    for name, keys in class_years.items():
        group = context.classes.get(name)
        if group is None or group.pk is None:
            continue  # a new class: made below, when its first pupil asks for it
        # A class on record in one year group whose pupils the file puts in another year, or in
        # several: the MIS is right (the class moved up, or is of mixed ages).
        single = context.year(parse_year(next(iter(keys)))) if len(keys) == 1 and "" not in keys else None
        if group.year_group is not None and group.year_group is not single:
            change = Change(0, group, group.audit_snapshot())
            _set_related(change, group, "year_group", single)
            result.classes_updated.append(change)
    for row in rows:
        found = existing.get(row.get("mis_id"))
        if found is None:
            person = Person(school=context.school, kind=PersonKind.PUPIL, mis_id=row.get("mis_id"))
            change = Change(row.number, person, None)
        else:
            person = found
            change = Change(row.number, person, person.audit_snapshot())
        for name in ("first_name", "last_name", "preferred_name", "date_of_birth"):
            if parsed.has(name):
                value = row.get(name)
                if name == "preferred_name" and value == row.get("first_name"):
                    value = ""
                _set(change, person, name, value)
        year_group = context.year(row.get("year")) if row.get("year") else None
        if parsed.has("year"):
            _set_related(change, person, "year_group", year_group)
        if parsed.has("class_name"):
            group = context.group(row.get("class_name")) if row.get("class_name") else None
            if group is not None and group.pk is None:
                keys = class_years.get(group.name.lower(), set())
                group.year_group = year_group if len(keys) == 1 else None
            _set_related(change, person, "class_group", group)
        _restore(change, person)
        problems = _model_problems(person, row.number, parsed.columns)
        context.pupils[person.mis_id.upper()] = person
        if problems:
            file_plan.problems.extend(problems)
            continue
        file_plan.people.append((row.number, person, row.get("username")))
        if change.created:
            file_plan.created.append(change)
        elif change.changes:
            file_plan.updated.append(change)
        else:
            file_plan.unchanged += 1


def _plan_staff(context: _Context, file_plan: FilePlan, rows: list[Row]) -> None:
    parsed = file_plan.parsed
    existing = context.people(PersonKind.STAFF)
    for row in rows:
        person = existing.get(row.get("mis_id"))
        if person is None:
            person = Person(school=context.school, kind=PersonKind.STAFF, mis_id=row.get("mis_id"))
            change = Change(row.number, person, None)
        else:
            change = Change(row.number, person, person.audit_snapshot())
        for name in ("title", "first_name", "last_name", "preferred_name", "job_title", "email"):
            if parsed.has(name):
                value = row.get(name)
                if name == "preferred_name" and value == row.get("first_name"):
                    value = ""
                _set(change, person, name, value)
        _restore(change, person)
        problems = _model_problems(person, row.number, parsed.columns)
        if problems:
            file_plan.problems.extend(problems)
            continue
        file_plan.people.append((row.number, person, row.get("username")))
        if change.created:
            file_plan.created.append(change)
        elif change.changes:
            file_plan.updated.append(change)
        else:
            file_plan.unchanged += 1


def _same_name(person: Person, first: str, last: str) -> bool:
    return person.first_name.lower() == first.lower() and person.last_name.lower() == last.lower()


def _plan_parents(context: _Context, file_plan: FilePlan, rows: list[Row]) -> None:
    parsed = file_plan.parsed
    if not context.pupils:
        context.pupils.update(context.people(PersonKind.PUPIL))
    else:  # pupils of the school that the pupils file of this upload did not name
        for upn, pupil in context.people(PersonKind.PUPIL).items():
            context.pupils.setdefault(upn, pupil)
    parents = list(
        Person.objects.restrict(context.user, Capability.PEOPLE_CHANGE, context.school)
        .filter(kind=PersonKind.PARENT)
        .order_by("pk")
    )
    by_id = {p.mis_id.upper(): p for p in reversed(parents) if p.mis_id}
    by_name: dict[tuple[str, str], list[Person]] = {}
    for parent in parents:
        by_name.setdefault((parent.first_name.lower(), parent.last_name.lower()), []).append(parent)
    parents_by_pk = {p.pk: p for p in parents}
    links: dict[tuple[int, int], GuardianLink] = {}
    guardians_of: dict[int, list[Person]] = {}
    for stored in GuardianLink.objects.restrict(context.user, Capability.PEOPLE_CHANGE, context.school):
        links[(stored.child_id, stored.guardian_id)] = stored
        if stored.guardian_id in parents_by_pk:
            guardians_of.setdefault(stored.child_id, []).append(parents_by_pk[stored.guardian_id])
    in_file: dict[tuple[str, ...], Change] = {}  # the parents met so far, by contact ID or name
    linked: dict[tuple[int, int], int] = {}  # (id(child), id(guardian)) -> row
    per_child: dict[int, int] = {}  # id(child) -> contacts met so far (the default contact order)
    column = parsed.column("child")
    for row in rows:
        upn = row.get("child")
        child = context.pupils.get(upn)
        if child is None and upn in context.pupils_with_problems:
            continue  # the pupils file's problem with that pupil is problem enough
        if child is None:
            file_plan.problems.append(
                Problem(
                    row.number,
                    column,
                    f"there is no pupil with UPN {upn} at {context.school.name}: import the pupils "
                    "first, or upload the pupils file with this one",
                )
            )
            continue
        if child.archived_at is not None:
            file_plan.problems.append(
                Problem(row.number, column, f"{child.full_name} ({upn}) has left: their record is archived")
            )
            continue
        first, last = row.get("first_name"), row.get("last_name")
        contact_id = row.get("contact_id") if parsed.has("contact_id") else ""
        key: tuple[str, ...] = (
            ("id", contact_id.upper()) if contact_id else ("name", first.lower(), last.lower())
        )
        change = in_file.get(key)
        if change is None:
            match: Person | None = None
            if contact_id:
                match = by_id.get(contact_id.upper())
            else:
                # By name among the pupil's own parents; else a parent of the school of that name
                # with the same email address or telephone number; else someone new.
                match = next(
                    (g for g in guardians_of.get(child.pk or 0, []) if _same_name(g, first, last)), None
                )
                email, phone = row.get("email"), row.get("phone")
                if match is None and (email or phone):
                    match = next(
                        (
                            p
                            for p in by_name.get((first.lower(), last.lower()), [])
                            if (email and p.email.lower() == email.lower()) or (phone and p.phone == phone)
                        ),
                        None,
                    )
            if match is None:
                match = Person(school=context.school, kind=PersonKind.PARENT, mis_id=contact_id)
                change = Change(row.number, match, None)
            else:
                change = Change(row.number, match, match.audit_snapshot())
            for name in ("title", "first_name", "last_name", "email", "phone"):
                if parsed.has(name):
                    _set(change, match, name, row.get(name))
            _restore(change, match)
            in_file[key] = change
            if change.created:
                file_plan.created.append(change)
            elif change.changes:
                file_plan.updated.append(change)
            else:
                file_plan.unchanged += 1
        guardian: Person = change.obj
        pair = (id(child), id(guardian))
        if pair in linked:
            file_plan.problems.append(
                Problem(
                    row.number,
                    parsed.column("first_name"),
                    f"{first} {last} is already listed for {child.full_name} on row {linked[pair]}",
                )
            )
            continue
        linked[pair] = row.number
        per_child[id(child)] = per_child.get(id(child), 0) + 1
        stored_link = links.get((child.pk, guardian.pk)) if child.pk and guardian.pk else None
        if stored_link is None:
            link = GuardianLink(
                school=context.school,
                child=child,
                guardian=guardian,
                relationship=Relationship.OTHER,
                parental_responsibility=False,
                contact_order=per_child[id(child)],
            )
            link_change = Change(row.number, link, None)
        else:
            link = stored_link
            link.child, link.guardian = child, guardian
            link_change = Change(row.number, link, link.audit_snapshot())
        if parsed.has("relationship"):
            _set(link_change, link, "relationship", row.get("relationship"))
        if parsed.has("parental_responsibility"):
            _set(link_change, link, "parental_responsibility", row.get("parental_responsibility"))
        if parsed.has("contact_order"):
            _set(link_change, link, "contact_order", row.get("contact_order") or per_child[id(child)])
        problems = _model_problems(link, row.number, parsed.columns)
        if problems:
            file_plan.problems.extend(problems)
        elif link_change.created:
            file_plan.links_created.append(link_change)
        elif link_change.changes:
            file_plan.links_updated.append(link_change)
        else:
            file_plan.links_unchanged += 1


_KIND_ORDER = {PersonKind.PUPIL: 0, PersonKind.STAFF: 1}


def _holder(identity: NetworkIdentity) -> str:
    person = identity.person
    if person is None:
        return (
            f"the school's network identity \u201c{identity.label or identity.value}\u201d, which is no one's"
        )
    left = ", archived" if person.archived_at is not None else ""
    return f"{person.full_name} ({person.get_kind_display().lower()}{left})"


def _plan_usernames(context: _Context, result: Plan) -> None:
    """The user names the upload gives pupils and staff (`Plan.usernames`), after their rows are
    planned. Names from a column come first, each a problem of its row if another person (or a
    network identity of no one) has it, or another row gives it too. Then the rule makes the rest,
    for the people who have no user name yet, a number added for each clash (jsmith, jsmith2, ...)
    in the order of the names made and then of the MIS IDs, so that the same files checked twice
    give the same names whatever the order of their rows."""
    setting = result.usernames
    files = [f for f in result.files if f.kind in (ImportKind.PUPILS, ImportKind.STAFF)]
    if not setting.wanted or not files:
        return
    if not context.user.can(Capability.IDENTITIES_CHANGE, context.school.pk):
        for f in files:
            f.problems.append(
                Problem(1, "", "only the network manager may import network user names: upload the "
                        "files again without them, or ask the network manager to")
            )  # fmt: skip
        return
    held: dict[str, NetworkIdentity] = {
        i.value.lower(): i
        for i in NetworkIdentity.objects.restrict(context.user, Capability.IDENTITIES_CHANGE, context.school)
        .filter(kind=IdentityKind.USERNAME)
        .select_related("person")
    }
    named = {i.person_id for i in held.values() if i.person_id is not None}
    given: dict[str, tuple[FilePlan, int]] = {}  # user name -> where this upload gives it

    def add(file_plan: FilePlan, row: int, person: Person, name: str, note: str = "") -> None:
        given[name] = (file_plan, row)
        identity = NetworkIdentity(
            school=context.school, kind=IdentityKind.USERNAME, value=name, person=person
        )
        change = Change(row, identity, None)
        if note:
            change.changes.append(("User name", "", note))
        file_plan.identities_created.append(change)

    wanting: list[tuple[FilePlan, int, Person]] = []
    for file_plan in files:
        column = file_plan.parsed.column("username")
        if setting.from_column and setting.rule is None and not file_plan.parsed.has("username"):
            if file_plan.parsed.headers:
                file_plan.problems.append(
                    Problem(1, "", "there is no user name column (User name, Login, Network user name ...): "
                            "add it to the export, or upload again with user names made by a rule")
                )  # fmt: skip
            continue
        for row, person, name in file_plan.people:
            has_one = person.pk is not None and person.pk in named
            if setting.from_column and name:
                identity = held.get(name)
                if identity is not None and person.pk is not None and identity.person_id == person.pk:
                    file_plan.identities_kept += 1
                elif identity is not None:
                    file_plan.problems.append(
                        Problem(row, column, f"{name} is already the user name of {_holder(identity)}")
                    )
                elif name in given:
                    other, other_row = given[name]
                    where = "" if other is file_plan else f" of {other.filename}"
                    file_plan.problems.append(
                        Problem(row, column, f"{name} is also on row {other_row}{where}")
                    )
                else:
                    add(file_plan, row, person, name, "another user name" if has_one else "")
            elif has_one:
                file_plan.identities_kept += 1
            elif setting.rule is not None:
                wanting.append((file_plan, row, person))
    if setting.rule is None:
        return
    made = sorted(
        ((setting.rule.make(p), f, row, p) for f, row, p in wanting),
        key=lambda m: (m[0], _KIND_ORDER.get(PersonKind(m[3].kind), 9), m[3].mis_id.upper(), m[2]),
    )
    for base, file_plan, row, person in made:
        column = file_plan.parsed.column("username") if setting.from_column else ""
        if not base:
            file_plan.problems.append(
                Problem(
                    row, column,
                    f"no user name can be made of {person.first_name} {person.last_name} by the rule "
                    f"{setting.rule.text}: give it in a user name column",
                )
            )  # fmt: skip
            continue
        if len(base) > USERNAME_MAX - 4:
            file_plan.problems.append(
                Problem(row, column, f"the user name {base[:20]}\u2026 would be longer than "
                        f"{USERNAME_MAX - 4} characters: give it in a user name column, or a shorter "
                        "rule ({last:20})")
            )  # fmt: skip
            continue
        name, number = base, 1
        while name in held or name in given:
            number += 1
            name = f"{base}{number}"
        taken = held.get(base)
        if name == base:
            add(file_plan, row, person, name)
        elif taken is not None:
            add(file_plan, row, person, name, f"{base} is {_holder(taken)}'s")
        else:
            add(file_plan, row, person, name, f"{base} is row {given[base][1]}'s")
