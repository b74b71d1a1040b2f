"""Stripe through the official library (``stripe.StripeClient``): PaymentIntents on the
platform account (separate charges and transfers), refunds, customers, Connect Express accounts
for sellers, transfers to them and reversals of those transfers.

Every money-moving call passes the caller's idempotency key as Stripe's ``Idempotency-Key``,
so a retry after a crash never charges, refunds or transfers twice. Every object Souk creates
carries ``metadata[souk_tenant]`` (the marketplace's schema), so a webhook delivered to one
marketplace's endpoint can tell another marketplace's objects apart.

``STRIPE_API_BASE`` and ``STRIPE_CONNECT_API_BASE`` point the client at local servers in tests
and development: localstripe for payments, and a stub for the Connect endpoints localstripe
does not have. In production both are empty and everything goes to api.stripe.com."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from core.errors import ErrorKind
from core.money import Money
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.providers.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    MethodFacts,
    RefundResult,
    TransferResult,
)
from core.schema import current_schema_name

logger = logging.getLogger(__name__)

TENANT_METADATA_KEY = "souk_tenant"
# Set on the reversals Souk makes, so the transfer.reversed webhook can tell them from a
# reversal made at Stripe (which means the seller did not keep the payout).
REVERSAL_METADATA_KEY = "souk_reversal"
# The storefront finishes these with Stripe.js: stripe.handleNextAction({clientSecret}).
STRIPE_JS_ACTION_PREFIX = "stripe-js:"
TIMEOUT_SECONDS = 30
# The library retries connection errors and 409/5xx answers, with the same idempotency key.
NETWORK_RETRIES = 2
# Refusals of a transfer that are that payout's failure (the payout is marked failed and the
# seller's balance restored), not an outage to retry.
TRANSFER_REFUSAL_CODES = frozenset(
    {
        "account_invalid",
        "balance_insufficient",
        "insufficient_capabilities_for_transfer",
        "transfers_not_allowed",
    }
)
_SECRET = re.compile(r"\b(sk|rk|pk|whsec)_[A-Za-z0-9_]+")
# Where Stripe's account links lead (Express onboarding).
CONNECT_ONBOARDING_ORIGIN = "https://connect.stripe.com"


@lru_cache(maxsize=8)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def _redacted(text: str) -> str:
    return _SECRET.sub(lambda match: f"{match.group(1)}_***", text)


def _provider_error(action: str, exc: stripe.StripeError) -> NoReturn:
    """A Stripe failure as the one provider error (502: the fault is upstream). Keys are never
    echoed, even when Stripe's message quotes one."""
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        reason = "Stripe refused the platform's API key."
    elif isinstance(exc, stripe.APIConnectionError):
        reason = "Stripe could not be reached."
    elif isinstance(exc, stripe.RateLimitError):
        reason = "Stripe is rate limiting the platform; try again shortly."
    else:
        reason = _redacted(exc.user_message or type(exc).__name__)
    logger.warning(
        "stripe %s failed: %s (status %s, code %s, request %s)",
        action,
        type(exc).__name__,
        exc.http_status,
        exc.code,
        exc.request_id,
    )
    raise PaymentError(
        PaymentErrorCode.PROVIDER_ERROR,
        f"The payment provider failed to {action}: {reason}",
        details={"provider": "stripe", "code": exc.code, "request_id": exc.request_id},
        kind=ErrorKind.UPSTREAM_FAILED,
    ) from None


def _scoped(idempotency_key: str) -> str:
    """Stripe scopes idempotency keys to the Stripe account, and every marketplace shares the
    platform's: a key is scoped to the marketplace here, so payout 7 of one marketplace can
    never be answered with payout 7 of another."""
    scoped = f"{current_schema_name()}:{idempotency_key}"
    if len(scoped) > 255:  # Stripe's limit
        return "souk-" + hashlib.sha256(scoped.encode()).hexdigest()
    return scoped


def _derived_key(*parts: str) -> str:
    """An idempotency key for a call the caller gave none for (customer, account creation):
    the same request within Stripe's 24 hours answers the first object, not a second one."""
    return "souk-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _tenant_metadata(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**(extra or {}), TENANT_METADATA_KEY: current_schema_name()}


def _card_details(intent: dict[str, Any]) -> tuple[str, str]:
    method = intent.get("payment_method")
    card = method.get("card") if isinstance(method, dict) else None
    if not isinstance(card, dict):
        return "", ""
    return str(card.get("brand") or ""), str(card.get("last4") or "")


