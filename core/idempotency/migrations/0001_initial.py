"""The idempotency store moves from commerce to the kernel: the model is taken over as it is
(state only), then its table is renamed to this app's."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("commerce", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotentRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("user_id", models.BigIntegerField()),
                        ("scope", models.CharField(max_length=40)),
                        ("key", models.CharField(max_length=100)),
                        ("fingerprint", models.CharField(max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("response", models.JSONField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "commerce_idempotentrequest",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user_id", "scope", "key"), name="idempotency_once"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="idempotentrequest", table=None),
    ]
