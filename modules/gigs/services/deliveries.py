"""Deliveries, revisions and acceptance of a gig order, split by concern:

- ``submissions``: drafts, files (checked by content, watermarked previews) and delivering;
- ``qc``: the operator's quality check of deliveries in the categories that need one;
- ``revisions``: the buyer's revision requests and a dispute's "revision" decision;
- ``acceptance``: accepting (by the buyer, or automatically after the frozen period, with
  reminders 48 h and 24 h before) and releasing the escrow.

States: in_progress -> [in_review ->] delivered -> (revision_requested -> in_progress ->
[in_review ->] delivered)* -> completed. The names stay importable from here."""

from __future__ import annotations

from modules.gigs.services.acceptance import (
    AUTO_ACCEPT_REMINDERS,
    accept,
    auto_accept,
    cancel_auto_accept,
    remind_auto_accept,
    schedule_auto_accept,
)
from modules.gigs.services.revisions import reopen_after_dispute, request_revision
from modules.gigs.services.submissions import (
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_LINKS,
    DraftData,
    attach_file,
    deliver,
    save_draft,
    sellers_delivery,
)

__all__ = [
    "AUTO_ACCEPT_REMINDERS",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_LINKS",
    "DraftData",
    "accept",
    "attach_file",
    "auto_accept",
    "cancel_auto_accept",
    "deliver",
    "remind_auto_accept",
    "reopen_after_dispute",
    "request_revision",
    "save_draft",
    "schedule_auto_accept",
    "sellers_delivery",
]
