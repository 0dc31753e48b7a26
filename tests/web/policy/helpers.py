"""A small fixed policy for Northfield Primary, made the way the editor makes one, and the paths the
tests publish to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.test import Client

from schoolgate.cli import main
from schoolgate.web.audit.trail import acting_as
from schoolgate.web.people.choices import IdentityKind, KeyStage, PersonKind
from schoolgate.web.people.models import ClassGroup, NetworkIdentity, Person, YearGroup
from schoolgate.web.policy.choices import AlertLevel, DateKind, MemberKind, Verdict, YouTube
from schoolgate.web.policy.models import (
    Category,
    FilterGroup,
    GroupMember,
    ListSource,
    Rule,
    SchoolDate,
    SchoolPolicy,
    SiteList,
    TimeWindow,
)
from schoolgate.web.tenancy.models import School
from tests.web.factories import Cast

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_LISTS = REPO / "examples" / "lists"
LONDON = ZoneInfo("Europe/London")
# Monday 2 November 2026, 10:30 and 12:30: in the autumn term, in lessons and at lunchtime.
IN_LESSONS = dt.datetime(2026, 11, 2, 10, 30, tzinfo=LONDON)
AT_LUNCH = dt.datetime(2026, 11, 2, 12, 30, tzinfo=LONDON)


@dataclass(frozen=True)
class Paths:
    root: Path
    policy: Path
    index: Path

    def snapshot(self, school: School) -> Path:
        """Where a school of the two-school cast publishes: beside POLICY_PATH, named by its slug."""
        return self.root / f"policy-{school.slug}.toml"


def compile_index(policy: Path, index: Path) -> None:
    """The index, compiled by `schoolgate lists compile` from the lists the policy names."""
    assert main(["lists", "compile", "--policy", str(policy), "--index", str(index), "--quiet"]) == 0


def compile_draft_lists(school: School, paths: Paths) -> None:
    """The index compiled from the lists the school's draft names, as a publish would compile it, so
    that a test of what a publish writes sees the snapshot alone written."""
    from schoolgate.web.policy.actions import check_draft

    draft = paths.root / "draft-for-lists.toml"
    draft.write_text(check_draft(school).text, encoding="utf-8")
    compile_index(draft, paths.index)
    draft.unlink()


@dataclass
class Northfield:
    ks2: FilterGroup
    staff: FilterGroup
    nominated: FilterGroup
    visitors: FilterGroup
    default: FilterGroup
    gambling: Category
    games: Category
    child_abuse: Category
    curriculum: SiteList
    free_time: TimeWindow
    lessons: TimeWindow
    rules: list[Rule]
    amelia: Person
    patel: Person


def small_policy(cast: Cast) -> Northfield:
    """The same rows every time (the golden file is their policy file), made by nina."""
    school = cast.a
    with acting_as(cast.nina):
        SchoolPolicy.objects.create(school=school, block_page="https://filter.northfield.sch.uk/blocked")
        ListSource.objects.create(school=school, name="ut1", format="squidguard", path="builtin:ut1-sample")
        ListSource.objects.create(
            school=school,
            name="iwf",
            format="domains",
            path="lists/iwf-test.txt",
            locked=True,
            description="Internet Watch Foundation list (test stand-in)",
        )
        child_abuse = Category.objects.create(
            school=school, name="child-abuse", sources=["iwf"], uksic="illegal", locked=True
        )
        gambling = Category.objects.create(
            school=school, name="gambling", sources=["ut1/gambling", "ut1/arjel"], uksic="gambling"
        )
        games = Category.objects.create(school=school, name="games", sources=["ut1/games"])
        Category.objects.create(
            school=school,
            name="educational-games",
            sources=["ut1/educational_games"],
            description='Games that teach: "acceptable" in the policy',
        )
        default = FilterGroup.objects.create(
            school=school,
            name="default",
            description="Anyone the filter cannot identify",
            default=Verdict.BLOCK,
        )
        ks2 = FilterGroup.objects.create(
            school=school,
            name="ks2",
            description='Key Stage 2 — "Year 5" and Year 6 pupils\\own user names',
            default=Verdict.ALLOW,
        )
        staff = FilterGroup.objects.create(
            school=school, name="staff", default=Verdict.ALLOW, youtube=YouTube.MODERATE
        )
        nominated = FilterGroup.objects.create(
            school=school,
            name="nominated-staff",
            description="Nominated by the headteacher",
            default=Verdict.ALLOW,
            youtube=YouTube.MODERATE,
        )
        visitors = FilterGroup.objects.create(school=school, name="visitors", default=Verdict.ALLOW)

        year6 = YearGroup.objects.create(school=school, name="Year 6", key_stage=KeyStage.KS2, order=6)
        class6b = ClassGroup.objects.create(school=school, name="6B", year_group=year6)
        amelia = Person.objects.create(
            school=school, kind=PersonKind.PUPIL, first_name="Amelia", last_name="Hughes",
            year_group=year6, class_group=class6b,
        )  # fmt: skip
        oliver = Person.objects.create(
            school=school, kind=PersonKind.PUPIL, first_name="Oliver", last_name="Brown", year_group=year6
        )
        left = Person.objects.create(
            school=school, kind=PersonKind.PUPIL, first_name="Noah", last_name="Left", year_group=year6,
            archived_at=dt.datetime(2026, 7, 20, tzinfo=LONDON), archive_reason="left the school",
        )  # fmt: skip
        patel = Person.objects.create(
            school=school, kind=PersonKind.STAFF, first_name="Ravi", last_name="Patel"
        )
        jones = Person.objects.create(
            school=school, kind=PersonKind.STAFF, first_name="Mair", last_name="Jones"
        )
        for person, kind, value, label in (
            (amelia, IdentityKind.USERNAME, "ks2-amelia", ""),
            (oliver, IdentityKind.USERNAME, "KS2-Oliver", ""),
            (left, IdentityKind.USERNAME, "ks2-noah", ""),
            (patel, IdentityKind.USERNAME, "mr.patel", ""),
            (patel, IdentityKind.DEVICE, "10.10.5.20", "Mr Patel's laptop"),
            (jones, IdentityKind.USERNAME, "mrs.jones", ""),
            (None, IdentityKind.NETWORK, "10.10.200.0/24", "guest Wi-Fi"),
        ):
            NetworkIdentity.objects.create(school=school, person=person, kind=kind, value=value, label=label)
        guest = NetworkIdentity.objects.get(school=school, value="10.10.200.0/24")
        GroupMember.objects.create(school=school, group=ks2, kind=MemberKind.YEAR_GROUP, year_group=year6)
        GroupMember.objects.create(
            school=school, group=staff, kind=MemberKind.PERSON_KIND, person_kind=PersonKind.STAFF
        )
        GroupMember.objects.create(school=school, group=nominated, kind=MemberKind.PERSON, person=patel)
        GroupMember.objects.create(school=school, group=visitors, kind=MemberKind.IDENTITY, identity=guest)

        SchoolDate.objects.create(
            school=school,
            kind=DateKind.TERM,
            name="Autumn term",
            first=dt.date(2026, 9, 3),
            last=dt.date(2026, 12, 18),
        )
        SchoolDate.objects.create(
            school=school, kind=DateKind.HOLIDAY, name="Half term",
            first=dt.date(2026, 10, 26), last=dt.date(2026, 10, 30),
        )  # fmt: skip
        free_time = TimeWindow.objects.create(
            school=school, name="free-time", description="Lunchtime and after school",
            days=["mon", "tue", "wed", "thu", "fri"], times=["12:00-13:15", "15:30-18:00"],
        )  # fmt: skip
        lessons = TimeWindow.objects.create(
            school=school, name="lessons", days=["mon", "tue", "wed", "thu", "fri"],
            times=["08:45-12:00", "13:15-15:15"], term_time_only=True,
        )  # fmt: skip
        curriculum = SiteList.objects.create(
            school=school,
            name="curriculum",
            description="Sites every lesson needs,\nwhatever the categories say",
            domains=["bbc.co.uk", "purplemash.com"],
            urls=["www.youtube.com/watch?v=times-tables"],
        )
        rules = []
        for position, spec in enumerate(
            [
                {
                    "name": "everyone may reach curriculum sites",
                    "action": Verdict.ALLOW,
                    "sites": [curriculum],
                },
                {
                    "name": 'Year 6 history: the "D-Day" film, until the end of term',
                    "action": Verdict.ALLOW,
                    "groups": [ks2],
                    "urls": ["www.youtube.com/watch?v=dday-film"],
                    "expires": dt.datetime(2026, 12, 18, 15, 30, tzinfo=LONDON),
                },
                {
                    "name": "pupils may not gamble",
                    "action": Verdict.BLOCK,
                    "categories": [gambling],
                    "alert": AlertLevel.MEDIUM,
                },
                {
                    "name": "games for staff at lunchtime and after school",
                    "action": Verdict.ALLOW,
                    "groups": [staff, nominated],
                    "categories": [games],
                    "window": free_time,
                },
                {"name": "games only at certain times", "action": Verdict.BLOCK, "categories": [games]},
            ],
            start=1,
        ):
            groups = spec.pop("groups", [])
            categories = spec.pop("categories", [])
            sites = spec.pop("sites", [])
            rule = Rule.objects.create(school=school, position=position, everyone=not groups, **spec)
            rule.groups.set(groups)
            rule.categories.set(categories)
            rule.sites.set(sites)
            rules.append(rule)
    return Northfield(
        ks2, staff, nominated, visitors, default, gambling, games, child_abuse, curriculum, free_time,
        lessons, rules, amelia, patel,
    )  # fmt: skip


def publish_through_page(client: Client, reason: str = "Start of term") -> HttpResponse:
    """Open the publish page (which checks the draft), then publish what it showed."""
    page = client.get("/policy/publish/")
    assert page.status_code == 200, page.content.decode()[:3000]
    sha = page.context["draft"].rendered.sha256
    return client.post("/policy/publish/", {"reason": reason, "sha256": sha})
