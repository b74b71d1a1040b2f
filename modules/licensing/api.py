"""The licensing API, mounted at ``/api/v1/licenses/``."""

from ninja import Router

from modules.licensing.api_licenses import licenses_router
from modules.licensing.api_validation import validation_router

router = Router()
# The seller's software: validate, activate, deactivate, heartbeat, offline files, public key.
# No user auth (the key is the credential); its own per-key and per-IP rate limits.
router.add_router("", validation_router, tags=["licensing"])
# Buyers' and sellers' licence management (/mine, /seller/...), with its own authentication.
router.add_router("", licenses_router)
