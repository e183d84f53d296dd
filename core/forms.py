"""Turning the domain error into form errors, in one place for every page."""

from __future__ import annotations

from django import forms

from .exceptions import ApplicationError


def add_application_error(form: forms.Form, error: ApplicationError) -> None:
    """Attach the error to the field it names when the form has that field, else to the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
