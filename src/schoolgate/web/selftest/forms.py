"""The self-test's forms: when it runs and what it checks, where its probes go (the gateways: the network
manager's alone), and one group's test identity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms

from schoolgate.web.policy.models import FilterGroup
from schoolgate.web.selftest.choices import Profile
from schoolgate.web.selftest.models import SelfTestSettings, TestIdentity
from schoolgate.web.tenancy.models import School

if TYPE_CHECKING:
    _SettingsForm = forms.ModelForm[SelfTestSettings]
    _IdentityForm = forms.ModelForm[TestIdentity]
else:  # not subscriptable at run time
    _SettingsForm = _IdentityForm = forms.ModelForm


class SettingsForm(_SettingsForm):
    class Meta:
        model = SelfTestSettings
        fields = ("curriculum", "locked_test_addresses", "daily", "hour")
        widgets: ClassVar[dict[str, Any]] = {"locked_test_addresses": forms.Textarea(attrs={"rows": 3})}

    hour = forms.TypedChoiceField(
        label="At this hour",
        coerce=int,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        initial=6,
        help_text="In the school's time zone: before the school day is best",
    )


class GatewaysForm(_SettingsForm):
    """The proxy and the resolver, apart from the rest: only the network manager changes them, as they
    decide where the test passwords are sent (`actions.do_save_gateways`)."""

    class Meta:
        model = SelfTestSettings
        fields = ("proxy", "resolver")


class IdentityForm(_IdentityForm):
    """A group's test identity. The password is asked for, never shown: left empty, the stored one stays."""

    new_password = forms.CharField(
        label="Its password",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="Only for a test user name. Left empty, the password kept already stays",
    )

    class Meta:
        model = TestIdentity
        fields = ("group", "profile", "youtube", "user_name", "address")
        widgets: ClassVar[dict[str, Any]] = {"profile": forms.RadioSelect}

    field_order = ("group", "profile", "youtube", "user_name", "new_password", "address")

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profile = self.fields["profile"]
        assert isinstance(profile, forms.ChoiceField)
        profile.choices = Profile.choices  # one of the two, never "none"
        group = self.fields["group"]
        assert isinstance(group, forms.ModelChoiceField)
        group.queryset = FilterGroup.objects.filter(school=school).order_by("name")
        group.label = "Filter group"
        group.help_text = "The group of the policy this identity stands for"
