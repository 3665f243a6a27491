"""Serializers of teaching sites, open classes, enrolments and class assignments; cadres appear by name only."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangdai.accounts.choices import Role
from bangdai.apprentices.models import Apprentice
from bangdai.core.api.fields import RegionCodeField, VisibleRecordField
from bangdai.core.choices import ContentArea, Method
from bangdai.mentors.models import Mentor
from bangdai.programmes.models import Programme

from .. import selectors, services
from ..choices import SiteLevel
from ..models import AssignmentRow, ClassAssignment, ClassMaterial, Enrolment, OpenClass, TeachingSite


def areas_field(**kwargs):
    return serializers.ListField(child=serializers.ChoiceField(choices=ContentArea.choices), **kwargs)


class TeachingSiteSerializer(serializers.ModelSerializer):
    village = RegionCodeField(roles={Role.ORG_ADMIN}, help_text=_("Code of the host village"))
    village_name = serializers.CharField(source="village.name", read_only=True)
    themes = areas_field()
    courses = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    host_mentors = VisibleRecordField(
        queryset=Mentor.objects.all(), many=True, required=False, help_text=_("Ids of appointed mentors")
    )
    level = serializers.ChoiceField(choices=SiteLevel.choices)

    class Meta:
        model = TeachingSite
        fields = [
            "id",
            "name",
            "village",
            "village_name",
            "level",
            "themes",
            "courses",
            "capacity_per_session",
            "host_mentors",
            "academy",
            "description",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_at", "updated_at"]
        extra_kwargs = {"capacity_per_session": {"min_value": 1, "max_value": 500}}
        validators = []  # one name per village: the service answers it, in the domain's words


class TeachingSitePatchSerializer(TeachingSiteSerializer):
    class Meta(TeachingSiteSerializer.Meta):
        extra_kwargs = {
            "capacity_per_session": {"min_value": 1, "max_value": 500, "required": False},
            **{f: {"required": False} for f in ("name", "village", "level", "themes")},
        }


class ClassMaterialSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ClassMaterial
        fields = ["id", "name", "content_type", "size", "uploaded_at", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, material) -> str:
        return reverse("api:open-class-material", args=[material.open_class_id, material.pk])


class MyClassEnrolmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = ["id", "status", "source", "enrolled_at", "attended_at", "check_in_method"]
        read_only_fields = fields


class OpenClassSerializer(serializers.ModelSerializer):
    mentor = VisibleRecordField(queryset=Mentor.objects.all())
    mentor_name = serializers.CharField(source="mentor.person.name", read_only=True)
    programme = serializers.IntegerField(source="mentor.programme_id", read_only=True)
    site = VisibleRecordField(queryset=TeachingSite.objects.all(), required=False, allow_null=True)
    site_name = serializers.CharField(source="site.name", read_only=True, default="")
    village = RegionCodeField(
        roles={Role.ORG_ADMIN, Role.TOWNSHIP, Role.MENTOR},
        required=False,
        allow_null=True,
        help_text=_("Code of the village where the class is held (the site's village when a site is given)"),
    )
    village_name = serializers.CharField(source="village.name", read_only=True)
    content_areas = areas_field(allow_empty=False)
    method = serializers.ChoiceField(choices=Method.choices, default=Method.ONSITE_TEACHING)
    phase = serializers.SerializerMethodField()
    free_seats = serializers.IntegerField(read_only=True)
    materials = ClassMaterialSerializer(many=True, read_only=True)
    my_enrolment = serializers.SerializerMethodField()

    class Meta:
        model = OpenClass
        fields = [
            "id",
            "title",
            "mentor",
            "mentor_name",
            "programme",
            "site",
            "site_name",
            "village",
            "village_name",
            "place",
            "starts_at",
            "ends_at",
            "content_areas",
            "method",
            "capacity",
            "enrolled_count",
            "free_seats",
            "description",
            "status",
            "phase",
            "cancel_reason",
            "materials",
            "my_enrolment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "enrolled_count", "status", "cancel_reason", "created_at", "updated_at"]
        extra_kwargs = {"capacity": {"min_value": 1, "max_value": services.MAX_CAPACITY}}

    def get_phase(self, open_class) -> str:
        return selectors.phase(open_class)

    @extend_schema_field(MyClassEnrolmentSerializer(allow_null=True))
    def get_my_enrolment(self, open_class):
        mine = getattr(open_class, "my_seats", None)
        if mine is None:  # not prefetched by the view
            person = self.context["request"].user.person_id or 0
            mine = list(open_class.enrolments.filter(person_id=person, status="enrolled"))
        return MyClassEnrolmentSerializer(mine[0]).data if mine else None


class OpenClassPatchSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    content_areas = areas_field(allow_empty=False, required=False)
    method = serializers.ChoiceField(choices=Method.choices, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=services.MAX_CAPACITY, required=False)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


class TeachingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class ClassEnrolSerializer(serializers.Serializer):
    apprentices = VisibleRecordField(
        queryset=Apprentice.objects.all(),
        many=True,
        required=False,
        help_text=_("Apprentice ids an organiser enrols; leave out to enrol yourself"),
    )


class SeatWithdrawSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(
        required=False, help_text=_("The enrolment an organiser withdraws; leave out to withdraw your own")
    )


class ClassCheckInSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text=_("The token of the class's QR code"))


class ClassAttendanceSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField()
    present = serializers.BooleanField(help_text=_("true ticks the apprentice present; false takes it back"))


class ClassMaterialUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ClassEnrolmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    workplace = serializers.CharField(source="apprentice.region.code", read_only=True)
    workplace_name = serializers.CharField(source="apprentice.region.name", read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "apprentice",
            "name",
            "workplace",
            "workplace_name",
            "status",
            "source",
            "enrolled_at",
            "attended_at",
            "check_in_method",
        ]
        read_only_fields = fields


class ClassQRSerializer(serializers.Serializer):
    url = serializers.URLField(help_text=_("The check-in URL the code encodes"))
    svg = serializers.CharField(help_text=_("The QR code as SVG"))


class ClassCountSerializer(serializers.Serializer):
    mentor = serializers.IntegerField(source="mentor_id")
    name = serializers.CharField()
    tier = serializers.CharField()
    given = serializers.IntegerField(help_text=_("Held, with attendance recorded"))
    unattended = serializers.IntegerField(help_text=_("Held, nobody's attendance recorded"))
    scheduled = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    target = serializers.IntegerField(
        allow_null=True, help_text=_("Yearly target (provincial and municipal)")
    )
    shortfall = serializers.IntegerField()


class ClassAssignmentRowSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="apprentice.person.name", read_only=True)

    class Meta:
        model = AssignmentRow
        fields = ["apprentice", "name", "open_class", "score", "distance_km", "coverage", "reason"]
        read_only_fields = fields


class ClassAssignmentSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    created_by = serializers.StringRelatedField(read_only=True)
    decided_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ClassAssignment
        fields = [
            "id",
            "region",
            "programme",
            "classes",
            "status",
            "params",
            "summary",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class ClassAssignmentDetailSerializer(ClassAssignmentSerializer):
    rows = ClassAssignmentRowSerializer(many=True, read_only=True)

    class Meta(ClassAssignmentSerializer.Meta):
        fields = [*ClassAssignmentSerializer.Meta.fields, "rows"]
        read_only_fields = fields


class ClassAssignmentProposeSerializer(serializers.Serializer):
    classes = VisibleRecordField(queryset=OpenClass.objects.all(), many=True)
    area = RegionCodeField(help_text=_("Apprentices working in this region's subtree are candidates"))
    programme = VisibleRecordField(
        queryset=Programme.objects.all(), required=False, allow_null=True, default=None
    )
    max_distance_km = serializers.IntegerField(
        min_value=1, max_value=500, default=services.ASSIGN_MAX_DISTANCE_KM
    )
    require_topic = serializers.BooleanField(default=True)
