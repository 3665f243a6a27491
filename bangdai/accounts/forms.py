"""Account forms: sign-in, a new account with its first role, a further role, a profile."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from bangdai.core.forms import RegionChoiceField

from .choices import Role


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username"), widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )


class AccountCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=64,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Letters, digits and . @ + - _ only.")},
    )
    display_name = forms.CharField(label=_("Display name"), max_length=64, required=False)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput(render_value=False), min_length=8
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region = RegionChoiceField(label=_("Region"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].restrict_to(user, roles={Role.ORG_ADMIN})


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region = RegionChoiceField(label=_("Region"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].restrict_to(user, roles={Role.ORG_ADMIN})


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=64, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
