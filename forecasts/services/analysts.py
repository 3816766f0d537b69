"""Analysts and their aliases: create, update, link or unlink a user (admins only), aliases."""

from django.db import transaction
from django.utils.text import slugify

from forecasts.models import Analyst, AnalystAlias
from forecasts.services import rules


def free_slug(name: str, *, taken: set[str] | None = None) -> str:
    """A slug for a new analyst called `name` that no analyst has (`taken`: the slugs known to be used)."""
    base = slugify(name)[:90] or "analyst"
    slug, n = base, 2
    while (slug in taken) if taken is not None else Analyst.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def analyst_create(*, data: dict, aliases: tuple[str, ...] = (), user) -> Analyst:
    """A new analyst (an outside expert, or an in-house analyst when linked to a user: admins only)."""
    if data.get("user") is not None:
        rules.require_may_link(user=user)
    with transaction.atomic():
        analyst = Analyst(**data)
        if not analyst.slug:
            analyst.slug = free_slug(analyst.name)
        analyst.full_clean()
        analyst._history_user = rules.recorded_user(user)
        analyst.save()
        for alias in aliases:
            alias_create(analyst=analyst, name=alias, user=user)
    return analyst


def analyst_update(*, analyst_id: int, data: dict, user) -> Analyst:
    """Edit an analyst. Changing the linked user (link, unlink, relink) is an admin's, and recorded."""
    with transaction.atomic():
        analyst = Analyst.objects.select_for_update().get(pk=analyst_id)
        reason = None
        if "user" in data and data["user"] != analyst.user:
            rules.require_may_link(user=user)
            new = data["user"]
            reason = f"linked to user {new.get_username()}" if new is not None else "unlinked from its user"
        for name, value in data.items():
            setattr(analyst, name, value)
        analyst.full_clean()
        analyst._history_user = rules.recorded_user(user)
        analyst._change_reason = reason
        analyst.save()
    return analyst


def analyst_link(*, analyst_id: int, linked_user, user) -> Analyst:
    """Make an analyst in-house: `linked_user` logs their forecasts (None unlinks)."""
    return analyst_update(analyst_id=analyst_id, data={"user": linked_user}, user=user)


def alias_create(*, analyst: Analyst, name: str, user) -> AnalystAlias:
    alias = AnalystAlias(analyst=analyst, name=name)
    alias.full_clean()
    alias._history_user = rules.recorded_user(user)
    alias.save()
    return alias


def alias_update(*, alias_id: int, data: dict, user) -> AnalystAlias:
    with transaction.atomic():
        alias = AnalystAlias.objects.select_for_update().get(pk=alias_id)
        for name, value in data.items():
            setattr(alias, name, value)
        alias.full_clean()
        alias._history_user = rules.recorded_user(user)
        alias.save()
    return alias


def alias_delete(*, alias_id: int, user) -> None:
    alias = AnalystAlias.objects.get(pk=alias_id)
    alias._history_user = rules.recorded_user(user)
    alias.delete()
