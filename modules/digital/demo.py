"""Byte Bazaar's digital goods for the demo (``manifest.demo``), made through the services the
product uses, each step on its own date (time-machine) so the library, the download log and
the seller's charts agree:

- three of Byte Bazaar's sellers (Quill Works, Pixel Forge, Nimbus Labs; made here when the
  software catalogue did not run first) sell three e-books (real multi-page PDFs: a title
  page, a contents page with bookmarks, chapters), a template pack (a ZIP of Word and Excel
  documents with an overview picture), an icon pack (SVG and PNG, its picture watermarked)
  and a soundscape (MP3), each with its licence, download limit and update window and one
  to three versions with changelogs; previews are made at once (first pages, thumbnails, a
  30-second clip), not left to a worker;
- demo buyers (Amara Okafor among them) bought them the one real way (cart, checkout with
  the sandbox card, fulfilment), their stamped copies made at once, and downloaded them on
  the following days, so sellers see a download history."""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from django.utils import timezone
from fpdf import FPDF
from fpdf.outline import OutlineSection
from PIL import Image, ImageDraw, ImageFont

from core.accounts.models import User
from core.catalog.models import Category, Product
from core.catalog.services.categories import create_category
from core.catalog.services.moderation import approve_product
from core.catalog.services.products import ProductData, create_product, transition
from core.commerce.models import OrderLine
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.fulfilment import fulfil_line
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from core.sellers.services.review import set_product_permissions
from modules.digital.manifest import DIGITAL
from modules.digital.models import Entitlement, FileVersion, Preview, StampedCopy, StampStatus
from modules.digital.services import downloads, previews, products, stamping
from tenants.demo.catalogues import BYTE_BAZAAR
from tenants.demo.images import FONT
from tenants.demo.people import demo_buyer, demo_seller, illustrate

PERSONAL = (
    "One reader, personal use. Keep copies on your own devices and print them for yourself; "
    "do not share, upload or resell the file.\n\n"
    "Every copy is stamped with its buyer's name and order, so a leaked copy can be traced."
)
COMMERCIAL = (
    "Use the files in your own business and in your clients' work, on unlimited projects. "
    "Do not resell or give away the files themselves, edited or not.\n\n"
    "Updates are included for the period shown on the product page."
)


@dataclass(frozen=True)
class Chapter:
    title: str
    paragraphs: tuple[str, ...]
    points: tuple[str, ...]


@dataclass(frozen=True)
class Book:
    title: str
    subtitle: str
    author: str
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True)
class DemoFile:
    title: str
    name: str
    make: Callable[[int], bytes]  # version number -> content
    versions: tuple[tuple[int, str], ...]  # (days ago, changelog), oldest first


@dataclass(frozen=True)
class DemoItem:
    key: str
    seller: str
    name: str
    price: int  # USD cents
    category: str
    summary: str
    description: str
    files: tuple[DemoFile, ...]
    terms: products.TermsData
    tags: tuple[str, ...] = ()


# --- the e-books ---------------------------------------------------------------------------

