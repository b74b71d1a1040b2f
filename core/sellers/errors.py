from enum import StrEnum

from core.errors import DomainError


class SellerErrorCode(StrEnum):
    NOT_A_SELLER = "not_a_seller"
    SELLER_NOT_FOUND = "seller_not_found"
    ALREADY_A_SELLER = "already_a_seller"
    INVALID_BUSINESS_DETAILS = "invalid_business_details"
    ONBOARDING_INCOMPLETE = "onboarding_incomplete"
    NOT_EDITABLE = "not_editable"
    INVALID_DOCUMENT = "invalid_document"
    PRODUCT_TYPE_UNAVAILABLE = "product_type_unavailable"
    INVALID_STATE = "invalid_state"
    REASON_REQUIRED = "reason_required"
    PERMISSION_DENIED = "permission_denied"
    INVALID_PERMISSION = "invalid_permission"
    INVITATION_INVALID = "invitation_invalid"
    MEMBER_NOT_FOUND = "member_not_found"
    ALREADY_A_MEMBER = "already_a_member"
    API_KEY_NOT_FOUND = "api_key_not_found"
    INVALID_COMMISSION = "invalid_commission"
    INVALID_NAME = "invalid_name"
    EMAIL_NOT_VERIFIED = "email_not_verified"


class SellerError(DomainError):
    pass
