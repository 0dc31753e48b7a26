"""Network user names from the MIS import: from a column of the export, or made by a rule from the
names (accents folded, apostrophes, spaces and hyphens left out, a number for a clash given in the
order of the MIS IDs); shown before anything is imported; a clash with someone else's user name is a
problem of its row, never a silent second owner; a user name someone has already is kept. They become
the person's network identities, which the published policy maps to their group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from pytest_django import Settings

from schoolgate.policyfile.load import load_policy
from schoolgate.web.accounts.choices import Role
from schoolgate.web.audit.trail import verify
from schoolgate.web.core.actions import Operator
from schoolgate.web.people import actions, importing
from schoolgate.web.people.choices import IdentityKind, ImportKind, ImportStatus, PersonKind
from schoolgate.web.people.models import ImportBatch, NetworkIdentity, Person
from schoolgate.web.policy import actions as policy_actions
from schoolgate.web.tenancy.setup import do_create_school
from tests.web.factories import DATA, Cast, csv_file, identity, make_user, person
from tests.web.pages import logged_in, text

CONFIRM = "Confirm and import"


def _upload(client: Client, usernames: str, rule: str = "", **files: str) -> Any:
    data: dict[str, Any] = {kind: csv_file(name) for kind, name in files.items()}
    data.update(usernames=usernames, username_rule=rule)
    return client.post("/people/import/", data)


def _preview(client: Client, usernames: str, rule: str = "", **files: str) -> tuple[ImportBatch, str]:
    response = _upload(client, usernames, rule, **files)
    assert response.status_code == 302, text(response)
    batch = ImportBatch.objects.order_by("-pk").first()
    assert batch is not None
    return batch, text(client.get(response["Location"]))


def _names(school: Any) -> dict[str, str]:
    """User name -> the MIS ID of its person."""
    return {
        i.value: i.person.mis_id
        for i in NetworkIdentity.objects.filter(school=school, kind=IdentityKind.USERNAME).select_related(
            "person"
        )
        if i.person is not None
    }


# -- the rule, and folding names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "keep", "folded"),
    [
        ("Zoë", False, "zoe"),
        ("O'Brien", False, "obrien"),
        ("O\u2019Neill", False, "oneill"),
        ("Smith-Jones", False, "smithjones"),
        ("Smith-Jones", True, "smith-jones"),
        ("van der Berg", True, "van-der-berg"),
        ("Mary Ann", False, "maryann"),
        ("Strauß", False, "strauss"),
        ("Łucja", False, "lucja"),
        ("Ærøe", False, "aeroe"),
        ("李明", False, ""),
        ("=HYPERLINK(1)", False, "hyperlink1"),
    ],
)
def test_names_fold_to_plain_lower_case(name: str, keep: bool, folded: str) -> None:
    assert importing.fold(name, keep_hyphens=keep) == folded


@pytest.mark.parametrize(
    ("rule", "made"),
    [
        ("{first}.{last}", "zoe.obriensmith"),
        ("firstname.lastname", "zoe.obriensmith"),
        ("{initial}{last}", "zobriensmith"),
        ("initial.surname", "z.obriensmith"),
        ("{last:hyphens}.{first}", "obrien-smith.zoe"),
        ("{first}{last:3}", "zoeobr"),
        ("{preferred}.{last}", "zozo.obriensmith"),
        ("stu-{upn}", "stu-h801200002001"),
    ],
)
def test_a_rule_makes_a_user_name(rule: str, made: str) -> None:
    pupil = Person(first_name="Zoë", last_name="O'Brien-Smith", preferred_name="Zozo", mis_id="H801200002001")
    assert importing.parse_rule(rule).make(pupil) == made


def test_a_part_that_folds_to_nothing_leaves_no_stray_separator() -> None:
    pupil = Person(first_name="李", last_name="Smith", mis_id="X1")
    assert importing.parse_rule("{first}.{last}").make(pupil) == "smith"
    assert importing.parse_rule("{first}.{first}").make(pupil) == ""


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("", "write the rule"),
        ("first.name", "'name' is not a name we know"),
        ("{first", "a brace is not closed"),
        ("{nickname}", "{nickname} is not a name we know"),
        ("{last:many}", "write a number of letters"),
        ("{first} {last}", "use only letters, digits"),
        ('{first}"{last}', "use only letters, digits"),
        ("x" * 101, "at most 100 characters"),
        ("...", "the rule uses no name"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused_in_words(rule: str, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        importing.parse_rule(rule)
    assert said in str(caught.value)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("=HYPERLINK(1)", "does not start with ="),
        ("+44", "does not start with +"),
        ("-x", "does not start with -"),
        ("@x", "does not start with @"),
        ("a b", "no spaces"),
        ("a\x07b", "control characters"),
        ("a\u202eb", "control characters"),
        ("zoë", "the letters a to z"),
        ("\u212asmith", "the letters a to z"),  # the Kelvin sign, whose lower case is an ASCII k
        ("\u0130smith", "the letters a to z"),  # a dotted capital I
        ("\uff4asmith", "the letters a to z"),  # a full-width j
        ("j\u0455mith", "the letters a to z"),  # a Cyrillic s
        ("j\x00smith", "control characters"),
        ("j\u200dsmith", "control characters"),  # a zero-width joiner
        ("o'brien", "the letters a to z"),
        ("x" * 65, "longer than 64"),
    ],
)
def test_a_user_name_from_a_column_is_checked(value: str, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        importing.parse_username(value)
    assert said in str(caught.value)


def test_a_user_name_from_a_column_is_written_as_the_proxy_reports_it() -> None:
    assert importing.parse_username("R.Patel") == "r.patel"
    assert importing.parse_username("NORTHFIELD\\RPatel") == "northfield\\rpatel"


# -- the import ----------------------------------------------------------------------------------------


def test_user_names_made_by_a_rule_are_shown_then_imported_as_network_identities(cast: Cast) -> None:
    client = logged_in(cast.nina)  # the network manager
    batch, page = _preview(client, "rule", "{initial}{last}", pupils="sims_pupils_usernames.csv")
    assert "Network user names: made by the rule {initial}{last}." in page
    assert "7 new network user names, 0 kept as they are" in page
    for shown in ("sobrien", "zsmithjones", "jsmith", "jsmith2", "soneill", "jmuller", "lvanderberg"):
        assert f" {shown} " in page
    assert "jsmith is row 4's" in page  # John (the lower UPN) has jsmith, wherever his row is
    assert not NetworkIdentity.objects.exists()  # nothing yet

    response = client.post(f"/people/import/{batch.pk}/confirm/", follow=True)
    assert "7 network user names" in text(response)
    assert _names(cast.a) == {
        "sobrien": "H801200002001", "zsmithjones": "H801200002002", "jsmith": "H801200002003",
        "jsmith2": "H801200002004", "soneill": "H801200002005", "jmuller": "H801200002006",
        "lvanderberg": "H801200002007",
    }  # fmt: skip
    assert verify().broken is None  # each identity is in the audit trail


def test_the_same_files_give_the_same_names_whatever_the_order_of_their_rows(cast: Cast) -> None:
    lines = (DATA / "sims_pupils_usernames.csv").read_text(encoding="utf-8-sig").splitlines()
    reversed_text = "\n".join([lines[0], *reversed(lines[1:])])
    setting = importing.UsernameSetting(rule=importing.parse_rule("{first:1}{last}"))

    def names(text: str) -> dict[str, str]:
        made = importing.plan(cast.a, cast.nina, [(ImportKind.PUPILS, "p.csv", text)], usernames=setting)
        assert made.ok, [str(p) for f in made.files for p in f.problems]
        return {c.obj.value: c.obj.person.mis_id for c in made.identities_created}

    assert names("\n".join(lines)) == names(reversed_text)
    assert names(reversed_text)["jsmith"] == "H801200002003"


def test_a_user_name_someone_has_already_is_kept_and_a_clash_gets_the_next_number(cast: Cast) -> None:
    sian = person(cast.a, first_name="Siân", last_name="O'Brien", mis_id="H801200002001")
    identity(cast.a, "s.obrien.2019", person=sian)  # her account from before
    other = person(cast.a, PersonKind.STAFF, first_name="Jack", last_name="Smith", mis_id="JSM")
    identity(cast.a, "jsmith", person=other)  # a member of staff has jsmith
    client = logged_in(cast.nina)
    batch, page = _preview(client, "rule", "{initial}{last}", pupils="sims_pupils_usernames.csv")
    assert "6 new network user names, 1 kept as they are" in page
    assert "jsmith is Jack Smith (staff)'s" in page
    client.post(f"/people/import/{batch.pk}/confirm/")
    names = _names(cast.a)
    assert names["s.obrien.2019"] == "H801200002001" and "sobrien" not in names
    assert names["jsmith"] == "JSM"  # never given to a second person
    assert names["jsmith2"] == "H801200002003" and names["jsmith3"] == "H801200002004"

    # Imported again: everyone keeps their name, nothing new.
    batch, page = _preview(client, "rule", "{initial}{last}", pupils="sims_pupils_usernames.csv")
    assert "0 new network user names, 7 kept as they are" in page
    assert "Nothing to import" in page


def test_a_staff_user_name_in_other_letters_case_is_still_a_clash(cast: Cast) -> None:
    """The filter maps user names to groups whatever their case (the proxy may report JSmith or jsmith):
    a pupil is never given the user name of a member of staff written in other capitals, by the rule
    or from a column, so that neither is filtered as the other."""
    head = person(cast.a, PersonKind.STAFF, first_name="Jack", last_name="Smith", mis_id="JSM")
    identity(cast.a, "JSmith", person=head)  # as an older record may have kept it
    client = logged_in(cast.nina)
    batch, page = _preview(client, "rule", "{initial}{last}", pupils="sims_pupils_usernames.csv")
    assert "JSmith is Jack Smith (staff)'s" in page or "jsmith is Jack Smith (staff)'s" in page
    client.post(f"/people/import/{batch.pk}/confirm/")
    names = {value.lower(): mis_id for value, mis_id in _names(cast.a).items()}
    assert names["jsmith"] == "JSM" and names["jsmith2"] == "H801200002003"
    assert NetworkIdentity.objects.filter(value__iexact="jsmith").count() == 1


def test_user_names_from_a_column_and_the_rule_for_the_blank_ones(cast: Cast) -> None:
    client = logged_in(cast.nina)
    batch, page = _preview(client, "both", "{first}.{last}", staff="sims_staff_usernames.csv")
    assert "from the user name column, else made by the rule {first}.{last}" in page
    client.post(f"/people/import/{batch.pk}/confirm/")
    assert _names(cast.a) == {"s.ahmed": "SAH", "rpatel": "RPA", "joanna.evans": "JEV"}


def test_a_user_name_someone_else_has_is_a_problem_shown_before_anything_is_imported(cast: Cast) -> None:
    pupil = person(cast.a, first_name="Amelia", last_name="Hughes", mis_id="H801200001001")
    identity(cast.a, "rpatel", person=pupil)
    identity(cast.a, "s.ahmed", label="Shared office login")
    client = logged_in(cast.nina)
    batch, page = _preview(client, "column", staff="sims_staff_usernames.csv")
    assert "Row 3, Network User Name: rpatel is already the user name of Amelia Hughes (pupil)" in page
    assert (
        "Row 2, Network User Name: s.ahmed is already the user name of the school's network identity" in page
    )
    assert "nothing will be imported" in page and CONFIRM not in page
    response = client.post(f"/people/import/{batch.pk}/confirm/")
    assert response.status_code == 400
    assert not Person.objects.filter(kind=PersonKind.STAFF).exists()
    assert NetworkIdentity.objects.get(value="rpatel").person == pupil


def test_hostile_user_names_in_a_column_are_problems_of_their_rows(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _, page = _preview(client, "column", staff="sims_staff_usernames_hostile.csv")
    assert (
        'Row 2, Network User Name: =HYPERLINK("http://evil.example","x"): a user name has no spaces'
        not in page
    )
    assert "Row 2, Network User Name: =HYPERLINK(" in page and "does not start with =" in page
    assert "Row 3, Network User Name: r patel: a user name has no spaces" in page
    assert "Row 4, Network User Name: is longer than 64 characters" in page
    assert "Row 6, Network User Name: k.brown is also on row 5" in page
    assert "Row 7, Network User Name: m.white'; DROP TABLE" in page
    assert "5 problems: nothing will be imported" in page
    _, page = _preview(client, "column", staff="sims_staff_usernames_control.csv")
    assert "Row 2, Network User Name: has control characters in it" in page
    assert not NetworkIdentity.objects.exists() and not Person.objects.exists()


def test_a_name_of_which_no_user_name_can_be_made_is_a_problem(cast: Cast) -> None:
    made = importing.plan(
        cast.a, cast.nina,
        [(ImportKind.PUPILS, "p.csv", "UPN,Surname,Forename\nH801200003001,李,明\nH801200003002,Li,Ming\n")],
        usernames=importing.UsernameSetting(rule=importing.parse_rule("{first}.{last}")),
    )  # fmt: skip
    (problem,) = made.files[0].problems
    assert problem.row == 2
    assert (
        "no user name can be made of 明 李 by the rule {first}.{last}: give it in a user name column"
        in str(problem)
    )


def test_asking_for_a_column_the_file_does_not_have_is_a_problem(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _, page = _preview(client, "column", pupils="sims_pupils.csv")
    assert "there is no user name column" in page and CONFIRM not in page


def test_without_user_names_their_column_is_left_unread(cast: Cast) -> None:
    client = logged_in(cast.nina)
    batch, page = _preview(client, "", staff="sims_staff_usernames.csv")
    assert "Columns not read: Network User Name." in page
    client.post(f"/people/import/{batch.pk}/confirm/")
    assert batch.__class__.objects.get(pk=batch.pk).status == ImportStatus.IMPORTED
    assert not NetworkIdentity.objects.exists()


def test_user_names_are_the_network_managers_to_give(cast: Cast) -> None:
    client = logged_in(cast.alice)  # the DSL changes people, not network identities
    page = text(client.get("/people/import/"))
    assert "Network user names of pupils and staff" not in page
    batch, page = _preview(client, "rule", "{first}.{last}", pupils="sims_pupils_usernames.csv")
    assert "Network user names:" not in page  # the fields are not there: nothing asked of them
    client.post(f"/people/import/{batch.pk}/confirm/")
    assert Person.objects.count() == 7 and not NetworkIdentity.objects.exists()
    setting = importing.UsernameSetting(rule=importing.parse_rule("{first}.{last}"))
    with pytest.raises(PermissionDenied):
        actions.do_upload(cast.a, actor=cast.alice, files=[], usernames=setting)
    made = importing.plan(
        cast.a,
        cast.alice,
        [(ImportKind.PUPILS, "p.csv", importing.decode((DATA / "sims_pupils.csv").read_bytes()))],
        usernames=setting,
    )
    assert "only the network manager may import network user names" in str(made.files[0].problems[0])


def test_imported_user_names_put_each_person_in_their_group_of_the_published_policy(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    settings.POLICY_PATH = tmp_path / "policy.toml"
    settings.INDEX_PATH = tmp_path / "lists.sgidx"
    school = do_create_school(
        name="Oak Hill Primary School", urn="123456", first_login=None, actor=Operator("test operator")
    ).school
    manager = make_user("nina", school, Role.NETWORK_MANAGER)
    files = [
        (
            ImportKind.PUPILS,
            "pupils.csv",
            importing.decode((DATA / "sims_pupils_usernames.csv").read_bytes()),
        ),
        (ImportKind.STAFF, "staff.csv", importing.decode((DATA / "sims_staff_usernames.csv").read_bytes())),
    ]
    setting = importing.UsernameSetting(from_column=True, rule=importing.parse_rule("{initial}{last}"))
    batch = actions.do_upload(
        school, actor=manager, files=[(k, n, t.encode(), t) for k, n, t in files], usernames=setting
    )
    outcome = actions.do_import(batch, actor=manager)
    assert outcome.imported, outcome.message
    draft = policy_actions.check_draft(school)
    assert draft.problems == []
    policy_actions.do_publish(school, actor=manager, reason="first", expected_sha256=draft.rendered.sha256)
    users = load_policy(tmp_path / "policy.toml").policy.users
    assert users["jsmith"] == users["jsmith2"] == users["lvanderberg"] == "pupils"
    assert users["s.ahmed"] == users["rpatel"] == users["jevans"] == "staff"
