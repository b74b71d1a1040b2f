"""``{% payments_test_mode as is_test_mode %}``: whether the configured payment provider takes
no real money, for the banner ``base.html`` shows on every storefront page."""

from __future__ import annotations

from django import template

from core.payments.providers import get_provider

register = template.Library()


@register.simple_tag
def payments_test_mode() -> bool:
    return get_provider().is_test_mode
