"""Random trade for the dashboards' property tests: a seller with two odd-priced products
(commission and tax splits leave remainders to allocate), then a sequence of orders (some
shared with another seller), partial refunds and payouts, each made through the API as
buyers, operators and sellers make them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django_tenants.utils import schema_context
from hypothesis import strategies as st

from core.catalog.models import Product
from core.commerce.models import OrderLine
from core.sellers.models import Seller
from tests.accounts_helpers import call, sign_in
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import add, checkout, new_key

order_step = st.tuples(
    st.just("order"),
    st.integers(min_value=0, max_value=1),  # which of the seller's two products
    st.integers(min_value=1, max_value=3),  # quantity
    st.booleans(),  # another seller's product in the same order
)
refund_step = st.tuples(
    st.just("refund"),
    st.integers(min_value=0, max_value=20),  # which order
    st.integers(min_value=1, max_value=100),  # percent of what is left on the line
)
payout_step = st.tuples(st.just("payout"))


def steps(max_size: int) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    return st.lists(st.one_of(order_step, refund_step, payout_step), min_size=1, max_size=max_size)


@dataclass
class Trade:
    """One seller's trade in a shop (``tests.commerce_helpers.make_shop``)."""

    shop: Any
    operator: Any
    buyer: Any
    owner: Any
    seller: Seller
    products: list[Product]
    orders: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, shop: Any, operator: Any, buyer: Any, client_for: Any, slug: str) -> Trade:
        tenant = shop.tenant
        seller = make_seller(tenant, slug, f"Seller {slug}")
        products = [
            make_product(tenant, seller, f"Tool {slug}", price=1999),
            make_product(tenant, seller, f"Kit {slug}", price=333),
        ]
        owner = client_for(tenant)
        assert sign_in(owner, seller.owner.email).status_code == 200
        call(
            owner,
            "post",
            "/seller/payouts/account",
            {"return_url": "https://x.example/done", "refresh_url": "https://x.example/again"},
        )
        return cls(shop, operator, buyer, owner, seller, products)

    def play(self, step: tuple[Any, ...], on_commit: Any) -> None:
        """One step; ``on_commit`` is pytest-django's ``django_capture_on_commit_callbacks``."""
        if step[0] == "order":
            _, which, quantity, shared = step
            with on_commit(execute=True):
                add(self.buyer, self.products[which], quantity)
                if shared:
                    add(self.buyer, self.shop.scanner)
                response = checkout(self.buyer)
            assert response.status_code == 201, response.content
            self.orders.append(response.json())
        elif step[0] == "refund" and self.orders:
            _, pick, percent = step
            order = self.orders[pick % len(self.orders)]
            mine = {p.pk for p in self.products}
            with schema_context(self.shop.tenant.schema_name):
                line = OrderLine.objects.filter(order_id=order["id"], product_id__in=mine).first()
                assert line is not None
                left = line.total - line.refunded_amount
            if left <= 0:
                return
            with on_commit(execute=True):
                response = call(
                    self.operator,
                    "post",
                    f"/operator/commerce/orders/{order['id']}/refunds",
                    {"lines": [{"line_id": line.pk, "amount": max(1, left * percent // 100)}]},
                    **{"Idempotency-Key": new_key()},
                )
            assert response.status_code == 201, response.content
        elif step[0] == "payout":
            with on_commit(execute=True):
                response = call(
                    self.owner,
                    "post",
                    "/seller/payouts",
                    {"currency": "USD"},
                    **{"Idempotency-Key": new_key()},
                )
            assert response.status_code in (201, 422), response.content
