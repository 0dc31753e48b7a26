"""E-mail: one address in the environment sets it up, a mistake in it is one clear error, and the
sender says whether a message really went."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings

from schoolgate.web.accounts import mail
from schoolgate.web.settings import email_settings
from tests.web.conftest import Mailbox, free_port


def test_email_is_off_unless_an_smtp_address_is_given() -> None:
    assert email_settings({}) == {"EMAIL_SET_UP": False, "DEFAULT_FROM_EMAIL": "", "SITE_URL": ""}


@pytest.mark.parametrize(
    ("smtp", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, "", "", False, False)),
        ("smtp://mail.example?starttls=1", ("mail.example", 587, "", "", True, False)),
        ("smtps://u%40x:p%3Ass@mail.example:2465", ("mail.example", 2465, "u@x", "p:ss", False, True)),
        ("smtp://[::1]:2525", ("::1", 2525, "", "", False, False)),
    ],
)
def test_the_smtp_address_is_read(smtp: str, expected: tuple[object, ...]) -> None:
    found = email_settings({"SCHOOLGATE_SMTP": smtp, "SCHOOLGATE_EMAIL_FROM": "schoolgate@school.example"})
    keys = (
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
    )
    assert tuple(found[k] for k in keys) == expected and found["EMAIL_SET_UP"] is True


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SCHOOLGATE_SMTP": "mail.example"}, "use smtp://"),
        ({"SCHOOLGATE_SMTP": "http://mail.example"}, "use smtp://"),
        ({"SCHOOLGATE_SMTP": "smtp://mail.example:99999"}, "port"),
        ({"SCHOOLGATE_SMTP": "smtps://mail.example?starttls=1"}, "not both"),
        ({"SCHOOLGATE_SMTP": "smtp://mail.example?tls=1"}, "tls"),
        ({"SCHOOLGATE_SMTP": "smtp://mail.example"}, "SCHOOLGATE_EMAIL_FROM"),
        ({"SCHOOLGATE_SMTP": "smtp://m", "SCHOOLGATE_EMAIL_FROM": "not an address"}, "SCHOOLGATE_EMAIL_FROM"),
        ({"SCHOOLGATE_URL": "schoolgate.example"}, "SCHOOLGATE_URL"),
        ({"SCHOOLGATE_URL": "https://schoolgate.example/a?b"}, "SCHOOLGATE_URL"),
    ],
)
def test_a_mistake_is_one_clear_error(env: dict[str, str], said: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=said):
        email_settings(env)


def test_the_sites_address_is_kept_without_its_last_slash() -> None:
    assert email_settings({"SCHOOLGATE_URL": "https://schoolgate.example/"})["SITE_URL"] == (
        "https://schoolgate.example"
    )


def test_a_message_goes_to_the_server_and_says_so(smtp: Mailbox) -> None:
    sent = mail.send("tom@northfield.example", "A subject\nwith a new line", "Hello")
    assert sent.sent and sent.why == ""
    (message,) = smtp.to("tom@northfield.example")
    assert (
        message["Subject"] == "A subject with a new line"
        and message["From"] == "schoolgate@northfield.example"
    )


def test_a_message_that_could_not_go_says_why(settings: Settings) -> None:
    settings.EMAIL_SET_UP = False
    assert mail.send("tom@northfield.example", "s", "b").why == "e-mail is not set up on this server"
    settings.EMAIL_SET_UP = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "schoolgate@northfield.example"
    outcome = mail.send("tom@northfield.example", "s", "b")
    assert not outcome.sent and "could not be sent" in outcome.why
    assert mail.send("", "s", "b").why == "no e-mail address"
