from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response

from bangdai.core.api.viewsets import ScopedModelViewSet

from .. import services
from ..filtersets import UserFilterSet
from ..models import RoleAssignment, User
from .serializers import MeSerializer, RoleGrantSerializer, UserCreateSerializer, UserSerializer


class UserViewSet(ScopedModelViewSet):
    """Accounts holding roles inside the caller's administered subtree."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ["username", "last_login"]
    ordering = ["username"]

    def base_queryset(self):
        return User.objects.prefetch_related(
            Prefetch("role_assignments", queryset=RoleAssignment.objects.select_related("region"))
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm("accounts.add_user"):
            self.permission_denied(request)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request, *args, **kwargs):
        body = UserCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        user = services.create_account(actor=request.user, **body.validated_data)
        return Response(
            UserSerializer(self.base_queryset().get(pk=user.pk)).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        account = serializer.instance
        serializer.instance = services.update_profile(
            actor=self.request.user,
            user=account,
            display_name=data.get("display_name", account.display_name),
            email=data.get("email", account.email),
        )

    @extend_schema(request=RoleGrantSerializer, responses={201: UserSerializer})
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None):
        """Grant a role at a region inside the caller's subtree."""
        account = self.get_object()
        body = RoleGrantSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.grant_role(actor=request.user, user=account, **body.validated_data)
        return Response(
            UserSerializer(self.base_queryset().get(pk=account.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        account = services.set_active(actor=request.user, user=self.get_object(), active=False)
        return Response(UserSerializer(self.base_queryset().get(pk=account.pk)).data)

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        account = services.set_active(actor=request.user, user=self.get_object(), active=True)
        return Response(UserSerializer(self.base_queryset().get(pk=account.pk)).data)


class MeView(RetrieveAPIView):
    """The signed-in account and its roles."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user
