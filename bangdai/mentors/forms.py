"""Mentor forms: nomination (by an organisation or the cadre), the profile, steps and publicity objections."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.core.forms import LookupSelect, ScopedModelChoiceField
from bangdai.people.models import Person
from bangdai.people.selectors import editable_people
from bangdai.programmes.models import Programme

from . import selectors
from .choices import MentorTier, MentorTitle

SEPARATORS = re.compile(r"[,，、;；\n]+")


class ProgrammeChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.region.name} · {obj.year}）"


class PersonChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.region.name}"


class ProfileFields(forms.Form):
    """The mentor's profile, shared by the nomination and edit forms."""

    tier = forms.ChoiceField(label=_("Tier"), choices=MentorTier.choices)
    titles = forms.MultipleChoiceField(
        label=_("Titles"), choices=MentorTitle.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    qianming_batch = forms.TypedChoiceField(
        label=_("千名好支书 batch"),
        choices=[("", "–"), (1, "1"), (2, "2"), (3, "3")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    expertise = forms.MultipleChoiceField(
        label=_("Expertise (content areas)"),
        choices=ContentArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    specialties = forms.CharField(
        label=_("Specialties"),
        required=False,
        max_length=500,
        help_text=_("Separate with commas, e.g. 茶产业, 民宿, 矛盾调解."),
    )

    def clean_specialties(self):
        return [s.strip() for s in SEPARATORS.split(self.cleaned_data.get("specialties") or "") if s.strip()]

    def profile_data(self) -> dict:
        return {
            k: self.cleaned_data[k] for k in ("tier", "titles", "qianming_batch", "expertise", "specialties")
        }


class NominateForm(ProfileFields):
    """An organisation department or township committee enters a cadre of its jurisdiction into the pool."""

    programme = ProgrammeChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    person = PersonChoiceField(
        label=_("Cadre"), queryset=Person.objects.none(), widget=LookupSelect("people:lookup")
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Leave blank for the programme's default for the tier."),
    )
    recommending_unit = forms.CharField(label=_("Recommending unit"), max_length=100, required=False)
    nomination_statement = forms.CharField(
        label=_("Recommendation"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = ["programme", "person", "tier", "titles", "qianming_batch", "expertise", "specialties"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = selectors.open_programmes(user)
        self.fields["programme"].visible = Programme.objects.visible_to(user)
        self.fields["person"].queryset = editable_people(user).select_related("region")
        self.fields["person"].visible = Person.objects.visible_to(user)

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "programme": data["programme"],
            "person": data["person"],
            "capacity": data["capacity"],
            "recommending_unit": data["recommending_unit"],
            "nomination_statement": data["nomination_statement"],
            **self.profile_data(),
        }


class SelfNominateForm(ProfileFields):
    """A signed-in cadre applies to be a mentor (个人自荐)."""

    programme = ProgrammeChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    nomination_statement = forms.CharField(
        label=_("Why you want to mentor"), widget=forms.Textarea(attrs={"rows": 4})
    )

    field_order = ["programme", "tier", "titles", "qianming_batch", "expertise", "specialties"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = selectors.self_nomination_programmes(user)
        self.fields["programme"].visible = Programme.objects.visible_to(user)

    def service_data(self) -> dict:
        return {
            "programme": self.cleaned_data["programme"],
            "nomination_statement": self.cleaned_data["nomination_statement"],
            **self.profile_data(),
        }


class MentorProfileForm(ProfileFields):
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100)

    def __init__(self, *args, mentor, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "tier": mentor.tier,
                "titles": mentor.titles,
                "qianming_batch": mentor.qianming_batch,
                "expertise": mentor.expertise,
                "specialties": "，".join(mentor.specialties),
                "capacity": mentor.capacity,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["capacity"].help_text = _("%(n)d place(s) taken now.") % {"n": mentor.load}

    def service_data(self) -> dict:
        return {**self.profile_data(), "capacity": self.cleaned_data["capacity"]}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionForm(forms.Form):
    raised_by = forms.CharField(label=_("Raised by"), max_length=64, required=False)
    content = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveObjectionForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))
