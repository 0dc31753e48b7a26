"""The server's operator's commands: the roles no page gives (headteacher, chair of governors), and a
one-time link for a login without an e-mail address; each names who ran it in the audit trail."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client
from pytest_django import Settings

from schoolgate.cli import main
from schoolgate.web.accounts.models import AccessLink, Membership
from schoolgate.web.audit.models import AuditEntry
from tests.web.conftest import Mailbox
from tests.web.factories import PASSWORD, Cast


def test_the_operator_gives_and_takes_the_headteacher_role(
    cast: Cast, smtp: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    cast.cleo.email = "cleo@northfield.example"
    cast.cleo.save(update_fields=["email"])
    call_command("give_role", "tom", "headteacher", school="northfield", reason="the new headteacher")
    assert Membership.objects.filter(user=cast.tom, school=cast.a, role="headteacher").exists()
    entry = AuditEntry.objects.filter(object_type="accounts.membership", action="create").last()
    assert entry is not None and entry.actor is None
    assert "schoolgate web manage give_role" in entry.actor_label and entry.reason == "the new headteacher"
    assert "Headteacher" in capsys.readouterr().out
    told = smtp.text(smtp.to("cleo@northfield.example")[-1])
    assert "gave Tom Example (no e-mail address) the role Headteacher" in told
    call_command("take_role", "tom", "headteacher", school="northfield", reason="acting head no longer")
    assert not Membership.objects.filter(user=cast.tom, role="headteacher").exists()


def test_the_commands_are_reachable_through_schoolgate_web_manage(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Django closes every connection after a command run from the command line: in a test that would
    # end the test's own transaction (on PostgreSQL, its connection).
    monkeypatch.setattr(connections, "close_all", lambda: None)
    code = main(["web", "manage", "give_role", "greta", "chair-of-governors", "--school", "northfield",
                 "--reason", "elected at the autumn meeting"])  # fmt: skip
    assert code == 0
    assert Membership.objects.filter(user=cast.greta, role="chair-of-governors").exists()


def test_mistakes_are_one_clear_line(cast: Cast) -> None:
    for args, said in (
        (("nobody", "dsl"), "no login with the user name 'nobody'"),
        (("tom", "wizard"), "no role 'wizard'"),
        (("tom", "dsl", "--school", "nowhere"), "no school 'nowhere'"),
    ):
        with pytest.raises(CommandError, match=said):
            call_command(
                "give_role",
                *args,
                "--reason",
                "r",
                *(() if "--school" in args else ("--school", "northfield")),
            )
    with pytest.raises(CommandError, match="already"):
        call_command("give_role", "alice", "dsl", school="northfield", reason="r")


def test_the_operator_makes_the_first_headteachers_login(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "give_role", "m.evans", "headteacher", school="northfield", reason="the new school's headteacher",
        name="Margaret Evans",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "a new login, Headteacher at Northfield Primary" in out and "One-time password" in out
    assert Membership.objects.filter(user__username="m.evans", role="headteacher").exists()
    with pytest.raises(CommandError, match="valid email"):
        call_command("give_role", "x.y", "teacher", school="northfield", reason="r", name="X", email="a\nb@c")


def test_a_login_without_an_address_gets_a_link_to_hand_over(
    cast: Cast, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SITE_URL = "https://schoolgate.northfield.example"
    call_command("reset_link", "tom", reason="lost phone, no e-mail address")
    out = capsys.readouterr().out
    link = next(w for w in out.split() if w.startswith("https://schoolgate.northfield.example/"))
    assert AccessLink.objects.filter(user=cast.tom, used_at=None, cancelled_at=None).count() == 1
    client = Client()
    path = urlsplit(link).path
    assert (
        client.post(path, {"password1": "a fresh passphrase", "password2": "a fresh passphrase"}).status_code
        == 302
    )
    cast.tom.refresh_from_db()
    assert cast.tom.check_password("a fresh passphrase") and not cast.tom.check_password(PASSWORD)
    entry = AuditEntry.objects.get(
        object_id=str(cast.tom.pk), reason__contains="made by the server's operator"
    )
    assert "schoolgate web manage reset_link" in entry.actor_label and "lost phone" in entry.reason


def test_a_link_needs_the_sites_address(cast: Cast, settings: Settings) -> None:
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="SCHOOLGATE_URL"):
        call_command("reset_link", "tom", reason="r")
    call_command("reset_link", "tom", reason="r", site="https://schoolgate.example")


def test_a_switched_off_logins_other_roles_are_kept(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    """A switched-off login opens nothing, but its roles are still its roles: giving one more must not
    take the others away, and taking one away must find it."""
    Membership.objects.create(user=cast.tom, school=cast.a, role="slt")
    Membership.objects.create(user=cast.tom, school=cast.b, role="teacher")
    cast.tom.is_active = False
    cast.tom.save(update_fields=["is_active"])
    call_command("give_role", "tom", "dsl", school="northfield", reason="back after leave")
    assert set(Membership.objects.filter(user=cast.tom, school=cast.a).values_list("role", flat=True)) == {
        "teacher",
        "slt",
        "dsl",
    }
    assert "switched off" in capsys.readouterr().out
    call_command("take_role", "tom", "slt", school="northfield", reason="no longer SLT")
    assert set(Membership.objects.filter(user=cast.tom, school=cast.a).values_list("role", flat=True)) == {
        "teacher",
        "dsl",
    }
    assert Membership.objects.filter(user=cast.tom, school=cast.b, role="teacher").exists()
    with pytest.raises(CommandError, match="already has the role Teacher"):
        call_command("give_role", "tom", "teacher", school="northfield", reason="r")
    with pytest.raises(CommandError, match="does not have the role Governor"):
        call_command("take_role", "tom", "governor", school="northfield", reason="r")


def test_an_operators_change_of_roles_cancels_an_unused_link(
    cast: Cast, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SITE_URL = "https://schoolgate.northfield.example"
    call_command("reset_link", "tom", reason="lost phone")
    path = urlsplit(
        capsys.readouterr().out.split("https://schoolgate.northfield.example", 1)[1].split()[0]
    ).path
    call_command("give_role", "tom", "slt", school="northfield", reason="joins the SLT")
    assert "no longer works" in capsys.readouterr().out
    assert Client().get(path).status_code == 410
