"""Jobs: work too large for a request, done by a Celery worker (README "Work bounds").

One ingest contract for every door: `article_submit` reads an article within the synchronous budget
(INGEST_SYNC_MAX_BYTES) at once and returns its IngestReport; a larger one becomes a queued IngestJob. Either way the
input is checked first, so a refused article is refused at once and never becomes a job. An admin CSV upload above
CSV_SYNC_MAX_BYTES becomes a job the same way (`csv_job_create`). The command `ingest_article` stays synchronous.

Every write to IngestJob is here. A job is created `queued` and sent to the broker once its row is committed; the
worker's task calls `job_run`, which marks it `running`, moves its progress on as the work goes, and finishes it
`done` (with its source, or the import's report) or `failed` (with a reason a person can read), also when the
time limit stops it. A worker killed outright leaves it `running`: it reads as failed once its time limit is well
past (IngestJob.lost); the broker hands a task whose worker died back once, and a second loss fails the job.
"""

import io
import logging
import threading
import time
from functools import partial

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from forecasts.models import IngestJob
from forecasts.services import drafts, imports, rules

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 2  # a task handed back after its worker died runs once more; a second loss fails the job
HARD_LIMIT_GRACE = 15  # seconds between the soft time limit (the job fails cleanly) and the hard one (killed)
PROGRESS_EVERY = 0.5  # seconds between progress writes


# --- the doors' side: submit, create ---------------------------------------------------------------------------


def article_submit(
    *, text: str, title: str = "", publisher: str = "", url: str = "", published_at=None, user
) -> drafts.IngestReport | IngestJob:
    """Read an article now if it is within the synchronous budget, else queue it as a job.

    Raises IngestError or ValidationError at once for an article that cannot be read, whatever its size."""
    if len(text.encode("utf-8")) <= settings.INGEST_SYNC_MAX_BYTES:
        return drafts.article_ingest(
            text=text, title=title, publisher=publisher, url=url, published_at=published_at, user=user
        )
    return article_job_create(text=text, title=title, publisher=publisher, url=url, published_at=published_at, user=user)


def article_job_create(
    *, text: str, title: str = "", publisher: str = "", url: str = "", published_at=None, user
) -> IngestJob:
    """A queued job to read the article (checked first). If the broker cannot take it, the job is failed with the
    reason (the caller sees status `failed`)."""
    published_at = drafts.article_check(text=text, published_at=published_at, url=url, publisher=publisher, title=title)
    return _job_create(
        kind=IngestJob.Kind.ARTICLE,
        text=text,
        title=title[:300],
        publisher=publisher[:200],
        url=url,
        published_at=published_at,
        time_limit=settings.INGEST_JOB_TIME_LIMIT,
        user=user,
    )


def csv_job_create(*, text: str, file_name: str = "", user) -> IngestJob:
    """A queued job to import a CSV file's text (its header checked first: ImportRejected at once)."""
    if "\x00" in text[:4096]:
        raise imports.ImportRejected(["The file contains NUL characters: it is not a CSV text file."])
    imports.csv_header_check(text)
    return _job_create(
        kind=IngestJob.Kind.CSV, text=text, file_name=file_name[:255], time_limit=settings.CSV_JOB_TIME_LIMIT, user=user
    )


def _job_create(*, kind: str, time_limit: int, user, **given) -> IngestJob:
    with transaction.atomic():
        job = IngestJob.objects.create(kind=kind, time_limit=time_limit, created_by=rules.recorded_user(user), **given)
        # Sent once the row is committed, so that the worker finds it.
        transaction.on_commit(partial(_enqueue, job.pk))
    job.refresh_from_db()
    return job


TASKS = {IngestJob.Kind.ARTICLE: "forecasts.tasks.ingest_article_job", IngestJob.Kind.CSV: "forecasts.tasks.import_csv_job"}


def _enqueue(job_id: int) -> None:
    job = IngestJob.objects.only("kind", "time_limit").get(pk=job_id)
    # By name from Celery's registry (autodiscovery imports forecasts.tasks): tasks.py calls this module, so this
    # module does not import it back.
    task = current_app.tasks[TASKS[job.kind]]
    try:
        task.apply_async(
            args=[job_id], soft_time_limit=job.time_limit, time_limit=job.time_limit + HARD_LIMIT_GRACE
        )
    except (BrokerUnavailable, OSError) as exc:
        log.warning("job %s could not be queued: %s", job_id, exc)
        job_fail(job_id=job_id, error="The job could not be queued: the task queue is unavailable. Try again later.")


# --- the worker's side: run, progress, finish ------------------------------------------------------------------


