"""Accounts in the seller's own software, made and removed by calling the seller's endpoints.

For a product with automatic provisioning, an issued licence gets a ``ProvisionedAccount``
(pending) and the ``provision_account`` task POSTs to the product's ``provisioning_url``
(signed like webhooks, see ``core/integrations/signing.py``)::

    {"event": "account.provision", "event_id": "prov_42",
     "license": {"id": 42, "key": "SOUK-...", "status": "active", "expires_at": null,
                 "entitlements": ["pro"]},
     "product": {"id": 7, "name": "Swift Editor", "slug": "swift-editor"},
     "buyer": {"email": "bea@example.com", "name": "Bea Buyer"},
     "order": {"id": 3, "sub_order_id": 4, "line_id": 5}}

and expects a 2xx answer ``{"account_id": "...", "credentials": {"login": "...", ...}}``
(credentials optional: what the buyer must see, stored encrypted). Failures are retried with
exponential backoff; after ``SOUK_PROVISIONING_MAX_ATTEMPTS`` (default 4) the account waits
for the seller (status manual) and both seller and buyer are told. A revoked or expired
licence is deprovisioned the same way (``account.deprovision`` to ``deprovisioning_url``;
any 2xx answer will do). The event id is the same on every retry, so the seller's side can
treat a repeated call as done."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import crypto
from core.errors import ErrorKind
from core.integrations.services.calls import (
    CLAIM_SECONDS,
    AttemptOutcome,
    backoff_seconds,
    call_seller,
)
from core.notifications.services import notify
from core.sellers.models import Seller, TeamMember, TeamPermission
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.models import (
    License,
    LicenseStatus,
    ProvisionedAccount,
    Provisioning,
    ProvisioningCallKind,
    ProvisioningStatus,
    SoftwareDetails,
)

logger = logging.getLogger(__name__)

MAX_CREDENTIALS = 20
MAX_CREDENTIAL_KEY = 60
MAX_CREDENTIAL_VALUE = 500
MAX_ACCOUNT_ID = 200
# Where an account may be removed from: anything that may exist on the seller's side.
REMOVABLE = (ProvisioningStatus.PENDING, ProvisioningStatus.PROVISIONED, ProvisioningStatus.MANUAL)


def max_attempts() -> int:
    return int(getattr(settings, "SOUK_PROVISIONING_MAX_ATTEMPTS", 4))


def _details(license: License) -> SoftwareDetails | None:
    return SoftwareDetails.objects.filter(product_id=license.product_id).first()


def _is_automatic(details: SoftwareDetails | None) -> bool:
    return bool(
        details and details.provisioning == Provisioning.AUTOMATIC and details.provisioning_url
    )


# --- starting --------------------------------------------------------------------------------


def start_provisioning(*, license_id: int) -> ProvisionedAccount | None:
    """A pending account for a licence of an automatic-provisioning product, and its first
    attempt queued after commit (once: a second call finds the account)."""
    license = License.objects.filter(pk=license_id).first()
    if license is None or license.status != LicenseStatus.ACTIVE:
        return None
    if not _is_automatic(_details(license)):
        return None
    account, is_new = ProvisionedAccount.objects.get_or_create(
        license=license,
        defaults={"status": ProvisioningStatus.PENDING, "next_attempt_at": timezone.now()},
    )
    if is_new:
        transaction.on_commit(lambda: queue_attempt(account.pk, 1, ProvisioningStatus.PENDING))
    return account


def start_deprovisioning(*, license_id: int) -> ProvisionedAccount | None:
    """The licence ended (revoked, expired): remove the buyer's account. Automatic products
    call ``deprovisioning_url``; otherwise the seller is asked to remove it by hand."""
    with transaction.atomic():
        account = (
            ProvisionedAccount.objects.select_for_update(of=("self",))
            .select_related("license")
            .filter(license_id=license_id, status__in=REMOVABLE)
            .first()
        )
        if account is None:
            return None
        details = _details(account.license)
        if details is not None and details.deprovisioning_url:
            account.status = ProvisioningStatus.DEPROVISIONING
            account.attempts = 0
            account.next_attempt_at = timezone.now()
            account.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
            transaction.on_commit(
                lambda: queue_attempt(account.pk, 1, ProvisioningStatus.DEPROVISIONING)
            )
            return account
        had_account = account.status == ProvisioningStatus.PROVISIONED
        account.status = ProvisioningStatus.DEPROVISIONED
        account.next_attempt_at = None
        account.save(update_fields=["status", "next_attempt_at", "updated_at"])
        if had_account:
            _tell_seller_to_remove(account, reason="no deprovisioning endpoint is set up")
        return account


def queue_attempt(account_id: int, attempt: int, status: str) -> None:
    from modules.licensing.tasks_provisioning import deprovision_account, provision_account

    task = provision_account if status == ProvisioningStatus.PENDING else deprovision_account
    task.delay(account_id, attempt)


# --- attempts --------------------------------------------------------------------------------


def _claim(account_id: int, attempt: int, status: str) -> ProvisionedAccount | None:
    with transaction.atomic():
        account = (
            ProvisionedAccount.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("license__product", "license__buyer", "license__policy")
            .filter(pk=account_id, status=status, attempts=attempt - 1)
            .first()
        )
        if account is None:
            return None
        account.attempts = attempt
        account.next_attempt_at = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
        account.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
        return account


def request_body(account: ProvisionedAccount, event: str) -> dict[str, Any]:
    license = account.license
    product = license.product
    line = license.order_line
    prefix = "prov" if event == "account.provision" else "deprov"
    return {
        "event": event,
        "event_id": f"{prefix}_{license.pk}",
        "license": {
            "id": license.pk,
            "key": license.key,
            "status": license.status,
            "expires_at": license.expires_at.isoformat() if license.expires_at else None,
            "entitlements": list(license.policy.entitlements),
        },
        "product": {"id": product.pk, "name": product.name, "slug": product.slug},
        "buyer": {"email": license.buyer.email, "name": license.buyer.full_name},
        "order": None
        if line is None
        else {"id": line.order_id, "sub_order_id": line.sub_order_id, "line_id": line.pk},
        "external_account_id": account.external_account_id or None,
    }


def parse_answer(text: str) -> tuple[str, dict[str, str]]:
    """(account id, credentials) from a provisioning answer; raises ValueError saying what
    is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("the answer is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    account_id = data.get("account_id")
    if not isinstance(account_id, str | int) or not 1 <= len(str(account_id)) <= MAX_ACCOUNT_ID:
        raise ValueError(f"the answer needs an account_id of 1-{MAX_ACCOUNT_ID} characters")
    credentials = data.get("credentials") or {}
    return str(account_id), clean_credentials(credentials)


def clean_credentials(credentials: object) -> dict[str, str]:
    if not isinstance(credentials, dict) or len(credentials) > MAX_CREDENTIALS:
        raise ValueError(f"credentials are an object of at most {MAX_CREDENTIALS} entries")
    cleaned: dict[str, str] = {}
    for key, value in credentials.items():
        if not isinstance(value, str | int) or not 1 <= len(str(key)) <= MAX_CREDENTIAL_KEY:
            raise ValueError("credentials map names (1-60 characters) to text")
        if len(str(value)) > MAX_CREDENTIAL_VALUE:
            raise ValueError(f"a credential is at most {MAX_CREDENTIAL_VALUE} characters")
        cleaned[str(key)] = str(value)
    return cleaned


def _answer_fault(text: str) -> str:
    try:
        parse_answer(text)
    except ValueError as exc:
        return f"Unusable answer: {exc}"
    return ""


def redact_credentials(text: str) -> str:
    """The answer as the integration log keeps it: credentials are only stored encrypted."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict) and data.get("credentials"):
        data["credentials"] = "[redacted]"
        return json.dumps(data)
    return text


def attempt_provisioning(*, account_id: int, attempt: int) -> AttemptOutcome:
    account = _claim(account_id, attempt, ProvisioningStatus.PENDING)
    if account is None:
        return AttemptOutcome("skipped")
    license = account.license
    details = _details(license)
    if details is None or not _is_automatic(details):  # the seller switched to manual
        _give_up(account, attempt, "Automatic provisioning is no longer set up.")
        return AttemptOutcome(ProvisioningStatus.MANUAL)
    result = call_seller(
        seller_id=license.seller_id,
        kind=ProvisioningCallKind.PROVISION,
        url=details.provisioning_url,
        event_id=f"prov_{license.pk}",
        event_type="account.provision",
        body=request_body(account, "account.provision"),
        check=_answer_fault,
        redact=redact_credentials,
    )
    if result.is_success:
        external_id, credentials = parse_answer(result.body)
        return _record_success(account, attempt, external_id, credentials)
    if attempt < max_attempts():
        delay = backoff_seconds(attempt)
        ProvisionedAccount.objects.filter(
            pk=account.pk, status=ProvisioningStatus.PENDING, attempts=attempt
        ).update(
            last_error=result.error[:500],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            updated_at=timezone.now(),
        )
        return AttemptOutcome(ProvisioningStatus.PENDING, delay)
    _give_up(account, attempt, result.error)
    return AttemptOutcome(ProvisioningStatus.MANUAL)


def _record_success(
    account: ProvisionedAccount, attempt: int, external_id: str, credentials: dict[str, str]
) -> AttemptOutcome:
    with transaction.atomic():
        locked = ProvisionedAccount.objects.select_for_update().get(pk=account.pk)
        locked.external_account_id = external_id
        locked.credentials_encrypted = crypto.encrypt(json.dumps(credentials))
        locked.last_error = ""
        fields = ["external_account_id", "credentials_encrypted", "last_error", "updated_at"]
        # A licence revoked while the call was out keeps its deprovisioning status: the
        # account id recorded here is what the deprovisioning call names.
        is_current = locked.status == ProvisioningStatus.PENDING and locked.attempts == attempt
        if is_current:
            locked.status = ProvisioningStatus.PROVISIONED
            locked.next_attempt_at = None
            fields += ["status", "next_attempt_at"]
        locked.save(update_fields=fields)
        if is_current:
            _tell_buyer_ready(locked)
    return AttemptOutcome(locked.status)


def _give_up(account: ProvisionedAccount, attempt: int, error: str) -> None:
    updated = ProvisionedAccount.objects.filter(
        pk=account.pk, status=ProvisioningStatus.PENDING, attempts=attempt
    ).update(
        status=ProvisioningStatus.MANUAL,
        last_error=error[:500],
        next_attempt_at=None,
        updated_at=timezone.now(),
    )
    if updated:
        logger.warning(
            "provisioning of licence %s fell back to manual: %s", account.license_id, error
        )
        account.last_error = error
        _tell_of_fallback(account)


def attempt_deprovisioning(*, account_id: int, attempt: int) -> AttemptOutcome:
    account = _claim(account_id, attempt, ProvisioningStatus.DEPROVISIONING)
    if account is None:
        return AttemptOutcome("skipped")
    license = account.license
    details = _details(license)
    url = details.deprovisioning_url if details is not None else ""
    if not url:
        error = "No deprovisioning endpoint is set up."
    else:
        result = call_seller(
            seller_id=license.seller_id,
            kind=ProvisioningCallKind.DEPROVISION,
            url=url,
            event_id=f"deprov_{license.pk}",
            event_type="account.deprovision",
            body=request_body(account, "account.deprovision"),
        )
        error = result.error
    current = ProvisionedAccount.objects.filter(
        pk=account.pk, status=ProvisioningStatus.DEPROVISIONING, attempts=attempt
    )
    if not error:
        current.update(
            status=ProvisioningStatus.DEPROVISIONED,
            last_error="",
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        return AttemptOutcome(ProvisioningStatus.DEPROVISIONED)
    if url and attempt < max_attempts():
        delay = backoff_seconds(attempt)
        current.update(
            last_error=error[:500],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            updated_at=timezone.now(),
        )
        return AttemptOutcome(ProvisioningStatus.DEPROVISIONING, delay)
    # Stays "deprovisioning" with the error: the seller removes the account by hand.
    if current.update(last_error=error[:500], next_attempt_at=None, updated_at=timezone.now()):
        _tell_seller_to_remove(account, reason=error)
    return AttemptOutcome(ProvisioningStatus.DEPROVISIONING)


def overdue_accounts(*, grace_seconds: int = 60) -> list[tuple[int, int, str]]:
    """(account id, next attempt, status) of attempts that were queued but lost."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    rows = ProvisionedAccount.objects.filter(
        status__in=(ProvisioningStatus.PENDING, ProvisioningStatus.DEPROVISIONING),
        next_attempt_at__lte=cutoff,
    ).values_list("pk", "attempts", "status")[:500]
    return [(pk, attempts + 1, status) for pk, attempts, status in rows]


