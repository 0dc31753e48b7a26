"""The self-test's records: its settings, the test identities, the runs and their results."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('monitoring', '0004_selftest_alerts'),
        ('policy', '0003_groups_within_and_worker_publishes'),
        ('tenancy', '0002_one_school_per_urn'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SelfTestRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('trigger', models.CharField(choices=[('schedule', 'Daily schedule'), ('page', 'Run now (page)'), ('command', 'schoolgate selftest')], max_length=10)),
                ('requested_at', models.DateTimeField()),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('state', models.CharField(choices=[('queued', 'Waiting for the worker'), ('running', 'Running'), ('passed', 'Passed'), ('failed', 'Failed'), ('incomplete', 'Could not check everything')], default='queued', max_length=12)),
                ('policy_sha256', models.CharField(blank=True, max_length=64)),
                ('configuration', models.JSONField(blank=True, default=dict, help_text='What it ran with (no passwords)')),
                ('plan', models.JSONField(blank=True, default=list, help_text='Its probes, in order')),
                ('done', models.PositiveIntegerField(default=0, help_text='How many of the probes have an answer')),
                ('problem', models.TextField(blank=True, help_text='Why it could not run, when it could not')),
                ('alert', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='monitoring.alert')),
                ('policy_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='policy.policyversion')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.school')),
            ],
            options={
                'ordering': ('school', '-requested_at', '-id'),
            },
        ),
        migrations.CreateModel(
            name='SelfTestResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('group', models.CharField(max_length=64)),
                ('gateway', models.CharField(choices=[('proxy', 'Web proxy'), ('dns', 'DNS')], max_length=8)),
                ('key', models.CharField(max_length=16)),
                ('label', models.CharField(max_length=200)),
                ('target', models.CharField(max_length=500)),
                ('expected', models.CharField(max_length=200)),
                ('actual', models.CharField(max_length=300)),
                ('outcome', models.CharField(choices=[('passed', 'As expected'), ('failed', 'Not as expected'), ('error', 'Could not be checked')], max_length=8)),
                ('at', models.DateTimeField()),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='results', to='selftest.selftestrun')),
            ],
            options={
                'ordering': ('run', 'position'),
            },
        ),
        migrations.CreateModel(
            name='SelfTestSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('daily', models.BooleanField(default=False, verbose_name='run every day')),
                ('hour', models.PositiveSmallIntegerField(default=6, help_text="In the school's time zone, 0 to 23: before the school day is best", verbose_name='at this hour')),
                ('proxy', models.CharField(blank=True, help_text="The school's Squid, as host:port (for example 10.0.0.2:3128); empty: not checked", max_length=300, verbose_name='web proxy')),
                ('resolver', models.CharField(blank=True, help_text="The school's unbound, as host:port (for example 10.0.0.2:53); empty: not checked", max_length=300, verbose_name='DNS resolver')),
                ('curriculum', models.CharField(blank=True, help_text='The name of a site list of the policy whose sites must stay open for every group', max_length=60, verbose_name='curriculum site list')),
                ('locked_test_addresses', models.TextField(blank=True, help_text="The test addresses the IWF and the police give their members, one per line. The stand-in lists' entries are checked by themselves; a real list's entries never are", verbose_name="locked lists' test addresses")),
                ('school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.school')),
            ],
            options={
                'verbose_name': 'self-test settings',
                'verbose_name_plural': 'self-test settings',
            },
        ),
        migrations.CreateModel(
            name='TestIdentity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('profile', models.CharField(choices=[('pupils', 'Pupils: adult content, gambling, VPNs and DNS over HTTPS blocked; safe search locked on'), ('staff', 'Staff: only illegal content and the Firefox canary must be blocked')], max_length=8, verbose_name="what this group's filtering must do")),
                ('youtube', models.CharField(blank=True, choices=[('strict', 'Strict'), ('moderate', 'Moderate'), ('', 'Not checked')], max_length=8, verbose_name='YouTube restriction expected')),
                ('user_name', models.CharField(blank=True, help_text='A proxy login the policy puts in this group', max_length=150, verbose_name='test user name')),
                ('password', models.CharField(blank=True, help_text='Kept so the self-test can log in; never shown again, never in the audit trail', max_length=200, verbose_name='its password')),
                ('address', models.GenericIPAddressField(blank=True, help_text="An address in the group's range that this server holds; the DNS checks need one", null=True, verbose_name='test address')),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='policy.filtergroup')),
                ('school', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.school')),
            ],
            options={
                'verbose_name': 'test identity',
                'verbose_name_plural': 'test identities',
                'ordering': ('school', 'group__name'),
            },
        ),
        migrations.AddIndex(
            model_name='selftestrun',
            index=models.Index(fields=['state', 'requested_at'], name='selftest_runs_waiting'),
        ),
        migrations.AddConstraint(
            model_name='selftestresult',
            constraint=models.UniqueConstraint(fields=('run', 'position'), name='one_result_per_probe'),
        ),
        migrations.AddConstraint(
            model_name='selftestsettings',
            constraint=models.UniqueConstraint(fields=('school',), name='selftest_settings_once'),
        ),
        migrations.AddConstraint(
            model_name='testidentity',
            constraint=models.UniqueConstraint(fields=('school', 'group'), name='one_test_identity_per_group'),
        ),
    ]