PRICING = Book(
    "The Freelancer's Pricing Playbook",
    "Set your rates, write proposals that sell and get paid on time",
    "Quill Works",
    (
        Chapter(
            "Know your floor",
            (
                "Before you quote anyone, know the lowest rate that keeps your business alive. "
                "Add up a year of costs: software, hardware, insurance, an accountant, your "
                "pension and the salary you want to take home. Then count the hours you can "
                "really bill; for most freelancers that is closer to 1,000 than to 2,000.",
                "Divide the first number by the second and you have your floor. You will "
                "rarely charge it, but you will never again say yes to a project that quietly "
                "costs you money.",
            ),
            (
                "Costs include the salary you want, not the one you have",
                "Billable hours are about half of the hours you work",
                "Recalculate the floor every January",
            ),
        ),
        Chapter(
            "Price the outcome, not the hour",
            (
                "Clients do not buy hours; they buy a launched shop, a faster checkout or a "
                "report their board will read. When you price the outcome, the conversation "
                "moves from how long it takes to what it is worth.",
                "Start every proposal by writing down what changes for the client when the "
                "work is done, in their words and, where you can, in their numbers.",
            ),
            (
                "Ask what success looks like before you talk money",
                "Write the outcome in the client's words",
                "Keep a log of hours anyway: it tells you which prices work",
            ),
        ),
        Chapter(
            "Three options in every proposal",
            (
                "A single price invites a yes or a no. Three options invite a choice. Offer a "
                "lean version that solves the core problem, the version you recommend, and a "
                "premium one with more support, speed or scope.",
                "Most clients pick the middle. A surprising number pick the top, and the lean "
                "option keeps the ones on a budget talking to you instead of to a competitor.",
            ),
            (
                "Name the options after outcomes, not sizes",
                "Make the middle option the one you want to do",
                "Never discount: remove scope instead",
            ),
        ),
        Chapter(
            "Deposits, milestones and payment terms",
            (
                "Ask for a deposit of 30 to 50 percent before you start. It filters out "
                "clients who are not ready and pays for the first weeks of work. Split larger "
                "projects into milestones, each invoiced when it is delivered.",
                "Put your payment terms on the proposal, not only on the invoice: 14 days, a "
                "late fee and what happens to the work while an invoice is overdue.",
            ),
            (
                "No deposit, no start date",
                "Invoice each milestone the day it is delivered",
                "Fourteen days is a normal payment term; thirty is a favour",
            ),
        ),
        Chapter(
            "Chasing late invoices without losing the client",
            (
                "Most late payments are forgotten, not refused. A friendly reminder the day "
                "after the due date settles the majority of them. Write it as if the client "
                "simply missed it, and attach the invoice again.",
                "After a week, call. After two, pause the work and say so politely. The "
                "templates at the back of this book give you the words for each step.",
            ),
            (
                "Remind the day after the due date",
                "Call before you escalate",
                "Pause work, not the relationship",
            ),
        ),
        Chapter(
            "Raising your rates every year",
            (
                "Your skills grow every year; your rates should too. Announce new rates to "
                "existing clients two months ahead, with the date they start and what you "
                "delivered for them in the past year.",
                "New clients simply see the new price. You will lose a few old clients, and "
                "the time they free up goes to better ones.",
            ),
            (
                "Give existing clients two months' notice",
                "Remind them what you achieved together",
                "Let the cheapest client go gracefully",
            ),
        ),
    ),
)

ICON_GRIDS = Book(
    "Icon Grids: A Field Guide",
    "Consistent, crisp icons at 16, 24 and 32 pixels",
    "Pixel Forge",
    (
        Chapter(
            "Why grids",
            (
                "An icon set looks like a family when every icon shares the same proportions, "
                "stroke and padding. A grid is the cheapest way to get there: it decides the "
                "boring questions once, so each new icon only has to solve its own problem.",
                "We draw on a 24 pixel grid with 2 pixels of padding, and scale down to 16 and "
                "up to 32 with hand-tuned versions where the small size needs it.",
            ),
            (
                "Pick one base size and design there",
                "Padding is part of the grid, not an afterthought",
                "Hand-tune the smallest size",
            ),
        ),
        Chapter(
            "Keylines and the four base shapes",
            (
                "Keylines are the circle, square, portrait and landscape rectangles every icon "
                "starts from. A square looks larger than a circle of the same width, so the "
                "keylines make the square a little smaller.",
                "When an icon feels too heavy next to its neighbours, check it against the "
                "keyline it belongs to before you touch anything else.",
            ),
            (
                "Circle 20 px, square 18 px on a 24 px grid",
                "Portrait and landscape share one area",
                "Check weight against the keyline first",
            ),
        ),
        Chapter(
            "Stroke, corners and terminals",
            (
                "Choose one stroke width and keep it: 2 pixels at 24 reads well on every "
                "screen we tested. Round or square terminals are a matter of voice, but mixing "
                "them in one set reads as a mistake.",
                "Corner radii follow the stroke: a 2 pixel stroke with a 2 pixel outer radius "
                "keeps inner corners sharp enough to stay legible at 16 pixels.",
            ),
            (
                "One stroke width across the set",
                "Never mix terminal styles",
                "Outer radius equal to the stroke",
            ),
        ),
        Chapter(
            "Optical corrections",
            (
                "Geometry is a starting point, not the answer. Pointed shapes such as arrows "
                "and play buttons overshoot the keyline slightly so they look the same size as "
                "their round neighbours.",
                "Diagonal strokes look thinner than straight ones at small sizes; thicken them "
                "by a quarter pixel and snap the ends to whole pixels.",
            ),
            (
                "Let points overshoot the keyline",
                "Thicken diagonals a little at small sizes",
                "Snap ends to whole pixels",
            ),
        ),
        Chapter(
            "Exporting a set",
            (
                "Export SVG with outlined strokes and no transforms, so every tool draws them "
                "the same. Export PNG at 1x, 2x and 3x from the hand-tuned sizes, never by "
                "scaling the 24 pixel artwork.",
                "Name files after what the icon means, not what it shows: 'delete' rather than "
                "'trash-can', so the set survives a redesign.",
            ),
            (
                "Outline strokes before exporting SVG",
                "PNG from hand-tuned sizes only",
                "Name icons after meaning",
            ),
        ),
    ),
)

