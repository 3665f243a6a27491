"""A programme's rules as typed data, with the defaults of the domain brief (D2); every value is editable."""

from dataclasses import asdict, dataclass, field, fields

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import MentorTier


def _default_tiers_by_category() -> dict[str, list[str]]:
    """A new township cadre learns from a mentor of township tier or above (a 老乡镇), not from a village mentor."""
    return {
        "new_township_cadre": [
            MentorTier.PROVINCIAL,
            MentorTier.MUNICIPAL,
            MentorTier.COUNTY,
            MentorTier.TOWNSHIP,
        ]
    }


def _default_capacity() -> dict[str, int]:
    return {
        MentorTier.PROVINCIAL: 15,
        MentorTier.MUNICIPAL: 10,
        MentorTier.COUNTY: 8,
        MentorTier.TOWNSHIP: 3,
        MentorTier.VILLAGE: 3,
    }


@dataclass(frozen=True)
class Policy:
    """The rules of one programme version."""

    capacity_by_tier: dict[str, int] = field(default_factory=_default_capacity)
    term_months: int = 12
    max_term_months: int = 36
    publicity_working_days: int = 5
    apprentice_max_age: int = 35
    max_mentors_per_apprentice: int = 1  # >1 allows mentor teams (多对一 / 组团帮带)
    plan_due_days: int = 30
    activities_per_month: int = 2
    onsite_per_month: int = 1
    talks_per_quarter: int = 1
    assignments_per_quarter: int = 1
    review_within_days: int = 14
    confirm_within_days: int = 7
    mentor_term_years: int = 3
    open_classes_per_year: int = 4  # by each provincial or municipal mentor
    # Matching: the hard distance limit (road-distance proxy) and the default weight of each criterion.
    match_max_distance_km: int = 30
    match_weight_distance: int = 30
    match_weight_coverage: int = 25
    match_weight_tier_fit: int = 20
    match_weight_locality: int = 10
    match_weight_balance: int = 10
    match_weight_continuity: int = 5
    # Apprentice category -> the mentor tiers allowed for it (a hard rule of matching); unlisted categories: any.
    match_tiers_by_category: dict[str, list[str]] = field(default_factory=_default_tiers_by_category)

    @classmethod
    def from_data(cls, data: dict) -> "Policy":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        if "capacity_by_tier" in values:
            values["capacity_by_tier"] = {**_default_capacity(), **values["capacity_by_tier"]}
        if "match_tiers_by_category" in values and isinstance(values["match_tiers_by_category"], dict):
            values["match_tiers_by_category"] = {
                k: list(v) if isinstance(v, list | tuple) else v
                for k, v in values["match_tiers_by_category"].items()
            }
        policy = cls(**values)
        policy.validate()
        return policy

    def as_data(self) -> dict:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in asdict(self).items()}

    def capacity_for(self, tier: str) -> int:
        return int(self.capacity_by_tier.get(tier, 3))

    def match_weights(self) -> dict[str, int]:
        """The default weight of each matching criterion, by criterion name."""
        prefix = "match_weight_"
        return {
            f.name[len(prefix) :]: getattr(self, f.name) for f in fields(self) if f.name.startswith(prefix)
        }

    def validate(self) -> None:
        from bangdai.apprentices.choices import ApprenticeCategory

        errors: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "capacity_by_tier":
                bad = [t for t, c in value.items() if not isinstance(c, int) or not 1 <= c <= 100]
                if bad or set(value) - set(MentorTier.values):
                    errors[f.name] = _("Each tier's capacity is a whole number from 1 to 100.")
            elif f.name == "match_tiers_by_category":
                ok = isinstance(value, dict) and all(
                    k in ApprenticeCategory.values
                    and isinstance(v, list)
                    and v
                    and set(v) <= set(MentorTier.values)
                    for k, v in value.items()
                )
                if not ok:
                    errors[f.name] = _("Map apprentice categories to non-empty lists of mentor tiers.")
            elif not isinstance(value, int) or value < 0:
                errors[f.name] = _("Enter a whole number of zero or more.")
        if not errors:
            if not 1 <= self.term_months <= self.max_term_months:
                errors["term_months"] = _("The term must be between 1 month and the maximum term.")
            if not 1 <= self.max_mentors_per_apprentice <= 5:
                errors["max_mentors_per_apprentice"] = _("From 1 to 5 mentors per apprentice.")
            if not 1 <= self.match_max_distance_km <= 500:
                errors["match_max_distance_km"] = _("From 1 to 500 km.")
            if not sum(self.match_weights().values()):
                errors["match_weight_distance"] = _("At least one matching weight must be above zero.")
            if not 18 <= self.apprentice_max_age <= 60:
                errors["apprentice_max_age"] = _("The age ceiling must be between 18 and 60.")
        if errors:
            raise ValidationError(errors)
