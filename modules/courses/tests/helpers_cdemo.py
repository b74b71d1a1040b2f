"""The demo's Git course (``modules.courses.demo``) in a test marketplace: the same curriculum,
quiz and transcoded video made by the same services, taught by a test seller, and a buyer
who pays for it the one real way (cart, sandbox checkout, fulfilment's hook)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.sellers.models import Seller
from modules.courses import demo
from modules.courses.models import Enrolment, Lesson
from tenants.models import Tenant
from tests.catalog_helpers import make_category, make_seller


@dataclass(frozen=True)
class GitCourse:
    seller: Seller
    product: Product
    lessons: dict[str, Lesson]  # welcome, video, commits, undo, quiz


def git_course(tenant: Tenant, seller_slug: str, *, with_video: bool = True) -> GitCourse:
    """The demo's course, published, its video processed at once (``with_video``; a browser
    test uploads it to its server instead, whose files live apart from the test's)."""
    seller = make_seller(tenant, seller_slug, "Nimbus Labs", product_types=["course"])
    category = make_category(tenant, "Courses")
    with schema_context(tenant.schema_name):
        product, lessons = demo.offer_course(seller, category)
        if with_video:
            demo.record_video(seller, lessons["video"])
    return GitCourse(seller=seller, product=product, lessons=lessons)


def enrol_by_paying(tenant: Tenant, buyer: User, product: Product) -> Enrolment:
    with schema_context(tenant.schema_name):
        return demo.purchase(random.Random(1), buyer, product, timezone.now())
