"""What a school's policy starts with.

- `LISTS` and `CATEGORIES`: the lists and categories of examples/policy.toml (the UT1 sample, the
  locked IWF and terrorism lists and their categories, the UT1 categories mapped onto the UKSIC ones,
  the curated UK education and child-support list) and the group `default` for anyone the filter
  cannot identify. `actions.ensure_policy` sets these up for a school whose policy was never set up.
  The example's locked lists are test stand-ins (`lists/iwf-test.txt`), which the demo school writes.
- `install_default_policy`: the whole policy a school made with `schoolgate school create` (or the
  trust's Add a school page) starts with, publishable at once: pupils, staff, visitors and `default`;
  the locked lists where a real school installs them (`LOCKED_LISTS`: `lists/iwf.txt` and
  `lists/terrorism.txt` beside the published policy), which until then are reported "not installed"
  and compile empty, never refused and never pretended; safe search; the UKSIC categories blocked;
  the UK education list allowed above every category rule.

Kept here rather than read from examples/ (which is not installed with the package);
tests/web/policy/test_seed.py checks that they still match the example file.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from schoolgate.web.audit.trail import acting_as
from schoolgate.web.core.actions import Operator
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.policy.choices import DEFAULT_GROUP as DEFAULT_GROUP_NAME
from schoolgate.web.policy.choices import AlertLevel, MemberKind, Verdict, YouTube
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    Rule,
    SchoolPolicy,
)
from schoolgate.web.tenancy.models import School

# The curated list of UK education and child-support sites shipped with Schoolgate
# (src/schoolgate/data/uk-education.txt, each entry with its reason).
EDUCATION_LIST: dict[str, Any] = {
    "name": "uk-education",
    "format": "domains",
    "path": "builtin:uk-education.txt",
    "description": "UK education and child-support sites, curated and shipped with Schoolgate",
}
EDUCATION_CATEGORY: dict[str, Any] = {
    "name": "uk-education",
    "sources": ["uk-education"],
    "description": "Help for children, online safety, curriculum and school tools: allowed above every "
    "category rule, never above the locked lists",
}

LISTS: tuple[dict[str, Any], ...] = (
    {"name": "ut1", "format": "squidguard", "path": "builtin:ut1-sample"},
    EDUCATION_LIST,
    {
        "name": "iwf",
        "format": "domains",
        "path": "lists/iwf-test.txt",
        "locked": True,
        "description": "Internet Watch Foundation child sexual abuse list (test stand-in)",
    },
    {
        "name": "terrorism",
        "format": "domains",
        "path": "lists/terrorism-test.txt",
        "locked": True,
        "description": "Police-assessed unlawful terrorist content (test stand-in)",
    },
)

CATEGORIES: tuple[dict[str, Any], ...] = (
    {"name": "child-abuse", "sources": ["iwf"], "uksic": "illegal", "locked": True},
    {"name": "terrorism", "sources": ["terrorism"], "uksic": "extremism", "locked": True},
    {
        "name": "malware-hacking",
        "sources": [
            "ut1/malware",
            "ut1/phishing",
            "ut1/hacking",
            "ut1/cryptojacking",
            "ut1/ddos",
            "ut1/stalkerware",
        ],
        "uksic": "malware-hacking",
    },
    {"name": "piracy", "sources": ["ut1/warez"], "uksic": "piracy"},
    {"name": "pornography", "sources": ["ut1/adult", "ut1/mixed_adult"], "uksic": "pornography"},
    {
        "name": "hate",
        "sources": ["ut1/agressif"],
        "uksic": "hate-speech",
        "description": "Racist, antisemitic and hateful sites: promotion of discrimination",
    },
    {
        "name": "violence",
        "sources": ["ut1/dangerous_material"],
        "uksic": "violence",
        "description": "Weapons and dangerous material: threatening behaviour and physical harm",
    },
    {"name": "drugs", "sources": ["ut1/drogue"], "uksic": "drugs"},
    {"name": "gambling", "sources": ["ut1/gambling", "ut1/arjel"], "uksic": "gambling"},
    {"name": "misinformation", "sources": ["ut1/fakenews"], "uksic": "misinformation"},
    {
        "name": "circumvention",
        "sources": ["ut1/vpn", "ut1/redirector", "ut1/doh", "ut1/residential-proxies"],
        "description": "VPNs, web proxies and DNS-over-HTTPS: ways round the filter",
    },
    {"name": "adult-themes", "sources": ["ut1/dating", "ut1/lingerie", "ut1/sect"]},
    {
        "name": "large-downloads",
        "sources": ["ut1/download", "ut1/filehosting"],
        "description": "Unfair usage: downloading or uploading large files",
    },
    {"name": "educational-games", "sources": ["ut1/educational_games"]},
    {"name": "games", "sources": ["ut1/games"]},
    {"name": "shopping", "sources": ["ut1/shopping"]},
    {"name": "social-media", "sources": ["ut1/social_networks", "ut1/blog"]},
    {"name": "messaging", "sources": ["ut1/chat", "ut1/webmail"]},
    {"name": "video", "sources": ["ut1/audio-video"], "description": "Video broadcasting, e.g. YouTube"},
    EDUCATION_CATEGORY,
)

DEFAULT_GROUP: dict[str, Any] = {
    "name": "default",
    "description": "Anyone the filter cannot identify",
    "default": "block",
    "safe_search": True,
    "youtube": "strict",
}


# The locked lists of a real school: where the server's operator installs them, beside the published
# policy (`SCHOOLGATE_DATA/lists/`). Until a file is there the list is "not installed" (see
# `schoolgate.policyfile.load.locked_list_missing`), and every check says how to obtain it.
LOCKED_LISTS: tuple[dict[str, Any], ...] = (
    {
        "name": "iwf",
        "format": "domains",
        "path": "lists/iwf.txt",
        "locked": True,
        "description": "Internet Watch Foundation list of child sexual abuse content (IWF members)",
    },
    {
        "name": "terrorism",
        "format": "domains",
        "path": "lists/terrorism.txt",
        "locked": True,
        "description": "Police-assessed list of unlawful terrorist content (CTIRU, for the Home Office)",
    },
)

# (name, description, YouTube restriction, the kinds of people in it), `default` set up as above.
GROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("pupils", "Every pupil, by their network user name", YouTube.STRICT, (PersonKind.PUPIL,)),
    ("staff", "Every member of staff", YouTube.MODERATE, (PersonKind.STAFF,)),
    (
        "visitors",
        "Visitors, supply staff and community users, until their end date",
        YouTube.STRICT,
        (PersonKind.VISITOR, PersonKind.SUPPLY, PersonKind.COMMUNITY),
    ),
)

# (name, action, categories, alert, groups: None for everyone), first match wins.
RULES: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...] | None], ...] = (
    ("UK education and child support, for everyone", Verdict.ALLOW, ("uk-education",), AlertLevel.NONE, None),
    ("Educational games, for everyone", Verdict.ALLOW, ("educational-games",), AlertLevel.NONE, None),
    (
        "Malware, hacking, piracy and getting round the filter",
        Verdict.BLOCK,
        ("malware-hacking", "piracy", "circumvention"),
        AlertLevel.MEDIUM,
        None,
    ),
    ("Pornography", Verdict.BLOCK, ("pornography",), AlertLevel.HIGH, None),
    ("Hate and violence", Verdict.BLOCK, ("hate", "violence"), AlertLevel.HIGH, None),
    ("Drugs and gambling", Verdict.BLOCK, ("drugs", "gambling"), AlertLevel.MEDIUM, None),
    (
        "Misinformation, dating and adult themes",
        Verdict.BLOCK,
        ("misinformation", "adult-themes"),
        AlertLevel.LOW,
        None,
    ),
    ("Large downloads", Verdict.BLOCK, ("large-downloads",), AlertLevel.NONE, None),
    (
        "Social media and messaging, not for pupils or visitors",
        Verdict.BLOCK,
        ("social-media", "messaging"),
        AlertLevel.NONE,
        ("pupils", "visitors"),
    ),
    (
        "Games and shopping, not for pupils or visitors",
        Verdict.BLOCK,
        ("games", "shopping"),
        AlertLevel.NONE,
        ("pupils", "visitors"),
    ),
)

DEFAULT_POLICY_ACTOR = "system (a new school's default policy)"


def install_default_policy(school: School) -> bool:
    """Set up `school`'s whole default policy in the editor (a draft, ready to publish at once). Does
    nothing, and returns False, if the school's policy was set up already: a school's own changes are
    never overwritten. Written to the audit trail as the set-up, like `actions.ensure_policy`."""
    from schoolgate.web.policy import actions  # which imports this module

    operator = Operator(DEFAULT_POLICY_ACTOR)

    with transaction.atomic(), acting_as(DEFAULT_POLICY_ACTOR, "a new school's default policy"):
        if SchoolPolicy.objects.select_for_update().filter(school=school).exists():
            return False
        SchoolPolicy.objects.create(school=school)
        locked = {spec["name"]: spec for spec in LOCKED_LISTS}
        for spec in LISTS:
            ListSource.objects.create(school=school, **locked.get(spec["name"], spec))
        categories = {spec["name"]: Category.objects.create(school=school, **spec) for spec in CATEGORIES}
        groups = {DEFAULT_GROUP_NAME: FilterGroup.objects.create(school=school, **DEFAULT_GROUP)}
        for name, description, youtube, kinds in GROUPS:
            group = FilterGroup.objects.create(
                school=school, name=name, description=description, default=Verdict.ALLOW, youtube=youtube
            )
            for kind in kinds:
                actions.do_add_member(
                    GroupMember(school=school, group=group, kind=MemberKind.PERSON_KIND, person_kind=kind),
                    actor=operator,
                )
            groups[name] = group
        for name, action, names, alert, who in RULES:
            rule = Rule(school=school, name=name, action=action, alert=alert, everyone=who is None)
            actions.do_save_rule(
                rule,
                actor=operator,
                groups=[groups[g] for g in who or ()],
                categories=[categories[n] for n in names],
                sites=[],
            )
    return True
