"""The online safety log through its pages: reporting, the workflow, the rules it keeps."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import verify
from schoolgate.web.incidents import actions
from schoolgate.web.incidents.choices import IncidentKind, IncidentType, Role, Status
from schoolgate.web.incidents.models import Event, Incident, Involvement, RecordView
from schoolgate.web.people.choices import PersonKind
from tests.web.factories import Cast
from tests.web.incidents.make import person, report, url
from tests.web.pages import logged_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _report_form(**more: str) -> dict[str, str]:
    data = {
        "kind": "pupil",
        "illegal_content": "",
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Playground",
        "what_happened": "Ben Carter pushed Amelia Hughes and filmed it on his phone.",
        "childs_words": "He said he would put it online.",
        "person_0": "Amelia Hughes (5B)",
        "role_0": "victim",
        "person_1": "Ben Carter",
        "role_1": "perpetrator",
        "person_2": "Chloe Evans",
        "role_2": "witness",
        "incident_type": "cyberbullying",
        "risk_area": "conduct",
        "misuse": "",
    }
    data.update(more)
    return data


@pytest.fixture
def pupils(cast: Cast) -> None:
    from schoolgate.web.people.models import ClassGroup

    klass = ClassGroup.objects.create(school=cast.a, name="5B")
    person(cast.a, "Amelia", "Hughes", class_group=klass)


def test_a_teacher_reports_a_concern_and_sees_what_they_wrote(cast: Cast, pupils: None) -> None:
    client = logged_in(cast.tom)
    page = client.get("/incidents/report/")
    assert page.status_code == 200 and "Amelia Hughes (5B)" in page.content.decode()
    response = client.post("/incidents/report/", _report_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    incident = Incident.objects.get()
    assert incident.status == Status.NEW and incident.reported_by == cast.tom
    parts = {(i.name, i.role, i.person_id is not None) for i in incident.involvements.all()}
    assert parts == {
        ("Amelia Hughes", Role.VICTIM, True),
        ("Ben Carter", Role.PERPETRATOR, False),
        ("Chloe Evans", Role.WITNESS, False),
        ("Tom Example", Role.REPORTER, False),
    }
    page = client.get(response["Location"]).content.decode()
    assert f"Your report: Incident {incident.reference}" in page and "He said he would put it online." in page
    assert "Move to" not in page  # the reporter does not run the workflow


@pytest.mark.parametrize(
    ("name", "problem"), [("B. Carter", "not initials"), ("Ben", "full name"), ("BC", "full name")]
)
def test_initials_and_single_names_are_refused(cast: Cast, pupils: None, name: str, problem: str) -> None:
    client = logged_in(cast.tom)
    response = client.post("/incidents/report/", _report_form(person_1=name))
    assert response.status_code == 200 and problem in response.content.decode()
    assert not Incident.objects.exists()


def test_the_dsl_runs_the_workflow_and_closing_needs_its_reasons(cast: Cast, pupils: None) -> None:
    incident = report(cast.a, cast.tom)
    dsl = logged_in(cast.alice)
    page = dsl.get(f"/incidents/{incident.reference}/").content.decode()
    assert "Move to triaged" in page
    for to in ("triaged", "investigating", "actions"):
        assert dsl.post(f"/incidents/{incident.reference}/move/", {"to": to}).status_code == 302
    assert dsl.post(url(incident, "move"), {"to": "new"}).status_code == 302  # refused, said
    incident.refresh_from_db()
    assert incident.status == Status.ACTIONS
    response = dsl.post(
        f"/incidents/{incident.reference}/close/", {"outcome": "resolved", "reasons": "Talked to both."}
    )
    text = response.content.decode()
    assert response.status_code == 200 and "say why not" in text and "parents or carers" in text
    dsl.post(
        f"/incidents/{incident.reference}/parents/",
        {"form": "told", "told-name": "Sarah Hughes", "told-method": "phone",
         "told-told_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "told-notes": "Told."},
    )  # fmt: skip
    response = dsl.post(
        f"/incidents/{incident.reference}/close/",
        {"outcome": "resolved", "reasons": "Talked to both.", "not_referred_reason": "Below the threshold."},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED and incident.not_referred_reason == "Below the threshold."
    assert dsl.post(url(incident, "reopen"), {"reason": "New messages"}).status_code == 302
    assert dsl.post(url(incident, "archive"), {"reason": "Duplicate of 2"}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.ARCHIVED
    kinds = list(Event.objects.filter(incident=incident).values_list("kind", flat=True))
    assert "reported" in kinds and "closed" in kinds and "reopened" in kinds and kinds[-1] == "archived"
    with pytest.raises(PermissionError):
        incident.delete()


def test_misuse_needs_two_senior_staff_to_close(cast: Cast) -> None:
    incident = report(cast.a, cast.tom, incident_type=IncidentType.MISUSE)
    actions.do_move(incident, actor=cast.alice, to=Status.TRIAGED)
    actions.do_parents_not_told(incident, actor=cast.alice, reason="Pupil is 17 and asked us not to")
    with pytest.raises(ValidationError) as refused:
        actions.do_close(
            incident, actor=cast.alice, outcome="resolved", reasons="Done", not_referred_reason="Minor"
        )
    assert "two senior" in str(refused.value)
    change = actions.Classification(
        kind=incident.kind, risk_area=incident.risk_area, incident_type=incident.incident_type, misuse=None,
        restricted=False, concerns_headteacher=False, illegal_content="", senior_first=cast.alice,
        senior_second=cast.tom,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="no senior role"):
        actions.do_classify(incident, actor=cast.alice, classification=change)
    from dataclasses import replace

    actions.do_classify(incident, actor=cast.alice, classification=replace(change, senior_second=cast.hana))
    actions.do_close(
        incident, actor=cast.alice, outcome="resolved", reasons="Done", not_referred_reason="Minor"
    )


def test_a_role_belongs_to_one_person(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    other = person(cast.a, "Ben", "Carter")
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.PERPETRATOR, person=other))
    roles = dict(Involvement.objects.filter(incident=incident).values_list("name", "role"))
    assert roles["Amelia Hughes"] == Role.VICTIM and roles["Ben Carter"] == Role.PERPETRATOR


def test_evidence_is_kept_by_its_sha256_and_checked(cast: Cast, settings: object) -> None:
    import hashlib

    incident = report(cast.a, cast.tom)
    dsl = logged_in(cast.alice)
    upload = io.BytesIO(PNG)
    upload.name = "screenshot.png"
    response = dsl.post(f"/incidents/{incident.reference}/evidence/add/", {"kind": "file", "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = incident.evidence.get()
    assert evidence.sha256 == hashlib.sha256(PNG).hexdigest() and evidence.content_type == "image/png"
    assert actions.evidence_path(evidence.sha256).read_bytes() == PNG
    download = dsl.get(f"/incidents/evidence/{evidence.pk}/file/")
    assert b"".join(download.streaming_content) == PNG  # type: ignore[attr-defined]
    assert RecordView.objects.filter(incident=incident, what__startswith="evidence file").exists()
    exe = io.BytesIO(b"MZ\x90\x00" + b"\xff" * 100)
    exe.name = "game.exe"
    response = dsl.post(f"/incidents/{incident.reference}/evidence/add/", {"kind": "file", "file": exe})
    assert response.status_code == 200 and "PNG, JPEG" in response.content.decode()
    api = dsl.post(
        f"/incidents/api/{incident.reference}/evidence/", {"kind": "url", "url": "https://example.org/post/1"}
    )
    assert api.status_code == 201 and api.json()["kind"] == "url"
    assert logged_in(cast.tom).get(f"/incidents/evidence/{evidence.pk}/file/").status_code == 403
    assert logged_in(cast.olu).get(f"/incidents/evidence/{evidence.pk}/file/").status_code == 200


def test_the_illegal_content_route_keeps_nothing(cast: Cast) -> None:
    from django.conf import settings

    from schoolgate.web.incidents.models import Evidence, IllegalContentRouteError

    incident = report(cast.a, cast.tom, illegal_content="csam")
    assert incident.restricted
    dsl = logged_in(cast.alice)
    page = dsl.get(f"/incidents/{incident.reference}/").content.decode()
    assert "may involve illegal content" in page and "Add evidence" not in page
    upload = io.BytesIO(PNG)
    upload.name = "image.png"
    form = dsl.post(f"/incidents/{incident.reference}/evidence/add/", {"kind": "file", "file": upload})
    assert form.status_code == 403 and "nothing you sent was kept" in form.content.decode()
    upload.seek(0)
    api = dsl.post(f"/incidents/api/{incident.reference}/evidence/", {"kind": "file", "file": upload})
    assert api.status_code == 403 and api.json()["error"] == "illegal-content-route"
    url = dsl.post(
        f"/incidents/api/{incident.reference}/evidence/", {"kind": "url", "url": "https://bad.example/"}
    )
    assert url.status_code == 403
    with pytest.raises(IllegalContentRouteError):
        actions.do_add_evidence(incident, actor=cast.alice, kind="description", description="what it showed")
    with pytest.raises(IllegalContentRouteError):
        Evidence.objects.create(
            school=cast.a, incident=incident, kind="url", url="https://x.example/", added_by=cast.alice
        )
    assert not Evidence.objects.exists()
    evidence_dir = settings.EVIDENCE_DIR
    assert not evidence_dir.exists() or not any(p.is_file() for p in evidence_dir.rglob("*"))
    # The steps: the reporter isolates the device; the DSL refers.
    assert (
        logged_in(cast.tom)
        .post(f"/incidents/{incident.reference}/illegal-steps/", {"step": "isolated"})
        .status_code
        == 302
    )
    assert incident.illegal_steps.get().done_by == cast.tom


def test_a_file_kept_before_the_incident_turned_out_illegal_goes(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    upload = io.BytesIO(PNG)
    evidence = actions.do_add_evidence(
        incident, actor=cast.alice, kind="file", upload=upload, filename="a.png"
    )
    path = actions.evidence_path(evidence.sha256)
    assert path.exists()
    change = actions.Classification(
        kind=incident.kind, risk_area=incident.risk_area, incident_type=incident.incident_type, misuse=None,
        restricted=False, concerns_headteacher=False, illegal_content="csam", senior_first=None,
        senior_second=None,
    )  # fmt: skip
    actions.do_classify(incident, actor=cast.alice, classification=change, reason="It showed a child")
    assert not path.exists()
    incident.refresh_from_db()
    assert incident.restricted


def test_overdue_referrals_are_flagged(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    actions.do_refer(
        incident,
        actor=cast.alice,
        agency="social-care",
        reference="MASH-2291",
        due_on=timezone.localdate() - dt.timedelta(days=1),
    )
    dsl = logged_in(cast.alice)
    listing = dsl.get("/incidents/?show=overdue").content.decode()
    assert f"/incidents/{incident.reference}/" in listing and "Referral overdue" in listing
    assert "Overdue" in dsl.get(f"/incidents/{incident.reference}/").content.decode()


def test_every_look_is_logged_and_the_dsl_sees_who(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    logged_in(cast.dara).get(f"/incidents/{incident.reference}/")
    page = logged_in(cast.alice).get(f"/incidents/{incident.reference}/looked/").content.decode()
    assert "Dara Example" in page
    assert (
        RecordView.objects.filter(incident=incident).count() == 1
    )  # alice's look at "who looked" is not one


def test_the_audit_trail_has_every_change_and_none_of_the_words(cast: Cast) -> None:
    incident = report(cast.a, cast.tom)
    actions.do_move(incident, actor=cast.alice, to=Status.TRIAGED, note="Spoke to the class teacher")
    actions.do_note(
        incident, actor=cast.alice, text="Spoke to Amelia's mother about the messages", decision=False
    )
    actions.do_parents_not_told(incident, actor=cast.alice, reason="Her father is the one sending them")
    actions.do_add_person(incident, actor=cast.alice, party=actions.Party(Role.WITNESS, name="Grace Okonkwo"))
    actions.do_close(
        incident,
        actor=cast.alice,
        outcome="resolved",
        reasons="Phones confiscated",
        not_referred_reason="Low",
    )
    actions.do_reopen(incident, actor=cast.alice, reason="More messages on Saturday")
    actions.do_archive(incident, actor=cast.alice, reason="Entered twice by mistake")
    entries = AuditEntry.objects.filter(object_type__startswith="incidents.")
    types = set(entries.values_list("object_type", flat=True))
    assert {"incidents.incident", "incidents.involvement", "incidents.event"} <= types
    dumped = str(list(entries.values_list("before", "after", "object_repr", "reason")))
    for words in (
        "Messages calling her names", "I don't want to come in", "Amelia Hughes", "Amelia's mother",
        "class teacher", "Her father", "Grace Okonkwo", "Phones confiscated", "Saturday", "Entered twice",
    ):  # fmt: skip
        assert words not in dumped, words
    assert "sha256:" in dumped
    assert verify().ok


def test_pupil_kinds_in_the_records(cast: Cast) -> None:
    assert person(cast.a, "Robert", "Patel", PersonKind.STAFF).kind == PersonKind.STAFF


def test_the_audit_trail_page_does_not_tell_of_incidents(cast: Cast) -> None:
    incident = report(cast.a, cast.tom, kind=IncidentKind.STAFF)
    page = logged_in(cast.alice).get("/audit/").content.decode()
    assert incident.reference not in page and "incidents.incident" not in page
    assert AuditEntry.objects.filter(object_type="incidents.incident").exists()


def test_the_same_person_twice_in_one_part_is_said_not_a_crash(cast: Cast, pupils: None) -> None:
    client = logged_in(cast.tom)
    response = client.post("/incidents/report/", _report_form(person_1="Amelia Hughes (5B)", role_1="victim"))
    assert response.status_code == 200 and "named twice" in response.content.decode()
    amelia = person(cast.a, "Amelia", "Hughes")
    with pytest.raises(ValidationError, match="named twice"):
        actions.do_report(
            cast.a, actor=cast.tom,
            report=actions.Report(
                kind=IncidentKind.PUPIL, risk_area="conduct", incident_type="other",
                occurred_at=timezone.now(), location="Hall", what_happened="Something",
                people=(actions.Party(Role.VICTIM, person=amelia), actions.Party(Role.VICTIM, person=amelia)),
            ),
        )  # fmt: skip
    assert not Incident.objects.exists()


def test_many_records_at_once_are_not_deleted_either(cast: Cast) -> None:
    report(cast.a, cast.tom)
    for queryset in (Incident.objects.all(), Involvement.objects.all(), Event.objects.all()):
        with pytest.raises(PermissionError):
            queryset.delete()


def test_the_upload_handler_drops_the_file_of_an_illegal_incident_unread(cast: Cast) -> None:
    from django.test import RequestFactory

    illegal = report(cast.a, cast.tom, illegal_content="csam")
    ordinary = report(cast.a, cast.tom)
    for incident, kept in ((illegal, False), (ordinary, True)):
        for address in (
            f"/incidents/{incident.reference}/evidence/add/",
            f"/incidents/api/{incident.reference}/evidence/",
        ):
            upload = io.BytesIO(PNG)
            upload.name = "image.png"
            request = RequestFactory().post(address, {"kind": "file", "file": upload})
            assert ("file" in request.FILES) is kept, address
            assert request.POST["kind"] == "file"  # the rest of the form is read as usual


def test_evidence_too_large_is_not_read(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    from schoolgate.web.incidents import uploads

    monkeypatch.setattr(uploads, "EVIDENCE_MAX_BYTES", 1000)
    incident = report(cast.a, cast.tom)
    big = io.BytesIO(PNG + b"\x00" * 2_000_000)
    big.name = "big.png"
    response = logged_in(cast.alice).post(
        f"/incidents/{incident.reference}/evidence/add/", {"kind": "file", "file": big}
    )
    assert response.status_code == 200 and "larger than" in response.content.decode()
    assert not incident.evidence.exists()


def test_times_are_read_in_the_schools_time_zone(cast: Cast, pupils: None) -> None:
    from zoneinfo import ZoneInfo

    cast.a.timezone = "Asia/Tokyo"
    cast.a.save()
    response = logged_in(cast.tom).post("/incidents/report/", _report_form(occurred_at="2026-01-05T09:00"))
    assert response.status_code == 302
    assert Incident.objects.get().occurred_at == dt.datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
