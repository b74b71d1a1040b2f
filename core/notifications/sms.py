"""The SMS channel behind one interface. ``SOUK_SMS_BACKEND`` picks it: ``console`` (the
default: logs the message, sends nothing) or ``twilio`` (Twilio's Messages API with
``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM_NUMBER``; ``TWILIO_API_BASE``
points it elsewhere, e.g. at a local server in tests)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or failed; the delivery is retried."""


class SmsBackend(Protocol):
    name: str

    def send(self, *, to: str, body: str) -> str:
        """Sends one text; returns the provider's message id. Raises ``SmsError``."""
        ...

    def describe(self) -> str:
        """What the operator page shows (never a secret)."""
        ...


class ConsoleSmsBackend:
    name = "console"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> str:
        logger.info("SMS to %s: %s", to, body)
        self.sent.append((to, body))
        return f"console-{len(self.sent)}"

    def describe(self) -> str:
        return "Console (texts are written to the log, nothing is sent)"


@dataclass
class TwilioSmsBackend:
    account_sid: str
    auth_token: str
    from_number: str
    api_base: str = "https://api.twilio.com"
    timeout: float = 10.0
    name: str = "twilio"

    def send(self, *, to: str, body: str) -> str:
        url = f"{self.api_base.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            response = requests.post(
                url,
                data={"To": to, "From": self.from_number, "Body": body},
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise SmsError(f"Twilio unreachable: {error}") from error
        if response.status_code != 201:
            try:
                message = response.json().get("message", "")
            except ValueError:
                message = response.text[:200]
            raise SmsError(f"Twilio answered {response.status_code}: {message}")
        sid = response.json().get("sid")
        if not isinstance(sid, str) or not sid:
            raise SmsError("Twilio answered without a message sid")
        return sid

    def describe(self) -> str:
        return f"Twilio (from {self.from_number}, account …{self.account_sid[-4:]})"


_console = ConsoleSmsBackend()


def sms_backend() -> SmsBackend:
    chosen = getattr(settings, "SOUK_SMS_BACKEND", "console") or "console"
    if chosen == "twilio":
        return TwilioSmsBackend(
            account_sid=getattr(settings, "TWILIO_ACCOUNT_SID", ""),
            auth_token=getattr(settings, "TWILIO_AUTH_TOKEN", ""),
            from_number=getattr(settings, "TWILIO_FROM_NUMBER", ""),
            api_base=getattr(settings, "TWILIO_API_BASE", "https://api.twilio.com"),
        )
    return _console
