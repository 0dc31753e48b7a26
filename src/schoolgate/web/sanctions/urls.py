"""The matrix's pages, at the addresses they had in the online safety log (/incidents/matrix/...)."""

from django.urls import path

from schoolgate.web.sanctions import views

app_name = "sanctions"
urlpatterns = [
    path("", views.matrix_view, name="matrix"),
    path("<str:applies_to>/edit/", views.matrix_edit_view, name="edit"),
]
