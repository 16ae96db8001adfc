"""The one settings module, driven by environment variables.

Defaults give a working development install on SQLite (``var/zhiliang.sqlite3``).
``DATABASE_URL`` switches the database; ``ZHILIANG_PRODUCTION=true`` turns on the
hardened settings that pass ``zhiliang check --deploy``. A malformed variable stops
start-up with a message naming it (see ``zhiliang.lib.envvars``).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from zhiliang.lib.envvars import (
    EnvError,
    database_url_checked,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)


def database_settings(url: str, conn_max_age: int) -> dict[str, object]:
    """Parse DATABASE_URL, naming the variable in any error (a typo must not reach runtime)."""
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    except (ValueError, dj_database_url.ParseError) as exc:
        raise EnvError(f"DATABASE_URL={url!r}: {exc}") from None
    sqlite = config["ENGINE"] == "django.db.backends.sqlite3"
    if not sqlite and not (config.get("HOST") and config.get("NAME")):
        raise EnvError(f"DATABASE_URL={url!r}: a PostgreSQL URL needs a host and a database name")
    return config


BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("ZHILIANG_VAR_DIR", str(PROJECT_DIR / "var")))

PRODUCTION = env_bool("ZHILIANG_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "ZHILIANG_PRODUCTION=true needs SECRET_KEY of at least 50 characters"
    )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "zhiliang.accounts",
    "zhiliang.registry",
    "zhiliang.plans",
    "zhiliang.inspections",
    "zhiliang.credit",
    "zhiliang.surveillance",
    "zhiliang.signals",
    "zhiliang.portal",
    "zhiliang.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhiliang.urls"
WSGI_APPLICATION = "zhiliang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zhiliang.accounts.context_processors.navigation",
            ],
        },
    },
]

_DEFAULT_DB_URL = f"sqlite:///{VAR_DIR / 'zhiliang.sqlite3'}"
DATABASE_URL = database_url_checked(env_str("DATABASE_URL", _DEFAULT_DB_URL))
DATABASES = {
    "default": database_settings(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the reminder command and the web server write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Chinese first, English complete (locale/en). Source strings are Chinese.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
if not PRODUCTION:
    # WhiteNoise serves from the finders in development; it still expects the folder.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
#: How long a server process trusts its last look at whether the demo was loaded (the
#: banner every page shows; zhiliang.plans.demo.demo_banner). 0: every page asks.
DEMO_CHECK_SECONDS = env_int("DEMO_CHECK_SECONDS", 10, minimum=0)
#: How long a server process trusts its last read of a year's holiday arrangement entered
#: by the office (zhiliang.registry.calendar.arrangement_for). 0: every time.
HOLIDAY_CHECK_SECONDS = env_int("HOLIDAY_CHECK_SECONDS", 60, minimum=0)
#: The largest request body and the largest uploaded file (plan documents, tables).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
#: Evidence attached to progress reports (PDF, images, Office files) may be at most this big.
ZHILIANG_ATTACHMENT_MAX_BYTES = env_int(
    "ZHILIANG_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
)

# Reminders are always shown in the app; e-mail only when a mail server is configured.
ZHILIANG_REMINDER_EMAIL = env_bool("ZHILIANG_REMINDER_EMAIL", False)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "zhiliang@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["zhiliang.accounts.access.IsMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "zhiliang.api.errors.error_envelope_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zhiliang API (质量治理平台)",
    "DESCRIPTION": '质量治理平台接口 (Zhiliang API). Errors: {"message", "extra"}.',
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "LOG_LEVEL", "WARNING", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
        ),
    },
}
