"""Order e-mails through notify(): the paid-order consumer notifies the buyer (the confirmation
with the invoice, as before) and each seller's order handlers; a redelivered event notifies
nobody twice; a buyer who switched the e-mail off gets none; a refund's e-mail is critical."""

from __future__ import annotations

from django.core import mail
from django.test import TestCase
from django_tenants.utils import schema_context

from core import events
from core.catalog.models import Product
from core.commerce.consumers import credit_and_notify_refund, invoice_and_notify_paid_order
from core.notifications.models import Notification
from core.notifications.services.preferences import update_preferences
from core.sellers.models import TeamMember, TeamPermission
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_seller
from tests.commerce_documents_helpers import Item, make_paid_order, make_refund


def dispatch_pending() -> int:
    """The outbox, then what its consumer queued after commit (the sending task), as a worker
    would run them."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return events.dispatch_pending()


def _order(tenant):
    seller = make_seller(tenant, "acme", name="Acme")
    buyer = make_user(tenant, "buyer@example.com")
    packer = make_user(tenant, "packer@example.com")
    with schema_context(tenant.schema_name):
        product = Product.objects.create(
            seller=seller, name="acme tool", slug="acme-tool", product_type="software"
        )
        TeamMember.objects.create(
            seller=seller, user=packer, permissions=[TeamPermission.PROCESS_ORDERS]
        )
        return make_paid_order(buyer, [Item(seller, product, "Acme Tool", 1000, quantity=2)])


def test_a_paid_order_notifies_the_buyer_with_the_invoice_and_the_sellers_handlers(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        invoice_and_notify_paid_order({"order_id": order.pk})
        invoice_and_notify_paid_order({"order_id": order.pk})  # redelivered
        dispatch_pending()
        kinds = sorted(Notification.objects.values_list("type_key", "user__email"))
    assert kinds == [
        ("orders.paid", "buyer@example.com"),
        ("orders.received", "acme@example.com"),
        ("orders.received", "packer@example.com"),
    ]
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert len(mail.outbox) == 3
    confirmation = by_recipient["buyer@example.com"]
    assert confirmation.subject == f"[Alpha Market] Your order {order.pk} is confirmed"
    assert "2 x Acme Tool: " in confirmation.body
    [(filename, content, content_type)] = confirmation.attachments
    assert (filename.endswith(".pdf"), content_type) == (True, "application/pdf")
    assert content.startswith(b"%PDF-")
    assert by_recipient["packer@example.com"].subject == f"[Alpha Market] New order {order.pk}"
    assert by_recipient["packer@example.com"].attachments == []


def test_a_buyer_who_switched_the_order_email_off_gets_it_in_the_app_only(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        update_preferences(user_id=order.buyer_id, channels={"orders.paid": {"email": False}})
        invoice_and_notify_paid_order({"order_id": order.pk})
        dispatch_pending()
        assert Notification.objects.filter(user_id=order.buyer_id).count() == 1
    assert "buyer@example.com" not in [message.to[0] for message in mail.outbox]


def test_the_refund_email_carries_the_credit_note_and_is_critical(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        update_preferences(user_id=order.buyer_id, is_daily_digest=True)  # no delay for money
        refund = make_refund(order, {order.lines.get(): 1200}, reason="Wrong size")
        credit_and_notify_refund({"refund_id": refund.pk})
        dispatch_pending()
    [message] = mail.outbox
    assert message.subject == f"[Alpha Market] Refund for order {order.pk}"
    assert "Reason: Wrong size" in message.body
    assert [name.endswith(".pdf") for name, _, _ in message.attachments] == [True]


def test_a_seller_review_decision_is_a_notification_with_its_email(tenant_a):
    from core.sellers.emails import notify_seller_rejected

    seller = make_seller(tenant_a, "maker", name="Maker")
    with schema_context(tenant_a.schema_name):
        seller.rejection_reason = "The document is blurry"
        notify_seller_rejected(seller=seller)
        dispatch_pending()
        notification = Notification.objects.get(user_id=seller.owner_id)
    assert (notification.type_key, notification.url) == ("sellers.reviewed", "/seller/onboarding/")
    [message] = mail.outbox
    assert message.subject == "[Alpha Market] Your seller application needs changes"
    assert "Reason: The document is blurry" in message.body
