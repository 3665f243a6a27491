"""Ledger API bodies and responses; cadres appear by name only."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangdai.core.api.fields import VisibleRecordField
from bangdai.core.choices import ContentArea, Method
from bangdai.pairings.models import Pairing
from bangdai.regions.models import Region

from ..choices import Standing, Verification
from ..models import Activity, ActivityEvent, Evidence, Review
from ..selectors import standing
from ..services import MAX_MINUTES, MAX_SUMMARY, MIN_MINUTES


class ActivityEvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "name",
            "kind",
            "content_type",
            "size",
            "width",
            "height",
            "added_at",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def get_url(self, evidence) -> str:
        return reverse("api:activity-evidence", args=[evidence.activity_id, evidence.pk])

    def get_thumbnail_url(self, evidence) -> str | None:
        if not evidence.thumbnail:
            return None
        return reverse("api:activity-evidence", args=[evidence.activity_id, evidence.pk]) + "?thumbnail=1"


class ActivityEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ActivityEvent
        fields = ["id", "action", "actor", "note", "changes", "at"]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    """An entry of the ledger; ``standing`` is computed (awaiting, unconfirmed after the window, confirmed…)."""

    programme = serializers.IntegerField(source="pairing.programme_id", read_only=True)
    apprentice_name = serializers.CharField(source="pairing.apprentice.person.name", read_only=True)
    mentor_names = serializers.SerializerMethodField()
    region = serializers.CharField(source="region.code", read_only=True)
    place = serializers.CharField(source="place.code", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    logged_by = serializers.StringRelatedField(read_only=True)
    confirmed_by = serializers.StringRelatedField(read_only=True)
    verified_by = serializers.StringRelatedField(read_only=True)
    standing = serializers.SerializerMethodField()
    evidence = ActivityEvidenceSerializer(source="files", many=True, read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "pairing",
            "programme",
            "apprentice_name",
            "mentor_names",
            "region",
            "occurred_on",
            "duration_min",
            "method",
            "content_areas",
            "place",
            "place_name",
            "on_site",
            "lng",
            "lat",
            "accuracy_m",
            "summary",
            "problems_solved",
            "logged_by",
            "logged_as",
            "status",
            "standing",
            "confirm_due",
            "confirmed_at",
            "confirmed_by",
            "verification",
            "verification_note",
            "verified_by",
            "verified_at",
            "revision",
            "evidence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_mentor_names(self, activity) -> list[str]:
        return [m.mentor.person.name for m in activity.pairing.members.all()]

    @extend_schema_field(serializers.ChoiceField(choices=Standing.choices))
    def get_standing(self, activity) -> str:
        return standing(activity).value


class ActivityDetailSerializer(ActivitySerializer):
    events = ActivityEventSerializer(many=True, read_only=True)
    reviews = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(ActivitySerializer.Meta):
        fields = [*ActivitySerializer.Meta.fields, "events", "reviews"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.STR)
class PlaceField(serializers.Field):
    """A current village or township by its code; the service checks it lies in the programme's region."""

    default_error_messages = {"invalid": _("No current region has the code %(value)s.")}

    def to_representation(self, value):
        return value.code

    def to_internal_value(self, data):
        code = str(data).strip()
        region = Region.objects.current().filter(code=code).first() if code.isdigit() else None
        if region is None:
            raise serializers.ValidationError(self.error_messages["invalid"] % {"value": code})
        return region


class ActivityFieldsSerializer(serializers.Serializer):
    occurred_on = serializers.DateField()
    duration_min = serializers.IntegerField(min_value=MIN_MINUTES, max_value=MAX_MINUTES)
    method = serializers.ChoiceField(choices=Method.choices)
    content_areas = serializers.ListField(
        child=serializers.ChoiceField(choices=ContentArea.choices), min_length=1
    )
    place = PlaceField(
        required=False, help_text=_("A village or township code; the pairing's region when omitted")
    )
    on_site = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Derived from the place when omitted")
    )
    summary = serializers.CharField(max_length=MAX_SUMMARY)
    problems_solved = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=_(
            "Photos (JPEG, PNG, WebP) or PDFs; send as multipart/form-data, the key repeated per file"
        ),
    )


class ActivityRecordSerializer(ActivityFieldsSerializer):
    pairing = VisibleRecordField(queryset=Pairing.objects.all())
    lng = serializers.FloatField(required=False, allow_null=True, default=None)
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, default=None)


class ActivityCorrectSerializer(ActivityFieldsSerializer):
    """Only the fields sent are changed; ``note`` is required once the entry was confirmed or checked."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    remove_evidence = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("occurred_on", "duration_min", "method", "content_areas", "summary"):
            self.fields[name].required = False
        self.fields["problems_solved"].default = serializers.empty
        self.fields["on_site"].default = serializers.empty


class ActivityVerifySerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=[Verification.VERIFIED, Verification.QUESTIONABLE])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ActivityWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class LedgerMonthFiguresSerializer(serializers.Serializer):
    month = serializers.DateField()
    region = serializers.CharField(required=False, help_text=_("The child region's code (with by_child)"))
    activities = serializers.IntegerField()
    on_site = serializers.IntegerField()
    talks = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    awaiting = serializers.IntegerField()
    overdue = serializers.IntegerField()
    minutes = serializers.IntegerField()
    confirmed_share = serializers.FloatField(allow_null=True)


class ActivityReviewSerializer(serializers.ModelSerializer):
    pairing = VisibleRecordField(queryset=Pairing.objects.all())
    activities = VisibleRecordField(queryset=Activity.objects.all(), many=True)
    written_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "pairing", "written_by", "activities", "lessons", "next_steps", "created_at"]
        read_only_fields = ["id", "written_by", "created_at"]
