"""The activity part's forms: the export's reason, the risk phrases' changes, and the check page.

Forms check the shape of what was typed; the actions (`phrasebook.do_*`) check the rest, with the
permission, and their ValidationError comes back onto the form."""

from __future__ import annotations

from django import forms

from schoolgate.monitoring.phrases import Area, Audience, Severity
from schoolgate.web.core.actions import REASON_MAX
from schoolgate.web.monitoring.phrasebook import PHRASE_MAX

# The areas as the pages name them (the stored value is the phrase module's snake case).
AREA_LABELS: dict[str, str] = {
    Area.SUICIDE: "Suicide",
    Area.SELF_HARM: "Self-harm and eating disorders",
    Area.GROOMING: "Grooming and sexual exploitation",
    Area.SEXUAL: "Sexual content",
    Area.BULLYING: "Bullying",
    Area.EXTREMISM: "Radicalisation and extremism",
    Area.HATE: "Hate and discrimination",
    Area.WEAPONS: "Weapons",
    Area.VIOLENCE: "Violence",
    Area.DRUGS: "Drugs",
    Area.GAMBLING: "Gambling",
}
SEVERITY_CHOICES = [
    (Severity.HIGH.value, "High: the DSL is e-mailed at once"),
    (Severity.MEDIUM.value, "Medium: in the DSL's daily digest e-mail"),
    (Severity.LOW.value, "Low: in the weekly report"),
]
AUDIENCE_LABELS: dict[str, str] = {
    Audience.KS1: "A pupil in Key Stage 1 (or early years)",
    Audience.KS2: "A pupil in Key Stage 2",
    Audience.KS3: "A pupil in Key Stage 3",
    Audience.KS4: "A pupil in Key Stage 4",
    Audience.KS5: "A pupil in the sixth form",
    Audience.PUPIL: "A pupil whose year group is not known",
    Audience.STAFF: "A member of staff",
    Audience.GUEST: "A visitor or community user",
    Audience.UNKNOWN: "Someone the filter could not identify",
}


def area_label(value: str) -> str:
    return AREA_LABELS.get(value, value.replace("_", " ").capitalize())


def audience_label(value: str) -> str:
    return AUDIENCE_LABELS.get(value, value)


class ExportForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the rows leave Schoolgate: written to the audit trail with your name and the filters.",
    )


class AddPhraseForm(forms.Form):
    phrase = forms.CharField(
        max_length=PHRASE_MAX,
        help_text=(
            "Letters for numbers and repeated letters are read as the phrase too; so are missing spaces, "
            "in a phrase of 8 letters or more"
        ),
    )
    area = forms.ChoiceField(choices=[(a.value, area_label(a.value)) for a in Area])
    severity = forms.ChoiceField(choices=SEVERITY_CHOICES)
    reason = forms.CharField(
        max_length=REASON_MAX, required=False, help_text="Why the school looks for it (optional)"
    )


class RegradeForm(forms.Form):
    severity = forms.ChoiceField(choices=SEVERITY_CHOICES, label="New severity")
    reason = forms.CharField(max_length=REASON_MAX, label="Why")


class RemoveForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX, label="Why it is no longer looked for")


class RestoreForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX, required=False, label="Why (optional)")


class CheckForm(forms.Form):
    """A URL to read the search from, or a text to scan for risk phrases, or both."""

    url = forms.CharField(max_length=4096, required=False, label="An address (URL)", strip=True)
    text = forms.CharField(
        max_length=2000, required=False, label="A search or phrase", widget=forms.Textarea(attrs={"rows": 2})
    )
    audience = forms.ChoiceField(
        choices=[(a.value, audience_label(a.value)) for a in Audience],
        initial=Audience.KS3.value,
        label="As searched by",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("url") and not data.get("text"):
            raise forms.ValidationError("Give an address, a text, or both")
        return data
