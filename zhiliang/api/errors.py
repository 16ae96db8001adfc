"""One error envelope for every API error: ``{"message": str, "extra": {...}}``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def error_envelope_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message = _("提交的数据有误。")
        extra: Any = {"fields": response.data}
    elif response.status_code == 404:
        # Django's "No Plan matches the given query." is English whatever the language.
        message = _("未找到该对象。")
        extra = {}
    else:
        detail = (
            response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        )
        message = str(detail) or _("请求失败。")
        extra = {}
    response.data = {"message": message, "extra": extra}
    return response


def error_response(message: str, status: int, **extra: Any) -> Response:
    return Response({"message": message, "extra": extra}, status=status)