def _risk_details(intent: dict[str, Any]) -> dict[str, Any]:
    """The card's fingerprint and country, and Radar's outcome of the latest charge (when the
    intent came with it expanded)."""
    method = intent.get("payment_method")
    card = method.get("card") if isinstance(method, dict) else None
    card = card if isinstance(card, dict) else {}
    charge = intent.get("latest_charge")
    outcome = charge.get("outcome") if isinstance(charge, dict) else None
    outcome = outcome if isinstance(outcome, dict) else {}
    score = outcome.get("risk_score")
    return {
        "card_fingerprint": str(card.get("fingerprint") or ""),
        "card_country": str(card.get("country") or ""),
        "radar_risk_level": str(outcome.get("risk_level") or ""),
        "radar_risk_score": str(score) if isinstance(score, int) else "",
        "radar_outcome_type": str(outcome.get("type") or ""),
    }


def _action_url(intent: dict[str, Any]) -> str:
    next_action = intent.get("next_action") or {}
    redirect = next_action.get("redirect_to_url") or {}
    if redirect.get("url"):
        return str(redirect["url"])
    return f"{STRIPE_JS_ACTION_PREFIX}{intent.get('client_secret') or ''}"


def charge_result(intent: dict[str, Any], *, is_off_session: bool = False) -> ChargeResult:
    """A PaymentIntent (as a plain dict) in the provider-neutral shape."""
    status = intent.get("status")
    reference = str(intent["id"])
    brand, last4 = _card_details(intent)
    card = {"card_brand": brand, "card_last4": last4, **_risk_details(intent)}
    if status == "succeeded":
        method = intent.get("payment_method")
        saved = ""
        if intent.get("setup_future_usage"):
            saved = str(method.get("id") if isinstance(method, dict) else method or "")
        return ChargeResult(ChargeStatus.SUCCEEDED, reference, saved_method_reference=saved, **card)
    if status in {"requires_action", "requires_confirmation"}:
        if is_off_session:  # a renewal cannot ask the buyer
            return ChargeResult(
                ChargeStatus.FAILED,
                reference,
                "authentication_required",
                "The bank asks the cardholder to confirm this payment.",
                **card,
            )
        return ChargeResult(
            ChargeStatus.REQUIRES_ACTION, reference, action_url=_action_url(intent), **card
        )
    if status in {"processing", "requires_capture"}:
        # Not settled, and nothing for the buyer to do (automatic capture never leaves an
        # intent in requires_capture): payment_intent.succeeded or .payment_failed settles it.
        return ChargeResult(ChargeStatus.REQUIRES_ACTION, reference, **card)
    error = intent.get("last_payment_error") or {}
    return ChargeResult(
        ChargeStatus.FAILED,
        reference,
        str(error.get("decline_code") or error.get("code") or status or "payment_failed"),
        str(error.get("message") or "The payment did not go through."),
        **card,
    )


