"""The weekly report's sending: how many attempts, the last one, and what went wrong (weekly.send_due
tries a failed sending again after a growing pause)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_partitions")]

    operations = [
        migrations.AddField(
            model_name="weeklyreport",
            name="send_attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="weeklyreport",
            name="tried_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="weeklyreport",
            name="send_problem",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
