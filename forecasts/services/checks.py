"""Resolution checks: the periodic sweep, assignment, notification, escalation and the daily digest.

The database is the source of truth. The sweep may run twice at once (beat plus a manual run, or two beats by
mistake): the unique (question, due_at) constraint keeps one check per due time, and rows are claimed with
row locks or conditional updates before anything is sent, so nothing is sent twice by two copies.
"""

import datetime as dt
import heapq
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from forecasts.models import Question, ResolutionCheck
from forecasts.services import rules

log = logging.getLogger(__name__)
SWEEP_CHUNK = 5_000


@dataclass
class SweepReport:
    created: int = 0
    assigned: int = 0
    unassigned: int = 0
    woken: int = 0
    reassigned: int = 0
    per_assignee: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        who = ", ".join(f"{name}: {n}" for name, n in sorted(self.per_assignee.items())) or "nobody"
        moved = f"; {self.reassigned} reassigned from former analysts" if self.reassigned else ""
        return (
            f"created {self.created} checks (assigned {self.assigned} — {who}; unassigned {self.unassigned}); "
            f"{self.woken} snoozed checks due again{moved}"
        )


def due_at_for(*, resolve_by: dt.datetime, check_every: dt.timedelta | None, created_at: dt.datetime, now: dt.datetime):
    """The due time a question should have a check for now, or None.

    Past resolve_by: the final check, at resolve_by. Before it: the latest interim time
    created_at + k·check_every (k ≥ 1) that has passed; earlier missed interim times are not worth a prompt.
    """
    if resolve_by <= now:
        return resolve_by
    if check_every and check_every > dt.timedelta(0) and created_at < now:
        k = (now - created_at) // check_every
        if k >= 1:
            return created_at + k * check_every
    return None


def _analyst_loads() -> list[tuple[int, int]]:
    """(open checks, user id) for every active analyst: the heap that 'fewest pending checks' pops from."""
    analysts = rules.assignable_users().annotate(
        open_checks=Count("resolution_checks", filter=Q(resolution_checks__status__in=ResolutionCheck.WAITING))
    )
    loads = [(user.open_checks, user.pk) for user in analysts]
    heapq.heapify(loads)
    return loads


def _next_assignee(loads: list[tuple[int, int]]) -> int | None:
    if not loads:
        return None
    count, assignee = heapq.heappop(loads)
    heapq.heappush(loads, (count + 1, assignee))
    return assignee


def _reassign_orphans(loads: list[tuple[int, int]]) -> int:
    """Checks not done whose assignee was deactivated or left the analysts go to the least loaded analyst."""
    moved = 0
    with transaction.atomic():
        orphans = (
            ResolutionCheck.objects.filter(status__in=ResolutionCheck.NOT_DONE, assigned_to__isnull=False)
            .exclude(assigned_to__in=rules.assignable_users())
            .select_for_update(skip_locked=True)
            .order_by("pk")
        )
        for check in orphans:
            assignee = _next_assignee(loads)
            # notified_at cleared: the new assignee gets the email the old one had.
            ResolutionCheck.objects.filter(pk=check.pk).update(assigned_to_id=assignee, notified_at=None)
            moved += 1
    return moved


