"""Digital goods in the partner API (``/api/v1/partner/v1/digital/``), for a seller's own
systems with an API key: upload a new version of a file (multipart, with its changelog) and
read the download log. Every operation names the seller key permission it needs
(``core.sellers.auth.seller_key_auth``, checked before the body is read); everything is the
key's seller's, another seller's file or product answers 404. Every call lands in the
seller's integration log."""

from __future__ import annotations

from ninja import Router

from core.integrations.api import log_partner_calls
from core.sellers.auth import seller_key_auth
from core.sellers.models import TeamPermission
from modules.digital import api_seller
from modules.digital.api_seller import LogPageOut, VersionOut

router = Router(tags=["digital"])
router.add_decorator(log_partner_calls, mode="view")

PRODUCTS = seller_key_auth(TeamPermission.MANAGE_PRODUCTS)

# The seller API's own handlers (they read the seller from ``authorised_seller``, which the
# key's auth sets), behind the key's permission instead of the studio session.
router.add_api_operation(
    "/files/{file_id}/versions",
    ["POST"],
    api_seller.upload_version,
    response={201: VersionOut},
    auth=PRODUCTS,
    operation_id="digital_partner_upload_version",
    summary="Upload a new version of one of your files (multipart: file, changelog)",
)
router.add_api_operation(
    "/products/{product_id}/downloads",
    ["GET"],
    api_seller.downloads_log,
    response=LogPageOut,
    auth=PRODUCTS,
    operation_id="digital_partner_downloads_log",
    summary="The product's download log, newest first (next_before pages back)",
)
