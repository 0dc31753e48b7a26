"""The activity part's pages, under /monitoring/ (the namespace comes from `monitoring.urls`)."""

from __future__ import annotations

from django.urls import path

from schoolgate.web.monitoring import views_activity as views

urlpatterns = [
    path("activity/", views.activity_view, name="activity"),
    path("activity/visits/", views.visits_view, name="activity-visits"),
    path("activity/export/", views.export_view, name="activity-export"),
    path("activity/person/<int:pk>/", views.timeline_view, name="timeline"),
    path("reviews/", views.reviews_view, name="reviews"),
    path("reviews/<int:pk>/", views.review_view, name="review"),
    path("phrases/", views.phrases_view, name="phrases"),
    path("phrases/phrase/<path:text>/", views.phrase_view, name="phrase"),
    path("check/", views.check_view, name="check"),
]
