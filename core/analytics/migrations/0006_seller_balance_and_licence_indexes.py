"""Index-only reads for the two all-time figures of the dashboard: the seller's balances per
account and currency (``core.payments.ledger.seller_balances``, the payout balance) and the
licences sold (units of the licence-delivering product types)."""

from django.db import migrations

INDEXES = [
    (
        "dashboard_journalline_seller_balance",
        "payments_journalline (seller_id, account, currency) INCLUDE (amount) "
        "WHERE seller_id IS NOT NULL",
    ),
    (
        "dashboard_sellersale_seller_type",
        "analytics_sellersale (seller_id, product_type) INCLUDE (quantity)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_seller_sales_and_refunds")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES
    ]
