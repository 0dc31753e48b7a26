"""The sanctions matrix is now the `sanctions` app's (sanctions/0001): an incident's kind of misuse and
an action taken point to its models, and the log lets its own copies go. Nothing changes in the
database: the tables, their rows and the foreign keys stay as they are (`SeparateDatabaseAndState`)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0002_reference_and_names'),
        ('sanctions', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='incident',
                    name='misuse',
                    field=models.ForeignKey(blank=True, help_text='The kind of misuse, from the sanctions matrix, where it is one', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='incidents', to='sanctions.misuse'),
                ),
                migrations.AlterField(
                    model_name='actiontaken',
                    name='action',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sanctions.sanctionaction'),
                ),
                migrations.DeleteModel(name='Misuse'),
                migrations.DeleteModel(name='SanctionAction'),
            ],
            database_operations=[],
        ),
    ]
