"""Stamping a sold PDF with its buyer (pikepdf, over qpdf).

Every page gets a visible line ("Licensed to <name> <e-mail> order <n>") in a corner the
seller chooses, upright whatever the page's rotation, and an invisible fingerprint: a token
in the document information, in the XMP metadata and as invisible text (PDF text rendering
mode 3) on every page, so it survives a metadata strip and most re-saves. The rest of the
file is left as it was: outlines, links, metadata, page labels.

``find_fingerprint`` reads the token back from a PDF found in the wild (the seller's "who
leaked this?" tool maps it to the order).

Encrypted PDFs cannot be stamped without their password; ``stamp_pdf`` says so instead of
raising, and the caller delivers the file unstamped with a note to the seller.

A protected copy (``protect=True``, the product's "protect PDFs" term) is saved encrypted
with AES-256 (security handler revision 6): no password to open it, a random owner password
nobody keeps, printing allowed, editing and copying text out refused. Readers honour those
permissions; they are a deterrent, not DRM, so the stamp and the fingerprint stay the real
trace (``find_fingerprint`` opens a protected copy with the empty password)."""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any

import pikepdf

# Text drawn with a standard font (no embedding): WinAnsi covers Western European names;
# anything else is transliterated (accents dropped) or shown as "?".
FONT_SIZE = 7.0
MARGIN = 14.0
FINGERPRINT_KEY = "/SoukFingerprint"
XMP_KEY = "souk:fingerprint"
XMP_NAMESPACE = "https://souk.dev/ns/stamp/1.0/"
MARKER = "souk-fp:"
_TOKEN = re.compile(rb"souk-fp:([A-Za-z0-9_-]{8,64})")
_TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# pikepdf's stubs type ``open``/``Name`` loosely; one typed handle keeps mypy strict clean.
_pdf: Any = pikepdf
_pdf.models.metadata.PdfMetadata.register_xml_namespace(XMP_NAMESPACE, "souk")


class Corner(StrEnum):
    BOTTOM_RIGHT = "bottom-right"
    BOTTOM_LEFT = "bottom-left"
    TOP_RIGHT = "top-right"
    TOP_LEFT = "top-left"


@dataclass(frozen=True)
class Stamped:
    content: bytes | None  # None: not stamped (``reason`` says why; deliver the original)
    pages: int
    reason: str = ""


def stamp_text(*, name: str, email: str, order_number: str) -> str:
    return f"Licensed to {name} <{email}> order {order_number}"


def pdf_text(text: str) -> str:
    """``text`` as a PDF literal string's content: WinAnsi, escaped."""
    folded = "".join(
        character
        for character in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(character)
    )
    encoded = folded.encode("cp1252", "replace").decode("cp1252")
    return encoded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _text_width(text: str, size: float) -> float:
    # Helvetica averages about half an em per character: enough to keep the line on the page.
    return len(text) * size * 0.52


