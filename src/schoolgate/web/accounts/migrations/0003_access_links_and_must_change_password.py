import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_alter_membership_role'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='must_change_password',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='AccessLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('purpose', models.CharField(choices=[('invitation', 'invitation to a new login'), ('reset', 'reset')], max_length=20)),
                ('made_at', models.DateTimeField(db_index=True)),
                ('expires_at', models.DateTimeField()),
                ('made_by', models.CharField(help_text='who asked for it, as written at the time', max_length=200)),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, help_text='a newer link, or never sent', null=True)),
                ('school', models.ForeignKey(blank=True, help_text='where it was asked for: its use is written to that school\'s audit trail', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenancy.school')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_links', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ('-made_at',),
            },
        ),
    ]
