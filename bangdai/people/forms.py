"""The cadre form: field checks here, cross-record checks in the service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from bangdai.core.forms import RegionChoiceField

from .models import Person
from .validation import clean_id_number, clean_phone


class PersonForm(forms.ModelForm):
    region = RegionChoiceField(label=_("Employer region"))

    class Meta:
        model = Person
        fields = [
            "name",
            "gender",
            "birth_date",
            "ethnicity",
            "id_number",
            "phone",
            "political_status",
            "party_join_date",
            "education",
            "region",
            "org_unit",
            "position",
            "rank",
            "cadre_type",
            "entry_date",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "party_join_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "entry_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "maxlength": 14}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only regions the user may edit can be chosen.
        self.fields["region"].restrict_to(user, editing=True)
        if self.instance.pk:
            self.initial["region"] = self.instance.region.code
            # The stored number is never sent back to the browser; leave blank to keep it.
            self.fields["id_number"].required = False
            self.fields["id_number"].widget.attrs["placeholder"] = self.instance.id_number_masked
            self.initial["id_number"] = ""
            self.fields["phone"].widget.attrs["placeholder"] = self.instance.phone_masked
            self.initial["phone"] = ""
            self.fields["phone"].help_text = _("Leave blank to keep the current number.")
            self.fields["id_number"].help_text = _("Leave blank to keep the current number.")

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "")
        if not value and self.instance.pk:
            return self.instance.id_number
        return clean_id_number(value)

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "")
        if not value and self.instance.pk:
            return self.instance.phone
        return clean_phone(value)

    def _post_clean(self):
        # Model construction happens in the service; skip ModelForm's instance mutation and unique checks.
        pass

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
