"""The resolution-check sweep, assignment, notification, snooze, escalation and digest, on a frozen clock."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from forecasts import tasks

from forecasts.services import checks, questions, rules
from forecasts.models import Question, ResolutionCheck
from forecasts.services.rules import SYSTEM
from tests.factories import QuestionFactory, UserFactory, admin_user, analyst_user

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
TODAY = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def eager_celery():
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


def test_due_time_rules():
    created = dt.datetime(2026, 1, 1, tzinfo=UTC)
    resolve_by = dt.datetime(2027, 1, 1, tzinfo=UTC)
    every = dt.timedelta(days=90)

    def due(now):
        return checks.due_at_for(resolve_by=resolve_by, check_every=every, created_at=created, now=now)

    assert due(dt.datetime(2026, 3, 1, tzinfo=UTC)) is None  # before the first interim check
    assert due(dt.datetime(2026, 4, 2, tzinfo=UTC)) == created + every
    # Several interim times missed: only the latest is worth a prompt.
    assert due(dt.datetime(2026, 11, 1, tzinfo=UTC)) == created + 3 * every
    assert due(dt.datetime(2027, 2, 1, tzinfo=UTC)) == resolve_by  # past the deadline: the final check
    assert checks.due_at_for(resolve_by=resolve_by, check_every=None, created_at=created, now=TODAY) is None


def test_seeded_article_gets_exactly_one_check_per_due_question(seeded, frozen):
    demo = analyst_user(username="demo")

    report = checks.checks_sweep()

    assert report.created == 6 and report.assigned == 6
    assert report.per_assignee == {"demo": 6}
    for question in Question.objects.all():
        check = question.checks.get()
        assert check.due_at == question.resolve_by
        assert check.assigned_to == demo and check.status == "pending"
    again = checks.checks_sweep()
    assert again.created == 0
    assert ResolutionCheck.objects.count() == 6


def test_resolved_questions_are_not_swept(seeded, frozen):
    questions.question_resolve(question_id=Question.objects.get(key="nk-elite-pushback").pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")
    assert checks.checks_sweep().created == 5


def test_interim_checks_come_every_check_every(frozen):
    created = TODAY - dt.timedelta(days=100)
    question = QuestionFactory(
        created_at=created, resolve_by=TODAY + dt.timedelta(days=200), check_every=dt.timedelta(days=90)
    )
    assert checks.checks_sweep().created == 1
    assert question.checks.get().due_at == created + dt.timedelta(days=90)

    frozen.shift(dt.timedelta(days=85))  # day 185 since creation: the second interim time has passed
    assert checks.checks_sweep().created == 1
    assert sorted(c.due_at for c in question.checks.all()) == [created + dt.timedelta(days=d) for d in (90, 180)]


def test_assignment_owner_first_then_fewest_pending(frozen):
    busy = analyst_user(username="busy")
    analyst_user(username="idle")
    owner = analyst_user(username="owner")
    for _ in range(2):
        ResolutionCheck.objects.create(question=QuestionFactory(resolve_by=TODAY + dt.timedelta(days=9)), due_at=TODAY, assigned_to=busy)
    past = TODAY - dt.timedelta(days=1)
    owned = QuestionFactory(resolve_by=past, owner=owner)
    others = [QuestionFactory(resolve_by=past) for _ in range(4)]

    report = checks.checks_sweep()

    assert owned.checks.get().assigned_to == owner
    loads = {name: sum(1 for q in others if q.checks.get().assigned_to.username == name) for name in ("busy", "idle", "owner")}
    # Loads are counted before the sweep (busy 2, idle 0, owner 0) and grow as it assigns: the four others
    # go to idle and owner alternately, and only then would busy get one.
    assert loads == {"busy": 0, "idle": 2, "owner": 2}
    assert report.created == 5 and report.unassigned == 0


def test_inactive_owner_falls_back_and_no_analysts_means_unassigned(frozen):
    gone = analyst_user(username="gone", is_active=False)
    question = QuestionFactory(resolve_by=TODAY - dt.timedelta(days=1), owner=gone)
    report = checks.checks_sweep()
    assert report.unassigned == 1
    assert question.checks.get().assigned_to is None


def test_one_email_per_analyst_per_sweep_with_links(seeded, frozen, settings):
    settings.SITE_URL = "https://hindsight.example.org"
    analyst_user(username="ann", email="ann@example.org")
    analyst_user(username="bob", email="bob@example.org")
    checks.checks_sweep()

    sent = checks.checks_notify()

    assert sent == {"ann": 3, "bob": 3}
    assert len(mail.outbox) == 2
    ann = next(m for m in mail.outbox if m.to == ["ann@example.org"])
    assert ann.subject == "Hindsight: 3 questions to resolve"
    assert "days overdue" in ann.body
    assert ann.body.count("https://hindsight.example.org/") == 3
    assert ResolutionCheck.objects.filter(notified_at=TODAY).count() == 6
    assert checks.checks_notify() == {} and len(mail.outbox) == 2


def test_failed_email_loses_no_check(seeded, frozen, monkeypatch):
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()

    def broken(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(checks, "send_mail", broken)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        checks.checks_notify()
    assert ResolutionCheck.objects.filter(notified_at__isnull=True).count() == 6

    monkeypatch.undo()
    assert checks.checks_notify() == {"ann": 6}
    assert len(mail.outbox) == 1


def test_notification_task_retries_email_failures(seeded, frozen, monkeypatch):
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()
    real_send_mail = checks.send_mail

    def down(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "try later")

    monkeypatch.setattr(checks, "send_mail", down)
    attempt = tasks.send_check_notifications.apply()
    # The attempt fails (a worker retries it with back-off: autoretry_for), and the checks wait unnotified.
    assert attempt.state != "SUCCESS"
    assert isinstance(attempt.result, smtplib.SMTPConnectError)
    assert ResolutionCheck.objects.filter(notified_at__isnull=True).count() == 6

    monkeypatch.setattr(checks, "send_mail", real_send_mail)
    assert tasks.send_check_notifications.apply().get() == {"ann": 6}
    assert len(mail.outbox) == 1
    assert not ResolutionCheck.objects.filter(notified_at__isnull=True).exists()


def test_email_retry_backoff_stays_below_the_visibility_timeout(settings):
    for task in (tasks.send_check_notifications, tasks.send_escalation_email, tasks.send_daily_digest):
        assert smtplib.SMTPException in task.autoretry_for
        assert task.retry_backoff_max < 3600
        assert task.acks_late


def test_sweep_task_notifies_after_commit(seeded, frozen, eager_celery, django_capture_on_commit_callbacks):
    analyst_user(username="ann", email="ann@example.org")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = tasks.sweep_checks.delay()
    assert "created 6 checks" in result.get()
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.org"]


def test_snoozed_check_comes_back_and_is_mailed_again(seeded, frozen):
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()
    checks.checks_notify()
    check = ResolutionCheck.objects.get(question__key="nk-troop-numbers")
    checks.check_snooze(check_id=check.pk, until=TODAY + dt.timedelta(days=30), user=SYSTEM)

    frozen.shift(dt.timedelta(days=10))
    assert checks.checks_sweep().woken == 0
    assert check.pk not in checks.checks_escalate()  # the others are past the grace period; a snoozed one is not
    frozen.shift(dt.timedelta(days=21))
    report = checks.checks_sweep()
    assert report.woken == 1 and report.created == 0

    check.refresh_from_db()
    assert check.status == "pending" and check.notified_at is None
    assert checks.checks_notify() == {"ann": 1}
    assert "Will North Korea have sent at least 10,000 troops" in mail.outbox[-1].body


def test_snoozing_a_done_check_is_refused(seeded, frozen):
    checks.checks_sweep()
    check = ResolutionCheck.objects.first()
    questions.question_resolve(question_id=check.question_id, outcome="yes", user=SYSTEM, evidence="Seen in the news.")
    with pytest.raises(rules.Conflict, match="done"):
        checks.check_snooze(check_id=check.pk, until=TODAY + dt.timedelta(days=30), user=SYSTEM)


def test_escalation_after_the_grace_period(seeded, frozen, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    admin_user(username="root", email="root@example.org")
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()
    checks.checks_notify()
    questions.question_resolve(question_id=Question.objects.get(key="nk-elite-pushback").pk, outcome="no", user=SYSTEM, evidence="Seen in the news.")

    frozen.shift(dt.timedelta(days=6))
    assert checks.checks_escalate() == []
    frozen.shift(dt.timedelta(days=2))
    escalated = checks.checks_escalate()

    assert len(escalated) == 5  # the resolved one is done
    assert set(ResolutionCheck.objects.filter(pk__in=escalated).values_list("status", flat=True)) == {"escalated"}
    assert checks.checks_escalate() == []  # claimed once
    assert checks.escalation_notify(check_ids=escalated) == 5
    email = mail.outbox[-1]
    assert sorted(email.to) == ["ops@example.org", "root@example.org"]
    assert email.subject == "Hindsight: 5 resolution checks escalated"
    assert "assigned to ann" in email.body


def test_daily_digest_lists_open_checks_overdue_first(frozen):
    ann = analyst_user(username="ann", email="ann@example.org")
    recent = QuestionFactory(title="Recent question?", resolve_by=TODAY - dt.timedelta(days=2))
    QuestionFactory(title="Old question?", resolve_by=TODAY - dt.timedelta(days=40))
    QuestionFactory(title="Not due?", resolve_by=TODAY + dt.timedelta(days=40))
    checks.checks_sweep()
    ResolutionCheck.objects.filter(question=recent).update(assigned_to=ann)

    assert checks.checks_digest() == {"ann": 2}
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "Hindsight daily digest: 2 open checks"
    assert body.index("Old question?") < body.index("Recent question?")
    assert "40 days overdue" in body and "2 days overdue" in body
    assert "Not due?" not in body


def test_sweep_checks_command_prints_what_it_did(seeded, frozen, capsys):
    analyst_user(username="ann", email="ann@example.org")
    call_command("sweep_checks")
    out = capsys.readouterr().out
    assert "Sweep: created 6 checks (assigned 6 — ann: 6; unassigned 0); 0 snoozed checks due again." in out
    assert "Escalated 0 checks" in out
    assert "Notified: ann (6)." in out

    call_command("sweep_checks")
    assert "created 0 checks" in capsys.readouterr().out


def test_schedules_are_in_the_database_and_editable(db):
    sweep = PeriodicTask.objects.get(task="forecasts.tasks.sweep_checks")
    assert (sweep.interval.every, sweep.interval.period) == (15, "minutes")
    escalate = PeriodicTask.objects.get(task="forecasts.tasks.escalate_checks")
    digest = PeriodicTask.objects.get(task="forecasts.tasks.send_daily_digest")
    assert escalate.crontab.hour == "6" and digest.crontab.hour == "7"
    assert all(task.enabled for task in (sweep, escalate, digest))


def test_user_without_email_is_marked_notified_without_mail(frozen):
    analyst_user(username="quiet", email="")
    QuestionFactory(resolve_by=TODAY - dt.timedelta(days=1))
    checks.checks_sweep()
    assert checks.checks_notify() == {"quiet": 1}
    assert mail.outbox == []


def test_plain_users_are_not_assigned(frozen):
    UserFactory(username="visitor")
    analyst_user(username="ann")
    QuestionFactory(resolve_by=TODAY - dt.timedelta(days=1))
    checks.checks_sweep()
    assert ResolutionCheck.objects.get().assigned_to.username == "ann"


@pytest.mark.parametrize("how", ["deactivated", "left the analysts"])
def test_the_sweep_reassigns_checks_of_a_user_who_is_no_longer_an_analyst(seeded, frozen, how):
    from django.contrib.auth.models import Group

    ann, _bob = analyst_user(username="ann"), analyst_user(username="bob")
    checks.checks_sweep()
    anns = list(ResolutionCheck.objects.filter(assigned_to=ann).values_list("pk", flat=True))
    assert anns
    if how == "deactivated":
        ann.is_active = False
        ann.save(update_fields=["is_active"])
    else:
        ann.groups.remove(Group.objects.get(name="analysts"))

    report = checks.checks_sweep()

    assert report.reassigned == len(anns)
    assert set(ResolutionCheck.objects.filter(pk__in=anns).values_list("assigned_to__username", flat=True)) == {"bob"}
    assert not ResolutionCheck.objects.filter(assigned_to=ann).exclude(status="done").exists()
