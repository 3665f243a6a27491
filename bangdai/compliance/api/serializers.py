"""Compliance API responses: a pairing's light, score and checks (reasons in words); a region's summary."""

from rest_framework import serializers

from ..rules import Light, Rule, Status


class CheckSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=[r.value for r in Rule], help_text="The programme rule judged")
    status = serializers.ChoiceField(choices=[s.value for s in Status])
    label = serializers.CharField(help_text="The rule, in words")
    expected = serializers.CharField(help_text="What the rule asks, in words")
    actual = serializers.CharField(help_text="What happened, in words")
    share = serializers.FloatField(allow_null=True, help_text="The part of a frequency rule met (0–1)")
    text = serializers.CharField(help_text="Rule, expected and actual in one line")


class PairingComplianceSerializer(serializers.Serializer):
    """A running pairing's compliance; ``reasons`` are the checks that make it amber or red, worst first."""

    pairing = serializers.IntegerField(source="pairing.pk")
    apprentice = serializers.CharField(source="pairing.apprentice")
    mentors = serializers.ListField(source="pairing.mentors", child=serializers.CharField())
    region = serializers.CharField(source="pairing.region_code")
    region_name = serializers.CharField(source="pairing.region_name")
    programme = serializers.IntegerField(source="pairing.programme_id")
    start_date = serializers.DateField(source="pairing.start_date")
    light = serializers.ChoiceField(choices=[light.value for light in Light])
    score = serializers.IntegerField(
        allow_null=True, help_text="Activity compliance 0–100 (the share of required activity recorded)"
    )
    quarter_scores = serializers.ListField(
        source="result.quarter_scores",
        child=serializers.IntegerField(allow_null=True),
        help_text="Activity compliance of the last two full quarters, older first",
    )
    reasons = CheckSerializer(many=True)
    checks = CheckSerializer(many=True, source="result.checks")


class SummarySerializer(serializers.Serializer):
    red = serializers.IntegerField()
    amber = serializers.IntegerField()
    green = serializers.IntegerField()
    total = serializers.IntegerField()


class RegionComplianceSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    summary = SummarySerializer()
    count = serializers.IntegerField(help_text="Pairings matching the filters")
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = PairingComplianceSerializer(many=True)


class SilentPairingSerializer(serializers.Serializer):
    pairing = serializers.IntegerField(source="pk")
    apprentice = serializers.CharField(source="apprentice.person.name")
    region = serializers.CharField(source="region.code")
    start_date = serializers.DateField()
    last_activity = serializers.DateField(allow_null=True)


class SilentMentorSerializer(serializers.Serializer):
    mentor = serializers.IntegerField(source="mentor_id")
    name = serializers.CharField()
    region = serializers.CharField(source="region.code")
    running = serializers.IntegerField(help_text="The mentor's running pairings in the region")
    all_silent = serializers.BooleanField()
    last_activity = serializers.DateField(allow_null=True)
    pairings = SilentPairingSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    activities = serializers.IntegerField()
    on_site = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    settled = serializers.IntegerField(help_text="Confirmed plus flagged unconfirmed")
    confirmed_share = serializers.FloatField(allow_null=True)
    pairings = serializers.IntegerField(help_text="Pairings running at some point of the month")
    per_pairing = serializers.FloatField(allow_null=True)


class ChildTrendSerializer(serializers.Serializer):
    region = serializers.CharField()
    region_name = serializers.CharField()
    months = TrendPointSerializer(many=True)


class TrendsSerializer(serializers.Serializer):
    region = serializers.CharField()
    total = TrendPointSerializer(many=True)
    children = ChildTrendSerializer(many=True)
