"""An upload handler that drops, unread, any file sent for an incident on the illegal-content route.

Django reads a form's files before any view runs (the CSRF check reads the form), into memory or a
temporary file. This handler comes first, sees each file's start, and skips it when the address is
one of the log's evidence addresses and the incident may involve illegal content: not a byte of it is
kept, even for a moment. The view then refuses the request as well.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.urls import Resolver404, resolve

from schoolgate.web.incidents.actions import EVIDENCE_MAX_BYTES
from schoolgate.web.incidents.models import Incident

EVIDENCE_URLS = frozenset({"incidents:evidence-add", "incidents:api-evidence"})


class IllegalRouteUploadHandler(FileUploadHandler):
    def _evidence_for(self) -> str | None:
        """The incident's reference when the request is for one of the evidence addresses."""
        if self.request is None:
            return None
        try:
            match = resolve(self.request.path_info)
        except Resolver404:
            return None
        ref = match.kwargs.get("ref")
        return ref if match.view_name in EVIDENCE_URLS and isinstance(ref, str) else None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        ref = self._evidence_for()
        if ref is None or self.request is None:
            return
        # A reference is one school's; where the school is not known yet, any school's incident of that
        # reference on the illegal-content route is enough to drop the file.
        incidents = Incident.objects.filter(reference=ref)
        school = getattr(self.request, "school", None)
        if school is not None:
            incidents = incidents.filter(school=school)
        if incidents.exclude(illegal_content="").exists():
            raise SkipFile()
        # Evidence larger than the log takes is not kept even for a moment (the page says why); the
        # rest of the request is read past, unstored.
        try:
            length = int(self.request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > EVIDENCE_MAX_BYTES + 1024 * 1024:
            self.request.upload_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
