"""Notifications API: the caller's own notifications, marking them read, the unread count, reminder preferences."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from bangdai.core.api.viewsets import ScopedReadOnlyViewSet

from .. import services
from ..models import Notification
from .serializers import (
    MarkedSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    UnreadCountSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="The caller's notifications, newest first",
        parameters=[OpenApiParameter("unread", bool, description="Only those not read yet")],
    ),
    retrieve=extend_schema(summary="One of the caller's notifications"),
)
class NotificationViewSet(ScopedReadOnlyViewSet):
    """Reminders, notices and escalations (提醒): each person sees only their own."""

    serializer_class = NotificationSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "put", "head", "options"]

    def base_queryset(self):
        return Notification.objects.order_by("-created_at", "-pk")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("unread") in ("1", "true"):
            queryset = queryset.unread()
        return queryset

    @extend_schema(
        summary="Mark one notification read", request=None, responses={200: NotificationSerializer}
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.mark_read(user=request.user, notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all the caller's notifications read", request=None, responses={200: MarkedSerializer}
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.mark_all_read(user=request.user)})

    @extend_schema(
        summary="How many of the caller's notifications are unread", responses={200: UnreadCountSerializer}
    )
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None)
    def unread_count(self, request):
        return Response({"unread": self.get_queryset().unread().count()})

    @extend_schema(
        summary="The caller's reminder preferences (PUT some kinds to change them; mandatory kinds are fixed)",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, 400: ValidationErrorResponseSerializer},
    )
    @action(detail=False, methods=["get", "put"], pagination_class=None)
    def preferences(self, request):
        if request.method == "PUT":
            # The service checks every kind and frequency (mandatory kinds cannot be set) with clear messages.
            if not hasattr(request.data, "items"):
                raise serializers.ValidationError(
                    {"non_field_errors": [_("Send an object of kind: frequency.")]}
                )
            values = {str(k): str(v) for k, v in request.data.items()}
            return Response(services.set_preferences(user=request.user, values=values))
        return Response(services.preferences_of(request.user))
