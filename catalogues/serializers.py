"""Collections in the API: the collection, and its postings in order with what their public page shows (never a
contact)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.filters import ID_MAX
from core.site import absolute_url

from .models import Collection, CollectionItem


class CollectionItemSerializer(serializers.ModelSerializer):
    posting = serializers.SerializerMethodField(help_text="The posting: id, title, organisation, province, link.")

    class Meta:
        model = CollectionItem
        fields = ["id", "position", "note", "posting"]

    def get_posting(self, item: CollectionItem) -> dict[str, Any]:
        posting = item.posting
        kind = "achievements" if item.achievement_id else "needs"
        return {
            "id": posting.pk,
            "title": posting.title,
            "organization": posting.organization.name,
            "province": posting.province.name,
            "status": posting.status,
            "url": absolute_url(reverse("marketplace:detail", kwargs={"kind": kind, "pk": posting.pk})),
        }


class CollectionSerializer(serializers.ModelSerializer):
    organizer = serializers.CharField(source="organizer.name", read_only=True)

    class Meta:
        model = Collection
        fields = ["id", "kind", "title", "description", "status", "organizer", "published_at", "updated_at"]


class CollectionDetailSerializer(CollectionSerializer):
    items = serializers.SerializerMethodField(help_text="The postings in order (to its curators: every one).")

    class Meta(CollectionSerializer.Meta):
        fields = [*CollectionSerializer.Meta.fields, "items"]

    def get_items(self, collection: Collection) -> list[dict[str, Any]]:
        return CollectionItemSerializer(self.context["items"], many=True).data


class CollectionInputSerializer(serializers.Serializer):
    organizer = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The organiser organisation's id.")
    kind = serializers.ChoiceField(choices=Collection.Kind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class CollectionUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class AddPostingsSerializer(serializers.Serializer):
    postings = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), min_length=1, max_length=500
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ItemSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The item's id (not the posting's).")


class OrderSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=500,
        help_text=_("Every item's id, once each, in the new order."),
    )


class PublishSerializer(serializers.Serializer):
    published = serializers.BooleanField()
