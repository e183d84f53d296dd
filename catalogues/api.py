"""Collections in the API: read them (published ones for all, drafts for their curators); curators create, fill,
order and publish them through ``catalogues.services``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import INVALID, NOT_ALLOWED, ErrorSerializer, PageNumberPagination
from core.exceptions import PermissionDenied

from . import services
from .models import Collection
from .selectors import collection_items, collections_visible_to, curator_organizers
from .serializers import (
    AddPostingsSerializer,
    CollectionDetailSerializer,
    CollectionInputSerializer,
    CollectionSerializer,
    CollectionUpdateSerializer,
    ItemSerializer,
    OrderSerializer,
    PublishSerializer,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such collection, or the user may not see it.")
CHANGED = {200: CollectionDetailSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND}


@extend_schema_view(
    list=extend_schema(tags=["collections"], summary="List collections", responses={200: CollectionSerializer}),
    retrieve=extend_schema(
        tags=["collections"], summary="Read a collection with its postings in order",
        responses={200: CollectionDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        tags=["collections"], summary="Create a draft collection (an organiser's members)",
        request=CollectionInputSerializer, responses={201: CollectionDetailSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
    partial_update=extend_schema(
        tags=["collections"], summary="Edit the title or introduction", request=CollectionUpdateSerializer,
        responses=CHANGED,
    ),
    add=extend_schema(
        tags=["collections"], summary="Add published postings at the end, in the order given (all or none)",
        request=AddPostingsSerializer, responses=CHANGED,
    ),
    remove=extend_schema(tags=["collections"], summary="Remove an item", request=ItemSerializer, responses=CHANGED),
    reorder=extend_schema(
        tags=["collections"], summary="Put every item in a new order", request=OrderSerializer, responses=CHANGED
    ),
    publish=extend_schema(
        tags=["collections"], summary="Publish, or take back to draft", request=PublishSerializer, responses=CHANGED
    ),
)
class CollectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Curated collections of achievements or needs."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Collection]:
        if getattr(self, "swagger_fake_view", False):
            return Collection.objects.none()
        return collections_visible_to(user=self.request.user).order_by("-published_at", "-pk")

    def get_serializer_class(self) -> Any:
        return CollectionSerializer

    def _detail(self, collection: Collection, code: int = status.HTTP_200_OK) -> Response:
        collection.refresh_from_db()
        items = collection_items(collection=collection, everything=services.may_curate(self.request.user, collection))
        return Response(CollectionDetailSerializer(collection, context={"items": items}).data, status=code)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request) -> Response:
        serializer = CollectionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organizer = curator_organizers(request.user).filter(pk=data.pop("organizer")).first()
        if organizer is None:
            raise PermissionDenied(field="organizer")
        collection = services.collection_create(organizer=organizer, by=request.user, **data)
        return self._detail(collection, status.HTTP_201_CREATED)

    def _curated(self) -> Collection:
        collection = self.get_object()
        if not services.may_curate(self.request.user, collection):
            raise PermissionDenied()
        return collection

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        collection = self._curated()
        serializer = CollectionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        collection = services.collection_update(collection=collection, by=request.user, **serializer.validated_data)
        return self._detail(collection)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def add(self, request: Request, pk: str | None = None) -> Response:
        collection = self._curated()
        serializer = AddPostingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.collection_add(collection=collection, by=request.user, posting_ids=data["postings"], note=data["note"])
        return self._detail(collection)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def remove(self, request: Request, pk: str | None = None) -> Response:
        collection = self._curated()
        serializer = ItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.collection_remove(collection=collection, by=request.user, item_id=serializer.validated_data["item"])
        return self._detail(collection)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def reorder(self, request: Request, pk: str | None = None) -> Response:
        collection = self._curated()
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.collection_reorder(collection=collection, by=request.user, item_ids=serializer.validated_data["order"])
        return self._detail(collection)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        collection = self._curated()
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.collection_set_published(
            collection=collection, by=request.user, published=serializer.validated_data["published"]
        )
        return self._detail(collection)

