"""The network manager's morning, in Chromium: the first login with an authenticator app; an MIS file
with one bad row (the error shown, nothing imported), fixed and imported; a rule changed; the policy
published (the file on disk changes, and `schoolgate check` decides as the page said); a URL tested.
axe-core checks each page on the way."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from pytest_django import Settings

from schoolgate.cli import main
from schoolgate.web.demo import DEMO_PASSWORD, load_demo, load_demo_policy
from schoolgate.web.people.models import Person
from schoolgate.web.policy.models import PolicyVersion, Rule
from tests.web.browser.conftest import DESKTOP, first_login, violations

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[1] / "data"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_network_manager_imports_pupils_changes_a_rule_publishes_and_tests_a_url(
    browser: Browser, live_server: object, settings: Settings, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    settings.POLICY_PATH = tmp_path / "policy.toml"
    settings.INDEX_PATH = tmp_path / "lists.sgidx"
    school = load_demo(pupils=20, classes=2, staff=10).school
    load_demo_policy(school)
    policy, index = str(settings.POLICY_PATH), str(settings.INDEX_PATH)
    assert main(["lists", "compile", "--policy", policy, "--index", index, "--quiet"]) == 0
    published = _sha(settings.POLICY_PATH)
    base = str(live_server)
    axe = Axe()
    problems: list[str] = []

    def check(page: Page, what: str) -> None:
        found = violations(axe.run(page))
        if found:
            problems.append(f"{what}:\n{found}")

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    first_login(page, base, "d.kowalski", DEMO_PASSWORD)

    # An MIS export with one bad row: the row and column are named, there is no way to confirm, and
    # nobody is imported.
    people_before = Person.objects.count()
    page.goto(f"{base}/people/import/")
    check(page, "import")
    page.get_by_label("Pupils").set_input_files(str(DATA / "sims_pupils_bad_row.csv"))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("31/02/2015").first).to_be_visible()
    assert "Row 7" in page.content()
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    check(page, "import preview with an error")
    assert Person.objects.count() == people_before

    # Fixed in the spreadsheet, uploaded again, imported.
    fixed = tmp_path / "pupils.csv"
    fixed.write_bytes((DATA / "sims_pupils_bad_row.csv").read_bytes().replace(b"31/02/2015", b"28/02/2015"))
    page.goto(f"{base}/people/import/")
    page.get_by_label("Pupils").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and check").click()
    check(page, "import preview")
    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_load_state()
    assert "mported" in page.content(), page.content()[-3000:]
    assert Person.objects.filter(school=school, last_name="Price", first_name="Kai").exists()
    assert Person.objects.count() == people_before + 7

    # A rule changed: social media for every member of staff, not only the nominated ones.
    rule = Rule.objects.get(school=school, name__startswith="Social media, messaging and video")
    page.goto(f"{base}/policy/rules/{rule.pk}/edit/")
    check(page, "rule form")
    page.get_by_role("group", name="Groups").get_by_label("staff", exact=True).check()
    page.get_by_role("button", name="Save the rule").click()
    assert set(rule.groups.values_list("name", flat=True)) == {"nominated-staff", "staff"}

    # Published: the changes are shown, a reason is asked for, and the file on disk is replaced.
    page.goto(f"{base}/policy/publish/")
    check(page, "publish")
    assert '"staff"' in page.content()  # the diff shows the group added to the rule
    page.get_by_label("Why").fill("Staff may use social media for the school's accounts")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert PolicyVersion.objects.filter(school=school).count() == 2
    assert _sha(settings.POLICY_PATH) != published
    capsys.readouterr()
    main(["check", "--policy", str(settings.POLICY_PATH), "--index", str(settings.INDEX_PATH), "--user",
          "r.patel", "https://www.tiktok.com/"])  # fmt: skip
    said = capsys.readouterr().out
    assert "allowed" in said and "Social media, messaging and video" in said

    # Test a URL agrees with `schoolgate check`.
    page.goto(f"{base}/policy/test/")
    page.get_by_label("Web address").fill("https://www.tiktok.com/")
    page.get_by_label("User name").fill("r.patel")
    page.get_by_role("button", name="Test").click()
    verdict = page.locator("[data-verdict]").first
    expect(verdict).to_have_attribute("data-verdict", "allow")
    assert "Social media, messaging and video" in page.content()
    check(page, "test a URL")
    page.get_by_label("User name").fill("amelia.hughes")
    page.get_by_role("button", name="Test").click()
    expect(page.locator("[data-verdict]").first).to_have_attribute("data-verdict", "block")
    context.close()
    assert not problems, "\n".join(problems)
