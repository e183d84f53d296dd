"""The one domain exception of the project. Services raise it; each interface turns it into a response in one
place (the DRF exception handler, the form mixin for pages, the command error for management commands)."""

from __future__ import annotations

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
