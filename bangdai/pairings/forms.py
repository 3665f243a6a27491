"""Pairing forms: the proposal, each step of the pairing's life, and the declaration of a conflict of interest."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.apprentices.models import Apprentice
from bangdai.core.forms import ScopedModelChoiceField, ScopedModelMultipleChoiceField
from bangdai.mentors.models import Mentor
from bangdai.mentors.selectors import proposable_mentors

from . import selectors
from .choices import ConflictKind


class ApprenticeChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name} · {obj.region.name}"


def mentor_label(mentor) -> str:
    return _("%(name)s · %(tier)s · %(region)s · %(free)d free") % {
        "name": mentor.person.name,
        "tier": mentor.get_tier_display(),
        "region": mentor.region.name,
        "free": mentor.free_places,
    }


class MentorChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return mentor_label(obj)

    def clean(self, value):
        mentor = super().clean(value)
        return [mentor] if mentor else []


class MentorsChoiceField(ScopedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return mentor_label(obj)


def mentors_field(user, programme, exclude=()):
    """One mentor (a select) or a team (checkboxes), as the programme's rules allow; free places shown."""
    queryset = proposable_mentors(user, programme).exclude(pk__in=list(exclude))
    visible = Mentor.objects.visible_to(user)
    limit = programme.policy.max_mentors_per_apprentice
    if limit > 1:
        return MentorsChoiceField(
            label=_("Mentors"),
            queryset=queryset,
            visible=visible,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Up to %(n)d mentors; the first chosen is the primary mentor.") % {"n": limit},
        )
    return MentorChoiceField(label=_("Mentor"), queryset=queryset, visible=visible)


class ProposeForm(forms.Form):
    apprentice = ApprenticeChoiceField(label=_("Apprentice"), queryset=Apprentice.objects.none())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["apprentice"].queryset = selectors.proposable_apprentices(user, programme)
        self.fields["apprentice"].visible = Apprentice.objects.visible_to(user)
        self.fields["mentors"] = mentors_field(user, programme)
        self.order_fields(["apprentice", "mentors", "note"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExtendForm(forms.Form):
    months = forms.IntegerField(label=_("Extend by (months)"), min_value=1, max_value=36)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class SignPledgeForm(forms.Form):
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ceremony_place = forms.CharField(label=_("Ceremony place"), max_length=100)
    witnesses = forms.CharField(
        label=_("Witnesses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )
    text = forms.CharField(
        label=_("拜师帖 text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave blank for the standard text."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"signed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_witnesses(self):
        return [w.strip() for w in self.cleaned_data["witnesses"].splitlines() if w.strip()]

    def clean_signed_on(self) -> dt.date:
        return self.cleaned_data["signed_on"]


class RepairForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        current = [m.mentor_id for m in pairing.members.all()]
        self.fields["mentors"] = mentors_field(user, pairing.programme, exclude=current)
        self.fields["mentors"].label = _("New mentors")
        self.order_fields(["mentors", "reason"])


class ConflictForm(forms.Form):
    mentor = ScopedModelChoiceField(label=_("Mentor"), queryset=Mentor.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ConflictKind.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, apprentice, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["mentor"]
        field.queryset = (
            Mentor.objects.visible_to(user)
            .filter(programme_id=apprentice.programme_id)
            .exclude(person_id=apprentice.person_id)
            .select_related("person", "region")
            .order_by("person__name")
        )
        field.visible = Mentor.objects.visible_to(user)
        field.label_from_instance = lambda m: f"{m.person.name} · {m.region.name}"
