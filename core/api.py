"""What every API of the project shares: the exception handler, the error shapes it produces (for the schema), the
schema class that documents them on every operation, the JSON answers to errors Django raises under /api/, and the
pagination of list endpoints.

Services raise ``ApplicationError`` (a rule was broken, naming the input at fault) and ``PermissionDenied``; the
handler turns them into the same responses DRF gives for its own validation and permission errors, so a client
reads one error format whatever refused the request. There are two shapes, both documented on every operation that
may answer with them:

* 400: ``{field: [message, ...]}`` (``FieldErrors``): every input field at fault, nested fields and list items as
  dotted paths (``slots.0.starts_at``), ``non_field_errors`` for the request as a whole (a body that is not JSON);
* every other error (403, 404, 405, 406, 415, 429, 500): ``{"detail": message}`` (``Error``).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_choice_field, build_object_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .exceptions import ApplicationError, PermissionDenied

API_PREFIX = "/api/"  # where errors are answered in JSON (config/urls.py mounts the API there)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``PermissionDenied`` -> 403 ``{"detail": ...}``; ``ApplicationError`` and every other 400 -> ``{field:
    [message]}`` (see ``field_errors``); DRF's other errors keep their ``{"detail": ...}``. Every message is in the
    request's language (``LocaleMiddleware``: the language cookie, else Accept-Language): services translate theirs
    when they raise, DRF's are lazy and translated here, as the response is written."""
    if isinstance(exc, PermissionDenied):  # before ApplicationError: it is a subclass
        set_rollback()
        return Response({"detail": str(exc.message)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ApplicationError):
        set_rollback()
        field = exc.field or api_settings.NON_FIELD_ERRORS_KEY
        return Response({field: [str(exc.message)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):  # get_object_or_404's "No Achievement matches the given query.": English, a model
        exc = exceptions.NotFound(gettext("Not found."))
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        # A body that could not be parsed is an error of the request as a whole, not a field called "detail".
        data = [response.data["detail"]] if isinstance(exc, exceptions.ParseError) else response.data
        response.data = field_errors(data)
    return response


def field_errors(data: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's validation errors as one flat ``{field: [message, ...]}``: nested serializers and list items (``{"slots":
    [{}, {"starts_at": [...]}]}``, ``{"keywords": {0: [...]}}``) under dotted paths (``slots.1.starts_at``,
    ``keywords.0``); errors of no field (a bare message or list) under ``non_field_errors``."""
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            for name, messages in field_errors(value, f"{path}.{key}" if path else str(key)).items():
                flat.setdefault(name, []).extend(messages)
        return flat
    if isinstance(data, list) and any(isinstance(item, dict | list) for item in data):
        flat = {}
        for index, item in enumerate(data):
            for name, messages in field_errors(item, f"{path}.{index}" if path else str(index)).items():
                flat.setdefault(name, []).extend(messages)
        return flat
    messages = [str(item) for item in data] if isinstance(data, list) else [str(data)]
    return {path or api_settings.NON_FIELD_ERRORS_KEY: messages} if messages else {}


# --- Errors Django answers before (or instead of) the API's views: JSON under /api/ -----------------------------
# config/urls.py names these as handler400/403/404/500. An unknown address under /api/, a request Django refuses
# (400, 403) and an error no view caught (500) are answered in the API's error shapes there, as pages elsewhere.


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({api_settings.NON_FIELD_ERRORS_KEY: [gettext("Bad request.")]}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": gettext("You do not have permission to perform this action.")}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": gettext("A server error occurred.")}, status=500)
    return defaults.server_error(request)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N`` (a page past the last, or one that is not a number, is a 404), 20 a page by default;
    ``?page_size=`` from 1 (more than 100 gives 100; anything but a whole number from 1 is a 400, where DRF would
    quietly give 20)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int:
        value = request.query_params.get(self.page_size_query_param)
        if not value:  # absent or empty, as every filter reads an empty value
            return self.page_size
        if not re.fullmatch(r"[0-9]+", value) or int(value) < 1:
            raise exceptions.ValidationError({self.page_size_query_param: [gettext("A whole number, 1 or more.")]})
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


# --- Error shapes, for the schema ------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error but 400 (403, 404, 405, 406, 415, 429, 500): one message."""

    detail = serializers.CharField(read_only=True)


class FieldErrorsSerializer(serializers.Serializer):
    """400 responses: the input fields at fault, each with its messages (documented by the extension below)."""


# The responses most endpoints document alike (an app names its own 404 and any error it words otherwise).
INVALID = OpenApiResponse(FieldErrorsSerializer, description="Invalid input: the fields at fault with their messages.")
NOT_ALLOWED = OpenApiResponse(ErrorSerializer, description="Not logged in, or the user may not do this.")
NOT_LOGGED_IN = OpenApiResponse(ErrorSerializer, description="Not logged in.")


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return build_object_type(
            description=(
                "Each input field at fault with its messages (nested fields and list items as dotted paths, "
                f"`slots.0.starts_at`); `{api_settings.NON_FIELD_ERRORS_KEY}` for errors of the request as a whole."
            ),
            additionalProperties=build_array_type(build_basic_type(OpenApiTypes.STR)),
        )


class AutoSchema(openapi.AutoSchema):
    """The project's schema class (``DEFAULT_SCHEMA_CLASS``): drf-spectacular's, plus

    * the errors every operation may answer with, in the shapes ``exception_handler`` gives, where the view's own
      ``extend_schema`` does not name them already: 400 when it reads a body or query parameters, 403 when it
      authenticates or checks permissions (an invalid token is refused even where anonymous callers may read), 404
      when its path names an object or it has pages, 415 when it reads a body, 429 when it is throttled. 401 is never
      answered (session authentication comes first and has no challenge to send, so DRF answers 403 instead), so it
      is not documented;
    * ``allowEmptyValue`` on every query parameter: an empty one (``?status=``) counts as not given, as django-filter
      and the pages' filter forms read it;
    * ``minLength: 1`` on text a request must not leave blank (DRF refuses a blank ``CharField`` unless
      ``allow_blank``), as drf-spectacular does only when it splits request and response components.
    """

    ERRORS: dict[str, OpenApiResponse] = {
        "400": OpenApiResponse(
            FieldErrorsSerializer, description=_("Invalid input: the fields at fault with their messages.")
        ),
        "403": OpenApiResponse(
            ErrorSerializer, description=_("Not logged in, an invalid or expired token, or the user may not do this.")
        ),
        "404": OpenApiResponse(
            ErrorSerializer, description=_("No such object (or the user may not see it), or no such page.")
        ),
        "415": OpenApiResponse(ErrorSerializer, description=_("The body is in a media type the API does not read.")),
        "429": OpenApiResponse(
            ErrorSerializer, description=_("Too many requests: try again after Retry-After seconds.")
        ),
    }

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                parameter["allowEmptyValue"] = True  # "?status=" is no filter, as in the list pages' forms
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(self.ERRORS[code], code)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        codes = []
        if "requestBody" in operation or any(parameter["in"] == "query" for parameter in parameters):
            codes.append("400")
        checks_permissions = not all(
            isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions()
        )
        if self.view.get_authenticators() or checks_permissions:
            codes.append("403")
        if any(parameter["in"] == "path" or parameter["name"] == "page" for parameter in parameters):
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _get_serializer_field_meta(self, field: Any, direction: Any) -> dict[str, Any]:
        meta = super()._get_serializer_field_meta(field, direction)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not (field.allow_blank or field.read_only)
            and field.min_length is None
        ):
            meta["minLength"] = 1
        return meta


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