def checks_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Create one check per open question and due time, assigned; wake snoozed checks whose time came."""
    now = now or timezone.now()
    report = SweepReport()
    report.woken = ResolutionCheck.objects.filter(
        status=ResolutionCheck.Status.SNOOZED, snoozed_until__lte=now
    ).update(status=ResolutionCheck.Status.PENDING, notified_at=None)

    loads = _analyst_loads()
    report.reassigned = _reassign_orphans(loads)
    # Uses question_sweep_idx (outcome, resolve_by) for the due ones; open questions with interim checks are few.
    candidates = (
        Question.objects.filter(outcome="")
        .filter(Q(resolve_by__lte=now) | Q(check_every__isnull=False))
        .order_by("pk")
        .values_list("pk", "resolve_by", "check_every", "created_at", "owner_id")
    )
    batch: list[tuple] = []
    for row in candidates.iterator(chunk_size=SWEEP_CHUNK):
        batch.append(row)
        if len(batch) == SWEEP_CHUNK:
            _sweep_batch(batch, now, loads, report)
            batch = []
    if batch:
        _sweep_batch(batch, now, loads, report)
    return report


def _sweep_batch(batch, now, loads, report: SweepReport) -> None:
    wanted = {}
    for pk, resolve_by, check_every, created_at, owner_id in batch:
        due = due_at_for(resolve_by=resolve_by, check_every=check_every, created_at=created_at, now=now)
        if due is not None:
            wanted[pk] = (due, owner_id)
    if not wanted:
        return
    User = get_user_model()
    owners = {owner_id for _, owner_id in wanted.values() if owner_id}
    active_owners = set(rules.assignable_users().filter(pk__in=owners).values_list("pk", flat=True))
    with transaction.atomic():
        # Lock the questions that are still open, in id order. A resolve racing this sweep waits for the
        # commit and then completes the new check; one that committed first has made the question not open,
        # so no check is made for it. Two sweeps queue up here instead of deadlocking on the inserts.
        still_open = set(
            Question.objects.filter(pk__in=list(wanted), outcome="")
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        existing = set(
            ResolutionCheck.objects.filter(question_id__in=still_open).values_list("question_id", "due_at")
        )
        new = []
        for pk in sorted(still_open):
            due, owner_id = wanted[pk]
            if (pk, due) in existing:
                continue
            assignee = owner_id if owner_id in active_owners else _next_assignee(loads)
            new.append(ResolutionCheck(question_id=pk, due_at=due, assigned_to_id=assignee))
        # ignore_conflicts: the unique (question, due_at) constraint is the last word, whatever happens above.
        ResolutionCheck.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    usernames = dict(
        User.objects.filter(pk__in={c.assigned_to_id for c in new if c.assigned_to_id}).values_list("pk", "username")
    )
    for check in new:
        report.created += 1
        if check.assigned_to_id:
            report.assigned += 1
            name = usernames.get(check.assigned_to_id) or str(check.assigned_to_id)
            report.per_assignee[name] = report.per_assignee.get(name, 0) + 1
        else:
            report.unassigned += 1


def _question_line(check: ResolutionCheck, now: dt.datetime) -> str:
    overdue = (now - check.due_at).days
    when = f"{overdue} days overdue" if overdue > 0 else f"due {check.due_at:%Y-%m-%d}"
    return f"- {check.question.title}\n  ({when}) {settings.SITE_URL}{check.question.get_absolute_url()}"


def checks_notify(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Email each assignee one digest of their new checks; return {username: checks in the email}.

    Per assignee, in one transaction: take the assignee's row lock (skipping an assignee another copy is
    mailing right now), read the unnotified checks, mail them, mark them. Locking the checks themselves with
    SKIP LOCKED would not do: two copies could each lock part of the set and send two emails. A failed email
    rolls back and leaves the checks for the retry or the next sweep.
    """
    now = now or timezone.now()
    User = get_user_model()
    sent: dict[str, int] = {}
    unnotified = ResolutionCheck.objects.filter(
        status=ResolutionCheck.Status.PENDING, notified_at__isnull=True, assigned_to__isnull=False
    )
    for user_id in sorted(set(unnotified.values_list("assigned_to_id", flat=True))):
        with transaction.atomic():
            user = User.objects.select_for_update(skip_locked=True).filter(pk=user_id).first()
            if user is None:
                continue  # another notifier holds this assignee
            checks = list(unnotified.filter(assigned_to_id=user_id).select_related("question").order_by("due_at", "pk"))
            if not checks:
                continue
            if user.email:
                lines = "\n".join(_question_line(check, now) for check in checks)
                send_mail(
                    subject=f"Hindsight: {len(checks)} question{'s' if len(checks) != 1 else ''} to resolve",
                    message=(
                        f"Hello {user.get_username()},\n\nThese questions came due and are waiting for your "
                        f"judgement (resolve, or snooze until it is knowable):\n\n{lines}\n"
                    ),
                    from_email=None,
                    recipient_list=[user.email],
                )
            ResolutionCheck.objects.filter(pk__in=[c.pk for c in checks]).update(notified_at=now)
            sent[user.get_username()] = len(checks)
    return sent


