from enum import StrEnum

from core.errors import DomainError


class IdempotencyErrorCode(StrEnum):
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


class IdempotencyError(DomainError):
    pass
