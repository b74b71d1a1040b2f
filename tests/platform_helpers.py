"""Helpers for the platform's "open your marketplace" form."""

from __future__ import annotations

import time
from typing import Any

from tenants.forms import FORM_MIN_SECONDS, issue_form_stamp

SIGN_UP = {
    "name": "Spice Route",
    "slug": "spice-route",
    "owner_email": "Founder@Spice.example",
    "owner_password": "cardamom and saffron",
    "theme": "bazaar",
    "primary_colour": "#884400",
    "modules": ["alpha"],
}


def sign_up_form(
    *, shown_seconds_ago: float = FORM_MIN_SECONDS + 3, **fields: Any
) -> dict[str, Any]:
    """The form as a person sends it: filled in for a few seconds after the page was shown,
    the honeypot left empty."""
    stamp = issue_form_stamp(issued_at=time.time() - shown_seconds_ago)
    return {**SIGN_UP, "website": "", "form_stamp": stamp, **fields}


def wait_out_form_timer(page: Any) -> None:
    """In a browser (Playwright): wait until the form has been shown as long as a person
    takes at least, measured by the page's own clock since it loaded."""
    shown_ms = float(page.evaluate("() => performance.now()"))
    page.wait_for_timeout(max(0.0, (FORM_MIN_SECONDS + 0.2) * 1000 - shown_ms))
