# The seller's integration (signing secret, webhook endpoints and deliveries, the integration
# log) moved to core/integrations. Its tables there are made by integrations 0001; this copies
# every row of this schema across with its id (so ids sellers saw stay valid and the tables'
# identity sequences go on after them), then drops licensing's tables. Reversible: the rows
# are copied back and removed from core's tables.

from django.db import migrations

# Table suffix -> columns (the same in both apps; listed so the copy never depends on order).
TABLES = {
    "sellerintegration": "id, seller_id, signing_secret_encrypted, created_at, rotated_at",
    "webhookendpoint": "id, seller_id, url, events, is_active, created_at",
    "webhookdelivery": (
        "id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, "
        "created_at"
    ),
    "integrationcall": (
        "id, seller_id, kind, url, request_body, response_status, response_body, error, "
        "latency_ms, is_success, delivery_id, created_at"
    ),
}


def _copy(source: str, target: str, *, empty_source: bool) -> tuple[str, ...]:
    """Rows from ``source_*`` to ``target_*`` (referenced tables first), each target's
    identity sequence moved past the copied ids, then (``empty_source``) the source rows
    removed. Forwards the source tables are dropped instead: deleting from them first would
    leave deferred foreign-key checks pending, and PostgreSQL refuses to drop such a table."""
    statements = []
    for table, columns in TABLES.items():
        statements.append(
            f"INSERT INTO {target}_{table} ({columns}) SELECT {columns} FROM {source}_{table}"
        )
        statements.append(
            f"SELECT setval(pg_get_serial_sequence('{target}_{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {target}_{table}), 1), "
            f"(SELECT MAX(id) FROM {target}_{table}) IS NOT NULL)"
        )
    if empty_source:
        statements += [f"DELETE FROM {source}_{table}" for table in reversed(TABLES)]
    return tuple(statements)


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0001_initial"),
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=_copy("licensing", "integrations", empty_source=False),
            reverse_sql=_copy("integrations", "licensing", empty_source=True),
        ),
        migrations.DeleteModel(name="IntegrationCall"),
        migrations.DeleteModel(name="WebhookDelivery"),
        migrations.DeleteModel(name="WebhookEndpoint"),
        migrations.DeleteModel(name="SellerIntegration"),
    ]
