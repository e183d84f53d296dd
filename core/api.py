"""What every API of the project shares: the exception handler, the error shapes it produces (for the schema) and
the pagination of list endpoints.

Services raise ``ApplicationError`` (a rule was broken, naming the input at fault) and ``PermissionDenied``; the
handler turns them into the same responses DRF gives for its own validation and permission errors, so a client
reads one error format whatever refused the request.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_choice_field, build_object_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import pagination, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .exceptions import ApplicationError, PermissionDenied


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``PermissionDenied`` -> 403 ``{"detail": ...}``; ``ApplicationError`` -> 400 ``{field: [message]}``."""
    if isinstance(exc, PermissionDenied):  # before ApplicationError: it is a subclass
        set_rollback()
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ApplicationError):
        set_rollback()
        field = exc.field or api_settings.NON_FIELD_ERRORS_KEY
        return Response({field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N``, 20 a page by default; ``?page_size=`` up to 100."""

    page_size_query_param = "page_size"
    max_page_size = 100


# --- Error shapes, for the schema ------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """403, 404 and 405 responses: one message."""

    detail = serializers.CharField(read_only=True)


class FieldErrorsSerializer(serializers.Serializer):
    """400 responses: the input fields at fault, each with its messages (documented by the extension below)."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return build_object_type(
            description=(
                "Each input field at fault with its messages; "
                f"`{api_settings.NON_FIELD_ERRORS_KEY}` for errors of the request as a whole."
            ),
            additionalProperties=build_array_type(build_basic_type(OpenApiTypes.STR)),
        )


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose choices are one named enum in the schema, whatever other fields share its name.

    drf-spectacular names enums after their field; when two choice sets share a field name (the language of a
    posting and of a user, the kind of an organisation and of a province) and one is used in several components,
    it can only guess a name and warns. Naming the enum here settles it.
    """

    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema
