"""Indexes the seller dashboard reads through, on tables other apps own (their models are
unchanged; the indexes are read-side only). Each query of ``core.studio.dashboard.figures``
is then one range of one seller's rows, never a scan of the marketplace's orders or
journal:

- journal lines of one seller with their entry, amount and currency (index-only);
- one seller's sub-orders with their order (index-only);
- paid orders by payment time, for the marketplace-wide views.
"""

from django.db import migrations

INDEXES = [
    (
        "dashboard_journalline_seller_entry",
        "payments_journalline (seller_id, entry_id) INCLUDE (currency, amount) "
        "WHERE seller_id IS NOT NULL",
    ),
    ("dashboard_suborder_seller_order", "commerce_suborder (seller_id, order_id) INCLUDE (id)"),
    ("dashboard_order_paid_at", "commerce_order (paid_at) WHERE paid_at IS NOT NULL"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_daily_aggregates"),
        ("payments", "0002_ledger_enforcement"),
        ("commerce", "0005_idempotentrequest_moves_to_kernel"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES
    ]
