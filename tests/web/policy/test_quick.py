"""The one form for the common changes (`quick.py`, the page `policy:quick`): what it plans, what it
writes into the draft, what the filter then decides, and what it refuses (a locked category, bad input,
someone without POLICY_CHANGE). Real SQLite; one test compiles the sample lists to ask the engine."""

from __future__ import annotations

import datetime as dt
import tomllib
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.engine.decide import Request, decide
from schoolgate.web.people.choices import KeyStage
from schoolgate.web.people.models import ClassGroup, YearGroup
from schoolgate.web.policy import actions, quick
from schoolgate.web.policy.choices import MemberKind
from schoolgate.web.policy.forms import QuickForm, quick_site
from schoolgate.web.policy.models import FilterGroup, GroupMember, Rule
from schoolgate.web.policy.render import school_zone
from tests.web.factories import Cast, year
from tests.web.pages import logged_in
from tests.web.policy.helpers import IN_LESSONS, LONDON, Paths, compile_draft_lists, small_policy


def _today(cast: Cast) -> dt.date:
    return dt.datetime.now(school_zone(cast.a)).date()


def _form(cast: Cast, **given: object) -> QuickForm:
    data = {"action": "allow", "what": "sites", "who": "group", "when": "always", **given}
    return QuickForm(data, school=cast.a)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("coolmathgames.com", "coolmathgames.com"),
        ("https://www.CoolMathGames.com/", "www.coolmathgames.com"),
        ("www.youtube.com/watch?v=abc", "www.youtube.com/watch?v=abc"),
        ("https://www.bbc.co.uk/bitesize", "www.bbc.co.uk/bitesize"),
        ("not a site!", None),
    ],
)
def test_a_typed_site_is_kept_as_a_domain_or_a_web_address(typed: str, kept: str | None) -> None:
    assert quick_site(typed) == kept


def test_the_class_gets_its_own_group_within_the_group_its_pupils_are_in(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    until = _today(cast) + dt.timedelta(days=10)
    form = _form(
        cast, sites="coolmathgames.com\nhttps://www.bbc.co.uk/bitesize", who="class",
        class_group=ClassGroup.objects.get(school=cast.a, name="6B").pk, when="window",
        window=rows.lessons.pk,
    )  # fmt: skip
    assert form.is_valid(), form.errors
    change = form.change()
    assert change.domains == ("coolmathgames.com",) and change.urls == ("www.bbc.co.uk/bitesize",)
    planned = quick.plan(change)
    assert planned.notes == [
        'A new group "class-6b", part of "ks2", with class 6B in it.',
        'A new rule at the top of the rules, for the group "class-6b": "Allow coolmathgames.com and '
        "www.bbc.co.uk/bitesize for class "
        '6B in lessons".',
        "Its sites: coolmathgames.com, www.bbc.co.uk/bitesize.",
    ]
    assert planned.consequences.sentences == [
        '1 pupil will move from "ks2" to "class-6b" and keep the rules of "ks2" ("class-6b" is part of '
        '"ks2").'
    ]
    assert not FilterGroup.objects.filter(name="class-6b").exists()  # planning writes nothing

    rule = quick.do_quick(change, actor=cast.nina)
    group = FilterGroup.objects.get(school=cast.a, name="class-6b")
    assert group.within == rows.ks2 and group.default == rows.ks2.default
    assert [m.describe() for m in GroupMember.objects.filter(group=group)] == ["class 6B"]
    assert Rule.objects.filter(school=cast.a).order_by("position", "id").first() == rule
    assert list(rule.groups.all()) == [group] and rule.window == rows.lessons and not rule.everyone
    # Again for the same class: its group is reused, not made twice.
    again = quick.plan(
        quick.QuickChange(
            cast.a, "block", domains=("x.com",), class_group=group.members.get().class_group, until=until
        )
    )
    assert again.group == group and again.member is None and again.consequences.nothing
    assert again.expires == dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON)
    assert again.rule_name == f"Block x.com for class 6B until {until.day} {until.strftime('%B')}"

    # What the filter makes of the draft: Amelia (6B) may reach the site in lessons, and the rules of
    # ks2 still apply to her (gambling stays blocked); Oliver (Year 6, not 6B) is not let in.
    compile_draft_lists(cast.a, paths)
    checked = actions.check_text(actions.check_draft(cast.a).text, cast.a)
    assert checked.compiled is not None and checked.problems == []
    assert tomllib.loads(actions.check_draft(cast.a).text)["groups"]["class-6b"]["within"] == "ks2"
    site = decide(checked.compiled, Request("http://coolmathgames.com/", "ks2-amelia"), IN_LESSONS)
    assert (site.group, site.verdict, site.rule_name) == ("class-6b", "allow", rule.name)
    casino = decide(checked.compiled, Request("http://0-casino.info/", "ks2-amelia"), IN_LESSONS)
    assert (casino.verdict, casino.rule_name) == ("block", "pupils may not gamble")
    other = decide(checked.compiled, Request("http://coolmathgames.com/", "ks2-oliver"), IN_LESSONS)
    assert other.rule_name != rule.name


