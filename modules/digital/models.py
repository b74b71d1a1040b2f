"""Digital products, their files and immutable versions, what buyers are entitled to, the
stamped copies made for them and every download. Everything lives in the marketplace's
schema; files are private objects under the tenant's prefix (``core.storage``), previews are
public.

A file's versions are immutable: an upload is a new ``FileVersion`` with the next number
and a changelog; buyers get the latest their entitlement covers and can still fetch earlier
ones. An ``Entitlement`` is one paid order line's right to the product: it snapshots the
update window and download limit in force at purchase (never retroactive) and is revoked on
refund or a lost chargeback."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

from core.schema import current_schema_name


def new_key() -> str:
    return secrets.token_hex(16)


class LicenceKind(models.TextChoices):
    PERSONAL = "personal", "Personal use"
    COMMERCIAL = "commercial", "Commercial use"


class StampCorner(models.TextChoices):
    BOTTOM_RIGHT = "bottom-right", "Bottom right"
    BOTTOM_LEFT = "bottom-left", "Bottom left"
    TOP_RIGHT = "top-right", "Top right"
    TOP_LEFT = "top-left", "Top left"


class DigitalProduct(models.Model):
    """The terms of a catalogue product of type ``digital``."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, related_name="digital"
    )
    licence_kind = models.CharField(
        max_length=12, choices=LicenceKind.choices, default=LicenceKind.PERSONAL
    )
    licence_text = models.TextField(blank=True)  # shown at checkout
    # Downloads per buyer per file version; None: unlimited.
    download_limit = models.PositiveIntegerField(null=True, blank=True)
    # Months of new versions after purchase; None: every future version.
    update_months = models.PositiveIntegerField(null=True, blank=True)
    notify_updates = models.BooleanField(default=True)
    allow_limit_reset = models.BooleanField(default=False)
    stamp_pdfs = models.BooleanField(default=True)
    stamp_corner = models.CharField(
        max_length=12, choices=StampCorner.choices, default=StampCorner.BOTTOM_RIGHT
    )
    watermark_images = models.BooleanField(default=False)
    # Stamped copies encrypted (AES-256, no user password): printable, not editable.
    protect_pdfs = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(download_limit__isnull=True) | Q(download_limit__gte=1),
                name="digital_download_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(update_months__isnull=True) | Q(update_months__lte=120),
                name="digital_update_months_range",
            ),
        ]

    def __str__(self) -> str:
        return f"digital product {self.product_id}"


class DigitalFile(models.Model):
    """One deliverable of a product: an uploaded file (with versions) or an external link."""

    product = models.ForeignKey(DigitalProduct, on_delete=models.CASCADE, related_name="files")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    external_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"file {self.pk} ({self.title})"


class PreviewStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Made"
    NONE = "none", "No preview for this kind of file"
    FAILED = "failed", "Could not be made"


def version_path(instance: FileVersion, filename: str) -> str:
    # Tenant-prefixed and private; the uploader's name is kept separately for display.
    return f"{current_schema_name()}/digital/files/{instance.file_id}/{instance.key}"


class FileVersion(models.Model):
    """An immutable upload of a file: number 1, 2, ... with its changelog."""

    file = models.ForeignKey(DigitalFile, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    key = models.CharField(max_length=32, default=new_key, unique=True)
    content = models.FileField(upload_to=version_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    changelog = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The preview job's outcome, shown to the seller beside the version.
    preview_status = models.CharField(
        max_length=8, choices=PreviewStatus.choices, default=PreviewStatus.PENDING
    )
    preview_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["file_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], name="digital_version_number"),
            models.CheckConstraint(condition=Q(size__gte=0), name="digital_version_size"),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of file {self.file_id}"


class PreviewKind(models.TextChoices):
    IMAGE = "image", "Image"
    AUDIO = "audio", "Audio clip"
    VIDEO = "video", "Video clip"


def preview_path(instance: Preview, filename: str) -> str:
    return f"{current_schema_name()}/digital/previews/{instance.product_id}/{instance.key}"


class Preview(models.Model):
    """A public preview shown on the product page: made from a version on upload (PDF pages,
    an image thumbnail, a clip), or uploaded by the seller to replace them."""

    product = models.ForeignKey(DigitalProduct, on_delete=models.CASCADE, related_name="previews")
    source = models.ForeignKey(
        FileVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="previews"
    )
    kind = models.CharField(max_length=8, choices=PreviewKind.choices)
    key = models.CharField(max_length=32, default=new_key, unique=True)
    content = models.FileField(upload_to=preview_path, max_length=300)
    content_type = models.CharField(max_length=100)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_custom = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"preview {self.pk} of product {self.product_id}"


class Entitlement(models.Model):
    """A paid order line's right to a digital product's files (one per line)."""

    product = models.ForeignKey(
        DigitalProduct, on_delete=models.PROTECT, related_name="entitlements"
    )
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    order_line = models.OneToOneField(
        "commerce.OrderLine", on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    # Snapshots of the product's terms at purchase.
    updates_until = models.DateTimeField(null=True, blank=True)  # None: every version
    download_limit = models.PositiveIntegerField(null=True, blank=True)
    limit_resets = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["buyer", "granted_at"])]

    def __str__(self) -> str:
        return f"entitlement {self.pk}"


class StampStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    UNSTAMPED = "unstamped", "Delivered without the stamp"
    FAILED = "failed", "Failed"


def stamped_path(instance: StampedCopy, filename: str) -> str:
    return f"{current_schema_name()}/digital/stamped/{instance.entitlement_id}/{instance.key}"


class StampedCopy(models.Model):
    """A buyer's own copy of a PDF version, stamped on every page and fingerprinted."""

    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.CASCADE, related_name="stamped_copies"
    )
    version = models.ForeignKey(FileVersion, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=32, default=new_key, unique=True)
    fingerprint = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=StampStatus.choices, default=StampStatus.PENDING
    )
    content = models.FileField(upload_to=stamped_path, max_length=300, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement", "version"], name="digital_one_stamp_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"stamped copy {self.pk} ({self.status})"


class Download(models.Model):
    """One download handed out: who, which version, when, from where."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="downloads")
    version = models.ForeignKey(FileVersion, on_delete=models.CASCADE, related_name="downloads")
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    counted = models.BooleanField(default=True)  # False once a limit reset forgave it
    # The counted download's number for its entitlement and version (1, 2, ...): unique, so
    # two concurrent downloads cannot both take the same place under the limit.
    seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement", "version", "seq"],
                condition=Q(counted=True),
                name="digital_download_seq",
            )
        ]
        indexes = [
            models.Index(fields=["entitlement", "version", "counted"]),
            models.Index(fields=["version", "at"]),
            models.Index(fields=["entitlement", "at"]),  # a buyer's downloads of the day
        ]

    def __str__(self) -> str:
        return f"download {self.pk}"
