"""The licensing API, mounted at ``/api/v1/licenses/`` (its seller router, ``api_seller.py``,
at ``/api/v1/licenses/seller/`` behind the manifest's permissions)."""

from ninja import Router

from modules.licensing.api_licenses import licenses_router, software_router
from modules.licensing.api_validation import validation_router

router = Router()
# The seller's software: validate, activate, deactivate, heartbeat, offline files, public key.
# No user auth (the key is the credential); its own per-key and per-IP rate limits.
router.add_router("", validation_router, tags=["licensing"])
# Buyers' licences (/mine), with its own authentication.
router.add_router("", licenses_router)
# A software product's licence set-up: product editing, so manage_products.
router.add_router("/seller/products", software_router)