# --- by hand ---------------------------------------------------------------------------------


def retry_provisioning(*, license: License) -> ProvisionedAccount:
    """A fresh round of automatic attempts for an account that waits for the seller (after
    they fixed their endpoint, say)."""
    if not _is_automatic(_details(license)):
        raise LicensingError(
            LicensingErrorCode.PROVISIONING_FAILED,
            "This product is not provisioned automatically; record the account by hand.",
            kind=ErrorKind.CONFLICT,
        )
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        if locked.status != LicenseStatus.ACTIVE:
            raise LicensingError(
                LicensingErrorCode.LICENSE_NOT_ACTIVE,
                f"The licence is {locked.status}; only active licences get an account.",
                kind=ErrorKind.CONFLICT,
            )
        account, _ = ProvisionedAccount.objects.select_for_update().get_or_create(
            license=locked, defaults={"status": ProvisioningStatus.MANUAL}
        )
        if account.status != ProvisioningStatus.MANUAL:
            raise LicensingError(
                LicensingErrorCode.PROVISIONING_FAILED,
                f"The account is {account.get_status_display().lower()}; only one waiting "
                "for you can be provisioned again.",
                details={"status": account.status},
                kind=ErrorKind.CONFLICT,
            )
        account.status = ProvisioningStatus.PENDING
        account.attempts = 0
        account.last_error = ""
        account.next_attempt_at = timezone.now()
        account.save()
        transaction.on_commit(lambda: queue_attempt(account.pk, 1, ProvisioningStatus.PENDING))
    return account


