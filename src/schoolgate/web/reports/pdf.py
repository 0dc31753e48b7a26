"""The governors' report as a PDF (A4): the same tables as the page, and bar charts of this term against
the same term last year. Every number of a charted table has its bar (a 0 is an empty bar with its
label "0"); a chart whose every number is 0 is not drawn, and the report says "None this term" in its
place. The staff totals, which may read "fewer than 3", are never charted."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart  # type: ignore[import-untyped]
from reportlab.graphics.charts.legends import Legend  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from schoolgate.web.reports.counts import HIDING_NOTE, Breakdown, Row
from schoolgate.web.reports.incidents import GovernorsReport
from schoolgate.web.reports.terms import Term

TITLE = "Online safety: report to governors"
THIS_COLOUR = colors.HexColor("#1d70b8")
LAST_COLOUR = colors.HexColor("#b1b4b6")
INK = colors.HexColor("#0b0c0c")
# The reports' tables: a rule under the heading row, a hairline under each row (the weekly monitoring
# report's PDF draws its tables so too).
TABLE_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, LAST_COLOUR),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]
)
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
LABEL_WIDTH = WIDTH - 2 * 38 * mm


def paragraph_styles() -> dict[str, ParagraphStyle]:
    """The reports' paragraph styles (the weekly monitoring report's PDF uses them too)."""
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontSize=10, leading=13, textColor=INK)
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], fontSize=20, leading=24, alignment=0),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=14, leading=17, spaceBefore=10),
        "body": body,
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#505a5f")
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12),
        "head": ParagraphStyle("head", parent=body, fontSize=9.5, leading=12, fontName="Helvetica-Bold"),
    }


def _table(
    report: GovernorsReport,
    what: str,
    rows: tuple[Row, ...],
    styles: dict[str, ParagraphStyle],
    one_column: str = "",
) -> Table:
    """A table of the report: this term and last year's, or (`one_column`: its heading) one column."""
    head = [Paragraph(escape(what), styles["head"])]
    if one_column:
        head.append(Paragraph(escape(one_column), styles["head"]))
    else:
        head.append(Paragraph(escape(report.term.name), styles["head"]))
        head.append(Paragraph(f"{escape(report.last.name)} (same term last year)", styles["head"]))
    body = [
        [Paragraph(escape(r.label), styles["cell"]), Paragraph(escape(r.this.text), styles["cell"])]
        + ([] if one_column else [Paragraph(escape(r.last.text), styles["cell"])])
        for r in rows
    ]
    if not body:
        body = [[Paragraph("None in either term." if not one_column else "None.", styles["cell"]), ""]]
        if not one_column:
            body[0].append("")
    widths = [LABEL_WIDTH, 76 * mm] if one_column else [LABEL_WIDTH, 38 * mm, 38 * mm]
    table = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def _short(label: str) -> str:
    """A chart's category label: the areas of risk by their first word ("Content")."""
    short = label.split(":", 1)[0]
    return short if len(short) <= 40 else short[:39] + "…"


