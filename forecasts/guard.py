"""Hostile clients: counters that hold under concurrency, and the doors that check a password.

Counters are fixed windows in the cache: `cache.add` (SET NX) then `cache.incr` (INCRBY), two atomic operations,
never read-then-write, so 24 threads cannot all read the same count. With Redis (REDIS_URL) every web process
shares them; without it each process counts for itself (LocMemCache's incr takes a lock). A cache outage lets
requests through, logged: serving beats refusing everyone.

Doors that check a password (the pages' login, /admin/login/, the browsable API's login, the token endpoint and
the password change pages) are limited per client address (attempts a minute) and, after failures, per address
and per username with a Retry-After that doubles with each further failure (capped). Slowing down is always a
429 with Retry-After, never a sleep in a worker. django-axes adds its lock of a (username, address) pair; the
address comes from forecasts/network.py, so behind a trusted proxy one client cannot lock out another.
"""

import json
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from axes.utils import reset

from forecasts.network import client_address

log = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """"30/minute" → (30, 60)."""
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}[period.strip().lower()]
    return int(count), seconds


def count(key: str, window: int) -> tuple[int, int]:
    """Add one to `key` in the current window of `window` seconds: (the count so far, seconds the window has left)."""
    now = time.time()
    slot = f"guard:{key}:{int(now // window)}"
    left = max(1, math.ceil(window - now % window))
    cache.add(slot, 0, timeout=window + 1)
    try:
        return cache.incr(slot), left
    except ValueError:  # the slot expired between add and incr
        cache.add(slot, 1, timeout=window + 1)
        return 1, left


def too_many(response_for_api: bool, retry_after: int, what: str) -> HttpResponse:
    message = f"Too many {what}; try again in {retry_after} s."
    response = JsonResponse({"detail": message}, status=429) if response_for_api else HttpResponse(
        message, status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(retry_after)
    return response


# --- failures and blocks ------------------------------------------------------------------------------------------


def _block_key(kind: str, who: str) -> str:
    return f"guard:block:{kind}:{who.casefold()}"


def blocked_for(kind: str, who: str) -> int:
    """Seconds `who` (an address or a username) must wait, 0 when free."""
    if not who:
        return 0
    until = cache.get(_block_key(kind, who))
    return max(0, math.ceil(until - time.time())) if until else 0


def record_failure(*, address: str, username: str = "") -> None:
    """A failed authentication: past the limit, the address and the username each wait, twice as long each time."""
    window = settings.AUTH_FAILURE_WINDOW
    for kind, who, limit in (("address", address, settings.AUTH_FAILURES_PER_ADDRESS),
                             ("username", username, settings.AUTH_FAILURES_PER_USERNAME)):
        if not who:
            continue
        try:
            failures, _ = count(f"fail:{kind}:{who.casefold()}", window)
            if failures >= limit:
                wait = min(2 ** (failures - limit), settings.AUTH_MAX_WAIT)
                cache.set(_block_key(kind, who), time.time() + wait, timeout=wait + 1)
        except Exception:
            log.warning("guard: cache unavailable; failure not counted", exc_info=True)


def unlock(username: str) -> None:
    """An admin's unlock: the username's waits and failure counts go (django-axes' attempts are reset apart)."""
    cache.delete(_block_key("username", username))
    window = settings.AUTH_FAILURE_WINDOW
    now = time.time()
    for slot in (int(now // window), int(now // window) - 1):
        cache.delete(f"guard:fail:username:{username.casefold()}:{slot}")


def unlock_login(username: str) -> int:
    """What an admin's unlock does, from the admin or the `unlock` command: the username's waits, and every
    django-axes lock-out of it (from any address). Returns how many axes records were cleared."""
    unlock(username)
    return reset(username=username)


# --- the doors ----------------------------------------------------------------------------------------------------


def password_doors() -> set[str]:
    return {reverse(name) for name in ("login", "admin:login", "rest_framework:login", "api:token",
                                       "password_change", "admin:password_change")}


def _username_tried(request) -> str:
    if request.user.is_authenticated:
        return request.user.get_username()  # a password change
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return ""
        value = body.get("username") if isinstance(body, dict) else ""
        return value if isinstance(value, str) else ""
    return request.POST.get("username", "")


def _old_password_refused(response) -> bool:
    """A password change page (ours or the admin's) shown again because the old password was wrong."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    return form is not None and "old_password" in getattr(form, "errors", {})


def login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    """user_login_failed: every door that calls authenticate() (pages, admin, browsable API, token endpoint)."""
    if request is not None:
        record_failure(address=client_address(request), username=str(credentials.get("username") or ""))


def logged_in(sender, request, user, **kwargs) -> None:
    """user_logged_in: the real user got in; their username's waits go."""
    unlock(user.get_username())


class HostileClientMiddleware:
    """Before a view: a client or username that must wait gets 429 with Retry-After, on the password doors and
    (for an address) on the API. After: an API answer of 401 counts as a failed authentication of the address
    (bad tokens are throttled too)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._doors: set[str] | None = None

    def __call__(self, request):
        address = client_address(request)
        is_api = request.path.startswith("/api/")
        try:
            refusal = self._refusal(request, address, is_api)
        except Exception:
            log.warning("guard: cache unavailable; request allowed", exc_info=True)
            refusal = None
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        if is_api and response.status_code == 401 and request.META.get("HTTP_AUTHORIZATION"):
            record_failure(address=address)
        elif request.method == "POST" and request.user.is_authenticated and _old_password_refused(response):
            record_failure(address=address, username=request.user.get_username())
        return response

    def _refusal(self, request, address: str, is_api: bool) -> HttpResponse | None:
        if self._doors is None:
            self._doors = password_doors()
        at_door = request.method == "POST" and request.path in self._doors
        if not (at_door or is_api):
            return None
        wait = blocked_for("address", address)
        if wait:
            return too_many(is_api, wait, "failed authentications from your address")
        if not at_door:
            return None
        attempts, left = count(f"door:{address}", 60)
        limit, _ = parse_rate(settings.PASSWORD_ATTEMPTS_PER_ADDRESS)
        if attempts > limit:
            return too_many(is_api, left, "password attempts from your address")
        wait = blocked_for("username", _username_tried(request))
        if wait:
            return too_many(is_api, wait, "failed attempts for this username")
        return None