OFFLINE_FIRST = Book(
    "Offline-First: Notes on Calm Software",
    "What three years of building sync taught a small studio",
    "Nimbus Labs",
    (
        Chapter(
            "The network is a guest",
            (
                "Software that waits for the network teaches people to wait. We start every "
                "feature from the question: what does this do on a train with no signal? If "
                "the answer is 'shows a spinner', the design is not finished.",
                "Treat the network as a guest that comes and goes. The app works without it "
                "and is simply better when it is there.",
            ),
            (
                "Design the offline state first",
                "Never block typing on a request",
                "Show sync state quietly, not with modals",
            ),
        ),
        Chapter(
            "Local files are the truth",
            (
                "Our notes live in plain Markdown files on the user's disk. The sync service "
                "keeps copies, but it never holds the only one. People can open their notes "
                "in any editor, back them up and leave us without asking.",
                "That promise shaped everything else: the data format, the conflict rules and "
                "how we talk about trust on our pricing page.",
            ),
            (
                "Files the user can open without you",
                "The server keeps copies, never the only one",
                "Leaving must be easy",
            ),
        ),
        Chapter(
            "Sync without fear",
            (
                "Conflicts are rare but they happen, usually on the one note that matters. We "
                "merge line by line and, when two edits touch the same line, keep both and "
                "mark them, rather than guessing which one the user wanted.",
                "Every merge is reversible for thirty days. Knowing nothing is ever lost makes "
                "people braver about syncing at all.",
            ),
            (
                "Merge by line, keep both on a clash",
                "Every merge reversible for thirty days",
                "Test sync with two laptops and a flaky hotspot",
            ),
        ),
        Chapter(
            "Designing for quiet",
            (
                "Calm software does not compete for attention. Our apps send no notification "
                "the user did not ask for, and the ones they ask for can be batched into a "
                "single summary at a time they choose.",
                "The best compliment we get is that people forget the app is there until they "
                "need it, and then it is exactly where they left it.",
            ),
            (
                "No notification nobody asked for",
                "Batch what can wait",
                "Open where the user left off",
            ),
        ),
    ),
)


NEXT_LINE: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}


class _BookPdf(FPDF):
    def __init__(self, book: Book) -> None:
        super().__init__(format="A4")
        self.book = book
        self.set_auto_page_break(auto=True, margin=25)
        self.set_margins(22, 22, 22)

    def header(self) -> None:
        if self.page_no() > 2:
            self.set_font("Helvetica", "I", 8)
            self.set_text_color(120, 120, 120)
            self.cell(0, 8, self.book.title, align="R")
            self.ln(12)

    def footer(self) -> None:
        if self.page_no() > 1:
            self.set_y(-18)
            self.set_font("Helvetica", "", 8)
            self.set_text_color(120, 120, 120)
            self.cell(0, 8, f"{self.book.author}  |  page {self.page_no()}", align="L")


