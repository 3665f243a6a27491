from rest_framework import serializers

from ..models import Region


class RegionSerializer(serializers.ModelSerializer):
    level = serializers.IntegerField(source="depth", read_only=True)
    parent_code = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = [
            "code",
            "name",
            "level",
            "kind",
            "parent_code",
            "lng",
            "lat",
            "crs",
            "urban_rural_class",
            "valid_from",
            "valid_to",
            "numchild",
        ]
        read_only_fields = fields


class CountsRowSerializer(serializers.Serializer):
    code = serializers.CharField(source="region.code")
    name = serializers.CharField(source="region.name")
    townships = serializers.IntegerField()
    villages = serializers.IntegerField()
    communities = serializers.IntegerField()
    cadres = serializers.IntegerField()


class RegionCountsSerializer(serializers.Serializer):
    total = CountsRowSerializer()
    children = CountsRowSerializer(many=True)
