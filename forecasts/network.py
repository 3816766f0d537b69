"""Who is asking: the client's address, from one source for throttles, lock-outs and logs.

Without TRUSTED_PROXIES the address is REMOTE_ADDR: a client-sent X-Forwarded-For is ignored, since anyone can
write one. With TRUSTED_PROXIES (addresses or CIDRs: the TLS proxy, the load balancer), a request that came from
one of them is attributed to the right-most X-Forwarded-For hop that is not a trusted proxy: each proxy appends
the address it saw, so the hops left of the first untrusted one are the client's own claims.
"""

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _parse(address or "")
    return parsed is not None and any(parsed in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request) -> str:
    """The client's address for this request (see the module's docstring)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not settings.TRUSTED_PROXIES or not is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _parse(hop) is None:
            return remote  # a garbled header from beyond the proxies: fall back to what we saw
        if not is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else remote


def axes_client_address(request) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_address(request)


class TrustedProxyMiddleware:
    """X-Forwarded-Proto is believed only from a trusted proxy (Django's SECURE_PROXY_SSL_HEADER would believe
    anyone), and every request carries its client address for the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        request.client_address = client_address(request)
        return self.get_response(request)


class ClientAddressFilter(logging.Filter):
    """Adds `client` to log records that carry a request (Django's request loggers do)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.client = getattr(request, "client_address", "") if request is not None else ""
        return True
