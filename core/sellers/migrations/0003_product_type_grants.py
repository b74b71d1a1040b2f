"""Seller grants become a set of product type keys (declared by modules' manifests) instead
of one boolean per type. The keys are the values products already carry: can_sell_software ->
"software", can_sell_digital -> "digital", can_sell_courses -> "course", can_sell_services ->
"service"."""

import django.contrib.postgres.fields
from django.db import migrations, models

TO_KEYS = """
UPDATE sellers_seller SET product_type_grants = array_remove(ARRAY[
    CASE WHEN can_sell_courses THEN 'course' END,
    CASE WHEN can_sell_digital THEN 'digital' END,
    CASE WHEN can_sell_services THEN 'service' END,
    CASE WHEN can_sell_software THEN 'software' END
]::varchar(10)[], NULL)
"""

TO_FLAGS = """
UPDATE sellers_seller SET
    can_sell_courses = 'course' = ANY(product_type_grants),
    can_sell_digital = 'digital' = ANY(product_type_grants),
    can_sell_services = 'service' = ANY(product_type_grants),
    can_sell_software = 'software' = ANY(product_type_grants)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sellers", "0002_sellerapikey_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="seller",
            name="product_type_grants",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=10), blank=True, default=list, size=None
            ),
        ),
        migrations.RunSQL(TO_KEYS, TO_FLAGS),
        migrations.RemoveField(model_name="seller", name="can_sell_courses"),
        migrations.RemoveField(model_name="seller", name="can_sell_digital"),
        migrations.RemoveField(model_name="seller", name="can_sell_services"),
        migrations.RemoveField(model_name="seller", name="can_sell_software"),
    ]
