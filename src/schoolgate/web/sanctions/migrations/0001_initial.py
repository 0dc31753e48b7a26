"""The sanctions matrix moves from the online safety log (`incidents`) to its own app. Its tables stay
where they are, with every row in them: this migration only tells Django that the models are now this
app's (`SeparateDatabaseAndState`, no database operation), and incidents/0003 lets the log's models go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('incidents', '0002_reference_and_names'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SanctionAction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('applies_to', models.CharField(choices=[('pupil', 'Pupils'), ('staff', 'Staff')], max_length=10)),
                        ('key', models.SlugField(max_length=40)),
                        ('name', models.CharField(max_length=200)),
                        ('is_sanction', models.BooleanField(default=False, help_text='A warning or sanction: misuse after it counts as a continued infringement')),
                        ('order', models.PositiveSmallIntegerField(default=0)),
                        ('school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.school')),
                    ],
                    options={
                        'db_table': 'incidents_sanctionaction',
                        'ordering': ('school', 'applies_to', 'order', 'pk'),
                        'constraints': [models.UniqueConstraint(fields=('school', 'applies_to', 'key'), name='sanction_action_once')],
                    },
                ),
                migrations.CreateModel(
                    name='Misuse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('applies_to', models.CharField(choices=[('pupil', 'Pupils'), ('staff', 'Staff')], max_length=10)),
                        ('key', models.SlugField(max_length=40)),
                        ('description', models.CharField(max_length=300)),
                        ('is_continued', models.BooleanField(default=False, help_text='The row for continued infringements after earlier warnings or sanctions')),
                        ('order', models.PositiveSmallIntegerField(default=0)),
                        ('retired', models.BooleanField(default=False, help_text='No longer offered for new incidents')),
                        ('school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.school')),
                        ('expected', models.ManyToManyField(blank=True, related_name='expected_for', to='sanctions.sanctionaction')),
                    ],
                    options={
                        'db_table': 'incidents_misuse',
                        'verbose_name_plural': 'misuse',
                        'ordering': ('school', 'applies_to', 'order', 'pk'),
                        'constraints': [models.UniqueConstraint(fields=('school', 'applies_to', 'key'), name='misuse_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