def _contents(pdf: FPDF, sections: list[OutlineSection]) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font("Helvetica", "B", 20)
    pdf.set_text_color(40, 30, 40)
    pdf.cell(0, 14, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 12)
    for section in sections:
        if section.level != 0:
            continue
        link = pdf.add_link(page=section.page_number)
        pdf.cell(150, 9, section.name, link=link)
        pdf.cell(0, 9, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def ebook_pdf(book: Book, *, chapters: int | None = None, edition: int = 1) -> bytes:
    """The book as a PDF: title page, contents (with bookmarks), one chapter a page or more."""
    pdf = _BookPdf(book)
    pdf.set_title(book.title)
    pdf.set_author(book.author)
    pdf.set_subject(book.subtitle)
    pdf.add_page()
    pdf.set_fill_color(122, 31, 92)
    pdf.rect(0, 0, 210, 120, style="F")
    pdf.set_y(48)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 28)
    pdf.multi_cell(0, 12, book.title, align="C", **NEXT_LINE)
    pdf.set_font("Helvetica", "", 14)
    pdf.ln(4)
    pdf.multi_cell(0, 7, book.subtitle, align="C", **NEXT_LINE)
    pdf.set_y(150)
    pdf.set_text_color(60, 40, 50)
    pdf.set_font("Helvetica", "", 13)
    pdf.cell(0, 8, book.author, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 8, f"Edition {edition}", align="C")
    pdf.add_page()
    pdf.insert_toc_placeholder(_contents)  # the contents page; the next page is begun
    for number, chapter in enumerate(book.chapters[:chapters], start=1):
        if number > 1:
            pdf.add_page()
        pdf.start_section(f"{number}. {chapter.title}")
        pdf.set_font("Helvetica", "B", 22)
        pdf.set_text_color(122, 31, 92)
        pdf.multi_cell(0, 11, f"{number}. {chapter.title}", **NEXT_LINE)
        pdf.ln(4)
        pdf.set_text_color(30, 30, 30)
        for paragraph in chapter.paragraphs:
            pdf.set_font("Times", "", 12)
            pdf.multi_cell(0, 6.5, paragraph, **NEXT_LINE)
            pdf.ln(3)
        pdf.start_section("Key points", level=1)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 9, "Key points", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for point in chapter.points:
            pdf.multi_cell(0, 6.5, f"-  {point}", **NEXT_LINE)
        pdf.ln(4)
        pdf.set_draw_color(200, 190, 195)
        pdf.set_font("Times", "I", 11)
        pdf.multi_cell(0, 6, "Notes", border="B", **NEXT_LINE)
        for _ in range(6):
            pdf.cell(0, 9, "", border="B", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --- templates, icons and sound ------------------------------------------------------------

_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.'
    '{kind}.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{part}"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def docx(lines: list[str]) -> bytes:
    """A minimal Word document, one paragraph a line."""
    body = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in lines)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            _DOCX_TYPES.format(part="word/document.xml", kind="wordprocessingml.document"),
        )
        package.writestr("_rels/.rels", _RELS.format(part="word/document.xml"))
        package.writestr(
            "word/document.xml", f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
        )
    return out.getvalue()


def xlsx(rows: list[list[str]]) -> bytes:
    """A minimal Excel workbook of one sheet (inline strings)."""
    cells = "".join(
        f'<row r="{r}">'
        + "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in row)
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            _DOCX_TYPES.format(part="xl/workbook.xml", kind="spreadsheetml.sheet").replace(
                "</Types>",
                '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
            ),
        )
        package.writestr("_rels/.rels", _RELS.format(part="xl/workbook.xml"))
        package.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_S}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            _RELS.format(part="worksheets/sheet1.xml").replace(
                "relationships/officeDocument", "relationships/worksheet"
            ),
        )
        package.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{_S}"><sheetData>{cells}</sheetData></worksheet>',
        )
    return out.getvalue()


