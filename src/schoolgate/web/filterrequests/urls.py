# TEMPORARY stand-in while the requests part is written: replaced by its owner.
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

app_name = "filterrequests"


def _missing(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("", _missing, name="list"),
    path("new/", _missing, name="new"),
    path("settings/", _missing, name="settings"),
    path("<int:number>/", _missing, name="request"),
]