def chart(report: GovernorsReport, breakdown: Breakdown) -> Drawing:
    """Grouped horizontal bars, a pair per row: this term, and the same term last year, each labelled
    with its number."""
    rows = breakdown.rows
    bar, gap = 7, 6
    group = 2 * bar + gap
    legend_height = 18
    plot_height = max(len(rows), 1) * group
    label_width = 150
    width = WIDTH
    drawing = Drawing(width, plot_height + legend_height + 30)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_width, 20
    chart.width, chart.height = width - label_width - 40, plot_height
    # Series 0 is drawn nearest the category's start; with the axis reversed (first row at the top),
    # that puts it below, so this term is given second.
    series = ([r.last for r in rows], [r.this for r in rows])
    chart.data = [[c.value or 0 for c in cells] for cells in series]
    chart.barLabelFormat = "values"
    chart.barLabelArray = [[c.text for c in cells] for cells in series]
    chart.categoryAxis.categoryNames = [_short(r.label) for r in rows]
    chart.categoryAxis.reverseDirection = 1
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.strokeColor = INK
    chart.barWidth = bar
    chart.groupSpacing = gap
    chart.barSpacing = 0
    chart.bars[0].fillColor = LAST_COLOUR
    chart.bars[1].fillColor = THIS_COLOUR
    chart.bars.strokeColor = None
    values = [v for r in rows for v in (r.this.value, r.last.value) if v is not None]
    top = max([*values, 0])
    step = max(1, -(-top // 5))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(step * 5, 5)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e5e6e7")
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.fontSize = 7
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = label_width, plot_height + legend_height + 26
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 150
    legend.fontSize = 8
    legend.colorNamePairs = [
        (THIS_COLOUR, report.term.name),
        (LAST_COLOUR, f"{report.last.name} (same term last year)"),
    ]
    drawing.add(legend)
    return drawing


def _footer(report: GovernorsReport) -> Any:
    text = f"{TITLE} – {report.school_name} – {report.term.name}"

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.drawString(MARGIN, 10 * mm, text)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


NONE_THIS_TERM = "None this term, nor in the same term last year."


def _dates(term: Term) -> str:
    """A term's days in words, with the holiday after it where it is counted too."""
    text = f"{term.start:%-d %B %Y} to {term.end:%-d %B %Y}"
    if term.holidays_counted:
        text += f", and the holiday after it to {term.until - dt.timedelta(days=1):%-d %B %Y}"
    return text


def render(report: GovernorsReport) -> bytes:
    """The report as PDF bytes."""
    styles = paragraph_styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{TITLE}: {report.term.name}", author=report.school_name, subject=TITLE, creator="Schoolgate",
    )  # fmt: skip
    made = report.made_at.strftime("%-d %B %Y at %H:%M")
    story: list[Any] = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(f"<b>{escape(report.school_name)}</b>", styles["body"]),
        Paragraph(
            f"{escape(report.term.name)} ({_dates(report.term)}), against the same term last year, "
            f"{escape(report.last.name)} ({_dates(report.last)}).",
            styles["body"],
        ),
        Paragraph(f"Made on {made}.", styles["small"]),
        Spacer(1, 4 * mm),
    ]
    if not report.ended:
        story.append(
            Paragraph(
                "This term has not ended yet: its numbers are so far, against the whole of the same term "
                "last year.",
                styles["body"],
            )
        )
    story += [
        Paragraph(
            "The report counts incidents in the online safety log by when they happened, the requests "
            "to change the filtering, what the filtering and monitoring did, and who has had their "
            "training and accepted the acceptable-use agreement. It holds no names, no incident "
            "references, no sites and nothing of what happened. " + escape(HIDING_NOTE),
            styles["body"],
        ),
        Paragraph("Summary", styles["h2"]),
        _table(report, "Incidents", report.headline, styles),
        Paragraph(
            "Concerns about members of staff are counted, but not broken down: so few could identify "
            "the person.",
            styles["small"],
        ),
    ]
    for breakdown in report.breakdowns:
        block: list[Any] = [Paragraph(escape(breakdown.title), styles["h2"])]
        block.append(Paragraph(escape(breakdown.caption) + ".", styles["small"]))
        block.append(_table(report, breakdown.what, breakdown.rows, styles, breakdown.one_column))
        if breakdown.note:
            block.append(Paragraph(escape(breakdown.note), styles["small"]))
        story.append(CondPageBreak(60 * mm))
        story.append(KeepTogether(block))
        if breakdown.chart and breakdown.all_zero:
            story.append(Paragraph(NONE_THIS_TERM, styles["body"]))
        elif breakdown.chart:
            story.append(KeepTogether([Spacer(1, 3 * mm), chart(report, breakdown)]))
    footer = _footer(report)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
