"""The demo school: a trust with one primary school, its classes, pupils with their parents, staff,
and a login for every role. `make run` loads it; the page-timing benchmark loads a larger one.

Everything is made up from the name lists below with a fixed seed, so two loads give the same school.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import Membership, User
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.incidents.choices import IncidentKind, IncidentType, Outcome, RiskArea, Status
from schoolgate.web.incidents.choices import Role as PartRole
from schoolgate.web.people.choices import IdentityKind, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, NetworkIdentity, Person, YearGroup
from schoolgate.web.policy.models import PolicyVersion
from schoolgate.web.tenancy.models import School, Trust

DEMO_PASSWORD = "northfield-demo-2026"
# The demo's policy tells its users that they are monitored (docs/monitoring.md, "Telling users"), in the
# words of the block page.
MONITORED = (
    "What they search for and the sites they visit are recorded, and may be seen by the school's "
    "safeguarding team and the people who run its filter."
)
DEMO_PUPIL = ("Amelia", "Hughes")  # user name amelia.hughes

FIRST_NAMES = (
    "Amelia", "Oliver", "Noah", "Isla", "Ava", "Muhammad", "Olivia", "George", "Leo", "Freya", "Aisha",
    "Harry", "Zara", "Jacob", "Priya", "Oscar", "Lily", "Arthur", "Maya", "Theo", "Ivy", "Yusuf", "Grace",
    "Finley", "Sofia", "Kai", "Ella", "Rohan", "Mia", "Alfie", "Chloe", "Ibrahim", "Evie", "Reuben",
    "Hannah", "Tomasz", "Amara", "Daniel", "Layla", "Samuel", "Niamh", "Jayden", "Ruby", "Ethan", "Fatima",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Patel", "Khan", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson", "Ahmed",
    "Hughes", "Okafor", "Kowalski", "Roberts", "Walker", "Wright", "Thompson", "White", "Hussain", "Green",
    "Hall", "Wood", "Clarke", "Begum", "Campbell", "Murphy", "Nowak", "Ali", "Edwards", "Robinson", "Lewis",
    "Mensah", "Singh", "Johnson", "Turner", "Cooper", "Hill", "Ward", "Morris", "Price", "Bennett", "Gray",
)  # fmt: skip
JOBS = ("Class teacher", "Teaching assistant", "SENCO", "School business manager", "Office manager",
        "Midday supervisor", "Caretaker", "Learning mentor", "Cover supervisor")  # fmt: skip
# The staff team of each job (Person.team: the agreements' and training's lists by team).
TEAMS = {
    "Class teacher": "Teaching", "SENCO": "Teaching", "Cover supervisor": "Teaching",
    "Year 5 class teacher": "Teaching", "Computing lead": "Teaching", "Teaching assistant": "Support",
    "Learning mentor": "Support", "Pastoral lead": "Support", "School business manager": "Office",
    "Office manager": "Office", "Network manager": "Office", "Midday supervisor": "Lunchtime",
    "Caretaker": "Site", "Deputy headteacher": "Leadership", "Headteacher": "Leadership",
    "Assistant headteacher": "Leadership",
}  # fmt: skip

# Year groups of a primary school, then a secondary's, with their key stages.
YEARS = (
    ("Reception", KeyStage.EYFS), ("Year 1", KeyStage.KS1), ("Year 2", KeyStage.KS1),
    ("Year 3", KeyStage.KS2), ("Year 4", KeyStage.KS2), ("Year 5", KeyStage.KS2), ("Year 6", KeyStage.KS2),
    ("Year 7", KeyStage.KS3), ("Year 8", KeyStage.KS3), ("Year 9", KeyStage.KS3), ("Year 10", KeyStage.KS4),
    ("Year 11", KeyStage.KS4), ("Year 12", KeyStage.KS5), ("Year 13", KeyStage.KS5),
)  # fmt: skip

# (user name, first name, last name, role, job title): one login per role.
LOGINS = (
    ("s.ahmed", "Sarah", "Ahmed", Role.DSL, "Deputy headteacher"),
    ("j.taylor", "James", "Taylor", Role.DEPUTY_DSL, "Pastoral lead"),
    ("p.okafor", "Precious", "Okafor", Role.ONLINE_SAFETY_COORDINATOR, "Computing lead"),
    ("d.kowalski", "Dawid", "Kowalski", Role.NETWORK_MANAGER, "Network manager"),
    ("m.evans", "Margaret", "Evans", Role.HEADTEACHER, "Headteacher"),
    ("l.hughes", "Laura", "Hughes", Role.SLT, "Assistant headteacher"),
    ("r.patel", "Ravi", "Patel", Role.TEACHER, "Year 5 class teacher"),
    ("a.brown", "Alan", "Brown", Role.GOVERNOR, "Safeguarding governor"),
    ("c.morgan", "Catherine", "Morgan", Role.CHAIR_OF_GOVERNORS, "Chair of governors"),
    ("b.osei", "Ben", "Osei", Role.ONLINE_SAFETY_GOVERNOR, "Online safety governor"),
    ("k.walsh", "Karen", "Walsh", Role.OFFICE, "School business manager"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    name: str


@dataclass(frozen=True)
class DemoSchool:
    school: School
    logins: list[DemoLogin]
    created: bool


def load_demo(
    *,
    name: str = "Northfield Primary School",
    slug: str = "northfield",
    pupils: int = 420,
    classes: int = 14,
    staff: int = 40,
    secondary: bool = False,
    seed: int = 1,
) -> DemoSchool:
    """Load the demo school unless a school with `slug` exists already (then only say its logins)."""
    logins = [
        DemoLogin(u, DEMO_PASSWORD, role.label, f"{first} {last}") for u, first, last, role, _ in LOGINS
    ]
    existing = School.objects.filter(slug=slug).first()
    if existing is not None:
        return DemoSchool(existing, logins, False)
    rng = random.Random(seed)
    with transaction.atomic(), acting_as("schoolgate web demo", "the demo school"):
        trust, _ = Trust.objects.get_or_create(name="Riverside Learning Trust")
        school = School.objects.create(name=name, slug=slug, trust=trust, urn="100001")
        years = [
            YearGroup.objects.create(school=school, name=year, key_stage=stage, order=i)
            for i, (year, stage) in enumerate(YEARS[7:] if secondary else YEARS[:7])
        ]
        groups: list[ClassGroup] = []
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        for number in range(classes):
            year = years[number * len(years) // classes]  # spread evenly over the years
            label = year.name.replace("Year ", "") if year.name.startswith("Year") else "R"
            index = sum(1 for g in groups if g.year_group == year)
            name = f"{label}{letters[index]}" if index < len(letters) else f"{label}-{index + 1}"
            groups.append(ClassGroup.objects.create(school=school, name=name, year_group=year))
        hashed = make_password(DEMO_PASSWORD)
        for username, first, last, role, job in LOGINS:
            user = User.objects.create(
                username=username,
                password=hashed,
                first_name=first,
                last_name=last,
                display_name=f"{first} {last}",
            )
            Membership.objects.create(user=user, school=school, role=role)
            governs = role in (Role.GOVERNOR, Role.CHAIR_OF_GOVERNORS, Role.ONLINE_SAFETY_GOVERNOR)
            kind = PersonKind.GOVERNOR if governs else PersonKind.STAFF
            person = Person.objects.create(
                school=school, kind=kind, first_name=first, last_name=last, job_title=job, user=user,
                team=TEAMS.get(job, "") if kind == PersonKind.STAFF else "",
                email=f"{username}@northfield.example", mis_id=f"S{len(username):02d}{username[:3].upper()}",
            )  # fmt: skip
            if kind == PersonKind.STAFF:
                NetworkIdentity.objects.create(
                    school=school, kind=IdentityKind.USERNAME, value=username, person=person
                )
        for number in range(max(0, staff - len(LOGINS))):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            job = rng.choice(JOBS)
            person = Person.objects.create(
                school=school, kind=PersonKind.STAFF, first_name=first, last_name=last,
                job_title=job, team=TEAMS[job], mis_id=f"T{number:04d}",
                email=f"{first.lower()}.{last.lower()}{number}@northfield.example",
            )  # fmt: skip
            NetworkIdentity.objects.create(
                school=school, kind=IdentityKind.USERNAME, value=f"{first[0].lower()}.{last.lower()}{number}",
                person=person,
            )  # fmt: skip
        today = timezone.localdate()
        for number in range(pupils):
            group = groups[number % len(groups)]
            if number == 0:  # one pupil the demo names: Amelia Hughes, in the oldest year
                group = groups[-1]
            assert group.year_group is not None
            age = 4 + group.year_group.order + (11 if secondary else 0)
            born = dt.date(today.year - age - 1, 9, 1) + dt.timedelta(days=rng.randrange(365))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if number == 0:
                first, last = DEMO_PUPIL
            pupil = Person.objects.create(
                school=school, kind=PersonKind.PUPIL, first_name=first, last_name=last, date_of_birth=born,
                year_group=group.year_group, class_group=group, mis_id=f"N{800000 + number:06d}A",
            )  # fmt: skip
            NetworkIdentity.objects.create(
                school=school,
                kind=IdentityKind.USERNAME,
                value=f"{first.lower()}.{last.lower()}" + ("" if number == 0 else str(number)),
                person=pupil,
            )
            parent = Person.objects.create(
                school=school, kind=PersonKind.PARENT, first_name=rng.choice(FIRST_NAMES), last_name=last,
                phone=f"07700 9{number:05d}",
            )  # fmt: skip
            GuardianLink.objects.create(
                school=school, child=pupil, guardian=parent,
                relationship=rng.choice((Relationship.MOTHER, Relationship.FATHER, Relationship.CARER)),
            )  # fmt: skip
        host = Person.objects.filter(school=school, kind=PersonKind.STAFF).order_by("pk").first()
        Person.objects.create(
            school=school, kind=PersonKind.VISITOR, first_name="Helen", last_name="Marsh",
            organisation="Local library", purpose="Reading volunteer, Year 2", host=host,
            expires_at=timezone.now() + dt.timedelta(days=90),
        )  # fmt: skip
        Person.objects.create(
            school=school, kind=PersonKind.SUPPLY, first_name="Kwame", last_name="Boateng",
            organisation="Supply agency", purpose="Covering Year 4", host=host,
            expires_at=timezone.now() + dt.timedelta(days=5),
        )  # fmt: skip
        NetworkIdentity.objects.create(school=school, kind=IdentityKind.NETWORK, value="10.10.1.0/24",
                                       label="KS1 classroom tablets")  # fmt: skip
        NetworkIdentity.objects.create(school=school, kind=IdentityKind.NETWORK, value="10.10.200.0/24",
                                       label="Guest Wi-Fi")  # fmt: skip
    return DemoSchool(school, logins, True)


# The demo's online safety log: (type, area, misuse key or "", what happened, outcome or "" if open).
DEMO_INCIDENTS = (
    (IncidentType.CYBERBULLYING, RiskArea.CONDUCT, "offensive-message",
     "Unkind messages about a classmate were shared in a group chat after school.", Outcome.RESOLVED),
    (IncidentType.FILTER_BYPASS, RiskArea.CONDUCT, "proxy",
     "A pupil used a proxy site on a classroom laptop to reach a blocked games site.", Outcome.SANCTIONED),
    (IncidentType.HARMFUL_CONTENT, RiskArea.CONTENT, "accidental-offensive",
     "A pupil saw a violent video through a link in a game chat and told nobody.", Outcome.EARLY_HELP),
    (IncidentType.MISUSE, RiskArea.CONDUCT, "pupil-account",
     "A pupil logged in with a friend's password and changed their work.", Outcome.SANCTIONED),
    (IncidentType.SELF_HARM, RiskArea.CONTENT, "",
     "Searches about self-harm were flagged on a pupil's account during lunch.", Outcome.REFERRED),
    (IncidentType.CYBERBULLYING, RiskArea.CONTACT, "",
     "A pupil was sent threatening messages by someone outside the school.", ""),
    (IncidentType.DATA_PROTECTION, RiskArea.COMMERCE, "",
     "A phishing e-mail asked pupils for their school log-in details.", Outcome.NO_FURTHER_ACTION),
    (IncidentType.OTHER, RiskArea.COMMERCE, "",
     "A pupil spent money on in-game purchases with a parent's card.", ""),
)  # fmt: skip


def load_demo_incidents(school: School, *, count: int = 24, seed: int = 1) -> int:
    """Fill the demo's online safety log over this school year and the last, through the same actions
    as the pages (the dates are those of a log kept on paper and typed in). Returns how many were made;
    none if the log has incidents already."""
    from schoolgate.web.incidents import actions
    from schoolgate.web.incidents.models import Incident
    from schoolgate.web.sanctions import matrix
    from schoolgate.web.sanctions.models import Misuse

    if Incident.objects.filter(school=school).exists():
        return 0
    matrix.ensure_matrix(school)
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(memberships__school=school).distinct()}
    reporters = [users[name] for name in ("r.patel", "l.hughes", "p.okafor", "d.kowalski") if name in users]
    dsl = users["s.ahmed"]
    seniors = (users["s.ahmed"], users["m.evans"])
    pupils = list(Person.objects.filter(school=school, kind=PersonKind.PUPIL).order_by("pk")[:200])
    misuse = {m.key: m for m in Misuse.objects.filter(school=school, applies_to="pupil")}
    now = timezone.now()
    made = 0
    for number in range(count):
        kind, area, key, what, outcome = DEMO_INCIDENTS[number % len(DEMO_INCIDENTS)]
        when = now - dt.timedelta(days=rng.randrange(5, 600), hours=rng.randrange(8))
        if number < 2:  # two new ones, for the DSL to triage
            when = now - dt.timedelta(days=number + 1)
        subject, other = rng.sample(pupils, 2)
        incident = actions.do_report(
            school,
            actor=rng.choice(reporters),
            report=actions.Report(
                kind=IncidentKind.PUPIL, risk_area=area, incident_type=kind, occurred_at=when,
                location=rng.choice(("Year 5 classroom", "ICT suite", "At home, online", "Library")),
                what_happened=what, childs_words="I didn't know what to do so I told my teacher.",
                misuse=misuse.get(key), reported_at=when + dt.timedelta(hours=2),
                people=(actions.Party(PartRole.SUBJECT if key else PartRole.VICTIM, person=subject),
                        actions.Party(PartRole.WITNESS, person=other)),
            ),
        )  # fmt: skip
        made += 1
        if number < 2:
            continue
        actions.do_move(incident, actor=dsl, to=Status.TRIAGED)
        actions.do_move(incident, actor=dsl, to=Status.INVESTIGATING)
        if actions.needs_two_seniors(incident):
            actions.do_classify(
                incident, actor=dsl,
                classification=actions.Classification(
                    kind=IncidentKind.PUPIL, risk_area=area, incident_type=kind, misuse=incident.misuse,
                    restricted=incident.restricted, concerns_headteacher=False, illegal_content="",
                    senior_first=seniors[0], senior_second=seniors[1],
                ),
            )  # fmt: skip
            first = incident.misuse.expected.order_by("order").first() if incident.misuse else None
            if first is not None:
                actions.do_take_action(
                    incident, actor=dsl, action=first, taken_at=when + dt.timedelta(days=1)
                )
        if outcome == Outcome.REFERRED:
            actions.do_refer(
                incident, actor=dsl, agency="social-care", reference=f"MASH-{rng.randrange(1000, 9999)}",
                due_on=(when + dt.timedelta(days=14)).date(), made_at=when + dt.timedelta(days=1),
            )  # fmt: skip
        parent = subject.guardian_links.select_related("guardian").first()
        if parent is not None:
            actions.do_tell_parents(
                incident, actor=dsl, name=parent.guardian.full_name, guardian=parent.guardian, method="phone",
                told_at=when + dt.timedelta(days=1),
            )  # fmt: skip
        else:
            actions.do_parents_not_told(incident, actor=dsl, reason="No parent or carer on record")
        if outcome or number % 3 == 0:
            actions.do_move(incident, actor=dsl, to=Status.ACTIONS)
        if outcome:
            actions.do_close(
                incident, actor=dsl, outcome=outcome,
                reasons="Spoken to the pupils involved; support in place.",
                not_referred_reason="" if outcome == Outcome.REFERRED else "Below the threshold",
            )  # fmt: skip
    return made


STAND_IN_LISTS = {
    "iwf-test.txt": (
        "# Stand-in for the Internet Watch Foundation's child sexual abuse URL list: reserved names only\n"
        "# (RFC 2606 / RFC 6761), so that the locked list can be shown. Replace it with your provider's.\n"
        "iwf-test.example\n"
    ),
    "terrorism-test.txt": (
        "# Stand-in for the police-assessed list of unlawful terrorist content: reserved names only.\n"
        "terror-test.example\nextremist-content-test.invalid\n"
    ),
}


def write_stand_in_lists(directory: Path) -> None:
    """The locked lists' stand-ins, where the published policy names them (`lists/` beside it), unless
    the school's real lists are there already."""
    (directory / "lists").mkdir(parents=True, exist_ok=True)
    for name, text in STAND_IN_LISTS.items():
        path = directory / "lists" / name
        if not path.exists():
            path.write_text(text)


