from enum import StrEnum

from core.errors import DomainError


class PaymentErrorCode(StrEnum):
    UNBALANCED_ENTRY = "unbalanced_entry"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    BELOW_MINIMUM_PAYOUT = "below_minimum_payout"
    PAYOUT_ACCOUNT_MISSING = "payout_account_missing"
    PAYOUT_NOT_FOUND = "payout_not_found"
    INVALID_PAYOUT = "invalid_payout"
    PROVIDER_ERROR = "provider_error"
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"
    PROVIDER_UNAVAILABLE = "payment_provider_unavailable"


class PaymentError(DomainError):
    pass
