"""API throttles: per token (per user) and per client address, counted atomically (forecasts/guard.py).

DRF's own throttles read a list of timestamps from the cache and write it back: under concurrency every thread
reads the same list, and 24 threads let nearly twice the rate through. These count with one atomic increment per
request in a fixed window instead, and answer 429 with Retry-After: the window's remaining seconds.
"""

import logging

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from forecasts.guard import count, parse_rate
from forecasts.network import client_address

log = logging.getLogger(__name__)


class _AtomicRateThrottle(BaseThrottle):
    setting = ""  # the name of the rate setting, read at call time ("1200/minute")
    scope = ""

    def ident_for(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident_for(request)
        if ident is None:
            return True
        limit, window = parse_rate(getattr(settings, self.setting))
        try:
            used, self._left = count(f"{self.scope}:{ident}", window)
        except Exception:  # the counters' cache is unreachable: serving beats refusing everyone
            log.warning("throttle cache unavailable; request allowed", exc_info=True)
            return True
        return used <= limit

    def wait(self) -> float | None:
        return getattr(self, "_left", None)


class TokenRateThrottle(_AtomicRateThrottle):
    """Per token (per user) for authenticated clients."""

    setting, scope = "API_THROTTLE_USER", "user"

    def ident_for(self, request) -> str | None:
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class AnonymousRateThrottle(_AtomicRateThrottle):
    """Per client address for requests without credentials (the token endpoint, the schema)."""

    setting, scope = "API_THROTTLE_ANON", "anon"

    def ident_for(self, request) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return client_address(request)
