"""A new school's default policy (`seed.install_default_policy`): publishable at once, with the locked
lists marked "not installed" until a real school installs them; the UK education and child-support
list allowed above the category rules, never above the locked lists."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_django import Settings

from schoolgate.cli import main
from schoolgate.engine.decide import Decision, Reason, Request, decide
from schoolgate.engine.policy import Action, CompiledPolicy, compile_policy
from schoolgate.lists.compile import open_index
from schoolgate.policyfile.load import PolicyFile, load_policy, parse_policy
from schoolgate.web.accounts.choices import Role
from schoolgate.web.accounts.models import User
from schoolgate.web.core.actions import Operator
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity, Person
from schoolgate.web.policy import actions, seed
from schoolgate.web.tenancy.models import School
from schoolgate.web.tenancy.setup import FirstLogin, do_create_school
from tests.web.factories import make_user
from tests.web.pages import logged_in

pytestmark = pytest.mark.django_db

IN_LESSONS = datetime(2026, 11, 2, 10, 30, tzinfo=ZoneInfo("Europe/London"))  # a Monday morning
SAMPLE = Path(__file__).resolve().parents[3] / "src" / "schoolgate" / "data" / "ut1-sample"
EDUCATION = SAMPLE.parent / "uk-education.txt"
UT1 = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ut1"  # the real UT1 lists, CI too
GAMBLING = "0-casino.info"  # in the sample's gambling list


@pytest.fixture
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    """A new school's server: POLICY_PATH and INDEX_PATH in a fresh directory, no locked list there."""
    root = tmp_path / "var"
    root.mkdir()
    settings.POLICY_PATH = root / "policy.toml"
    settings.INDEX_PATH = root / "lists.sgidx"
    return root


def _published_school(data_dir: Path) -> tuple[School, PolicyFile]:
    """A school made as `schoolgate school create` makes it, a pupil with a network user name, and its
    default policy published untouched."""
    made = do_create_school(
        name="Oak Hill Primary School",
        urn="123456",
        first_login=FirstLogin(Role.HEADTEACHER, "Jane Smith"),
        actor=Operator("test operator"),
    )
    school = made.school
    pupil = Person.objects.create(school=school, kind=PersonKind.PUPIL, first_name="Amy", last_name="Lee")
    NetworkIdentity.objects.create(school=school, kind=IdentityKind.USERNAME, value="amy.lee", person=pupil)
    staff = Person.objects.create(school=school, kind=PersonKind.STAFF, first_name="Raj", last_name="Bose")
    NetworkIdentity.objects.create(school=school, kind=IdentityKind.USERNAME, value="r.bose", person=staff)
    draft = actions.check_draft(school)
    assert draft.problems == [] and not draft.checked_against_index
    manager = make_user("nina", school, Role.NETWORK_MANAGER)
    actions.do_publish(school, actor=manager, reason="first policy", expected_sha256=draft.rendered.sha256)
    return school, load_policy(data_dir / "policy.toml")


def _compiled(policy_file: PolicyFile, index: Path) -> CompiledPolicy:
    policy = str(policy_file.path)
    assert main(["lists", "compile", "--policy", policy, "--index", str(index), "--quiet"]) == 0
    return compile_policy(policy_file.policy, open_index(index))


def _ask(compiled: CompiledPolicy, url: str, user: str | None) -> Decision:
    return decide(compiled, Request(url, user), IN_LESSONS)


def test_the_default_policy_publishes_at_once_with_the_locked_lists_not_installed(data_dir: Path) -> None:
    _, published = _published_school(data_dir)
    assert [d.name for d in published.lists_not_installed] == ["iwf", "terrorism"]
    assert published.lists["iwf"].path == data_dir / "lists" / "iwf.txt"
    assert set(published.policy.groups) == {"default", "pupils", "staff", "visitors"}
    assert all(g.safe_search for g in published.policy.groups.values())
    assert published.policy.categories["child-abuse"].locked
    compiled = _compiled(published, data_dir / "lists.sgidx")

    gambling = _ask(compiled, f"http://{GAMBLING}/", "amy.lee")
    assert (gambling.verdict, gambling.group, gambling.category, gambling.uksic) == (
        Action.BLOCK, "pupils", "gambling", "gambling"
    )  # fmt: skip
    assert _ask(compiled, f"http://{GAMBLING}/", None).blocked  # unidentified: blocked too
    help_ = _ask(compiled, "https://www.childline.org.uk/", "amy.lee")
    assert (help_.verdict, help_.category, help_.rule) == (Action.ALLOW, "uk-education", 1)
    # With the index there, the editor checks the draft against it, and still finds nothing wrong.
    school = School.objects.get(urn="123456")
    draft = actions.check_draft(school)
    assert draft.problems == [] and draft.checked_against_index


