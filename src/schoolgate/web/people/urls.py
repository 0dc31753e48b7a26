from django.urls import path

from schoolgate.web.people import views

app_name = "people"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("<int:pk>/", views.detail_view, name="detail"),
]
