"""IdempotentRequest now belongs to core.idempotency (which renames its table); commerce only
forgets it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0004_escrow_types_from_modules"),
        ("idempotency", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotentRequest")],
        ),
    ]
