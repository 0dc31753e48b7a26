"""The school's risk phrases: whose search it is (the audience), the school's library (shipped with
its changes, cached and rebuilt), the actions (permission inside, audited, checked input) and the
pages that make them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from schoolgate.cli import main
from schoolgate.monitoring.phrases import GRADES, Area, Audience, Severity, shipped
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.actions import Operator
from schoolgate.web.monitoring import phrasebook
from schoolgate.web.monitoring.models import SchoolPhrase
from schoolgate.web.people.choices import KeyStage, PersonKind
from tests.web.factories import Cast, person, year
from tests.web.pages import logged_in, text

PHRASES = "/monitoring/phrases/"


def phrase_page(text: str) -> str:
    return f"/monitoring/phrases/phrase/{text}/"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    """Each test's database starts empty: no library is carried over from another test's school."""
    phrasebook._cache.clear()


# -- whose search --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "stage", "audience"),
    [
        (PersonKind.PUPIL, KeyStage.EYFS, Audience.KS1),
        (PersonKind.PUPIL, KeyStage.KS1, Audience.KS1),
        (PersonKind.PUPIL, KeyStage.KS2, Audience.KS2),
        (PersonKind.PUPIL, KeyStage.KS3, Audience.KS3),
        (PersonKind.PUPIL, KeyStage.KS4, Audience.KS4),
        (PersonKind.PUPIL, KeyStage.KS5, Audience.KS5),
        (PersonKind.PUPIL, None, Audience.PUPIL),
        (PersonKind.STAFF, None, Audience.STAFF),
        (PersonKind.SUPPLY, None, Audience.STAFF),
        (PersonKind.VISITOR, None, Audience.GUEST),
        (PersonKind.COMMUNITY, None, Audience.GUEST),
        (PersonKind.GOVERNOR, None, Audience.GUEST),
        (PersonKind.PARENT, None, Audience.GUEST),
    ],
)
def test_the_audience_is_the_key_stage_or_who_they_are(
    cast: Cast, kind: PersonKind, stage: KeyStage | None, audience: Audience
) -> None:
    group = year(cast.a, f"Year {stage}", stage) if stage is not None else None
    assert phrasebook.audience_of(person(cast.a, kind, year_group=group)) == audience


def test_nobody_known_is_the_unknown_audience() -> None:
    assert phrasebook.audience_of(None) == Audience.UNKNOWN


# -- the school's library ------------------------------------------------------------------------


def _found(school: Any, text: str, audience: Audience | None = None) -> list[tuple[str, str]]:
    return [(m.phrase, m.severity.value) for m in phrasebook.library_for(school).scan(text, audience)]


def test_a_school_with_no_changes_has_the_shipped_library(cast: Cast) -> None:
    assert phrasebook.library_for(cast.a) is shipped()


def test_each_change_is_in_the_library_at_once(cast: Cast) -> None:
    school = cast.a
    phrasebook.do_add_phrase(
        school, actor=cast.alice, phrase="Blue  Whale challenge", area="self_harm", severity="high"
    )
    assert _found(school, "the blue whale challenge") == [("blue whale challenge", "high")]
    phrasebook.do_regrade_phrase(
        school, actor=cast.alice, phrase="bet365", severity="medium", reason="local concern"
    )
    assert _found(school, "bet365 login") == [("bet365", "medium")]
    phrasebook.do_remove_phrase(school, actor=cast.alice, phrase="end it all", reason="a local band's song")
    assert _found(school, "end it all lyrics") == []
    phrasebook.do_restore_phrase(school, actor=cast.dara, phrase="end it all")
    assert _found(school, "end it all lyrics") == [("end it all", "high")]
    assert _found(cast.b, "the blue whale challenge") == []  # the other school's library is its own


def test_a_change_made_elsewhere_is_seen_at_the_next_look(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _found(cast.a, "online casino") == [("online casino", "low")]
    SchoolPhrase.objects.create(
        school=cast.a, phrase="online casino", severity="high", changed_by=cast.alice
    )  # as another process (a web server) would have written it
    monkeypatch.setattr(phrasebook, "CHECK_EVERY", 0.0)
    assert _found(cast.a, "online casino") == [("online casino", "high")]


def test_the_library_is_kept_between_looks(cast: Cast, django_assert_num_queries: Any) -> None:
    first = phrasebook.library_for(cast.a)
    with django_assert_num_queries(0):
        assert phrasebook.library_for(cast.a) is first


def test_the_age_thresholds_apply_to_the_schools_library(cast: Cast) -> None:
    assert _found(cast.a, "free porn", Audience.KS2) == [("free porn", "medium")]
    assert _found(cast.a, "free porn", Audience.STAFF) == []


# -- the actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["nina", "olu", "hana", "tom", "cleo"])
def test_only_the_dsl_team_changes_the_phrases(cast: Cast, username: str) -> None:
    actor = cast.users[username]
    with pytest.raises(PermissionDenied):
        phrasebook.do_add_phrase(cast.a, actor=actor, phrase="blue whale", area="self_harm", severity="high")
    with pytest.raises(PermissionDenied):
        phrasebook.do_remove_phrase(cast.a, actor=actor, phrase="kill myself", reason="because")
    with pytest.raises(PermissionDenied):
        phrasebook.do_regrade_phrase(
            cast.a, actor=actor, phrase="kill myself", severity="low", reason="because"
        )
    with pytest.raises(PermissionDenied):
        phrasebook.do_restore_phrase(cast.a, actor=actor, phrase="kill myself")
    assert not SchoolPhrase.objects.exists()


def test_the_dsl_of_another_school_changes_nothing_here(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        phrasebook.do_add_phrase(
            cast.a, actor=cast.zack, phrase="blue whale", area="self_harm", severity="high"
        )


def test_each_change_is_audited_with_its_reason(cast: Cast) -> None:
    phrasebook.do_remove_phrase(cast.a, actor=cast.alice, phrase="end it all", reason="a local band's song")
    entry = AuditEntry.objects.filter(object_type="monitoring.schoolphrase").order_by("-pk").first()
    assert entry is not None and entry.actor == cast.alice and entry.school == cast.a
    assert "a local band's song" in entry.reason
    row = SchoolPhrase.objects.get()
    assert row.removed and row.changed_by == cast.alice and row.reason == "a local band's song"
    phrasebook.do_restore_phrase(cast.a, actor=cast.alice, phrase="end it all", reason="the band split up")
    last = AuditEntry.objects.order_by("-pk").first()
    assert last is not None and last.action == "delete" and "the band split up" in last.reason


BAD: list[tuple[str, dict[str, str], str]] = [
    ("too short", {"phrase": "a", "area": "suicide", "severity": "high"}, "phrase"),
    ("too long", {"phrase": "a" * 201, "area": "suicide", "severity": "high"}, "phrase"),
    ("only spaces", {"phrase": "   ", "area": "suicide", "severity": "high"}, "phrase"),
    ("no letters", {"phrase": "!!!", "area": "suicide", "severity": "high"}, "phrase"),
    ("control characters", {"phrase": "kill\x00me", "area": "suicide", "severity": "high"}, "phrase"),
    ("an unknown area", {"phrase": "blue whale", "area": "sadness", "severity": "high"}, "area"),
    ("an unknown severity", {"phrase": "blue whale", "area": "suicide", "severity": "urgent"}, "severity"),
    ("a shipped phrase", {"phrase": "Kill  Myself", "area": "suicide", "severity": "high"}, "phrase"),
    (
        "a shipped phrase in leetspeak",
        {"phrase": "k1ll myself", "area": "suicide", "severity": "high"},
        "phrase",
    ),
    # Phrases that would be found in nearly every search: each would flood the DSL with alerts.
    ("one letter repeated", {"phrase": "aa", "area": "suicide", "severity": "high"}, "phrase"),
    ("one letter spaced out", {"phrase": "e e e", "area": "suicide", "severity": "high"}, "phrase"),
    ("one letter among symbols", {"phrase": "..e", "area": "suicide", "severity": "high"}, "phrase"),
    ("an everyday word", {"phrase": "the", "area": "suicide", "severity": "high"}, "phrase"),
    ("everyday words", {"phrase": "how to", "area": "self_harm", "severity": "medium"}, "phrase"),
    ("an everyday word, low", {"phrase": "and", "area": "bullying", "severity": "low"}, "phrase"),
]


@pytest.mark.parametrize(("name", "given", "field"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_phrase_is_refused_on_its_field(
    cast: Cast, name: str, given: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        phrasebook.do_add_phrase(cast.a, actor=cast.alice, **given)
    assert field in refused.value.message_dict
    assert not SchoolPhrase.objects.exists()


def test_the_everyday_searches_hold_no_risk_phrase() -> None:
    """The searches a school's phrase must not be found in are ordinary ones: the shipped library finds
    nothing in them, so no real risk phrase is refused for matching them."""
    assert [s for s in phrasebook.EVERYDAY if shipped().scan(s)] == []


def test_a_short_phrase_that_says_something_is_added(cast: Cast) -> None:
    row = phrasebook.do_add_phrase(cast.a, actor=cast.alice, phrase="zyn", area="drugs", severity="low")
    assert [m.phrase for m in phrasebook.library_for(cast.a).scan("where to buy zyn")] == [row.phrase]


def test_a_phrase_found_in_everyday_searches_is_refused_on_the_page(cast: Cast) -> None:
    given = {"add-phrase": "How", "add-area": "suicide", "add-severity": "high"}
    page = text(logged_in(cast.alice).post(PHRASES, given))
    assert "is found in everyday searches such as" in page
    assert not SchoolPhrase.objects.exists()


def test_a_phrase_is_added_once(cast: Cast) -> None:
    phrasebook.do_add_phrase(cast.a, actor=cast.alice, phrase="blue whale", area="self_harm", severity="high")
    with pytest.raises(ValidationError):
        phrasebook.do_add_phrase(
            cast.a, actor=cast.alice, phrase="BLUE WHALE", area="suicide", severity="low"
        )


def test_removal_and_regrading_need_a_reason(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        phrasebook.do_remove_phrase(cast.a, actor=cast.alice, phrase="kill myself", reason="  ")
    with pytest.raises(ValidationError):
        phrasebook.do_regrade_phrase(
            cast.a, actor=cast.alice, phrase="kill myself", severity="low", reason=""
        )
    assert not SchoolPhrase.objects.exists()


def test_removing_the_schools_own_phrase_deletes_it(cast: Cast) -> None:
    phrasebook.do_add_phrase(cast.a, actor=cast.alice, phrase="blue whale", area="self_harm", severity="high")
    phrasebook.do_remove_phrase(cast.a, actor=cast.alice, phrase="blue whale", reason="a film now")
    assert not SchoolPhrase.objects.exists() and _found(cast.a, "blue whale") == []


def test_regrading_back_to_the_shipped_severity_leaves_no_change(cast: Cast) -> None:
    phrasebook.do_regrade_phrase(cast.a, actor=cast.alice, phrase="bet365", severity="high", reason="a")
    phrasebook.do_regrade_phrase(cast.a, actor=cast.alice, phrase="bet365", severity="low", reason="b")
    assert not SchoolPhrase.objects.exists()


def test_nothing_to_restore_or_regrade_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        phrasebook.do_restore_phrase(cast.a, actor=cast.alice, phrase="kill myself")
    with pytest.raises(ValidationError):
        phrasebook.do_regrade_phrase(
            cast.a, actor=cast.alice, phrase="not a phrase here", severity="low", reason="x"
        )
    with pytest.raises(ValidationError):
        phrasebook.do_regrade_phrase(
            cast.a, actor=cast.alice, phrase="kill myself", severity="high", reason="x"
        )


def test_the_operator_changes_no_schools_phrases(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        phrasebook.do_add_phrase(
            cast.a,
            actor=Operator("schoolgate web manage"),
            phrase="blue whale",
            area="self_harm",
            severity="high",
        )


# -- the pages -----------------------------------------------------------------------------------


def test_the_phrases_page_lists_the_library_with_the_schools_changes(cast: Cast) -> None:
    phrasebook.do_remove_phrase(cast.a, actor=cast.alice, phrase="end it all", reason="a local band's song")
    page = text(logged_in(cast.dara).get(PHRASES))
    assert "Suicide" in page and "kill myself" in page and "Polish" in page
    assert "Removed by Alice Example" in page and "a local band's song" in page


def test_the_thresholds_are_said_from_the_phrase_modules_table(cast: Cast) -> None:
    page = text(logged_in(cast.alice).get(PHRASES))
    assert GRADES[Area.SEXUAL][Audience.STAFF][Severity.LOW] is None  # the table says: only logged
    assert "for staff and guests, medium and low phrases are only logged" in page
    assert GRADES[Area.SEXUAL][Audience.KS1][Severity.LOW] == Severity.MEDIUM
    assert "for Key Stage 1 and Key Stage 2, a low phrase is medium" in page


def test_a_phrase_is_added_on_the_page(cast: Cast) -> None:
    client = logged_in(cast.alice)
    form = {"add-phrase": "blue whale", "add-area": "self_harm", "add-severity": "high", "add-reason": ""}
    response = client.post(PHRASES, form)
    assert response.status_code == 302
    assert "blue whale" in text(client.get(PHRASES))
    refused = client.post(PHRASES, {**form, "add-area": "nonsense"})
    assert refused.status_code == 200 and "Select a valid choice" in text(refused)
    again = client.post(PHRASES, form)
    assert again.status_code == 200 and "looks for this phrase already" in text(again)


def test_a_phrase_is_regraded_removed_and_restored_on_its_page(cast: Cast) -> None:
    client = logged_in(cast.alice)
    url = phrase_page("bet365")
    assert "Key Stage 1" in text(client.get(url))
    no_reason = client.post(url, {"op": "regrade", "regrade-severity": "high", "regrade-reason": ""})
    assert no_reason.status_code == 200 and not SchoolPhrase.objects.exists()
    assert (
        client.post(url, {"op": "regrade", "regrade-severity": "high", "regrade-reason": "x"}).status_code
        == 302
    )
    assert SchoolPhrase.objects.get().severity == "high"
    assert "Re-graded high by Alice Example" in text(client.get(url))
    client.post(url, {"op": "restore", "restore-reason": ""})
    assert not SchoolPhrase.objects.exists()
    client.post(url, {"op": "remove", "remove-reason": "nobody bets here"})
    assert SchoolPhrase.objects.get().removed
    assert "Not looked for at this school" in text(client.get(url))


def test_an_unknown_phrase_has_no_page(cast: Cast) -> None:
    assert logged_in(cast.alice).get(phrase_page("no such phrase at all")).status_code == 404


def test_the_network_manager_does_not_change_phrases(cast: Cast) -> None:
    assert logged_in(cast.nina).get(PHRASES).status_code == 403


# -- the command line ----------------------------------------------------------------------------


def test_the_command_line_scans_with_a_schools_library(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    phrasebook.do_add_phrase(cast.a, actor=cast.alice, phrase="blue whale", area="self_harm", severity="high")
    assert main(["monitor", "scan", "--school", "northfield", "blue whale challenge"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(m["phrase"], m["area"], m["severity"]) for m in record["matches"]] == [
        ("blue whale", "self_harm", "high")
    ]
    assert main(["monitor", "scan", "--school", "southgate", "blue whale challenge"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"] == []


def test_an_unknown_school_is_one_line(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "scan", "--school", "nowhere", "kill myself"]) != 0
    said = capsys.readouterr()
    assert "no school has that short name" in said.err and "Traceback" not in said.err and not said.out
