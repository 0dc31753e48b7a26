"""The training actions: who may do what (checked inside each action), what is refused, and the
certificate rules (type by content, size, a hostile name)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.core.actions import Operator
from schoolgate.web.people.choices import PersonKind
from schoolgate.web.training import actions, certificates
from schoolgate.web.training.models import Attendance, Course, NeedsAssessment
from schoolgate.web.training.questions import QUESTIONS
from tests.web.factories import Cast, person
from tests.web.training.conftest import JPEG, PDF, PNG, course, linked, staff

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 15)
ALL_THREES = {q.key: 3 for q in QUESTIONS}


def _record(cast: Cast, user_name: str = "omar", **kwargs: Any) -> list[Attendance]:
    ann = staff(cast.a, "Ann", "Baker")
    return actions.do_record(
        course(cast.a, "Online safety"),
        [ann],
        actor=cast.users[user_name],
        on=TODAY,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("user_name", "allowed"),
    [("omar", True), ("olu", True), ("alice", True), ("hana", True), ("sami", False), ("tom", False),
     ("nina", False), ("gina", False), ("zack", False)],
)  # fmt: skip
def test_who_may_record_training(cast: Cast, user_name: str, allowed: bool) -> None:
    if allowed:
        [made] = _record(cast, user_name)
        assert made.recorded_by == cast.users[user_name]
        assert AuditEntry.objects.filter(object_id=str(made.pk), actor=cast.users[user_name]).exists()
    else:
        with pytest.raises(PermissionDenied):
            _record(cast, user_name)


def test_a_session_for_many_people_at_once(cast: Cast) -> None:
    people = [staff(cast.a, f"P{i}", "Staff") for i in range(5)]
    gov = person(cast.a, PersonKind.GOVERNOR, first_name="Gil", last_name="Hart")
    made = actions.do_record(
        course(cast.a, "Online safety"), [*people, gov, people[0]], actor=cast.olu, on=TODAY,
        provider="  SWGfL   webinar ", note="twilight session",
    )  # fmt: skip
    assert len(made) == 6  # the repeated person once
    assert {m.provider for m in made} == {"SWGfL webinar"}


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("pupil", "is not staff or a governor"),
        ("parent", "is not staff or a governor"),
        ("other-school", "Choose people of this school"),
        ("nobody", "Choose who attended"),
    ],
)
def test_who_may_be_recorded(cast: Cast, who: str, message: str) -> None:
    people = {
        "pupil": [person(cast.a, PersonKind.PUPIL)],
        "parent": [person(cast.a, PersonKind.PARENT)],
        "other-school": [staff(cast.b, "Zed", "Young")],
        "nobody": [],
    }[who]
    with pytest.raises(ValidationError, match=message):
        actions.do_record(course(cast.a, "Prevent"), people, actor=cast.olu, on=TODAY)


def test_another_schools_course_is_refused(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_record(course(cast.b, "Prevent"), [staff(cast.b, "Zed", "Y")], actor=cast.olu, on=TODAY)


def test_dates_and_lengths(cast: Cast) -> None:
    ann = staff(cast.a, "Ann", "Baker")
    online = course(cast.a, "Online safety")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"on": tomorrow}, "has not come yet"),
        ({"on": dt.date(1970, 1, 1)}, "after 1990"),
        ({"on": TODAY, "provider": "x" * 201}, "under 200"),
        ({"on": TODAY, "note": "x" * 301}, "under 300"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            actions.do_record(online, [ann], actor=cast.olu, **kwargs)
    assert not Attendance.objects.exists()


def test_an_archived_course_takes_no_records(cast: Cast) -> None:
    prevent = actions.do_archive_course(course(cast.a, "Prevent"), actor=cast.olu, reason="the trust runs it")
    with pytest.raises(ValidationError, match="archived"):
        actions.do_record(prevent, [staff(cast.a, "Ann", "Baker")], actor=cast.olu, on=TODAY)
    actions.do_restore_course(prevent, actor=cast.olu)
    assert actions.do_record(prevent, [staff(cast.a, "Ben", "Cole")], actor=cast.olu, on=TODAY)


def test_courses_are_changed_by_training_change_only(cast: Cast) -> None:
    new = Course(school=cast.a, name="  First   aid ", refresh_months=36)
    with pytest.raises(PermissionDenied):
        actions.do_save_course(new, actor=cast.sami)
    actions.do_save_course(new, actor=cast.omar)
    assert new.name == "First aid" and new.how_often == "Every 3 years"
    with pytest.raises(ValidationError, match="of that name already"):
        actions.do_save_course(Course(school=cast.a, name="FIRST AID"), actor=cast.omar)
    with pytest.raises(ValidationError, match="Between 1 and 120"):
        actions.do_save_course(Course(school=cast.a, name="Odd", refresh_months=0), actor=cast.omar)
    with pytest.raises(PermissionDenied):
        actions.do_archive_course(new, actor=cast.zack, reason="not his school")
    with pytest.raises(ValidationError, match="Say why"):
        actions.do_archive_course(new, actor=cast.omar, reason="   ")


def test_records_and_courses_are_never_deleted(cast: Cast) -> None:
    [made] = _record(cast)
    with pytest.raises(PermissionError):
        made.delete()
    with pytest.raises(PermissionError):
        Attendance.objects.all().delete()
    with pytest.raises(PermissionError):
        Course.objects.all().delete()


def test_a_record_made_by_mistake_is_archived_with_why(cast: Cast) -> None:
    [made] = _record(cast)
    with pytest.raises(PermissionDenied):
        actions.do_archive_attendance(made, actor=cast.tom, reason="wrong person")
    actions.do_archive_attendance(made, actor=cast.omar, reason="wrong person")
    made.refresh_from_db()
    assert made.is_archived and made.archive_reason == "wrong person"


# -- certificates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_a_certificate_is_kept_by_its_content(
    cast: Cast, certificates_dir: Path, content: bytes, kind: str
) -> None:
    [made] = _record(cast, certificate=io.BytesIO(content), filename="../../x")
    assert made.content_type == kind and made.size == len(content)
    assert made.original_name == "x"  # the name shown; the file is kept by its SHA-256
    stored = certificates.path(made.sha256)
    assert stored.read_bytes() == content
    assert stored.is_relative_to(certificates_dir)
    assert [p.name for p in certificates_dir.rglob("*") if p.is_file()] == [made.sha256]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"GIF89a" + b"\x00" * 20, "cert.gif", "PDF, or a photo or scan"),
        (b"<html><script>alert(1)</script>", "cert.pdf", "PDF, or a photo or scan"),  # the name lies
        (b"MZ\x90\x00" + b"\x00" * 20, "cert.png", "PDF, or a photo or scan"),
        (b"", "empty.pdf", "The file is empty"),
        (b"%PDF-" + b"0" * certificates.MAX_BYTES, "big.pdf", "larger than 5 MB"),
    ],
)
def test_a_certificate_that_is_not_allowed_leaves_nothing(
    cast: Cast, certificates_dir: Path, content: bytes, name: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _record(cast, certificate=io.BytesIO(content), filename=name)
    assert not Attendance.objects.exists()
    assert not [p for p in certificates_dir.rglob("*") if p.is_file()]


def test_a_certificate_at_exactly_5_mb_is_kept(cast: Cast) -> None:
    content = b"%PDF-" + b"0" * (certificates.MAX_BYTES - 5)
    [made] = _record(cast, certificate=io.BytesIO(content), filename="c.pdf")
    assert made.size == certificates.MAX_BYTES


def test_a_certificate_is_one_persons(cast: Cast) -> None:
    people = [staff(cast.a, "Ann", "Baker"), staff(cast.a, "Ben", "Cole")]
    with pytest.raises(ValidationError, match="one person's"):
        actions.do_record(
            course(cast.a, "Prevent"),
            people,
            actor=cast.olu,
            on=TODAY,
            certificate=io.BytesIO(PDF),
            filename="c.pdf",
        )


def test_a_certificate_added_later(cast: Cast) -> None:
    [made] = _record(cast)
    with pytest.raises(PermissionDenied):
        actions.do_add_certificate(made, actor=cast.tom, upload=io.BytesIO(PDF), filename="c.pdf")
    actions.do_add_certificate(
        made, actor=cast.omar, upload=io.BytesIO(PNG), filename="C:\\Users\\ann\\scan.png"
    )
    made.refresh_from_db()
    assert (made.content_type, made.original_name) == ("image/png", "scan.png")


@pytest.mark.parametrize(
    ("name", "shown"),
    [("../../x", "x"), ("..", "certificate"), (".htaccess", "htaccess"), ("a\x00b\nc.pdf", "abc.pdf"),
     ("C:\\a\\b.pdf", "b.pdf"), ("", "certificate"), ("é" * 300, "é" * 200)],
)  # fmt: skip
def test_shown_name(name: str, shown: str) -> None:
    assert certificates.shown_name(name) == shown


@pytest.mark.parametrize(
    ("shown", "content_type", "downloaded"),
    [("c.pdf", "application/pdf", "c.pdf"), ("C.PDF", "application/pdf", "C.PDF"),
     ("x.html", "application/pdf", "x.html.pdf"), ("x.svg", "image/png", "x.svg.png"),
     ("scan.jpeg", "image/jpeg", "scan.jpeg"), ("scan", "image/jpeg", "scan.jpg"),
     ("a" * 200, "application/pdf", "a" * 196 + ".pdf")],
)  # fmt: skip
def test_a_certificate_downloads_with_the_ending_of_its_type(
    shown: str, content_type: str, downloaded: str
) -> None:
    assert certificates.download_name(shown, content_type) == downloaded


def test_path_takes_only_a_sha256() -> None:
    with pytest.raises(ValueError):
        certificates.path("../../etc/passwd")


def test_who_may_see_a_certificate(cast: Cast) -> None:
    tom = linked(cast.tom, cast.a)
    [made] = actions.do_record(course(cast.a, "Prevent"), [tom], actor=cast.omar, on=TODAY)
    assert actions.may_see_certificate(cast.tom, made)
    assert actions.may_see_certificate(cast.sami, made)  # TRAINING_VIEW
    assert not actions.may_see_certificate(cast.nina, made)
    assert not actions.may_see_certificate(cast.greta, made)
    assert not actions.may_see_certificate(cast.zack, made)


# -- the training needs questions ----------------------------------------------------------------


def test_a_member_of_staff_answers_for_themselves_once_a_year(cast: Cast) -> None:
    tom = linked(cast.tom, cast.a)
    first = actions.do_assess(
        tom,
        actor=cast.tom,
        answers=ALL_THREES,
        wanted=["risks"],
        what_would_help=" x ",
        on=dt.date(2026, 10, 1),
    )
    again = actions.do_assess(
        tom, actor=cast.tom, answers={**ALL_THREES, "risks": 1}, wanted=["risks", "risks"],
        what_would_help="", on=dt.date(2027, 8, 31),
    )  # fmt: skip
    assert first.pk == again.pk and again.school_year == 2026 and again.answers["risks"] == 1
    assert again.wanted == ["risks"]
    next_year = actions.do_assess(tom, actor=cast.tom, answers=ALL_THREES, wanted=[], what_would_help="",
                                  on=dt.date(2027, 9, 1))  # fmt: skip
    assert next_year.school_year == 2027
    assert NeedsAssessment.objects.count() == 2


def test_nobody_answers_for_someone_else(cast: Cast) -> None:
    tom = linked(cast.tom, cast.a)
    for actor in (cast.olu, cast.hana, cast.zack):
        with pytest.raises(PermissionDenied):
            actions.do_assess(tom, actor=actor, answers=ALL_THREES, wanted=[], what_would_help="")
    # The server's operator loads answers given on paper.
    assert actions.do_assess(tom, actor=Operator("paper"), answers=ALL_THREES, wanted=[], what_would_help="")


@pytest.mark.parametrize(
    ("answers", "wanted", "text", "message"),
    [
        ({**ALL_THREES, "risks": 5}, [], "", "from 1"),
        ({**ALL_THREES, "risks": 0}, [], "", "from 1"),
        ({**ALL_THREES, "nonsense": 2}, [], "", "no question"),
        ({k: v for k, v in ALL_THREES.items() if k != "risks"}, [], "", "Answer every question"),
        (ALL_THREES, ["nonsense"], "", "Choose from the list"),
        (ALL_THREES, [], "x" * 1001, "under 1,000"),
    ],
)
def test_answers_are_checked(
    cast: Cast, answers: dict[str, int], wanted: list[str], text: str, message: str
) -> None:
    tom = linked(cast.tom, cast.a)
    with pytest.raises(ValidationError, match=message):
        actions.do_assess(tom, actor=cast.tom, answers=answers, wanted=wanted, what_would_help=text)


def test_governors_are_not_asked(cast: Cast) -> None:
    greta = linked(cast.greta, cast.a, "Greta", "Example", kind=PersonKind.GOVERNOR)
    with pytest.raises(ValidationError, match="for staff"):
        actions.do_assess(greta, actor=cast.greta, answers=ALL_THREES, wanted=[], what_would_help="")
