"""The governors' report as a PDF: the counts, charts whose every number has its bar, "None this term"
instead of a chart with no bars, and nothing that names anyone. The pages are rendered to images and
their pixels looked at."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image, ImageChops
from reportlab.graphics import renderPDF  # type: ignore[import-untyped]

from schoolgate.web.incidents.choices import IncidentType, RiskArea
from schoolgate.web.incidents.models import Incident
from schoolgate.web.reports.counts import Breakdown
from schoolgate.web.reports.incidents import GovernorsReport, build
from schoolgate.web.reports.pdf import NONE_THIS_TERM, chart, render
from tests.web.factories import Cast
from tests.web.pages import logged_in
from tests.web.reports.make import AUTUMN_2026, PDF, PRIVATE, on, pdf_text, report_at, requests_at

BLUE = (0x1D, 0x70, 0xB8)  # this term's bars (pdf.THIS_COLOUR)
GREY = (0xB1, 0xB4, 0xB6)  # last year's


def _images(data: bytes, scale: float = 2) -> list[Image.Image]:
    document = pdfium.PdfDocument(data)
    try:
        return [document[i].render(scale=scale).to_pil().convert("RGB") for i in range(len(document))]
    finally:
        document.close()


def _bands(image: Image.Image, colour: tuple[int, int, int]) -> int:
    """How many separate horizontal bands of `colour` the image has (a bar, or a legend's swatch): rows
    with a run of at least 6 pixels of it (a letter's edge is never so wide)."""
    difference = ImageChops.difference(image, Image.new("RGB", image.size, colour))
    near = [band.point(lambda v: 255 if v < 12 else 0) for band in difference.split()]
    mask = ImageChops.darker(ImageChops.darker(near[0], near[1]), near[2])
    run = mask
    for shift in range(1, 6):  # white margins: what wraps round is never the colour
        run = ImageChops.darker(run, ImageChops.offset(mask, shift, 0))
    width, height = image.size
    bands, inside = 0, False
    for y in range(height):
        hit = run.crop((0, y, width, y + 1)).getbbox() is not None
        if hit and not inside:
            bands += 1
        inside = hit
    return bands


def _charted(report: GovernorsReport) -> list[Breakdown]:
    return [b for b in report.breakdowns if b.chart]


def test_a_chart_draws_a_bar_for_every_number_and_0_as_an_empty_bar_with_its_label(cast: Cast) -> None:
    report_at(
        cast, on(2026, 10, 5), 3, incident_type=IncidentType.HARMFUL_CONTENT, risk_area=RiskArea.CONTENT
    )
    report_at(cast, on(2026, 10, 5), 1, incident_type=IncidentType.GROOMING, risk_area=RiskArea.CONTACT)
    report_at(cast, on(2025, 10, 5), 2)  # Autumn 2025: conduct
    report = build(cast.a, AUTUMN_2026)
    drawing = chart(report, report.areas)
    data = renderPDF.drawToString(drawing)
    (image,) = _images(data)
    # Content 3 and contact 1 this term; conduct 2 last year: three bars, and the legend's two swatches.
    assert _bands(image, BLUE) == 2 + 1
    assert _bands(image, GREY) == 1 + 1
    words = pdf_text(data).split()
    assert words.count("0") >= 5 and "1" in words and "3" in words and "2" in words  # every bar labelled


def test_the_pdf_renders_every_chart_with_its_bars_and_nothing_that_names_anyone(
    cast: Cast, logged: list[Incident], tmp_path: Path
) -> None:
    requests_at(cast.a, on(2026, 10, 5), 2, state="approved", decided=on(2026, 10, 6))
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
    assert "Alerts by area of risk" in text and "Filtering self-tests" in text
    found = [word for word in (*PRIVATE, *(i.reference for i in logged)) if word in text]
    assert not found, found

    report = build(cast.a, AUTUMN_2026)
    drawn = [b for b in _charted(report) if not b.all_zero]
    empty = [b for b in _charted(report) if b.all_zero]
    assert {b.title for b in drawn} == {
        "Areas of risk",
        "Types of incident",
        "Outcomes",
        "Filter change requests by kind",
    }
    assert empty, "the test wants a chart with nothing to draw: no alerts were made"
    assert " ".join(text.split()).count(NONE_THIS_TERM) == len(empty)
    images = _images(data)
    for i, image in enumerate(images):
        image.save(tmp_path / f"governors-page-{i + 1}.png")
    bars = sum(1 for b in drawn for r in b.rows if r.this.value)
    assert sum(_bands(image, BLUE) for image in images) == bars + len(drawn)  # each bar, each legend


def test_a_term_with_nothing_in_it_has_no_empty_chart_frames(cast: Cast) -> None:
    report = build(cast.a, AUTUMN_2026)
    assert all(b.all_zero for b in _charted(report))
    data = render(report)
    assert " ".join(pdf_text(data).split()).count(NONE_THIS_TERM) == len(_charted(report))
    assert sum(_bands(image, BLUE) for image in _images(data)) == 0  # no bar, no legend, no frame
    (width, height) = _images(data, scale=1)[0].size
    assert (round(width / 10), round(height / 10)) == (60, 84)  # A4, 595 by 842 points
