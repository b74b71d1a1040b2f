"""The seller dashboard's journal query reads only the period's part of a seller's lines:
the entry id just before the period (the newest entry older than its start less an hour, found
through ``created_at``) bounds the seller's index range from below, and each remaining entry's
kind and time come from an index-only lookup (``id`` with ``kind, created_at``)."""

from django.db import migrations

INDEXES = [
    ("dashboard_journalentry_created", "payments_journalentry (created_at)"),
    ("dashboard_journalentry_kind_time", "payments_journalentry (id) INCLUDE (kind, created_at)"),
]


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_seller_scoped_refund_index")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES
    ]
