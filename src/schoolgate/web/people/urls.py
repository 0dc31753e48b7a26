from django.urls import path

from schoolgate.web.people import views

app_name = "people"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("add/", views.add_view, name="add"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/archive/", views.archive_view, name="archive"),
    path("<int:pk>/restore/", views.restore_view, name="restore"),
    path("<int:pk>/links/add/", views.link_add_view, name="link-add"),
    path("links/<int:pk>/edit/", views.link_edit_view, name="link-edit"),
    path("links/<int:pk>/remove/", views.link_remove_view, name="link-remove"),
    path("identities/", views.identities_view, name="identities"),
    path("identities/add/", views.identity_add_view, name="identity-add"),
    path("identities/<int:pk>/edit/", views.identity_edit_view, name="identity-edit"),
    path("identities/<int:pk>/remove/", views.identity_remove_view, name="identity-remove"),
    path("groups/", views.groups_view, name="groups"),
    path("groups/years/add/", views.year_add_view, name="year-add"),
    path("groups/years/<int:pk>/edit/", views.year_edit_view, name="year-edit"),
    path("groups/classes/add/", views.class_add_view, name="class-add"),
    path("groups/classes/<int:pk>/edit/", views.class_edit_view, name="class-edit"),
    path("import/", views.import_view, name="import"),
    path("import/<int:pk>/", views.import_preview_view, name="import-preview"),
    path("import/<int:pk>/confirm/", views.import_confirm_view, name="import-confirm"),
]
