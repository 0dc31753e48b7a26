# TEMPORARY stand-in while the self-test part is written: replaced by its owner.
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

app_name = "selftest"


def _missing(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [path("", _missing, name="runs")]
