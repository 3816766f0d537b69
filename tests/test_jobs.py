"""Work bounds (README "Work bounds"): an article above the synchronous budget, or a large admin CSV upload, is a job
for a worker, not a request that holds a web worker. One ingest contract for every door: 201 within the budget,
202 and a job to poll above it, 400 at once for what cannot be read. Here the jobs run in this process (Celery's
eager mode) when their row is committed; tests/test_work_bounds.py runs them through gunicorn, Redis and a real
worker."""

import datetime as dt
import time

import pytest
from celery.app.task import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from forecasts.models import DraftPrediction, IngestJob, Prediction, Source
from forecasts.services import drafts, jobs
from forecasts.services.rules import SYSTEM
from tests.conftest import SEEDS_DIR, restore_migration_data
from tests.factories import admin_user, analyst_user, reader_user

pytestmark = pytest.mark.django_db
API = "/api/v1/"
SEED_TEXT = (SEEDS_DIR / "yonhap-2024-10-22-nk-troop-dispatch.txt").read_text(encoding="utf-8")


def article(size: int, tag: str = "") -> str:
    """The seeded article repeated to `size` bytes (UTF-8), headed by `tag` so that each is its own document."""
    text = (f"Dispatch {tag}\n\n" + SEED_TEXT + "\n\n") * (size // len(SEED_TEXT.encode()) + 1)
    return text.encode("utf-8")[:size].decode("utf-8", "ignore")


@pytest.fixture
def phrases(db):
    from forecasts.services.seeds import SeedReport, phrases_load

    phrases_load(path=SEEDS_DIR / "phrases.yaml", report=SeedReport())


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """Jobs run here, at once, when their row is committed (as a worker picks them up); `sent` lists what was sent
    to the broker: (task name, args, options)."""
    from config.celery import app

    sent = []
    original = Task.apply_async

    def recording(self, args=None, kwargs=None, **options):
        sent.append((self.name, args, options))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield sent
    app.conf.task_always_eager = eager


# --- the finding: a 60 KB article held a web worker for 30 s --------------------------------------------------


def test_a_60_kb_article_is_a_job_and_is_not_read_in_the_request(api, phrases, worker, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    client = api("analyst")
    text = article(60_000, "sixty")
    reads = []
    real_find = drafts.read_article
    monkeypatch.setattr(drafts, "read_article", lambda *a, **k: reads.append(1) or real_find(*a, **k))

    with django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        response = client.post(f"{API}sources/", {"text": text, "publisher": "Yonhap News Agency"}, format="json")
        answered = time.monotonic() - started
        assert reads == []  # the reader did not run while the client waited

    assert response.status_code == 202, response.content
    assert answered < 1.0
    job = IngestJob.objects.get()
    assert response["Location"] == f"/api/v1/ingest-jobs/{job.pk}/"
    body = response.json()
    assert (body["id"], body["status"], body["progress"], body["source"], body["drafts"]) == (job.pk, "queued", 0, None, [])
    # Queued once its row was committed, with the job's time limits.
    assert [(name, args) for name, args, _ in worker] == [("forecasts.tasks.ingest_article_job", [job.pk])]
    assert worker[0][2]["soft_time_limit"] == job.time_limit == 120
    assert worker[0][2]["time_limit"] > job.time_limit
    assert reads == [1]  # the worker read it

    done = client.get(response["Location"]).json()
    assert (done["status"], done["progress"], done["error"]) == ("done", 100, "")
    source = Source.objects.get()
    assert done["source"]["id"] == source.pk and done["source"]["publisher"] == "Yonhap News Agency"
    # The same result as the synchronous door: reading the article again gives the same source and drafts.
    again = drafts.article_ingest(text=text, user=SYSTEM)
    assert again.source == source and again.created == 0
    assert [d["id"] for d in done["drafts"]] == [d.pk for d in again.drafts] and len(done["drafts"]) > 50
    assert IngestJob.objects.get().text == ""  # the input is let go once the source holds it


def test_within_the_synchronous_budget_the_article_is_read_at_once(api, phrases, settings, worker):
    client = api("analyst")
    text = article(20_000, "twenty")
    settings.INGEST_SYNC_MAX_BYTES = len(text.encode())
    response = client.post(f"{API}sources/", {"text": text}, format="json")
    assert response.status_code == 201 and "Location" not in response
    assert response.json()["source"]["id"] == Source.objects.get().pk and response.json()["drafts"]
    settings.INGEST_SYNC_MAX_BYTES = len(text.encode()) - 1
    assert client.post(f"{API}sources/", {"text": text + " "}, format="json").status_code == 202
    assert IngestJob.objects.count() == 1


@pytest.mark.parametrize(
    "body, says",
    [
        ({"text": "x" * 1_000_001}, "the limit is 1,000,000"),
        ({"text": " " * 60_000}, "empty"),
        ({"text": article(60_000, "nul") + "\x00"}, "Null characters"),
        ({"text": article(60_000, "old"), "published_at": "1850-01-01T00:00:00Z"}, "1900"),
        ({"text": article(60_000, "taken"), "url": "https://example.org/taken"}, "one URL is one document"),
    ],
    ids=["over 1 MB", "empty", "NUL", "published_at", "URL with another text"],
)
def test_what_cannot_be_read_is_a_400_at_once_and_never_a_job(api, phrases, worker, body, says):
    drafts.article_ingest(text="Another text entirely.", url="https://example.org/taken", user=SYSTEM)
    response = api("analyst").post(f"{API}sources/", body, format="json")
    assert response.status_code == 400, response.content
    assert says in str(response.json())
    assert not IngestJob.objects.exists() and worker == []


def test_only_its_user_or_an_admin_sees_a_job(api, phrases, worker, django_capture_on_commit_callbacks):
    owner = api("analyst")
    with django_capture_on_commit_callbacks(execute=True):
        location = owner.post(f"{API}sources/", {"text": article(60_000, "mine")}, format="json")["Location"]
    assert owner.get(location).status_code == 200
    assert api("admin").get(location).json()["status"] == "done"
    assert api("analyst").get(location).status_code == 404
    assert api("reader").get(location).status_code == 404
    assert api().get(location).status_code == 401
    assert api("admin").get(f"{API}ingest-jobs/999999/").status_code == 404
    # A CSV job is the admin's page's, not the API's.
    csv_job = jobs.csv_job_create(text=CSV_HEADER, user=owner.user)
    assert owner.get(f"{API}ingest-jobs/{csv_job.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_job_that_cannot_be_queued_says_so_with_503(api, monkeypatch):
    restore_migration_data()  # the roles, after an earlier transactional test's flush
    def broker_down(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", broker_down)
    response = api("analyst").post(f"{API}sources/", {"text": article(60_000, "down")}, format="json")
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "task queue is unavailable" in response.json()["detail"]
    job = IngestJob.objects.get()
    assert job.status == "failed" and "task queue is unavailable" in job.error


# --- the worker's side ------------------------------------------------------------------------------------------


def test_a_job_over_its_time_limit_fails_with_a_readable_error_and_saves_nothing(phrases, monkeypatch,
                                                                                django_capture_on_commit_callbacks):
    job = jobs.article_job_create(text=article(60_000, "slow"), user=analyst_user())

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()  # what Celery raises in the task at the soft time limit

    monkeypatch.setattr(drafts, "read_article", too_slow)
    assert jobs.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "longer than the 120 s time limit" in job.error and job.finished_at is not None
    assert not Source.objects.exists() and not DraftPrediction.objects.exists()


def test_the_time_limit_holds_where_the_pool_does_not_enforce_it(phrases, monkeypatch):
    """The solo pool (manage.py serve, the worker tests) and eager tasks have no time limits: the job keeps its own."""
    job = jobs.article_job_create(text=article(60_000, "solo"), user=analyst_user())
    IngestJob.objects.filter(pk=job.pk).update(time_limit=0)
    assert jobs.job_run(job_id=job.pk) == "failed"
    assert "time limit" in IngestJob.objects.get(pk=job.pk).error
    assert not Source.objects.exists()


def test_a_job_whose_worker_died_reads_as_failed_and_is_not_run_a_third_time(api, phrases):
    client = api("analyst")
    job = jobs.article_job_create(text=article(60_000, "lost"), user=client.user)
    running = jobs.job_start(job_id=job.pk)
    assert (running.status, running.attempts) == ("running", 1)
    assert client.get(f"{API}ingest-jobs/{job.pk}/").json()["status"] == "running"
    # The worker was killed (the hard time limit, out of memory) and said nothing: past the limit, it is failed.
    IngestJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(seconds=job.time_limit + 60))
    body = client.get(f"{API}ingest-jobs/{job.pk}/").json()
    assert body["status"] == "failed" and "time limit" in body["error"]
    # The broker hands a task whose worker died back once; a second loss fails the job for good.
    assert jobs.job_start(job_id=job.pk).attempts == 2
    assert jobs.job_start(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == "failed" and "stopped 2 times" in job.error


def test_a_job_runs_as_its_user_and_never_as_the_system(phrases):
    user = analyst_user()
    job = jobs.article_job_create(text=article(60_000, "gone"), user=user)
    user.is_active = False
    user.save()
    assert jobs.job_run(job_id=job.pk) == "failed"
    assert "no longer active" in IngestJob.objects.get(pk=job.pk).error
    assert not Source.objects.exists()


def test_a_task_for_a_job_that_is_gone_does_nothing(db):
    assert jobs.job_run(job_id=123456) == "missing"


def test_a_finished_job_delivered_twice_does_nothing(phrases, worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.article_job_create(text=article(60_000, "twice"), user=analyst_user())
    assert IngestJob.objects.get(pk=job.pk).status == "done"
    drafts_before = DraftPrediction.objects.count()
    assert jobs.job_run(job_id=job.pk) == "done"
    assert DraftPrediction.objects.count() == drafts_before and IngestJob.objects.get(pk=job.pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_progress_moves_on_as_the_worker_reads(monkeypatch):
    """Progress is written where other connections see it: before the ingest's transaction directly, and inside it
    (PostgreSQL) through a connection of its own; SQLite, one writer at a time, shows it before and at the end."""
    import threading

    from django.db import connection

    from forecasts.services.seeds import SeedReport, phrases_load

    restore_migration_data()
    phrases_load(path=SEEDS_DIR / "phrases.yaml", report=SeedReport())
    monkeypatch.setattr(jobs, "_enqueue", lambda job_id: None)  # run below, here, rather than through a broker
    job = jobs.article_job_create(text=article(300_000, "progress"), user=analyst_user())
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.02)
    written = []
    real = jobs.job_progress

    def spy(**kw):
        real(**kw)
        written.append((kw["progress"], threading.current_thread() is threading.main_thread(),
                        IngestJob.objects.get(pk=kw["job_id"]).progress))

    monkeypatch.setattr(jobs, "job_progress", spy)

    assert jobs.job_run(job_id=job.pk) == "done"

    percents = [percent for percent, _, _ in written]
    assert percents == sorted(percents) and percents[0] >= 1
    assert IngestJob.objects.get(pk=job.pk).progress == 100
    if connection.vendor == "postgresql":
        # Written through a connection of its own while the job's transaction is open; stored below 100 until
        # the job is done.
        inside = [stored for _, main, stored in written if not main]
        assert len(inside) >= 3 and 30 <= inside[-1] <= 99, written


# --- the pages and the admin --------------------------------------------------------------------------------------


def test_the_drafts_page_reads_a_large_article_as_a_job_and_shows_its_progress(client, phrases, worker,
                                                                            django_capture_on_commit_callbacks):
    user = analyst_user()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("draft-sources"), {"text": article(60_000, "page"), "title": "A long read"})
    job = IngestJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job-detail", args=[job.pk])

    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in waiting  # refreshes itself: no script (the CSP forbids it)
    assert 'data-status="queued"' in waiting and "<progress" in waiting and "<script" not in waiting
    drafts_page = client.get(reverse("draft-sources")).content.decode()
    assert 'id="reading"' in drafts_page and "A long read" in drafts_page

    for callback in callbacks:  # the worker picks it up
        callback()
    done = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in done and "http-equiv" not in done
    assert reverse("source-drafts", args=[Source.objects.get().pk]) in done
    assert 'id="reading"' not in client.get(reverse("draft-sources")).content.decode()

    client.force_login(analyst_user())
    assert client.get(response["Location"]).status_code == 404  # someone else's job
    client.force_login(admin_user())
    assert client.get(response["Location"]).status_code == 200


def test_the_drafts_page_refuses_at_once_what_cannot_be_read(client, phrases, worker):
    client.force_login(analyst_user())
    response = client.post(reverse("draft-sources"), {"text": article(60_000, "nul") + "\x00"})
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()
    assert not IngestJob.objects.exists()


def test_the_admin_ingest_page_follows_the_same_contract(client, phrases, worker):
    client.force_login(admin_user())
    upload = SimpleUploadedFile("long.txt", article(60_000, "admin").encode(), content_type="text/plain")
    response = client.post(reverse("admin:forecasts_source_ingest"), {"file": upload})
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[IngestJob.objects.get().pk])


def test_the_command_stays_synchronous(phrases, tmp_path, worker):
    path = tmp_path / "long.txt"
    path.write_text(article(60_000, "command"), encoding="utf-8")
    call_command("ingest_article", str(path))
    assert not IngestJob.objects.exists() and worker == []
    assert Source.objects.count() == 1 and DraftPrediction.objects.count() > 50


CSV_HEADER = "analyst,question,probability,made_at,resolve_by,outcome,question_key,quote,source_url,hedge_phrase\n"


def _csv(rows: int, *, bad_line: int | None = None) -> bytes:
    lines = [CSV_HEADER]
    for i in range(rows):
        probability = "1.5" if i + 2 == bad_line else f"0.{i % 9 + 1}"
        lines.append(f"Expert {i % 7},Will event {i // 3} happen?,{probability},2024-01-01,2025-06-01,,event-{i // 3},,,\n")
    return "".join(lines).encode()


def test_a_large_admin_csv_upload_is_imported_by_a_job_with_progress(client, db, settings, worker,
                                                                    django_capture_on_commit_callbacks):
    settings.CSV_SYNC_MAX_BYTES = 1_000
    client.force_login(admin_user())
    url = reverse("admin:forecasts_prediction_import")
    assert "larger than 0.001 MB is imported by a worker" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"file": SimpleUploadedFile("big.csv", _csv(300))})
    job = IngestJob.objects.get()
    assert (job.kind, job.file_name) == ("csv", "big.csv")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:forecasts_prediction_import_job", args=[job.pk])
    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in waiting and 'data-status="queued"' in waiting
    assert not Prediction.objects.exists()

    for callback in callbacks:
        callback()
    done = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in done and "300 rows read" in done and "http-equiv" not in done
    assert Prediction.objects.count() == 300
    assert worker[0][0] == "forecasts.tasks.import_csv_job" and worker[0][2]["soft_time_limit"] == 900

    # Small files are imported while you wait, as before.
    small = client.post(url, {"file": SimpleUploadedFile("small.csv", _csv(3))})
    assert small.status_code == 302 and small["Location"] == reverse("admin:forecasts_prediction_changelist")
    assert IngestJob.objects.count() == 1


def test_a_large_csv_with_a_bad_row_fails_its_job_with_the_line_and_imports_nothing(client, db, settings, worker,
                                                                                 django_capture_on_commit_callbacks):
    settings.CSV_SYNC_MAX_BYTES = 1_000
    client.force_login(admin_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:forecasts_prediction_import"),
                               {"file": SimpleUploadedFile("bad.csv", _csv(300, bad_line=250))})
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in page and "line 250: probability &#x27;1.5&#x27; is not between 0 and 1" in page
    assert not Prediction.objects.exists()


def test_a_large_csv_that_cannot_be_read_is_refused_at_once(client, db, settings, worker):
    settings.CSV_SYNC_MAX_BYTES = 1_000
    client.force_login(admin_user())
    url = reverse("admin:forecasts_prediction_import")
    wrong = client.post(url, {"file": SimpleUploadedFile("wrong.csv", b"name,colour\n" + b"a,b\n" * 500)})
    assert wrong.status_code == 200 and "unknown column(s) name, colour" in wrong.content.decode()
    latin = client.post(url, {"file": SimpleUploadedFile("latin.csv", _csv(50).replace(b"Expert", b"Exp\xe9rt"))})
    assert "not UTF-8 text" in latin.content.decode()
    assert not IngestJob.objects.exists() and worker == []


def test_only_its_user_or_an_admin_sees_a_csv_job(client, db):
    owner = analyst_user()
    job = jobs.csv_job_create(text=CSV_HEADER, file_name="x.csv", user=owner)
    url = reverse("admin:forecasts_prediction_import_job", args=[job.pk])
    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(analyst_user())
    assert client.get(url).status_code == 404
    client.force_login(reader_user(is_staff=True))
    assert client.get(url).status_code == 403


def test_the_schema_describes_the_ingest_contract(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/api/v1/sources/"]["post"]["responses"]
    assert post["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/SourceIngestResponse")
    assert post["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/IngestJob")
    assert "Location" in post["202"]["headers"] and "ingest_jobs_retrieve" in post["202"]["links"]
    assert {"400", "503"} <= set(post)
    job = schema["paths"]["/api/v1/ingest-jobs/{id}/"]["get"]["responses"]
    assert job["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/IngestJob") and "404" in job
    fields = schema["components"]["schemas"]["IngestJob"]["properties"]
    assert {"status", "progress", "source", "drafts", "error"} <= set(fields)
    status = schema["components"]["schemas"][fields["status"]["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert status["enum"] == ["queued", "running", "done", "failed"]