def record_manual_account(
    *, license: License, external_account_id: str, credentials: dict[str, str]
) -> ProvisionedAccount:
    """The seller set the buyer's account up themselves (a manual-provisioning product, or
    after automatic provisioning gave up): record it and tell the buyer."""
    external_account_id = external_account_id.strip()
    if not 1 <= len(external_account_id) <= MAX_ACCOUNT_ID:
        raise LicensingError(
            LicensingErrorCode.PROVISIONING_FAILED,
            f"Give the account id (1-{MAX_ACCOUNT_ID} characters).",
            details={"field": "external_account_id"},
            kind=ErrorKind.INVALID,
        )
    try:
        cleaned = clean_credentials(credentials)
    except ValueError as exc:
        raise LicensingError(
            LicensingErrorCode.PROVISIONING_FAILED,
            f"Invalid credentials: {exc}.",
            details={"field": "credentials"},
            kind=ErrorKind.INVALID,
        ) from None
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        if locked.status != LicenseStatus.ACTIVE:
            raise LicensingError(
                LicensingErrorCode.LICENSE_NOT_ACTIVE,
                f"The licence is {locked.status}; only active licences get an account.",
                kind=ErrorKind.CONFLICT,
            )
        account, _ = ProvisionedAccount.objects.select_for_update().get_or_create(
            license=locked, defaults={"status": ProvisioningStatus.MANUAL}
        )
        if account.status not in (ProvisioningStatus.MANUAL, ProvisioningStatus.PROVISIONED):
            raise LicensingError(
                LicensingErrorCode.PROVISIONING_FAILED,
                f"The account is {account.get_status_display().lower()}; it cannot be "
                "recorded by hand now.",
                details={"status": account.status},
                kind=ErrorKind.CONFLICT,
            )
        account.status = ProvisioningStatus.PROVISIONED
        account.external_account_id = external_account_id
        account.credentials_encrypted = crypto.encrypt(json.dumps(cleaned))
        account.last_error = ""
        account.next_attempt_at = None
        account.save()
        _tell_buyer_ready(account)
    return account


