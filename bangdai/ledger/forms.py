"""Ledger forms: the quick record form (phone first), a correction, the organisation's check, a withdrawal and
a 复盘 review. They validate input; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea, Method
from bangdai.core.forms import ScopedModelChoiceField, ScopedModelMultipleChoiceField
from bangdai.pairings.models import Pairing
from bangdai.regions.models import Region

from . import selectors
from .choices import Verification
from .models import Activity
from .services import MAX_FILES, MAX_MINUTES, MAX_SUMMARY, MIN_MINUTES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked (type, size, decoding) by the service."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def place_label(region: Region) -> str:
    return region.name


class ActivityFieldsForm(forms.Form):
    """The fields an activity has, shared by recording and correcting."""

    occurred_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    duration_min = forms.IntegerField(
        label=_("Minutes"),
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
    )
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices, widget=forms.RadioSelect)
    content_areas = forms.MultipleChoiceField(
        label=_("Content areas"), choices=ContentArea.choices, widget=forms.CheckboxSelectMultiple
    )
    place = forms.ChoiceField(label=_("Place"))
    on_site = forms.BooleanField(
        label=_("On site (现场): at the village or the place of work"), required=False
    )
    summary = forms.CharField(
        label=_("What was done"),
        max_length=MAX_SUMMARY,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("e.g. walked the village with the secretary…")}
        ),
    )
    problems_solved = forms.CharField(
        label=_("Problems solved"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One problem per line."),
    )
    files = MultipleFileField(
        label=_("Photos or documents"),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        help_text=_("Up to %(n)d files: photos (re-encoded without their location and camera data) or PDFs.")
        % {"n": MAX_FILES},
    )

    def set_places(self, places: list[Region]) -> None:
        self.places = {r.code: r for r in places}
        self.fields["place"].choices = [(r.code, place_label(r)) for r in places]

    def clean_place(self) -> Region:
        return self.places[self.cleaned_data["place"]]

    def clean_problems_solved(self) -> list[str]:
        return lines(self.cleaned_data["problems_solved"])

    def activity_data(self) -> dict:
        names = ("occurred_on", "duration_min", "method", "content_areas", "place", "on_site", "summary")
        return {name: self.cleaned_data[name] for name in (*names, "problems_solved")}


class PairingChoiceField(ScopedModelChoiceField):
    widget = forms.HiddenInput


class RecordForm(ActivityFieldsForm):
    """The quick record form: today, 60 minutes, the user's last method and areas, the pairing's place."""

    pairing = PairingChoiceField(label=_("Pairing"), queryset=Pairing.objects.none())
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    accuracy_m = forms.FloatField(required=False, widget=forms.HiddenInput)

    field_order = ["pairing", "occurred_on", "duration_min", "method", "content_areas", "place", "on_site"]

    def __init__(self, *args, user, pairing: Pairing | None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["pairing"]
        field.queryset = selectors.recordable_pairings(user)
        field.visible = Pairing.objects.visible_to(user)
        field.error_messages["invalid_choice"] = _(
            "Activities are recorded for your own running pairings; this one is not among them."
        )
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if pairing is not None:
            self.set_places(selectors.place_choices(pairing))
            if pairing.start_date:
                self.fields["occurred_on"].widget.attrs["min"] = pairing.start_date.isoformat()
        else:
            self.set_places([])

    @classmethod
    def defaults(cls, user, pairing: Pairing, side: str | None) -> dict:
        return {
            "pairing": pairing.pk,
            "occurred_on": timezone.localdate(),
            "duration_min": 60,
            "method": selectors.default_method(user, side),
            "content_areas": selectors.default_areas(user, pairing),
            "place": pairing.region.code,
            "on_site": True,
        }


class CorrectionForm(ActivityFieldsForm):
    note = forms.CharField(
        label=_("Correction note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required once the activity has been confirmed or checked: what changed and why."),
    )
    remove_evidence = forms.TypedMultipleChoiceField(
        label=_("Remove files"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, activity: Activity, **kwargs):
        super().__init__(*args, **kwargs)
        places = selectors.place_choices(activity.pairing)
        if activity.place_id not in {r.pk for r in places}:
            places.insert(0, activity.place)
        self.set_places(places)
        self.fields["remove_evidence"].choices = [(e.pk, e.name) for e in activity.evidence.shown()]
        self.fields["files"].label = _("Add photos or documents")
        if selectors.needs_note(activity):
            self.fields["note"].required = True

    @staticmethod
    def initial_for(activity: Activity) -> dict:
        return {
            "occurred_on": activity.occurred_on,
            "duration_min": activity.duration_min,
            "method": activity.method,
            "content_areas": activity.content_areas,
            "place": activity.place.code,
            "on_site": activity.on_site,
            "summary": activity.summary,
            "problems_solved": "\n".join(activity.problems_solved),
        }


class VerifyForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[
            (Verification.VERIFIED, _("Verified (核实)")),
            (Verification.QUESTIONABLE, _("Questionable (存疑)")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when questionable: what should the parties answer?"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ActivitiesField(ScopedModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.occurred_on:%Y-%m-%d} · {obj.get_method_display()} · {obj.summary[:40]}"


class ReviewForm(forms.Form):
    activities = ActivitiesField(label=_("Activities reviewed"), queryset=Activity.objects.none())
    lessons = forms.CharField(label=_("Lessons (经验与不足)"), widget=forms.Textarea(attrs={"rows": 4}))
    next_steps = forms.CharField(label=_("Next steps (改进措施)"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, pairing: Pairing, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["activities"]
        field.queryset = (
            Activity.objects.visible_to(user)
            .counted()
            .filter(pairing=pairing)
            .order_by("-occurred_on", "-pk")
        )
        field.visible = Activity.objects.visible_to(user)
        field.error_messages["invalid_choice"] = _("A review covers activities of its own pairing only.")
