"""The seller dashboard reaches refunds from the seller's own order lines (a partial index of
the refunded ones), never from the marketplace's refunds by date; the paid-at index of 0002
invited the planner to read every order of a period instead of the seller's, so it goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_dashboard_read_indexes")]

    operations = [
        migrations.RunSQL(
            sql="DROP INDEX IF EXISTS dashboard_order_paid_at",
            reverse_sql="CREATE INDEX IF NOT EXISTS dashboard_order_paid_at "
            "ON commerce_order (paid_at) WHERE paid_at IS NOT NULL",
        ),
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS dashboard_orderline_refunded "
            "ON commerce_orderline (sub_order_id) INCLUDE (id, product_type) "
            "WHERE refunded_amount > 0",
            reverse_sql="DROP INDEX IF EXISTS dashboard_orderline_refunded",
        ),
    ]
