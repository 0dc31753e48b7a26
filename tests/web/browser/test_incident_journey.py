"""The online safety log, in Chromium: a teacher reports a concern in under a minute of scripted steps,
typing the pupil's name rather than picking it and confirming who she is when the form asks;
the DSL triages it, records the action the sanctions matrix expects, refers it, records that the parents
were told, names the two senior members of staff and closes it with reasons; the pupil's chronology shows
it all in time order; the governors' PDF renders (its first page, as a PNG, is not blank) and names
nobody. axe-core checks each page on the way."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pypdfium2
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from schoolgate.web.demo import DEMO_PASSWORD, DEMO_PUPIL, load_demo
from schoolgate.web.incidents.choices import EventKind, Status
from schoolgate.web.incidents.forms import person_label
from schoolgate.web.incidents.models import Incident
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import GuardianLink, Person
from schoolgate.web.sanctions.seed import OFFENSIVE
from tests.web.browser.conftest import DESKTOP, first_login, violations

pytestmark = [pytest.mark.timeout(300), pytest.mark.django_db(transaction=True)]

PERPETRATOR = "Jordan Blakemore"  # typed, not in the school's records
WHAT_HAPPENED = (
    "At lunchtime Amelia showed me messages on her tablet sent to her last night in the class group chat, "
    "calling her names and telling her nobody wants her at the party."
)
CHILDS_WORDS = "He keeps sending them and now the others are saying it too."
REPORT_BOUND = 60.0  # seconds: the "under a minute of scripted steps"


def test_a_concern_is_reported_dealt_with_closed_shown_in_the_chronology_and_counted_for_governors(
    browser: Browser, live_server: object, tmp_path: Path
) -> None:
    school = load_demo(pupils=20, classes=2, staff=10).school
    pupil = Person.objects.select_related("class_group", "year_group").get(
        school=school, kind=PersonKind.PUPIL, first_name=DEMO_PUPIL[0], last_name=DEMO_PUPIL[1]
    )
    label = person_label(pupil)  # as the report form offers it: "Amelia Hughes (3A)"
    assert pupil.class_group is not None
    match = f"{pupil.full_name} (pupil, {pupil.class_group.name})"  # as the form asks who she is
    guardian = GuardianLink.objects.select_related("guardian").filter(child=pupil).first()
    assert guardian is not None
    parent = guardian.guardian.full_name
    base = str(live_server)
    axe = Axe()
    problems: list[str] = []

    def check(page: Page, what: str) -> None:
        found = violations(axe.run(page))
        if found:
            problems.append(f"{what}:\n{found}")

    # 1. The teacher reports the concern, from the log's page, by the form's labels.
    teacher = browser.new_context(viewport=DESKTOP)
    page = teacher.new_page()
    first_login(page, base, "r.patel", DEMO_PASSWORD)
    page.get_by_role("link", name="Online safety log").first.click()
    page.wait_for_url(re.compile(r".*/incidents/$"))
    started = time.monotonic()
    page.get_by_role("link", name="Report a concern").first.click()
    page.wait_for_url(re.compile(r".*/incidents/report/$"))
    page.get_by_label("About a pupil").check()
    expect(page.get_by_label("When did it happen?")).not_to_have_value("")  # prefilled: now
    page.get_by_label("Where did it happen?").fill("Online, at home; shown in Year 3 classroom")
    page.get_by_label("What happened?", exact=True).fill(WHAT_HAPPENED)
    page.get_by_label("The child's own words").fill(CHILDS_WORDS)
    expect(page.locator(f'#people-list option[value="{label}"]')).to_have_count(1)  # offered...
    page.get_by_label("Person 1: full name").fill(pupil.full_name)  # ...but typed, not picked
    page.get_by_label("Person 1: their part").select_option(label="Victim")
    page.get_by_label("Person 2: full name").fill(PERPETRATOR)
    page.get_by_label("Person 2: their part").select_option(label="Alleged perpetrator")
    page.get_by_label("What kind of concern is it?").select_option(label="Cyberbullying")
    page.get_by_label("Conduct: behaviour that causes or risks harm").check()
    # The pupils' table and the staff's both have this row: the pupils' one, by its label.
    misuse = page.get_by_label("If it is misuse of the school's systems, which?")
    offered = misuse.locator('optgroup[label="Pupils"] > option', has_text=OFFENSIVE)
    value = offered.get_attribute("value")
    assert value, "the pupils' table offers the row"
    misuse.select_option(value=value)
    checking = time.monotonic()
    check(page, "report form, filled in")
    started += time.monotonic() - checking  # axe's time is not the teacher's
    page.get_by_role("button", name="Send the concern").click()
    # The name may be someone on the school's records: the form comes back to ask who, and keeps
    # everything else that was written.
    who = page.get_by_role("group", name=f"Who is “{pupil.full_name}”?")
    expect(who).to_be_visible()
    expect(page.get_by_label("What happened?", exact=True)).to_have_value(WHAT_HAPPENED)
    checking = time.monotonic()
    check(page, "report form, asking who a typed name is")
    started += time.monotonic() - checking
    who.get_by_label(match).check()
    page.get_by_role("button", name="Send the concern").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile(r"Your report: Incident \w{4}-\w{4}")
    )
    took = time.monotonic() - started
    print(f"reporting took {took:.1f} s of scripted steps")  # shown with -s
    assert took < REPORT_BOUND, f"reporting took {took:.1f} s of scripted steps"
    incident = Incident.objects.get(school=school, reported_by__username="r.patel")
    ref = incident.reference
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Your report: Incident {ref}")
    expect(page.get_by_role("status").first).to_contain_text(
        f"Thank you: your concern is recorded as incident {ref}. It has gone to the DSL team"
    )
    assert page.get_by_text(WHAT_HAPPENED).count() == 1
    check(page, "report confirmation")
    assert incident.status == Status.NEW and incident.misuse is not None
    assert incident.misuse.description == OFFENSIVE and incident.misuse.applies_to == "pupil"
    parts = {(i.name, i.role) for i in incident.involvements.all()}
    assert {(pupil.full_name, "victim"), (PERPETRATOR, "perpetrator"), ("Ravi Patel", "reporter")} <= parts
    assert incident.involvements.get(role="victim").person == pupil  # linked, as she confirmed
    teacher.close()

    # 2. The DSL deals with it: triaged, investigated, the matrix's action, a referral, the parents,
    # the two senior members of staff, then closed with its outcome and reasons.
    dsl = browser.new_context(viewport=DESKTOP)
    page = dsl.new_page()
    first_login(page, base, "s.ahmed", DEMO_PASSWORD)
    page.get_by_role("link", name="Online safety log").first.click()
    check(page, "the log")
    page.get_by_role("link", name=ref, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Incident {ref}")
    page.get_by_role("button", name="Move to triaged").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Triaged")
    page.get_by_role("button", name="Move to investigating").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Investigating")
    check(page, "incident, investigating")

    expected = page.get_by_role("table", name="What the sanctions matrix expects")
    row = expected.get_by_role("row").filter(has_text="Refer to class teacher / tutor")
    # The link's name is "Record" and, visually hidden, the action's (a block: "Record : Refer to…").
    row.get_by_role("link", name=re.compile(r"^Record\s*: Refer to class teacher \/ tutor$")).click()
    page.wait_for_url(re.compile(r".*/actions/add/\?action=\d+$"))
    action = page.get_by_label("Action", exact=True)
    expect(action.locator("option:checked")).to_have_text("Refer to class teacher / tutor")
    page.get_by_label("About").select_option(label=f"{PERPETRATOR} (alleged perpetrator)")
    page.get_by_label("Notes").fill("Told his class teacher, who will speak to him today")
    check(page, "record an action")
    page.get_by_role("button", name="Record it").click()
    expect(page.get_by_role("status").first).to_contain_text("Recorded: Refer to class teacher / tutor")
    expect(row.get_by_text("Taken", exact=True)).to_be_visible()

    due = timezone.localdate() + dt.timedelta(days=14)
    page.get_by_role("link", name="Record a referral").click()
    page.get_by_label("Children's social care").check()
    page.get_by_label("Their reference number").fill("CSC-2026-0412")
    page.get_by_label("Who you spoke to").fill("Duty social worker, front door team")
    page.get_by_label("Follow up by").fill(due.isoformat())
    check(page, "record a referral")
    page.get_by_role("button", name="Record the referral").click()
    referrals = page.locator("table").filter(has_text="CSC-2026-0412")
    expect(referrals).to_contain_text("Children's social care")
    expect(referrals).to_contain_text(f"{due.day} {due:%b %Y}")

    page.get_by_role("link", name="Record that parents or carers were told, or why not").click()
    page.get_by_label("Who was told (full name)").fill(parent)
    page.get_by_label("By phone").check()
    expect(page.get_by_label("When", exact=True)).not_to_have_value("")
    page.get_by_label("What they were told").fill("What happened, the referral, and the school's next steps")
    check(page, "parents and carers")
    page.get_by_role("button", name="Record that they were told").click()
    expect(page.get_by_role("status").first).to_contain_text("parents or carers were told")
    expect(page.get_by_text(f"{parent}, by phone")).to_be_visible()

    # Misuse of the school's systems: closing waits for the two senior members of staff.
    expect(page.get_by_role("note").filter(has_text="Before it can close")).to_contain_text(
        "two senior members of staff"
    )
    page.get_by_role("link", name="Change the details, the restriction or the senior staff").click()
    page.get_by_label("First senior member of staff").select_option(label="Sarah Ahmed")
    page.get_by_label("Second senior member of staff").select_option(label="Margaret Evans")
    page.get_by_label("Why the change?").fill("The headteacher and I investigate it")
    page.get_by_role("button", name="Save the details").click()
    expect(page.get_by_text("Sarah Ahmed; Margaret Evans")).to_be_visible()
    assert page.get_by_text("Before it can close").count() == 0

    page.get_by_role("button", name="Move to actions").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Actions")
    page.get_by_role("link", name="Close with an outcome").click()
    page.get_by_label("Referred: an outside agency leads").check()
    page.get_by_label("Reasons for the outcome").fill(
        "Substantiated: the messages were his. Children's social care lead; the class teacher spoke to him."
    )
    assert page.get_by_label("Why it was not referred").count() == 0  # it was referred
    check(page, "close the incident")
    page.get_by_role("button", name="Close the incident").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")
    expect(page.get_by_role("status").first).to_contain_text(f"Incident {ref} is closed.")
    check(page, "incident, closed")
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED and incident.outcome == "referred"

    # 3. The pupil's chronology: the incident, and its lines in time order.
    page.get_by_role("link", name=f"Chronology of {pupil.full_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Chronology: {pupil.full_name}")
    incidents = page.get_by_role("table").filter(has_text="Their part").first
    expect(incidents.get_by_role("link", name=f"Incident {ref}")).to_be_visible()
    expect(incidents).to_contain_text("Victim")
    lines = page.locator("table").filter(has=page.locator("caption", has_text="oldest first"))
    kinds = [
        text.strip().rstrip(":")
        for text in lines.locator("tbody tr td:nth-child(4) strong").all_inner_texts()
    ]
    kind_label = {k: str(EventKind(k).label) for k in EventKind.values}
    done = [kind_label[k] for k in ("action", "referral", "parents")]  # at the times the DSL gave
    assert all(kinds.count(k) == 1 for k in done), kinds
    # Stamped as they were recorded, so in the order they were: reported, moved on twice, the senior
    # staff named (a decision), moved on to actions, closed.
    stamped = [kind_label[k] for k in ("reported", "status", "status", "decision", "status", "closed")]
    assert [k for k in kinds if k not in done] == stamped, kinds
    times = [
        dt.datetime.strptime(text.strip(), "%d %b %Y, %H:%M")
        for text in lines.locator("tbody tr td:nth-child(1)").all_inner_texts()
    ]
    assert times == sorted(times), times
    check(page, "chronology")
    dsl.close()

    # 4. The governors' report: as a page and as a PDF, counting the incident and naming nobody.
    governor = browser.new_context(viewport=DESKTOP)
    page = governor.new_page()
    first_login(page, base, "a.brown", DEMO_PASSWORD)
    page.get_by_role("link", name="Governors' report").first.click()
    page.wait_for_url(re.compile(r".*/reports/governors/$"))
    check(page, "governors' report")
    html = page.content()
    pdf_link = page.locator('a[href*="/reports/governors/pdf/"]').first
    href = pdf_link.get_attribute("href")
    assert href, "the governors' report links to its PDF"
    response = governor.request.get(f"{base}{href}" if href.startswith("/") else href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    body = response.body()
    assert body.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(body)
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    image = pdf[0].render(scale=1).to_pil()
    image.save(tmp_path / "governors-report.png")
    grey = image.convert("L")
    inked = sum(grey.histogram()[:250])  # pixels that are not white
    print(f"the governors' PDF: {len(pdf)} pages, {inked / (grey.width * grey.height):.1%} of page 1 inked")
    assert inked > 0.01 * grey.width * grey.height, f"the first page is blank ({inked} pixels inked)"
    assert "Online safety" in text
    assert "Incidents about pupils" in text and "Incidents about pupils" in html  # counted, as a number
    for secret in (
        pupil.full_name,
        pupil.first_name,
        PERPETRATOR,
        parent,
        WHAT_HAPPENED[:40],
        "CSC-2026",
        ref,
    ):
        assert secret not in html, f"{secret!r} is on the governors' page"
        assert secret not in text, f"{secret!r} is in the governors' PDF"
    pdf.close()
    governor.close()
    assert not problems, "\n".join(problems)
