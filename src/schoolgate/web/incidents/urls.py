from django.urls import path

from schoolgate.web.incidents import api, chronology_views, matrix_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("report/", views.report_view, name="report"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/add-information/", views.add_information_view, name="add-information"),
    path("<int:pk>/move/", views.move_view, name="move"),
    path("<int:pk>/details/", views.classify_view, name="classify"),
    path("<int:pk>/people/add/", views.person_add_view, name="person-add"),
    path("<int:pk>/note/", views.note_view, name="note"),
    path("<int:pk>/actions/add/", views.action_add_view, name="action-add"),
    path("<int:pk>/illegal-steps/", views.illegal_step_view, name="illegal-step"),
    path("<int:pk>/evidence/add/", views.evidence_add_view, name="evidence-add"),
    path("evidence/<int:pk>/file/", views.evidence_file_view, name="evidence-file"),
    path("<int:pk>/referrals/add/", views.referral_add_view, name="referral-add"),
    path("referrals/<int:pk>/answer/", views.referral_answer_view, name="referral-answer"),
    path("<int:pk>/parents/", views.parents_view, name="parents"),
    path("<int:pk>/close/", views.close_view, name="close"),
    path("<int:pk>/reopen/", views.reopen_view, name="reopen"),
    path("<int:pk>/archive/", views.archive_view, name="archive"),
    path("<int:pk>/looked/", views.looked_view, name="looked"),
    path("people/<int:pk>/chronology/", chronology_views.chronology_view, name="chronology"),
    path("matrix/", matrix_views.matrix_view, name="matrix"),
    path("matrix/<str:applies_to>/edit/", matrix_views.matrix_edit_view, name="matrix-edit"),
    path("api/<int:pk>/evidence/", api.evidence_api, name="api-evidence"),
]
