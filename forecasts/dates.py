"""Calendar arithmetic on aware datetimes (pure; no database)."""

import datetime as dt


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
