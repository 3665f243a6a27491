"""Assignment API bodies and representations."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.core.api.fields import VisibleRecordField
from bangdai.core.choices import ContentArea
from bangdai.pairings.models import Pairing

from ..models import Assignment, AssignmentEvent, Submission, SubmissionFile
from ..selectors import flags


class SubmissionFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text=_("Download through the API (same scope as the assignment)")
    )

    class Meta:
        model = SubmissionFile
        fields = ["id", "name", "content_type", "kind", "size", "width", "height", "url"]
        read_only_fields = fields

    def get_url(self, stored) -> str:
        return reverse("api:assignment-file", args=[stored.submission.assignment_id, stored.pk])


class SubmissionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.StringRelatedField()
    files = SubmissionFileSerializer(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = ["number", "text", "submitted_by", "submitted_at", "superseded_at", "files"]
        read_only_fields = fields


class AssignmentEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = AssignmentEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "comment", "at"]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    """An assignment; cadres appear by name only."""

    apprentice_name = serializers.CharField(source="pairing.apprentice.person.name", read_only=True)
    mentor_names = serializers.SerializerMethodField()
    region = serializers.CharField(source="pairing.region.code", read_only=True)
    issued_by = serializers.StringRelatedField()
    flags = serializers.SerializerMethodField(
        help_text=_("overdue (past due, nothing submitted), review_overdue")
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "pairing",
            "apprentice_name",
            "mentor_names",
            "region",
            "title",
            "content_area",
            "due_on",
            "status",
            "flags",
            "issued_by",
            "issued_at",
            "submission_count",
            "first_submitted_at",
            "submitted_at",
            "reviewed_at",
            "score",
        ]
        read_only_fields = fields

    def get_mentor_names(self, assignment) -> list[str]:
        return [m.mentor.person.name for m in assignment.pairing.members.all()]

    def get_flags(self, assignment) -> list[str]:
        return [str(f) for f in flags(assignment, timezone.localdate(), self.context["policies"])]


class AssignmentDetailSerializer(AssignmentSerializer):
    reviewed_by = serializers.StringRelatedField()
    submissions = SubmissionSerializer(many=True, read_only=True)
    events = AssignmentEventSerializer(many=True, read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [
            *AssignmentSerializer.Meta.fields,
            "brief",
            "feedback",
            "reviewed_by",
            "withdrawn_at",
            "withdraw_reason",
            "submissions",
            "events",
        ]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    pairing = VisibleRecordField(queryset=Pairing.objects.all())
    title = serializers.CharField(max_length=100)
    brief = serializers.CharField(max_length=5000)
    content_area = serializers.ChoiceField(choices=ContentArea.choices)
    due_on = serializers.DateField()


class SubmitSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text=_("Photos (JPEG, PNG, WebP) or PDF documents, as multipart form data"),
    )


class ReviewSerializer(serializers.Serializer):
    score = serializers.IntegerField(help_text=_("0–100"))
    feedback = serializers.CharField(max_length=5000)
    submission = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text=_("The number of the submission reviewed")
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
