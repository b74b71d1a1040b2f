"""Handing a buyer a download: the access check, the limits, the log and a short-lived link.

Every download is authorised here first: the entitlement is the buyer's and not revoked, the
version belongs to one of the product's offered files and is covered by the entitlement's
update window, the product's download limit for that version is not used up, and the buyer
is within the marketplace's daily downloads. Each authorised download is logged (time, IP,
user agent, version) before the link is given, and the link lives in proportion to the
file's size (``link_seconds``): presigned on S3, or a signed Souk URL served locally (with
X-Accel-Redirect / X-Sendfile when the web server offers it). A PDF with a stamped copy is
delivered as that copy; while it is being made the buyer is told to come back shortly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db import connection, transaction
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from core.errors import ErrorKind
from core.schema import current_schema_name
from core.storage import private_file_url
from modules.digital.errors import DigitalError, DigitalErrorCode, not_found
from modules.digital.manifest import DigitalSettings, manifest
from modules.digital.models import (
    DigitalFile,
    DigitalProduct,
    Download,
    Entitlement,
    FileVersion,
    StampedCopy,
    StampStatus,
)
from modules.digital.services.entitlements import covers
from modules.digital.services.stamping import PDF, queue_copy
from tenants.selectors import current_tenant_row

# A link lasts long enough to fetch the file on a slow connection (this many bytes a
# second), within the operator's bounds.
SLOW_LINK_BYTES_PER_SECOND = 256 * 1024
MAX_SELF_RESETS = 3
_SALT = "digital.download"


@dataclass(frozen=True)
class Grant:
    url: str
    expires_at: datetime
    name: str
    size: int
    stamped: bool


def link_seconds(size: int, bounds: DigitalSettings) -> int:
    """Seconds a download link lives for a file of ``size`` bytes."""
    wanted = size // SLOW_LINK_BYTES_PER_SECOND + 1
    return max(bounds.link_min_seconds, min(bounds.link_max_seconds, wanted))


def downloads_left(entitlement: Entitlement, version: FileVersion) -> int | None:
    """Downloads of ``version`` still allowed (None: no limit)."""
    if entitlement.download_limit is None:
        return None
    used = Download.objects.filter(entitlement=entitlement, version=version, counted=True).count()
    return max(0, entitlement.download_limit - used)


def _limited(message: str, code: DigitalErrorCode) -> DigitalError:
    return DigitalError(code, message, kind=ErrorKind.RATE_LIMITED)


# The hot path in two statements after the auth: the entitlement locked with the version it
# asks for, the product's stamping term and the buyer's stamped copy (statement 1); then the
# log row inserted only while both limits allow it (statement 2, which starts after the lock
# is held, so it counts every download committed before: two concurrent requests cannot
# both take the last one). Table names come from the models.
_LOCKED = """
SELECT e.download_limit, e.granted_at, e.updates_until, p.stamp_pdfs,
       v.id, v.file_id, v.number, v.content, v.original_name, v.content_type, v.size,
       v.created_at, c.status, c.content
FROM {entitlement} e
JOIN {product} p ON p.id = e.product_id
JOIN {file} f ON f.product_id = e.product_id AND f.removed_at IS NULL
JOIN {version} v ON v.file_id = f.id AND v.id = %(version)s
LEFT JOIN {copy} c ON c.entitlement_id = e.id AND c.version_id = v.id
WHERE e.id = %(entitlement)s AND e.buyer_id = %(buyer)s AND e.revoked_at IS NULL
FOR UPDATE OF e
"""
_LOG_WITHIN_LIMITS = """
INSERT INTO {download} (entitlement_id, version_id, at, ip, user_agent, counted)
SELECT %(entitlement)s, %(version)s, %(now)s, %(ip)s, %(agent)s, true
WHERE (%(limit)s::integer IS NULL OR (
        SELECT count(*) FROM {download}
        WHERE entitlement_id = %(entitlement)s AND version_id = %(version)s AND counted
      ) < %(limit)s::integer)
  AND (SELECT count(*) FROM {download} d JOIN {entitlement} e ON e.id = d.entitlement_id
       WHERE e.buyer_id = %(buyer)s AND d.at > %(since)s) < %(daily)s
