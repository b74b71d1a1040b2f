"""A product's type is a key declared by a module's manifest, checked by the product services
against the registry, so the column loses its fixed choices. Existing values (software,
digital, course, service) are the keys the modules declare: no row changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_search_entry"),
    ]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="product_type",
            field=models.CharField(max_length=10),
        ),
    ]
