"""Celery tasks: thin wrappers around forecasts.services.checks and .jobs. They take ids (or nothing), and are
idempotent."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.db import transaction

from forecasts.services import checks, jobs

log = logging.getLogger(__name__)
# Email failures are retried with exponential back-off capped at 10 minutes, well below Redis's one-hour
# visibility timeout, so a retrying task is never handed to a second worker as if it were lost.
EMAIL_RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(acks_late=True)
def sweep_checks() -> str:
    report = checks.checks_sweep()
    log.info("sweep: %s", report)
    transaction.on_commit(send_check_notifications.delay)
    return str(report)


@shared_task(acks_late=True, **EMAIL_RETRY)
def send_check_notifications() -> dict:
    return checks.checks_notify()


@shared_task(acks_late=True)
def escalate_checks() -> list[int]:
    ids = checks.checks_escalate()
    if ids:
        transaction.on_commit(lambda: send_escalation_email.delay(ids))
    return ids


@shared_task(acks_late=True, **EMAIL_RETRY)
def send_escalation_email(check_ids: list[int]) -> int:
    return checks.escalation_notify(check_ids=check_ids)


@shared_task(acks_late=True, **EMAIL_RETRY)
def send_daily_digest() -> dict:
    return checks.checks_digest()


# Jobs (forecasts/services/jobs.py): queued once their row is committed, with the job's soft and hard time limits
# (apply_async's soft_time_limit and time_limit); the soft one fails the job cleanly with the reason. No automatic
# retry: a job that failed says why, and a task handed back after its worker died runs once more (jobs.MAX_ATTEMPTS).
@shared_task(acks_late=True, soft_time_limit=settings.INGEST_JOB_TIME_LIMIT,
             time_limit=settings.INGEST_JOB_TIME_LIMIT + jobs.HARD_LIMIT_GRACE)
def ingest_article_job(job_id: int) -> str:
    return jobs.job_run(job_id=job_id)


@shared_task(acks_late=True, soft_time_limit=settings.CSV_JOB_TIME_LIMIT,
             time_limit=settings.CSV_JOB_TIME_LIMIT + jobs.HARD_LIMIT_GRACE)
def import_csv_job(job_id: int) -> str:
    return jobs.job_run(job_id=job_id)
