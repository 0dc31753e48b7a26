"""An MIS upload says what it asks of network user names: from the files' column, by a rule, or both."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_title_parent_and_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="username_rule",
            field=models.CharField(blank=True, help_text="Such as {first}.{last}", max_length=100),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="usernames_from_column",
            field=models.BooleanField(default=False),
        ),
    ]
