from django.urls import path

from schoolgate.web.incidents import report_views

app_name = "reports"
urlpatterns = [
    path("governors/", report_views.governors_view, name="governors"),
    path("governors/pdf/", report_views.governors_pdf_view, name="governors-pdf"),
]
