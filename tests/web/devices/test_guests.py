"""Guest proxy logins against a real password file: the user name made from the name, the password
of words written with bcrypt (and never stored), the USERNAME identity that places the guest in the
policy, the login ended early, and the worker's `tidy` taking it out of the file when its time is up
(the file's mode kept; a file it cannot write reported and tried again)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils import timezone
from pytest_django import Settings

from schoolgate.gateways.squid import passwords
from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.actions import acting
from schoolgate.web.devices import actions, guests
from schoolgate.web.devices.models import GuestLogin
from schoolgate.web.people.choices import IdentityKind, PersonKind
from schoolgate.web.people.models import NetworkIdentity
from tests.web.devices.samples import visitor
from tests.web.factories import Cast, person

pytestmark = pytest.mark.django_db


def lines(path: Path) -> dict[str, str]:
    return dict(line.split(":", 1) for line in path.read_text().splitlines())


@pytest.mark.parametrize(
    ("first", "last", "taken", "expected"),
    [
        ("Amelia", "Hughes", set(), "amelia.hughes"),
        ("Amelia", "Hughes", {"amelia.hughes"}, "amelia.hughes2"),
        ("Amelia", "Hughes", {"amelia.hughes", "amelia.hughes2"}, "amelia.hughes3"),
        ("Zoë", "O'Brien-Smith", set(), "zoe.obriensmith"),
        ("Mary Ann", "de la Cruz", set(), "maryann.delacruz"),
        ("李", "王", set(), "guest"),
        ("", "Madonna", set(), "madonna"),
        ("A" * 200, "B", set(), "a" * 36),
        ("Ed", "Root:x:0", set(), "ed.rootx0"),
    ],
)
def test_a_user_name_is_made_from_the_name(first: str, last: str, taken: set[str], expected: str) -> None:
    name = guests.username_for(first, last, taken.__contains__)
    assert name == expected
    assert name == name.lower() and " " not in name and ":" not in name and len(name) <= guests.USERNAME_MAX


def test_a_password_is_three_words_and_a_number() -> None:
    made = {guests.make_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        *words, number = password.split("-")
        assert len(words) == 3 and all(w in guests.WORDS for w in words) and 10 <= int(number) <= 99


def test_a_guest_login_is_written_to_the_file_and_never_stored(cast: Cast, password_file: Path) -> None:
    guest = visitor(cast.a, first_name="Helen", last_name="Marsh")
    login, password = actions.do_give_guest_login(guest, actor=cast.omar)
    assert login.username == "helen.marsh" and login.until == guest.expires_at
    entries = lines(password_file)
    assert "d.kowalski" in entries  # the lines already there stay
    assert bcrypt.checkpw(password.encode(), entries["helen.marsh"].encode())
    assert not bcrypt.checkpw(b"wrong-password-10", entries["helen.marsh"].encode())
    assert os.stat(password_file).st_mode & 0o777 == 0o640
    identity = NetworkIdentity.objects.get(school=cast.a, kind=IdentityKind.USERNAME, value="helen.marsh")
    assert identity.person == guest and login.identity == identity
    # The password is nowhere in the database: not on the login, not in the audit trail.
    assert password not in str(GuestLogin.objects.filter(pk=login.pk).values().get())
    assert not [e for e in AuditEntry.objects.all() if password in str(e.__dict__)]


def test_a_second_guest_of_the_same_name_gets_another_user_name(cast: Cast, password_file: Path) -> None:
    person(cast.b, PersonKind.STAFF)  # another school's user name counts too (one proxy for both)
    NetworkIdentity.objects.create(school=cast.b, kind=IdentityKind.USERNAME, value="helen.marsh")
    first, _ = actions.do_give_guest_login(
        visitor(cast.a, first_name="Helen", last_name="Marsh"), actor=cast.nina
    )
    second, _ = actions.do_give_guest_login(
        visitor(cast.a, first_name="Helen", last_name="Marsh"), actor=cast.nina
    )
    assert (first.username, second.username) == ("helen.marsh2", "helen.marsh3")
    assert {"helen.marsh2", "helen.marsh3"} <= set(lines(password_file))


def test_a_name_taken_in_another_case_is_taken(cast: Cast, password_file: Path) -> None:
    """The policy and Squid's password file compare user names without case: a guest "helen.marsh"
    beside a "Helen.Marsh" line or identity would be placed in that person's filter group."""
    with password_file.open("a") as file:
        file.write("Helen.Marsh:$2b$10$abcdefghijklmnopqrstuu5Q1Zl0Yq8m9m5o3Vb1qz0Wg8dF6b5xy\n")
    NetworkIdentity.objects.create(school=cast.b, kind=IdentityKind.USERNAME, value="Helen.Marsh2")
    login, _ = actions.do_give_guest_login(
        visitor(cast.a, first_name="Helen", last_name="Marsh"), actor=cast.omar
    )
    assert login.username == "helen.marsh3"


