from django.urls import path

from schoolgate.web.accounts import staff_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("login/set-up/", views.setup_view, name="setup"),
    path("logout/", views.logout_view, name="logout"),
    path("set-password/<str:token>/", views.link_view, name="link"),
    path("my-password/", views.my_password_view, name="my-password"),
    path("school/", views.switch_school_view, name="switch-school"),
    path("staff-logins/", staff_views.list_view, name="staff"),
    path("staff-logins/new/", staff_views.new_view, name="staff-new"),
    path("staff-logins/<int:pk>/", staff_views.detail_view, name="staff-detail"),
    path("staff-logins/<int:pk>/reset/", staff_views.reset_view, name="staff-reset"),
    path("staff-logins/<int:pk>/person/", staff_views.person_view, name="staff-person"),
]
