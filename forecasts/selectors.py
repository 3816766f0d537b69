"""Reads."""

from django.db.models import Q

from forecasts.models import Analyst


def analyst_by_name(*, name: str) -> Analyst | None:
    """The analyst whose name, slug or alias is `name` (case-insensitive), or None."""
    name = name.strip()
    return (
        Analyst.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name) | Q(aliases__name__iexact=name))
        .distinct()
        .first()
    )