def test_one_login_at_a_time_and_only_for_temporary_people(cast: Cast, password_file: Path) -> None:
    guest = visitor(cast.a)
    actions.do_give_guest_login(guest, actor=cast.omar)
    with pytest.raises(ValidationError, match="has a login already"):
        actions.do_give_guest_login(guest, actor=cast.omar)
    with pytest.raises(ValidationError, match="Only visitors"):
        actions.do_give_guest_login(person(cast.a, PersonKind.STAFF), actor=cast.omar)
    gone = visitor(cast.a, expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="has ended"):
        actions.do_give_guest_login(gone, actor=cast.omar)
    later = visitor(cast.a)
    assert later.expires_at is not None
    with pytest.raises(ValidationError, match="or earlier"):
        actions.do_give_guest_login(later, actor=cast.omar, until=later.expires_at + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="still to come"):
        actions.do_give_guest_login(later, actor=cast.omar, until=timezone.now() - dt.timedelta(hours=1))
    assert GuestLogin.objects.count() == 1 and len(lines(password_file)) == 2


@pytest.mark.parametrize("name", ["sami", "hana", "alice", "tom", "zack"])
def test_only_the_network_manager_and_office_give_logins(cast: Cast, password_file: Path, name: str) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_give_guest_login(visitor(cast.a), actor=cast.users[name])
    assert not GuestLogin.objects.exists() and len(lines(password_file)) == 1


def test_without_the_setting_nothing_is_made(cast: Cast, settings: Settings) -> None:
    settings.PROXY_PASSWORDS = None
    with pytest.raises(ValidationError, match="not set up"):
        actions.do_give_guest_login(visitor(cast.a), actor=cast.omar)
    assert not GuestLogin.objects.exists() and not NetworkIdentity.objects.exists()


