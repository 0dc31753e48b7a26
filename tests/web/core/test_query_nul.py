"""NUL characters are taken out of an address's query before any page reads it (PostgreSQL refuses
them in text; a search or filter read straight from `request.GET` must not fail on one)."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse, QueryDict

from schoolgate.web.core.security import RequestSizeMiddleware

pytestmark = pytest.mark.django_db


def test_nul_is_taken_out_of_every_key_and_value() -> None:
    seen: dict[str, list[str]] = {}

    def page(request: HttpRequest) -> HttpResponse:
        seen.update({k: v for k, v in request.GET.lists()})
        return HttpResponse("ok")

    request = HttpRequest()
    request.method = "GET"
    request.META["QUERY_STRING"] = "q=a%00b&te%00am=x%00&q=%00%00"
    request.GET = QueryDict(request.META["QUERY_STRING"])
    assert RequestSizeMiddleware(page)(request).status_code == 200
    assert seen == {"q": ["ab", ""], "team": ["x"]}
    assert not request.GET._mutable
