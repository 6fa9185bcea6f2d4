"""Settings for the h2push demonstration and test project."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "h2push-testproject-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "channels",
    "h2push",
    "testproject",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "h2push.middleware.PreloadMiddleware",
]

ROOT_URLCONF = "testproject.urls"
ASGI_APPLICATION = "testproject.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "testproject" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
    # Jinja2 templates (the discovery demo's): static(), url() and h2push's
    # push_static() and push_url() globals. Django's engine stays first.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "testproject" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "h2push.jinja2.environment"},
    },
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "testproject" / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The demonstration hints every page, however fast its view: the library's default
# (10 ms) skips the 103 where a view answers too fast to gain from it.
H2PUSH_EARLY_HINTS_MIN_VIEW_MS = 0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"h2push": {"handlers": ["console"], "level": "WARNING"}},
}
