"""Alliance forms: forming one, its goals and targets, members, joint activities; planning and editing proposals."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangdai.accounts.choices import Role
from bangdai.core.forms import RegionChoiceField, RegionSelect, ScopedModelChoiceField, resolve_region_choice
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.regions.choices import Level
from bangdai.regions.models import Region

from .choices import Qualification, Weighting
from .models import PlanHub, PlanVillage
from .selectors import lead_by_village
from .services import LIMITS

ORG_ADMIN = {Role.ORG_ADMIN}


def organising_regions(user):
    """The provinces, cities and counties whose alliances the user organises (as organisation admin)."""
    return (
        Region.objects.current()
        .filter(user.scope.governed_q("path", roles=ORG_ADMIN))
        .filter(depth__lte=Level.COUNTY)
        .order_by("path")
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class RegionSelectMultiple(RegionSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)


class _Chosen:
    """What RegionSelect reads to render the chosen options: the allowed regions and the field's labels."""

    def __init__(self, field):
        self.field, self.queryset = field, field.allowed

    def __iter__(self):
        return iter(())


class VillagesField(forms.Field):
    """Villages by code among the regions the user organises in; a real region outside them is a 404."""

    widget = RegionSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.allowed = Region.objects.none()

    def restrict_to(self, user):
        self.allowed = Region.objects.current().filter(user.scope.governed_q("path", roles=ORG_ADMIN))
        self.widget.choices = _Chosen(self)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return [getattr(v, "code", v) for v in value]
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            codes = value
        else:
            codes = str(value).replace("，", ",").replace("\n", ",").split(",")
        codes = list(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
        return [resolve_region_choice(self.allowed, code) for code in codes]


class TargetForm(forms.Form):
    """One measurable target of an alliance's shared goals; a row left empty is skipped."""

    description = forms.CharField(label=_("Target"), max_length=200, required=False)
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=14, decimal_places=2, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    due = forms.DateField(label=_("Due"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("description") and data.get("value") is None:
            self.add_error("value", _("Give the target a value."))
        if data.get("value") is not None and not data.get("description"):
            self.add_error("description", _("Describe the target."))
        return data

    def target(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("description"):
            return None
        return {
            "description": data["description"],
            "value": data["value"],
            "unit": data.get("unit", ""),
            "due": data["due"].isoformat() if data.get("due") else None,
        }


TargetFormSet = forms.formset_factory(TargetForm, extra=2, max_num=20, validate_max=True)


def target_formset(data=None, targets=()):
    initial = [dict(t) for t in targets or []]
    return TargetFormSet(data, initial=initial, prefix="targets")


def targets_of(formset) -> list[dict]:
    return [t for t in (form.target() for form in formset.forms if form.is_valid()) if t]


class GoalsFields(forms.Form):
    name = forms.CharField(label=pgettext_lazy("alliance", "Name"), max_length=100)
    theme = forms.CharField(
        label=_("Theme"), max_length=200, required=False, help_text=_("e.g. 民宿共富, 书香大陈")
    )
    goals = forms.CharField(
        label=_("Shared goals"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the villages set out to achieve together; required before the alliance starts."),
    )


class AllianceForm(GoalsFields):
    region = RegionChoiceField(
        label=_("Organising region"),
        help_text=_(
            "Your department's region; every village must lie inside it, so an alliance across counties is "
            "organised by the city."
        ),
    )
    hub = RegionChoiceField(label=_("Hub village"), help_text=_("The lead mentor's home village."))
    lead_mentor = ScopedModelChoiceField(
        label=_("Lead mentor"),
        queryset=Mentor.objects.none(),
        required=False,
        help_text=_("Leave empty to take the hub village's appointed mentor (a titled one first)."),
    )
    members = VillagesField(label=_("Member villages"), help_text=_("Besides the hub; more can join later."))
    founded_on = forms.DateField(label=_("Founded on"), widget=DateInput)

    field_order = ["name", "theme", "region", "hub", "lead_mentor", "members", "founded_on", "goals"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].restrict_to(user, roles=ORG_ADMIN)
        self.fields["region"].queryset = self.fields["region"].queryset.filter(depth__lte=Level.COUNTY)
        self.fields["hub"].restrict_to(user, roles=ORG_ADMIN)
        self.fields["members"].restrict_to(user)
        visible = Mentor.objects.visible_to(user)
        field = self.fields["lead_mentor"]
        field.queryset = (
            visible.filter(status=MentorStatus.ACTIVE, region__depth=Level.VILLAGE)
            .select_related("person", "region")
            .order_by("region__path", "person__name")
        )
        field.visible = visible
        field.label_from_instance = lambda m: f"{m.person.name} · {m.region.name}"
        self.fields["founded_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        hub = data.get("hub")
        if hub is not None and not data.get("lead_mentor"):
            lead = lead_by_village([hub.pk]).get(hub.pk)
            if lead is None:
                self.add_error(
                    "lead_mentor", _("No appointed mentor leading no alliance lives in this village.")
                )
            data["lead_mentor"] = lead
        return data


class MembersForm(forms.Form):
    villages = VillagesField(label=_("Villages to add"), required=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["villages"].restrict_to(user)


class RemoveMemberForm(forms.Form):
    village = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        self.alliance = alliance

    def clean_village(self):
        member = self.alliance.members.filter(
            current=True, village__code=self.cleaned_data["village"]
        ).first()
        if member is None:
            raise ValidationError(_("Choose a member village."))
        return member.village


class DissolveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ActivityForm(forms.Form):
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput)
    title = forms.CharField(label=pgettext_lazy("joint activity", "Title"), max_length=120)
    summary = forms.CharField(
        label=pgettext_lazy("joint activity", "Summary"), widget=forms.Textarea(attrs={"rows": 4})
    )
    villages = forms.ModelMultipleChoiceField(
        label=_("Participating villages"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every member village took part."),
    )
    files = MultipleFileField(
        label=_("Evidence"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        help_text=_(
            "Photos (JPEG, PNG, WebP) or PDF documents; photos are re-encoded without their metadata."
        ),
    )

    def __init__(self, *args, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        ids = alliance.members.filter(current=True).values("village_id")
        self.fields["villages"].queryset = Region.objects.filter(pk__in=ids).order_by("path")
        self.fields["occurred_on"].initial = timezone.localdate()


class PlanForm(forms.Form):
    """The area and the planner's limits, pre-filled with the area's defaults."""

    area = forms.CharField(label=pgettext_lazy("alliance plan", "Area"), widget=forms.Select)
    hubs_min = forms.IntegerField(
        label=_("Fewest alliances"), min_value=LIMITS["hubs_min"][0], max_value=LIMITS["hubs_min"][1]
    )
    hubs_max = forms.IntegerField(
        label=_("Most alliances"),
        min_value=LIMITS["hubs_max"][0],
        max_value=LIMITS["hubs_max"][1],
        help_text=_("Give one number twice for exactly that many; more hubs never lengthen anyone's trip."),
    )
    max_km = forms.FloatField(
        label=_("Longest distance to the hub (km)"),
        min_value=LIMITS["max_km"][0],
        max_value=LIMITS["max_km"][1],
        help_text=_("By road, estimated as 1.3 × the straight line."),
    )
    max_size = forms.IntegerField(
        label=_("Most villages per alliance"),
        min_value=LIMITS["max_size"][0],
        max_value=LIMITS["max_size"][1],
        help_text=_("The hub village included."),
    )
    time_limit = forms.IntegerField(
        label=_("Time limit (seconds)"),
        min_value=LIMITS["time_limit"][0],
        max_value=LIMITS["time_limit"][1],
        help_text=_("The solver stops here and reports how far from the proven optimum its plan can be."),
    )
    qualification = forms.ChoiceField(
        label=_("Hub villages"), choices=Qualification.choices, widget=forms.RadioSelect
    )
    weighting = forms.ChoiceField(
        label=_("Village size"), choices=Weighting.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.areas = {r.code: r for r in plan_areas(user)}
        top = min((r.depth for r in self.areas.values()), default=0)
        self.fields["area"].widget.choices = [
            (r.code, f"{'　' * (r.depth - top)}{r.name}") for r in self.areas.values()
        ]

    def clean_area(self):
        code = self.cleaned_data["area"].strip()
        if code in self.areas:
            return self.areas[code]
        region = Region.objects.current().filter(code=code).first()
        if region is not None and not Region.objects.visible_to(self.user).filter(pk=region.pk).exists():
            raise Http404
        raise ValidationError(_("Choose a city or county whose alliances you plan."))

    def params(self) -> dict:
        return {key: self.cleaned_data[key] for key in (*LIMITS, "qualification", "weighting")}


def plan_areas(user) -> list[Region]:
    """The cities and counties the user plans alliances for (organisation admin there or above)."""
    return list(
        Region.objects.current()
        .filter(user.scope.governed_q("path", roles=ORG_ADMIN))
        .filter(depth__in=[Level.CITY, Level.COUNTY])
        .only("code", "name", "path", "depth")
        .order_by("path")
    )


class MoveForm(forms.Form):
    """Move a village of the proposal into another proposed alliance."""

    village = forms.IntegerField(widget=forms.HiddenInput)
    hub = forms.IntegerField(label=_("Move to"))

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def clean(self):
        data = super().clean()
        row = (
            PlanVillage.objects.filter(run=self.run, pk=data.get("village")).select_related("village").first()
        )
        hub = PlanHub.objects.filter(run=self.run, pk=data.get("hub")).select_related("village").first()
        if row is None or hub is None:
            raise ValidationError(_("Choose a village and a hub of this proposal."))
        data["village"], data["hub"] = row.village, hub
        return data


class DropHubForm(forms.Form):
    hub = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def clean_hub(self):
        hub = (
            PlanHub.objects.filter(run=self.run, pk=self.cleaned_data["hub"])
            .select_related("village")
            .first()
        )
        if hub is None:
            raise ValidationError(_("Choose a hub of this proposal."))
        return hub


class AdoptForm(forms.Form):
    founded_on = forms.DateField(label=_("Founded on"), widget=DateInput, required=False)
