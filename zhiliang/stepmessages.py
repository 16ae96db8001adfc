"""A refused step of a case page told to the official as messages on the page it
returns to (the credit and signal case pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


def form_errors(request: HttpRequest, form: Any) -> None:
    """A step's form errors as messages, each named by its field."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


def refusal(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    """A service's refusal as messages: its reasons, or that the user may not."""
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc) or _("没有权限。"))
