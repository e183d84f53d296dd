"""The one domain exception of the project. Services raise it; each interface turns it into a response in one
place (the DRF exception handler, the form mixin for pages, the command error for management commands)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext


class ApplicationError(Exception):
    """A rule of the product was broken. ``field`` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class PermissionDenied(ApplicationError):
    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or gettext("You may not do that."), field=field, code="permission_denied")


def model_validate(obj: models.Model, **options: Any) -> None:
    """Model validation (``full_clean``, with ``options`` as it takes them: lengths, choices, URLs, constraints)
    turned into the domain error, naming the first field at fault; services call it before they save."""
    try:
        obj.full_clean(**options)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(" ".join(messages), field=None if field == "__all__" else field) from error