def checks_escalate(*, now: dt.datetime | None = None, grace: dt.timedelta | None = None) -> list[int]:
    """Mark checks still pending a grace period after they were sent (or made) as escalated; return their ids."""
    now = now or timezone.now()
    cutoff = now - (grace if grace is not None else dt.timedelta(days=settings.CHECK_GRACE_DAYS))
    with transaction.atomic():
        ids = list(
            ResolutionCheck.objects.filter(status=ResolutionCheck.Status.PENDING)
            .filter(Q(notified_at__lt=cutoff) | Q(notified_at__isnull=True, created_at__lt=cutoff))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        ResolutionCheck.objects.filter(pk__in=ids, status=ResolutionCheck.Status.PENDING).update(
            status=ResolutionCheck.Status.ESCALATED, escalated_at=now
        )
    return ids


def admin_addresses() -> list[str]:
    User = get_user_model()
    addresses = [address for _, address in settings.ADMINS]
    addresses += list(User.objects.filter(is_superuser=True, is_active=True).exclude(email="").values_list("email", flat=True))
    return sorted(set(addresses))


def escalation_notify(*, check_ids: list[int], now: dt.datetime | None = None) -> int:
    """Email the admins the escalated checks; return how many were listed."""
    now = now or timezone.now()
    checks = list(
        ResolutionCheck.objects.filter(pk__in=check_ids, status=ResolutionCheck.Status.ESCALATED)
        .select_related("question", "assigned_to")
        .order_by("due_at", "pk")
    )
    recipients = admin_addresses()
    if not checks or not recipients:
        return 0
    lines = "\n".join(
        f"{_question_line(check, now)}\n  assigned to {check.assigned_to.get_username() if check.assigned_to else 'nobody'}"
        for check in checks
    )
    send_mail(
        subject=f"Hindsight: {len(checks)} resolution check{'s' if len(checks) != 1 else ''} escalated",
        message=f"These checks have waited more than {settings.CHECK_GRACE_DAYS} days:\n\n{lines}\n",
        from_email=None,
        recipient_list=recipients,
    )
    return len(checks)


def checks_digest(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily digest: each analyst's open checks, overdue first; return {username: checks listed}."""
    now = now or timezone.now()
    by_user: dict[int, list[ResolutionCheck]] = {}
    open_checks = (
        ResolutionCheck.objects.filter(status__in=ResolutionCheck.WAITING, assigned_to__isnull=False, assigned_to__is_active=True)
        .select_related("question", "assigned_to")
        .order_by("due_at", "pk")
    )
    for check in open_checks:
        by_user.setdefault(check.assigned_to_id, []).append(check)
    sent = {}
    for checks in by_user.values():
        user = checks[0].assigned_to
        if not user.email:
            continue
        send_mail(
            subject=f"Hindsight daily digest: {len(checks)} open check{'s' if len(checks) != 1 else ''}",
            message="Your open resolution checks, oldest first:\n\n"
            + "\n".join(_question_line(check, now) for check in checks)
            + "\n",
            from_email=None,
            recipient_list=[user.email],
        )
        sent[user.get_username()] = len(checks)
    return sent


def check_create(*, question: Question, due_at: dt.datetime, assigned_to=None, user) -> ResolutionCheck:
    """A check by hand: on an open question only, for an active analyst (or nobody, for the sweep to assign)."""
    rules.require_assignable(assigned_to, field="assigned_to")
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        rules.require_open_for_checks(question)
        check, _ = ResolutionCheck.objects.get_or_create(
            question=question, due_at=due_at, defaults={"assigned_to": assigned_to}
        )
    return check


def check_assign(*, check_id: int, assigned_to, user) -> ResolutionCheck:
    """Give a check to another analyst; they are emailed at the next notification run."""
    rules.require_assignable(assigned_to, field="assigned_to")
    with transaction.atomic():
        check = ResolutionCheck.objects.select_for_update().get(pk=check_id)
        if check.status == ResolutionCheck.Status.DONE:
            raise rules.Conflict("This check is done; its question was resolved.")
        if check.assigned_to_id != getattr(assigned_to, "pk", None):
            check.assigned_to, check.notified_at = assigned_to, None
            check.save(update_fields=["assigned_to", "notified_at"])
    return check


SNOOZE_AT_MOST = dt.timedelta(days=3 * 366)


def check_snooze(*, check_id: int, until: dt.datetime, user) -> ResolutionCheck:
    """"Not yet knowable; look again on DATE": the check waits until then (in the future, within three years),
    when the sweep wakes it."""
    now = timezone.now()
    if not now < until <= now + SNOOZE_AT_MOST:
        raise ValidationError({"until": "Choose a date after today and within three years."})
    with transaction.atomic():
        check = ResolutionCheck.objects.select_for_update().get(pk=check_id)
        if check.status == ResolutionCheck.Status.DONE:
            raise rules.Conflict("This check is done; its question was resolved.")
        check.status = ResolutionCheck.Status.SNOOZED
        check.snoozed_until = until
        check.save(update_fields=["status", "snoozed_until"])
    return check
