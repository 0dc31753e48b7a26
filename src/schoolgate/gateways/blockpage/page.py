"""The HTML of the block page, the review form and the pages around them.

Plain HTML and one inline style sheet (allowed by its hash in the Content-Security-Policy, see
`STYLE_HASH`); no script, no images, nothing from elsewhere. Every value from the address, the policy
or the form goes through `_e` (HTML escaping). The words are for a seven-year-old first; what a teacher
or the network manager needs sits below, under "Details for staff".
"""

from __future__ import annotations

from base64 import b64encode
from dataclasses import dataclass
from hashlib import sha256
from html import escape

from schoolgate.gateways.blockpage.notice import Notice

__all__ = [
    "MAX_MESSAGE",
    "MAX_NAME",
    "MONITORED",
    "STYLE_HASH",
    "FormInput",
    "ReportInput",
    "render_block_page",
    "render_message_page",
    "render_report_page",
    "render_reported",
    "render_thanks",
]

MAX_MESSAGE = 2000  # characters in a review request
MAX_NAME = 100
MAX_SITE = 2048  # characters of the address of a site reported (the helper's own limit for a URL)

# In place of the review form, when the server would not take a request from this page.
ASKED_ALREADY = (
    "You have already asked for a review of this page. If you still need it for your school work, "
    "ask your teacher."
)
TOO_OLD = (
    "To ask for a review, open the website again: if it is still blocked, the new page lets you ask. "
    "Or ask your teacher."
)
ASK_TEACHER = "If you need this page for your school work, ask your teacher."
# Users are told they are monitored (DfE monitoring standard): on every block page, whoever sees it.
MONITORED = (
    "Your use of the internet at school is monitored: what you search for and the sites you visit are "
    "recorded, and may be seen by the school's safeguarding team and the people who run its filter."
)

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f2f1; color: #0b0c0c; font: 1.125rem/1.5 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #1d4e89; color: #fff; padding: 0.75rem 0; }
header p { margin: 0 auto; max-width: 40rem; padding: 0 1rem; font-weight: 600; font-size: 1.125rem; }
main { display: block; margin: 0 auto; max-width: 40rem; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 2.5rem; line-height: 1.15; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.5rem; margin: 0 0 0.75rem; }
.host { font-size: 1.75rem; font-weight: 700; background: #fff; border-left: 0.5rem solid #d4351c;
  padding: 0.5rem 0.75rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
.why { font-size: 1.375rem; margin: 0 0 1rem; }
.old { background: #fff7bf; border-left: 0.5rem solid #b58900; padding: 0.5rem 0.75rem; }
.facts { margin: 0 0 1.5rem; display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
.facts dt { font-weight: 700; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
section { background: #fff; padding: 1.25rem 1rem; margin: 1.5rem 0 0; border-radius: 0.25rem; }
label { display: block; font-weight: 700; margin: 1rem 0 0.25rem; }
.hint { color: #484949; margin: 0 0 0.5rem; }
.error { color: #a6231b; font-weight: 700; margin: 0.5rem 0; }
textarea, input[type="text"] { display: block; width: 100%; font: inherit; padding: 0.5rem;
  border: 2px solid #0b0c0c; border-radius: 0; background: #fff; color: #0b0c0c; }
textarea.invalid { border: 4px solid #a6231b; }
button { margin-top: 1.25rem; font: inherit; font-weight: 700; color: #fff; background: #00703c;
  border: 0; border-bottom: 2px solid #002d18; padding: 0.6rem 1.25rem; cursor: pointer; }
button:hover { background: #005a30; }
:focus-visible { outline: 3px solid #ffdd00; outline-offset: 0; box-shadow: 0 0 0 6px #0b0c0c; }
textarea:focus-visible, input:focus-visible { box-shadow: inset 0 0 0 2px #0b0c0c; }
.staff { font-size: 1rem; color: #0b0c0c; }
.staff h2 { font-size: 1.125rem; }
.staff dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
.staff dt { font-weight: 700; }
.staff dd { margin: 0; overflow-wrap: anywhere; }
.url { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9375rem; }
.monitored { color: #484949; font-size: 1rem; margin: 0 0 1rem; }
.asked { background: #fff; border-left: 0.5rem solid #1d70b8; padding: 0.5rem 0.75rem; margin: 0 0 1rem; }
a { color: #1d70b8; }
a:visited { color: #4c2c92; }
.report { font-size: 1rem; margin: 1.5rem 0 0; }
@media (max-width: 30rem) {
  h1 { font-size: 2rem; }
  .host { font-size: 1.375rem; }
  .facts, .staff dl { grid-template-columns: 1fr; }
  .facts dd, .staff dd { margin-bottom: 0.5rem; }
}
"""

STYLE_HASH = "sha256-" + b64encode(sha256(STYLE.encode("utf-8")).digest()).decode()


def _e(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True, slots=True)
class FormInput:
    """What was typed into the review form, and what was wrong with it."""

    message: str = ""
    name: str = ""
    error: str | None = None


def _document(title: str, school: str, body: str) -> str:
    school_line = f"<header><p>{_e(school)}</p></header>\n" if school else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{_e(title)}{' – ' + _e(school) if school else ''}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n{school_line}<main>\n{body}</main>\n</body>\n</html>\n"
    )


def _facts(notice: Notice) -> str:
    rows: list[tuple[str, str]] = []
    if notice.who:
        rows.append(("Device" if notice.who_is_address else "Who", notice.who))
    if notice.when:
        rows.append(("When", notice.when))
    if not rows:
        return ""
    items = "".join(f"<dt>{_e(term)}</dt><dd>{_e(value)}</dd>" for term, value in rows)
    return f'<dl class="facts">{items}</dl>\n'


def _staff_details(notice: Notice, ask_link: str | None = None) -> str:
    rows: list[tuple[str, str]] = []
    if notice.url:
        cut = " (cut short)" if notice.url_cut else ""
        rows.append(("Address", f'<span class="url">{_e(notice.url)}</span>{cut}'))
    if notice.who:
        rows.append(("Device address" if notice.who_is_address else "User", _e(notice.who)))
    if notice.group:
        rows.append(("Group", _e(notice.group)))
    if notice.rule is not None:
        name = f" “{_e(notice.rule_name)}”" if notice.rule_name else " (not in the policy now)"
        rows.append(("Rule", f"{notice.rule}{name}"))
    if notice.category:
        uksic = f" (UKSIC: {_e(notice.uksic)})" if notice.uksic else ""
        rows.append(("Category", _e(notice.category) + uksic))
    if notice.reason:
        rows.append(("Reason", _e(notice.reason)))
    if notice.at is not None:
        rows.append(("Decided", _e(f"{notice.at:%Y-%m-%d %H:%M:%S} ({notice.at.tzname()})")))
    items = "".join(f"<dt>{term}</dt><dd>{value}</dd>" for term, value in rows)
    ask = (
        f'<p><a href="{_e(ask_link)}">Ask for this to be unblocked</a> '
        "(for staff: you sign in to Schoolgate to ask)</p>\n"
        if ask_link
        else ""
    )
    return (
        '<section class="staff" aria-labelledby="staff-details">\n'
        f'<h2 id="staff-details">Details for staff</h2>\n<dl>{items}</dl>\n{ask}</section>\n'
    )


def review_form(action: str, query: str, typed: FormInput) -> str:
    """The "Ask for a review" form: plain POST, no script; the signed address rides in `q`."""
    error = ""
    described = "message-hint"
    invalid = ""
    if typed.error:
        error = f'<p class="error" id="message-error">{_e(typed.error)}</p>\n'
        described += " message-error"
        invalid = ' class="invalid" aria-invalid="true"'
    return (
        '<section aria-labelledby="ask-review">\n<h2 id="ask-review">Ask for a review</h2>\n'
        "<p>If you need this page for your school work, tell us why. "
        "The people who look after the school's internet will read it.</p>\n"
        f'<form method="post" action="{_e(action)}">\n'
        f'<input type="hidden" name="q" value="{_e(query)}">\n'
        '<label for="message">Why do you need this page?</label>\n'
        '<p class="hint" id="message-hint">For example: “We are learning about volcanoes in class.”</p>\n'
        f"{error}"
        f'<textarea id="message" name="message" rows="5" maxlength="{MAX_MESSAGE}" required '
        f'aria-describedby="{described}"{invalid}>{_e(typed.message)}</textarea>\n'
        '<label for="name">Your name <span class="hint">(you can leave this empty)</span></label>\n'
        f'<input type="text" id="name" name="name" maxlength="{MAX_NAME}" autocomplete="name" '
        f'value="{_e(typed.name)}">\n'
        '<button type="submit">Send the request</button>\n</form>\n</section>\n'
    )


def render_block_page(
    notice: Notice,
    action: str,
    typed: FormInput | None = None,
    *,
    asked: bool = False,
    status: str | None = None,
    report_link: str | None = None,
    ask_link: str | None = None,
) -> str:
    """The block page for a notice. Only a trusted (signed) notice has who, when, the details for
    staff and the review form; the form only while the notice is fresh (`notice.MAX_AGE_SECONDS`) and
    its address has not been used for all the requests it may make (`asked`), for the server would
    refuse the request. `status` is what became of this pupil's request about this site (the
    requests status file's line for them), `report_link` the address of the form for reporting a site
    that should be blocked, `ask_link` the web application's "Request a site" for this address (staff)."""
    parts = ["<h1>This page is blocked</h1>\n"]
    if notice.host:
        parts.append(f'<p class="host">{_e(notice.host)}</p>\n')
    parts.append(f'<p class="why">{_e(notice.why)}</p>\n')
    if status and notice.trusted:
        parts.append(f'<p class="asked">{_e(status)}</p>\n')
    if notice.old and notice.when:
        parts.append(
            f'<p class="old">This message is old: it is from {_e(notice.when)}. '
            "Try the page again to see if it is still blocked.</p>\n"
        )
    parts.append(_facts(notice))
    parts.append(f'<p class="monitored">{_e(MONITORED)}</p>\n')
    if notice.trusted and notice.query and notice.reviewable:
        if asked:
            parts.append(f"<p>{_e(ASKED_ALREADY)}</p>\n")
        elif not notice.fresh:
            parts.append(f"<p>{_e(TOO_OLD if notice.old else ASK_TEACHER)}</p>\n")
        else:
            parts.append(review_form(action, notice.query, typed or FormInput()))
        parts.append(_staff_details(notice, ask_link))
    elif notice.trusted:
        # Illegal content (a locked list): no rule can unblock it, so there is nothing to review.
        parts.append(
            "<p>If something you saw worried or upset you, tell a teacher or another adult you trust.</p>\n"
        )
        parts.append(_staff_details(notice))
    else:
        parts.append(f"<p>{_e(ASK_TEACHER)}</p>\n")
    if report_link:
        parts.append(_report_link(report_link))
    return _document("This page is blocked", notice.school, "".join(parts))


def _report_link(link: str) -> str:
    return (
        f'<p class="report"><a href="{_e(link)}">Seen a website at school that should be blocked? '
        "Tell us</a></p>\n"
    )


@dataclass(frozen=True, slots=True)
class ReportInput:
    """What was typed into the reporting form, and what was wrong with it (`error` names the field)."""

    site: str = ""
    message: str = ""
    name: str = ""
    error: str | None = None
    error_field: str = "site"


def render_report_page(school: str, action: str, query: str | None, typed: ReportInput | None = None) -> str:
    """The form for telling the school that a website should be blocked: plain POST, no script. The
    signed address of the block page it was opened from, if any, rides in `q` (it says who reports)."""
    typed = typed or ReportInput()
    site_error = message_error = ""
    site_attrs = message_attrs = ""
    if typed.error:
        error = f'<p class="error" id="{typed.error_field}-error">{_e(typed.error)}</p>\n'
        invalid = f' aria-invalid="true" aria-describedby="{typed.error_field}-error"'
        if typed.error_field == "message":
            message_error, message_attrs = error, ' class="invalid"' + invalid
        else:
            site_error, site_attrs = error, invalid
    hidden = f'<input type="hidden" name="q" value="{_e(query)}">\n' if query else ""
    body = (
        "<h1>Tell us about a website</h1>\n"
        '<p class="why">If you saw a website at school that should be blocked, tell us where it is. '
        "The people who look after the school's internet will look at it.</p>\n"
        "<p>If something you saw worried or upset you, tell a teacher or another adult you trust "
        "as well.</p>\n"
        f'<section aria-labelledby="report-form">\n<h2 id="report-form">The website</h2>\n'
        f'<form method="post" action="{_e(action)}">\n'
        '<input type="hidden" name="form" value="report">\n'
        f"{hidden}"
        '<label for="site">Its address</label>\n'
        '<p class="hint" id="site-hint">For example: games.example.com</p>\n'
        f"{site_error}"
        f'<input type="text" id="site" name="site" maxlength="{MAX_SITE}" required autocomplete="off" '
        f'spellcheck="false" value="{_e(typed.site)}"{site_attrs}>\n'
        '<label for="message">Why should it be blocked? <span class="hint">(you can leave this empty)'
        "</span></label>\n"
        f"{message_error}"
        f'<textarea id="message" name="message" rows="4" maxlength="{MAX_MESSAGE}"{message_attrs}>'
        f"{_e(typed.message)}</textarea>\n"
        '<label for="name">Your name <span class="hint">(you can leave this empty)</span></label>\n'
        f'<input type="text" id="name" name="name" maxlength="{MAX_NAME}" autocomplete="name" '
        f'value="{_e(typed.name)}">\n'
        '<button type="submit">Send</button>\n</form>\n</section>\n'
        f'<p class="monitored">{_e(MONITORED)}</p>\n'
    )
    return _document("Tell us about a website", school, body)


def render_reported(school: str) -> str:
    return _document(
        "Thank you",
        school,
        "<h1>Thank you</h1>\n"
        '<p class="why">You told the people who look after the school\'s internet about the website. '
        "They will look at it soon.</p>\n<p>You can close this page now.</p>\n",
    )


def render_thanks(school: str) -> str:
    return _document(
        "Thank you",
        school,
        "<h1>Thank you</h1>\n"
        '<p class="why">Your request has been sent to the people who look after the school\'s internet. '
        "They will look at it soon.</p>\n<p>You can close this page now.</p>\n",
    )


def render_message_page(title: str, school: str, *paragraphs: str) -> str:
    """A short page with a heading and plain paragraphs (errors, the server's own front page)."""
    body = f"<h1>{_e(title)}</h1>\n" + "".join(f"<p>{_e(p)}</p>\n" for p in paragraphs)
    return _document(title, school, body)
