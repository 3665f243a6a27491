from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.accounts.choices import Role
from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.core.api.fields import RegionCodeField
from bangdai.mentors.choices import MentorStatus
from bangdai.pairings.choices import PairingStatus

from ..choices import MentorTier
from ..models import Programme, ProgrammeRules


def _count(**kwargs):
    return serializers.IntegerField(min_value=0, required=False, **kwargs)


class PolicySerializer(serializers.Serializer):
    """A programme's rules; on writes every key is optional and the others keep their current value."""

    capacity_by_tier = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=100),
        required=False,
        help_text=_("Apprentices per mentor, by mentor tier"),
    )
    term_months = _count()
    max_term_months = _count()
    publicity_working_days = _count()
    apprentice_max_age = _count()
    max_mentors_per_apprentice = _count()
    plan_due_days = _count()
    activities_per_month = _count()
    onsite_per_month = _count()
    talks_per_quarter = _count()
    assignments_per_quarter = _count()
    review_within_days = _count()
    confirm_within_days = _count()
    mentor_term_years = _count()
    open_classes_per_year = _count()
    match_max_distance_km = serializers.IntegerField(min_value=1, max_value=500, required=False)
    match_weight_distance = _count()
    match_weight_coverage = _count()
    match_weight_tier_fit = _count()
    match_weight_locality = _count()
    match_weight_balance = _count()
    match_weight_continuity = _count()
    match_tiers_by_category = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=MentorTier.choices), min_length=1),
        required=False,
        help_text=_("Matching rule: apprentice category → mentor tiers allowed for it (others: any tier)"),
    )

    def validate_capacity_by_tier(self, value):
        unknown = set(value) - set(MentorTier.values)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown tier: %(tiers)s.") % {"tiers": ", ".join(sorted(unknown))}
            )
        return value


class ProgrammeSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    rules_version = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "region",
            "region_name",
            "year",
            "description",
            "status",
            "rules_version",
            "created_at",
        ]
        read_only_fields = fields


class ProgrammeDetailSerializer(ProgrammeSerializer):
    rules = PolicySerializer(source="policy", read_only=True)

    class Meta(ProgrammeSerializer.Meta):
        fields = [*ProgrammeSerializer.Meta.fields, "rules"]
        read_only_fields = fields


class ProgrammeCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    region = RegionCodeField(
        roles={Role.ORG_ADMIN}, help_text=_("Code of the organising province, city or county")
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    rules = PolicySerializer(required=False, help_text=_("Rules that differ from the defaults"))


class RulesVersionSerializer(serializers.ModelSerializer):
    data = PolicySerializer(read_only=True)
    created_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ProgrammeRules
        fields = ["version", "data", "note", "created_by", "created_at"]
        read_only_fields = fields


class RulesChangeSerializer(serializers.Serializer):
    data = PolicySerializer(help_text=_("The rules to change; omitted keys keep their current value"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _counts(choices) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("Keyed by: %(keys)s") % {"keys": ", ".join(choices.values)},
    )


class ProgrammeSummarySerializer(serializers.Serializer):
    """What the caller may see of a programme: every count passes through the models' ``visible_to``."""

    mentors_by_tier = _counts(MentorTier)
    mentors_by_status = _counts(MentorStatus)
    free_places = serializers.IntegerField(help_text=_("Free places of appointed mentors"))
    apprentices_by_status = _counts(ApprenticeStatus)
    unpaired_apprentices = serializers.IntegerField()
    pairings_by_status = _counts(PairingStatus)
