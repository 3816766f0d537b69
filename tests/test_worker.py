"""End to end through the real parts: a Celery worker with beat, on Redis and PostgreSQL, in a subprocess."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from forecasts.services import checks
from forecasts.models import Question, ResolutionCheck
from tests.conftest import TEST_REDIS_URL, run_together
from tests.factories import analyst_user

ROOT = Path(settings.BASE_DIR)
# Transactional: the worker is another process and must see committed rows.
TRANSACTIONAL = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout=60.0, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(tmp_path: Path, redis_url: str, *, beat: bool) -> subprocess.Popen:
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "DEBUG": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "info",
               "--hostname", f"test-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    if beat:
        command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
    log = open(tmp_path / "worker.log", "w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _emails(tmp_path: Path) -> list[str]:
    folder = tmp_path / "mail"
    return [path.read_text() for path in sorted(folder.glob("*.log"))] if folder.exists() else []


@pytest.fixture
def clean_redis():
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield TEST_REDIS_URL
    client.flushdb()


@pytest.mark.worker
@TRANSACTIONAL
def test_worker_and_beat_create_one_check_per_due_question_and_email_it(committed_seeds, clean_redis, tmp_path):
    analyst_user(username="ann", email="ann@example.org")
    # Beat fires the real sweep schedule, shortened from 15 minutes to 2 seconds for the test.
    sweep = PeriodicTask.objects.get(task="forecasts.tasks.sweep_checks")
    sweep.interval = IntervalSchedule.objects.create(every=2, period="seconds")
    sweep.save()

    worker = _start_worker(tmp_path, clean_redis, beat=True)
    try:
        assert wait_for(lambda: ResolutionCheck.objects.filter(notified_at__isnull=False).count() == 6), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
        assert wait_for(lambda: len(_emails(tmp_path)) == 1)
        # Let beat sweep several more times: nothing new is created and nobody is mailed again.
        log = tmp_path / "worker.log"
        sweeps = lambda: log.read_text().count("forecasts.tasks.sweep_checks[")  # noqa: E731
        done = sweeps()
        assert wait_for(lambda: sweeps() >= done + 6, timeout=30)
    finally:
        _stop(worker)

    assert ResolutionCheck.objects.count() == 6
    for question in Question.objects.all():
        check = question.checks.get()
        assert check.due_at == question.resolve_by
        assert check.assigned_to.username == "ann"
    emails = _emails(tmp_path)
    assert len(emails) == 1
    assert "Subject: Hindsight: 6 questions to resolve" in emails[0]
    assert "To: ann@example.org" in emails[0]


@pytest.mark.postgres
@TRANSACTIONAL
def test_two_sweeps_at_once_create_no_duplicates(committed_seeds):
    analyst_user(username="ann")

    results = run_together(checks.checks_sweep, checks.checks_sweep)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert ResolutionCheck.objects.count() == 6
    assert ResolutionCheck.objects.values("question_id", "due_at").distinct().count() == 6
    assert checks.checks_sweep().created == 0


@pytest.mark.postgres
@TRANSACTIONAL
def test_two_notifiers_at_once_send_one_email_per_analyst(committed_seeds, mailoutbox):
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()

    results = run_together(checks.checks_notify, checks.checks_notify)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(mailoutbox) == 1, [(m.to, m.subject, m.body) for m in mailoutbox]
    assert "6 questions" in mailoutbox[0].subject


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, so that stopping it disturbs nothing else."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(lambda: _ping(self.url), timeout=10)

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def private_redis():
    if not shutil.which("redis-server"):
        from tests.conftest import skip_or_fail

        skip_or_fail("needs the redis-server binary to start and stop a Redis of the test's own")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.mark.worker
@TRANSACTIONAL
def test_redis_down_the_api_serves_and_after_it_returns_the_sweep_catches_up(
    committed_seeds, private_redis, tmp_path, client, settings, api
):
    settings.REDIS_URL = private_redis.url
    analyst_user(username="ann", email="ann@example.org")
    reader = api("reader")
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}

    private_redis.stop()
    started = time.monotonic()
    health = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert health.status_code == 200
    assert health.json() == {"database": "ok", "broker": "unavailable"}
    assert reader.get("/api/v1/calibration/").status_code == 200
    assert reader.get("/api/v1/questions/").json()["count"] == 6
    assert ResolutionCheck.objects.count() == 0  # nothing swept while the broker was down

    private_redis.start()
    assert client.get("/healthz").json()["broker"] == "ok"
    from config.celery import app

    worker = _start_worker(tmp_path, private_redis.url, beat=False)
    try:
        with app.connection_for_write(private_redis.url) as conn:
            app.send_task("forecasts.tasks.sweep_checks", connection=conn)
        assert wait_for(lambda: ResolutionCheck.objects.filter(notified_at__isnull=False).count() == 6), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
    finally:
        _stop(worker)
    assert len(_emails(tmp_path)) == 1


@pytest.mark.redis
def test_healthz_reports_a_reachable_redis(client, db, settings):
    settings.REDIS_URL = TEST_REDIS_URL
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}


def test_healthz_reports_an_unreachable_redis_quickly(client, db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    started = time.monotonic()
    assert client.get("/healthz").json() == {"database": "ok", "broker": "unavailable"}
    assert time.monotonic() - started < 5


def test_healthz_on_the_laptop_folder_broker(client, db, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_DIR = tmp_path
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}
    settings.CELERY_BROKER_DIR = tmp_path / "missing"
    assert client.get("/healthz").json()["broker"] == "unavailable"


