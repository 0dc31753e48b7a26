"""Importing from the MIS: upload, check (what would change, and every problem by row and column),
confirm; all of it or nothing; people matched by their MIS ID; everything in the audit trail."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.db import DatabaseError
from django.utils import timezone

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.audit.trail import verify
from schoolgate.web.people import actions, importing
from schoolgate.web.people.choices import ImportStatus, KeyStage, PersonKind, Relationship
from schoolgate.web.people.models import ClassGroup, GuardianLink, ImportBatch, ImportFile, Person, YearGroup
from tests.web.factories import DATA, Cast, group, person, year
from tests.web.pages import logged_in, text, upload

CONFIRM = "Confirm and import"


def _batch() -> ImportBatch:
    return ImportBatch.objects.order_by("-pk").first()  # type: ignore[return-value]


def _check_and_import(client: Any, **files: Any) -> ImportBatch:
    response = upload(client, **files)
    assert response.status_code == 302, text(response)
    batch = _batch()
    assert response["Location"] == f"/people/import/{batch.pk}/"
    page = text(client.get(response["Location"]))
    assert CONFIRM in page, page
    response = client.post(f"/people/import/{batch.pk}/confirm/")
    assert response.status_code == 302, text(response)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    return batch


def test_a_sims_pupils_export_is_checked_first_and_imported_only_when_confirmed(cast: Cast) -> None:
    client = logged_in(cast.nina)
    response = upload(client, pupils="sims_pupils.csv")
    page = text(client.get(response["Location"]))
    assert "6 rows of pupils (SIMS-style export)." in page
    assert "6 new pupils" in page and "Columns not read: Adno, Gender." in page
    assert (
        "New year group: Year 5 (Key Stage 2)" in page
        and "New year group: Reception (Early years (EYFS))" in page
    )
    assert "New class: 5B in Year 5" in page and "New class: RB in Reception" in page
    assert "Kowalski, Zoë" in page  # read as Windows-1252, as SIMS writes it
    assert CONFIRM in page
    assert not Person.objects.exists() and not YearGroup.objects.exists()  # nothing yet

    response = client.post(f"/people/import/{_batch().pk}/confirm/", follow=True)
    assert "Imported: 6 pupils added, 4 year groups, 4 classes." in text(response)
    pupils = {p.mis_id: p for p in Person.objects.filter(school=cast.a, kind=PersonKind.PUPIL)}
    assert len(pupils) == 6
    amelia, emeka, zoe, olly = (pupils[f"H80120000100{n}"] for n in (1, 2, 3, 4))
    assert (amelia.first_name, amelia.last_name, amelia.date_of_birth) == (
        "Amelia",
        "Hughes",
        dt.date(2016, 3, 14),
    )
    assert (emeka.first_name, emeka.preferred_name) == ("Chukwuemeka", "Emeka")
    assert zoe.first_name == "Zoë"
    assert olly.date_of_birth == dt.date(2021, 1, 9)  # 9/1/2021, as Excel writes it back: 9 January
    assert (str(amelia.year_group), str(amelia.class_group)) == ("Year 5", "5B")
    stages = dict(YearGroup.objects.filter(school=cast.a).values_list("name", "key_stage"))
    assert stages == {
        "Reception": KeyStage.EYFS,
        "Year 2": KeyStage.KS1,
        "Year 5": KeyStage.KS2,
        "Year 6": KeyStage.KS2,
    }
    assert ClassGroup.objects.get(school=cast.a, name="RB").year_group == olly.year_group
    batch = _batch()
    assert batch.status == ImportStatus.IMPORTED and batch.uploaded_by == cast.nina
    assert [f.content for f in batch.files.all()] == [""]  # the personal data is not kept once imported
    assert (
        batch.files.get().sha256
        == __import__("hashlib").sha256((DATA / "sims_pupils.csv").read_bytes()).hexdigest()
    )


def test_an_arbor_pupils_export_is_imported_with_its_own_column_names_and_dates(cast: Cast) -> None:
    client = logged_in(cast.alice)
    response = upload(client, pupils="arbor_pupils.csv")
    page = text(client.get(response["Location"]))
    assert "4 rows of pupils (Arbor-style export)." in page
    assert "Columns not read: Arbor ID, Gender, Ethnicity." in page
    assert client.post(f"/people/import/{_batch().pk}/confirm/").status_code == 302
    tom = Person.objects.get(mis_id="K330400010020")
    assert (tom.first_name, tom.preferred_name, tom.last_name) == ("Tomasz", "Tom", "Nowak")
    assert tom.date_of_birth == dt.date(2013, 9, 1)
    assert (str(tom.year_group), tom.year_group.key_stage, str(tom.class_group)) == (
        "Year 7",
        KeyStage.KS3,
        "7 Beech",
    )
    assert Person.objects.filter(school=cast.a).count() == 4


def test_a_file_with_one_bad_row_names_it_offers_no_confirmation_and_imports_nothing(cast: Cast) -> None:
    client = logged_in(cast.nina)
    response = upload(client, pupils="sims_pupils_bad_row.csv")
    page = text(client.get(response["Location"]))
    assert "1 problem: nothing will be imported" in page
    assert "Row 7, Date of Birth: 31/02/2015 is not a date" in page
    assert CONFIRM not in page and "/confirm/" not in page
    assert not Person.objects.exists() and not YearGroup.objects.exists() and not ClassGroup.objects.exists()


def test_a_hand_made_confirmation_of_a_file_with_problems_is_refused(cast: Cast) -> None:
    client = logged_in(cast.nina)
    upload(client, pupils="sims_pupils_bad_row.csv")
    batch = _batch()
    response = client.post(f"/people/import/{batch.pk}/confirm/")
    assert response.status_code == 400
    assert "Row 7, Date of Birth: 31/02/2015 is not a date" in text(response) and CONFIRM not in text(
        response
    )
    assert not Person.objects.exists() and not YearGroup.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED
    assert not AuditEntry.objects.filter(object_type="people.person").exists()


def test_the_file_is_checked_again_when_the_import_is_confirmed(cast: Cast) -> None:
    client = logged_in(cast.nina)
    upload(client, parents="sims_contacts.csv")  # the pupils are not on record
    page = text(client.get(f"/people/import/{_batch().pk}/"))
    assert "Row 2, UPN: there is no pupil with UPN H801200001001 at Northfield Primary" in page
    _check_and_import(client, pupils="sims_pupils.csv")
    # The parents' file is right now: confirming it (the confirm page was never offered) imports it.
    batch = ImportBatch.objects.filter(files__kind="parents").get()
    assert client.post(f"/people/import/{batch.pk}/confirm/").status_code == 302
    assert GuardianLink.objects.filter(school=cast.a).count() == 6


def test_a_second_import_updates_people_by_their_mis_id_instead_of_adding_them_again(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _check_and_import(client, pupils="sims_pupils.csv")
    amelia = Person.objects.get(mis_id="H801200001001")
    created = AuditEntry.objects.filter(object_type="people.person").count()
    moved_up = (
        (DATA / "sims_pupils.csv")
        .read_bytes()
        .replace(
            b"Hughes,Amelia,,F,14/03/2016,Year 5,5B", b"Hughes-Smith,Amelia,Millie,F,14/03/2016,Year 6,6K"
        )
    )
    response = upload(client, pupils=("sims_pupils_september.csv", moved_up))
    page = text(client.get(response["Location"]))
    assert "0 new pupils" in page and "1 pupil to update" in page and "5 already up to date" in page
    assert (
        "Last name: Hughes Hughes-Smith" in page
        and "Year group: Year 5 Year 6" in page
        and "Class: 5B 6K" in page
    )
    client.post(f"/people/import/{_batch().pk}/confirm/")
    assert Person.objects.filter(school=cast.a, kind=PersonKind.PUPIL).count() == 6
    amelia.refresh_from_db()
    assert (amelia.last_name, amelia.preferred_name, str(amelia.year_group), str(amelia.class_group)) == (
        "Hughes-Smith",
        "Millie",
        "Year 6",
        "6K",
    )
    update = AuditEntry.objects.get(object_type="people.person", object_id=str(amelia.pk), action="update")
    assert update.before is not None and update.after is not None
    assert (update.before["last_name"], update.after["last_name"], update.actor) == (
        "Hughes",
        "Hughes-Smith",
        cast.nina,
    )
    assert AuditEntry.objects.filter(object_type="people.person").count() == created + 1


def test_the_same_file_again_has_nothing_to_import_and_is_recognised(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _check_and_import(client, pupils="sims_pupils.csv")
    response = upload(client, pupils="sims_pupils.csv")
    page = text(client.get(response["Location"]))
    assert "Nothing to import" in page and CONFIRM not in page
    assert "sims_pupils.csv is the same file as one imported on" in page


def test_an_archived_pupil_who_is_in_the_file_comes_back(cast: Cast) -> None:
    five = year(cast.a)
    back = person(
        cast.a,
        first_name="Amelia",
        last_name="Hughes",
        mis_id="H801200001001",
        year_group=five,
        class_group=group(cast.a, "5B", five),
        date_of_birth=dt.date(2016, 3, 14),
        archived_at=timezone.now(),
        archive_reason="moved away",
    )
    client = logged_in(cast.nina)
    response = upload(client, pupils="sims_pupils.csv")
    assert "Archived:" in text(client.get(response["Location"]))
    client.post(f"/people/import/{_batch().pk}/confirm/")
    back.refresh_from_db()
    assert back.archived_at is None and back.archive_reason == ""
    assert Person.objects.filter(mis_id="H801200001001").count() == 1


def test_parents_are_linked_to_their_children_by_the_pupils_upn(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _check_and_import(client, pupils="sims_pupils.csv")
    response = upload(client, parents="sims_contacts.csv")
    page = text(client.get(response["Location"]))
    assert "5 new parents and carers" in page and "6 new links to children" in page
    client.post(f"/people/import/{_batch().pk}/confirm/")
    parents = Person.objects.filter(school=cast.a, kind=PersonKind.PARENT)
    assert parents.count() == 5  # Rachel Hughes is the mother of two: one record
    rachel = parents.get(first_name="Rachel")
    assert (rachel.title, rachel.phone, rachel.email) == ("Mrs", "07700 900001", "rachel.hughes@example.com")
    assert sorted(link.child.mis_id for link in rachel.child_links.all()) == [
        "H801200001001",
        "H801200001004",
    ]
    amelia = Person.objects.get(mis_id="H801200001001")
    links = [
        (g.guardian.first_name, g.relationship, g.parental_responsibility, g.contact_order)
        for g in amelia.guardian_links.order_by("contact_order")
    ]
    assert links == [("Rachel", Relationship.MOTHER, True, 1), ("David", Relationship.FATHER, True, 2)]
    emeka = Person.objects.get(mis_id="H801200001002")
    assert [
        (g.relationship, g.parental_responsibility) for g in emeka.guardian_links.order_by("contact_order")
    ] == [
        (Relationship.PARENT, True),
        (Relationship.GRANDPARENT, False),
    ]
    assert Person.objects.get(first_name="Piotr").child_links.get().relationship == Relationship.CARER

    # Again, with one change: the parents and links are found, not added twice.
    again = (DATA / "sims_contacts.csv").read_bytes().replace(b"Grandmother,No,2", b"Grandmother,Yes,2")
    response = upload(client, parents=("contacts-again.csv", again))
    page = text(client.get(response["Location"]))
    assert "0 new parents and carers" in page and "0 new links to children, 1 to update, 5 up to date" in page
    client.post(f"/people/import/{_batch().pk}/confirm/")
    assert parents.count() == 5 and GuardianLink.objects.count() == 6
    assert GuardianLink.objects.get(guardian__first_name="Grace").parental_responsibility is True


def test_parents_may_come_with_their_childrens_pupils_file_in_one_upload(cast: Cast) -> None:
    client = logged_in(cast.alice)
    _check_and_import(client, pupils="arbor_pupils.csv", parents="arbor_guardians.csv")
    isla = Person.objects.get(mis_id="K330400010017")
    guardian = isla.guardian_links.get()
    assert (guardian.guardian.first_name, guardian.guardian.phone, guardian.relationship) == (
        "Fiona",
        "07700 900101",
        Relationship.MOTHER,
    )
    assert guardian.parental_responsibility and guardian.school == cast.a


def test_a_contact_of_a_pupil_who_is_not_on_record_is_a_problem(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _check_and_import(client, pupils="arbor_pupils.csv")
    response = upload(client, parents="sims_contacts.csv")
    page = text(client.get(response["Location"]))
    assert "Row 2, UPN: there is no pupil with UPN H801200001001 at Northfield Primary" in page
    assert "Row 7, UPN:" in page and CONFIRM not in page
    assert not Person.objects.filter(kind=PersonKind.PARENT).exists()


def test_another_schools_pupil_is_not_found_by_a_parents_file(cast: Cast) -> None:
    person(cast.b, first_name="Isla", last_name="Campbell", mis_id="K330400010017")
    client = logged_in(cast.alice)
    response = upload(client, parents="arbor_guardians.csv")
    page = text(client.get(response["Location"]))
    assert "Row 2, Student UPN: there is no pupil with UPN K330400010017 at Northfield Primary" in page


def test_staff_are_imported_and_updated_by_their_staff_code(cast: Cast) -> None:
    client = logged_in(cast.nina)
    _check_and_import(client, staff="sims_staff.csv")
    staff = {p.mis_id: p for p in Person.objects.filter(school=cast.a, kind=PersonKind.STAFF)}
    assert sorted(staff) == ["JTA", "MEV", "RPA", "SAH"]
    sarah, jo = staff["SAH"], staff["JTA"]
    assert (sarah.title, sarah.job_title, sarah.email) == (
        "Mrs",
        "Deputy Headteacher",
        "s.ahmed@northfield.example",
    )
    assert (jo.title, jo.preferred_name, jo.email) == ("Mx", "Jo", "")
    promoted = (DATA / "sims_staff.csv").read_bytes().replace(b"Class Teacher", b"Assistant Headteacher")
    _check_and_import(client, staff=("staff.csv", promoted))
    assert Person.objects.filter(kind=PersonKind.STAFF).count() == 4
    assert Person.objects.get(mis_id="RPA").job_title == "Assistant Headteacher"


def test_a_staff_file_with_a_bad_email_names_the_row(cast: Cast) -> None:
    client = logged_in(cast.nina)
    bad = (
        (DATA / "sims_staff.csv")
        .read_bytes()
        .replace(b"r.patel@northfield.example", b"r.patel at northfield")
    )
    response = upload(client, staff=("staff.csv", bad))
    assert "Row 3, Work Email: r.patel at northfield is not an email address" in text(
        client.get(response["Location"])
    )


def test_a_file_uploaded_as_the_wrong_kind_says_so(cast: Cast) -> None:
    client = logged_in(cast.nina)
    response = upload(client, pupils="sims_staff.csv")
    page = text(client.get(response["Location"]))
    assert "Row 1: there is no UPN (or MIS ID) column" in page
    assert "This looks like a staff file: upload it as that." in page


def test_every_imported_record_has_its_own_audit_entry(cast: Cast) -> None:
    client = logged_in(cast.nina)
    batch = _check_and_import(client, pupils="sims_pupils.csv", parents="sims_contacts.csv")
    people = Person.objects.filter(school=cast.a)
    entries = AuditEntry.objects.filter(object_type="people.person", action="create")
    assert sorted(int(e.object_id) for e in entries) == sorted(p.pk for p in people)  # 6 pupils, 5 parents
    for entry in entries:
        assert entry.actor == cast.nina and entry.school == cast.a
        assert entry.after is not None and entry.after["school_id"] == cast.a.pk
        assert (
            entry.reason == f"imported from the MIS (sims_pupils.csv, sims_contacts.csv; upload {batch.pk})"
        )
    amelia = people.get(mis_id="H801200001001")
    entry = entries.get(object_id=str(amelia.pk))
    assert entry.after is not None and entry.after["year_group_id"] == amelia.year_group_id
    assert entry.object_repr == "Amelia Hughes"
    links = AuditEntry.objects.filter(object_type="people.guardianlink", action="create")
    assert links.count() == GuardianLink.objects.count() == 6
    assert AuditEntry.objects.filter(object_type="people.yeargroup", action="create").count() == 4
    assert AuditEntry.objects.filter(object_type="people.classgroup", action="create").count() == 4
    summary = AuditEntry.objects.get(action="import")
    assert summary.object_id == str(batch.pk) and "6 pupils added" in summary.reason
    assert verify().ok


def test_an_import_that_fails_part_way_leaves_nothing_behind(cast: Cast, monkeypatch: Any) -> None:
    client = logged_in(cast.nina)
    upload(client, pupils="sims_pupils.csv", parents="sims_contacts.csv")
    batch = _batch()
    entries = AuditEntry.objects.count()
    calls = {"n": 0}
    real = actions.record

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 9:  # the pupils are written, and some of the parents
            raise DatabaseError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "record", failing)
    response = client.post(f"/people/import/{batch.pk}/confirm/", follow=True)
    assert "The import failed part way and nothing was imported" in text(response)
    assert calls["n"] == 9
    assert (
        not Person.objects.exists() and not YearGroup.objects.exists() and not GuardianLink.objects.exists()
    )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED and all(f.content for f in batch.files.all())
    assert AuditEntry.objects.count() == entries
    assert not AuditEntry.objects.filter(object_type__in=("people.person", "people.yeargroup")).exists()
    monkeypatch.setattr(actions, "record", real)
    assert client.post(f"/people/import/{batch.pk}/confirm/").status_code == 302  # and can be tried again
    assert Person.objects.count() == 11


def test_an_upload_is_imported_once(cast: Cast) -> None:
    client = logged_in(cast.nina)
    batch = _check_and_import(client, pupils="sims_pupils.csv")
    response = client.post(f"/people/import/{batch.pk}/confirm/", follow=True)
    assert "This upload has been imported already." in text(response)
    assert Person.objects.count() == 6


def test_an_upload_not_confirmed_within_a_day_expires(cast: Cast) -> None:
    client = logged_in(cast.nina)
    upload(client, pupils="sims_pupils.csv")
    batch = _batch()
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    page = text(client.get(f"/people/import/{batch.pk}/"))
    assert "This upload has expired" in page and CONFIRM not in page
    assert text(client.post(f"/people/import/{batch.pk}/confirm/", follow=True)).count("expired") >= 1
    assert not Person.objects.exists()
    assert ImportFile.objects.get(batch=batch).content == ""


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook (.xlsx), not a CSV file"),
        ("UPN,Legal Surname\n".encode("utf-16"), "The file is saved as UTF-16"),
        (b"", "The submitted file is empty."),
        (b"\x81\x8d\x8f\x90", "not in a form we can read"),
    ],
)
def test_an_upload_that_is_not_a_csv_file_is_refused_in_plain_words(
    cast: Cast, content: bytes, said: str
) -> None:
    client = logged_in(cast.nina)
    response = upload(client, pupils=("pupils.xlsx", content))
    assert response.status_code == 200
    assert said in text(response)
    assert not ImportBatch.objects.exists()


def test_an_upload_too_large_or_of_nothing_is_refused(cast: Cast, monkeypatch: Any) -> None:
    client = logged_in(cast.nina)
    assert "Choose at least one file to upload" in text(client.post("/people/import/", {}))
    monkeypatch.setattr(importing, "MAX_BYTES", 1024 * 1024)
    big = b"UPN,Legal Surname,Legal Forename\n" + b"A123456789012,Hughes,Amelia\n" * 40_000
    response = upload(client, pupils=("big.csv", big))
    assert "Pupils: The file is larger than 1 MB" in text(response)
    assert not ImportBatch.objects.exists()


def test_another_schools_upload_is_not_found(cast: Cast) -> None:
    upload(logged_in(cast.nina), pupils="sims_pupils.csv")
    batch = _batch()
    client = logged_in(cast.zack)
    assert client.get(f"/people/import/{batch.pk}/").status_code == 404
    assert client.post(f"/people/import/{batch.pk}/confirm/").status_code == 404
    assert not Person.objects.exists()
    assert "sims_pupils.csv" not in text(client.get("/people/import/"))


def test_a_class_of_pupils_of_more_than_one_year_is_a_mixed_age_class(cast: Cast) -> None:
    text_ = (
        "UPN,Legal Surname,Legal Forename,Year,Reg Group\n"
        "A123456789012,Hughes,Amelia,3,Oak\nA123456789013,Patel,Priya,4,Oak\nA123456789014,Ali,Mo,4,4W\n"
    )
    client = logged_in(cast.nina)
    _check_and_import(client, pupils=("mixed.csv", text_.encode()))
    assert ClassGroup.objects.get(name="Oak").year_group is None
    assert str(ClassGroup.objects.get(name="4W").year_group) == "Year 4"


def test_the_schools_own_year_group_names_are_kept(cast: Cast) -> None:
    y5 = year(cast.a, "Y5", KeyStage.KS2, 5)
    client = logged_in(cast.nina)
    _check_and_import(client, pupils="sims_pupils.csv")
    assert Person.objects.get(mis_id="H801200001001").year_group == y5
    assert not YearGroup.objects.filter(name="Year 5").exists()


def test_fifteen_hundred_pupils_are_imported_and_imported_again(cast: Cast) -> None:
    """A secondary school's whole roll, then the same file with one change. How long it takes is
    printed (run with -s), not asserted: speed is for the benchmarks, and a slow machine is no fault."""
    rows = ["UPN,Legal Surname,Legal Forename,Preferred Forename,Date of Birth,Year,Reg Group"]
    for n in range(1500):
        y = 7 + n % 5
        rows.append(
            f"K{330400000000 + n:012d},Surname{n},First{n},,{1 + n % 28:02d}/0{1 + n % 9}/20{13 - n % 5:02d},"
            f"Year {y},{y}{'ABCDEFGHJKLM'[n % 12]}"
        )
    content = "\r\n".join(rows).encode()
    client = logged_in(cast.nina)
    started = time.monotonic()
    response = upload(client, pupils=("all-pupils.csv", content))
    page = text(client.get(response["Location"]))
    checked = time.monotonic()
    assert "1500 new pupils" in page and CONFIRM in page
    assert client.post(f"/people/import/{_batch().pk}/confirm/").status_code == 302
    done = time.monotonic()
    assert Person.objects.filter(school=cast.a).count() == 1500
    assert AuditEntry.objects.filter(object_type="people.person", action="create").count() == 1500
    print(f"1,500 pupils: checked in {checked - started:.2f} s, imported in {done - checked:.2f} s")
    started = time.monotonic()
    response = upload(client, pupils=("all-pupils.csv", content.replace(b"Surname1,", b"Surname1x,")))
    assert client.post(f"/people/import/{_batch().pk}/confirm/").status_code == 302
    print(f"the same again, one pupil changed: {time.monotonic() - started:.2f} s")
    assert Person.objects.filter(school=cast.a).count() == 1500
