"""GET /healthz: liveness for load balancers."""

import os

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    if not settings.REDIS_URL:
        # The laptop's folder broker: up while the folder is writable.
        return os.access(settings.CELERY_BROKER_DIR, os.W_OK)
    try:
        # Short timeouts: a health check must answer in seconds even when Redis hangs.
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: 200 while the database answers (a broker outage only degrades), else 503."""
    database = _database_ok()
    body = {"database": "ok" if database else "unavailable", "broker": "ok" if _broker_ok() else "unavailable"}
    return JsonResponse(body, status=200 if database else 503)