def test_a_file_that_cannot_be_written_leaves_no_record(
    cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    settings.PROXY_PASSWORDS = tmp_path / "not-a-directory" / "passwords"
    (tmp_path / "not-a-directory").write_text("a file where the directory should be")
    with pytest.raises(ValidationError, match="could not be made"):
        actions.do_give_guest_login(visitor(cast.a), actor=cast.omar)
    assert not GuestLogin.objects.exists() and not NetworkIdentity.objects.exists()


def test_a_failure_after_the_line_is_written_takes_the_line_out_again(
    cast: Cast, password_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The records are kept only if the transaction commits; a line whose records were rolled back
    would have no login for the worker to take out on time: a password that never ends."""

    @contextlib.contextmanager
    def failing(*args: Any, **kwargs: Any) -> Iterator[None]:
        with acting(*args, **kwargs):
            yield
        raise OperationalError("database is locked")  # as a commit that fails at the end

    monkeypatch.setattr(actions, "acting", failing)
    with pytest.raises(OperationalError):
        actions.do_give_guest_login(visitor(cast.a, first_name="Helen", last_name="Marsh"), actor=cast.omar)
    assert set(lines(password_file)) == {"d.kowalski"}
    assert not GuestLogin.objects.exists()


def test_ending_a_login_early_takes_it_out_of_the_file(cast: Cast, password_file: Path) -> None:
    login, _ = actions.do_give_guest_login(visitor(cast.a), actor=cast.omar)
    actions.do_end_guest_login(login, actor=cast.nina)
    login.refresh_from_db()
    assert login.removed_by == cast.nina and login.removed_why == "ended early"
    assert login.username not in lines(password_file) and "d.kowalski" in lines(password_file)
    with pytest.raises(ValidationError, match="ended already"):
        actions.do_end_guest_login(login, actor=cast.nina)
    their_login = GuestLogin.objects.create(
        school=cast.b, person=visitor(cast.b), username="theirs", made_by=cast.zack,
        made_at=timezone.now(), until=timezone.now() + dt.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        actions.do_end_guest_login(their_login, actor=cast.omar)


def test_tidy_takes_logins_out_when_their_time_is_up(cast: Cast, password_file: Path) -> None:
    now = timezone.now()
    short = visitor(cast.a, first_name="Short", last_name="Stay", expires_at=now + dt.timedelta(hours=2))
    long = visitor(cast.a, first_name="Long", last_name="Stay", expires_at=now + dt.timedelta(days=5))
    actions.do_give_guest_login(short, actor=cast.omar)
    actions.do_give_guest_login(long, actor=cast.omar)
    assert guests.tidy(now) == 0
    assert guests.tidy(now + dt.timedelta(hours=1, minutes=59)) == 0
    assert {"short.stay", "long.stay"} <= set(lines(password_file))
    assert guests.tidy(now + dt.timedelta(hours=2)) == 1
    assert "short.stay" not in lines(password_file) and "long.stay" in lines(password_file)
    assert os.stat(password_file).st_mode & 0o777 == 0o640
    ended = GuestLogin.objects.get(person=short)
    assert ended.removed_at == now + dt.timedelta(hours=2) and ended.removed_why == "its time was up"
    assert guests.tidy(now + dt.timedelta(hours=3)) == 0  # done once
    long.archived_at = now  # archived early: its login goes at the next round
    long.save()
    assert guests.tidy(now + dt.timedelta(hours=3)) == 1
    assert set(lines(password_file)) == {"d.kowalski"}


def test_tidy_reports_a_file_it_cannot_write_and_tries_again(cast: Cast, password_file: Path) -> None:
    now = timezone.now()
    guest = visitor(cast.a, expires_at=now + dt.timedelta(hours=1))
    login, _ = actions.do_give_guest_login(guest, actor=cast.omar)
    aside = password_file.with_name("moved")
    password_file.rename(aside)
    password_file.mkdir()  # a directory where the file should be: it cannot be read or replaced
    with pytest.raises(guests.GuestFileError, match="cannot"):
        guests.tidy(now + dt.timedelta(hours=2))
    login.refresh_from_db()
    assert login.removed_at is None  # still due: the next round tries again
    password_file.rmdir()
    aside.rename(password_file)
    assert guests.tidy(now + dt.timedelta(hours=2)) == 1
    assert login.username not in lines(password_file)


def test_tidy_without_the_setting_says_so_when_something_is_due(
    cast: Cast, password_file: Path, settings: Settings
) -> None:
    now = timezone.now()
    actions.do_give_guest_login(visitor(cast.a, expires_at=now + dt.timedelta(hours=1)), actor=cast.omar)
    settings.PROXY_PASSWORDS = None
    assert guests.tidy(now) == 0  # nothing due: nothing to say
    with pytest.raises(guests.GuestFileError, match="not set up"):
        guests.tidy(now + dt.timedelta(hours=2))


def test_the_file_stays_what_squid_reads(cast: Cast, password_file: Path) -> None:
    actions.do_give_guest_login(visitor(cast.a), actor=cast.omar)
    assert passwords.users(password_file)[0] == "d.kowalski"


def test_the_workers_round_takes_ended_logins_out_and_reports_what_it_cannot(
    cast: Cast, password_file: Path, settings: Settings, tmp_path: Path
) -> None:
    from schoolgate.web.monitoring import worker as loop
    from schoolgate.web.monitoring.models import WorkerStatus

    login, _ = actions.do_give_guest_login(visitor(cast.a), actor=cast.omar)
    GuestLogin.objects.filter(pk=login.pk).update(until=timezone.now() - dt.timedelta(minutes=1))
    worker = loop.Worker([(str(tmp_path / "spool"), cast.a.slug)], say=lambda text: None)
    settings.PROXY_PASSWORDS = None
    worker.run(once=True)
    assert "removing guest logins that ended" in WorkerStatus.objects.get().problem
    assert login.username in lines(password_file)
    settings.PROXY_PASSWORDS = password_file
    worker.run(once=True)
    assert "guest logins" not in WorkerStatus.objects.get().problem
    assert login.username not in lines(password_file)
    assert GuestLogin.objects.get(pk=login.pk).removed_at is not None