def _placement(
    box: tuple[float, float, float, float], rotate: int, corner: Corner, width: float
) -> tuple[str, float, float]:
    """The text matrix (without translation) and the user-space origin of a line of
    ``width`` points in ``corner`` of the page as it is displayed (after /Rotate)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    shown_w, shown_h = (h, w) if rotate in (90, 270) else (w, h)
    u = shown_w - MARGIN - width if corner.endswith("right") else MARGIN
    v = shown_h - MARGIN - FONT_SIZE if corner.startswith("top") else MARGIN
    if rotate == 90:
        return "0 1 -1 0", x0 + w - v, y0 + u
    if rotate == 180:
        return "-1 0 0 -1", x0 + w - u, y0 + h - v
    if rotate == 270:
        return "0 -1 1 0", x0 + v, y0 + h - u
    return "1 0 0 1", x0 + u, y0 + v


def _font(pdf: Any) -> Any:
    return pdf.make_indirect(
        _pdf.Dictionary(
            Type=_pdf.Name.Font,
            Subtype=_pdf.Name.Type1,
            BaseFont=_pdf.Name.Helvetica,
            Encoding=_pdf.Name.WinAnsiEncoding,
        )
    )


def protection() -> Any:
    """The encryption of a protected copy: AES-256, opened without a password, printable,
    not editable, its text not extractable (screen readers still may)."""
    return _pdf.Encryption(
        owner=secrets.token_urlsafe(32),
        user="",
        R=6,
        allow=_pdf.Permissions(
            accessibility=True,
            extract=False,
            modify_annotation=False,
            modify_assembly=False,
            modify_form=False,
            modify_other=False,
            print_lowres=True,
            print_highres=True,
        ),
    )


def stamp_pdf(
    source: IO[bytes],
    *,
    text: str,
    fingerprint: str,
    corner: Corner = Corner.BOTTOM_RIGHT,
    protect: bool = False,
) -> Stamped:
    """A copy of the PDF in ``source`` with ``text`` on every page and ``fingerprint``
    hidden in it, encrypted when ``protect`` (module docstring)."""
    if not _TOKEN_TEXT.match(fingerprint):
        raise ValueError("A fingerprint is 8-64 URL-safe characters.")
    try:
        pdf = _pdf.open(source)
    except _pdf.PasswordError:
        return Stamped(None, 0, "The PDF is encrypted: it is delivered without the stamp.")
    except _pdf.PdfError:
        return Stamped(None, 0, "The PDF could not be read: it is delivered without the stamp.")
    with pdf:
        if pdf.is_encrypted:
            return Stamped(None, 0, "The PDF is encrypted: it is delivered without the stamp.")
        font = _font(pdf)
        visible = pdf_text(text)
        width = _text_width(visible, FONT_SIZE)
        hidden = pdf_text(f"{MARKER}{fingerprint}")
        for page in pdf.pages:
            name = str(page.add_resource(font, _pdf.Name.Font, prefix="SoukStamp"))
            left, bottom, right, top = (float(value) for value in page.cropbox)
            box = (left, bottom, right, top)
            matrix, x, y = _placement(box, int(page.obj.get("/Rotate", 0)) % 360, corner, width)
            content = (
                f"q BT {name} {FONT_SIZE:.1f} Tf 0.35 0.35 0.35 rg "
                f"{matrix} {x:.2f} {y:.2f} Tm ({visible}) Tj ET Q "
                f"q BT 3 Tr {name} 1 Tf 1 0 0 1 {box[0] + 1:.2f} {box[1] + 1:.2f} Tm "
                f"({hidden}) Tj ET Q"
            ).encode("cp1252", "replace")
            # The page's own drawing is wrapped in q/Q so its graphics state cannot move ours.
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            page.contents_add(pdf.make_stream(b"\nQ\n" + content), prepend=False)
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta[XMP_KEY] = fingerprint
        pdf.docinfo[FINGERPRINT_KEY] = fingerprint
        out = io.BytesIO()
        pdf.save(out, encryption=protection() if protect else False)
        return Stamped(out.getvalue(), len(pdf.pages))


def find_fingerprint(source: IO[bytes]) -> str | None:
    """The fingerprint ``stamp_pdf`` hid in a PDF, or None (not stamped by Souk, or
    unreadable). The document information first, then the XMP metadata, then each page."""
    try:
        pdf = _pdf.open(source)
    except (_pdf.PasswordError, _pdf.PdfError):
        return None
    with pdf:
        value = pdf.docinfo.get(FINGERPRINT_KEY)
        if value is not None and _TOKEN_TEXT.match(str(value)):
            return str(value)
        try:
            meta_value = pdf.open_metadata().get(XMP_KEY)
        except Exception:  # a broken XMP packet is no reason to stop looking
            meta_value = None
        if meta_value and _TOKEN_TEXT.match(str(meta_value)):
            return str(meta_value)
        for page in pdf.pages:
            for operands, operator in _pdf.parse_content_stream(page):
                if str(operator) not in ("Tj", "TJ"):
                    continue
                found = _TOKEN.search(_operand_bytes(operands))
                if found:
                    return found.group(1).decode("ascii")
    return None


def _operand_bytes(operands: Any) -> bytes:
    chunks = []
    for operand in operands:
        if isinstance(operand, _pdf.String):
            chunks.append(bytes(operand))
        elif isinstance(operand, _pdf.Array):
            chunks.extend(bytes(item) for item in operand if isinstance(item, _pdf.String))
    return b"".join(chunks)
