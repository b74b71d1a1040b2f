"""The seller's gig pages in the studio: the queue (what needs action first, filtered by
status, late rows marked), an order with the buyer's requirements, and the delivery form (a
refused delivery writes nothing; a good one with a file and the checklist delivers); the
gig set-up page (extras, requirements questions, FAQ: htmx rows, one Save per section through
the listing services, errors beside their fields with the typing kept). Another seller's
order or gig is 404, a teammate without the module's permissions gets 403, another
marketplace and a marketplace with the module off see nothing; queries are pinned."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from modules.gigs.models import GigDelivery, GigExtra, GigFaq, GigOrder, GigQuestion, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    make_gig_shop,
    make_gigs_tenant,
    refreshed,
    seller_client,
    signed_in,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETUP_PAGE_QUERIES = 10
SETUP_LIST_QUERIES = 7
QUEUE_QUERIES = 7


def _text(response) -> str:
    return response.content.decode()


def test_a_seller_delivers_from_the_studio(shop, client_for, django_capture_on_commit_callbacks):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    seller = seller_client(client_for, shop.tenant, shop.seller)

    queue = seller.get("/studio/gigs/")
    assert queue.status_code == 200
    assert f'data-gig-order="{order.pk}"' in _text(queue)
    assert "Waiting for requirements" in _text(queue)
    assert 'href="/studio/gigs/"' in _text(seller.get("/studio/"))
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200

    page = f"/studio/gigs/orders/{order.pk}/"
    detail = _text(seller.get(page))
    assert "Nordlicht" in detail and "Checklist (tick every item)" in detail

    unticked = seller.post(f"{page}deliver/", {"links": "https://files.example/a.zip"})
    assert unticked.status_code == 422
    assert "Tick every checklist item before delivering." in _text(unticked)
    empty = seller.post(f"{page}deliver/", {"checklist": order.checklist})
    assert empty.status_code == 422
    assert "Attach a file or give a link" in _text(empty)
    with schema_context(shop.tenant.schema_name):
        assert not GigDelivery.objects.exists()  # refused deliveries leave no draft

    upload = SimpleUploadedFile("logo.svg", b"<svg></svg>", content_type="image/svg+xml")
    done = seller.post(
        f"{page}deliver/",
        {"description": "Here you go", "checklist": order.checklist, "file": upload},
    )
    assert (done.status_code, done["Location"]) == (302, page)
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    assert "logo.svg" in _text(seller.get(page))


def test_other_sellers_and_teammates_without_permission_are_refused(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    assert other.get(f"/studio/gigs/orders/{order.pk}/").status_code == 404
    assert f'data-gig-order="{order.pk}"' not in _text(other.get("/studio/gigs/"))

    from core.accounts.models import Role
    from core.sellers.models import TeamMember

    helper = make_user(shop.tenant, "helper@example.com", role=Role.SELLER)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller, user=helper, permissions=["manage_products"])
    teammate = signed_in(client_for, shop.tenant, helper)
    assert teammate.get("/studio/gigs/").status_code in (403, 404)
    refused = call(teammate, "get", "/gigs/seller/orders")
    assert refused.status_code in (403, 404)


# --- setting a gig up: extras, requirements questions, FAQ ------------------------------------


def _setup(shop) -> str:
    return f"/studio/gigs/setup/{shop.gig.pk}/"


def _form(key: str, rows: list[dict[str, str]], **extra: str) -> dict[str, Any]:
    """A section's form as the page posts it: row ids in page order, then each row's fields."""
    data: dict[str, Any] = {f"{key}-row": [f"r{index}" for index in range(len(rows))], **extra}
    for index, row in enumerate(rows):
        data.update({f"{key}-r{index}-{name}": value for name, value in row.items()})
    return data


def _extras(shop) -> list[tuple[Any, ...]]:
    with schema_context(shop.tenant.schema_name):
        return list(
            GigExtra.objects.filter(product=shop.gig)
            .order_by("position")
            .values_list("kind", "title", "price", "days", "revisions")
        )


def _questions(shop) -> list[tuple[Any, ...]]:
    with schema_context(shop.tenant.schema_name):
        return list(
            GigQuestion.objects.filter(product=shop.gig)
            .order_by("position")
            .values_list("kind", "prompt", "is_required", "choices")
        )


def _faq(shop) -> list[tuple[str, str]]:
    with schema_context(shop.tenant.schema_name):
        return list(
            GigFaq.objects.filter(product=shop.gig)
            .order_by("position")
            .values_list("question", "answer")
        )


NEW_EXTRAS = [
    {"kind": "custom", "title": "Social media kit", "price": "15", "days": "1", "revisions": "0"},
    {"kind": "fast_delivery", "title": "Express", "price": "25.50", "days": "2", "revisions": ""},
    {"kind": "extra_revision", "title": "Rounds", "price": "0.99", "days": "", "revisions": "2"},
]  # fmt: skip


def test_a_seller_sets_up_extras_questions_and_faq_in_the_studio(shop, client_for):
    owner = seller_client(client_for, shop.tenant, shop.seller)
    listed = _text(owner.get("/studio/gigs/setup/"))
    assert f'href="{_setup(shop)}"' in listed and "Logo design" in listed
    assert f'href="/studio/gigs/setup/{shop.other_gig.pk}/"' not in listed  # Pixel's
    assert 'href="/studio/gigs/setup/"' in _text(owner.get("/studio/gigs/"))
    wizard = _text(owner.get(f"/studio/products/{shop.gig.pk}/details/"))
    assert f'href="{_setup(shop)}"' in wizard

    page = owner.get(_setup(shop))
    assert page.status_code == 200
    body = _text(page)
    # What was set before, prices in major units.
    assert 'value="Express"' in body and 'value="25.00"' in body and 'value="10.00"' in body
    assert "Flat\nRetro</textarea>" in body and 'value="Do you do print?"' in body

    # A row button (htmx) re-draws the section from what was posted; nothing is saved.
    typed = _form("extras", NEW_EXTRAS[:1], op="add")
    added = owner.post(f"{_setup(shop)}extras/", typed, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    fragment = _text(added)
    assert fragment.count('name="extras-row"') == 2 and 'value="Social media kit"' in fragment
    assert "<html" not in fragment
    moved = owner.post(
        f"{_setup(shop)}extras/",
        _form("extras", NEW_EXTRAS[:2], op="up:r1"),
        HTTP_HX_REQUEST="true",
    )
    assert _text(moved).index('value="Express"') < _text(moved).index('value="Social media kit"')
    assert len(_extras(shop)) == 3 and _extras(shop)[0][1] == "Express"  # untouched

    saved = owner.post(f"{_setup(shop)}extras/", _form("extras", NEW_EXTRAS))
    assert (saved.status_code, saved["Location"]) == (302, f"{_setup(shop)}#extras")
    assert _extras(shop) == [
        ("custom", "Social media kit", 1500, 1, 0),
        ("fast_delivery", "Express", 2550, 2, 0),
        ("extra_revision", "Rounds", 99, 0, 2),
    ]

    questions = [
        {"kind": "choice", "prompt": "Style?", "is_required": "on", "choices": "Flat\nRetro\nHand"},
        {"kind": "text", "prompt": "Your brand name?", "is_required": "on", "choices": ""},
        {"kind": "file", "prompt": "Your old logo", "choices": ""},
    ]  # fmt: skip
    saved = owner.post(f"{_setup(shop)}questions/", _form("questions", questions))
    assert saved.status_code == 302
    assert _questions(shop) == [
        ("choice", "Style?", True, ["Flat", "Retro", "Hand"]),
        ("text", "Your brand name?", True, []),
        ("file", "Your old logo", False, []),
    ]
    faq = [
        {"question": "Print?", "answer": "CMYK too."},
        {"question": "Fonts?", "answer": "Free ones."},
    ]
    assert owner.post(f"{_setup(shop)}faq/", _form("faq", faq)).status_code == 302
    assert _faq(shop) == [("Print?", "CMYK too."), ("Fonts?", "Free ones.")]
    # Removing every row clears a section.
    assert owner.post(f"{_setup(shop)}faq/", {}).status_code == 302
    assert _faq(shop) == []
    # What the page shows now is what was saved.
    assert 'value="25.50"' in _text(owner.get(_setup(shop)))


def test_a_refused_section_shows_each_error_by_its_field_keeps_the_typing_and_writes_nothing(
    shop, client_for
):
    owner = seller_client(client_for, shop.tenant, shop.seller)
    extras, questions, faq = _extras(shop), _questions(shop), _faq(shop)

    bad = [{**NEW_EXTRAS[0], "price": "2.505"}, {**NEW_EXTRAS[1], "days": "two"}]
    refused = owner.post(f"{_setup(shop)}extras/", _form("extras", bad))
    assert refused.status_code == 422
    body = _text(refused)
    assert 'id="extras-r0-price-error">Give a price in USD, like 15.00.' in body
    assert 'id="extras-r1-days-error">Give a whole number of days.' in body
    assert 'value="2.505"' in body and 'value="two"' in body and 'value="Social media kit"' in body

    # The services' own refusal lands on the row and field it names.
    slow = [NEW_EXTRAS[0], {**NEW_EXTRAS[1], "days": "0"}]
    refused = _text(owner.post(f"{_setup(shop)}extras/", _form("extras", slow)))
    assert 'id="extras-r1-days-error">Extra-fast delivery saves at least one day.' in refused
    assert 'value="Social media kit"' in refused

    one_option = [{"kind": "choice", "prompt": "Style?", "is_required": "on", "choices": "Flat"}]
    refused = owner.post(f"{_setup(shop)}questions/", _form("questions", one_option))
    assert refused.status_code == 422
    assert 'id="questions-r0-choices-error">A choice question needs 2+ choices.' in _text(refused)
    stray = [{"kind": "text", "prompt": "Name?", "choices": "A\nB"}]
    refused = _text(owner.post(f"{_setup(shop)}questions/", _form("questions", stray)))
    assert "Only a choice question has options: clear them." in refused

    no_answer = [{"question": "Print?", "answer": "Yes"}, {"question": "Fonts?", "answer": "  "}]
    refused = owner.post(f"{_setup(shop)}faq/", _form("faq", no_answer))
    assert refused.status_code == 422
    assert 'id="faq-r1-answer-error">Give 1-2000 characters.' in _text(refused)
    assert 'value="Print?"' in _text(refused)
    too_many = _form("faq", [{"question": f"Q{i}?", "answer": "A"} for i in range(21)])
    assert "At most 20 questions." in _text(owner.post(f"{_setup(shop)}faq/", too_many))

    assert (_extras(shop), _questions(shop), _faq(shop)) == (extras, questions, faq)


def test_set_up_pages_refuse_teammates_without_products_other_sellers_and_other_marketplaces(
    shop, client_for, make_tenant
):
    from core.accounts.models import Role
    from core.sellers.models import TeamMember

    elsewhere = make_gig_shop(make_gigs_tenant(make_tenant, "other-gig-market"))
    page, faq = _setup(shop), _form("faq", [{"question": "Print?", "answer": "Yes"}])
    orders_only = make_user(shop.tenant, "orders@example.com", role=Role.SELLER)
    both = make_user(shop.tenant, "both@example.com", role=Role.SELLER)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(
            seller=shop.seller, user=orders_only, permissions=["process_orders"]
        )
        TeamMember.objects.create(
            seller=shop.seller, user=both, permissions=["process_orders", "manage_products"]
        )
    teammate = signed_in(client_for, shop.tenant, orders_only)
    assert teammate.get(page).status_code == 403
    assert teammate.get("/studio/gigs/setup/").status_code == 403
    assert teammate.post(f"{page}faq/", faq).status_code == 403
    allowed = signed_in(client_for, shop.tenant, both)
    assert allowed.get(page).status_code == 200

    other = seller_client(client_for, shop.tenant, shop.other_seller)
    assert other.get(page).status_code == 404
    assert other.post(f"{page}faq/", faq).status_code == 404
    assert other.post(f"{page}faq/", {**faq, "op": "add"}).status_code == 404
    owner = seller_client(client_for, shop.tenant, shop.seller)
    assert owner.get(f"/studio/gigs/setup/{shop.other_gig.pk}/").status_code == 404
    assert owner.post(f"{page}packages/", faq).status_code == 404  # no such section
    assert _faq(shop) == [("Do you do print?", "Yes, CMYK too.")]

    # Another marketplace's seller does not reach this gig, whatever its id.
    stranger = seller_client(client_for, elsewhere.tenant, elsewhere.seller)
    missing = max(shop.gig.pk, elsewhere.gig.pk, elsewhere.other_gig.pk) + 1
    assert stranger.get(f"/studio/gigs/setup/{missing}/").status_code == 404

    set_module_enabled(tenant=shop.tenant, key="gigs", is_enabled=False)
    assert owner.get(page).status_code == 404
    assert owner.post(f"{page}faq/", faq).status_code == 404
    assert owner.get("/studio/gigs/").status_code == 404
    assert _faq(shop) == [("Do you do print?", "Yes, CMYK too.")]


def test_set_up_page_queries_do_not_grow_with_rows(shop, client_for, django_assert_max_num_queries):
    owner = seller_client(client_for, shop.tenant, shop.seller)
    owner.get(_setup(shop))  # warm the session and caches
    with django_assert_max_num_queries(SETUP_PAGE_QUERIES):
        assert owner.get(_setup(shop)).status_code == 200
    many = [{"question": f"Question {i}?", "answer": "Yes."} for i in range(20)]
    assert owner.post(f"{_setup(shop)}faq/", _form("faq", many)).status_code == 302
    with django_assert_max_num_queries(SETUP_PAGE_QUERIES):
        assert owner.get(_setup(shop)).status_code == 200


# --- the order queue -----------------------------------------------------------------------


def _queue_order(shop, client_for, capture, buyer, **fields: Any) -> GigOrder:
    order = buy(buyer, shop.tenant, shop.gig, capture)
    with schema_context(shop.tenant.schema_name):
        GigOrder.objects.filter(pk=order.pk).update(**fields)
    return order


def _ids_in_order(body: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-gig-order="(\d+)"', body)]


def test_the_queue_puts_what_needs_action_first_and_filters_by_status(
    shop,
    client_for,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
    time_machine,
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    capture = django_capture_on_commit_callbacks
    waiting = _queue_order(shop, client_for, capture, buyer)
    started = T0 - timedelta(days=8)
    working = {"status": OrderStatus.IN_PROGRESS, "requirements_submitted_at": started}
    soon = _queue_order(shop, client_for, capture, buyer, **working, due_at=T0 + timedelta(days=2))
    later = _queue_order(shop, client_for, capture, buyer, **working, due_at=T0 + timedelta(days=4))
    late = _queue_order(shop, client_for, capture, buyer, **working, due_at=T0 - timedelta(hours=2))
    very = _queue_order(shop, client_for, capture, buyer, **working, due_at=T0 - timedelta(days=3))
    delivered = _queue_order(
        shop, client_for, capture, buyer,
        status=OrderStatus.DELIVERED, requirements_submitted_at=started, due_at=T0 - timedelta(5),
    )  # fmt: skip
    done = _queue_order(
        shop, client_for, capture, buyer,
        status=OrderStatus.COMPLETED, requirements_submitted_at=started, due_at=T0, completed_at=T0,
    )  # fmt: skip
    seller = seller_client(client_for, shop.tenant, shop.seller)

    seller.get("/studio/gigs/")
    with django_assert_max_num_queries(QUEUE_QUERIES):
        body = _text(seller.get("/studio/gigs/"))
    order = [very.pk, late.pk, soon.pk, later.pk, delivered.pk, waiting.pk]
    assert _ids_in_order(body) == order  # the completed one is not open
    assert f'<tr data-gig-order="{very.pk}" class="very_late">' in body
    assert f'<tr data-gig-order="{late.pk}" class="late">' in body
    assert f'<tr data-gig-order="{soon.pk}" class="on_time">' in body
    assert "Waiting for requirements" in body
    assert "Waiting for the buyer&#x27;s requirements" in body  # the seller's wording

    completed = _text(seller.get("/studio/gigs/?status=completed"))
    assert _ids_in_order(completed) == [done.pk]
    assert _ids_in_order(_text(seller.get("/studio/gigs/?status=in_progress"))) == order[:4]
    assert _ids_in_order(_text(seller.get("/studio/gigs/?status=nonsense"))) == order
    # Another seller's filter shows none of them.
    other = seller_client(client_for, shop.tenant, shop.other_seller)
    assert _ids_in_order(_text(other.get("/studio/gigs/?status=in_progress"))) == []
