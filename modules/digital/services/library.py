"""The buyer's library: what each of their purchases of digital goods gives them now.

One entry per entitlement (newest first): the product, its seller and licence, each offered
file with the latest version the entitlement covers (number, size, changelog, sha256) and the
earlier covered ones, the downloads left of each version, the state of the buyer's stamped
copy and the end of the update window. A refunded purchase stays listed, marked as no longer
available, with nothing to download.

The queries do not grow with the number of purchases: entitlements with their product and
seller, the files, the versions, the counted downloads and the stamped copies, each fetched
once for the whole library (``downloads_left`` is computed from the grouped counts, the same
rule as ``services.downloads.downloads_left``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count

from modules.digital.errors import not_found
from modules.digital.models import (
    DigitalFile,
    Download,
    Entitlement,
    FileVersion,
    LicenceKind,
    StampedCopy,
    StampStatus,
)
from modules.digital.services.downloads import MAX_SELF_RESETS
from modules.digital.services.entitlements import covers

REFUNDED = "Refunded: no longer available"
LIBRARY_SIZE = 500

# What the buyer reads about their stamped copy of a version.
STAMP_WORDS = {
    StampStatus.PENDING: "Your copy is being prepared",
    StampStatus.READY: "Stamped with your name",
    StampStatus.UNSTAMPED: "Delivered without the stamp",
    StampStatus.FAILED: "Delivered without the stamp",
}


@dataclass(frozen=True)
class VersionEntry:
    id: int
    number: int
    name: str
    size: int
    changelog: str
    sha256: str
    published_at: datetime
    downloads_left: int | None  # None: no limit
    download_limit: int | None
    stamp: str  # "" (no stamped copy), "pending", "ready", "unstamped"

    @property
    def stamp_words(self) -> str:
        return STAMP_WORDS.get(StampStatus(self.stamp), "") if self.stamp else ""

    @property
    def is_preparing(self) -> bool:
        return self.stamp == StampStatus.PENDING

    @property
    def can_download(self) -> bool:
        return not self.is_preparing and self.downloads_left != 0


@dataclass(frozen=True)
class FileEntry:
    id: int
    title: str
    external_url: str
    latest: VersionEntry | None
    earlier: list[VersionEntry]


@dataclass(frozen=True)
class LibraryEntry:
    entitlement_id: int
    order_id: int
    product_id: int
    product_name: str
    product_slug: str
    seller_name: str
    licence_kind: str
    licence_label: str
    licence_text: str
    granted_at: datetime
    updates_until: datetime | None
    download_limit: int | None
    refunded: bool
    can_reset: bool
    files: list[FileEntry] = field(default_factory=list)

    @property
    def status(self) -> str:
        return REFUNDED if self.refunded else "Available"

    @property
    def has_used_downloads(self) -> bool:
        """Whether a reset would give anything back (some version's count has started)."""
        return any(
            v.downloads_left is not None and v.downloads_left < (v.download_limit or 0)
            for f in self.files
            for v in ([f.latest] if f.latest else []) + f.earlier
        )

    @property
    def is_preparing(self) -> bool:
        return any(f.latest is not None and f.latest.is_preparing for f in self.files)


def library_of(buyer_id: int) -> list[LibraryEntry]:
    """The buyer's purchases of digital goods, newest first."""
    entitlements = list(
        Entitlement.objects.filter(buyer_id=buyer_id)
        .select_related("product__product__seller", "order_line")
        .order_by("-granted_at", "-id")[:LIBRARY_SIZE]
    )
    return _entries(entitlements)


def entry_of(buyer_id: int, entitlement_id: int) -> LibraryEntry:
    """One of the buyer's purchases; anyone else's (or none) is not found."""
    entitlement = (
        Entitlement.objects.filter(pk=entitlement_id, buyer_id=buyer_id)
        .select_related("product__product__seller", "order_line")
        .first()
    )
    if entitlement is None:
        raise not_found("No such purchase.")
    return _entries([entitlement])[0]


def entry_for_line(order_line_id: int) -> LibraryEntry | None:
    """The library entry of an order line (the order page's summary; the caller has checked
    the line is the viewer's)."""
    entitlement = (
        Entitlement.objects.filter(order_line_id=order_line_id)
        .select_related("product__product__seller", "order_line")
        .first()
    )
    return _entries([entitlement])[0] if entitlement is not None else None


def _entries(entitlements: list[Entitlement]) -> list[LibraryEntry]:
    standing = [e for e in entitlements if e.revoked_at is None]
    product_ids = {e.product_id for e in standing}
    files_by_product: dict[int, list[DigitalFile]] = defaultdict(list)
    versions_by_file: dict[int, list[FileVersion]] = defaultdict(list)
    used: dict[tuple[int, int], int] = {}
    stamps: dict[tuple[int, int], str] = {}
    if standing:
        for digital_file in DigitalFile.objects.filter(
            product_id__in=product_ids, removed_at__isnull=True
        ).order_by("position", "id"):
            files_by_product[digital_file.product_id].append(digital_file)
        for version in (
            FileVersion.objects.filter(
                file__product_id__in=product_ids, file__removed_at__isnull=True
            )
            .defer("content")
            .order_by("file_id", "-number")
        ):
            versions_by_file[version.file_id].append(version)
        entitlement_ids = [e.pk for e in standing]
        for row in (
            Download.objects.filter(entitlement_id__in=entitlement_ids, counted=True)
            .values("entitlement_id", "version_id")
            .annotate(n=Count("id"))
        ):
            used[(row["entitlement_id"], row["version_id"])] = int(row["n"])
        for copy in StampedCopy.objects.filter(entitlement_id__in=entitlement_ids).only(
            "entitlement_id", "version_id", "status"
        ):
            status = copy.status
            if status == StampStatus.FAILED:
                status = StampStatus.UNSTAMPED
            stamps[(copy.entitlement_id, copy.version_id)] = str(status)

    entries = []
    for entitlement in entitlements:
        terms = entitlement.product
        product = terms.product
        refunded = entitlement.revoked_at is not None
        files: list[FileEntry] = []
        if not refunded:
            for digital_file in files_by_product[terms.pk]:
                covered = [
                    _version(entitlement, v, used, stamps)
                    for v in versions_by_file[digital_file.pk]
                    if covers(entitlement, v)
                ]
                if not covered and not digital_file.external_url:
                    continue
                files.append(
                    FileEntry(
                        id=digital_file.pk,
                        title=digital_file.title,
                        external_url=digital_file.external_url,
                        latest=covered[0] if covered else None,
                        earlier=covered[1:],
                    )
                )
        entries.append(
            LibraryEntry(
                entitlement_id=entitlement.pk,
                order_id=entitlement.order_line.order_id,
                product_id=product.pk,
                product_name=product.name,
                product_slug=product.slug,
                seller_name=product.seller.business_name,
                licence_kind=terms.licence_kind,
                licence_label=LicenceKind(terms.licence_kind).label,
                licence_text=terms.licence_text,
                granted_at=entitlement.granted_at,
                updates_until=entitlement.updates_until,
                download_limit=entitlement.download_limit,
                refunded=refunded,
                can_reset=not refunded
                and terms.allow_limit_reset
                and entitlement.download_limit is not None
                and entitlement.limit_resets < MAX_SELF_RESETS,
                files=files,
            )
        )
    return entries


def _version(
    entitlement: Entitlement,
    version: FileVersion,
    used: dict[tuple[int, int], int],
    stamps: dict[tuple[int, int], str],
) -> VersionEntry:
    limit = entitlement.download_limit
    left = None if limit is None else max(0, limit - used.get((entitlement.pk, version.pk), 0))
    return VersionEntry(
        id=version.pk,
        number=version.number,
        name=version.original_name,
        size=version.size,
        changelog=version.changelog,
        sha256=version.sha256,
        published_at=version.created_at,
        downloads_left=left,
        download_limit=limit,
        stamp=stamps.get((entitlement.pk, version.pk), ""),
    )
