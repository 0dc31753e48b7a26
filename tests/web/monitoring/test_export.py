"""The activity log's CSV export: a reason first, audited with the filters, the filters' rows only,
safe to open in a spreadsheet, capped, and the locked list's addresses withheld as on the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.http import StreamingHttpResponse

from schoolgate.web.audit.models import AuditEntry
from schoolgate.web.monitoring import export
from schoolgate.web.monitoring.export import HEADER, WITHHELD, safe
from schoolgate.web.people.choices import PersonKind
from tests.web.factories import Cast, person
from tests.web.monitoring.factories import event, midday, search
from tests.web.pages import logged_in, text

__all__ = ["midday"]  # today at noon, for every test here

EXPORT = "/monitoring/activity/export/"


def rows_of(response: Any) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(cast(Iterator[bytes], response.streaming_content)).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("how to kill myself", "how to kill myself"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell: object, written: str) -> None:
    assert safe(cell) == written


def test_the_export_asks_for_a_reason_first_and_writes_nothing_without_one(cast: Cast) -> None:
    search(cast.a, "how to kill myself", person=person(cast.a))
    client = logged_in(cast.alice)
    before = AuditEntry.objects.count()
    page = client.get(EXPORT)
    assert page.status_code == 200 and "100,000" in text(page)
    response = client.post(EXPORT, {"reason": "   "})
    assert response.status_code == 200 and not isinstance(response, StreamingHttpResponse)
    assert "This field is required" in text(response)
    assert AuditEntry.objects.count() == before


def test_the_export_is_the_filters_rows_and_is_audited_with_them(cast: Cast) -> None:
    amelia = person(cast.a)
    ben = person(cast.a, first_name="Ben", last_name="Okafor")
    search(cast.a, "=cmd|' /C calc'!A0", person=amelia, device="LAPTOP-12")
    event(cast.a, person=ben, site="bet365.com", category="gambling")
    response = logged_in(cast.alice).post(
        EXPORT + "?who=Amelia&kind=search", {"reason": "Referral to social care"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [r["person"] for r in rows] == ["Amelia Hughes"]
    assert rows[0]["search term"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["kind"] == "search" and rows[0]["device"] == "LAPTOP-12"
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry is not None and entry.actor == cast.alice and entry.school == cast.a
    assert entry.reason == "Referral to social care"
    assert entry.after is not None and entry.after["filters"]["who"] == "Amelia"
    assert entry.after["filters"]["kind"] == "search" and "from" in entry.after["filters"]


def test_the_export_stops_at_its_cap(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "EXPORT_MAX", 2)
    for i in range(3):
        search(cast.a, f"search {i}")
    rows = rows_of(logged_in(cast.alice).post(EXPORT, {"reason": "checking"}))
    assert [r["search term"] for r in rows] == ["search 2", "search 1"]  # newest first, two of three


def test_the_export_reads_only_whose_activity_the_user_may_and_withholds_the_locked(cast: Cast) -> None:
    pupil, teacher = person(cast.a), person(cast.a, PersonKind.STAFF, first_name="Ravi", last_name="Patel")
    search(cast.a, "cheap vodka delivery", person=teacher)
    event(cast.a, person=pupil, site="illegal.example", url="https://illegal.example/x", locked=True)
    rows = rows_of(logged_in(cast.nina).post(EXPORT, {"reason": "why was this blocked"}))
    assert len(rows) == 1 and rows[0]["person"] == "Amelia Hughes"
    assert rows[0]["address"] == WITHHELD and rows[0]["site"] == WITHHELD
    rows = rows_of(logged_in(cast.alice).post(EXPORT, {"reason": "evidence for the police"}))
    assert rows[0]["address"] == "https://illegal.example/x"
    assert list(rows[0]) == list(HEADER)


def test_a_locked_attempts_phrases_are_withheld_with_its_address(cast: Cast) -> None:
    """The phrases matched in a locked attempt's search are words of its address: the page does not
    show them to those who may not see the address, and neither does the file."""
    matched = [{"phrase": "secret words", "area": "sexual", "severity": "high", "why": "the phrase"}]
    event(
        cast.a, person=person(cast.a), url="https://locked.example/?q=secret+words", term="secret words",
        locked=True, flag="high", flag_area="sexual", matches=matched,
    )  # fmt: skip
    row = rows_of(logged_in(cast.nina).post(EXPORT, {"reason": "why was this blocked"}))[0]
    assert "secret" not in " ".join(row.values())
    assert row["flag"] == "high"  # that it was flagged shows, as on the page
    row = rows_of(logged_in(cast.alice).post(EXPORT, {"reason": "evidence for the police"}))[0]
    assert row["phrases matched"] == "secret words" and row["search term"] == "secret words"


def test_the_teacher_may_not_export(cast: Cast) -> None:
    assert logged_in(cast.tom).post(EXPORT, {"reason": "curious"}).status_code == 403
