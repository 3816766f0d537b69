import logging

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)


class _FailOpen:
    """Rates from the settings at call time; a cache outage (Redis down) lets requests through, logged."""

    setting = ""

    def get_rate(self):
        return getattr(settings, self.setting)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # the throttle's cache is unreachable: serving beats refusing everyone
            log.warning("throttle cache unavailable; request allowed", exc_info=True)
            return True


class TokenRateThrottle(_FailOpen, UserRateThrottle):
    """Per token (per user) for authenticated clients."""

    setting = "API_THROTTLE_USER"


class AnonymousRateThrottle(_FailOpen, AnonRateThrottle):
    """Per address for clients without credentials (the token endpoint, the schema, 401s)."""

    setting = "API_THROTTLE_ANON"
