from django.urls import path, register_converter

from schoolgate.web.incidents import api, chronology_views, views
from schoolgate.web.incidents.models import REFERENCE_PATTERN


class ReferenceConverter:
    """An incident's reference ("K7Q3-M2XP"): its addresses name it by that, not by a number that
    would tell how many incidents there are."""

    regex = REFERENCE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

app_name = "incidents"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("report/", views.report_view, name="report"),
    path("<ref:ref>/", views.detail_view, name="detail"),
    path("<ref:ref>/add-information/", views.add_information_view, name="add-information"),
    path("<ref:ref>/move/", views.move_view, name="move"),
    path("<ref:ref>/details/", views.classify_view, name="classify"),
    path("<ref:ref>/people/add/", views.person_add_view, name="person-add"),
    path("<ref:ref>/note/", views.note_view, name="note"),
    path("<ref:ref>/actions/add/", views.action_add_view, name="action-add"),
    path("<ref:ref>/illegal-steps/", views.illegal_step_view, name="illegal-step"),
    path("<ref:ref>/evidence/add/", views.evidence_add_view, name="evidence-add"),
    path("evidence/<int:pk>/file/", views.evidence_file_view, name="evidence-file"),
    path("<ref:ref>/referrals/add/", views.referral_add_view, name="referral-add"),
    path("referrals/<int:pk>/answer/", views.referral_answer_view, name="referral-answer"),
    path("<ref:ref>/parents/", views.parents_view, name="parents"),
    path("<ref:ref>/close/", views.close_view, name="close"),
    path("<ref:ref>/reopen/", views.reopen_view, name="reopen"),
    path("<ref:ref>/archive/", views.archive_view, name="archive"),
    path("<ref:ref>/looked/", views.looked_view, name="looked"),
    path("people/<int:pk>/chronology/", chronology_views.chronology_view, name="chronology"),
    path("api/<ref:ref>/evidence/", api.evidence_api, name="api-evidence"),
]
