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
from typing import Any

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from core.async_commit import ASYNC_COMMIT_CHECK, ASYNC_COMMIT_CTE, async_commit_params
from core.errors import ErrorKind
from core.prepared import fetch_one
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


# The hot path is one statement after the auth, run on its own (no BEGIN/COMMIT, and
# committed asynchronously: core.async_commit says why a log row may): it reads
# the entitlement with the version asked for, the product's stamping term, the buyer's
# stamped copy and both counts, and inserts the log row only when the version is covered,
# its copy is ready (or none is needed) and both limits allow it. The row takes the next
# number (``seq``) under a unique index, so of two concurrent requests for the last download
# one fails to insert and, run again, sees the limit reached. The update window repeats
# ``entitlements.covers`` in SQL (tests check both). Table names come from the models.
_ISSUE = (
    "WITH "
    + ASYNC_COMMIT_CTE
    + """, asked AS (
  SELECT e.id AS entitlement_id, e.download_limit, p.stamp_pdfs,
         v.id AS version_id, v.content, v.original_name, v.content_type, v.size,
         c.status AS copy_status, c.content AS copy_content,
         (v.created_at <= e.granted_at OR e.updates_until IS NULL
          OR v.created_at <= e.updates_until) AS covered,
         (SELECT count(*) FROM {download}
          WHERE entitlement_id = e.id AND version_id = v.id AND counted) AS used,
         (SELECT count(*) FROM {download} d JOIN {entitlement} mine ON mine.id = d.entitlement_id
          WHERE mine.buyer_id = %(buyer)s AND d.at > %(since)s) AS today
  FROM {entitlement} e
  JOIN {product} p ON p.id = e.product_id
  JOIN {file} f ON f.product_id = e.product_id AND f.removed_at IS NULL
  JOIN {version} v ON v.file_id = f.id AND v.id = %(version)s
  LEFT JOIN {copy} c ON c.entitlement_id = e.id AND c.version_id = v.id
  WHERE e.id = %(entitlement)s AND e.buyer_id = %(buyer)s AND e.revoked_at IS NULL
    AND """
    + ASYNC_COMMIT_CHECK
    + """
), logged AS (
  INSERT INTO {download} (entitlement_id, version_id, at, ip, user_agent, counted, seq)
  SELECT entitlement_id, version_id, %(now)s, %(ip)s, %(agent)s, true, used + 1 FROM asked
  WHERE covered
    AND NOT (stamp_pdfs AND content_type = %(pdf)s
             AND (copy_status IS NULL OR copy_status = %(pending)s))
    AND (download_limit IS NULL OR used < download_limit)
    AND today < %(daily)s
  RETURNING id
)
SELECT covered, download_limit, used, stamp_pdfs, copy_status, copy_content,
       version_id, content, original_name, content_type, size, (SELECT id FROM logged)
FROM asked
"""
)
_RACE_RETRIES = 3


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
    now = now or timezone.now()
    bounds = manifest.settings_for(current_tenant_row())
    parameters = {
        "entitlement": entitlement_id,
        "buyer": buyer_id,
        "version": version_id,
        "now": now,
        "since": now - timedelta(days=1),
        "ip": ip,
        "agent": user_agent[:300],
        "daily": bounds.downloads_per_buyer_per_day,
        "pdf": PDF,
        "pending": StampStatus.PENDING.value,
        **async_commit_params(),
    }
    row = _issue(parameters)
    if row is None or not row[0]:
        raise not_found()
    (_, limit, used, stamps, copy_status, copy_name, *version_row, logged) = row
    version = FileVersion(**dict(zip(_VERSION_FIELDS, version_row, strict=True)))
    if stamps and version.content_type == PDF and copy_status in (None, StampStatus.PENDING):
        if copy_status is None:
            with transaction.atomic():
                queue_copy(entitlement_id=entitlement_id, version_id=version.pk)
        raise DigitalError(
            DigitalErrorCode.COPY_BEING_PREPARED,
            "Your copy is being prepared with your name on it; it is ready in a moment.",
            kind=ErrorKind.CONFLICT,
        )
    if logged is None:
        if limit is not None and used >= limit:
            raise _limited(
                "You have used every download of this file. The seller can reset your downloads.",
                DigitalErrorCode.DOWNLOAD_LIMIT,
            )
        raise _limited(
            f"At most {bounds.downloads_per_buyer_per_day} downloads a day; try again later.",
            DigitalErrorCode.DAILY_DOWNLOAD_LIMIT,
        )
    field = version.content
    stamped = copy_status == StampStatus.READY and bool(copy_name)
    if stamped:
        field = StampedCopy(content=copy_name).content
    seconds = link_seconds(version.size, bounds)
    expires_at = now + timedelta(seconds=seconds)
    url = private_file_url(
        field,
        download_name=version.original_name,
        content_type=version.content_type,
        expire_seconds=seconds,
    ) or _local_url(logged, buyer_id, expires_at)
    return Grant(url, expires_at, version.original_name, version.size, stamped)


def _issue(parameters: dict[str, Any]) -> tuple[Any, ...] | None:
    """The statement, run again when a concurrent download took the same place (inside a
    caller's transaction, each try in its own savepoint)."""
    for attempt in range(_RACE_RETRIES):
        try:
            if connection.in_atomic_block:
                with transaction.atomic():
                    return _run_issue(parameters)
            return _run_issue(parameters)
        except IntegrityError:
            if attempt == _RACE_RETRIES - 1:
                raise
    return None


def _run_issue(parameters: dict[str, Any]) -> tuple[Any, ...] | None:
    return fetch_one(_sql(_ISSUE), parameters)  # prepared on the server: planned once


_VERSION_FIELDS = ("id", "content", "original_name", "content_type", "size")


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