def job_run(*, job_id: int) -> str:
    """Do the job's work as the user who submitted it; the task calls this. Returns the job's final status."""
    job = job_start(job_id=job_id)
    if job is None:
        return IngestJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    user = get_user_model().objects.filter(pk=job.created_by_id, is_active=True).first()
    if user is None:  # never the system: a job does what its user may do
        job_fail(job_id=job.pk, error="The user who submitted it is no longer active; nothing was done.")
        return IngestJob.Status.FAILED
    progress = Progress(job.pk, deadline=time.monotonic() + job.time_limit)
    try:
        if job.kind == IngestJob.Kind.ARTICLE:
            report = drafts.article_ingest(
                text=job.text, title=job.title, publisher=job.publisher, url=job.url,
                published_at=job.published_at, user=user, progress=progress,
            )
            job_finish(job_id=job.pk, source=report.source, report=str(report))
        else:
            lines = progress.reading(job.text, share=0.6)  # reading and checking the rows: 0–60%
            result = imports.forecasts_import(
                lines=lines, user=user, file_name=job.file_name, progress=progress.after(0.6)
            )
            job_finish(job_id=job.pk, report=str(result))
    except SoftTimeLimitExceeded:
        job_fail(job_id=job.pk, error=f"It took longer than the {job.time_limit} s time limit and was stopped. "
                                       "Nothing was saved.")
    except drafts.IngestError as exc:
        job_fail(job_id=job.pk, error=str(exc))
    except imports.ImportRejected as exc:
        job_fail(job_id=job.pk, error="Nothing was imported.\n" + "\n".join(exc.errors))
    except (ValidationError, rules.RuleBroken) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        job_fail(job_id=job.pk, error="Nothing was saved: " + " ".join(messages))
    except Exception:
        log.exception("job %s failed", job.pk)
        job_fail(job_id=job.pk, error="An unexpected error stopped it; nothing was saved. The admins can see why in "
                                      "the worker's log.")
    return IngestJob.objects.get(pk=job.pk).status


def job_start(*, job_id: int) -> IngestJob | None:
    """Mark the job running, or None when there is nothing to do: no such job (deleted), finished already (a task
    delivered twice), or lost too often (its worker died MAX_ATTEMPTS times: then it is failed)."""
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            log.warning("job %s does not exist; nothing to do", job_id)
            return None
        if job.status in (IngestJob.Status.DONE, IngestJob.Status.FAILED):
            return None
        if job.attempts >= MAX_ATTEMPTS:
            _finish(job, status=IngestJob.Status.FAILED,
                    error=f"The worker stopped {job.attempts} times while doing it; it is not tried again.")
            return None
        job.status, job.attempts, job.started_at = IngestJob.Status.RUNNING, job.attempts + 1, timezone.now()
        job.progress = max(job.progress, 1)
        job.save(update_fields=["status", "attempts", "started_at", "progress"])
        return job


def job_progress(*, job_id: int, progress: int) -> None:
    """Move a running job's progress on (never back)."""
    IngestJob.objects.filter(pk=job_id, status=IngestJob.Status.RUNNING, progress__lt=progress).update(
        progress=min(progress, 99)
    )


def job_finish(*, job_id: int, source=None, report: str = "") -> None:
    """Done: the result kept, the input let go (the source keeps the article; the ledger, the CSV's rows)."""
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().get(pk=job_id)
        job.source, job.report, job.text = source, report, ""
        _finish(job, status=IngestJob.Status.DONE, progress=100)


def job_fail(*, job_id: int, error: str) -> None:
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().get(pk=job_id)
        if job.status != IngestJob.Status.DONE:
            _finish(job, status=IngestJob.Status.FAILED, error=error)


def _finish(job: IngestJob, *, status: str, progress: int | None = None, error: str = "") -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    if progress is not None:
        job.progress = progress
    job.save()


class Progress:
    """A job's progress, written as the work goes so that the pages and the API see it.

    Called with the share done (0 to 1). Writes at most every PROGRESS_EVERY seconds. Inside the work's own
    transaction a write on the same connection would only show at the commit, so there it goes through a
    connection of its own (a short thread: Django's connections are per thread) on PostgreSQL; SQLite has one
    writer at a time, so there the progress shows up to the transaction's start and then at the end.

    It also keeps the time limit where the worker's pool cannot (the solo pool of `manage.py serve` and the tests,
    eager tasks): past the deadline it raises SoftTimeLimitExceeded, as Celery's soft limit would."""

    def __init__(self, job_id: int, *, deadline: float, start: float = 0.0, end: float = 1.0):
        self.job_id, self.deadline, self.start, self.end = job_id, deadline, start, end
        self._last = [0.0]  # shared with the views made by after()

    def after(self, share: float) -> "Progress":
        """The same job's progress for the rest of the work, from `share` on."""
        rest = Progress(
            self.job_id, deadline=self.deadline, start=self.start + (self.end - self.start) * share, end=self.end
        )
        rest._last = self._last
        return rest

    def reading(self, text: str, *, share: float):
        """The text's lines, reporting progress (up to `share`) as they are consumed."""
        total = max(text.count("\n"), 1)
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            if number % 1000 == 0:
                self(share * number / total)
            yield line

    def __call__(self, done: float) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise SoftTimeLimitExceeded()
        if now - self._last[0] < PROGRESS_EVERY:
            return
        self._last[0] = now
        percent = int(100 * (self.start + (self.end - self.start) * min(max(done, 0.0), 1.0)))
        if not connection.in_atomic_block:
            job_progress(job_id=self.job_id, progress=percent)
        elif connection.vendor == "postgresql":
            writer = threading.Thread(target=_in_own_connection, args=(self.job_id, percent), daemon=True)
            writer.start()
            writer.join(timeout=5)


def _in_own_connection(job_id: int, percent: int) -> None:
    try:
        job_progress(job_id=job_id, progress=percent)
    except Exception:  # progress is a courtesy: never let it stop the work
        log.warning("job %s: progress not written", job_id, exc_info=True)
    finally:
        connections.close_all()  # this thread's connections only