class StripeProvider:
    key = "stripe"

    def __init__(self) -> None:
        self.is_test_mode = bool(settings.STRIPE_API_BASE) or settings.STRIPE_SECRET_KEY.startswith(
            ("sk_test_", "rk_test_")
        )

    # --- clients ------------------------------------------------------------------------------

    @property
    def _payments(self) -> stripe.StripeClient:
        return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)

    @property
    def _connect(self) -> stripe.StripeClient:
        base = settings.STRIPE_CONNECT_API_BASE or settings.STRIPE_API_BASE
        return _client(settings.STRIPE_SECRET_KEY, base)

    # --- charges ------------------------------------------------------------------------------

    def method_facts(self, *, payment_method: str) -> MethodFacts:
        """The PaymentMethod's card (one read): its fingerprint names the card whatever method
        id it arrives as, so a card that lost a chargeback is refused before it is charged."""
        if not payment_method.startswith("pm_"):
            return MethodFacts()
        try:
            method = self._payments.v1.payment_methods.retrieve(payment_method).to_dict()
        except stripe.StripeError as exc:
            logger.warning("card of %s unavailable: %s", payment_method, _redacted(str(exc)))
            return MethodFacts()
        card = method.get("card")
        if not isinstance(card, dict):
            return MethodFacts()
        return MethodFacts(
            card_fingerprint=str(card.get("fingerprint") or "")[:64],
            card_country=str(card.get("country") or "")[:2].upper(),
        )

    def charge(self, request: ChargeRequest) -> ChargeResult:
        params: stripe.params.PaymentIntentCreateParams = {
            "amount": request.amount.amount,
            "currency": request.amount.currency.lower(),
            "payment_method": request.payment_method,
            # Cards only: confirming server-side with no return URL (renewals, saved cards).
            "allowed_payment_method_types": ["card"],
            "confirm": True,
            "metadata": _tenant_metadata(request.metadata),
            # The charge for Radar's outcome (core.risk records it).
            "expand": ["payment_method", "latest_charge"],
        }
        if request.description:
            params["description"] = request.description
        if request.customer_reference:
            params["customer"] = request.customer_reference
        if request.transfer_group:
            params["transfer_group"] = request.transfer_group
        if request.save_method:
            params["setup_future_usage"] = "off_session"
        if request.off_session:
            params["off_session"] = True
        try:
            intent = self._payments.v1.payment_intents.create(
                params, {"idempotency_key": _scoped(request.idempotency_key)}
            )
        except stripe.CardError as exc:
            return self._declined(exc)
        except stripe.StripeError as exc:
            _provider_error("create the payment", exc)
        return charge_result(intent.to_dict(), is_off_session=request.off_session)

    def _declined(self, exc: stripe.CardError) -> ChargeResult:
        """A declined card: Stripe answers 402 and names the PaymentIntent it left behind."""
        error = exc.error
        reference = ""
        if error is not None and error.payment_intent is not None:
            reference = str(error.payment_intent["id"])
        elif error is not None and error.charge:
            try:
                charge = self._payments.v1.charges.retrieve(error.charge)
            except stripe.StripeError as lookup_error:
                _provider_error("look up the declined charge", lookup_error)
            intent = charge.to_dict().get("payment_intent")
            reference = str(intent.get("id") if isinstance(intent, dict) else intent or "")
        code = (error.decline_code if error is not None else None) or exc.code or "card_declined"
        return ChargeResult(
            ChargeStatus.FAILED,
            reference,
            str(code),
            _redacted(exc.user_message or "The card was declined."),
        )

    def confirm(self, *, reference: str, confirmation: str) -> ChargeResult:
        """After the buyer finished 3-D Secure with Stripe.js the intent has moved on by itself;
        one left waiting for the server's confirmation (manual confirmation) is confirmed here.
        ``confirmation`` is the sandbox's code and has no meaning for Stripe."""
        try:
            intent = self._payments.v1.payment_intents.retrieve(
                reference, {"expand": ["payment_method"]}
            )
            if intent.status == "requires_confirmation":
                # No key of ours: confirming is only asked in this one state, and the library
                # keeps its own key across its retries.
                intent = self._payments.v1.payment_intents.confirm(
                    reference, {"expand": ["payment_method"]}
                )
        except stripe.CardError as exc:
            return self._declined(exc)
        except stripe.StripeError as exc:
            _provider_error("confirm the payment", exc)
        return charge_result(intent.to_dict())

    def setup_method(
        self, *, payment_method: str, customer_reference: str, idempotency_key: str
    ) -> ChargeResult:
        """A SetupIntent: the card is kept for off-session renewals without a charge (a free
        trial's checkout). Created, then confirmed with the method, as Stripe documents."""
        params: stripe.params.SetupIntentCreateParams = {"usage": "off_session"}
        if customer_reference:
            params["customer"] = customer_reference
        try:
            intent = self._payments.v1.setup_intents.create(
                params, {"idempotency_key": _scoped(idempotency_key)}
            )
            intent = self._payments.v1.setup_intents.confirm(
                intent.id,
                {"payment_method": payment_method},
                {"idempotency_key": _scoped(f"{idempotency_key}:confirm")},
            )
        except stripe.CardError as exc:
            code = (exc.error.decline_code if exc.error else None) or exc.code or "card_declined"
            return ChargeResult(
                ChargeStatus.FAILED,
                "",
                str(code),
                _redacted(exc.user_message or "The card was declined."),
            )
        except stripe.StripeError as exc:
            _provider_error("save the card", exc)
        data = intent.to_dict()
        method = data.get("payment_method")
        saved = str(method.get("id") if isinstance(method, dict) else method or "")
        if data.get("status") == "succeeded":
            return ChargeResult(
                ChargeStatus.SUCCEEDED, str(data["id"]), saved_method_reference=saved
            )
        if data.get("status") in {"requires_action", "requires_confirmation"}:
            return ChargeResult(
                ChargeStatus.REQUIRES_ACTION,
                str(data["id"]),
                action_url=_action_url(data),
                saved_method_reference=saved,
            )
        error = data.get("last_setup_error") or {}
        return ChargeResult(
            ChargeStatus.FAILED,
            str(data["id"]),
            str(error.get("decline_code") or error.get("code") or "setup_failed"),
            str(error.get("message") or "The card could not be saved."),
        )

    def retrieve(self, *, reference: str) -> ChargeResult:
        try:
            intent = self._payments.v1.payment_intents.retrieve(
                reference, {"expand": ["payment_method"]}
            )
        except stripe.StripeError as exc:
            _provider_error("look up the payment", exc)
        return charge_result(intent.to_dict())

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> RefundResult:
        try:
            refund = self._payments.v1.refunds.create(
                {
                    "payment_intent": reference,
                    "amount": amount.amount,
                    "metadata": _tenant_metadata(),
                },
                {"idempotency_key": _scoped(idempotency_key)},
            )
        except stripe.StripeError as exc:
            _provider_error("refund the payment", exc)
        if refund.status in {"failed", "canceled"}:
            raise PaymentError(
                PaymentErrorCode.PROVIDER_ERROR,
                f"Stripe did not refund the payment (refund {refund.id} is {refund.status}).",
                details={"provider": "stripe", "refund": refund.id},
                kind=ErrorKind.UPSTREAM_FAILED,
            )
        return RefundResult(refund.id)

    def submit_dispute_evidence(
        self, *, dispute_reference: str, evidence: Mapping[str, str], idempotency_key: str
    ) -> str:
        """Stripe's dispute update with ``submit``: the evidence goes to the card network and
        cannot be changed afterwards. Empty fields are left out (Stripe keeps them unset)."""
        # Stripe's typed params name each evidence field; ours are a checked mapping of them.
        params: Any = {"evidence": {k: v for k, v in evidence.items() if v}, "submit": True}
        try:
            dispute = self._payments.v1.disputes.update(
                dispute_reference, params, {"idempotency_key": _scoped(idempotency_key)}
            )
        except stripe.StripeError as exc:
            _provider_error("send the chargeback evidence", exc)
        return str(dispute.status)

    def ensure_customer(self, *, email: str, name: str, existing_reference: str) -> str:
        if existing_reference:
            return existing_reference
        try:
            customer = self._payments.v1.customers.create(
                {"email": email, "name": name, "metadata": _tenant_metadata()},
                {"idempotency_key": _derived_key("customer", current_schema_name(), email, name)},
            )
        except stripe.StripeError as exc:
            _provider_error("create the customer", exc)
        return customer.id

    # --- Connect: sellers ---------------------------------------------------------------------

    def onboarding_link(
        self, *, account_reference: str, email: str, return_url: str, refresh_url: str
    ) -> tuple[str, str]:
        """An Express account (made on first call) and a single-use onboarding link to it."""
        try:
            if not account_reference:
                account = self._connect.v1.accounts.create(
                    {
                        "type": "express",
                        "email": email,
                        "capabilities": {"transfers": {"requested": True}},
                        "metadata": _tenant_metadata(),
                    },
                    {"idempotency_key": _derived_key("account", current_schema_name(), email)},
                )
                account_reference = account.id
            link = self._connect.v1.account_links.create(
                {
                    "account": account_reference,
                    "type": "account_onboarding",
                    "return_url": return_url,
                    "refresh_url": refresh_url,
                }
            )
        except stripe.StripeError as exc:
            _provider_error("prepare the seller's onboarding", exc)
        return account_reference, link.url

    def onboarding_origins(self) -> tuple[str, ...]:
        """Stripe's Connect pages; with a local Connect server configured (tests, development)
        that server plays them, so its origin is the one the links lead to."""
        base = settings.STRIPE_CONNECT_API_BASE or settings.STRIPE_API_BASE
        if not base:
            return (CONNECT_ONBOARDING_ORIGIN,)
        parts = urlsplit(base)
        port = f":{parts.port}" if parts.port else ""
        return (f"{parts.scheme}://{(parts.hostname or '').lower()}{port}",)

    def is_payouts_enabled(self, *, account_reference: str) -> bool:
        try:
            account = self._connect.v1.accounts.retrieve(account_reference)
        except stripe.StripeError as exc:
            _provider_error("look up the seller's account", exc)
        return bool(account.payouts_enabled)

    def transfer(
        self, *, account_reference: str, amount: Money, idempotency_key: str, description: str
    ) -> TransferResult:
        try:
            transfer = self._connect.v1.transfers.create(
                {
                    "amount": amount.amount,
                    "currency": amount.currency.lower(),
                    "destination": account_reference,
                    "description": description,
                    "metadata": _tenant_metadata(),
                },
                {"idempotency_key": _scoped(idempotency_key)},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code not in TRANSFER_REFUSAL_CODES:
                _provider_error("pay the seller", exc)
            return TransferResult(
                "", False, _redacted(exc.user_message or "Stripe refused the transfer.")
            )
        except stripe.StripeError as exc:
            _provider_error("pay the seller", exc)
        return TransferResult(transfer.id)

    def reverse_transfer(
        self, *, transfer_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        try:
            reversal = self._connect.v1.transfers.reversals.create(
                transfer_reference,
                {
                    "amount": amount.amount,
                    "metadata": _tenant_metadata({REVERSAL_METADATA_KEY: idempotency_key[:500]}),
                },
                {"idempotency_key": _scoped(idempotency_key)},
            )
        except stripe.StripeError as exc:
            _provider_error("take back the seller's transfer", exc)
        return RefundResult(reversal.id)
