"""Programme forms: the programme itself and its rules (one field per Policy value, pre-filled)."""

from dataclasses import fields as dataclass_fields

from django import forms
from django.utils.translation import gettext_lazy as _

from bangdai.accounts.choices import Role
from bangdai.core.forms import RegionChoiceField
from bangdai.regions.choices import Level

from .choices import MentorTier
from .policy import Policy

RULE_LABELS = {
    "term_months": _("Pairing term (months)"),
    "max_term_months": _("Longest pairing term (months)"),
    "publicity_working_days": _("Publicity period (working days)"),
    "apprentice_max_age": _("Apprentice age ceiling"),
    "max_mentors_per_apprentice": _("Mentors per apprentice (at most)"),
    "plan_due_days": _("Mentoring plan due within (days)"),
    "activities_per_month": _("Activities per month"),
    "onsite_per_month": _("On-site sessions per month"),
    "talks_per_quarter": _("Heart-to-heart talks per quarter"),
    "assignments_per_quarter": _("Assignments per quarter"),
    "review_within_days": _("Reviews within (days)"),
    "confirm_within_days": _("Confirmations within (days)"),
    "mentor_term_years": _("Mentor appointment term (years)"),
    "open_classes_per_year": _("Open classes per year (provincial and municipal mentors)"),
    "match_max_distance_km": _("Matching: longest distance between mentor and apprentice (km)"),
    "match_weight_distance": _("Matching weight: distance"),
    "match_weight_coverage": _("Matching weight: needs covered by expertise"),
    "match_weight_tier_fit": _("Matching weight: tier fit"),
    "match_weight_locality": _("Matching weight: same township or county"),
    "match_weight_balance": _("Matching weight: workload balance"),
    "match_weight_continuity": _("Matching weight: continuity after a transfer"),
}
# Rules kept as structured data and changed through the API; the form carries them over unchanged.
STRUCTURED_RULES = ("capacity_by_tier", "match_tiers_by_category")
# Rules added after programmes existed: left blank, the current (or default) value stays.
OPTIONAL_RULES = ("open_classes_per_year",)


def rule_labels() -> dict:
    labels = dict(RULE_LABELS)
    for tier in MentorTier:
        labels[f"capacity_{tier.value}"] = _("Capacity of a mentor: %(tier)s") % {"tier": tier.label}
    return labels


class RulesFieldsMixin:
    """Adds one number field per rule, pre-filled from ``policy`` (the defaults for a new programme)."""

    def add_rule_fields(self, policy: Policy) -> None:
        self.base_policy = policy
        labels = rule_labels()
        for tier in MentorTier:
            name = f"capacity_{tier.value}"
            self.fields[name] = forms.IntegerField(
                label=labels[name], min_value=1, max_value=100, initial=policy.capacity_for(tier)
            )
        for f in dataclass_fields(Policy):
            if f.name in STRUCTURED_RULES:
                continue
            self.fields[f.name] = forms.IntegerField(
                label=labels[f.name],
                min_value=0,
                max_value=1000,
                initial=getattr(policy, f.name),
                required=f.name not in OPTIONAL_RULES and not f.name.startswith("match_"),
            )

    def rule_field_names(self) -> list[str]:
        return [f"capacity_{t.value}" for t in MentorTier] + [
            f.name for f in dataclass_fields(Policy) if f.name not in STRUCTURED_RULES
        ]

    def rules_data(self) -> dict:
        data = {
            **self.base_policy.as_data(),
            **{
                f.name: self.cleaned_data[f.name]
                for f in dataclass_fields(Policy)
                if f.name not in STRUCTURED_RULES and self.cleaned_data.get(f.name) is not None
            },
        }
        data["capacity_by_tier"] = {t.value: self.cleaned_data[f"capacity_{t.value}"] for t in MentorTier}
        return data

    def rule_fields(self):
        return [self[name] for name in self.rule_field_names()]

    def main_fields(self):
        rules = set(self.rule_field_names())
        return [f for f in self.visible_fields() if f.name not in rules]


class ProgrammeForm(RulesFieldsMixin, forms.Form):
    name = forms.CharField(label=_("Programme name"), max_length=100)
    region = RegionChoiceField(label=_("Organising region"), widget=forms.Select)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        # Only regions the user's organisation department administers; the list offers the organising levels.
        field.restrict_to(user, roles={Role.ORG_ADMIN})
        field.widget.choices = [
            (r.code, field.label_from_instance(r))
            for r in field.queryset.filter(depth__lte=Level.COUNTY).order_by("path")
        ]
        self.add_rule_fields(Policy())


class RulesForm(RulesFieldsMixin, forms.Form):
    note = forms.CharField(
        label=_("Why the rules change"), max_length=200, required=False, widget=forms.TextInput()
    )

    def __init__(self, *args, policy: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_rule_fields(policy)
        self.order_fields([*self.rule_field_names(), "note"])
