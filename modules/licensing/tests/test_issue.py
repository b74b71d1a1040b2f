"""Issuing: a paid line gets its licences through the real checkout (pooled or per seat),
once however often fulfilment runs, with readable unguessable keys, on its own marketplace
only."""

from __future__ import annotations

import re
from datetime import timedelta

from django_tenants.utils import schema_context

from core.commerce.models import LineStatus, Order, OrderLine
from core.commerce.services.fulfilment import fulfil_line
from core.outbox.models import OutboxEvent
from modules.licensing import hooks
from modules.licensing.keys import ALPHABET, masked_key, new_key, normalise_key
from modules.licensing.models import License, Policy, SoftwareDetails
from modules.licensing.tests.helpers import (
    BUYER_EMAIL,
    ENTITLEMENTS,
    api,
    buy,
    emitted,
    make_licensing_shop,
    make_software,
    seat_variants,
    signed_in,
    variant_of,
)
from tests.catalog_helpers import make_product

KEY = re.compile(r"^SOUK(-[0-9A-HJKMNP-TV-Z]{5}){5}$")


def test_keys_are_readable_groups_of_crockford_base32_with_125_random_bits():
    keys = {new_key() for _ in range(2000)}

    assert len(keys) == 2000
    assert all(KEY.match(key) for key in keys)
    assert len(ALPHABET) == 32 and len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)
    # 25 characters of a 32-letter alphabet: 5 bits each.
    assert len(next(iter(keys)).replace("-", "")[4:]) * 5 == 125
    # Every position takes many values: nothing fixed or sequential.
    body = ["".join(key.split("-")[1:]) for key in keys]
    assert all(len({b[i] for b in body}) == 32 for i in range(25))


def test_typed_keys_are_normalised_and_garbage_is_not_a_key():
    key = "SOUK-0A1B2-C3D4E-F5G6H-J7K8M-N9PQR"

    assert normalise_key(key) == key
    assert normalise_key("  souk 0a1b2 c3d4e-f5g6h_j7k8m n9pqr\n") == key
    assert normalise_key("0A1B2C3D4EF5G6HJ7K8MN9PQR") == key  # prefix left out
    assert normalise_key("SOUK-OA1B2-C3D4E-F5G6H-J7K8M-N9PQR") == key  # O read as 0
    assert normalise_key("souk-0a1b2-c3d4e-f5g6h-j7k8m-n9pqr".replace("1", "l")) == key
    assert normalise_key("SOUK-0A1B2-C3D4E-F5G6H-J7K8M-N9PQ") is None  # one short
    assert normalise_key("SOUK-0A1B2-C3D4E-F5G6H-J7K8M-N9PQRS") is None  # one long
    assert normalise_key("SOUK-UA1B2-C3D4E-F5G6H-J7K8M-N9PQR") is None  # U is not base32
    assert normalise_key("'; DROP TABLE licensing_license; --") is None
    assert normalise_key("") is None
    assert normalise_key("A" * 10_000) is None
    assert masked_key(key) == "SOUK-*****-*****-*****-*****-N9PQR"


def test_a_paid_line_issues_one_pooled_licence_allowing_activations_times_quantity(
    shop, client_for, django_capture_on_commit_callbacks
):
    licenses = buy(client_for, shop, django_capture_on_commit_callbacks, quantity=3)

    assert len(licenses) == 1
    license = licenses[0]
    assert KEY.match(license.key)
    assert (license.product_id, license.policy_id, license.seller_id, license.buyer_id) == (
        shop.product.pk,
        shop.policy.pk,
        shop.seller.pk,
        shop.buyer.pk,
    )
    assert (license.seat, license.status, license.max_activations) == (1, "active", 6)
    assert license.expires_at is None and license.subscription_id is None
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(pk=license.order_line_id)
        assert (line.quantity, line.status) == (3, LineStatus.COMPLETED)
    assert emitted(shop.tenant, "license.issued") == [
        {
            "license_id": license.pk,
            "key": license.key,
            "product_id": shop.product.pk,
            "seller_id": shop.seller.pk,
            "buyer_id": shop.buyer.pk,
            "buyer_email": BUYER_EMAIL,
            "order_id": line.order_id,
            "order_line_id": line.pk,
            "subscription_id": None,
            "seat": 1,
            "status": "active",
            "status_reason": "",
            "expires_at": None,
            "max_activations": 6,
            "entitlements": ENTITLEMENTS,
            "provisioning": "manual",
        }
    ]


def test_a_single_unit_keeps_the_policys_limit_so_policy_changes_apply(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)

    assert license.max_activations is None
    with schema_context(shop.tenant.schema_name):
        Policy.objects.filter(pk=shop.policy.pk).update(max_activations=4)
    client = signed_in(client_for, shop.tenant, shop.buyer)
    assert api(client, "get", f"/mine/{license.pk}").json()["max_activations"] == 4


