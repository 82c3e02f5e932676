"""Django settings of the shop service (one module for every environment)."""
import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "HOST": os.environ.get("SHOP_DB_HOST", "localhost"),
        # no CONN_MAX_AGE: 0, a new connection for every request
    }
}
