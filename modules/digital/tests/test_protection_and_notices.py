"""Protected PDFs and the notices of a stamped copy, bought through the one checkout (the
stamping job runs eagerly): a product with "protect PDFs" delivers copies encrypted with
AES-256 that open without a password, print but refuse editing and copying, and still carry
the stamp on every page (read back with pypdf) and the fingerprint "who leaked this?"
finds. The buyer is told once that their copy is ready; a copy that went out unstamped
tells the buyer why and the product's seller too, once, and nobody else."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pypdf
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.notifications.models import Notification
from modules.digital.models import DigitalProduct, Entitlement, StampedCopy, StampStatus
from modules.digital.processing.stamping import find_fingerprint
from modules.digital.services import stamping
from modules.digital.tests.helpers import Shop, handbook_pdf


def notices(shop: Shop, type_key: str) -> list[Notification]:
    with schema_context(shop.tenant.schema_name):
        return list(Notification.objects.filter(type_key=type_key).order_by("pk"))


def owner_of(shop: Shop, seller: Any) -> User:
    with schema_context(shop.tenant.schema_name):
        return User.objects.get(pk=seller.owner_id)


def test_a_protected_copy_prints_refuses_editing_and_still_names_its_buyer(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context(shop.tenant.schema_name):
        DigitalProduct.objects.filter(pk=shop.terms.pk).update(protect_pdfs=True)
    shop.upload(handbook_pdf(3))
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        copy = StampedCopy.objects.get()
        assert copy.status == StampStatus.READY
        content = copy.content.read()
        leak = stamping.who_leaked(seller_id=shop.seller.pk, upload=io.BytesIO(content))
    with pikepdf.open(io.BytesIO(content)) as pdf:  # no password needed to open it
        assert pdf.is_encrypted
        assert (pdf.encryption.R, pdf.encryption.bits) == (6, 256)
        assert pdf.allow.print_highres and pdf.allow.print_lowres
        assert not pdf.allow.modify_other and not pdf.allow.modify_annotation
        assert not pdf.allow.modify_form and not pdf.allow.modify_assembly
        assert not pdf.allow.extract
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert reader.is_encrypted
    reader.decrypt("")
    stamp = f"Licensed to Amara Okafor <amara@pdf-press.example> order {order.pk}"
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 3 and all(stamp in text for text in texts)
    assert find_fingerprint(io.BytesIO(content)) == copy.fingerprint
    assert leak is not None and leak.copy is not None and leak.copy.pk == copy.pk


def test_an_unprotected_product_delivers_an_unencrypted_copy(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(1))
    shop.buy(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        content = StampedCopy.objects.get().content.read()
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert not pdf.is_encrypted


def test_the_buyer_is_told_once_that_the_copy_is_ready(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(2))
    shop.buy(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        copy = StampedCopy.objects.get()
        entitlement = Entitlement.objects.get()
        assert stamping.stamp_copy(copy_id=copy.pk) == StampStatus.READY  # the job again
        # Even a copy made afresh is not announced twice.
        StampedCopy.objects.filter(pk=copy.pk).update(status=StampStatus.PENDING)
        assert stamping.stamp_copy(copy_id=copy.pk) == StampStatus.READY

    (ready,) = notices(shop, stamping.COPY_READY)
    assert ready.user_id == shop.buyer.pk
    assert ready.url == f"/digital/library/{entitlement.pk}/"
    assert ready.title == "Your copy of Freelancer's Handbook is ready: The handbook (PDF)"
    assert ready.body == "Version 1 of The handbook (PDF) is in your library."
    assert ready.data["copy_id"] == copy.pk
    assert notices(shop, stamping.COPY_UNSTAMPED) == []


def test_an_unstamped_copy_tells_the_buyer_and_the_seller_why_once(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(password="secret"))
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        copy = StampedCopy.objects.get()
        assert copy.status == StampStatus.UNSTAMPED
        assert stamping.stamp_copy(copy_id=copy.pk) == StampStatus.UNSTAMPED  # the job again

    (ready,) = notices(shop, stamping.COPY_READY)
    assert ready.user_id == shop.buyer.pk
    assert ready.body == (
        "Version 1 of The handbook (PDF) is in your library. It comes without your personal "
        "stamp: The PDF is encrypted: it is delivered without the stamp."
    )
    (unstamped,) = notices(shop, stamping.COPY_UNSTAMPED)
    seller_owner = owner_of(shop, shop.seller)
    assert unstamped.user_id == seller_owner.pk
    assert unstamped.user_id != owner_of(shop, shop.other_seller).pk
    assert "The PDF is encrypted" in unstamped.body
    assert f"Order {order.pk}" in unstamped.body
    assert unstamped.url == f"/studio/digital/products/{shop.product.pk}/"
    assert unstamped.data["order_id"] == order.pk
