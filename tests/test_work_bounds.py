"""Work bounds through the real parts: gunicorn with config/gunicorn.py, a Celery worker, Redis and PostgreSQL.

The finding: a 60 KB article held a web worker for 30 s and got it killed; nothing bounded how long one request may
take. Now an article above the synchronous budget (INGEST_SYNC_MAX_BYTES, 25 KB) is answered 202 at once and read by
a worker, while /healthz keeps answering. Traffic goes only to 127.0.0.1.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from forecasts.models import IngestJob, Source
from forecasts.reading.reader import MAX_CANDIDATES
from forecasts.services import jobs
from tests.conftest import run_together
from tests.factories import analyst_user
from tests.test_jobs import article
from tests.test_worker import _database_url, _free_port, _stop, clean_redis, wait_for  # noqa: F401 (a fixture)

ROOT = Path(settings.BASE_DIR)
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _environment(redis_url: str, **more) -> dict:
    return {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": redis_url, "DEBUG": "1", **more}


def _start_worker(tmp_path: Path, redis_url: str, *, pool: str = "solo") -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool, "--concurrency", "1",
               "--loglevel", "info", "--hostname", f"bounds-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    log = open(tmp_path / "worker.log", "w")
    return subprocess.Popen(command, cwd=ROOT, env=_environment(redis_url), stdout=log, stderr=subprocess.STDOUT)


def _start_gunicorn(tmp_path: Path, redis_url: str, port: int) -> subprocess.Popen:
    """gunicorn as docker-compose runs it (config/gunicorn.py), on a free loopback port, 2 workers × 4 threads."""
    environment = _environment(
        redis_url, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", GUNICORN_THREADS="4"
    )
    log = open(tmp_path / "gunicorn.log", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )


def _request(port: int, method: str, path: str, *, body: bytes | None = None, token: str = "", timeout: float = 10):
    """(status, headers, parsed body, seconds taken) for one request on a fresh connection."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        elapsed = time.monotonic() - started
        content = json.loads(raw) if response.getheader("Content-Type", "").startswith("application/json") else raw
        return response.status, dict(response.getheaders()), content, elapsed
    finally:
        connection.close()


