from django.urls import path

from schoolgate.web.reports import views

app_name = "reports"
urlpatterns = [
    path("governors/", views.governors_view, name="governors"),
    path("governors/pdf/", views.governors_pdf_view, name="governors-pdf"),
    path("terms/", views.terms_view, name="terms"),
    path("terms/<int:pk>/", views.term_view, name="term"),
    path("changelog/", views.changelog_view, name="changelog"),
]
