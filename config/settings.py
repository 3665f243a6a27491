"""Bangdai settings: one module, typed ``BANGDAI_*`` environment variables, safe development defaults.

In production mode (``BANGDAI_ENV=production``) the process refuses to start without a secret key, allowed
hosts, a database URL and a personal-data key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(f"BANGDAI_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(f"BANGDAI_{name}")
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"BANGDAI_{name}")
    return int(raw) if raw not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(f"BANGDAI_{name}")
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PRODUCTION = env_str("ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
_DEV_DATA_KEY = "ZGV2LW9ubHktcGVyc29uYWwtZGF0YS1rZXktMzJieXQ="  # noqa: S105  base64 of 32 dev bytes

SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
DATABASE_URL = env_str("DATABASE_URL", "")
# Master key for personal data (ID numbers, phones): AES-GCM and the keyed blind index are derived from it.
DATA_KEY = env_str("DATA_KEY", "" if PRODUCTION else _DEV_DATA_KEY)

if PRODUCTION:
    missing = [
        name
        for name, value in (
            ("BANGDAI_SECRET_KEY", SECRET_KEY),
            ("BANGDAI_ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("BANGDAI_DATABASE_URL", DATABASE_URL),
            ("BANGDAI_DATA_KEY", DATA_KEY),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"Production mode needs these settings: {', '.join(missing)}")
    if SECRET_KEY == _DEV_SECRET or DATA_KEY == _DEV_DATA_KEY:
        raise ImproperlyConfigured("Production mode refuses the development secret or data key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_filters",
    "django_tables2",
    "treebeard",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "axes",
    "bangdai.core",
    "bangdai.regions",
    "bangdai.accounts",
    "bangdai.people",
    "bangdai.programmes",
    "bangdai.mentors",
    "bangdai.apprentices",
    "bangdai.pairings",
    "bangdai.documents",
    "bangdai.dashboard",
    "bangdai.demo",
    "django_tasks_db",
    "bangdai.jobs",
    "bangdai.rosters",
    "bangdai.matching",
    "bangdai.plans",
    "bangdai.ledger",
    "bangdai.assignments",
    "bangdai.teaching",
    "bangdai.alliances",
    "bangdai.compliance",
    "bangdai.notifications",
    "bangdai.growth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "bangdai.core.middleware.CurrentRegionMiddleware",
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Widget templates live with the page templates (templates/components/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bangdai.core.context_processors.navigation",
            ],
        },
    }
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "bangdai.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
                ),
            },
            # A file, not shared-cache memory: threads in the concurrency tests need SQLite's real locking.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", str(BASE_DIR / "var" / "test.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs: Django's tasks framework, queued in the database and run by `bangdai db_worker` processes.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bangdai",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock by username, and by username + IP; never by IP alone (a township office shares one address).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("LOGIN_LOCKOUT", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

# Content-Security-Policy: everything is served from our own origin; scripts carry a nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "bangdai.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
DRF_STANDARDIZED_ERRORS = {"ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bangdai API",
    "DESCRIPTION": "Mentor-apprentice programmes for young grassroots cadres (导师帮带制).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
        # Domain choice sets shared by several fields or colliding on a field name (status, action, ...).
        "ActivityStatusEnum": "bangdai.ledger.choices.ActivityStatus.choices",
        "TeachingSiteStatusEnum": "bangdai.teaching.choices.SiteStatus.choices",
        "OpenClassStatusEnum": "bangdai.teaching.choices.ClassStatus.choices",
        "EnrolmentStatusEnum": "bangdai.teaching.choices.EnrolmentStatus.choices",
        "ClassAssignmentStatusEnum": "bangdai.teaching.choices.AssignmentStatus.choices",
        "MatchRunStatusEnum": "bangdai.matching.choices.RunStatus.choices",
        "MentorTierEnum": "bangdai.programmes.choices.MentorTier.choices",
        "ReminderFrequencyEnum": "bangdai.notifications.choices.Frequency.choices",
        "PlanStatusEnum": "bangdai.plans.choices.PlanStatus.choices",
        "PlanActionEnum": "bangdai.plans.choices.PlanAction.choices",
        "AssignmentStatusEnum": "bangdai.assignments.choices.AssignmentStatus.choices",
        "AssignmentActionEnum": "bangdai.assignments.choices.AssignmentAction.choices",
        "ActivityActionEnum": "bangdai.ledger.choices.ActivityAction.choices",
        "TeachingActionEnum": "bangdai.teaching.choices.TeachingAction.choices",
        "AllianceStatusEnum": "bangdai.alliances.choices.AllianceStatus.choices",
        "AllianceActionEnum": "bangdai.alliances.choices.AllianceAction.choices",
        "AlliancePlanStatusEnum": "bangdai.alliances.choices.PlanStatus.choices",
        "AlliancePlanActionEnum": "bangdai.alliances.choices.PlanAction.choices",
        "NotificationKindEnum": "bangdai.notifications.choices.Kind.choices",
        "ReminderRunStatusEnum": "bangdai.notifications.choices.RunStatus.choices",
        "GrowthEntryKindEnum": "bangdai.growth.choices.Kind.choices",
        "JobKindEnum": "bangdai.jobs.choices.JobKind.choices",
        "JobStatusEnum": "bangdai.jobs.choices.JobStatus.choices",
        "RosterKindEnum": "bangdai.rosters.choices.RosterKind.choices",
        "UploadStatusEnum": "bangdai.rosters.choices.UploadStatus.choices",
        "ContentAreaEnum": "bangdai.core.choices.ContentArea.choices",
        "ProgrammeStatusEnum": "bangdai.programmes.choices.ProgrammeStatus.choices",
        "MentorStatusEnum": "bangdai.mentors.choices.MentorStatus.choices",
        "MentorActionEnum": "bangdai.mentors.choices.MentorAction.choices",
        "MentorTransitionEnum": "bangdai.mentors.api.serializers.TRANSITION_CHOICES",
        "ApprenticeStatusEnum": "bangdai.apprentices.choices.ApprenticeStatus.choices",
        "PairingStatusEnum": "bangdai.pairings.choices.PairingStatus.choices",
        "PairingActionEnum": "bangdai.pairings.choices.PairingAction.choices",
    },
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

DJANGO_TABLES2_TEMPLATE = "components/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-vcenter card-table table-striped"}

# E-mail (reminders and escalations): SMTP in production from BANGDAI_EMAIL_*, the console elsewhere.
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
_SMTP_OPTIONS = {
    "host": env_str("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 587),
    "username": env_str("EMAIL_USER", ""),
    "password": env_str("EMAIL_PASSWORD", ""),
    "use_tls": env_bool("EMAIL_USE_TLS", True),
    "use_ssl": env_bool("EMAIL_USE_SSL", False),
    "timeout": env_int("EMAIL_TIMEOUT", 20),
}
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": _SMTP_OPTIONS if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "帮带 Bangdai <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Domain defaults that are not programme rules.
BANGDAI = {
    "PROVINCE_CODE": "330000",
    "DATA_DIR": BASE_DIR / "data",
    "SITE_URL": env_str("SITE_URL", "http://127.0.0.1:8000"),  # links in e-mails
    "REMINDERS": {
        "HOUR": env_int("REMINDER_HOUR", 7),
        "LEAD_DAYS": env_int("REMINDER_LEAD_DAYS", 3),
        "ESCALATE_AFTER_DAYS": env_int("REMINDER_ESCALATE_AFTER_DAYS", 3),
        "CATCH_UP_DAYS": env_int("REMINDER_CATCH_UP_DAYS", 14),
        "MONTH_END_DAYS": env_int("REMINDER_MONTH_END_DAYS", 5),
        "DIGEST_WEEKDAY": env_int("REMINDER_DIGEST_WEEKDAY", 0),
    },
}
