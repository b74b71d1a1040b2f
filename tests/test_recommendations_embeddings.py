"""The optional "similar products" by meaning: WordLlama's model from inside its wheel (nothing
downloaded), vectors stored per tenant, written from the catalogue's change events."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.catalog.services.products import ProductData, transition, update_product
from core.recommendations.models import ProductEmbedding
from core.recommendations.recommenders import Context, get_recommender
from core.recommendations.services.embed_products import embed_products
from tests.catalog_helpers import make_product, make_seller


@pytest.fixture
def meaning_on(settings):
    settings.SOUK_RECOMMENDATION_EMBEDDINGS = True


def similar(tenant, product, limit=5):
    with schema_context(tenant.schema_name):
        return get_recommender("similar").recommend(Context(product_id=product.pk, limit=limit))


def test_similar_by_meaning_finds_a_product_that_shares_no_word(
    tenant_a, redis_url, settings, django_capture_on_commit_callbacks
):
    seller = make_seller(tenant_a, "acme")
    settings.SOUK_RECOMMENDATION_EMBEDDINGS = True
    # Embedded by the outbox consumer of the catalogue's products_changed events.
    with schema_context(tenant_a.schema_name), django_capture_on_commit_callbacks(execute=True):
        dog = make_product(tenant_a, seller, "Dog training lessons", summary="For your pet")
        puppy = make_product(tenant_a, seller, "Puppy obedience classes")
        ledger = make_product(tenant_a, seller, "Spreadsheet accounting software")
    with schema_context(tenant_a.schema_name):
        assert ProductEmbedding.objects.count() == 3

    assert similar(tenant_a, dog) == [puppy.pk, ledger.pk]
    settings.SOUK_RECOMMENDATION_EMBEDDINGS = False
    # Full text alone finds nothing: the two share no word.
    assert similar(tenant_a, dog) == []


def test_similar_by_meaning_never_recommends_an_unpublished_product(
    tenant_a, redis_url, meaning_on
):
    seller = make_seller(tenant_a, "acme")
    dog = make_product(tenant_a, seller, "Dog training lessons")
    puppy = make_product(tenant_a, seller, "Puppy obedience classes")
    kitten = make_product(tenant_a, seller, "Kitten care course")
    with schema_context(tenant_a.schema_name):
        embed_products(product_ids=[dog.pk, puppy.pk, kitten.pk])
        transition(product=puppy, action="unpublish")

    assert similar(tenant_a, dog) == [kitten.pk]


def test_an_unchanged_text_is_not_embedded_again(tenant_a, redis_url, meaning_on):
    seller = make_seller(tenant_a, "acme")
    dog = make_product(tenant_a, seller, "Dog training lessons")
    with schema_context(tenant_a.schema_name):
        assert embed_products(product_ids=[dog.pk]) == 1
        before = bytes(ProductEmbedding.objects.get(product=dog).vector)
        assert embed_products(product_ids=[dog.pk]) == 0
        update_product(
            product=dog,
            data=ProductData(
                name=dog.name,
                product_type="software",
                prices={"USD": 1000},
                summary="Sit, stay and heel",
            ),
        )
        assert embed_products(product_ids=[dog.pk]) == 1
        assert bytes(ProductEmbedding.objects.get(product=dog).vector) != before


def test_vectors_stay_in_their_tenant(tenant_a, tenant_b, redis_url, meaning_on):
    dog = make_product(tenant_a, make_seller(tenant_a, "acme"), "Dog training lessons")
    with schema_context(tenant_a.schema_name):
        embed_products(product_ids=[dog.pk])
    with schema_context(tenant_b.schema_name):
        assert not ProductEmbedding.objects.exists()


def test_the_command_embeds_a_tenants_products_made_before_the_switch(tenant_a, redis_url):
    from io import StringIO

    from django.core.management import call_command

    seller = make_seller(tenant_a, "acme")
    products = [make_product(tenant_a, seller, name) for name in ("Dog lessons", "Cat toys")]
    out = StringIO()
    with schema_context(tenant_a.schema_name):
        call_command("embed_products", stdout=out)
        assert set(ProductEmbedding.objects.values_list("product_id", flat=True)) == {
            p.pk for p in products
        }
    assert out.getvalue().strip() == "2 of 2 product(s) embedded"
