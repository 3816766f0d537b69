"""Calendar arithmetic on aware datetimes, and the years a date may fall in (pure; no database)."""

import datetime as dt

from django.core.exceptions import ValidationError

# The years every date from a client must fall in, in UTC: both Python (years 1–9999, and converting a date at
# either end to UTC overflows) and the databases hold them. One rule for every door: the API's fields and filters,
# the pages' forms, the CSV import, the commands.
FIRST_YEAR, LAST_YEAR = 1900, 2200
SUPPORTED_RANGE = (
    dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.timezone.utc),  # the first supported moment
    dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.timezone.utc),  # the first one after
)
# The same years as a pattern on an ISO 8601 text, for the OpenAPI schema (clients and fuzzers draw dates from it).
SUPPORTED_ISO_PATTERN = r"^(19\d\d|2[01]\d\d|2200)-"


def is_supported(value: dt.date) -> bool:
    """Whether a date or datetime falls in FIRST_YEAR–LAST_YEAR (an aware one in UTC)."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return False  # checked before converting: 0001-01-01T00:00+01:00 overflows on the way to UTC
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        value = value.astimezone(dt.timezone.utc)
    return FIRST_YEAR <= value.year <= LAST_YEAR


def require_supported(value, field: str | None = None, *, given: str | None = None):
    """The value (None, a date, or a datetime: an aware one converted to UTC, for PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts), or a ValidationError naming `field` and the input as `given` (default: the
    value's ISO form) when it falls outside FIRST_YEAR–LAST_YEAR."""
    if value is None:
        return None
    if not is_supported(value):
        shown = given if given is not None else value.isoformat()
        raise ValidationError(
            f"{field + ' ' if field else ''}{shown!r} is outside {FIRST_YEAR}–{LAST_YEAR} (years, in UTC)",
            code="unsupported_date",
        )
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return value.astimezone(dt.timezone.utc)
    return value


def months_after(when: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` later (clamped to the month's last day)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    for day in range(when.day, 0, -1):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
