"""Apprentice forms: registering a cadre in a programme and changing the record."""

from django import forms
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.core.forms import LookupSelect
from bangdai.mentors.forms import PersonChoiceField, ProgrammeChoiceField
from bangdai.mentors.selectors import open_programmes
from bangdai.people.models import Person
from bangdai.people.selectors import editable_people
from bangdai.programmes.models import Programme

from .choices import ApprenticeCategory


class ApprenticeFields(forms.Form):
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=ApprenticeCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    three_gates = forms.BooleanField(
        label=_("三门干部 (home → school → office, no grassroots experience)"), required=False
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs (content areas)"),
        choices=ContentArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def record_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("categories", "three_gates", "needs", "note")}


class RegisterForm(ApprenticeFields):
    programme = ProgrammeChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    person = PersonChoiceField(
        label=_("Cadre"), queryset=Person.objects.none(), widget=LookupSelect("people:lookup")
    )

    field_order = ["programme", "person"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = open_programmes(user)
        self.fields["programme"].visible = Programme.objects.visible_to(user)
        self.fields["person"].queryset = editable_people(user).select_related("region")
        self.fields["person"].visible = Person.objects.visible_to(user)

    def service_data(self) -> dict:
        return {
            "programme": self.cleaned_data["programme"],
            "person": self.cleaned_data["person"],
            **self.record_data(),
        }


class ApprenticeForm(ApprenticeFields):
    def __init__(self, *args, apprentice, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "categories": apprentice.categories,
                "three_gates": apprentice.three_gates,
                "needs": apprentice.needs,
                "note": apprentice.note,
            },
        )
        super().__init__(*args, **kwargs)
