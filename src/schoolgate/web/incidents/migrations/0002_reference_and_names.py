"""Incidents get a random reference in place of the school's running number (which told how many
there were); the people in them keep the key of their name, whether the records had them, and may be
linked to a login of the school. Existing incidents are given references; existing names their keys,
and "not checked against the school's records" where they are not linked."""

import re
import secrets
import unicodedata

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# As they were when this migration was written (a migration keeps its own copy: the app's may change).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "rev", "revd", "sir", "dame", "lady", "lord"}


def _key(name):
    name = re.sub(r"\([^)]*\)|#\d+", " ", name)
    last, comma, first = name.partition(",")
    if comma:
        name = f"{first} {last}"
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    name = name.casefold().replace("'", "").replace("\u2019", "").replace(".", " ")
    found = re.findall(r"[^\W_]+(?:-[^\W_]+)*", name)
    while len(found) > 1 and found[0] in TITLES:
        found.pop(0)
    if not found:
        return ""
    return found[0] if len(found) == 1 else " ".join(sorted((found[0], found[-1])))


def give_references(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    taken = set()
    for incident in Incident.objects.order_by("pk"):
        while True:
            drawn = "".join(secrets.choice(ALPHABET) for _ in range(8))
            reference = f"{drawn[:4]}-{drawn[4:]}"
            if (incident.school_id, reference) not in taken:
                break
        taken.add((incident.school_id, reference))
        Incident.objects.filter(pk=incident.pk).update(reference=reference)


def give_numbers(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    counts = {}
    for incident in Incident.objects.order_by("reported_at", "pk"):
        counts[incident.school_id] = counts.get(incident.school_id, 0) + 1
        Incident.objects.filter(pk=incident.pk).update(number=counts[incident.school_id])


def key_names(apps, schema_editor):
    Involvement = apps.get_model("incidents", "Involvement")
    for involvement in Involvement.objects.order_by("pk"):
        Involvement.objects.filter(pk=involvement.pk).update(
            name_key=_key(involvement.name),
            records="linked" if involvement.person_id is not None else "unchecked",
        )


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0001_initial'),
        ('people', '0002_title_parent_and_imports'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='reference',
            field=models.CharField(default='', editable=False, help_text='Random, so that it says nothing of how many there are', max_length=9),
            preserve_default=False,
        ),
        migrations.RunPython(give_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='incident',
            name='number',
            field=models.PositiveIntegerField(default=0, help_text="The school's own running number"),
        ),
        migrations.RemoveConstraint(
            model_name='incident',
            name='incident_number_once',
        ),
        migrations.RunPython(migrations.RunPython.noop, give_numbers),
        migrations.RemoveField(
            model_name='incident',
            name='number',
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.UniqueConstraint(fields=('school', 'reference'), name='incident_reference_once'),
        ),
        migrations.AddField(
            model_name='involvement',
            name='user',
            field=models.ForeignKey(blank=True, help_text='A login of the school, for someone with no record in its people', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='login'),
        ),
        migrations.AddField(
            model_name='involvement',
            name='name_key',
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name='involvement',
            name='records',
            field=models.CharField(choices=[('linked', "Linked to the school's records"), ('none', "Nobody of that name on the school's records"), ('kept', "Not linked: said to be none of the people of that name on the school's records"), ('unchecked', "Not linked, and not checked against the school's records")], default='unchecked', max_length=10, verbose_name="on the school's records"),
        ),
        migrations.RunPython(key_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='involvement',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('incident', 'user', 'role'), name='login_role_once'),
        ),
        migrations.AddIndex(
            model_name='involvement',
            index=models.Index(fields=['school', 'name_key'], name='incidents_i_school__d7b0d1_idx'),
        ),
    ]
