"""What every response and every request body go through: security headers, and limits on the size
and kind of a request's body, checked before anything reads it.

- `SecurityHeadersMiddleware`: a strict Content-Security-Policy on every response (scripts, styles
  and images from Schoolgate itself only: no inline script or style, no plug-ins, no framing), and
  `Cache-Control: no-store, private` on every page (the login pages included; static files keep
  their caching), so a shared staff-room PC keeps no copy of a safeguarding record.
- `RequestSizeMiddleware`: a form without files takes up to `form_max_bytes()`; the few pages that take
  files (`upload_limits`) take what their files need. A body over its page's limit is refused (413)
  from its Content-Length alone, and a file sent to a page that takes none is skipped unread: Django
  would otherwise write a request's files to temporary files, before any check of the login or the
  CSRF token, for anyone who asks. `schoolgate web serve` refuses bodies over the largest of the
  limits before they reach Django at all (`max_body_bytes`).
- `UploadAccessMiddleware`: on a page that takes files, they are read only for a request the page lets
  in (logged in with both factors, holding the page's capability); anyone else's are skipped unread
  too, so that nobody can make Schoolgate hold or write a file before it knows who is sending it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import Resolver404, ResolverMatch, resolve
from whitenoise.middleware import WhiteNoiseFileResponse  # type: ignore[import-untyped]

from schoolgate.web.core.access import why_not_in

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
NO_STORE = "no-store, private"

MB = 1024 * 1024
# An upload's form besides its files: the other fields and the multipart framing.
UPLOAD_FORM_BYTES = 1 * MB


def form_max_bytes() -> int:
    """The most a form without files takes (settings.DATA_UPLOAD_MAX_MEMORY_SIZE, which Django holds
    the form's fields to as it reads them)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


@cache
def upload_limits() -> dict[str, int]:
    """The pages that take files, by URL name, and the most each takes in one request."""
    from schoolgate.web.incidents.actions import EVIDENCE_MAX_BYTES
    from schoolgate.web.people.forms import UploadForm
    from schoolgate.web.people.importing import MAX_BYTES as MIS_FILE_MAX_BYTES
    from schoolgate.web.training.certificates import MAX_BYTES as CERTIFICATE_MAX_BYTES

    evidence = EVIDENCE_MAX_BYTES + UPLOAD_FORM_BYTES
    mis_files = sum(isinstance(f, forms.FileField) for f in UploadForm.base_fields.values())
    return {
        "incidents:evidence-add": evidence,
        "incidents:api-evidence": evidence,
        "people:import": mis_files * MIS_FILE_MAX_BYTES + UPLOAD_FORM_BYTES,
        "training:record": CERTIFICATE_MAX_BYTES + UPLOAD_FORM_BYTES,
        "training:attendance-certificate": CERTIFICATE_MAX_BYTES + UPLOAD_FORM_BYTES,
    }


def max_body_bytes() -> int:
    """The largest body any page takes: what the web server itself refuses beyond."""
    return max(form_max_bytes(), *upload_limits().values())


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy to every response, and no-store to all but static files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if not isinstance(response, WhiteNoiseFileResponse):
            response["Cache-Control"] = NO_STORE
        return response


def _match(request: HttpRequest) -> ResolverMatch | None:
    """The page the request is for (resolved once, for both middlewares here), or None."""
    if not hasattr(request, "_schoolgate_match"):
        try:
            found: ResolverMatch | None = resolve(request.path_info)
        except Resolver404:
            found = None
        request._schoolgate_match = found  # type: ignore[attr-defined]
    match: ResolverMatch | None = request._schoolgate_match  # type: ignore[attr-defined]
    return match


def _view_name(request: HttpRequest) -> str | None:
    match = _match(request)
    return match.view_name if match is not None else None


_ERRORS = {400: "unreadable-length", 411: "length-required", 413: "too-large"}


def _refuse(request: HttpRequest, view: str | None, status: int, title: str, message: str) -> HttpResponse:
    """The refusal as a page, or for the log's API (its addresses are named `api-...`) as JSON."""
    if view is not None and view.rpartition(":")[2].startswith("api-"):
        return JsonResponse({"error": _ERRORS[status], "message": f"{title}. {message}"}, status=status)
    return render(request, "request_refused.html", {"title": title, "message": message}, status=status)


def _megabytes(size: int) -> str:
    return f"{size / MB:.0f} MB"


class NoFilesUploadHandler(FileUploadHandler):
    """The upload handler of every page that takes no files: a file sent to one is skipped unread
    (its bytes are read past, kept nowhere, not even in memory), and the form's other fields are read
    as usual. Django's own handlers would keep it in memory, or in a temporary file on disk."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise SkipFile()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return None

    def file_complete(self, file_size: int) -> None:
        return None


def _without_nul(query: QueryDict) -> QueryDict:
    """The address's query without NUL characters: no one types one, PostgreSQL refuses them in text,
    and a page that reads a parameter for a search or a filter must not fail on one (forms refuse them
    already; this covers every parameter read straight from `request.GET`)."""
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
    cleaned._mutable = False
    return cleaned


class RequestSizeMiddleware:
    """Refuses, before anything reads it, a body larger than its page takes; on a page that takes no
    files, any file in the body is skipped unread. Only the headers are read here. NUL characters are
    taken out of the address's query (`_without_nul`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.uploads = upload_limits()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if "%00" in request.META.get("QUERY_STRING", ""):
            request.GET = _without_nul(request.GET)  # type: ignore[assignment]  # immutable, as Django makes it
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        given = str(request.META.get("CONTENT_LENGTH") or "").strip()
        if not given:
            if request.META.get("HTTP_TRANSFER_ENCODING"):
                # A body of unknown length: Django would read none of it, and the page would act on an
                # empty form. (`schoolgate web serve` reads a chunked body whole and gives its length.)
                return _refuse(
                    request, None, 411, "The request did not say its length",
                    "Send the form again from its page.",
                )  # fmt: skip
            return None
        if not (given.isascii() and given.isdigit()):
            return _refuse(
                request, None, 400, "The request is not readable", "Send the form again from its page."
            )
        digits = given.lstrip("0")
        length = int(digits or 0) if len(digits) <= 15 else 10**15  # not a length any page takes
        view = _view_name(request)
        limit = self.uploads.get(view or "")
        if limit is None:
            request.upload_handlers = [NoFilesUploadHandler(request)]
        form_max = form_max_bytes()
        limit = limit or form_max
        if length > limit:
            if limit > form_max:
                takes = f"files of up to {_megabytes(limit - UPLOAD_FORM_BYTES)} in all"
                again = "Go back, choose a smaller file and try again."
            else:
                takes = f"up to {_megabytes(limit)} of text"
                again = "Go back, send less and try again."
            message = f"This page takes {takes}, and this was more. {again}"
            return _refuse(request, view, 413, "Too large to send", message)
        return None


def _lets_in(request: HttpRequest, match: ResolverMatch) -> bool:
    """Whether the page would let the request in (`core.access.why_not_in`, as `staff_view` asks it).
    A page that is not a staff page lets nobody send it files."""
    if not getattr(match.func, "staff_view", False):
        return False
    return why_not_in(request, getattr(match.func, "staff_capability", None)) is None


class UploadAccessMiddleware:
    """On a page that takes files, files are read only for a request the page will let in; anyone
    else's (nobody logged in, a password without its code, a login without the page's capability) are
    skipped unread, kept nowhere, as on a page that takes none, and the page then refuses the request as
    it always would. The rest of the form is read as usual, within `form_max_bytes()`.

    Django reads a request's files with its form, and the first to read the form is the CSRF check
    (`CsrfViewMiddleware.process_view`), before any page checks the login. Every middleware's request
    phase runs before any `process_view`, so this one, placed after the login, second-factor and school
    middleware (settings.MIDDLEWARE), chooses the upload handlers before anything reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.uploads = frozenset(upload_limits())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = _match(request)  # None, no page: RequestSizeMiddleware lets it send no file
        if match is not None and match.view_name in self.uploads and not _lets_in(request, match):
            request.upload_handlers = [NoFilesUploadHandler(request)]
        return self.get_response(request)
