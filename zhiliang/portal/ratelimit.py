"""A small per-client request limit for public pages (Django's cache; no extra service)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest


def allow(request: HttpRequest, scope: str, *, limit: int, window: int = 60) -> bool:
    """Whether this client (by address) may make another ``scope`` request in the
    current ``window`` seconds; at most ``limit`` are allowed."""
    key = f"ratelimit:{scope}:{request.META.get('REMOTE_ADDR', '')}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit
