from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_loginhandoff_is_two_factor_verified"),
    ]

    operations = [
        migrations.AddField(
            model_name="loginhandoff",
            name="support_session_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
    ]
