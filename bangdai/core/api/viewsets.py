"""Base API viewsets: every queryset passes through the model's ``visible_to`` chokepoint."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.html import strip_tags
from rest_framework import exceptions, viewsets


def as_drf_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {k: [strip_tags(m) for m in v] for k, v in exc.message_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": [strip_tags(m) for m in exc.messages]})


class ServiceErrorsMixin:
    """Turns the domain's Django errors into API errors with field messages."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = as_drf_error(exc)
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        return super().handle_exception(exc)


class ScopedReadOnlyViewSet(ServiceErrorsMixin, viewsets.ReadOnlyModelViewSet):
    queryset = None

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def base_queryset(self):
        raise NotImplementedError


class ScopedModelViewSet(ServiceErrorsMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def base_queryset(self):
        raise NotImplementedError
