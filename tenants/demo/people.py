"""The demo's people and pictures, shared by core's demo (tenants/demo/activity.py) and the
modules' own (``manifest.demo``): a verified seller with payouts set up, a buyer whose
address reads like their name, and a product's cover through the catalogue's image service."""

from __future__ import annotations

from collections.abc import Sequence
from unicodedata import normalize

from django.core.files.uploadedfile import SimpleUploadedFile

from core.accounts.models import Role, User
from core.catalog.models import Product
from core.catalog.services import images
from core.payments.services.payout_onboarding import start_payout_onboarding
from core.sellers.models import Seller, VerificationStatus
from tenants.demo.images import cover_png


def demo_seller(
    *, slug: str, business_name: str, bio: str, product_types: Sequence[str], password: str
) -> Seller:
    """A verified seller whose owner signs in as ``<slug>@demo.localhost``."""
    owner = User.objects.create_user(
        f"{slug}@demo.localhost", password, role=Role.SELLER, full_name=business_name
    )
    seller = Seller.objects.create(
        owner=owner,
        slug=slug,
        business_name=business_name,
        legal_form="company",
        bio=bio,
        verification_status=VerificationStatus.VERIFIED,
        product_type_grants=list(product_types),
    )
    start_payout_onboarding(seller=seller, return_url="/studio/", refresh_url="/studio/")
    return seller


def demo_buyer(name: str, password: str) -> User:
    """``Luca Fernández`` signs in as ``luca.fernandez@demo.localhost`` (one account a name)."""
    local = normalize("NFKD", name.lower().replace(" ", ".")).encode("ascii", "ignore").decode()
    email = f"{local}@demo.localhost"
    existing = User.objects.filter(email=email).first()
    return existing or User.objects.create_user(email, password, full_name=name)


def illustrate(product: Product) -> None:
    """The product's cover, with its responsive sizes."""
    upload = SimpleUploadedFile(
        f"{product.slug}.png", cover_png(product.name), content_type="image/png"
    )
    images.add_product_image(product=product, upload=upload, alt=f"{product.name} cover")
