"""An upload handler that drops, unread, any file sent for an incident on the illegal-content route.

Django reads a form's files before any view runs (the CSRF check reads the form), into memory or a
temporary file. This handler comes first, sees each file's start, and skips it when the address is
one of the log's evidence addresses and the incident may involve illegal content: not a byte of it is
kept, even for a moment. The view then refuses the request as well.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.urls import Resolver404, resolve

from schoolgate.web.incidents.models import Incident

EVIDENCE_URLS = frozenset({"incidents:evidence-add", "incidents:api-evidence"})


class IllegalRouteUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.request is None:
            return
        try:
            match = resolve(self.request.path_info)
        except Resolver404:
            return
        if match.view_name not in EVIDENCE_URLS:
            return
        pk = match.kwargs.get("pk")
        if isinstance(pk, int) and Incident.objects.filter(pk=pk).exclude(illegal_content="").exists():
            raise SkipFile()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