RETURNING id
"""


def _sql(template: str) -> str:
    return template.format(
        entitlement=Entitlement._meta.db_table,
        product=DigitalProduct._meta.db_table,
        file=DigitalFile._meta.db_table,
        version=FileVersion._meta.db_table,
        copy=StampedCopy._meta.db_table,
        download=Download._meta.db_table,
    )


def authorise(
    *,
    buyer_id: int,
    entitlement_id: int,
    version_id: int,
    ip: str | None,
    user_agent: str,
    now: datetime | None = None,
) -> Grant:
    """A link to ``version`` for the buyer of ``entitlement_id`` (anyone else's entitlement,
    a revoked one or a version it does not cover is not found), logged as a download. A PDF
    the product stamps is delivered as the buyer's own stamped copy, made on the first ask
    for a version that has none yet (an earlier one, or one published since the purchase):
    the buyer is told it is being prepared and is notified when it is ready."""
    grant = _authorise(
        buyer_id=buyer_id,
        entitlement_id=entitlement_id,
        version_id=version_id,
        ip=ip,
        user_agent=user_agent,
        now=now or timezone.now(),
    )
    if grant is None:
        raise DigitalError(
            DigitalErrorCode.COPY_BEING_PREPARED,
            "Your copy is being prepared with your name on it; it is ready in a moment.",
            kind=ErrorKind.CONFLICT,
        )
    return grant


@transaction.atomic
def _authorise(
    *,
    buyer_id: int,
    entitlement_id: int,
    version_id: int,
    ip: str | None,
    user_agent: str,
    now: datetime,
) -> Grant | None:
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(_LOCKED),
            {"entitlement": entitlement_id, "buyer": buyer_id, "version": version_id},
        )
        row = cursor.fetchone()
    if row is None:
        raise not_found()
    (limit, granted_at, updates_until, stamps, *version_row, copy_status, copy_name) = row
    entitlement = Entitlement(
        pk=entitlement_id,
        buyer_id=buyer_id,
        download_limit=limit,
        granted_at=granted_at,
        updates_until=updates_until,
    )
    version = FileVersion(**dict(zip(_VERSION_FIELDS, version_row, strict=True)))
    if not covers(entitlement, version):
        raise not_found()
    if copy_status is None and stamps and version.content_type == PDF:
        queue_copy(entitlement_id=entitlement_id, version_id=version.pk)
        return None
    if copy_status == StampStatus.PENDING:
        return None
    field, stamped = version.content, False
    if copy_status == StampStatus.READY and copy_name:
        field, stamped = StampedCopy(content=copy_name).content, True
    bounds = manifest.settings_for(current_tenant_row())
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(_LOG_WITHIN_LIMITS),
            {
                "entitlement": entitlement_id,
                "version": version.pk,
                "buyer": buyer_id,
                "now": now,
                "ip": ip,
                "agent": user_agent[:300],
                "limit": limit,
                "since": now - timedelta(days=1),
                "daily": bounds.downloads_per_buyer_per_day,
            },
        )
        logged = cursor.fetchone()
    if logged is None:
        raise _refusal(entitlement, version, bounds)
    seconds = link_seconds(version.size, bounds)
    expires_at = now + timedelta(seconds=seconds)
    url = private_file_url(
        field,
        download_name=version.original_name,
        content_type=version.content_type,
        expire_seconds=seconds,
    ) or _local_url(logged[0], buyer_id, expires_at)
    return Grant(url, expires_at, version.original_name, version.size, stamped)


_VERSION_FIELDS = (
    "id",
    "file_id",
    "number",
    "content",
    "original_name",
    "content_type",
    "size",
    "created_at",
)


def _refusal(
    entitlement: Entitlement, version: FileVersion, bounds: DigitalSettings
) -> DigitalError:
    """Which limit stopped the download (only on a refusal, so it may cost a query)."""
    if downloads_left(entitlement, version) == 0:
        return _limited(
            "You have used every download of this file. The seller can reset your downloads.",
            DigitalErrorCode.DOWNLOAD_LIMIT,
        )
    return _limited(
        f"At most {bounds.downloads_per_buyer_per_day} downloads a day; try again later.",
        DigitalErrorCode.DAILY_DOWNLOAD_LIMIT,
    )


def _local_url(download_id: int, buyer_id: int, expires_at: datetime) -> str:
    claims = {
        "d": download_id,
        "u": buyer_id,
        "s": current_schema_name(),
        "e": int(expires_at.timestamp()),
    }
    token = signing.dumps(claims, salt=_SALT, compress=True)
    return reverse("digital:fetch", args=[token])


@dataclass(frozen=True)
class Fetch:
    field: FieldFile
    name: str
    content_type: str


def fetch_for_token(*, token: str, user_id: int | None, now: datetime | None = None) -> Fetch:
    """The file behind a signed local link: fresh, made for this user in this marketplace,
    and its entitlement still standing (a refund afterwards closes the link too)."""
    now = now or timezone.now()
    try:
        claims = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise not_found() from None
    if (
        not isinstance(claims, dict)
        or claims.get("u") != user_id
        or claims.get("s") != current_schema_name()
        or not isinstance(claims.get("e"), int)
        or claims["e"] < now.timestamp()
        or not isinstance(claims.get("d"), int)
    ):
        raise not_found()
    download = (
        Download.objects.select_related("version", "entitlement")
        .filter(pk=int(claims["d"]), entitlement__revoked_at__isnull=True)
        .first()
    )
    if download is None:
        raise not_found()
    version = download.version
    copy = StampedCopy.objects.filter(
        entitlement=download.entitlement, version=version, status=StampStatus.READY
    ).first()
    field = copy.content if copy is not None and copy.content else version.content
    return Fetch(field, version.original_name, version.content_type)


@transaction.atomic
def reset_limit(*, buyer_id: int, entitlement_id: int) -> int:
    """The buyer's self-service reset, where the seller allows it (a few times per
    purchase): counted downloads are forgiven. Returns how many were."""
    entitlement = (
        Entitlement.objects.select_for_update()
        .select_related("product")
        .filter(pk=entitlement_id, buyer_id=buyer_id, revoked_at__isnull=True)
        .first()
    )
    if entitlement is None:
        raise not_found()
    if not entitlement.product.allow_limit_reset or entitlement.limit_resets >= MAX_SELF_RESETS:
        raise DigitalError(
            DigitalErrorCode.RESET_NOT_ALLOWED,
            "Ask the seller to reset your downloads.",
            kind=ErrorKind.FORBIDDEN,
        )
    forgiven = Download.objects.filter(entitlement=entitlement, counted=True).update(counted=False)
    entitlement.limit_resets += 1
    entitlement.save(update_fields=["limit_resets"])
    return forgiven