# --- notices ---------------------------------------------------------------------------------


def _seller_handlers(seller_id: int) -> list[int]:
    """The owner and the team members who configure integrations or manage customers."""
    seller = Seller.objects.get(pk=seller_id)
    user_ids = [seller.owner_id]
    for member in TeamMember.objects.filter(seller_id=seller_id, user__is_active=True):
        granted = set(member.permissions)
        if {TeamPermission.CONFIGURE_INTEGRATION, TeamPermission.MANAGE_CUSTOMERS} & granted:
            user_ids.append(member.user_id)
    return list(dict.fromkeys(user_ids))


# The notices go through core.notifications (in-app, and e-mail as each person chose); the
# dedupe keys make a retried step tell nobody twice.


def _tell_buyer_ready(account: ProvisionedAccount) -> None:
    license = License.objects.select_related("product", "buyer").get(pk=account.license_id)
    notify(
        user_ids=[license.buyer_id],
        type_key="orders.ready",
        title=f"Your {license.product.name} account is ready",
        body=f"Your account for {license.product.name} is set up.\n\n"
        f"Account: {account.external_account_id}\n"
        "Sign-in details are in your account, beside the licence.\n",
        url=f"/licenses/{license.pk}/",
        dedupe_key=f"licensing.ready:{account.pk}",
    )


