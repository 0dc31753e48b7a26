from django.urls import path

from schoolgate.web.reports import views

app_name = "reports"
urlpatterns = [
    path("governors/", views.governors_view, name="governors"),
    path("governors/pdf/", views.governors_pdf_view, name="governors-pdf"),
]