def _with_real_games(data_dir: Path) -> Path:
    """The shipped sample, with UT1's real `games` category in place of the sample's."""
    lists = data_dir / "ut1"
    shutil.copytree(SAMPLE, lists)
    shutil.copyfile(UT1 / "games" / "domains", lists / "games" / "domains")
    return lists


@pytest.mark.parametrize("host", ["internetmatters.org", "ttrockstars.com", "www.ttrockstars.com"])
def test_pupils_reach_sites_ut1_calls_games_in_lessons(data_dir: Path, host: str) -> None:
    _, published = _published_school(data_dir)
    domain = host.removeprefix("www.")
    assert domain in (UT1 / "games" / "domains").read_text().split()  # UT1 does call it a game
    lists = _with_real_games(data_dir)
    text = published.text.replace('"builtin:ut1-sample"', f'"{lists}"')
    compiled_file = parse_policy(text, str(published.path), data_dir)
    index = data_dir / "lists.sgidx"
    compiled_file.path.write_text(text)
    compiled = _compiled(compiled_file, index)

    allowed = _ask(compiled, f"https://{host}/", "amy.lee")
    assert (allowed.verdict, allowed.group, allowed.category, allowed.rule) == (
        Action.ALLOW, "pupils", "uk-education", 1
    )  # fmt: skip
    game = _ask(compiled, "https://poki.com/", "amy.lee")  # a game UT1 files rightly
    assert (game.verdict, game.category) == (Action.BLOCK, "games")
    assert _ask(compiled, "https://poki.com/", "r.bose").verdict is Action.ALLOW  # staff may


def test_a_locked_entry_blocks_even_if_the_allow_list_names_it(data_dir: Path) -> None:
    _, published = _published_school(data_dir)
    (data_dir / "lists").mkdir()
    (data_dir / "lists" / "iwf.txt").write_text("iwf-test.example\n")
    allow = data_dir / "uk-education.txt"
    allow.write_text(EDUCATION.read_text() + "iwf-test.example  # child-support: a mistake\n")
    text = published.text.replace('"builtin:uk-education.txt"', f'"{allow}"')
    (data_dir / "policy.toml").write_text(text)
    reloaded = load_policy(data_dir / "policy.toml")
    assert [d.name for d in reloaded.lists_not_installed] == ["terrorism"]
    compiled = _compiled(reloaded, data_dir / "lists.sgidx")

    for user in ("amy.lee", "r.bose", None):
        decision = _ask(compiled, "http://iwf-test.example/page", user)
        assert (decision.verdict, decision.reason, decision.category, decision.rule) == (
            Action.BLOCK, Reason.LOCKED, "child-abuse", None
        )  # fmt: skip
    still = _ask(compiled, "https://www.childline.org.uk/", "amy.lee")
    assert (still.verdict, still.category) == (Action.ALLOW, "uk-education")


def test_the_overview_and_the_publish_page_say_which_locked_lists_are_not_installed(data_dir: Path) -> None:
    _published_school(data_dir)
    client = logged_in(User.objects.get(username="nina"))
    for url in ("/policy/", "/policy/publish/"):
        page = client.get(url).content.decode()
        assert "Locked lists not installed" in page, url
        assert "Locked list &quot;iwf&quot; not installed" in page and "IWF member" in page
        assert "Locked list &quot;terrorism&quot; not installed" in page
    (data_dir / "lists").mkdir()
    for name in ("iwf", "terrorism"):
        (data_dir / "lists" / f"{name}.txt").write_text(f"{name}-test.example\n")
    assert "Locked lists not installed" not in client.get("/policy/").content.decode()


def test_the_default_policys_locked_lists_are_the_examples_where_a_school_installs_them() -> None:
    example = {spec["name"]: spec for spec in seed.LISTS if spec.get("locked")}
    real = {spec["name"]: spec for spec in seed.LOCKED_LISTS}
    assert real.keys() == example.keys() == {"iwf", "terrorism"}
    for name, spec in real.items():
        assert (spec["format"], spec["locked"]) == (example[name]["format"], True)
        assert spec["path"] == f"lists/{name}.txt" and "test" not in spec["description"]
