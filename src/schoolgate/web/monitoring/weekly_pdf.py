"""The weekly monitoring report as a PDF (A4): the same tables as the page, as the reader may see them
(`weekly.read`), and a bar chart under each table that has one. Drawn with the governors' report's
look (its colours and margins, `reports.pdf`)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from schoolgate.web.monitoring.weekly import Chart, Reading
from schoolgate.web.monitoring.weekly import Table as ReportTable
from schoolgate.web.reports.pdf import INK, MARGIN, TABLE_STYLE, THIS_COLOUR, WIDTH, paragraph_styles

TITLE = "Weekly monitoring report"


def _table(table: ReportTable, styles: dict[str, ParagraphStyle]) -> Table:
    columns = len(table.head)
    head = [Paragraph(escape(h), styles["head"]) for h in table.head]
    body = [[Paragraph(escape(_text(v)), styles["cell"]) for v in row] for row in table.rows]
    if not body:
        body = [[Paragraph(escape(table.empty), styles["cell"]), *([""] * (columns - 1))]]
    rest = 24 * mm if columns > 2 else 40 * mm
    widths = [WIDTH - rest * (columns - 1), *([rest] * (columns - 1))]
    if widths[0] < 40 * mm:  # many columns: share the width
        widths = [WIDTH / columns] * columns
    # splitInRow: a row taller than a page (a gateway host's five long problems in a narrow column)
    # goes on over the next page instead of failing the whole PDF.
    made = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT", splitInRow=1)
    made.setStyle(TABLE_STYLE)
    return made


def _text(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def chart_drawing(chart: Chart) -> Drawing:
    """One bar per count, largest first as the table lists them; each labelled with its number."""
    bars = chart.bars
    bar, gap = 9, 5
    plot_height = max(len(bars), 1) * (bar + gap)
    label_width = 170
    drawing = Drawing(WIDTH, plot_height + 30)
    made = HorizontalBarChart()
    made.x, made.y = label_width, 20
    made.width, made.height = WIDTH - label_width - 40, plot_height
    made.data = [[b.value for b in bars]]
    made.categoryAxis.categoryNames = [b.label if len(b.label) <= 40 else b.label[:39] + "…" for b in bars]
    made.categoryAxis.reverseDirection = 1
    made.categoryAxis.labels.boxAnchor = "e"
    made.categoryAxis.labels.dx = -4
    made.categoryAxis.labels.fontName = "Helvetica"
    made.categoryAxis.labels.fontSize = 8
    made.categoryAxis.strokeColor = INK
    made.barWidth = bar
    made.groupSpacing = gap
    made.bars[0].fillColor = THIS_COLOUR
    made.bars.strokeColor = None
    step = max(1, -(-chart.top // 5))
    made.valueAxis.valueMin = 0
    made.valueAxis.valueMax = max(step * 5, 5)
    made.valueAxis.valueStep = step
    made.valueAxis.labels.fontSize = 8
    made.valueAxis.labelTextFormat = "%d"
    made.valueAxis.visibleGrid = 1
    made.valueAxis.gridStrokeColor = colors.HexColor("#e5e6e7")
    made.barLabelFormat = "%d"
    made.barLabels.boxAnchor = "w"
    made.barLabels.dx = 3
    made.barLabels.fontSize = 7
    drawing.add(made)
    return drawing


def _section(table: ReportTable, chart: Chart | None, styles: dict[str, ParagraphStyle]) -> list[Any]:
    block: list[Any] = [Paragraph(escape(table.title), styles["h2"]), _table(table, styles)]
    if table.note:
        block.append(Paragraph(escape(table.note), styles["small"]))
    out: list[Any] = [CondPageBreak(50 * mm), KeepTogether(block)]
    if chart is not None and chart.has_data:
        out.append(KeepTogether([Spacer(1, 3 * mm), chart_drawing(chart)]))
    return out


def render(school_name: str, reading: Reading) -> bytes:
    """The report as PDF bytes."""
    styles = paragraph_styles()
    out = io.BytesIO()
    week = f"{reading.week_start:%-d %B %Y} to {reading.week_end:%-d %B %Y}"
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{TITLE}: week of {reading.week_start:%-d %B %Y}", author=school_name, subject=TITLE,
        creator="Schoolgate",
    )  # fmt: skip
    story: list[Any] = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(f"<b>{escape(school_name)}</b>", styles["body"]),
        Paragraph(f"Monday {escape(week)}.", styles["body"]),
        Paragraph(f"Made on {reading.made_at:%-d %B %Y at %H:%M}.", styles["small"]),
        Spacer(1, 4 * mm),
    ]
    if not reading.complete:
        story.append(Paragraph("Made before the week was over: its figures are so far.", styles["body"]))
    if reading.partial:
        story.append(
            Paragraph(
                "Some of the week's activity is about people whose records your role does not open: "
                "it is left out of these figures.",
                styles["body"],
            )
        )
    story += _section(reading.summary, None, styles)
    for table, chart in reading.tables:
        story += _section(table, chart, styles)
    if reading.terms is not None:
        story += _section(reading.terms, None, styles)
    for table, chart in reading.health:
        story += _section(table, chart, styles)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.drawString(
            MARGIN, 10 * mm, f"{TITLE} – {school_name} – week of {reading.week_start:%-d %B %Y}"
        )
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
