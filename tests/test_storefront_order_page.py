"""The buyer's order page shows what was bought (licence keys, masked with a reveal, with the
activations used and a link to the licence), offers "Review this" once a line is completed,
never shows the payment provider's charge id, and tells the history forwards in plain words.
Another buyer and another marketplace see none of it."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import OrderLine, OrderTransition
from core.commerce.purchases import Received, received_by_line
from core.reviews.models import Review
from modules.licensing.models import Machine
from modules.licensing.tests.helpers import (
    OTHER_LICENSING_SLUG,
    buy,
    make_licensing_shop,
    make_licensing_tenant,
    signed_in,
)


@pytest.fixture
def shop(make_tenant):
    return make_licensing_shop(make_licensing_tenant(make_tenant))


def html_of(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_order_page_shows_the_licence_key_masked_with_activations_and_a_link(
    client_for, shop, django_capture_on_commit_callbacks
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        Machine.objects.create(license=licence, fingerprint="laptop")
    client = signed_in(client_for, shop.tenant, shop.buyer)

    html = html_of(client.get(f"/account/orders/{licence.order_line.order_id}/"))

    assert "Swift Editor: what you received" in html
    assert f"••••••••{licence.key[-4:]}" in html
    assert f'<code class="secret-value" data-secret>{licence.key}</code>' in html
    assert "Activated on 1 of 2 machines" in html
    assert f'href="/licenses/{licence.pk}/"' in html


def test_received_by_line_asks_the_module_for_delivered_lines_only(
    client_for, shop, django_capture_on_commit_callbacks
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(pk=licence.order_line_id)
        delivered = received_by_line([line])
        line.status = "pending"
        waiting = received_by_line([line])

    assert delivered == {
        line.pk: [
            Received(
                kind="licence",
                title="Licence key",
                detail="Activated on 0 of 2 machines",
                url=f"/licenses/{licence.pk}/",
                secret=licence.key,
            )
        ]
    }
    assert waiting == {}


def test_completed_line_offers_review_this_until_reviewed(
    client_for, shop, django_capture_on_commit_callbacks
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    client = signed_in(client_for, shop.tenant, shop.buyer)
    order_url = f"/account/orders/{licence.order_line.order_id}/"
    review_url = f"/review/{licence.order_line_id}/"
    with schema_context(shop.tenant.schema_name):
        assert OrderLine.objects.get(pk=licence.order_line_id).status == "completed"

    assert f'href="{review_url}">Review this</a>' in html_of(client.get(order_url))
    form = html_of(client.get(review_url))
    assert "Review Swift Editor" in form

    bad = client.post(review_url, {"rating": "9", "title": "x"})
    assert bad.status_code == 400
    with schema_context(shop.tenant.schema_name):
        assert not Review.objects.exists()

    done = client.post(review_url, {"rating": "4", "title": "Does the job", "body": "Fast."})
    assert done.status_code == 302 and done["Location"] == order_url
    with schema_context(shop.tenant.schema_name):
        review = Review.objects.get()
    assert (review.rating, review.title, review.buyer_id) == (4, "Does the job", shop.buyer.pk)
    assert "Review this" not in html_of(client.get(order_url))


def test_another_buyer_cannot_open_the_review_form_of_my_line(
    client_for, shop, django_capture_on_commit_callbacks
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    other = signed_in(client_for, shop.tenant, shop.other_buyer)

    assert other.get(f"/review/{licence.order_line_id}/").status_code == 404
    assert other.post(f"/review/{licence.order_line_id}/", {"rating": "1"}).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Review.objects.exists()


def test_order_page_never_shows_the_provider_charge_id(
    client_for, shop, django_capture_on_commit_callbacks
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    order_id = licence.order_line.order_id
    with schema_context(shop.tenant.schema_name):
        reference = (
            OrderTransition.objects.filter(order_id=order_id, to_status="paid")
            .values_list("note", flat=True)
            .first()
        )
    assert reference  # the books keep "sandbox <charge id>"
    client = signed_in(client_for, shop.tenant, shop.buyer)

    html = html_of(client.get(f"/account/orders/{order_id}/"))

    charge_id = reference.split()[-1]
    assert charge_id not in html
    assert "sandbox" not in html.lower().replace("sandbox test", "")


def test_history_reads_forwards_in_plain_words(
    client_for, shop, django_capture_on_commit_callbacks
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    client = signed_in(client_for, shop.tenant, shop.buyer)

    html = html_of(client.get(f"/account/orders/{licence.order_line.order_id}/"))

    history = html[html.index("<h2>History</h2>") :]
    steps = re.findall(r'<span class="what">([^<]+)</span>', history)
    assert steps == [
        "Order placed",
        "Payment received",
        "Being delivered",
        "Delivered",
        "Completed",
    ]
    assert "&rarr;" not in history and "→" not in history


def test_history_hides_a_sub_order_step_back(client_for, shop, django_capture_on_commit_callbacks):
    """A sub-order that ran ahead (completed) and was then moved with its order (to
    fulfilled) is bookkeeping: the buyer never reads "Completed -> Fulfilled"."""
    from core.commerce.views import _history

    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        transitions = list(OrderTransition.objects.filter(order_id=licence.order_line.order_id))
        sub_order_id = licence.order_line.sub_order_id
        backwards = OrderTransition(
            order_id=licence.order_line.order_id,
            sub_order_id=sub_order_id,
            from_status="completed",
            to_status="fulfilled",
            actor_label="system",
            created_at=transitions[-1].created_at,
        )
    steps = _history([*transitions, backwards], {sub_order_id: "Acme Tools", 0: "Other"})

    assert [step["what"] for step in steps][-1] == "Completed"
    assert not any(step["what"] == "Acme Tools: Delivered" for step in steps)


def test_another_buyer_and_another_marketplace_get_404_for_the_order(
    client_for, make_tenant, shop, django_capture_on_commit_callbacks
):
    other_market = make_licensing_shop(make_licensing_tenant(make_tenant, OTHER_LICENSING_SLUG))
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    order_url = f"/account/orders/{licence.order_line.order_id}/"
    other_buyer = signed_in(client_for, shop.tenant, shop.other_buyer)
    same_email_elsewhere = signed_in(client_for, other_market.tenant, other_market.buyer)

    assert other_buyer.get(order_url).status_code == 404
    assert same_email_elsewhere.get(order_url).status_code == 404
    assert licence.key not in same_email_elsewhere.get("/licenses/").content.decode()


def test_order_page_query_count_is_pinned(
    client_for, shop, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    (licence,) = buy(client_for, shop, django_capture_on_commit_callbacks)
    client = signed_in(client_for, shop.tenant, shop.buyer)
    url = f"/account/orders/{licence.order_line.order_id}/"
    client.get(url)

    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
