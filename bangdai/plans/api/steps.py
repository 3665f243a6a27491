"""What the workflow viewsets of plans and assignments share: each step answers with the record's detail."""

from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import status
from rest_framework.response import Response

from bangdai.programmes.versions import PolicyBook


def responds(detail_serializer):
    """A schema decorator for steps that answer with ``detail_serializer`` (or a 400 with the refusal)."""

    def decorate(summary, request=None, code=status.HTTP_200_OK):
        return extend_schema(
            summary=summary,
            request=request,
            responses={code: detail_serializer, 400: ValidationErrorResponseSerializer},
        )

    return decorate


class StepsMixin:
    """Steps read their body with ``_body`` and answer with ``_detail``; serializers share one PolicyBook."""

    detail_serializer_class = None

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "policies": PolicyBook([])}

    def get_serializer(self, *args, **kwargs):
        """A page of records reads the rules of all its pairings in one query."""
        records = args[0] if args else kwargs.get("instance")
        kwargs["context"] = self.get_serializer_context()
        if isinstance(records, list):
            kwargs["context"]["policies"] = PolicyBook(getattr(r, "pairing", r) for r in records)
        return self.get_serializer_class()(*args, **kwargs)

    def _detail(self, record, code=status.HTTP_200_OK):
        record = self.base_queryset().get(pk=record.pk)
        data = self.detail_serializer_class(record, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data
