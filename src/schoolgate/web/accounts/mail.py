"""Sending an e-mail, and saying honestly whether it went: a page that mentions an e-mail says what
really happened (sent, or why not), never what was meant to happen.

Always through SMTP as `SCHOOLGATE_SMTP` sets it up (settings.py), whatever Django's EMAIL_BACKEND says,
so that what the tests send reaches a real SMTP server as it would in a school."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

log = logging.getLogger(__name__)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SUBJECT_MAX = 200


@dataclass(frozen=True)
class Outcome:
    sent: bool
    why: str = ""  # why not, in words for the page: "no e-mail address", ...


def set_up() -> bool:
    return bool(settings.EMAIL_SET_UP)


def send(to: str, subject: str, body: str) -> Outcome:
    """Send one plain-text message to one address."""
    if not set_up():
        return Outcome(False, "e-mail is not set up on this server")
    if not to:
        return Outcome(False, "no e-mail address")
    # A new line in a header would start another header: the subject is one line, whatever it quotes.
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=get_connection(SMTP_BACKEND, fail_silently=False),
    )
    try:
        sent = message.send()
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        log.warning("e-mail to %s not sent: %s", to, exc)
        return Outcome(False, "it could not be sent (the mail server did not take it)")
    if sent != 1:
        return Outcome(False, "it could not be sent (the mail server did not take it)")
    return Outcome(True)
