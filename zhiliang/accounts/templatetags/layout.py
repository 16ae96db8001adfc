"""Tags for the layout every page shares (``templates/base.html``).

``{% url %}`` and ``{% static %}`` work the address out on each use: about 20 µs for a
named URL and 40 µs for a hashed static file, five and one of them on every page, a
tenth of what the public's credit query page costs to render (issue 5 counts it). The
layout's addresses take no arguments, so a process works each out once (for its URL
configuration, script prefix and static storage)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

_urls: dict[tuple[str, str, str], str] = {}
_static: dict[tuple[str, str, str], str] = {}


@register.simple_tag
def fixed_url(name: str) -> str:
    """``{% url name %}`` for a URL without arguments."""
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)
    if key not in _urls:
        _urls[key] = reverse(name)
    return _urls[key]


@register.simple_tag
def fixed_static(path: str) -> str:
    """``{% static path %}``."""
    key = (settings.STATIC_URL, settings.STORAGES["staticfiles"]["BACKEND"], path)
    if key not in _static:
        _static[key] = staticfiles_storage.url(path)
    return _static[key]
