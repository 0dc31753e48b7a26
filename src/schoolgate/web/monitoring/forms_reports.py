"""The monitoring settings form: when the weekly report and the digest are sent, where high alerts
also go, and how long activity is kept. Every value is checked here: the worker trusts what is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from schoolgate.web.monitoring.models import MonitoringSettings

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
HOURS = [(h, f"{h:02d}:00") for h in range(24)]
ALLOWED_DAYS = (7, 400)  # counts of allowed traffic: at least a week, at most a year and a bit
EVENTS_DAYS = (30, 3650)  # blocked and search events not in an alert: at least a month
RECIPIENTS_MAX = 20

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[MonitoringSettings]
else:  # django-stubs makes ModelForm generic; Django's own class is not subscriptable
    _ModelForm = forms.ModelForm


class SettingsForm(_ModelForm):
    report_weekday = forms.TypedChoiceField(
        label="Day the weekly report is sent",
        choices=WEEKDAYS,
        coerce=int,
        help_text="It covers the week before, Monday to Sunday.",
    )
    report_hour = forms.TypedChoiceField(
        label="Hour the weekly report is sent",
        choices=HOURS,
        coerce=int,
        help_text="In the school's time zone.",
    )
    digest_hour = forms.TypedChoiceField(
        label="Hour of the same-day digest of medium alerts",
        choices=HOURS,
        coerce=int,
        help_text="In the school's time zone.",
    )
    webhook_url = forms.URLField(
        label="Webhook for high alerts (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="A Microsoft Teams or Slack incoming webhook address, starting https://. It is sent only "
        "that there is an alert, with a link: no names, no searches. Alerts about staff or the "
        "headteacher are not posted to it.",
    )
    extra_recipients = forms.CharField(
        label="Also e-mail high alerts to (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E-mail addresses, one a line. They are told of high alerts about pupils, and get the "
        "daily digest of medium ones; the DSL and deputies always get them.",
    )
    allowed_days = forms.IntegerField(
        label="Keep counts of allowed visits for (days)",
        min_value=ALLOWED_DAYS[0],
        max_value=ALLOWED_DAYS[1],
        help_text=f"From {ALLOWED_DAYS[0]} to {ALLOWED_DAYS[1]} days.",
    )
    events_days = forms.IntegerField(
        label="Keep blocked and search events that are in no alert for (days)",
        min_value=EVENTS_DAYS[0],
        max_value=EVENTS_DAYS[1],
        help_text=f"At least {EVENTS_DAYS[0]} days. Events in an alert are kept as long as the alert.",
    )

    class Meta:
        model = MonitoringSettings
        fields = (
            "report_weekday",
            "report_hour",
            "digest_hour",
            "webhook_url",
            "extra_recipients",
            "allowed_days",
            "events_days",
        )

    def clean_webhook_url(self) -> str:
        url = str(self.cleaned_data.get("webhook_url") or "").strip()
        if url and not url.lower().startswith("https://"):
            raise ValidationError(
                "Give an https:// address: a webhook over plain http could be read on the way."
            )
        return url

    def clean_extra_recipients(self) -> str:
        raw = str(self.cleaned_data.get("extra_recipients") or "")
        addresses: list[str] = []
        wrong: list[str] = []
        for line in raw.replace(",", "\n").replace(";", "\n").splitlines():
            address = line.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError:
                wrong.append(address[:80])
                continue
            if address.lower() not in (a.lower() for a in addresses):
                addresses.append(address)
        if wrong:
            raise ValidationError("Not an e-mail address: " + ", ".join(f"“{w}”" for w in wrong[:5]))
        if len(addresses) > RECIPIENTS_MAX:
            raise ValidationError(f"At most {RECIPIENTS_MAX} addresses.")
        return "\n".join(addresses)
