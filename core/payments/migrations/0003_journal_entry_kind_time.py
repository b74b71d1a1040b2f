from django.db import migrations, models


class Migration(migrations.Migration):
    """A plain CREATE INDEX: django-tenants migrates each schema inside a transaction, where
    CREATE INDEX CONCURRENTLY cannot run. On a large live journal, create it concurrently by
    hand first (same name); this migration then finds it (IF NOT EXISTS)."""

    dependencies = [
        ("payments", "0002_ledger_enforcement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="journalentry",
                    index=models.Index(
                        fields=["kind", "created_at"], name="journal_entry_kind_time"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "CREATE INDEX IF NOT EXISTS journal_entry_kind_time "
                    "ON payments_journalentry (kind, created_at)",
                    reverse_sql="DROP INDEX IF EXISTS journal_entry_kind_time",
                ),
            ],
        ),
    ]