def _answers(port: int) -> bool:
    try:
        return _request(port, "GET", "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


class HealthPoller(threading.Thread):
    """GET /healthz again and again until stopped: every answer's status and time."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.samples, self.stopped = port, [], threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                status, _, _, elapsed = _request(self.port, "GET", "/healthz", timeout=5)
            except OSError as exc:
                status, elapsed = repr(exc), 5.0
            self.samples.append((status, elapsed))
            self.stopped.wait(0.05)


def test_large_articles_are_jobs_and_healthz_answers_within_a_second_meanwhile(
    committed_seeds, clean_redis, tmp_path, capsys
):
    analyst_user(username="reporter")  # password pass-word-123
    port = _free_port()
    worker = _start_worker(tmp_path, clean_redis)
    web = _start_gunicorn(tmp_path, clean_redis, port)
    poller = HealthPoller(port)
    try:
        assert wait_for(lambda: _answers(port), timeout=30), (tmp_path / "gunicorn.log").read_text()[-3000:]
        status, _, body, _ = _request(
            port, "POST", "/api/v1/auth/token/", body=json.dumps({"username": "reporter", "password": "pass-word-123"}).encode()
        )
        assert status == 200, body
        token = body["token"]
        sixty, mega = article(60_000, "sixty"), article(1_000_000, "mega")
        assert len(sixty.encode()) > settings.INGEST_SYNC_MAX_BYTES and len(mega.encode()) <= 1_000_000

        def post(text):
            payload = json.dumps({"text": text, "publisher": "Yonhap News Agency"}, ensure_ascii=False).encode()
            return _request(port, "POST", "/api/v1/sources/", body=payload, token=token)

        poller.start()
        started = time.monotonic()
        answers = run_together(lambda: post(sixty), lambda: post(mega))
        assert not [a for a in answers if isinstance(a, Exception)], answers

        progress_seen = {}

        def finished(location):
            status, _, job, _ = _request(port, "GET", location, token=token)
            assert status == 200, job
            progress_seen.setdefault(location, []).append(job["progress"])
            return job if job["status"] in ("done", "failed") else None

        results = {}
        for status, headers, job, elapsed in answers:
            assert status == 202, job  # the 60 KB one too: above the 25 KB budget, never read in the request
            assert elapsed < 3.0  # answered at once, not after reading
            location = headers["Location"]
            assert location == f"/api/v1/ingest-jobs/{job['id']}/" and job["status"] in ("queued", "running")
            assert wait_for(lambda: finished(location), timeout=60, interval=0.1), (
                (tmp_path / "worker.log").read_text()[-3000:]
            )
            results[location] = finished(location)
        all_done = time.monotonic() - started
        time.sleep(0.3)  # a few more health checks after the work
    finally:
        poller.stopped.set()
        _stop(web)
        _stop(worker)
    poller.join(timeout=10)

    for location, job in results.items():
        assert job["status"] == "done", job["error"]
        assert job["progress"] == 100 and job["source"]["publisher"] == "Yonhap News Agency" and job["drafts"]
    sizes = sorted(len(job["drafts"]) for job in results.values())
    # The 60 KB article's drafts, and the 1 MB article's up to the reader's cap (MAX_CANDIDATES).
    assert sizes[0] > 50 and sizes[1] == MAX_CANDIDATES
    assert Source.objects.count() == 1 + 2 and IngestJob.objects.filter(status="done").count() == 2  # seed + two
    # The pages and the API saw the 1 MB job's progress move while the worker read it.
    assert any(any(1 < p < 100 for p in seen) for seen in progress_seen.values()), progress_seen

    statuses = {status for status, _ in poller.samples}
    slowest = max(elapsed for _, elapsed in poller.samples)
    assert statuses == {200}, poller.samples
    assert len(poller.samples) >= 20 and slowest < 1.0, sorted(e for _, e in poller.samples)[-5:]
    with capsys.disabled():
        print(f"\nwork bounds: POST 60 KB {answers[0][3]:.2f} s, POST 1 MB {answers[1][3]:.2f} s (both 202); "
              f"both jobs done {all_done:.1f} s after posting; /healthz {len(poller.samples)} answers, "
              f"slowest {slowest * 1000:.0f} ms")


def test_a_real_worker_imports_a_csv_job_and_stops_a_job_at_its_time_limit(committed_seeds, clean_redis, tmp_path,
                                                                          monkeypatch):
    """A prefork worker, as docker-compose runs it: a CSV job is imported; an article job given a 1 s time limit is
    stopped by Celery's soft limit, says why, and saves nothing."""
    from config.celery import app
    from forecasts.models import Prediction
    from tests.test_jobs import _csv

    monkeypatch.setattr(jobs, "_enqueue", lambda job_id: None)  # sent below, to this test's Redis
    importer = analyst_user(username="importer")
    csv_job = jobs.csv_job_create(text=_csv(3_000).decode(), file_name="big.csv", user=importer)
    monkeypatch.setattr(settings, "INGEST_JOB_TIME_LIMIT", 1)
    slow_job = jobs.article_job_create(text=article(1_000_000, "too long"), user=importer)
    sources, predictions = Source.objects.count(), Prediction.objects.count()
    worker = _start_worker(tmp_path, clean_redis, pool="prefork")
    try:
        with app.connection_for_write(clean_redis) as connection:
            app.send_task("forecasts.tasks.import_csv_job", args=[csv_job.pk], connection=connection)
            app.send_task("forecasts.tasks.ingest_article_job", args=[slow_job.pk], soft_time_limit=1,
                          time_limit=1 + jobs.HARD_LIMIT_GRACE, connection=connection)
        assert wait_for(lambda: IngestJob.objects.filter(status__in=["done", "failed"]).count() == 2, timeout=60), (
            (tmp_path / "worker.log").read_text()[-3000:]
        )
    finally:
        _stop(worker)
    csv_job.refresh_from_db()
    assert (csv_job.status, csv_job.progress) == ("done", 100) and "3000 rows read" in csv_job.report
    assert Prediction.objects.count() == predictions + 3_000
    slow_job.refresh_from_db()
    assert slow_job.status == "failed" and slow_job.attempts == 1
    assert "longer than the 1 s time limit" in slow_job.error
    assert Source.objects.count() == sources  # nothing saved


class SlowReader(http.client.HTTPConnection):
    """A client with a small receive buffer (no kernel autotuning to megabytes), so that the server must keep
    streaming for as long as the client takes to read."""

    def connect(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.sock.settimeout(self.timeout)
        self.sock.connect((self.host, self.port))


def test_the_streaming_export_outlives_the_worker_timeout(committed_seeds, clean_redis, tmp_path, capsys):
    """The one long response: a large CSV export read by a slow client streams for several times gunicorn's worker
    timeout (2 s here) and arrives whole; gthread's main thread keeps the worker alive meanwhile. (With the sync
    worker class the arbiter kills the worker mid-stream.)"""
    import datetime as dt

    from django.utils import timezone

    from forecasts.models import Prediction, Question

    question = Question.objects.get(key="nk-troops-cannon-fodder")
    analyst = question.predictions.get().analyst
    now, rows = timezone.now(), 5_000
    Prediction.objects.bulk_create(
        [Prediction(analyst=analyst, question=question, probability=0.5, basis="stated", quote=f"{i} " + "x" * 2_500,
                    made_at=now - dt.timedelta(minutes=i)) for i in range(rows)],
        batch_size=1_000,
    )
    analyst_user(username="exporter")
    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"],
        cwd=ROOT, stdout=open(tmp_path / "gunicorn.log", "w"), stderr=subprocess.STDOUT,
        env=_environment(clean_redis, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", GUNICORN_TIMEOUT="2"),
    )
    try:
        assert wait_for(lambda: _answers(port), timeout=30), (tmp_path / "gunicorn.log").read_text()[-3000:]
        credentials = json.dumps({"username": "exporter", "password": "pass-word-123"}).encode()
        token = _request(port, "POST", "/api/v1/auth/token/", body=credentials)[2]["token"]
        connection = SlowReader("127.0.0.1", port, timeout=10)
        started = time.monotonic()
        connection.request("GET", "/api/v1/predictions/export/", headers={"Authorization": f"Token {token}"})
        response = connection.getresponse()
        assert response.status == 200
        received = []
        while chunk := response.read(64 * 1024):  # a slow client: about 2.5 MB/s
            received.append(chunk)
            time.sleep(0.025)
        took = time.monotonic() - started
        connection.close()
    finally:
        _stop(web)
    body = b"".join(received).decode()
    assert took > 2 * 2, took  # streamed for more than twice the worker timeout
    assert body.count("\n") == 1 + Prediction.objects.count() and body.endswith("\n")  # the header and every row
    assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
    with capsys.disabled():
        print(f"\nstreaming export: {len(body):,} characters to a slow client in {took:.1f} s, worker timeout 2 s")
