"""Matching forms: a run's parameters, the area it covers, and the review page's adjustments."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.programmes.choices import MentorTier
from bangdai.regions.models import Region

from .choices import Criterion
from .explanations import limit_for
from .selectors import match_areas


def weight_field(criterion: str) -> str:
    return f"weight_{criterion}"


class ParamsForm(forms.Form):
    """Who takes part and how pairs are scored: pre-filled from the programme's rules or the run adjusted."""

    categories = forms.MultipleChoiceField(
        label=_("Apprentice categories"),
        choices=ApprenticeCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category takes part."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Mentor tiers"),
        choices=MentorTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every tier takes part."),
    )
    max_distance_km = forms.IntegerField(
        label=_("Longest distance (km)"),
        min_value=1,
        max_value=500,
        help_text=_("A hard rule: no pair is proposed farther apart than this (road distance, estimated)."),
    )

    def __init__(self, *args, params: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion, label in Criterion.choices:
            self.fields[weight_field(criterion)] = forms.IntegerField(
                label=label, min_value=0, max_value=100, initial=params["weights"].get(criterion, 0)
            )
        self.fields["categories"].initial = params.get("categories") or []
        self.fields["tiers"].initial = params.get("tiers") or []
        self.fields["max_distance_km"].initial = round(params["max_distance_km"])

    def weight_fields(self):
        return [self[weight_field(c)] for c in Criterion.values]

    def clean(self):
        data = super().clean()
        weights = [data.get(weight_field(c)) for c in Criterion.values]
        if None not in weights and not sum(weights):
            raise ValidationError(_("Give at least one criterion a weight above zero."))
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "weights": {c: data[weight_field(c)] for c in Criterion.values},
            "max_distance_km": data["max_distance_km"],
            "categories": list(data["categories"]),
            "tiers": list(data["tiers"]),
        }


class StartForm(ParamsForm):
    area = forms.CharField(
        label=_("Area"),
        widget=forms.Select,
        help_text=_("Unpaired apprentices working here take part, with the appointed mentors who serve it."),
    )

    def __init__(self, *args, user, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.programme = user, programme
        self.areas = {r.code: r for r in match_areas(user, programme)}
        top = min((r.depth for r in self.areas.values()), default=0)
        self.fields["area"].widget.choices = [
            (r.code, f"{'　' * (r.depth - top)}{r.name}") for r in self.areas.values()
        ]
        self.order_fields(["area", "categories", "tiers", "max_distance_km"])

    def clean_area(self):
        code = self.cleaned_data["area"].strip()
        if code in self.areas:
            return self.areas[code]
        # As everywhere: a region the user cannot see is a 404; one they see but may not match in is an error.
        region = Region.objects.current().filter(code=code).first()
        if region is not None and not Region.objects.visible_to(self.user).filter(pk=region.pk).exists():
            raise Http404
        raise ValidationError(_("Choose an area of this programme that you run matches for."))


# The review page's adjustments: each makes a new run from the one reviewed.
PAIR_ACTIONS = {
    "pin": _("Pin"),
    "unpin": _("Unpin"),
    "remove": pgettext_lazy("matching pair", "Remove"),
    "exclude_apprentice": _("Leave the apprentice out"),
    "exclude_mentor": _("Leave the mentor out"),
}
OTHER_ACTIONS = ("unpin_param", "exclude_unpaired", "raise_distance")


class IdsField(forms.Field):
    """Record ids from checkboxes of one name; checked by the form against the run's own records."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [str(v) for v in value or []]


class AdjustForm(forms.Form):
    """One change to a run, from a row's button (``row`` = "action:id") or the selected pairs (``action``)."""

    action = forms.ChoiceField(choices=list(PAIR_ACTIONS.items()), required=False)
    pairs = IdsField(required=False)
    row = forms.CharField(required=False)

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def clean(self):
        data = super().clean()
        action, ids = data.get("action"), data.get("pairs") or []
        if data.get("row"):
            action, _sep, target = data["row"].partition(":")
            if action not in PAIR_ACTIONS and action not in OTHER_ACTIONS:
                raise ValidationError(_("Unknown change."))
            ids = [target]
        if not action:
            raise ValidationError(_("Choose what to change."))
        if action == "unpin_param":
            pins = {f"{a}-{m}": (a, m) for a, m in self.run.params.get("pinned", [])}
            if ids[0] not in pins:
                raise ValidationError(_("That pair is not pinned in this run."))
            return {"action": action, "pinned": [pins[ids[0]]]}
        if not all(str(i).isdigit() for i in ids) or not ids:
            raise ValidationError(_("Select at least one pair."))
        if action in ("exclude_unpaired", "raise_distance"):
            rows = list(self.run.unpaired.filter(pk__in=ids))
            if (
                action == "raise_distance"
                and rows[0:1]
                and rows[0].suggestion.get("kind") != "raise_distance"
            ):
                raise ValidationError(_("No distance limit would pair that apprentice."))
        else:
            rows = list(self.run.pairs.filter(pk__in=ids))
        if len(rows) != len(set(map(int, ids))):
            raise ValidationError(_("Choose pairs of this run."))
        return {"action": action, "rows": rows}

    def changes(self) -> dict:
        """The keyword arguments of ``services.adjust`` for this change."""
        action, rows = self.cleaned_data["action"], self.cleaned_data.get("rows", [])
        pairs = [(p.apprentice_id, p.mentor_id) for p in rows] if action not in OTHER_ACTIONS else []
        if action == "pin":
            return {"pin": pairs}
        if action == "unpin":
            return {"unpin": pairs}
        if action == "unpin_param":
            return {"unpin": self.cleaned_data["pinned"]}
        if action == "remove":  # a pinned pair removed is unpinned too, or the run would fail on it
            return {"forbid": pairs, "unpin": pairs}
        # A record left out is unpinned too: a pin would bring it back into the run.
        pins = [tuple(p) for p in self.run.params.get("pinned", [])]
        if action == "exclude_mentor":
            mentors = {m for _a, m in pairs}
            return {"exclude_mentors": sorted(mentors), "unpin": [p for p in pins if p[1] in mentors]}
        if action == "exclude_apprentice":
            apprentices = {a for a, _m in pairs}
            return {
                "exclude_apprentices": sorted(apprentices),
                "unpin": [p for p in pins if p[0] in apprentices],
            }
        if action == "raise_distance":
            return {"params": {"max_distance_km": limit_for(rows[0].suggestion)}}
        return {"exclude_apprentices": sorted(u.apprentice_id for u in rows)}


class SwapForm(forms.Form):
    pairs = IdsField(required=False)

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run

    def clean_pairs(self):
        ids = self.cleaned_data["pairs"]
        if len(ids) != 2 or not all(i.isdigit() for i in ids) or ids[0] == ids[1]:
            raise ValidationError(_("Select exactly two pairs to swap their mentors."))
        pairs = {p.pk: p for p in self.run.pairs.filter(pk__in=ids)}
        if len(pairs) != 2:
            raise ValidationError(_("Choose pairs of this run."))
        return [pairs[int(i)] for i in ids]
