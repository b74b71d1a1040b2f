"""Which product types are held in escrow now comes from the modules' manifests
(``is_escrow_by_default``); ``escrow_product_types`` becomes the operator's override, null
when unset. A marketplace still at the old default (["service"]) follows the manifests, where
the type that escrows services declares it; any other choice stays an override."""

from django.db import migrations, models

TO_MANIFEST_DEFAULTS = """
UPDATE commerce_commercesettings SET escrow_product_types = NULL
WHERE escrow_product_types = '["service"]'::jsonb
"""

TO_OLD_DEFAULT = """
UPDATE commerce_commercesettings SET escrow_product_types = '["service"]'::jsonb
WHERE escrow_product_types IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0003_payment_charge_options"),
    ]

    operations = [
        migrations.AlterField(
            model_name="commercesettings",
            name="escrow_product_types",
            field=models.JSONField(blank=True, default=None, null=True),
        ),
        migrations.RunSQL(TO_MANIFEST_DEFAULTS, TO_OLD_DEFAULT),
    ]
