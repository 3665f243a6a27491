"""Notifications API bodies and responses."""

from rest_framework import serializers

from ..choices import REMINDER_KINDS, Frequency
from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "mandatory",
            "title",
            "body",
            "link",
            "pairing",
            "created_at",
            "read_at",
            "is_read",
            "delivery",
            "email_state",
            "emailed_at",
        ]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Notifications marked read")


class PreferencesSerializer(serializers.Serializer):
    """The caller's frequency for each non-mandatory kind (a PUT may name only some of them)."""

    def get_fields(self):
        return {
            kind.value: serializers.ChoiceField(choices=Frequency.choices, required=False)
            for kind in REMINDER_KINDS
        }
