"""The growth file as JSON: the apprentice, the summary figures, the kinds with their counts, a page of the timeline.

The same shapes serve the API and ``bangdai growth show --json``.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import selectors
from ..choices import Kind
from ..selectors import PER_PAGE

MAX_PAGE_SIZE = 200


class KindListField(serializers.ListField):
    """``?kind=activity&kind=assignment`` or ``?kind=activity,assignment``."""

    child = serializers.ChoiceField(choices=Kind.choices)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        values = [part.strip() for item in data for part in str(item).split(",") if part.strip()]
        return super().to_internal_value(values)


class TimelineQuerySerializer(serializers.Serializer):
    """The timeline's query parameters."""

    kind = KindListField(required=False, default=list, help_text=_("Kinds of entry; every kind when omitted"))
    year = serializers.IntegerField(
        required=False, min_value=1990, max_value=2100, allow_null=True, default=None
    )
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PER_PAGE
    )


class GrowthMentorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="person.name")
    tier = serializers.CharField()
    village = serializers.CharField(source="region.name")


class GrowthApprenticeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="person.name")
    status = serializers.CharField()
    programme = serializers.CharField(source="programme.name")
    programme_id = serializers.IntegerField()
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")


class GrowthPairingSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.CharField()
    programme = serializers.CharField(source="programme.name")
    mentors = serializers.SerializerMethodField()
    start_date = serializers.DateField(allow_null=True)
    planned_end_date = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)

    def get_mentors(self, pairing) -> list[str]:
        return [m.mentor.person.name for m in pairing.members.all()]


class GrowthAssignmentFiguresSerializer(serializers.Serializer):
    issued = serializers.IntegerField()
    submitted = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    late = serializers.IntegerField()
    mean_score = serializers.FloatField(allow_null=True)


class GrowthMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    activities = serializers.IntegerField()
    on_site = serializers.IntegerField()
    minutes = serializers.IntegerField()


class GrowthSummarySerializer(serializers.Serializer):
    months_mentored = serializers.IntegerField(source="months")
    since = serializers.DateField(allow_null=True)
    activities = serializers.IntegerField()
    minutes = serializers.IntegerField()
    hours = serializers.FloatField()
    on_site = serializers.IntegerField()
    on_site_percent = serializers.IntegerField(allow_null=True)
    talks = serializers.IntegerField()
    reviews = serializers.IntegerField()
    assignments = GrowthAssignmentFiguresSerializer()
    classes_attended = serializers.IntegerField(source="classes")
    plan_goals_met = serializers.IntegerField(source="goals_met")
    plan_goals_total = serializers.IntegerField(source="goals_total")
    joint_activities = serializers.IntegerField()
    by_month = GrowthMonthSerializer(source="month_series", many=True)


class GrowthKindCountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()


class GrowthEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    source = serializers.CharField()
    id = serializers.IntegerField(source="pk")
    date = serializers.DateField(source="on")
    title = serializers.CharField()
    detail = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(help_text=_("The record's page, when the caller may open it"))


class GrowthTimelineSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = GrowthEntrySerializer(many=True)


class GrowthFileSerializer(serializers.Serializer):
    """An apprentice's growth file as the caller sees it (documentation of the response)."""

    apprentice = GrowthApprenticeSerializer()
    mentors = GrowthMentorSerializer(many=True)
    pairings = GrowthPairingSerializer(many=True)
    complete = serializers.BooleanField(
        help_text=_("False when the caller, a mentor, sees only the records of their own pairings")
    )
    summary = GrowthSummarySerializer()
    kinds = GrowthKindCountSerializer(many=True)
    years = serializers.ListField(child=serializers.IntegerField())
    timeline = GrowthTimelineSerializer()


def growth_file_data(file, summary, timeline, *, year=None, next_url=None, previous_url=None) -> dict:
    """The response body (also ``bangdai growth show --json``); kinds are counted within ``year``."""
    counts = selectors.kind_counts(selectors.filtered(file.keys, year=year))
    return {
        "apprentice": GrowthApprenticeSerializer(file.apprentice).data,
        "mentors": GrowthMentorSerializer(file.mentors, many=True).data,
        "pairings": GrowthPairingSerializer(file.pairings, many=True).data,
        "complete": file.sees_everything,
        "summary": GrowthSummarySerializer(summary).data,
        "kinds": [{"kind": k.value, "label": str(k.label), "count": counts[k.value]} for k in Kind],
        "years": selectors.years(file.keys),
        "timeline": {
            "count": timeline.total,
            "page": timeline.page.number,
            "pages": timeline.page.paginator.num_pages,
            "next": next_url,
            "previous": previous_url,
            "results": GrowthEntrySerializer([entry for entry, _new in timeline.rows], many=True).data,
        },
    }
