from django.urls import include, path

urlpatterns = [
    path("", include("schoolgate.web.core.urls")),
    path("", include("schoolgate.web.accounts.urls")),
    path("people/", include("schoolgate.web.people.urls")),
    path("audit/", include("schoolgate.web.audit.urls")),
    path("policy/", include("schoolgate.web.policy.urls")),
    path("incidents/matrix/", include("schoolgate.web.sanctions.urls")),
    path("incidents/", include("schoolgate.web.incidents.urls")),
    path("reports/", include("schoolgate.web.reports.urls")),
    path("monitoring/", include("schoolgate.web.monitoring.urls")),
    path("requests/", include("schoolgate.web.filterrequests.urls")),
    path("selftest/", include("schoolgate.web.selftest.urls")),
    path("agreements/", include("schoolgate.web.agreements.urls")),
    path("consent/", include("schoolgate.web.consent.urls")),
    path("devices/", include("schoolgate.web.devices.urls")),
    path("training/", include("schoolgate.web.training.urls")),
    path("review/", include("schoolgate.web.annualreview.urls")),
    path("schools/", include("schoolgate.web.tenancy.urls")),
]
