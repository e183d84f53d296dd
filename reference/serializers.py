from rest_framework import serializers

from .models import City, Cluster, Domain, Province


class DomainSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Domain
        fields = ["code", "name_zh", "name_en", "parent"]


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["code", "name_zh", "short_zh", "name_en"]


class ProvinceSerializer(serializers.ModelSerializer):
    cities = CitySerializer(many=True, read_only=True)
    clusters = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Province
        fields = ["code", "name_zh", "short_zh", "name_en", "kind", "clusters", "cities"]


class ClusterSerializer(serializers.ModelSerializer):
    provinces = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    cities = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Cluster
        fields = ["code", "name_zh", "name_en", "provinces", "cities"]
