"""A review request's kind: a review, or a report that a site should be blocked (the block page's
reporting link writes it to the same review file, `activity.reviews.REPORT_KIND`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_selftest_alerts")]

    operations = [
        migrations.AddField(
            model_name="reviewrequest",
            name="kind",
            field=models.CharField(
                choices=[("review", "Asked for a review"), ("report", "Said a site should be blocked")],
                default="review",
                max_length=8,
            ),
        ),
    ]
