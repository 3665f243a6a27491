from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.core.api.fields import VisibleRecordField
from bangdai.jobs.api.serializers import JobSerializer
from bangdai.programmes.models import Programme

from ..choices import RosterKind
from ..importing import Report
from ..models import RosterUpload


class RosterSerializer(serializers.ModelSerializer):
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    job = serializers.SerializerMethodField()

    class Meta:
        model = RosterUpload
        fields = [
            "id",
            "programme",
            "programme_name",
            "kind",
            "kind_display",
            "original_name",
            "size",
            "row_count",
            "status",
            "status_display",
            "job",
            "created_at",
            "imported_at",
        ]

    def get_job(self, roster) -> int | None:
        return roster.job_id


class RosterDetailSerializer(RosterSerializer):
    """The upload with its last report: counts per action and every row's errors under its column header."""

    report = serializers.SerializerMethodField()

    class Meta(RosterSerializer.Meta):
        fields = [*RosterSerializer.Meta.fields, "report"]

    def get_report(self, roster) -> dict | None:
        if "rows" not in roster.report:
            return {"error": roster.report["error"]} if roster.report.get("error") else None
        report = Report.from_data(roster.report)
        return {
            "dry_run": report.dry_run,
            "written": report.written,
            "counts": report.counts,
            "error_rows": [
                {
                    "row": row.number,
                    "errors": [
                        {"column": report.header_of(key), "messages": messages}
                        for key, messages in row.errors.items()
                    ],
                }
                for row in report.error_rows
            ],
        }


class UploadSerializer(serializers.Serializer):
    programme = VisibleRecordField(queryset=Programme.objects.all())
    kind = serializers.ChoiceField(choices=RosterKind.choices)
    file = serializers.FileField(help_text=_("Excel workbook (*.xlsx), at most 10 MB."))
    background = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Check in a background job; by default only long rosters are."),
    )


class ImportSerializer(serializers.Serializer):
    background = serializers.BooleanField(required=False, allow_null=True, default=None)


class SubmittedSerializer(serializers.Serializer):
    """What a check or an import answered: the roster now, and the job when a worker took it."""

    roster = RosterDetailSerializer()
    job = JobSerializer(allow_null=True)
