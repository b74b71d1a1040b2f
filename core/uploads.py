"""What a file someone uploads for someone else really is, judged by its content
(``filetype``'s magic numbers, never the name or the browser's claimed type): images,
documents, archives, audio, video and fonts; plain text only under a text name and only if
it is UTF-8. Programs and scripts are refused whatever they are called. Gig deliveries,
consulting documents and digital products all check their uploads here."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath
from typing import IO

import filetype

from core.errors import DomainError, ErrorKind

# Detected MIME types a file for someone else (a delivery, a shared document, a product) may be.
ALLOWED_TYPES = frozenset(
    {
        # images
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp",
        "image/vnd.adobe.photoshop", "image/heic", "image/avif", "image/x-icon",
        # documents
        "application/pdf", "application/rtf", "application/epub+zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        # archives
        "application/zip", "application/gzip", "application/x-tar", "application/x-7z-compressed",
        "application/x-rar-compressed", "application/x-bzip2", "application/x-xz",
        # audio and video
        "audio/mpeg", "audio/x-wav", "audio/ogg", "audio/x-flac", "audio/mp4", "audio/aac",
        "audio/x-aiff", "video/mp4", "video/quicktime", "video/webm", "video/x-matroska",
        "video/x-msvideo", "video/mpeg", "video/x-m4v",
        # fonts
        "font/ttf", "font/otf", "font/woff", "font/woff2", "application/font-woff",
    }
)  # fmt: skip
# Content no magic number names: accepted as text only under one of these names.
TEXT_SUFFIXES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".xml": "application/xml",
}
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload", "application/x-executable", "application/x-mach-binary",
        "application/x-elf", "application/vnd.microsoft.portable-executable",
        "application/x-dosexec", "application/x-sharedlib", "application/x-shockwave-flash",
        "application/vnd.android.dex", "application/x-deb", "application/x-rpm",
        "application/x-msi", "application/x-apple-diskimage",
    }
)  # fmt: skip
EXECUTABLE_SUFFIXES = frozenset(
    {
        ".exe", ".com", ".bat", ".cmd", ".msi", ".scr", ".pif", ".dll", ".so", ".dylib",
        ".sh", ".bash", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".jar", ".apk",
        ".app", ".elf", ".bin", ".run", ".deb", ".rpm", ".dmg", ".lnk", ".hta", ".cpl",
    }
)  # fmt: skip
# Magic numbers ``filetype`` does not know (ELF, Mach-O, PE, shebang scripts).
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
SNIFF_BYTES = 8192


class UploadErrorCode(StrEnum):
    FILE_REFUSED = "file_refused"  # its content is not an allowed type


class UploadRefused(DomainError):
    kind = ErrorKind.INVALID


def _refused(name: str, message: str) -> UploadRefused:
    return UploadRefused(
        UploadErrorCode.FILE_REFUSED,
        f"{name}: {message}",
        details={"field": "file", "file": name},
        kind=ErrorKind.INVALID,
    )


def _head(stream: IO[bytes]) -> bytes:
    position = stream.tell() if stream.seekable() else 0
    head = stream.read(SNIFF_BYTES)
    if stream.seekable():
        stream.seek(position)
    return bytes(head)


def checked_content_type(
    name: str, stream: IO[bytes], *, allowed: frozenset[str] = ALLOWED_TYPES, verb: str = "shared"
) -> str:
    """The file's type as its content shows it (one of ``allowed``), or a refusal naming the
    file (``verb``: what is done with it, "delivered", "shared", "sold")."""
    suffix = PurePosixPath(name.lower()).suffix
    head = _head(stream)
    if suffix in EXECUTABLE_SUFFIXES or head.startswith((b"#!", *EXECUTABLE_MAGIC)):
        raise _refused(name, f"programs and scripts cannot be {verb}.")
    kind = filetype.guess(head)
    if kind is not None:
        mime = str(kind.mime)
        if mime in EXECUTABLE_TYPES:
            raise _refused(name, f"programs and scripts cannot be {verb}.")
        if mime not in allowed:
            raise _refused(name, f"files of this type ({mime}) cannot be {verb}.")
        return mime
    if suffix in TEXT_SUFFIXES and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # not just a character cut at the sniff's end
                raise _refused(name, "this text file is not UTF-8 text.") from None
        return TEXT_SUFFIXES[suffix]
    kinds = "images, PDF and office documents, archives, audio, video, fonts or plain text"
    raise _refused(name, f"its content is not a type that can be {verb} ({kinds}).")
