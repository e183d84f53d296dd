from rest_framework import viewsets

from .models import Cluster, Domain, Province
from .serializers import ClusterSerializer, DomainSerializer, ProvinceSerializer


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    """The two-level domain taxonomy; ``parent`` is null for top-level domains."""

    queryset = Domain.objects.all()
    serializer_class = DomainSerializer
    filterset_fields = ["parent"]
    pagination_class = None


class ProvinceViewSet(viewsets.ReadOnlyModelViewSet):
    """Provinces with their cities and the regional clusters they belong to."""

    queryset = Province.objects.prefetch_related("cities", "clusters")
    serializer_class = ProvinceSerializer
    filterset_fields = ["kind"]
    pagination_class = None


class ClusterViewSet(viewsets.ReadOnlyModelViewSet):
    """Regional cooperation clusters: whole provinces and single cities."""

    queryset = Cluster.objects.prefetch_related("provinces", "cities")
    serializer_class = ClusterSerializer
    pagination_class = None
