"""Small helpers that read settings from the environment and fail loudly on a bad value."""

import datetime as dt
import os

from django.core.exceptions import ImproperlyConfigured
from django.utils.dateparse import parse_duration

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_duration(name: str, default: dt.timedelta) -> dt.timedelta:
    """A positive duration as Django writes one ("30 00:00:00", "12:00:00", ISO 8601 "P30D"); a bare number is days."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    try:
        duration = dt.timedelta(days=int(value)) if value.isdigit() else parse_duration(value)
    except (OverflowError, ValueError):
        duration = None
    if duration is None:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a duration (use days, e.g. 30, or \"30 00:00:00\", \"12:00:00\", \"P30D\")"
        )
    if duration <= dt.timedelta(0):
        raise ImproperlyConfigured(f"{name}={raw!r} is not longer than zero")
    return duration
