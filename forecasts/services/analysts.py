"""Analysts and their aliases: create, update, link or unlink a user (admins only), aliases, merge.

One person is one analyst: every name and alias has one normalized key (models.name_key) in AnalystName, unique,
kept here for every door (the CSV import keeps it set-based).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from forecasts.db import write_pass
from forecasts.models import (
    Analyst,
    AnalystAlias,
    AnalystName,
    AnalystSlugRedirect,
    DraftPrediction,
    Prediction,
    Question,
    name_key,
)
from forecasts.services import bulk, rules, scores


def free_slug(name: str, *, taken: set[str] | None = None) -> str:
    """A slug for a new analyst called `name` that no analyst has (`taken`: the slugs known to be used)."""
    base = slugify(name)[:90] or "analyst"
    slug, n = base, 2
    while (slug in taken) if taken is not None else Analyst.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _require_free(name: str, *, field: str) -> str:
    """The key of `name`; refused when the name, in any spelling, names an analyst already."""
    key = name_key(name)
    if not key:
        raise ValidationError({field: "A name cannot be empty."})
    holder = AnalystName.objects.filter(key=key).select_related("analyst").first()
    if holder is not None:
        raise ValidationError({field: f"“{name}” already names {holder.analyst.name} (names match whatever the case "
                                      "and spacing); one person is one analyst: merge them instead."})
    return key


def _claim_key(*, analyst: Analyst, name: str, alias: AnalystAlias | None, field: str) -> None:
    AnalystName.objects.create(analyst=analyst, alias=alias, key=_require_free(name, field=field))


def analyst_create(*, data: dict, aliases: tuple[str, ...] = (), user) -> Analyst:
    """A new analyst (an outside expert, or an in-house analyst when linked to a user: admins only)."""
    if data.get("user") is not None:
        rules.require_may_link(user=user)
    with transaction.atomic():
        analyst = Analyst(**data)
        key = _require_free(analyst.name, field="name")
        if not analyst.slug:
            analyst.slug = free_slug(analyst.name)
        analyst.full_clean()
        analyst._history_user = rules.recorded_user(user)
        analyst.save()
        AnalystName.objects.create(analyst=analyst, alias=None, key=key)
        for alias in aliases:
            alias_create(analyst=analyst, name=alias, user=user)
    return analyst


def analyst_update(*, analyst_id: int, data: dict, user) -> Analyst:
    """Edit an analyst. Changing the linked user (link, unlink, relink) is an admin's, and recorded."""
    with transaction.atomic():
        analyst = Analyst.objects.select_for_update().get(pk=analyst_id)
        if set(data) - {"user"}:
            rules.require_may_edit_analyst(user=user, analyst=analyst)
        reason = None
        if "user" in data and data["user"] != analyst.user:
            rules.require_may_link(user=user)
            new = data["user"]
            reason = f"linked to user {new.get_username()}" if new is not None else "unlinked from its user"
        old_key = name_key(analyst.name)
        for name, value in data.items():
            setattr(analyst, name, value)
        analyst.full_clean()
        analyst._history_user = rules.recorded_user(user)
        analyst._change_reason = reason
        analyst.save()
        if name_key(analyst.name) != old_key:
            AnalystName.objects.filter(analyst=analyst, alias=None).delete()
            _claim_key(analyst=analyst, name=analyst.name, alias=None, field="name")
    return analyst


def analyst_link(*, analyst_id: int, linked_user, user) -> Analyst:
    """Make an analyst in-house: `linked_user` logs their forecasts (None unlinks)."""
    return analyst_update(analyst_id=analyst_id, data={"user": linked_user}, user=user)


def alias_create(*, analyst: Analyst, name: str, user) -> AnalystAlias:
    rules.require_may_edit_analyst(user=user, analyst=analyst)
    with transaction.atomic():
        key = _require_free(name, field="name")
        alias = AnalystAlias(analyst=analyst, name=name)
        alias.full_clean(validate_unique=False)
        alias._history_user = rules.recorded_user(user)
        alias.save()
        AnalystName.objects.create(analyst=analyst, alias=alias, key=key)
    return alias


def alias_update(*, alias_id: int, data: dict, user) -> AnalystAlias:
    with transaction.atomic():
        alias = AnalystAlias.objects.select_for_update().select_related("analyst").get(pk=alias_id)
        rules.require_may_edit_analyst(user=user, analyst=alias.analyst)
        AnalystName.objects.filter(alias=alias).delete()
        for name, value in data.items():
            setattr(alias, name, value)
        key = _require_free(alias.name, field="name")
        alias.full_clean(validate_unique=False)
        alias._history_user = rules.recorded_user(user)
        alias.save()
        AnalystName.objects.create(analyst=alias.analyst, alias=alias, key=key)
    return alias