def test_a_per_seat_policy_issues_one_licence_per_seat_of_every_unit(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, policy = make_software(
        shop.tenant,
        shop.seller,
        "Team Editor",
        variants=seat_variants(1, 5),
        max_activations=2,
        is_license_per_seat=True,
    )
    five = variant_of(shop.tenant, team, "seats-5")

    licenses = buy(
        client_for, shop, django_capture_on_commit_callbacks, product=team, quantity=2, variant=five
    )

    assert [license.seat for license in licenses] == list(range(1, 11))
    assert len({license.key for license in licenses}) == 10
    assert {(lic.policy_id, lic.max_activations, lic.status) for lic in licenses} == {
        (policy.pk, None, "active")
    }
    issued = emitted(shop.tenant, "license.issued")
    assert [event["seat"] for event in issued] == list(range(1, 11))
    assert {event["max_activations"] for event in issued} == {2}


def test_a_pooled_policy_multiplies_the_limit_by_seats_and_quantity(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, _ = make_software(
        shop.tenant, shop.seller, "Pool Editor", variants=seat_variants(5), max_activations=3
    )
    five = variant_of(shop.tenant, team, "seats-5")

    [license] = buy(
        client_for, shop, django_capture_on_commit_callbacks, product=team, quantity=2, variant=five
    )

    assert (license.seat, license.max_activations) == (1, 30)


def test_fulfilment_run_again_issues_nothing_twice(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, _ = make_software(
        shop.tenant, shop.seller, "Team Editor", variants=seat_variants(3), is_license_per_seat=True
    )
    licenses = buy(
        client_for,
        shop,
        django_capture_on_commit_callbacks,
        product=team,
        variant=variant_of(shop.tenant, team, "seats-3"),
    )
    line_id = licenses[0].order_line_id

    with schema_context(shop.tenant.schema_name):
        assert fulfil_line(line_id=line_id) is False  # commerce's guard
        line = OrderLine.objects.get(pk=line_id)
        hooks.fulfil(line)  # the hook itself, as a retried task would run it
        hooks.fulfil(line)
        # A crash after two seats were made: the retry makes only the missing one.
        License.objects.filter(order_line_id=line_id, seat=3).delete()
        hooks.fulfil(line)
        seats = list(
            License.objects.filter(order_line_id=line_id).order_by("seat").values_list("seat")
        )
        issued = OutboxEvent.objects.filter(event_type="license.issued").count()

    assert seats == [(1,), (2,), (3,)]
    assert issued == 4  # three at checkout, the re-made seat once


def test_a_policy_duration_sets_the_expiry_from_payment(
    shop, client_for, django_capture_on_commit_callbacks
):
    yearly, _ = make_software(shop.tenant, shop.seller, "Year Editor", duration_days=365)

    [license] = buy(client_for, shop, django_capture_on_commit_callbacks, product=yearly)

    with schema_context(shop.tenant.schema_name):
        paid_at = Order.objects.get(lines__pk=license.order_line_id).paid_at
    assert license.expires_at == paid_at + timedelta(days=365)


def test_software_sold_before_its_set_up_gets_a_one_machine_perpetual_default(
    shop, client_for, django_capture_on_commit_callbacks
):
    bare = make_product(shop.tenant, shop.seller, "Bare Tool", price=500)

    [license] = buy(client_for, shop, django_capture_on_commit_callbacks, product=bare)

    with schema_context(shop.tenant.schema_name):
        policy = Policy.objects.get(product=bare)
        details = SoftwareDetails.objects.get(product=bare)
    assert (policy.name, policy.max_activations, policy.duration_days) == ("Standard", 1, None)
    assert details.default_policy_id == policy.pk == license.policy_id
    assert license.status == "active"


def test_automatic_provisioning_products_say_so_in_the_issued_event(
    shop, client_for, django_capture_on_commit_callbacks
):
    from modules.licensing.services.software import SoftwareData, set_up_software

    with schema_context(shop.tenant.schema_name):
        set_up_software(
            product=shop.product,
            data=SoftwareData(
                provisioning="automatic", provisioning_url="https://acme.example/provision"
            ),
        )

    buy(client_for, shop, django_capture_on_commit_callbacks)

    assert [event["provisioning"] for event in emitted(shop.tenant, "license.issued")] == [
        "automatic"
    ]


def test_a_licence_of_one_marketplace_does_not_exist_on_another(
    shop, other_licensing_tenant, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    other = make_licensing_shop(other_licensing_tenant)  # same e-mails, other people
    client = signed_in(client_for, other_licensing_tenant, other.buyer)

    with schema_context(other_licensing_tenant.schema_name):
        assert not License.objects.filter(key=license.key).exists()
        assert not OutboxEvent.objects.filter(event_type="license.issued").exists()
    assert api(client, "get", "/mine").json() == {"items": [], "next_cursor": None}
    response = api(client, "get", f"/mine/{license.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "license_not_found"
    assert client.get(f"/licenses/{license.pk}/").status_code == 404
