"""A new kind of alert: the filtering self-test found something not as the school means it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_reports_sending")]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("phrase", "Risk phrase searched"),
                    ("category", "Category with an alert"),
                    ("locked", "Attempt on illegal content"),
                    ("circumvention", "Attempt to get round the filter"),
                    ("repeated", "Repeated blocks"),
                    ("selftest", "Filtering self-test failed"),
                ],
                max_length=16,
            ),
        ),
    ]
