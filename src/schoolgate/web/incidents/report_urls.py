# Being written (helper A).
from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "reports"


def _todo(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


urlpatterns = [path("governors/", _todo, name="governors")]