def _tell_of_fallback(account: ProvisionedAccount) -> None:
    license = License.objects.select_related("product", "buyer").get(pk=account.license_id)
    product = license.product.name
    notify(
        user_ids=_seller_handlers(license.seller_id),
        type_key="orders.manual_action",
        title=f"Set up an account by hand: {product}",
        body=f"Souk could not create the account of {license.buyer.email} for {product} "
        f"(licence {license.pk}) in your software: {account.last_error}\n\n"
        "Create it yourself and record the account id and any sign-in details on the "
        "integration page, or with the partner API (POST /api/v1/partner/v1/licensing/"
        "orders/{sub_order_id}/fulfil). The buyer has been told it is on its way.\n",
        url="/studio/integration/",
        dedupe_key=f"licensing.manual:{account.pk}",
    )
    notify(
        user_ids=[license.buyer_id],
        type_key="orders.delayed",
        title=f"Your {product} account is on its way",
        body=f"Thank you for buying {product}. Your licence key works already; the seller is "
        "setting up your account by hand and you will hear from us when it is ready.\n",
        url=f"/licenses/{license.pk}/",
        dedupe_key=f"licensing.delayed:{account.pk}",
    )


def _tell_seller_to_remove(account: ProvisionedAccount, *, reason: str) -> None:
    license = License.objects.select_related("product", "buyer").get(pk=account.license_id)
    notify(
        user_ids=_seller_handlers(license.seller_id),
        type_key="orders.manual_action",
        title=f"Remove an account by hand: {license.product.name}",
        body=f"Licence {license.pk} of {license.buyer.email} for {license.product.name} "
        f"has ended ({license.status}), but Souk could not remove the account "
        f"{account.external_account_id or '(no id recorded)'}: {reason}\n\n"
        "Please remove it from your software.\n",
        url="/studio/integration/",
        dedupe_key=f"licensing.remove:{account.pk}",
    )
