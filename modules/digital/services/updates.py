"""Telling buyers about a new version: publishing version 2 or later of a file notifies each
buyer whose entitlement covers it (not revoked, bought before it and within their update
window), once per version, unless the product opted out (``notify_updates``)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q

from core.notifications.services.notify import notify
from modules.digital.models import Entitlement, FileVersion

logger = logging.getLogger(__name__)

VERSION_PUBLISHED = "digital.version_published"


def queue_update_notice(*, version_id: int) -> None:
    """The notice job for ``version_id``, queued once the caller's transaction commits."""
    transaction.on_commit(lambda: _run(version_id))


def _run(version_id: int) -> None:
    from modules.digital.tasks import notify_version_task

    try:
        notify_version_task.delay(version_id)
    except Exception:  # the upload is committed: a notice failing never undoes it
        logger.exception("digital: the update notice of version %s failed", version_id)


def library_url(entitlement_id: int) -> str:
    return f"/digital/library/{entitlement_id}/"


def notify_version(*, version_id: int) -> int:
    """The job's work: how many buyers were told (each once per version, however often the
    job runs; a buyer with two purchases of the product gets one notice)."""
    version = (
        FileVersion.objects.select_related("file__product__product").filter(pk=version_id).first()
    )
    if version is None or version.number <= 1:
        return 0
    terms = version.file.product
    if not terms.notify_updates or version.file.removed_at is not None:
        return 0
    covered = (
        Entitlement.objects.filter(
            product=terms, revoked_at__isnull=True, granted_at__lt=version.created_at
        )
        .filter(Q(updates_until__isnull=True) | Q(updates_until__gte=version.created_at))
        .order_by("buyer_id", "granted_at")
        .values_list("pk", "buyer_id")
    )
    first_of_buyer: dict[int, int] = {}
    for entitlement_id, buyer_id in covered:
        first_of_buyer.setdefault(buyer_id, entitlement_id)
    title = f"New version of {terms.product.name}: {version.file.title}"
    body = version.changelog[:1000] or f"Version {version.number} is in your library."
    told = 0
    for buyer_id, entitlement_id in first_of_buyer.items():
        told += notify(
            user_ids=[buyer_id],
            type_key=VERSION_PUBLISHED,
            title=title,
            body=body,
            url=library_url(entitlement_id),
            data={"version_id": version.pk, "file_id": version.file_id, "number": version.number},
            dedupe_key=f"digital.version:{version.pk}",
        )
    return told