def test_a_year_group_already_in_a_group_uses_that_group(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    year6 = YearGroup.objects.get(school=cast.a, name="Year 6")
    change = quick.QuickChange(cast.a, "block", category=rows.games, year_group=year6)
    planned = quick.plan(change)
    assert planned.group == rows.ks2 and planned.member is None and planned.consequences.nothing
    assert planned.rule_name == "Block the category games for Year 6"
    rule = quick.do_quick(change, actor=cast.nina)
    assert list(rule.groups.all()) == [rows.ks2] and list(rule.categories.all()) == [rows.games]


def test_a_locked_category_is_not_offered_and_is_refused_if_posted(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    offered = [label for _, label in _form(cast).fields["category"].choices]  # type: ignore[attr-defined]
    assert "games" in offered and "child-abuse" not in offered
    change = quick.QuickChange(cast.a, "allow", category=rows.child_abuse, group=rows.staff)
    with pytest.raises(actions.LockedError):
        quick.do_quick(change, actor=cast.nina)
    client = logged_in(cast.nina)
    page = client.post("/policy/quick/", {
        "action": "allow", "what": "category", "category": rows.child_abuse.pk, "who": "group",
        "group": rows.staff.pk, "when": "always",
    })  # fmt: skip
    assert page.status_code == 403 and "is locked" in unescape(page.content.decode())
    assert not Rule.objects.filter(categories=rows.child_abuse).exists()


def test_only_those_who_may_change_the_policy_make_the_change(cast: Cast, paths: Paths) -> None:
    rows = small_policy(cast)
    with pytest.raises(PermissionDenied):
        quick.do_quick(
            quick.QuickChange(cast.a, "allow", domains=("a.com",), group=rows.staff), actor=cast.tom
        )
    assert logged_in(cast.tom).get("/policy/quick/").status_code == 403
    # Whatever reaches the action is parsed again: a site that is not one is refused there too.
    with pytest.raises(ValidationError, match="Not a domain or web address: not a site!"):
        quick.do_quick(
            quick.QuickChange(cast.a, "allow", domains=("not a site!",), group=rows.staff), actor=cast.nina
        )


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"sites": ""}, "sites", "Give at least one site"),
        ({"sites": "bbc.co.uk\nnot a site!"}, "sites", 'Not a domain or web address: "not a site!"'),
        ({"what": "category"}, "category", "Choose a category"),
        ({"sites": "a.com", "who": "class"}, "class_group", "Choose a class"),
        ({"sites": "a.com", "when": "window"}, "window", "Choose one of the school's times"),
        ({"sites": "a.com", "when": "until", "until": "2020-01-01"}, "until", "Give a date from today on"),
        ({"sites": "a.com", "when": "until"}, "until", "Give the last day"),
    ],
)
def test_the_form_says_what_is_missing(
    cast: Cast, paths: Paths, given: dict[str, str], field: str, message: str
) -> None:
    rows = small_policy(cast)
    form = _form(cast, group=rows.staff.pk, **given)
    assert not form.is_valid() and message in form.errors.get(field, [])


def test_the_page_shows_what_will_happen_then_writes_and_goes_to_publish(cast: Cast, paths: Paths) -> None:
    small_policy(cast)
    client = logged_in(cast.nina)
    assert client.get("/policy/quick/").status_code == 200
    assert 'href="/policy/quick/"' in client.get("/policy/rules/").content.decode()
    posted = {
        "action": "allow", "what": "sites", "sites": "coolmathgames.com", "who": "year",
        "year_group": YearGroup.objects.get(school=cast.a, name="Year 6").pk, "when": "always",
    }  # fmt: skip
    rules = Rule.objects.count()
    page = client.post("/policy/quick/", posted)
    assert page.status_code == 200 and page.context["notes"][-2:] == [
        'A new rule at the top of the rules, for the group "ks2": "Allow coolmathgames.com for Year 6".',
        "Its sites: coolmathgames.com.",
    ]
    assert Rule.objects.count() == rules  # nothing written before it is confirmed
    done = client.post("/policy/quick/", {**posted, "confirm": page.context["fingerprint"]})
    assert done.status_code == 302 and done["Location"] == "/policy/publish/"
    assert Rule.objects.count() == rules + 1
    bad = client.post("/policy/quick/", {**posted, "sites": ""})
    assert bad.status_code == 400 and "Give at least one site" in bad.content.decode()


def test_a_group_with_others_in_it_is_never_used_for_a_year_and_a_taken_name_is_not_reused(
    cast: Cast, paths: Paths
) -> None:
    """ks2 holds Year 5 and Year 6: "for Year 6" gets a group of its own, never ks2 (Year 5 would get
    the rule too); a group already called "year-6" for something else is not reused either."""
    small_policy(cast)
    ks2 = FilterGroup.objects.get(school=cast.a, name="ks2")
    year6 = YearGroup.objects.get(school=cast.a, name="Year 6")
    year5 = year(cast.a, "Year 5", KeyStage.KS2, 5)
    for y in (year5, year6):
        GroupMember.objects.create(school=cast.a, group=ks2, kind=MemberKind.YEAR_GROUP, year_group=y)
    FilterGroup.objects.create(school=cast.a, name="year-6", description="something else")
    form = _form(cast, sites="casino.example", who="year", year_group=year6.pk, when="always")
    assert form.is_valid(), form.errors
    planned = quick.plan(form.change())
    assert planned.group.name == "year-6-2" and planned.group.pk is None
    assert 'for the group "year-6-2"' in planned.notes[1]
