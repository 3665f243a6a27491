"""Assignment forms: setting one, answering it with text and files, reviewing it, withdrawing it."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.core.forms import ScopedModelChoiceField
from bangdai.pairings.models import Pairing

from . import selectors
from .services import MAX_FILES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PairingChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.apprentice.person.name} · {obj.region.name}"


class IssueForm(forms.Form):
    pairing = PairingChoiceField(label=_("Apprentice"), queryset=Pairing.objects.none())
    title = forms.CharField(label=_("Title"), max_length=100)
    brief = forms.CharField(
        label=_("Brief"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What to do, what to hand in, and how it will be judged."),
    )
    content_area = forms.ChoiceField(label=_("Content area"), choices=ContentArea.choices)
    due_on = forms.DateField(label=_("Due"), widget=DATE_INPUT)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("due_on", timezone.localdate() + dt.timedelta(days=14))
        super().__init__(*args, **kwargs)
        field = self.fields["pairing"]
        field.queryset = selectors.mentor_pairings(user)
        field.visible = Pairing.objects.visible_to(user)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each (type, size, decoding) before storing any."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"class": "form-control", "accept": "image/jpeg,image/png,image/webp,application/pdf"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SubmitForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    files = MultipleFileField(
        label=_("Photos or PDF documents"),
        required=False,
        help_text=format_lazy(
            _(
                "Up to {n} files: photos (JPEG, PNG, WebP, at most 10 MB each) or PDF documents (at most 20 MB)."
            ),
            n=MAX_FILES,
        ),
    )


class ReviewForm(forms.Form):
    submission = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.IntegerField(
        label=_("Score (0–100)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 100}),
    )
    feedback = forms.CharField(label=_("Feedback"), widget=forms.Textarea(attrs={"rows": 4}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
