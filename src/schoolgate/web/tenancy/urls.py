from django.urls import path

from schoolgate.web.tenancy import views

app_name = "tenancy"
urlpatterns = [
    path("add/", views.add_school_view, name="add-school"),
]
