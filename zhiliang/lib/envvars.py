"""Strict reading of environment variables for settings.

A misspelt boolean such as ``DEBUG=ture`` must stop the server at start-up rather
than silently meaning ``False`` (the healthchecks settings discipline).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class EnvError(ValueError):
    """An environment variable holds a value that cannot be used."""


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """A string; set-but-empty is an error (``DATABASE_URL=`` is a broken script, not a default)."""
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip() == "":
        raise EnvError(f"{name} is set but empty; unset it to use the default")
    return raw


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(
        f"{name}={raw!r} is not a boolean; use one of {sorted(TRUE_WORDS | FALSE_WORDS)}"
    )


def env_int(
    name: str, default: int, environ: Mapping[str, str] | None = None, *, minimum: int | None = None
) -> int:
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_choice(
    name: str, default: str, choices: list[str], environ: Mapping[str, str] | None = None
) -> str:
    """One of ``choices``, compared case-insensitively (``LOG_LEVEL=info``)."""
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise EnvError(f"{name}={raw!r} is not one of {choices}")


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; empty items are an error (``a,,b`` is a typo)."""
    env = os.environ if environ is None else environ
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    items = [part.strip() for part in raw.split(",")]
    if any(not item for item in items):
        raise EnvError(f"{name}={raw!r} has an empty item")
    return items


def database_url_checked(url: str) -> str:
    """Accept only the URL schemes the project supports, with a clear message otherwise."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    allowed = {"sqlite", "postgres", "postgresql", "pgsql"}
    if scheme not in allowed:
        raise EnvError(
            f"DATABASE_URL={url!r}: unsupported scheme {scheme!r}; "
            "use postgres://user:pass@host:port/name or sqlite:////absolute/path.sqlite3"
        )
    if scheme == "sqlite" and not url.startswith("sqlite:///"):
        raise EnvError(
            f"DATABASE_URL={url!r}: write sqlite URLs as sqlite:////absolute/path.sqlite3"
        )
    return url
