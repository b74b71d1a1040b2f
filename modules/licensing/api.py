"""The licensing API, mounted at ``/api/v1/licenses/``."""

from ninja import Router

router = Router()