def alias_delete(*, alias_id: int, user) -> None:
    alias = AnalystAlias.objects.select_related("analyst").get(pk=alias_id)
    rules.require_may_edit_analyst(user=user, analyst=alias.analyst)
    alias._history_user = rules.recorded_user(user)
    alias.delete()  # its key goes with it (CASCADE)


def analyst_merge(*, survivor_id: int, merged_id: int, user) -> Analyst:
    """Make two analysts one person: the merged one's forecasts, drafts and aliases move to the survivor, its name
    becomes an alias, its slug redirects, the stored scores follow, the audit trail records it.

    A sanctioned exception of the frozen rule (judged forecasts change analyst), admins only. Refused when both
    are linked to users, or when the survivor would hold two identical forecasts (analyst, question, made_at,
    probability, quote: the CSV identity).
    """
    rules.require_admin(user=user, action="merge analysts")
    if survivor_id == merged_id:
        raise ValidationError({"survivor": "Choose two different analysts to merge."})
    recorded = rules.recorded_user(user)
    with transaction.atomic():
        # The questions of the forecasts that move are locked first, as every write of a forecast locks its
        # question: a judgement of one of them then waits, and reads the forecasts where the merge left them.
        on_questions = Prediction.objects.filter(analyst_id=merged_id).values("question_id")
        list(Question.objects.filter(pk__in=on_questions).order_by("pk").select_for_update().values_list("pk"))
        locked = {a.pk: a for a in Analyst.objects.select_for_update().filter(pk__in=[survivor_id, merged_id]).order_by("pk")}
        survivor, merged = locked[survivor_id], locked[merged_id]
        if survivor.user_id and merged.user_id:
            raise rules.Conflict(
                f"{survivor.name} and {merged.name} are both linked to users; unlink one first (one person, one login)."
            )
        identity = ("question_id", "made_at", "probability", "quote")
        theirs = set(Prediction.objects.filter(analyst=merged).values_list(*identity))
        twins = Prediction.objects.filter(analyst=survivor).values_list(*identity)
        clashes = [row for row in twins if row in theirs]
        if clashes:
            raise rules.Conflict(
                f"Merging would give {survivor.name} {len(clashes)} forecast(s) twice (same question, time, probability "
                f"and quote, e.g. on question {clashes[0][0]}); delete the duplicates first."
            )
        reason = f"merged {merged.name} (#{merged.pk}, {merged.slug}) into {survivor.name} (#{survivor.pk})"
        moved = list(Prediction.objects.filter(analyst=merged).values_list("pk", flat=True))
        # The moved forecasts' sums go from the merged analyst's rows (left empty, so deleted) to the survivor's.
        scores.scores_take_out(predictions=Prediction.objects.filter(analyst=merged))
        with write_pass(reason=reason):
            for chunk in bulk.chunks(moved):
                Prediction.objects.filter(pk__in=chunk).update(analyst=survivor)
                rows = Prediction.objects.filter(pk__in=chunk).values(*[f.attname for f in bulk.history_fields(Prediction)])
                bulk.record_history(Prediction, list(rows), user=recorded, history_type="~", reason=reason)
        DraftPrediction.objects.filter(analyst=merged).update(analyst=survivor)
        AnalystAlias.objects.filter(analyst=merged).update(analyst=survivor)
        AnalystName.objects.filter(analyst=merged).exclude(alias=None).update(analyst=survivor)
        AnalystSlugRedirect.objects.filter(analyst=merged).update(analyst=survivor)
        AnalystSlugRedirect.objects.create(old_slug=merged.slug, analyst=survivor)
        linked = merged.user
        AnalystName.objects.filter(analyst=merged, alias=None).delete()
        for ids in bulk.in_sets(moved):
            scores.scores_put_in(predictions=Prediction.objects.filter(pk__in=ids))
        merged._history_user, merged._change_reason = recorded, reason
        merged.delete()
        if not AnalystName.objects.filter(key=name_key(merged.name)).exists():
            alias_create(analyst=survivor, name=merged.name, user=user)
        if linked is not None:
            survivor.user = linked
            survivor._history_user, survivor._change_reason = recorded, f"{reason}; took its link to {linked.get_username()}"
            survivor.save(update_fields=["user"])
    return survivor


def merge_candidates(analyst_ids: list[int]) -> list[Analyst]:
    """The analysts to offer for a merge, the one with the most forecasts first (the natural survivor)."""
    return list(
        Analyst.objects.filter(pk__in=analyst_ids).annotate(forecasts=Count("predictions")).order_by("-forecasts", "pk")
    )
