"""The governors' report as a PDF: the counts, charts, and nothing that names anyone."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from schoolgate.web.incidents.models import Incident
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.reports.make import PDF, PRIVATE, pdf_text


def test_the_pdf_renders_with_the_counts_and_nothing_that_names_anyone(
    cast: Cast, logged: list[Incident], tmp_path: Path
) -> None:
    response = logged_in(cast.greta).get(PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="online-safety-governors-report-autumn-2026.pdf"'
    )
    data = response.content
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Online safety: report to governors" in text and "Northfield Primary" in text
    assert "Autumn 2026" in text and "Autumn 2025" in text
    assert "fewer than 3" in text and "Areas of risk" in text and "Types of incident" in text
    assert "Filter change requests" in text and "Lesson unblocks made by teachers without approval" in text
    found = [word for word in (*PRIVATE, *(i.reference for i in logged)) if word in text]
    assert not found, found

    document = pdfium.PdfDocument(data)
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    image.save(tmp_path / "governors-page-1.png")
    width, height = image.size
    assert (round(width / 10), round(height / 10)) == (60, 84)  # A4, 595 by 842 points
    colours = image.getcolors(maxcolors=width * height) or []
    inked = sum(n for n, (r, g, b) in colours if min(r, g, b) < 200)
    assert inked / (width * height) > 0.01, f"the first page is (nearly) blank: {inked} pixels not white"
    bars = sum(n for n, (r, g, b) in colours if b > 150 and r < 80)  # this term's bars are blue
    assert bars > 100, "no chart on the first page"
