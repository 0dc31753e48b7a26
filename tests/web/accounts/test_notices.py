"""Every grant or removal of a safeguarding role is shown to the school's DSL and chair of governors: on
their home page for 30 days, and by e-mail where e-mail is set up and they have an address."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from schoolgate.web.accounts.choices import CAPABILITIES, SAFEGUARDING_ROLES, Capability, Role
from schoolgate.web.accounts.models import User
from tests.web.conftest import Mailbox
from tests.web.factories import Cast
from tests.web.pages import logged_in

PANEL = "Safeguarding roles given or taken away"


def _panel(home: str) -> str:
    """The home page's list of changes to safeguarding roles ("" if it has none)."""
    if PANEL not in home:
        return ""
    return home[home.index(PANEL) : home.index("</section>", home.index(PANEL))]


def _addresses(cast: Cast) -> None:
    for name in ("alice", "cleo", "hana", "tom"):
        user: User = cast.users[name]
        user.email = f"{name}@northfield.example"
        user.save(update_fields=["email"])


def test_a_dsl_grant_by_the_headteacher_reaches_the_dsl_and_the_chair(cast: Cast, smtp: Mailbox) -> None:
    _addresses(cast)
    hana = logged_in(cast.hana)
    page = hana.post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "dsl"]}, follow=True)
    said = page.content.decode()
    assert "Told by e-mail:" in said and "Alice Example" in said and "Cleo Example" in said
    for name in ("alice", "cleo"):
        panel = _panel(logged_in(cast.users[name]).get("/").content.decode())
        assert (
            "Tom Example" in panel
            and "Designated Safeguarding Lead: given" in panel
            and "Hana Example" in panel
            and "e-mail tom@northfield.example" in panel  # where his reset links go
        )
        (message,) = smtp.to(f"{name}@northfield.example")
        text = smtp.text(message)
        said = "Hana Example gave Tom Example (e-mail tom@northfield.example) the role Designated"
        assert said in text
        assert "Northfield Primary" in str(message["Subject"])
    # Tom is now a DSL, so he is told too; the headteacher, who made the change, is not a DSL or chair.
    assert {tuple(r) for r, _ in smtp.received} == {
        ("alice@northfield.example",),
        ("cleo@northfield.example",),
        ("tom@northfield.example",),
    }
    assert PANEL not in hana.get("/").content.decode()  # neither DSL nor chair
    assert PANEL not in logged_in(cast.sami).get("/").content.decode()


def test_a_removal_is_shown_too_and_the_panel_keeps_thirty_days(cast: Cast, smtp: Mailbox) -> None:
    _addresses(cast)
    logged_in(cast.hana).post(f"/staff-logins/{cast.dara.pk}/", {"roles": []})
    panel = _panel(logged_in(cast.cleo).get("/").content.decode())
    assert "Dara Example" in panel and "Deputy DSL: taken away" in panel
    assert "Hana Example took away Dara Example's role Deputy DSL" in smtp.text(
        smtp.to("cleo@northfield.example")[-1]
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        panel = _panel(logged_in(cast.cleo).get("/").content.decode())
        assert "None." in panel and "Dara Example" not in panel


def test_other_roles_are_not_announced(cast: Cast, smtp: Mailbox) -> None:
    _addresses(cast)
    logged_in(cast.hana).post(f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "slt"]})
    assert smtp.received == []
    assert "Tom Example" not in _panel(logged_in(cast.alice).get("/").content.decode())


def test_without_email_the_page_promises_none(cast: Cast) -> None:
    _addresses(cast)
    page = logged_in(cast.hana).post(
        f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "dsl"]}, follow=True
    )
    said = page.content.decode()
    assert "Told by e-mail" not in said and "E-mail is not set up" in said
    assert "home page" in said  # where they will see it
    assert "Tom Example" in _panel(logged_in(cast.alice).get("/").content.decode())


def test_a_dsl_or_chair_without_an_address_is_named_as_not_emailed(cast: Cast, smtp: Mailbox) -> None:
    cast.alice.email = "alice@northfield.example"
    cast.alice.save(update_fields=["email"])
    page = logged_in(cast.hana).post(
        f"/staff-logins/{cast.tom.pk}/", {"roles": ["teacher", "dsl"]}, follow=True
    )
    said = page.content.decode()
    assert "Told by e-mail: Alice Example" in said and "No e-mail address: Cleo Example" in said
    assert [r for r, _ in smtp.received] == [["alice@northfield.example"]]


def test_every_role_that_opens_records_of_concerns_is_announced() -> None:
    """A role that sees or deals with concerns about pupils or staff is watched over, whichever it is:
    the online safety coordinator keeps the pupil log, so a grant of it is as loud as a DSL's."""
    opens = {
        Capability.INCIDENT_MANAGE,
        Capability.INCIDENT_RESTRICTED,
        Capability.ALLEGATIONS,
        Capability.ALLEGATIONS_HEAD,
    }
    assert {r for r in Role if CAPABILITIES[r] & opens} == SAFEGUARDING_ROLES
    assert {
        Role.DSL,
        Role.DEPUTY_DSL,
        Role.ONLINE_SAFETY_COORDINATOR,
        Role.HEADTEACHER,
        Role.CHAIR_OF_GOVERNORS,
    } == SAFEGUARDING_ROLES


def test_a_new_login_given_the_online_safety_role_is_told_to_the_dsl_and_the_chair(
    cast: Cast, smtp: Mailbox
) -> None:
    """The headteacher makes a login with no address (its one-time password shown to her) and the role
    that opens the pupil log: nobody may miss it."""
    _addresses(cast)
    page = logged_in(cast.hana).post(
        "/staff-logins/new/",
        {"username": "h-support", "display_name": "Support Desk", "email": "", "roles": ["online-safety"]},
    )
    said = page.content.decode()
    assert 'data-testid="one-time-password"' in said
    assert "Told by e-mail:" in said and "Alice Example" in said and "Cleo Example" in said
    for name in ("alice", "cleo"):
        text = smtp.text(smtp.to(f"{name}@northfield.example")[-1])
        assert "Hana Example gave Support Desk (no e-mail address) the role Online safety coordinator" in text
        assert "online safety coordinator" in text.split("You are told because", 1)[1].lower()
        panel = _panel(logged_in(cast.users[name]).get("/").content.decode())
        assert "Support Desk" in panel and "Online safety coordinator: given" in panel


def test_taking_the_online_safety_role_away_is_told_too(cast: Cast, smtp: Mailbox) -> None:
    _addresses(cast)
    logged_in(cast.alice).post(f"/staff-logins/{cast.olu.pk}/", {"roles": []})
    text = smtp.text(smtp.to("cleo@northfield.example")[-1])
    assert "Alice Example took away Olu Example's role Online safety coordinator" in text
