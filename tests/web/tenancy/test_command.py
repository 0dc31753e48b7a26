"""`schoolgate web manage create_school` (what `schoolgate school create` runs): what it says, once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schoolgate.web.accounts.models import User
from schoolgate.web.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_school", *args, stdout=out)
    return out.getvalue()


def test_it_says_what_it_made_the_locked_lists_it_lacks_and_the_password_once(data_dir: Path) -> None:
    said = _run(
        "Oak Hill Primary School", "--urn", "123456", "--dsl", "Dee Kaur", "--timezone", "Europe/London"
    )
    assert (
        "Made Oak Hill Primary School (URN 123456, short name oak-hill-primary-school, Europe/London)."
        in said
    )
    assert f'Warning: locked list "iwf" not installed: there is no file at {data_dir}/lists/iwf.txt' in said
    assert 'Warning: locked list "terrorism" not installed' in said
    assert "First login: d.kaur (Dee Kaur), Designated Safeguarding Lead." in said
    password = said.split("give it to them in person: ")[1].split()[0]
    assert User.objects.get(username="d.kaur").check_password(password)
    entry = AuditEntry.objects.get(object_type="tenancy.school", action="create")
    assert "(schoolgate web manage create_school)" in entry.actor_label

    (data_dir / "lists").mkdir()
    (data_dir / "lists" / "iwf.txt").write_text("iwf-test.example\n")
    again = _run("Oak Hill Primary School", "--urn", "123456", "--dsl", "Dee Kaur")
    assert "exists already: nothing changed" in again and password not in again
    assert "Its headteacher and DSL logins: d.kaur (Dee Kaur, Designated Safeguarding Lead)." in again


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("X", "--urn", "1"), "'1' is not a URN"),
        (("X", "--urn", "123456", "--timezone", "Nowhere/Else"), "'Nowhere/Else' is not a time zone"),
        (("X", "--urn", "123456", "--email", "a@b.example"), "--email and --username are the first login's"),
        (("X", "--urn", "123456", "--head", " "), "Give the person's full name"),
    ],
)
def test_mistakes_are_one_line(data_dir: Path, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        _run(*args)
    assert message in str(refused.value)
