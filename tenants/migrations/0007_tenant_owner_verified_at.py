import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Every marketplace made before owners had to confirm their address stays open."""

    dependencies = [
        ("tenants", "0006_modules_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="owner_verified_at",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
    ]
