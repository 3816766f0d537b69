"""Faults, each a test: a dropped PostgreSQL connection, a worker killed mid-task, a failing mail server.

(Redis down, with the API serving and the sweep catching up afterwards, is in test_worker.py.)
"""

import signal
import socket

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

from forecasts.services import checks
from forecasts.models import ResolutionCheck
from tests.factories import analyst_user
from tests.test_worker import _emails, _start_worker, _stop, wait_for


def _get(handler: WSGIHandler, path: str):
    statuses = []
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    body = b"".join(handler(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_is_replaced_on_the_next_request(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    handler = WSGIHandler()  # the real request cycle: connections are checked at each request's start
    status, body = _get(handler, "/healthz")
    assert status.startswith("200") and b'"database": "ok"' in body
    pid = connection.connection.info.backend_pid

    with psycopg.connect(host="127.0.0.1", user=connection.settings_dict["USER"] or "postgres", dbname="postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    status, body = _get(handler, "/healthz")
    assert status.startswith("200"), body
    assert b'"database": "ok"' in body
    assert connection.connection.info.backend_pid != pid


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_loses_and_duplicates_nothing(committed_seeds, tmp_path, monkeypatch):
    import redis

    from config.celery import app
    from tests.conftest import TEST_REDIS_URL

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    analyst_user(username="ann", email="ann@example.org")
    marker = tmp_path / "sending"
    monkeypatch.setenv("EMAIL_BACKEND", "tests.support.slow_email.EmailBackend")
    monkeypatch.setenv("SLOW_EMAIL_MARKER", str(marker))

    worker = _start_worker(tmp_path, TEST_REDIS_URL, beat=False)
    try:
        with app.connection_for_write(TEST_REDIS_URL) as conn:
            app.send_task("forecasts.tasks.sweep_checks", connection=conn)
        assert wait_for(marker.exists), (tmp_path / "worker.log").read_text()[-3000:]
        worker.send_signal(signal.SIGKILL)  # in the middle of sending the email
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            _stop(worker)

    # The checks were committed by the sweep; the notification rolled back with the worker.
    assert ResolutionCheck.objects.count() == 6
    assert ResolutionCheck.objects.filter(notified_at__isnull=True).count() == 6

    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    worker = _start_worker(tmp_path, TEST_REDIS_URL, beat=False)
    try:
        with app.connection_for_write(TEST_REDIS_URL) as conn:
            app.send_task("forecasts.tasks.sweep_checks", connection=conn)
        assert wait_for(lambda: not ResolutionCheck.objects.filter(notified_at__isnull=True).exists()), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
    finally:
        _stop(worker)

    assert ResolutionCheck.objects.count() == 6
    assert len(_emails(tmp_path)) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_a_failing_mail_server_loses_no_check(seeded, settings, mailoutbox):
    analyst_user(username="ann", email="ann@example.org")
    checks.checks_sweep()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    settings.EMAIL_USE_TLS = False

    with pytest.raises(OSError):  # the tasks retry on OSError and SMTPException, with back-off
        checks.checks_notify()
    assert ResolutionCheck.objects.filter(notified_at__isnull=True).count() == 6

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert checks.checks_notify() == {"ann": 6}
    assert len(mailoutbox) == 1
    assert not ResolutionCheck.objects.filter(notified_at__isnull=True).exists()


