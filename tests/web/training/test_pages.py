"""The training pages, each once, worked as their users work them: the matrix and its filters, the
courses, recording a session and a certificate, a person's training, the certificate file and who may
have it, your own training, and the training needs questions with their summary."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from schoolgate.web.people.choices import PersonKind
from schoolgate.web.training import actions
from schoolgate.web.training.models import Attendance, Course, NeedsAssessment
from schoolgate.web.training.questions import QUESTIONS
from tests.web.factories import Cast, person
from tests.web.pages import logged_in, text
from tests.web.training.conftest import PDF, PNG, attended, course, linked, staff

pytestmark = pytest.mark.django_db


def test_the_matrix_shows_who_is_due_and_filters(cast: Cast) -> None:
    today = timezone.localdate()
    ann = staff(cast.a, "Ann", "Baker", team="Teaching")
    staff(cast.a, "Ben", "Cole", team="Office")
    person(cast.a, PersonKind.GOVERNOR, first_name="Gil", last_name="Hart")
    staff(cast.b, "Zed", "Young", team="Teaching")
    staff(cast.a, "<img src=x onerror=alert(1)>", "Evil", team="Support")  # the rows are made in Python
    attended(ann, course(cast.a, "Online safety"), today - dt.timedelta(days=400))
    attended(ann, course(cast.a, "Prevent"), today - dt.timedelta(days=10))
    client = logged_in(cast.omar)
    response = client.get(reverse("training:matrix"))
    assert b"<img" not in response.content and b"&lt;img src=x" in response.content
    page = text(response)
    assert "Baker, Ann" in page and "Cole, Ben" in page and "Hart, Gil" in page and "Young" not in page
    assert "Overdue since" in page and "In date until" in page and "Never done" in page
    teaching = text(client.get(reverse("training:matrix") + "?team=Teaching"))
    assert "Baker, Ann" in teaching and "Cole, Ben" not in teaching and "Hart, Gil" not in teaching
    online = course(cast.a, "Online safety")
    one = client.get(reverse("training:matrix") + f"?course={online.pk}")
    assert [c.name for c in one.context["matrix"].courses] == ["Online safety"]
    total = one.context["matrix"].totals[0]
    assert (total.people, total.in_date, total.overdue, total.never) == (3, 0, 1, 2)
    # A course of another school, or nonsense, is no filter.
    other = course(cast.b, "Prevent")
    assert (
        len(
            client.get(reverse("training:matrix") + f"?course={other.pk}&team=x' OR 1")
            .context["matrix"]
            .courses
        )
        == 5
    )


def test_courses_are_added_changed_archived_and_restored(cast: Cast) -> None:
    client = logged_in(cast.olu)
    assert "Annual safeguarding update" in text(client.get(reverse("training:courses")))
    response = client.post(
        reverse("training:course-add"),
        {"name": "First aid", "kind": "other", "for_whom": "both", "refresh_months": "36", "description": ""},
    )
    assert response.status_code == 302
    aid = Course.objects.get(school=cast.a, name="First aid")
    assert aid.for_whom == "both" and aid.refresh_months == 36
    response = client.post(
        reverse("training:course", args=[aid.pk]),
        {"name": "First aid", "kind": "other", "for_whom": "staff", "refresh_months": "", "description": "x"},
    )
    aid.refresh_from_db()
    assert response.status_code == 302 and aid.refresh_months is None and aid.how_often == "Once"
    refused = client.post(
        reverse("training:course-add"), {"name": "first AID", "kind": "other", "for_whom": "staff"}
    )
    assert "There is a course of that name already" in text(refused)
    assert "Say why" in text(client.post(reverse("training:course-archive", args=[aid.pk]), {"reason": " "}))
    client.post(reverse("training:course-archive", args=[aid.pk]), {"reason": "The trust runs it"})
    aid.refresh_from_db()
    assert aid.is_archived
    page = text(client.get(reverse("training:courses")))
    assert "The trust runs it" in page
    client.post(reverse("training:course-restore", args=[aid.pk]))
    aid.refresh_from_db()
    assert not aid.is_archived
    # A reader of the records sees the courses and changes nothing.
    sami = logged_in(cast.sami)
    assert "Add a course" not in text(sami.get(reverse("training:courses")))
    assert sami.post(reverse("training:course-restore", args=[aid.pk])).status_code == 403


def test_recording_a_session_and_a_certificate(cast: Cast) -> None:
    ann, ben = staff(cast.a, "Ann", "Baker"), staff(cast.a, "Ben", "Cole")
    zed = staff(cast.b, "Zed", "Young")
    online = course(cast.a, "Online safety")
    client = logged_in(cast.omar)
    staff(cast.a, "<b>Bold</b>", "O'Hara & Co", team="Support")
    form = client.get(reverse("training:record") + f"?person={ann.pk}&course={online.pk}")
    assert "Young" not in text(form)
    # The boxes are drawn in one pass: the chosen one ticked, each labelled, the names escaped.
    page = form.content.decode()
    ticked = re.search(
        rf'name="people" value="{ann.pk}" id="(id_people_\d+)" checked> <label for="(\w+)">', page
    )
    assert ticked is not None and ticked[1] == ticked[2]
    assert re.search(rf'value="{ben.pk}" id="id_people_\d+"> <label', page) and "Cole, Ben (Teaching)" in page
    assert "O&#x27;Hara &amp; Co, &lt;b&gt;Bold&lt;/b&gt; (Support)" in page and "<b>Bold</b>" not in page
    response = client.post(
        reverse("training:record"),
        {"course": online.pk, "attended_on": "2026-10-05", "provider": "SWGfL", "people": [ann.pk, ben.pk]},
    )
    assert response.status_code == 302
    assert Attendance.objects.filter(course=online, attended_on=dt.date(2026, 10, 5)).count() == 2
    # Another school's person is not a choice; a file that is not a certificate is refused on the form.
    response = client.post(
        reverse("training:record"),
        {"course": online.pk, "attended_on": "05/10/2026", "people": [zed.pk]},
    )
    assert "Select a valid choice" in text(response)
    response = client.post(
        reverse("training:record"),
        {"course": online.pk, "attended_on": "2026-10-06", "people": [ann.pk],
         "certificate": SimpleUploadedFile("../../x.pdf", b"<script>alert(1)</script>", "application/pdf")},
    )  # fmt: skip
    assert "Keep a certificate as a PDF, or a photo or scan" in text(response)
    response = client.post(
        reverse("training:record"),
        {"course": online.pk, "attended_on": "2026-10-06", "people": [ann.pk],
         "certificate": SimpleUploadedFile("../../x.pdf", PDF, "text/html")},
    )  # fmt: skip
    assert response.status_code == 302
    kept = Attendance.objects.get(person=ann, attended_on=dt.date(2026, 10, 6))
    assert (kept.content_type, kept.original_name) == ("application/pdf", "x.pdf")


def test_a_person_a_record_and_its_certificate(cast: Cast) -> None:
    tom = linked(cast.tom, cast.a, team="Teaching")
    [record] = actions.do_record(
        course(cast.a, "Prevent"), [tom], actor=cast.omar, on=dt.date(2026, 9, 3),
        certificate=io.BytesIO(PDF), filename="prevent.pdf",
    )  # fmt: skip
    other = attended(staff(cast.a, "Ann", "Baker"), course(cast.a, "Prevent"), dt.date(2026, 9, 3))
    omar = logged_in(cast.omar)
    page = text(omar.get(reverse("training:person", args=[tom.pk])))
    assert "Training: Tom Example" in page and "Prevent" in page and "Download" in page
    page = text(omar.get(reverse("training:attendance", args=[record.pk])))
    assert "prevent.pdf" in page and "Replace the certificate" in page
    # The people page links to it for those who see everyone's training.
    assert "Tom Example's training" in text(
        logged_in(cast.alice).get(reverse("people:detail", args=[tom.pk]))
    )

    response = omar.get(reverse("training:certificate", args=[record.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="prevent.pdf"' in response["Content-Disposition"]
    tom_client = logged_in(cast.tom)
    assert tom_client.get(reverse("training:certificate", args=[record.pk])).status_code == 200
    assert tom_client.get(reverse("training:certificate", args=[other.pk])).status_code == 404
    assert tom_client.get(reverse("training:attendance", args=[record.pk])).status_code == 403
    # Anyone else at the school is told it is not there; a login with no role here is refused.
    assert logged_in(cast.nina).get(reverse("training:certificate", args=[record.pk])).status_code == 404
    assert logged_in(cast.nora).get(reverse("training:certificate", args=[record.pk])).status_code == 403

    response = omar.post(
        reverse("training:attendance-certificate", args=[other.pk]),
        {"certificate": SimpleUploadedFile("scan.html", PNG, "text/html")},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.content_type == "image/png"
    # Saved under the name it came with, it would open as a page: its ending follows its content.
    download = omar.get(reverse("training:certificate", args=[other.pk]))
    assert 'filename="scan.html.png"' in download["Content-Disposition"]
    omar.post(reverse("training:attendance-archive", args=[other.pk]), {"reason": "Wrong person"})
    other.refresh_from_db()
    assert other.is_archived


def test_my_training_and_the_needs_questions(cast: Cast) -> None:
    tom_client = logged_in(cast.tom)
    assert "not linked to a person record" in text(tom_client.get(reverse("training:mine")))
    assert "not linked to a person record" in text(tom_client.get(reverse("training:needs")))
    tom = linked(cast.tom, cast.a, team="Teaching")
    attended(tom, course(cast.a, "Online safety"), timezone.localdate() - dt.timedelta(days=30))
    page = text(tom_client.get(reverse("training:mine")))
    assert "Online safety" in page and "In date until" in page and "Never done" in page
    assert "Answer the questions" in page
    incomplete = tom_client.post(reverse("training:needs"), {"q_risks": "2"})
    assert "Choose how confident you are" in text(incomplete)
    answers = {f"q_{q.key}": "3" for q in QUESTIONS} | {"q_risks": "1", "wanted": ["risks", "devices"]}
    response = tom_client.post(reverse("training:needs"), answers | {"what_would_help": "A session on apps"})
    assert response.status_code == 302
    record = NeedsAssessment.objects.get(person=tom)
    assert record.answers["risks"] == 1 and record.wanted == ["devices", "risks"]
    assert "Change my answers" in text(tom_client.get(reverse("training:mine")))

    staff(cast.a, "Ann", "Baker")  # has not answered
    summary = text(logged_in(cast.olu).get(reverse("training:needs-summary")))
    assert "1 answered; 1 still to answer" in summary
    assert "Contact, grooming and bullying: 1 person" in summary
    assert "A session on apps" in summary and "Ann Baker" in summary
    # Governors are not asked.
    linked(cast.greta, cast.a, "Greta", "Example", kind=PersonKind.GOVERNOR)
    assert "These questions are for staff" in text(logged_in(cast.greta).get(reverse("training:needs")))
