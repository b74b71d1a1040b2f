"""API keys carry team permissions. Existing keys get their creator's current permissions:
every permission when the creator owns the seller, the member's grants for a teammate, and
none when the creator is gone or no longer on the team (such a key can only read the seller's
public profile)."""

from django.db import migrations, models

# The team permissions as they stand at this migration (not imported: later code may change).
ALL_PERMISSIONS = [
    "configure_integration",
    "manage_customers",
    "manage_products",
    "process_orders",
    "view_analytics",
]


def carry_creators_permissions(apps, schema_editor):
    SellerApiKey = apps.get_model("sellers", "SellerApiKey")
    TeamMember = apps.get_model("sellers", "TeamMember")
    for key in SellerApiKey.objects.select_related("seller").iterator():
        if key.created_by_id is None:
            permissions = []
        elif key.created_by_id == key.seller.owner_id:
            permissions = ALL_PERMISSIONS
        else:
            granted = (
                TeamMember.objects.filter(seller_id=key.seller_id, user_id=key.created_by_id)
                .values_list("permissions", flat=True)
                .first()
            )
            permissions = sorted(set(granted or []) & set(ALL_PERMISSIONS))
        key.permissions = permissions
        key.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("sellers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="sellerapikey",
            name="permissions",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(carry_creators_permissions, migrations.RunPython.noop),
    ]
