"""SearchEntry.module_keys: the filter terms modules keep (ModuleManifest.search_facets);
the sync function keeps them in facet_keys when it rewrites core's terms."""

import django.contrib.postgres.fields
from django.db import migrations, models

# Frozen here (see 0003): the sync function of 0003 with the modules' terms merged back in.
SYNC_WITH_MODULE_KEYS = """
CREATE OR REPLACE FUNCTION catalog_searchentry_sync(product_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO catalog_searchentry AS entry (
        product_id, is_published, product_type, seller_id, category_id, facet_keys, stars,
        rating_key, popularity, published_at, latitude_e6, longitude_e6, prices, module_keys)
    SELECT p.id, p.status = 'published', p.product_type, p.seller_id, p.category_id,
           ARRAY['t:' || p.product_type, 's:' || p.seller_id]
               || ARRAY(SELECT 'c:' || a.slug FROM catalog_category a
                        WHERE c.path LIKE a.path || '%' ORDER BY a.path)
               || ARRAY(SELECT 'r:' || n FROM generate_series(1, stars.whole) AS n),
           stars.whole,
           CASE WHEN p.rating_count = 0 THEN 0 ELSE p.rating_total * 1000 / p.rating_count END,
           p.rating_count, p.published_at, p.latitude_e6, p.longitude_e6,
           coalesce((SELECT jsonb_object_agg(price.currency, price.amount)
                     FROM catalog_productprice price
                     WHERE price.product_id = p.id AND price.variant_id IS NULL), '{}'),
           '{}'::varchar[]
    FROM catalog_product p
    LEFT JOIN catalog_category c ON c.id = p.category_id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.rating_count = 0 THEN 0
                    ELSE p.rating_total / p.rating_count END AS whole
    ) AS stars
    WHERE p.id = ANY(product_ids)
    ON CONFLICT (product_id) DO UPDATE SET
        is_published = EXCLUDED.is_published, product_type = EXCLUDED.product_type,
        seller_id = EXCLUDED.seller_id, category_id = EXCLUDED.category_id,
        facet_keys = EXCLUDED.facet_keys || entry.module_keys, stars = EXCLUDED.stars,
        rating_key = EXCLUDED.rating_key, popularity = EXCLUDED.popularity,
        published_at = EXCLUDED.published_at,
        latitude_e6 = EXCLUDED.latitude_e6, longitude_e6 = EXCLUDED.longitude_e6,
        prices = EXCLUDED.prices
$$;
"""

SYNC_WITHOUT_MODULE_KEYS = """
CREATE OR REPLACE FUNCTION catalog_searchentry_sync(product_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO catalog_searchentry AS entry (
        product_id, is_published, product_type, seller_id, category_id, facet_keys, stars,
        rating_key, popularity, published_at, latitude_e6, longitude_e6, prices)
    SELECT p.id, p.status = 'published', p.product_type, p.seller_id, p.category_id,
           ARRAY['t:' || p.product_type, 's:' || p.seller_id]
               || ARRAY(SELECT 'c:' || a.slug FROM catalog_category a
                        WHERE c.path LIKE a.path || '%' ORDER BY a.path)
               || ARRAY(SELECT 'r:' || n FROM generate_series(1, stars.whole) AS n),
           stars.whole,
           CASE WHEN p.rating_count = 0 THEN 0 ELSE p.rating_total * 1000 / p.rating_count END,
           p.rating_count, p.published_at, p.latitude_e6, p.longitude_e6,
           coalesce((SELECT jsonb_object_agg(price.currency, price.amount)
                     FROM catalog_productprice price
                     WHERE price.product_id = p.id AND price.variant_id IS NULL), '{}')
    FROM catalog_product p
    LEFT JOIN catalog_category c ON c.id = p.category_id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.rating_count = 0 THEN 0
                    ELSE p.rating_total / p.rating_count END AS whole
    ) AS stars
    WHERE p.id = ANY(product_ids)
    ON CONFLICT (product_id) DO UPDATE SET
        is_published = EXCLUDED.is_published, product_type = EXCLUDED.product_type,
        seller_id = EXCLUDED.seller_id, category_id = EXCLUDED.category_id,
        facet_keys = EXCLUDED.facet_keys, stars = EXCLUDED.stars,
        rating_key = EXCLUDED.rating_key, popularity = EXCLUDED.popularity,
        published_at = EXCLUDED.published_at,
        latitude_e6 = EXCLUDED.latitude_e6, longitude_e6 = EXCLUDED.longitude_e6,
        prices = EXCLUDED.prices
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_product_image_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="module_keys",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=90), default=list, size=None
            ),
        ),
        migrations.RunSQL(SYNC_WITH_MODULE_KEYS, SYNC_WITHOUT_MODULE_KEYS),
    ]