def template_pack(version: int) -> bytes:
    documents: dict[str, bytes] = {
        "Proposal - three options.docx": docx(
            [
                "Proposal for [Client]",
                "What changes when we are done",
                "Option 1: Lean",
                "Option 2: Recommended",
                "Option 3: Premium",
                "Payment terms: 14 days",
            ]
        ),
        "Quote.docx": docx(["Quote [number]", "Valid for 30 days", "Deposit: 40 %"]),
        "Invoice.xlsx": xlsx(
            [["Item", "Hours", "Rate", "Amount"], ["Design", "12", "85", "1020"]]
            + ([["VAT 20 %", "", "", "204"]] if version > 1 else [])
        ),
        "README.txt": f"Proposal & Invoice Template Pack, version {version}\n".encode(),
    }
    if version > 1:
        documents["Rate calculator.xlsx"] = xlsx(
            [["Yearly costs", "Billable hours", "Floor rate"], ["48000", "1000", "48"]]
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name in ("README.txt", *sorted(set(documents) - {"README.txt"})):
            package.writestr(f"Quill templates/{name}", documents[name])
    return out.getvalue()


def _sheet(
    title: str, labels: list[str], draw_item: Callable[[Any, tuple[int, int]], None]
) -> bytes:
    """A contact sheet: a title and a grid of labelled items (the pack's overview picture)."""
    columns, cell = 4, 260
    rows = (len(labels) + columns - 1) // columns
    image = Image.new("RGB", (columns * cell + 80, rows * cell + 160), (255, 250, 243))
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), title, font=ImageFont.truetype(str(FONT), 44), fill=(122, 31, 92))
    small = ImageFont.truetype(str(FONT), 20)
    for index, label in enumerate(labels):
        x, y = 40 + (index % columns) * cell, 120 + (index // columns) * cell
        draw.rounded_rectangle((x, y, x + cell - 24, y + cell - 24), 16, fill=(255, 255, 255))
        draw_item(draw, (x + (cell - 24) // 2, y + 100))
        draw.text((x + 16, y + cell - 64), label, font=small, fill=(43, 26, 36))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


TEMPLATE_NAMES = ["Proposal", "Quote", "Invoice", "Rate calculator"]
ICON_NAMES = ["home", "search", "settings", "delete", "share", "download", "user", "calendar"]


def templates_sheet(version: int) -> bytes:
    def page(draw: Any, centre: tuple[int, int]) -> None:
        x, y = centre
        draw.rectangle((x - 55, y - 75, x + 55, y + 65), outline=(122, 31, 92), width=4)
        for line in range(5):
            draw.line(
                (x - 40, y - 50 + line * 22, x + 40, y - 50 + line * 22), fill=(200, 180, 190)
            )

    return _sheet("Proposal & Invoice Template Pack", TEMPLATE_NAMES, page)


def _icon_svg(name: str, index: int) -> bytes:
    shapes = (
        '<circle cx="12" cy="12" r="9"/>',
        '<rect x="4" y="4" width="16" height="16" rx="2"/>',
        '<path d="M4 20 L12 4 L20 20 Z"/>',
        '<path d="M12 3 V17 M6 11 L12 17 L18 11 M4 21 H20"/>',
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">'
        f"<title>{name}</title>{shapes[index % len(shapes)]}</svg>\n"
    ).encode()


def icon_pack(version: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("line-icons/LICENSE.txt", COMMERCIAL)
        for index, name in enumerate(ICON_NAMES * (2 if version > 1 else 1)):
            suffix = "" if index < len(ICON_NAMES) else "-filled"
            package.writestr(f"line-icons/svg/{name}{suffix}.svg", _icon_svg(name, index))
    return out.getvalue()


def icons_sheet(version: int) -> bytes:
    def icon(draw: Any, centre: tuple[int, int]) -> None:
        x, y = centre
        draw.ellipse((x - 50, y - 50, x + 50, y + 50), outline=(43, 26, 36), width=8)
        draw.line((x - 22, y, x + 22, y), fill=(43, 26, 36), width=8)

    return _sheet("Line Icons: Interface Essentials", ICON_NAMES, icon)


FILTER = "[0][1]amix=inputs=2:weights=1 0.3,lowpass=f=2400,afade=t=in:d=3,afade=t=out:st=41:d=4"


def soundscape_mp3(version: int) -> bytes:
    """45 seconds of soft rain and a low drone, by ffmpeg (as the product's previews are)."""
    with tempfile.TemporaryDirectory(prefix="souk-demo-audio-") as directory:
        target = Path(directory) / "rain.mp3"
        subprocess.run(
            [
                *("ffmpeg", "-nostdin", "-loglevel", "error", "-y"),
                *("-f", "lavfi", "-i", "anoisesrc=d=45:c=pink:r=44100:a=0.25"),
                *("-f", "lavfi", "-i", "sine=f=110:d=45:r=44100"),
                *("-filter_complex", FILTER, "-ac", "2", "-b:a", "96k", str(target)),
            ],
            check=True,
            timeout=60,
        )
        return target.read_bytes()


CATEGORIES = (
    ("E-books", "Guides and field manuals from people who make software."),
    ("Templates & assets", "Document templates, icon sets and design assets to build on."),
    ("Audio", "Soundscapes and music to work to."),
)


def _book_file(book: Book, name: str, versions: tuple[tuple[int, str], ...]) -> DemoFile:
    # Edition n has the chapters of the first edition plus one more for each later one.
    first = len(book.chapters) - len(versions) + 1
    return DemoFile(
        "The e-book (PDF)",
        name,
        lambda number: ebook_pdf(book, chapters=first + number - 1, edition=number),
        versions,
    )


ITEMS = (
    DemoItem(
        "pricing",
        "quill-works",
        PRICING.title,
        1900,
        "E-books",
        "Set your rates, write proposals that sell and get paid on time.",
        "A practical e-book for freelancers: work out the lowest rate you can take, price "
        "the outcome instead of the hour, offer three options, take deposits and chase late "
        "invoices without losing the client. Six short chapters with key points and space "
        "for your notes.",
        (
            _book_file(
                PRICING,
                "pricing-playbook.pdf",
                (
                    (75, "First edition: four chapters."),
                    (48, "New chapter 5: chasing late invoices without losing the client."),
                    (25, "New chapter 6: raising your rates every year. Typos fixed."),
                ),
            ),
        ),
        products.TermsData(
            licence_text=PERSONAL, download_limit=5, update_months=12, allow_limit_reset=True
        ),
        ("e-book", "freelance", "pricing"),
    ),
    DemoItem(
        "templates",
        "quill-works",
        "Proposal & Invoice Template Pack",
        2900,
        "Templates & assets",
        "Word and Excel templates for proposals, quotes and invoices.",
        "The documents from The Freelancer's Pricing Playbook, ready to fill in: a "
        "three-option proposal, a quote, an invoice with VAT and a rate calculator. Word and "
        "Excel files that open in LibreOffice and Google Docs too.",
        (
            DemoFile(
                "Templates (ZIP)",
                "quill-templates.zip",
                template_pack,
                (
                    (60, "First release: proposal, quote and invoice."),
                    (30, "Added the rate calculator; the invoice now totals VAT."),
                ),
            ),
            DemoFile("Overview (PNG)", "overview.png", templates_sheet, ((60, ""),)),
        ),
        products.TermsData(licence_kind="commercial", licence_text=COMMERCIAL, update_months=12),
        ("templates", "word", "excel"),
    ),
    DemoItem(
        "icon-grids",
        "pixel-forge",
        ICON_GRIDS.title,
        2400,
        "E-books",
        "Consistent, crisp icons at 16, 24 and 32 pixels.",
        "Pixel Forge's designers on the grids behind their icon sets: keylines, stroke and "
        "corners, optical corrections and exporting a set that survives a redesign.",
        (
            _book_file(
                ICON_GRIDS,
                "icon-grids.pdf",
                ((70, "First edition."), (35, "New chapter: exporting a set.")),
            ),
        ),
        products.TermsData(licence_text=PERSONAL, download_limit=10),
        ("e-book", "icons", "design"),
    ),
    DemoItem(
        "icons",
        "pixel-forge",
        "Line Icons: Interface Essentials",
        1900,
        "Templates & assets",
        "Interface icons on a 24 px grid, in SVG.",
        "Outlined SVG icons drawn on the grid from Icon Grids: A Field Guide, with a "
        "commercial licence for your apps and your clients' apps.",
        (
            DemoFile(
                "Icons (ZIP)",
                "line-icons.zip",
                icon_pack,
                ((55, "Eight outline icons."), (28, "Filled variants of every icon.")),
            ),
            DemoFile("Contact sheet (PNG)", "contact-sheet.png", icons_sheet, ((55, ""),)),
        ),
        products.TermsData(
            licence_kind="commercial",
            licence_text=COMMERCIAL,
            download_limit=10,
            watermark_images=True,
        ),
        ("icons", "svg"),
    ),
    DemoItem(
        "offline-first",
        "nimbus-labs",
        OFFLINE_FIRST.title,
        1200,
        "E-books",
        "What three years of building sync taught a small studio.",
        "Nimbus Labs on building software that works on a train: the offline state first, "
        "local files as the truth, sync without fear and designing for quiet.",
        (_book_file(OFFLINE_FIRST, "offline-first.pdf", ((40, "First edition."),)),),
        products.TermsData(licence_text=PERSONAL, download_limit=5, update_months=24),
        ("e-book", "sync", "offline"),
    ),
    DemoItem(
        "soundscape",
        "nimbus-labs",
        "Deep Work Soundscapes: Rain on the Skylight",
        900,
        "Audio",
        "Soft rain and a low drone to focus to (MP3).",
        "The soundscape behind Nimbus Focus's rain mode, to play in any player: steady rain on "
        "a skylight over a warm, low drone, with no loops you can hear.",
        (
            DemoFile(
                "Rain on the Skylight (MP3)",
                "rain-on-the-skylight.mp3",
                soundscape_mp3,
                ((30, ""),),
            ),
        ),
        products.TermsData(licence_text=PERSONAL, download_limit=3, update_months=0),
        ("audio", "focus"),
    ),
)

# Who bought what, when (days ago), and how often they downloaded since.
PURCHASES = (
    ("Amara Okafor", 16, ("pricing", "templates")),
    ("Jonas Weber", 14, ("icon-grids", "icons")),
    ("Lucía Fernández", 11, ("pricing",)),
    ("Hiroshi Tanaka", 9, ("offline-first",)),
    ("Sofia Rossi", 8, ("soundscape",)),
    ("Amara Okafor", 6, ("soundscape", "offline-first")),
    ("Priya Raman", 5, ("templates",)),
    ("Priya Raman", 3, ("icon-grids",)),
    ("Tom Becker", 2, ("pricing", "offline-first")),
)
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)


def populate(tenant_slug: str, *, password: str, seed: int) -> bool:
    """``manifest.demo``: Byte Bazaar's e-books, templates and sound, bought and downloaded,
    in the current schema. False (nothing done) elsewhere, or once digital goods are sold."""
    if tenant_slug != "byte-bazaar" or Product.objects.filter(product_type=DIGITAL).exists():
        return False
    rng = random.Random(seed)
    now = timezone.now()
    with _at(now - timedelta(days=80)):
        categories = _categories()
        sellers = {slug: _seller(slug, password) for slug in {item.seller for item in ITEMS}}
    sold = {item.key: _offer(item, sellers[item.seller], categories, now) for item in ITEMS}
    for name, days_ago, keys in PURCHASES:
        moment = now - timedelta(
            days=days_ago, hours=rng.randint(1, 10), minutes=rng.randint(0, 59)
        )
        with _at(now - timedelta(days=80)):
            buyer = demo_buyer(name, password)
        _purchase(rng, buyer, [sold[key] for key in keys], moment, now)
    return True


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _categories() -> dict[str, Category]:
    found: dict[str, Category] = {}
    last = Category.objects.count()
    for index, (name, description) in enumerate(CATEGORIES):
        existing = Category.objects.filter(name=name, parent__isnull=True).first()
        found[name] = existing or create_category(
            name=name, description=description, position=last + index
        )
    return found


def _seller(slug: str, password: str) -> Seller:
    """Byte Bazaar's seller, now allowed to sell digital goods (made when it is missing)."""
    seller = Seller.objects.filter(slug=slug).first()
    if seller is not None:
        grants = [*seller.product_type_grants, DIGITAL]
        return set_product_permissions(seller=seller, product_types=dict.fromkeys(grants))
    spec = next(spec for spec in BYTE_BAZAAR.sellers if spec.slug == slug)
    return demo_seller(
        slug=slug,
        business_name=spec.business_name,
        bio=spec.bio,
        product_types=[DIGITAL],
        password=password,
    )


def _offer(
    item: DemoItem, seller: Seller, categories: dict[str, Category], now: datetime
) -> Product:
    """The product published with its terms, files, versions and previews."""
    first_day = max(days for file in item.files for days, _ in file.versions)
    with _at(now - timedelta(days=first_day, hours=2)):
        product = create_product(
            seller=seller,
            data=ProductData(
                name=item.name,
                product_type=DIGITAL,
                prices={"USD": item.price},
                summary=item.summary,
                description=item.description,
                category_slug=categories[item.category].slug,
                tags=list(item.tags),
            ),
        )
        illustrate(product)
        transition(product=product, action="publish")
        product = approve_product(product=product)
        products.set_terms(seller_id=seller.pk, product_id=product.pk, data=item.terms)
    for demo_file in item.files:
        with _at(now - timedelta(days=first_day, hours=1)):
            digital_file = products.add_file(
                seller_id=seller.pk, product_id=product.pk, title=demo_file.title
            )
        latest: FileVersion | None = None
        for number, (days_ago, changelog) in enumerate(demo_file.versions, start=1):
            content = demo_file.make(number)
            with _at(now - timedelta(days=days_ago)):
                latest = products.upload_version(
                    seller_id=seller.pk,
                    file_id=digital_file.pk,
                    name=demo_file.name,
                    stream=io.BytesIO(content),
                    size=len(content),
                    changelog=changelog,
                )
        # At once rather than by a worker (a worker running the queued job later changes
        # nothing visible: the same previews are made again).
        if latest is not None and not Preview.objects.filter(source=latest).exists():
            previews.make_previews(version_id=latest.pk)
    return product


def _purchase(
    rng: random.Random, buyer: User, bought: list[Product], moment: datetime, now: datetime
) -> None:
    """Checkout with the sandbox card, fulfilment and the stamped copies at ``moment``; then
    a download of each file that day and a few more on the days after."""
    with _at(moment):
        cart = get_or_create_cart(buyer=buyer, token=None)
        for product in bought:
            add_product(cart=cart, product_id=product.pk)
        order, _, _ = checkout_cart(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(
                country=rng.choice(("GB", "DE", "US", "ES")), name=buyer.full_name
            ),
            idempotency_key=uuid.uuid4().hex,
            payment_method=SUCCESS_CARD,
        )
        # Fulfilment runs after the checkout's commit; here too, in case no worker listens
        # (the second run does nothing).
        for line in OrderLine.objects.filter(order=order):
            fulfil_line(line_id=line.pk)
        entitlements = list(Entitlement.objects.filter(order_line__order=order))
        for entitlement in entitlements:
            stamping.queue_stamps(entitlement_id=entitlement.pk)
            for copy_id in StampedCopy.objects.filter(
                entitlement=entitlement, status=StampStatus.PENDING
            ).values_list("pk", flat=True):
                stamping.stamp_copy(copy_id=copy_id)
    ip = f"198.51.100.{rng.randint(2, 250)}"
    agent = rng.choice(USER_AGENTS)
    for entitlement in entitlements:
        latest = stamping.latest_versions(entitlement.product_id)
        for day, version in [(0, v) for v in latest] + [
            (rng.randint(1, 4), v) for v in latest if rng.random() < 0.5
        ]:
            when = min(moment + timedelta(days=day, minutes=rng.randint(2, 90)), now)
            with _at(when):
                downloads.authorise(
                    buyer_id=buyer.pk,
                    entitlement_id=entitlement.pk,
                    version_id=version.pk,
                    ip=ip,
                    user_agent=agent,
                    now=when,
                )
