"""Digital goods bought through the one checkout: the paid line's entitlement with the terms
of the moment, versions numbered and judged by content, each buyer's PDF stamped by the
background job (eager here) and traced back by the seller's "who leaked this?", a refund
ending access; another seller and another marketplace reach nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pypdfium2
import pytest
from django_tenants.utils import schema_context

from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from core.uploads import UploadRefused
from modules.digital.errors import DigitalError
from modules.digital.models import (
    DigitalProduct,
    Download,
    Entitlement,
    FileVersion,
    StampedCopy,
    StampStatus,
)
from modules.digital.services import downloads, entitlements, stamping, versions
from modules.digital.tests.helpers import Shop, handbook_pdf


def test_paying_grants_the_terms_of_the_moment_and_a_stamped_copy(
    shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(3), changelog="First edition")
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer=shop.buyer)
        assert entitlement.order_line.order_id == order.pk
        assert entitlement.download_limit == 5
        assert entitlement.updates_until == datetime(2027, 12, 7, 9, 0, tzinfo=UTC)
        # The seller tightening the terms later takes nothing from this buyer.
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(download_limit=1, update_months=1)
        entitlement.refresh_from_db()
        assert (entitlement.download_limit, entitlement.updates_until.year) == (5, 2027)

        copy = StampedCopy.objects.get(entitlement=entitlement)
        assert copy.status == StampStatus.READY
        content = copy.content.read()
    document = pypdfium2.PdfDocument(content)
    texts = [document[index].get_textpage().get_text_range() for index in range(len(document))]
    document.close()
    assert len(texts) == 3
    assert all(
        f"Licensed to Amara Okafor <amara@pdf-press.example> order {order.pk}" in text
        for text in texts
    )


def test_the_seller_finds_who_leaked_a_copy_and_nobody_else_does(
    shop: Shop, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf())
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        leaked = StampedCopy.objects.get().content.read()

        found = stamping.who_leaked(seller_id=shop.seller.pk, upload=io.BytesIO(leaked))
        assert found is not None and found.copy is not None
        assert found.copy.entitlement.order_line.order_id == order.pk
        assert found.copy.entitlement.buyer.email == "amara@pdf-press.example"

        # Another seller of the marketplace learns only that it is not one of theirs.
        rival = stamping.who_leaked(seller_id=shop.other_seller.pk, upload=io.BytesIO(leaked))
        assert rival is not None and rival.copy is None
        assert (
            stamping.who_leaked(seller_id=shop.seller.pk, upload=io.BytesIO(handbook_pdf())) is None
        )

    other = Shop(make_tenant, "other-press")
    with schema_context(other.tenant.schema_name):
        elsewhere = stamping.who_leaked(seller_id=other.seller.pk, upload=io.BytesIO(leaked))
        assert elsewhere is not None and elsewhere.copy is None


def test_an_encrypted_pdf_is_delivered_unstamped_with_a_note(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(password="secret"))
    shop.buy(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        copy = StampedCopy.objects.get()
        assert copy.status == StampStatus.UNSTAMPED
        assert "encrypted" in copy.note
        assert not copy.content


def test_versions_are_numbered_checked_by_content_and_only_for_their_seller(
    shop: Shop,
) -> None:
    first = shop.upload(handbook_pdf(), changelog="First edition")
    second = shop.upload(handbook_pdf(4), changelog="Two new chapters")

    assert (first.number, second.number) == (1, 2)
    assert second.changelog == "Two new chapters"
    assert len(second.sha256) == 64 and second.sha256 != first.sha256
    with pytest.raises(UploadRefused) as refused:
        shop.upload(b"MZ\x90\x00 a Windows program", name="handbook.pdf")
    assert "handbook.pdf" in str(refused.value)
    with schema_context(shop.tenant.schema_name), pytest.raises(DigitalError) as not_theirs:
        versions.upload_version(
            file_id=shop.file.pk,
            seller_id=shop.other_seller.pk,
            name="x.pdf",
            stream=io.BytesIO(handbook_pdf()),
            size=100,
        )
    assert not_theirs.value.code == "digital_not_found"
    with schema_context(shop.tenant.schema_name):
        assert FileVersion.objects.count() == 2


def test_updates_reach_the_buyer_within_the_window_and_a_refund_ends_access(
    shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf())
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    time_machine.move_to(datetime(2027, 6, 1, tzinfo=UTC), tick=False)
    within = shop.upload(handbook_pdf(3), changelog="Spring update")
    time_machine.move_to(datetime(2028, 1, 1, tzinfo=UTC), tick=False)
    after = shop.upload(handbook_pdf(4), changelog="Second edition")

    with schema_context(shop.tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer=shop.buyer)
        assert entitlements.covers(entitlement, within)
        assert not entitlements.covers(entitlement, after)

        with django_capture_on_commit_callbacks(execute=True):
            refund_order(
                order_id=order.pk,
                lines=None,
                reason="Bought by mistake",
                idempotency_key="refund-1",
                actor=None,
                actor_label="test",
            )
        dispatch_pending()
        entitlement.refresh_from_db()
        assert entitlement.revoked_at is not None
        assert not entitlements.covers(entitlement, within)


def test_a_version_nobody_stamped_yet_is_stamped_when_first_asked_never_sent_bare(
    shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A version published after the purchase (within the update window) and an earlier one
    had no stamped copy: the first ask makes one (the buyer is told it is being prepared,
    nothing is logged), and the link then delivers the stamped copy, never the original."""
    earlier = shop.upload(handbook_pdf(2), changelog="Draft")
    shop.upload(handbook_pdf(3), changelog="First edition")
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    time_machine.move_to(datetime(2027, 6, 1, tzinfo=UTC), tick=False)
    later = shop.upload(handbook_pdf(4), changelog="Spring update")

    with schema_context(shop.tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer=shop.buyer)
        for version, pages in ((later, 4), (earlier, 2)):
            assert not StampedCopy.objects.filter(entitlement=entitlement, version=version)

            def ask(version: FileVersion = version) -> downloads.Grant:
                return downloads.authorise(
                    buyer_id=shop.buyer.pk,
                    entitlement_id=entitlement.pk,
                    version_id=version.pk,
                    ip="203.0.113.9",
                    user_agent="test",
                )

            # The job runs eagerly once the request's transaction commits.
            with (
                django_capture_on_commit_callbacks(execute=True),
                pytest.raises(DigitalError) as preparing,
            ):
                ask()
            assert preparing.value.code == "copy_being_prepared"
            assert not Download.objects.filter(version=version).exists()
            copy = StampedCopy.objects.get(entitlement=entitlement, version=version)
            assert copy.status == StampStatus.READY

            grant = ask()
            assert grant.stamped is True
            document = pypdfium2.PdfDocument(copy.content.read())
            texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
            document.close()
            assert len(texts) == pages
            assert all(f"order {order.pk}" in text for text in texts)
            assert Download.objects.filter(version=version).count() == 1
