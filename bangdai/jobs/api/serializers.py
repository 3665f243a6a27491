from rest_framework import serializers

from ..models import Job


class JobSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    finished = serializers.BooleanField(read_only=True)
    has_result_file = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "title",
            "phase",
            "progress_done",
            "progress_total",
            "percent",
            "finished",
            "log",
            "result_url",
            "has_result_file",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_has_result_file(self, job) -> bool:
        return bool(job.result_file)
