from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.core.api.fields import RegionCodeField

from ..choices import Role
from ..models import RoleAssignment, User


class RoleAssignmentSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "region", "region_name"]


class UserSerializer(serializers.ModelSerializer):
    roles = RoleAssignmentSerializer(source="role_assignments", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "is_active", "last_login", "roles"]
        read_only_fields = ["id", "username", "is_active", "last_login", "roles"]


class UserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=64)
    display_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, min_length=8, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices)
    region = RegionCodeField(roles={Role.ORG_ADMIN}, help_text=_("Region code where the role is held"))


class RoleGrantSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    region = RegionCodeField(roles={Role.ORG_ADMIN})


class MeSerializer(serializers.ModelSerializer):
    roles = RoleAssignmentSerializer(source="role_assignments", many=True, read_only=True)
    person = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "person", "roles"]
