from django.urls import path

from schoolgate.web.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("login/set-up/", views.setup_view, name="setup"),
    path("logout/", views.logout_view, name="logout"),
    path("school/", views.switch_school_view, name="switch-school"),
]
