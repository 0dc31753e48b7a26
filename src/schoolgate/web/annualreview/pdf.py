"""The annual review as a PDF (A4), for the governors' papers and the inspectors: the evidence (each kind
once, in one table), then the standards point by point with the evidence each draws on, its answer and
notes; the actions; the signatures. The
evidence is what was signed (kept at the first signature), or, before any signature, what Schoolgate
holds on the day the PDF is made, and the PDF says which."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

TITLE = "Annual review of filtering and monitoring"
INK = colors.HexColor("#0b0c0c")
GREY = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
TABLE_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]
)


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontSize=10, leading=13, textColor=INK)
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], fontSize=20, leading=24, alignment=0),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=14, leading=17, spaceBefore=10),
        "h3": ParagraphStyle("h3", parent=sheet["Heading3"], fontSize=11, leading=14, spaceBefore=6),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12),
        "head": ParagraphStyle("head", parent=body, fontSize=9.5, leading=12, fontName="Helvetica-Bold"),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(
    head: list[str], rows: list[list[str]], widths: list[float], s: dict[str, ParagraphStyle]
) -> Table:
    data = [[_p(h, s["head"]) for h in head], *[[_p(c, s["cell"]) for c in row] for row in rows]]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def _day(at: dt.datetime | dt.date | None) -> str:
    return "" if at is None else f"{at:%-d %B %Y}"


def render(school_name: str, context: dict[str, Any], now: dt.datetime) -> bytes:
    """The review of `context` (as `views._context` makes it) as PDF bytes."""
    s = _styles()
    out = io.BytesIO()
    year_name = context["year_name"]
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{TITLE} {year_name}", author=school_name, subject=TITLE, creator="Schoolgate",
    )  # fmt: skip
    review = context["review"]
    gathered = context["evidence"]
    state = "Signed" if review is not None and review.state == "signed" else "In progress, not signed yet"
    story: list[Any] = [
        _p(f"{TITLE} {year_name}", s["title"]),
        _p(school_name, s["h3"]),
        _p(f"{state}. {context['answered']} of {context['points']} points answered.", s["body"]),
        _p(
            (
                f"The evidence is as it was when the review was first signed "
                f"({_day(gathered.gathered_at)}), covering {_day(gathered.start)} to {_day(gathered.end)}."
            )
            if context["frozen"]
            else (
                f"The evidence is what Schoolgate holds on {_day(now)}, covering {_day(gathered.start)} to "
                f"{_day(gathered.end)}; it is kept as it is when the review is first signed."
            ),
            s["small"],
        ),
        Spacer(1, 4 * mm),
    ]
    story.append(_p("What Schoolgate holds", s["h2"]))
    story.append(
        _table(
            ["Evidence", "What Schoolgate holds"],
            [[item.title, "\n".join(item.lines)] for item in gathered.items.values()],
            [50 * mm, WIDTH - 50 * mm],
            s,
        )
    )
    for block in context["guide"]:
        standard = block["standard"]
        story.append(_p(f"Standard {standard.number}: {standard.title}", s["h2"]))
        for entry in block["points"]:
            point, answer = entry["point"], entry["answer"]
            parts: list[Any] = [_p(point.text, s["h3"]), _p(f"Met looks like: {point.met}", s["small"])]
            if entry["evidence"]:
                titles = "; ".join(shown.item.title for shown in entry["evidence"])
                parts.append(_p(f"Evidence: {titles}.", s["small"]))
            if answer is None:
                parts.append(_p("Answer: not answered yet.", s["body"]))
            else:
                parts.append(_p(f"Answer: {answer.get_judgement_display()}.", s["body"]))
                if answer.notes:
                    parts.append(_p(f"Notes: {answer.notes}", s["body"]))
            parts.append(Spacer(1, 2 * mm))
            story.append(KeepTogether(parts))
    story.append(_p("Actions", s["h2"]))
    actions = context["actions"]
    if actions:
        story.append(
            _table(
                ["What", "Who", "By", "Done"],
                [[a.what, str(a.owner), _day(a.due), _day(a.done_at) or "not yet"] for a in actions],
                [WIDTH - 105 * mm, 45 * mm, 30 * mm, 30 * mm],
                s,
            )
        )
    else:
        story.append(_p("No actions.", s["body"]))
    story.append(_p("Signatures", s["h2"]))
    rows = [
        [slot.label, signed.signer_name if signed else "not signed", _day(signed.signed_at) if signed else ""]
        for slot, signed in context["slots"]
    ]
    story.append(_table(["Signed as", "By", "On"], rows, [60 * mm, WIDTH - 100 * mm, 40 * mm], s))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, 10 * mm, f"{TITLE} {year_name} – {school_name}")
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
