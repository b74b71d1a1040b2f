from django.db import migrations, models
from django.db.models import F


def existing_tenants_are_verified(apps, schema_editor):
    """Every marketplace made before owners had to verify was made by staff or the API, or has
    been public since: they stay public."""
    Tenant = apps.get_model("tenants", "Tenant")
    Tenant.objects.filter(owner_verified_at__isnull=True).update(owner_verified_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0006_modules_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="owner_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(existing_tenants_are_verified, migrations.RunPython.noop),
    ]
