"""Update notices: a new version tells each buyer it reaches (bought before it, within their
update window, not refunded) once, with a link to their library; version 1 tells nobody, and a
product that opted out tells nobody."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django_tenants.utils import schema_context

from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from core.notifications.models import Notification
from modules.digital.models import DigitalProduct, Entitlement
from modules.digital.services.updates import VERSION_PUBLISHED, notify_version
from modules.digital.tests.helpers import T0, Shop, handbook_pdf
from modules.digital.tests.test_previews import upload_now
from tests.accounts_helpers import make_user


def notices(shop: Shop, user_id: int) -> list[Notification]:
    with schema_context(shop.tenant.schema_name):
        return list(Notification.objects.filter(user_id=user_id, type_key=VERSION_PUBLISHED))


def entitlement_of(shop: Shop, user_id: int) -> Entitlement:
    with schema_context(shop.tenant.schema_name):
        return Entitlement.objects.get(buyer_id=user_id)


def test_covered_buyers_are_told_once_with_a_link_to_their_library(
    shop: Shop, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    first = upload_now(shop, capture, handbook_pdf(2))
    assert notices(shop, shop.buyer.pk) == []
    shop.buy(shop.buyer, capture)
    shop.buy(shop.buyer, capture)  # bought twice: still one notice
    time_machine.move_to(T0 + timedelta(days=30), tick=False)

    second = upload_now(shop, capture, handbook_pdf(3))

    (notice,) = notices(shop, shop.buyer.pk)
    with schema_context(shop.tenant.schema_name):
        first_entitlement = Entitlement.objects.filter(buyer=shop.buyer).order_by("pk")[0]
    assert notice.url == f"/digital/library/{first_entitlement.pk}/"
    assert "Freelancer's Handbook" in notice.title
    assert notice.data["number"] == 2 and first.number == 1
    with schema_context(shop.tenant.schema_name):
        assert notify_version(version_id=second.pk) == 0  # the job again: nobody told twice
    assert len(notices(shop, shop.buyer.pk)) == 1


def test_buyers_outside_their_window_or_refunded_are_not_told(
    shop: Shop, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    upload_now(shop, capture, handbook_pdf(2))
    shop.buy(shop.buyer, capture)  # 12 months of updates from T0
    refunded = make_user(shop.tenant, "ravi@pdf-press.example", full_name="Ravi Rao")
    order = shop.buy(refunded, capture)
    with schema_context(shop.tenant.schema_name):
        with capture(execute=True):
            refund_order(
                order_id=order.pk,
                lines=None,
                reason="Refunded",
                idempotency_key="refund-updates",
                actor=None,
                actor_label="test",
            )
        dispatch_pending()
    assert entitlement_of(shop, refunded.pk).revoked_at is not None
    time_machine.move_to(T0 + timedelta(days=200), tick=False)
    later = make_user(shop.tenant, "lena@pdf-press.example", full_name="Lena Berg")
    shop.buy(later, capture)  # 12 months from day 200
    time_machine.move_to(T0 + timedelta(days=400), tick=False)

    upload_now(shop, capture, handbook_pdf(3))

    assert notices(shop, shop.buyer.pk) == []  # window over on day 365
    assert notices(shop, refunded.pk) == []
    assert len(notices(shop, later.pk)) == 1


def test_a_product_that_opted_out_tells_nobody(
    shop: Shop, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    upload_now(shop, capture, handbook_pdf(2))
    shop.buy(shop.buyer, capture)
    with schema_context(shop.tenant.schema_name):
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(notify_updates=False)
    time_machine.move_to(T0 + timedelta(days=1), tick=False)

    upload_now(shop, capture, handbook_pdf(3))

    assert notices(shop, shop.buyer.pk) == []
