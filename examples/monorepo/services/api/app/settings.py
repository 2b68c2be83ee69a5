"""Django settings for the storefront API."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "S6Yfg8oLee3v0GyhsGwKMXy^m52Haj.fd+_*h^mykZfym!K1Mn"

DEBUG = os.environ.get("DEBUG", "false") == "true"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "app.orders",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "api",
        "USER": "api",
        "PASSWORD": os.environ["DB_PASSWORD"],
        "HOST": os.environ.get("DB_HOST", "localhost"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Read-only token of the release-notes bot, used by the nightly export job.
EXPORT_GITLAB_TOKEN = "glpat-QVIEK-Gc5rpWfpZ9GeN6"
GITLAB_URL = "https://gitlab.com/api/v4"