def load_demo_policy(school: School, *, extra_rules: int = 0) -> PolicyVersion | None:
    """The demo school's filtering policy, as the network manager would set it up in the editor, then
    published: pupils, staff, the computing lead, classroom tablets and visitors; the example policy's
    rules; and `extra_rules` temporary unblocks for lessons (for the page-timing benchmark).
    Does nothing if the school has published a policy already."""
    from schoolgate.web.policy import actions
    from schoolgate.web.policy.choices import AlertLevel, MemberKind, Verdict, YouTube
    from schoolgate.web.policy.models import Category, FilterGroup, GroupMember, Rule, SiteList, TimeWindow

    if PolicyVersion.objects.filter(school=school).exists():
        return None
    manager = User.objects.get(username="d.kowalski")
    write_stand_in_lists(actions.snapshot_path(school).parent)
    with transaction.atomic(), acting_as(manager, "the demo school's policy"):
        actions.ensure_policy(school)

        def group(name: str, description: str, youtube: str, *members: dict[str, object]) -> FilterGroup:
            made = FilterGroup.objects.create(
                school=school, name=name, description=description, default=Verdict.ALLOW, youtube=youtube
            )
            for member in members:
                actions.do_add_member(GroupMember(school=school, group=made, **member), actor=manager)
            return made

        lead = Person.objects.get(school=school, user__username="p.okafor")
        tablets = NetworkIdentity.objects.get(school=school, value="10.10.1.0/24")
        guest = NetworkIdentity.objects.get(school=school, value="10.10.200.0/24")
        pupils = group("pupils", f"Every pupil's login. {MONITORED}", YouTube.STRICT,
                       {"kind": MemberKind.PERSON_KIND, "person_kind": PersonKind.PUPIL})  # fmt: skip
        tablets_group = group("classroom-tablets", "The KS1 classroom tablets", YouTube.STRICT,
                              {"kind": MemberKind.IDENTITY, "identity": tablets})  # fmt: skip
        staff = group("staff", f"Every member of staff. {MONITORED}", YouTube.MODERATE,
                      {"kind": MemberKind.PERSON_KIND, "person_kind": PersonKind.STAFF})  # fmt: skip
        nominated = group("nominated-staff", "Staff nominated for social media (the computing lead)",
                          YouTube.MODERATE, {"kind": MemberKind.PERSON, "person": lead})  # fmt: skip
        visitors = group("visitors", "Guest Wi-Fi, visitors and supply staff", YouTube.STRICT,
                         {"kind": MemberKind.IDENTITY, "identity": guest},
                         {"kind": MemberKind.PERSON_KIND, "person_kind": PersonKind.SUPPLY})  # fmt: skip
        lunchtime = TimeWindow.objects.create(
            school=school, name="free-time", description="Lunchtime and after school",
            days=["mon", "tue", "wed", "thu", "fri"], times=["12:00-13:15", "15:30-18:00"],
        )  # fmt: skip
        curriculum = SiteList.objects.create(
            school=school, name="curriculum", description="Sites the curriculum uses",
            domains=["bbc.co.uk", "nationalarchives.gov.uk", "oaknationalacademy.com"],
        )  # fmt: skip
        categories = {c.name: c for c in Category.objects.filter(school=school)}

        def rule(name: str, action: str, cats: list[str], *, groups: list[FilterGroup] | None = None,
                 alert: str = AlertLevel.NONE, **fields: object) -> None:  # fmt: skip
            made = Rule(
                school=school, name=name, action=action, everyone=groups is None, alert=alert, **fields
            )
            actions.do_save_rule(
                made, actor=manager, groups=groups or [], categories=[categories[c] for c in cats], sites=[]
            )

        rule("Malware, hacking, piracy and getting round the filter", Verdict.BLOCK,
             ["malware-hacking", "piracy", "circumvention"], alert=AlertLevel.MEDIUM)  # fmt: skip
        rule("Pornography", Verdict.BLOCK, ["pornography"], alert=AlertLevel.HIGH)
        rule("Hate and violence", Verdict.BLOCK, ["hate", "violence"], alert=AlertLevel.HIGH)
        rule("Drugs and gambling", Verdict.BLOCK, ["drugs", "gambling"], alert=AlertLevel.MEDIUM)
        rule("Misinformation, dating and adult themes", Verdict.BLOCK, ["misinformation", "adult-themes"],
             alert=AlertLevel.LOW)  # fmt: skip
        rule("Large downloads", Verdict.BLOCK, ["large-downloads"])
        rule("Educational games, for everyone", Verdict.ALLOW, ["educational-games"])
        rule("Social media, messaging and video for nominated staff", Verdict.ALLOW,
             ["social-media", "messaging", "video"], groups=[nominated])  # fmt: skip
        rule("Social media and messaging, for nobody else", Verdict.BLOCK, ["social-media", "messaging"])
        rule("Games and shopping for staff in free time", Verdict.ALLOW, ["games", "shopping"],
             groups=[staff, nominated], window=lunchtime)  # fmt: skip
        rule("Games and shopping, otherwise", Verdict.BLOCK, ["games", "shopping"])
        made = Rule(
            school=school, name="The curriculum's sites, for everyone", action=Verdict.ALLOW, everyone=True
        )
        actions.do_save_rule(made, actor=manager, groups=[], categories=[], sites=[curriculum])
        end_of_term = timezone.now() + dt.timedelta(days=30)
        for number in range(extra_rules):
            unblock = Rule(
                school=school, name=f"Lesson {number + 1}: a site for a class, until the end of term",
                action=Verdict.ALLOW, everyone=False, domains=[f"lesson-{number + 1}.example.org"],
                expires=end_of_term,
            )  # fmt: skip
            actions.do_save_rule(
                unblock,
                actor=manager,
                groups=[pupils, tablets_group, visitors],
                categories=[],
                sites=[],
                at_top=True,
            )
        draft = actions.check_draft(school)
        if draft.problems:
            raise RuntimeError(
                "the demo policy has problems: " + "; ".join(p.message for p in draft.problems)
            )
        return actions.do_publish(
            school,
            actor=manager,
            reason="The demo school's first policy",
            expected_sha256=draft.rendered.sha256,
        )


def load_demo_records(school: School) -> None:
    """The school's other records for the demo: its term dates, agreements accepted, photo consent,
    devices and guest logins, training, and the annual review (each app's `seed_demo`; each adds nothing
    if it has run)."""
    from django.utils import timezone

    from schoolgate.web.agreements.demo import seed_demo as agreements
    from schoolgate.web.annualreview.demo import seed_demo as review
    from schoolgate.web.consent.demo import seed_demo as consent
    from schoolgate.web.devices.demo import seed_demo as devices
    from schoolgate.web.reports.demo import seed_demo as terms
    from schoolgate.web.training.demo import seed_demo as training

    now = timezone.now()
    for seed in (terms, agreements, consent, devices, training, review):
        seed(school, now)
